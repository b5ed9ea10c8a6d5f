//! Measurement Protocol mapping and malformed bodies.

use crate::config::Format;
use crate::ingest::tests::run;
use crate::ingest::Ingested;
use serde_json::json;

const PATH: &str = "/mp/collect?measurement_id=G-XXXX&api_secret=SECRET123";

fn mp(body: &str) -> Ingested {
    run(Format::Mp, "POST", PATH, body.as_bytes())
}

#[test]
fn non_personalized_ads_means_ad_personalization_denied_unless_consent_says_otherwise() {
    let out =
        mp(r#"{"client_id": "1.2", "non_personalized_ads": true, "events": [{"name": "a"}]}"#);
    assert_eq!(
        out.events[0]["consent_state"],
        json!({"ad_personalization": false})
    );
    let out = mp(r#"{"client_id": "1.2", "non_personalized_ads": true,
        "consent": {"ad_personalization": "GRANTED"}, "events": [{"name": "a"}]}"#);
    assert_eq!(
        out.events[0]["consent_state"],
        json!({"ad_personalization": true})
    );
    let out =
        mp(r#"{"client_id": "1.2", "non_personalized_ads": false, "events": [{"name": "a"}]}"#);
    assert_eq!(out.events[0].get("consent_state"), None);
}

#[test]
fn events_params_and_request_level_fields() {
    let out = mp(r#"{
        "client_id": "123.456", "user_id": "u-1", "timestamp_micros": 1700000000000000,
        "user_properties": {"tier": {"value": "gold"}, "visits": {"value": 3}, "raw": "x"},
        "events": [
            {"name": "purchase", "params": {"currency": "EUR", "value": 19.99,
              "transaction_id": "T-1", "items": [{"item_id": "A", "price": 19.99, "quantity": 1}],
              "session_id": "1700", "engagement_time_msec": 100}},
            {"name": "page_view", "timestamp_micros": "1700000000500000"}
        ]}"#);
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert_eq!(out.events.len(), 2);
    let purchase = &out.events[0];
    assert_eq!(purchase["event_name"], json!("purchase"));
    assert_eq!(purchase["currency"], json!("EUR"));
    assert_eq!(purchase["value"], json!(19.99));
    assert_eq!(purchase["items"][0]["item_id"], json!("A"));
    assert_eq!(purchase["client_id"], json!("123.456"));
    assert_eq!(purchase["user_id"], json!("u-1"));
    assert_eq!(purchase["timestamp_micros"], json!(1700000000000000_i64));
    assert_eq!(
        purchase["x-ga-mp2-user_properties"],
        json!({"tier": "gold", "visits": 3, "raw": "x"})
    );
    assert_eq!(purchase["x-ga-measurement_id"], json!("G-XXXX"));
    assert_eq!(purchase["x-ga-protocol_version"], json!("2"));
    assert_eq!(
        out.events[1]["timestamp_micros"],
        json!(1700000000500000_i64)
    );
}

#[test]
fn user_data_keeps_three_values_and_consent_becomes_booleans() {
    let out = mp(r#"{"client_id": "1.2",
        "user_data": {"sha256_email_address": ["aa", "", "bb", "cc", "dd"], "sha256_phone_number": "cc",
                      "address": [{"sha256_first_name": "f", "sha256_last_name": "l",
                                   "sha256_street": "s", "city": "oslo", "region": "03",
                                   "postal_code": "0150", "country": "NO", "other": "x"}, {}]},
        "consent": {"ad_user_data": "GRANTED", "ad_personalization": "denied"},
        "events": [{"name": "sign_up"}]}"#);
    let event = &out.events[0];
    // An array of one (the empty address is dropped) is unwrapped: `user_data.address.city`
    // references keep working for the common single address.
    assert_eq!(
        event["user_data"],
        json!({"sha256_email_address": ["aa", "bb", "cc"], "sha256_phone_number": "cc",
               "address": {"sha256_first_name": "f", "sha256_last_name": "l",
                           "sha256_street": "s", "city": "oslo", "region": "03",
                           "postal_code": "0150", "country": "NO"}})
    );
    assert_eq!(
        event["consent_state"],
        json!({"ad_user_data": true, "ad_personalization": false})
    );
    let out = mp(r#"{"user_data": {"address": {"city": "x"}}, "events": [{"name": "a"}]}"#);
    assert_eq!(
        out.events[0]["user_data"],
        json!({"address": {"city": "x"}})
    );
}

#[test]
fn raw_user_data_keys_are_read_up_to_three_values_and_addresses() {
    let out = mp(r#"{"user_data": {
            "email_address": [" Ada@Example.COM ", "b@c.de"], "phone_number": 14155552671,
            "address": [{"first_name": "Mary Jane", "last_name": "O'Connor", "street": "1 Main St"},
                        {"first_name": "Ada"}, {"city": "Oslo"}, {"city": "Bergen"}]},
        "events": [{"name": "sign_up"}]}"#);
    assert_eq!(
        out.events[0]["user_data"],
        json!({"email_address": [" Ada@Example.COM ", "b@c.de"], "phone_number": 14155552671u64,
               "address": [{"first_name": "Mary Jane", "last_name": "O'Connor", "street": "1 Main St"},
                           {"first_name": "Ada"}, {"city": "Oslo"}]})
    );
}

#[test]
fn the_sender_address_and_user_agent_are_not_the_users() {
    let out = mp(r#"{"events": [{"name": "a"}]}"#);
    assert_eq!(out.events[0].get("ip_override"), None);
    assert_eq!(out.events[0].get("user_agent"), None);
    let out = mp(r#"{"ip_override": "203.0.113.5", "user_agent": "UA/1",
                    "events": [{"name": "a"}, {"name": "b", "params": {"ip_override": "192.0.2.1"}}]}"#);
    assert_eq!(out.events[0]["ip_override"], json!("203.0.113.5"));
    assert_eq!(out.events[0]["user_agent"], json!("UA/1"));
    assert_eq!(out.events[1]["ip_override"], json!("192.0.2.1"));
}

#[test]
fn timestamps_must_be_integers() {
    let out = mp(
        r#"{"timestamp_micros": 1.7e15, "events": [{"name": "a"}, {"name": "b", "timestamp_micros": "soon"}]}"#,
    );
    assert_eq!(
        out.events[0]["timestamp_micros"],
        json!(1700000000000000_i64)
    );
    assert_eq!(
        out.events[1]["timestamp_micros"],
        json!(1700000000000000_i64)
    );
    assert_eq!(
        out.notes,
        vec!["events[1]: `timestamp_micros` is not an integer; ignored"]
    );
}

#[test]
fn bad_elements_are_rejected_one_by_one() {
    let out =
        mp(r#"{"events": [{"name": "ok"}, "x", {"params": {}}, {"name": 5}, {"name": "ok2"}]}"#);
    assert_eq!(out.events.len(), 2);
    let reasons: Vec<&str> = out.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        vec![
            "events[1] is not an object",
            "events[2] has no string `name`",
            "events[3] has no string `name`"
        ]
    );
}

#[test]
fn malformed_bodies_are_one_rejection() {
    for (body, reason) in [
        ("{\"events\": [", "not valid JSON"),
        ("[]", "not a JSON object"),
        ("\"str\"", "not a JSON object"),
        ("{}", "no `events` array"),
        ("{\"events\": {}}", "no `events` array"),
        ("", "without a body"),
        ("  \n", "without a body"),
    ] {
        let out = mp(body);
        assert!(out.events.is_empty(), "{body}");
        assert_eq!(out.rejected.len(), 1, "{body}");
        assert!(
            out.rejected[0].reason.contains(reason),
            "{body}: {:?}",
            out.rejected
        );
    }
    let out = run(Format::Mp, "GET", PATH, br#"{"events": [{"name": "a"}]}"#);
    assert_eq!(
        out.rejected[0].reason,
        "Measurement Protocol requests must be POST"
    );
}

#[test]
fn huge_values_and_items_are_capped() {
    let items: Vec<String> = (0..205)
        .map(|i| format!("{{\"item_id\":\"{i}\"}}"))
        .collect();
    let body = format!(
        r#"{{"events": [{{"name": "a", "params": {{"note": "{}", "items": [{}]}}}}]}}"#,
        "y".repeat(9000),
        items.join(",")
    );
    let out = mp(&body);
    assert_eq!(out.events[0].get("note"), None);
    assert_eq!(out.events[0]["items"].as_array().unwrap().len(), 200);
    assert_eq!(out.notes.len(), 2);
}

// Before the fix, `user_properties`, `user_data` and `consent` were cloned into every event (8 KB
// of properties under 1,000 events: 31 MB). They are now lent to each event in turn; every
// event still sees them, and one event's own `user_data` does not leak into the next.
#[test]
fn shared_maps_reach_every_event_without_being_copied() {
    let events: Vec<String> = (0..5)
        .map(|i| {
            if i == 2 {
                r#"{"name": "own", "params": {"user_data": {"sha256_email_address": "own"}}}"#
                    .to_owned()
            } else {
                format!(r#"{{"name": "e{i}"}}"#)
            }
        })
        .collect();
    let out = mp(&format!(
        r#"{{"user_properties": {{"tier": {{"value": "gold"}}}},
            "user_data": {{"sha256_email_address": ["{}"]}},
            "consent": {{"ad_user_data": "GRANTED"}}, "events": [{}]}}"#,
        "a".repeat(64),
        events.join(",")
    ));
    assert_eq!(out.events.len(), 5);
    for (i, event) in out.events.iter().enumerate() {
        assert_eq!(
            event["x-ga-mp2-user_properties"],
            json!({"tier": "gold"}),
            "{i}"
        );
        assert_eq!(event["consent_state"], json!({"ad_user_data": true}), "{i}");
        let email = &event["user_data"]["sha256_email_address"];
        if i == 2 {
            assert_eq!(email, &json!("own"));
        } else {
            assert_eq!(email, &json!("a".repeat(64)), "{i}");
        }
    }
}
