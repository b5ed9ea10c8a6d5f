//! Conversion edges in real Envoy: the data layer's `ecommerce` totals, the cookie domain behind
//! a proxy, GA4 item categories that start with a digit, and log records with Stape's values.

use crate::harness::{Env, Options, PIXEL_ID};
use capi_standin::Faults;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const PAGE: &str = "https%3A%2F%2Fshop.example.com%2Fcheckout%2Fthank-you";

/// The first Envoy log line holding every one of `parts`, waiting for it to be written.
fn log_line(env: &Env, parts: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let log = env.log();
        if let Some(line) = log.lines().find(|l| parts.iter().all(|p| l.contains(p))) {
            return line.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no log line with {parts:?}:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The JSON record a log line carries (`… wasm log …: {…}`).
fn record(line: &str) -> Value {
    let start = line.find("{\"Name\"").expect("a record");
    serde_json::from_str(&line[start..]).expect("a JSON record")
}

#[test]
fn data_client_purchase_takes_value_and_currency_from_the_ecommerce_object() {
    let env = Env::start(Options::default());
    let body = json!({
        "event_name": "purchase",
        "page_location": "https://shop.example.com/checkout/thank-you",
        "ecommerce": {
            "transaction_id": "T-EC-1",
            "value": 42.5,
            "currency": "EUR",
            // The items sum (40.00) differs from `value`: shipping is in the order total.
            "items": [{"item_id": "SKU_1", "item_name": "Tee", "price": 20, "quantity": 2}]
        }
    });
    let r = env.post(
        "/data",
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 204);
    let e = env.only_event();
    assert_eq!(e["type"], json!("order_created"));
    assert_eq!(e["data"]["amount"], json!(4250));
    assert_eq!(e["data"]["currency"], json!("EUR"));
    assert_eq!(
        e["data"]["contents"][0],
        json!({"id": "SKU_1", "name": "Tee", "quantity": 2, "amount": 2000,
               "content_type": "product"})
    );
}

#[test]
fn a_top_level_value_beats_the_ecommerce_value() {
    let env = Env::start(Options::default());
    let body = json!({
        "event_name": "purchase",
        "page_location": "https://shop.example.com/",
        "value": 10, "currency": "USD",
        "ecommerce": {"value": 42.5, "currency": "EUR"}
    });
    env.post(
        "/data",
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    );
    let e = env.only_event();
    assert_eq!(
        (&e["data"]["amount"], &e["data"]["currency"]),
        (&json!(1000), &json!("USD"))
    );
}

/// The `Domain` of the `__obref` cookie a GA4 hit through an internal gateway host gets.
fn obref_domain_behind_a_gateway(trust_forwarded_host: bool) -> Option<String> {
    let env = Env::start(Options {
        filter: json!({"cookie": {"trust_forwarded_host": trust_forwarded_host}}),
        ..Options::default()
    });
    // No page_location and no Referer: the request host alone decides.
    let r = env.get(
        "/g/collect?v=2&cid=1.2&_p=31&en=page_view",
        &[
            ("Host", "capi-gw.internal.svc"),
            ("X-Forwarded-Host", "shop.example.com"),
        ],
    );
    assert_eq!(r.status, 204);
    let cookie = r.cookie("__obref").expect("__obref is written").to_owned();
    cookie
        .split("; ")
        .find_map(|a| a.strip_prefix("Domain="))
        .map(str::to_owned)
}

#[test]
fn behind_a_trusted_proxy_the_forwarded_host_decides_the_cookie_domain() {
    assert_eq!(
        obref_domain_behind_a_gateway(true).as_deref(),
        Some("example.com")
    );
}

#[test]
fn an_untrusted_forwarded_host_does_not_pick_the_cookie_domain() {
    // The gateway's own (useless to the browser) domain, as before: off by default.
    assert_eq!(
        obref_domain_behind_a_gateway(false).as_deref(),
        Some("internal.svc")
    );
}

#[test]
fn a_ga4_category_starting_with_a_digit_is_item_category() {
    // The event id is taken from the first item's category, so the payload shows where the
    // category landed.
    let env = Env::start(Options {
        filter: json!({"server_event_data": {"overrides": {"id": "{{event.items.0.item_category}}"}}}),
        ..Options::default()
    });
    let r = env.get(
        &format!(
            "/g/collect?v=2&cid=1.2&_p=32&en=view_item&dl={PAGE}&cu=EUR\
             &pr1=idSKU_1~nmTee~ca2024%20Collection~pr10"
        ),
        &[("Host", "shop.example.com")],
    );
    assert_eq!(r.status, 204);
    let e = env.only_event();
    assert_eq!(e["id"], json!("2024 Collection"));
}

#[test]
fn log_records_carry_stapes_name_pixel_message_and_failure_wording() {
    let env = Env::start(Options {
        filter: json!({"logging": {"console": "always"}, "api": {"timeout_ms": 400}}),
        ..Options::default()
    });
    let pixel = format!("Pixel ID: {PIXEL_ID}");
    // A delivered call: Request and Response records.
    env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=33&en=page_view&dl={PAGE}"),
        &[],
    );
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);
    for kind in ["\"Type\":\"Request\"", "\"Type\":\"Response\""] {
        let r = record(&log_line(&env, &[kind]));
        assert_eq!(r["Name"], "OpenAIEventsAPITag", "{r}");
        assert_eq!(r["Message"], pixel.as_str(), "{r}");
    }
    // An invalid event (no page URL on a web event).
    env.get("/g/collect?v=2&cid=1.2&_p=34&en=page_view", &[]);
    let invalid = record(&log_line(&env, &["Request was not sent"]));
    assert_eq!(invalid["Name"], "OpenAIEventsAPITag");
    assert_eq!(invalid["Type"], "Message");
    assert_eq!(invalid["Message"], "🛑 [ERROR] Request was not sent.");
    assert_eq!(
        invalid["Reason"],
        "source_url is required when action_source is web"
    );
    assert!(invalid["RequestUrl"]
        .as_str()
        .is_some_and(|u| u.ends_with("/g/collect")));
    // A reset, then a timeout: Stape's failure record, with the cause in Reason.
    env.api.set_faults(Faults {
        reset: Some(1),
        ..Faults::default()
    });
    env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=35&en=page_view&dl={PAGE}"),
        &[],
    );
    let failed = format!("Request failed or timed out. {pixel}");
    let reset = record(&log_line(&env, &[&failed, "connection reset or refused"]));
    assert_eq!(reset["Type"], "Message");
    assert_eq!(reset["EventName"], "page_viewed");
    let reason: Value = serde_json::from_str(reset["Reason"].as_str().unwrap()).unwrap();
    assert_eq!(reason["error"], "connection reset or refused", "{reason}");
    env.api.set_faults(Faults {
        delay_ms: 2000,
        ..Faults::default()
    });
    env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=36&en=page_view&dl={PAGE}"),
        &[],
    );
    let timeout = record(&log_line(&env, &[&failed, "timeout"]));
    assert_eq!(timeout["Reason"], r#"{"error":"timeout"}"#);
    env.assert_no_crash();
}
