//! Whose IP and User-Agent a Data-Client event carries: the peer's by default, the request's
//! own only when `collect.trust_client_ip_and_user_agent` says so (Stape's behaviour). Before,
//! any browser could claim another address for its conversions.

use crate::harness::{Env, Options};
use serde_json::{json, Value};
use std::time::Duration;

const BROWSER_UA: &str = "Mozilla/5.0 (real browser)";

/// Sends one Data-Client event that claims another IP and User-Agent; returns the user object
/// the API received.
fn user_sent(filter: Value) -> Value {
    let env = Env::start(Options {
        filter,
        ..Options::default()
    });
    let body = json!({
        "event_name": "sign_up", "page_location": "https://shop.example.com/signup",
        "ip_override": "203.0.113.9", "user_agent": "Claimed/1.0"
    });
    let r = env.post(
        "/data?v=2",
        &[
            ("Content-Type", "application/json"),
            ("User-Agent", BROWSER_UA),
        ],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 204);
    let calls = env.api.wait_for_requests(1, Duration::from_secs(5));
    assert_eq!(calls.len(), 1, "one API call");
    assert_eq!(calls[0].answered_status, 200, "{:?}", calls[0].violations);
    calls[0].events()[0]["user"].clone()
}

#[test]
fn data_client_events_carry_the_peer_ip_and_user_agent_by_default() {
    let user = user_sent(json!({}));
    assert_eq!(user["ip_address"], json!("127.0.0.1"));
    assert_eq!(user["user_agent"], json!(BROWSER_UA));
}

#[test]
fn data_client_events_carry_the_claimed_ip_and_user_agent_when_trusted() {
    let user = user_sent(json!({"collect": {"trust_client_ip_and_user_agent": true}}));
    assert_eq!(user["ip_address"], json!("203.0.113.9"));
    assert_eq!(user["user_agent"], json!("Claimed/1.0"));
}
