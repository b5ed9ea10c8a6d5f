//! The rules of `request`: method, path, `pid`, `Authorization`, `Content-Type`, precedence.

use super::*;
use crate::StandinConfig;

fn headers(auth: &str, ct: &str) -> Vec<(String, String)> {
    vec![
        ("authorization".to_owned(), auth.to_owned()),
        ("content-type".to_owned(), ct.to_owned()),
    ]
}

fn check(method: &str, path: &str, query: &str, h: &[(String, String)], body: &[u8]) -> Verdict {
    check_request(&StandinConfig::default(), method, path, query, h, body, NOW).0
}

#[test]
fn request_level_rules() {
    let body = example().to_string();
    let body = body.as_bytes();
    let good = headers("Bearer test-api-key", "application/json");
    let ok = check("POST", "/v1/events", "pid=test-pixel", &good, body);
    assert_eq!((ok.status, ok.violations.len()), (200, 0), "{ok:?}");
    assert!(check(
        "POST",
        "/v1/events",
        "pid=test-pixel",
        &headers("Bearer test-api-key", "application/json; charset=utf-8"),
        body
    )
    .violations
    .is_empty());
    // Percent-encoded pid.
    assert_eq!(
        check("POST", "/v1/events", "x=1&pid=test%2Dpixel", &good, body).status,
        200
    );

    let v = check("GET", "/v1/events", "pid=test-pixel", &good, b"");
    assert_eq!(v.status, 405);
    assert!(v.message.starts_with("method: "), "{v:?}");
    let v = check("POST", "/v1/event", "pid=test-pixel", &good, body);
    assert_eq!(v.status, 404);
    assert!(v.message.starts_with("path: "), "{v:?}");

    for auth in [
        "Bearer wrong",
        "bearer test-api-key",
        "test-api-key",
        "Bearer  test-api-key",
    ] {
        let v = check(
            "POST",
            "/v1/events",
            "pid=test-pixel",
            &headers(auth, "application/json"),
            body,
        );
        assert_eq!(v.status, 401, "{auth}");
        assert_eq!(v.message, "Missing or invalid Authorization");
    }
    let no_auth = vec![("content-type".to_owned(), "application/json".to_owned())];
    let v = check("POST", "/v1/events", "pid=test-pixel", &no_auth, body);
    assert_eq!(
        (v.status, v.message.as_str()),
        (401, "Missing or invalid Authorization")
    );

    for query in [
        "",
        "pid=other",
        "pid=test-pixel&pid=test-pixel",
        "pixel=test-pixel",
    ] {
        let v = check("POST", "/v1/events", query, &good, body);
        assert_eq!(v.status, 400, "{query}");
        assert!(v.message.starts_with("pid: "), "{v:?}");
    }
    let v = check(
        "POST",
        "/v1/events",
        "pid=test-pixel",
        &headers("Bearer test-api-key", "text/plain"),
        body,
    );
    assert_eq!(v.status, 400);
    assert!(v.message.starts_with("content-type: "), "{v:?}");

    let v = check("POST", "/v1/events", "pid=test-pixel", &good, b"{not json");
    assert_eq!(v.status, 400);
    assert!(v.message.starts_with("body: not valid JSON"), "{v:?}");
    let v = check("POST", "/v1/events", "pid=test-pixel", &good, b"");
    assert!(v.message.starts_with("body: empty"), "{v:?}");

    // Several violations: all recorded, joined with "; " in the message.
    let v = check(
        "POST",
        "/v1/events",
        "pid=x",
        &headers("Bearer test-api-key", "text/plain"),
        b"{\"events\":[]}",
    );
    assert_eq!(v.violations.len(), 3, "{v:?}");
    assert_eq!(v.message, v.violations.join("; "));
}
