//! Ingest seen from outside: batched GA4 POSTs in both deployment shapes, enhanced-conversion
//! hashes, Measurement Protocol and Data-Client requests, and bad input that must never hurt
//! the request.

use crate::harness::{Env, Options, Shape};
use serde_json::{json, Value};
use std::time::Duration;

const QUERY: &str =
    "v=2&tid=G-SHOP&cid=111.222&_p=1700000000123&dl=https%3A%2F%2Fshop.example.com%2Fp%2Ftee";
const BATCH: &[u8] = b"en=page_view&_et=12\nen=view_item&cu=EUR&pr1=idSKU_9~nmTee~pr25~qt1";

fn assert_batch_events(events: &[Value]) {
    let types: Vec<_> = events.iter().map(|e| e["type"].clone()).collect();
    assert_eq!(types, [json!("page_viewed"), json!("contents_viewed")]);
    assert_eq!(events[1]["data"]["amount"], json!(2500));
    assert_ne!(events[0]["id"], events[1]["id"], "each line has its own id");
}

#[test]
fn batched_post_with_direct_response_is_read_before_envoy_answers() {
    let env = Env::start(Options::default());
    let r = env.post(
        &format!("/g/collect?{QUERY}"),
        &[("Content-Type", "text/plain;charset=UTF-8")],
        BATCH,
    );
    assert_eq!(r.status, 204);
    assert_batch_events(&env.events_of_calls(1));
    assert!(r.cookie("__obref").is_some());
}

#[test]
fn batched_post_routed_upstream_reaches_it_byte_for_byte() {
    let env = Env::start(Options {
        shape: Shape::Upstream,
        allow_on_headers_stop_iteration: false,
        ..Options::default()
    });
    let r = env.post(
        &format!("/g/collect?{QUERY}"),
        &[("Content-Type", "text/plain;charset=UTF-8")],
        BATCH,
    );
    assert_eq!(r.status, 200, "the upstream's answer");
    assert_batch_events(&env.events_of_calls(1));
    let upstream = env.upstream.wait_for_requests(1, Duration::from_secs(5));
    assert_eq!(upstream.len(), 1);
    assert_eq!(
        upstream[0].body, BATCH,
        "the body reaches the upstream unchanged"
    );
    assert_eq!(upstream[0].query, QUERY);
    assert!(
        r.cookie("__obref").is_some(),
        "cookies are added to the upstream's response"
    );
}

#[test]
fn enhanced_conversions_em_yields_the_decoded_hash() {
    let env = Env::start(Options::default());
    // base64url of sha256("jane.doe@example.com"), as gtag sends it, and a plain country.
    let em = "tv.1~em.huC55WwXzE0SOH4ZSbhQU_vnO8POWhGIcTqdMAzGEz0~co0.NO";
    env.get(
        &format!("/g/collect?{QUERY}&en=begin_checkout&em={em}"),
        &[],
    );
    let e = &env.events_of_calls(1)[0];
    assert_eq!(e["type"], json!("checkout_started"));
    assert_eq!(
        e["user"]["emails_sha256"],
        json!(["86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d"])
    );
    assert_eq!(e["user"]["countries"], json!(["NO"]));
}

#[test]
fn measurement_protocol_request_produces_its_events_without_the_senders_identity() {
    let env = Env::start(Options::default());
    let body = json!({
        "client_id": "123.456", "user_id": "U-1",
        "events": [{"name": "purchase", "params": {
            "transaction_id": "T-9", "value": 12.5, "currency": "EUR",
            "page_location": "https://shop.example.com/thanks",
            "items": [{"item_id": "A", "price": 12.5, "quantity": 1}]}}]
    });
    let r = env.post(
        "/mp/collect?measurement_id=G-SHOP&api_secret=MP-SECRET-123",
        &[
            ("Content-Type", "application/json"),
            ("User-Agent", "server-sdk/1.0"),
        ],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 204);
    let e = &env.events_of_calls(1)[0];
    assert_eq!(e["type"], json!("order_created"));
    assert_eq!(e["id"], json!("T-9"));
    assert_eq!(e["data"]["amount"], json!(1250));
    assert!(
        e["user"].get("ip_address").is_none(),
        "the sender's IP is not the user's: {e}"
    );
    assert!(
        e["user"].get("user_agent").is_none(),
        "the sender's UA is not the user's: {e}"
    );
    assert!(
        !env.log().contains("MP-SECRET-123"),
        "api_secret must never be logged"
    );
}

#[test]
fn data_client_post_produces_its_event() {
    let env = Env::start(Options::default());
    let body = json!({
        "event_name": "sign_up", "email": " Jane@Example.com ",
        "page_location": "https://shop.example.com/signup",
        "consent_state": {"ad_storage": true, "ad_user_data": true}
    });
    let r = env.post(
        "/data?v=2",
        &[("Content-Type", "text/plain")],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 204);
    let e = &env.events_of_calls(1)[0];
    assert_eq!(e["type"], json!("registration_completed"));
    assert_eq!(e["data"], json!({"type": "customer_action"}));
    assert_eq!(
        e["user"]["emails_sha256"],
        json!(["8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d"])
    );
    assert_eq!(e["user"]["ip_address"], json!("127.0.0.1"));
}

#[test]
fn oversized_and_malformed_requests_are_answered_normally_and_counted() {
    let env = Env::start(Options::default());
    let big = vec![b'a'; 70_000];
    let r = env.post(&format!("/g/collect?{QUERY}"), &[], &big);
    assert_eq!(r.status, 204);
    assert_eq!(
        env.wait_stat("bodies_too_large", 1, Duration::from_secs(10)),
        1
    );

    let r = env.get("/g/collect?v=2&en=page_view&dl=%zz", &[]);
    assert_eq!(r.status, 204);
    let r = env.post(
        &format!("/g/collect?{QUERY}"),
        &[],
        b"\xff\xfe\x00binary\nen=page_view",
    );
    assert_eq!(r.status, 204);
    let r = env.post(
        "/mp/collect",
        &[("Content-Type", "application/json")],
        b"{not json",
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        env.wait_stat("events_invalid", 3, Duration::from_secs(10)),
        3
    );
    // The one good line of the mixed body was still delivered.
    let calls = env.api.wait_for_requests(1, Duration::from_secs(5));
    assert_eq!(calls.iter().map(|c| c.events().len()).sum::<usize>(), 1);
    env.assert_no_crash();
}

#[test]
fn a_filter_config_that_overstates_envoy_never_leaves_a_post_hanging() {
    // The filter is told Envoy passes StopIteration through, but Envoy's PluginConfig does not
    // set allow_on_headers_stop_iteration: body callbacks never come while headers are held.
    let env = Env::start(Options {
        filter: json!({"collect": {"allow_on_headers_stop_iteration": true}, "api": {"timeout_ms": 400}}),
        allow_on_headers_stop_iteration: false,
        shape: Shape::Upstream,
        ..Options::default()
    });
    // Answered at all: the harness gives up on a response after 20 s, 50 times the timeout
    // after which the filter releases the request.
    let r = env.post(&format!("/g/collect?{QUERY}"), &[], BATCH);
    assert_eq!(r.status, 200, "released and answered by the upstream");
    assert_eq!(
        env.upstream.wait_for_requests(1, Duration::from_secs(10))[0].body,
        BATCH
    );
    assert!(
        env.log()
            .contains("Envoy's PluginConfig must set allow_on_headers_stop_iteration"),
        "the log says why"
    );
    env.assert_no_crash();
}
