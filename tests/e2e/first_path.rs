//! The first path: a GA4 page_view GET becomes one `page_viewed` event at the API, the response
//! carries the cookies, and the request continues to its route.

use crate::harness::{Env, Options, Shape};
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const PAGE: &str =
    "https%3A%2F%2Fshop.example.com%2Flanding%3Foppref%3DgAAAAB-click_1%26utm_source%3Dchatgpt";

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn ga4_page_view_reaches_the_api_and_sets_cookies() {
    let env = Env::start(Options::default());
    let before = now_ms();
    let response = env.get(
        &format!(
            "/g/collect?v=2&tid=G-TEST1&cid=1234.5678&_p=1700000000001&_s=1&en=page_view&dl={PAGE}"
        ),
        &[
            ("Host", "sgtm.example.com"),
            ("User-Agent", "Mozilla/5.0 (e2e)"),
        ],
    );
    assert_eq!(
        response.status, 204,
        "the request continues to its direct_response route"
    );

    // The cookies: click id from the landing URL, a freshly minted browser id.
    assert_eq!(
        response.cookie("__oppref"),
        Some("__oppref=gAAAAB-click_1; Domain=example.com; Path=/; Max-Age=2592000; Secure; SameSite=Lax")
    );
    let obref = response.cookie("__obref").expect("browser id cookie");
    assert!(
        obref.ends_with("; Domain=example.com; Path=/; Max-Age=31536000; Secure; SameSite=Lax"),
        "{obref}"
    );
    let obref_value = obref
        .trim_start_matches("__obref=")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(obref_value.len(), 36);

    // The API call.
    let calls = env.api.wait_for_requests(1, Duration::from_secs(5));
    assert_eq!(calls.len(), 1, "exactly one API call");
    let call = &calls[0];
    assert_eq!(
        call.answered_status, 200,
        "accepted by the strict stand-in: {:?}",
        call.violations
    );
    assert_eq!(call.path, "/v1/events");
    assert_eq!(call.query, "pid=e2e-pixel");
    assert_eq!(call.header("authorization"), Some("Bearer e2e-secret-key"));
    assert_eq!(call.header("content-type"), Some("application/json"));
    let body = call.json.clone().unwrap();
    assert_eq!(body["validate_only"], json!(false));
    let events = call.events();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    let ts = e["timestamp_ms"].as_u64().unwrap();
    assert!(
        ts >= before && ts <= now_ms(),
        "timestamp_ms is the receipt time"
    );
    let id = e["id"].as_str().unwrap();
    assert_eq!(id.len(), 32, "deterministic fallback id");
    assert_eq!(
        e,
        &json!({
            "id": id,
            "type": "page_viewed",
            "timestamp_ms": ts,
            "action_source": "web",
            "source_url": "https://shop.example.com/landing?oppref=gAAAAB-click_1&utm_source=chatgpt",
            "oppref": "gAAAAB-click_1",
            "user": {"obref": obref_value, "ip_address": "127.0.0.1", "user_agent": "Mozilla/5.0 (e2e)"},
            "data": {"type": "contents"}
        })
    );

    let stats = env.stats();
    for (name, value) in [
        ("collect_requests", 1),
        ("events_received", 1),
        ("events_sent", 1),
        ("api_requests", 1),
        ("api_responses_2xx", 1),
        ("events_invalid", 0),
    ] {
        assert_eq!(stats.get(name).copied(), Some(value), "{name} in {stats:?}");
    }
    env.assert_no_crash();
}

#[test]
fn the_same_hit_replayed_gets_the_same_event_id() {
    let env = Env::start(Options::default());
    let hit = format!("/g/collect?v=2&cid=1.2&_p=42&_s=3&en=page_view&dl={PAGE}");
    env.get(&hit, &[]);
    env.get(&hit, &[]);
    let calls = env.api.wait_for_requests(2, Duration::from_secs(5));
    let ids: Vec<_> = calls.iter().map(|c| c.events()[0]["id"].clone()).collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "the API deduplicates the replay");
}

#[test]
fn other_requests_pass_untouched() {
    let env = Env::start(Options {
        shape: Shape::Upstream,
        ..Options::default()
    });
    let response = env.get("/other/page?en=page_view", &[("Cookie", "__oppref=abc")]);
    assert_eq!(response.status, 200);
    assert!(response.set_cookies().is_empty());
    assert_eq!(
        env.upstream
            .wait_for_requests(1, Duration::from_secs(5))
            .len(),
        1
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(env.api.requests().is_empty());
    assert_eq!(env.stat("collect_requests"), 0);
}
