//! Hostile input: nothing a client sends may crash the VM, turn into a 503, inject a cookie
//! attribute, or stop the next valid hit from being delivered. And nothing secret or raw
//! personal may reach the Envoy log.

use crate::harness::{build, Env, Options};
use serde_json::json;
use std::time::Duration;

const GOOD: &str = "/g/collect?v=2&cid=1.2&_p=5&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F";

/// The next valid hit is still delivered and the VM never trapped.
fn assert_still_healthy(env: &Env) {
    let before = env.stat("events_sent");
    let r = env.get(&format!("{GOOD}&_s=999"), &[]);
    assert_eq!(r.status, 204);
    assert_eq!(
        env.wait_stat("events_sent", before + 1, Duration::from_secs(5)),
        before + 1,
        "next valid hit delivered"
    );
    env.assert_no_crash();
}

#[test]
fn non_utf8_header_bytes() {
    let env = Env::start(Options::default());
    let mut req = b"GET /g/collect?v=2&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: bad \xff\xfe\xc3 agent\r\n".to_vec();
    req.extend_from_slice(b"Cookie: __oppref=\xff\xfeclick; __obref=ok-1\r\nReferer: https://\xe2\x82\r\nConnection: close\r\n\r\n");
    let r = env.raw(&req);
    assert_ne!(r.status, 503);
    assert!(
        r.set_cookies().iter().all(|c| c.is_ascii()),
        "{:?}",
        r.set_cookies()
    );
    assert_still_healthy(&env);
}

#[test]
fn ten_thousand_line_bodies() {
    let env = Env::start(Options {
        filter: json!({"collect": {"max_body_bytes": 1048576}}),
        ..Options::default()
    });
    let body = "en=page_view&_et=1\n".repeat(10_000);
    let r = env.post(&format!("{GOOD}&_s=1"), &[], body.as_bytes());
    assert_eq!(r.status, 204);
    let calls = env.api.wait_for_requests(1, Duration::from_secs(5));
    assert_eq!(
        calls[0].events().len(),
        50,
        "collect.max_events_per_request"
    );
    assert_eq!(
        env.wait_stat("events_invalid", 9_950, Duration::from_secs(10)),
        9_950
    );
    assert_still_healthy(&env);
}

#[test]
fn two_hundred_kilobyte_bodies() {
    let env = Env::start(Options::default());
    let body = vec![b'x'; 200 * 1024];
    let r = env.post(&format!("{GOOD}&_s=1"), &[], &body);
    assert_eq!(r.status, 204);
    assert_eq!(
        env.wait_stat("bodies_too_large", 1, Duration::from_secs(10)),
        1
    );
    assert_still_healthy(&env);
}

#[test]
fn invalid_percent_encoding_and_absurdly_long_values() {
    let env = Env::start(Options::default());
    for path in [
        "/g/collect?v=2&en=page_view&dl=%E0%A4%A",
        "/g/collect?v=2&en=%FF%FE&dl=https%3A%2F%2Fshop.example.com%2F",
        "/g/collect?%%%%=%%%%",
    ] {
        assert_eq!(env.get(path, &[]).status, 204, "{path}");
    }
    // Within Envoy's own 60 KiB header limit (beyond it Envoy answers 431 before any filter).
    let long = "a".repeat(20_000);
    let r = env.get(&format!("{GOOD}&_s=2&ep.note={long}&uid={long}"), &[]);
    assert_eq!(r.status, 204);
    let long_cookie = format!("__oppref={}", "b".repeat(7000));
    let r = env.get(&format!("{GOOD}&_s=3"), &[("Cookie", long_cookie.as_str())]);
    assert_eq!(r.status, 204);
    assert!(
        r.cookie("__oppref").is_none(),
        "an absurd click id is not echoed"
    );
    assert_still_healthy(&env);
}

#[test]
fn crlf_and_semicolons_never_reach_set_cookie() {
    let env = Env::start(Options::default());
    // oppref from the landing URL carrying ';', CR/LF and attribute text.
    let dl = "https%3A%2F%2Fshop.example.com%2F%3Foppref%3Dx%253B%2520Domain%253Devil.com%250D%250ASet-Cookie%253A%2520y%253D1";
    let r = env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=7&en=page_view&dl={dl}"),
        &[("Host", "shop.example.com")],
    );
    assert_eq!(r.status, 204);
    for c in r.set_cookies() {
        assert!(!c.contains("evil") && !c.contains("y=1"), "injected: {c}");
    }
    assert!(r.cookie("__oppref").is_none());
    assert!(r.cookie("y").is_none());
    // An obref smuggled through event data (Data Client) with a ';'.
    let r = env.post("/data", &[("Content-Type", "application/json")],
        json!({"event_name": "page_view", "page_location": "https://shop.example.com/", "__obref": "b1; HttpOnly; Domain=evil.com"}).to_string().as_bytes());
    assert!(
        r.set_cookies().iter().all(|c| !c.contains("evil")),
        "{:?}",
        r.set_cookies()
    );
    assert_still_healthy(&env);
}

#[test]
fn garbage_requests_of_every_kind() {
    let env = Env::start(Options::default());
    let requests: Vec<Vec<u8>> = vec![
        build(
            "POST",
            "/mp/collect?api_secret=s",
            &[("Content-Type", "application/json")],
            Some(b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["),
        ),
        build(
            "POST",
            "/mp/collect",
            &[],
            Some(
                json!({"events": [{"name": 5}, "x", null, {"name": "purchase", "params": "nope"}]})
                    .to_string()
                    .as_bytes(),
            ),
        ),
        build("POST", "/data", &[], Some(b"\x00\x01\x02\xff")),
        build("GET", "/data?dtdc=!!!notbase64&dtcd=%7Bbroken", &[], None),
        build(
            "POST",
            "/g/collect?v=2",
            &[],
            Some("en=a&pr1=~~~~~~&pr2=id\u{1F600}~prNaN~qt-1\n\n\n&&&&\nen=%".as_bytes()),
        ),
        build("GET", "/g/collect?em=tv.1~em.%%%~pn.", &[], None),
    ];
    for req in &requests {
        let r = env.raw(req);
        assert!(
            r.status < 500,
            "status {} for {:?}",
            r.status,
            String::from_utf8_lossy(req)
        );
    }
    assert_still_healthy(&env);
}

#[test]
fn secrets_and_raw_personal_data_never_reach_the_envoy_log() {
    let env = Env::start(Options {
        filter: json!({"logging": {"console": "always"}}),
        wasm_log_level: "trace",
        ..Options::default()
    });
    let email = "Jane.Secret%40example.com";
    let phone = "%2B1%20415%20555%202671";
    env.get(
        &format!("{GOOD}&_s=1&ep.email={email}&ep.phone_number={phone}&uid=CUSTOMER-SECRET-42&ep.first_name=Zebedee"),
        &[("trace-id", "trace-abc-123")],
    );
    env.post(
        "/mp/collect?measurement_id=G-X&api_secret=MP-API-SECRET-999",
        &[("Content-Type", "application/json")],
        json!({"client_id": "1.2", "user_data": {"email_address": "raw.mp@example.com"},
               "events": [{"name": "sign_up", "params": {"page_location": "https://shop.example.com/", "email": "raw.mp@example.com", "phone": "+44 20 7946 0000"}}]})
            .to_string()
            .as_bytes(),
    );
    assert!(env.wait_stat("events_sent", 2, Duration::from_secs(5)) >= 2);
    let log = env.log();
    assert!(
        log.contains("\"TraceId\":\"trace-abc-123\""),
        "console records carry the trace id"
    );
    assert!(log.contains("\"Type\":\"Request\"") && log.contains("\"Type\":\"Response\""));
    for secret in [
        crate::harness::API_KEY,
        "MP-API-SECRET-999",
        "Jane.Secret",
        "jane.secret@example.com",
        "raw.mp@example.com",
        "415 555",
        "4155552671",
        "7946",
        "CUSTOMER-SECRET-42",
        "Zebedee",
        "zebedee",
    ] {
        assert!(
            !log.contains(secret),
            "{secret:?} leaked into the Envoy log"
        );
    }
}
