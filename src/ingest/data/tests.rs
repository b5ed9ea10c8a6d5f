//! Data Client encodings, aliases and malformed input.

use crate::config::Format;
use crate::ingest::tests::{facts, run};
use crate::ingest::{ingest, Ingested, Limits};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

fn post(body: &str, content_type: &str) -> Ingested {
    post_with(body, content_type, &Limits::new(50))
}

fn post_with(body: &str, content_type: &str, limits: &Limits) -> Ingested {
    ingest(
        Format::Data,
        &facts(
            "POST",
            "/data?v=2&event=page_view&richsstsse",
            &[
                ("content-type", content_type),
                ("user-agent", "UA/2"),
                ("cookie", "_dcid=dcid.1.2.3"),
            ],
        ),
        body.as_bytes(),
        limits,
    )
}

#[test]
fn get_query_keys_are_strings_with_dtcd_and_dtdc_merged() {
    let dtdc = STANDARD.encode(r#"{"page_location":"https://shop.example/","value":12.5}"#);
    let dtcd = "%7B%22currency%22%3A%22EUR%22%2C%22v%22%3A%223%22%7D";
    let out = run(
        Format::Data,
        "GET",
        &format!(
            "/data?v=2&event_name=page_view&value=1&dtdc={}&dtcd={dtcd}",
            dtdc.replace('=', "%3D")
        ),
        b"",
    );
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    let event = &out.events[0];
    assert_eq!(event["event_name"], json!("page_view"));
    assert_eq!(event["page_location"], json!("https://shop.example/"));
    assert_eq!(
        event["value"],
        json!(12.5),
        "expanded keys beat plain query keys"
    );
    assert_eq!(event["currency"], json!("EUR"));
    assert_eq!(event["v"], json!("3"));
    assert_eq!(event.get("dtdc"), None);
    assert_eq!(event["ip_override"], json!("198.51.100.7"));
    assert_eq!(event["user_agent"], json!("Mozilla/5.0 test"));
}

#[test]
fn post_json_object_body_wins_over_the_query_and_aliases_apply() {
    let out = post(
        r#"{"eventName": "purchase", "event_name": null, "ip": "203.0.113.9", "userAgent": "UA/1",
            "url": "https://shop.example/thanks", "referrer": "https://google.com/",
            "hostname": "shop.example", "userId": "u1", "e_v": 99.5,
            "items": [{"item_id": "A", "currency": "NOK", "price": 99.5}],
            "consent_state": {"ad_storage": true, "ad_user_data": false},
            "common_cookie": {"__oppref": "click-1", "_fbp": "fb.1"}}"#,
        "text/plain",
    );
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    let event = &out.events[0];
    assert_eq!(event["event"], json!("page_view"), "query keys are kept");
    assert_eq!(
        event["event_name"],
        json!("purchase"),
        "null canonical key counts as missing"
    );
    assert_eq!(event["client_id"], json!("dcid.1.2.3"));
    assert_eq!(event["ip_override"], json!("198.51.100.7"), "the peer's");
    assert_eq!(event["user_agent"], json!("UA/2"), "the header's");
    assert_eq!(event["page_location"], json!("https://shop.example/thanks"));
    assert_eq!(event["page_referrer"], json!("https://google.com/"));
    assert_eq!(event["page_hostname"], json!("shop.example"));
    assert_eq!(event["user_id"], json!("u1"));
    assert_eq!(event["value"], json!(99.5));
    assert_eq!(event["currency"], json!("NOK"));
    assert_eq!(
        event["consent_state"],
        json!({"ad_storage": true, "ad_user_data": false})
    );
    assert_eq!(event["common_cookie"]["__oppref"], json!("click-1"));
    assert_eq!(event.get("x-ga-mp2-richsstsse"), None);
    assert_eq!(event["richsstsse"], json!(""));
}

#[test]
fn event_name_aliases_in_order_and_no_default() {
    let out = post(r#"{"e_n": "c", "event": "b"}"#, "text/plain");
    assert_eq!(out.events[0]["event_name"], json!("b"));
    let out = ingest(
        Format::Data,
        &facts("POST", "/data", &[]),
        br#"{"x": 1}"#,
        &Limits::new(5),
    );
    assert_eq!(out.events[0].get("event_name"), None);
}

#[test]
fn flat_aliases_build_user_data_only_when_none_was_sent() {
    let out = post(
        r#"{"email": "A@B.C", "phone": "+4712345678", "firstName": "Ola", "surname": "Nordmann",
            "street": "Gate 1", "city": "Oslo", "state": "Oslo", "zip": "0150", "country": "NO"}"#,
        "text/plain",
    );
    assert_eq!(
        out.events[0]["user_data"],
        json!({"email_address": "A@B.C", "phone_number": "+4712345678",
               "address": {"first_name": "Ola", "last_name": "Nordmann", "street": "Gate 1",
                           "city": "Oslo", "region": "Oslo", "postal_code": "0150",
                           "country": "NO"}})
    );
    let out = post(
        r#"{"email": "a@b.c", "user_data": {"sha256_email_address": "abc"}}"#,
        "text/plain",
    );
    assert_eq!(
        out.events[0]["user_data"],
        json!({"sha256_email_address": "abc"})
    );
}

#[test]
fn json_array_is_several_events_and_non_objects_are_rejected() {
    let out = post(r#"[{"event": "a"}, 3, {"event": "b"}, null]"#, "text/plain");
    let names: Vec<_> = out.events.iter().map(|e| e["event_name"].clone()).collect();
    assert_eq!(names, vec![json!("a"), json!("b")]);
    let reasons: Vec<&str> = out.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        vec![
            "body element 1 is not a JSON object",
            "body element 3 is not a JSON object"
        ]
    );
}

#[test]
fn form_bodies_expand_dotted_names_and_parse_json_values() {
    let out = post(
        "event_name=purchase&value=19.99&transaction_id=00123&items.0.item_id=A&items.0.price=5\
         &items.1.item_id=B&user_data.email_address=a%40b.c&flag=true&items.9999.x=1",
        "application/x-www-form-urlencoded; charset=UTF-8",
    );
    let event = &out.events[0];
    assert_eq!(event["event_name"], json!("purchase"));
    assert_eq!(event["value"], json!(19.99));
    assert_eq!(event["transaction_id"], json!("00123"));
    assert_eq!(
        event["items"],
        json!([{"item_id": "A", "price": 5}, {"item_id": "B"}])
    );
    assert_eq!(event["user_data"], json!({"email_address": "a@b.c"}));
    assert_eq!(event["flag"], json!(true));
    assert_eq!(
        out.notes,
        vec!["body: parameter `items.9999.x` ignored: array index above 200"]
    );
}

#[test]
fn dtdc_and_dtcd_are_plain_strings_on_post() {
    let out = post("{}", "text/plain");
    assert_eq!(out.events.len(), 1);
    let out = ingest(
        Format::Data,
        &facts("POST", "/data?dtdc=!!!&event=x", &[]),
        b"",
        &Limits::new(5),
    );
    assert_eq!(out.events[0]["dtdc"], json!("!!!"));
}

#[test]
fn malformed_inputs_are_rejected() {
    for (method, path, body, reason) in [
        (
            "GET",
            "/data?dtdc=%%%",
            "",
            "query: invalid percent-escape in the value of `dtdc`",
        ),
        (
            "GET",
            "/data?dtdc=!!notbase64",
            "",
            "`dtdc` is not valid base64",
        ),
        (
            "GET",
            "/data?dtdc=bm90IGpzb24",
            "",
            "`dtdc` is not valid JSON",
        ),
        ("GET", "/data?dtdc=WzFd", "", "`dtdc` is not a JSON object"),
        ("GET", "/data?dtcd=%7Bbad", "", "`dtcd` is not valid JSON"),
        ("GET", "/data", "", "request carries no event data"),
        ("POST", "/data", "{\"event\":", "body is not valid JSON"),
        (
            "POST",
            "/data",
            "\"just a string\"",
            "neither a JSON object nor an array",
        ),
        (
            "POST",
            "/data?e=%FF",
            "{}",
            "query: the value of `e` is not valid UTF-8",
        ),
    ] {
        let out = run(Format::Data, method, path, body.as_bytes());
        assert!(out.events.is_empty(), "{path} {body}");
        assert_eq!(out.rejected.len(), 1, "{path} {body}");
        assert!(
            out.rejected[0].reason.contains(reason),
            "{path} {body}: {:?}",
            out.rejected
        );
    }
    let out = post("a=%zz", "application/x-www-form-urlencoded");
    assert_eq!(
        out.rejected[0].reason,
        "body: invalid percent-escape in the value of `a`"
    );
}

#[test]
fn huge_values_are_dropped_with_a_note() {
    let out = post(
        &format!(r#"{{"event": "a", "big": "{}"}}"#, "z".repeat(9000)),
        "text/plain",
    );
    assert_eq!(out.events[0].get("big"), None);
    assert_eq!(
        out.notes,
        vec!["event 0: parameter `big` dropped: value longer than 8192 bytes"]
    );
}

// Before the fix the sender's `ip_override` / `ip` / `user_agent` always beat the peer's, so any
// browser could claim another address for its conversions.
#[test]
fn the_peer_ip_and_user_agent_win_unless_the_sender_is_trusted() {
    let body = r#"{"event_name": "x", "ip_override": "203.0.113.9", "user_agent": "Claimed/1"}"#;
    let event = &post(body, "application/json").events[0];
    assert_eq!(event["ip_override"], json!("198.51.100.7"));
    assert_eq!(event["user_agent"], json!("UA/2"));
    for body in [
        r#"{"event_name": "x", "ip": "203.0.113.9", "userAgent": "Claimed/1"}"#,
        r#"{"event_name": "x", "ipOverride": "203.0.113.9", "user_agent": "Claimed/1"}"#,
    ] {
        let event = &post(body, "application/json").events[0];
        assert_eq!(event["ip_override"], json!("198.51.100.7"), "{body}");
        assert_eq!(event["user_agent"], json!("UA/2"), "{body}");
    }

    let trusted = Limits {
        trust_client_ip_and_user_agent: true,
        ..Limits::new(50)
    };
    let event = &post_with(body, "application/json", &trusted).events[0];
    assert_eq!(event["ip_override"], json!("203.0.113.9"));
    assert_eq!(event["user_agent"], json!("Claimed/1"));
    let event = &post_with(
        r#"{"event_name": "x", "ip": "203.0.113.9"}"#,
        "application/json",
        &trusted,
    )
    .events[0];
    assert_eq!(event["ip_override"], json!("203.0.113.9"), "aliases too");
    let event = &post_with(r#"{"event_name": "x"}"#, "application/json", &trusted).events[0];
    assert_eq!(
        event["ip_override"],
        json!("198.51.100.7"),
        "the peer fills in"
    );
}

// Before the fix the query was cloned into every body object (8 KB under 1,000 objects: 25 MB).
// Its values are now lent to each event in turn; every event still sees them, and a body
// object's own value for a query key stays its own.
#[test]
fn the_query_reaches_every_body_object_without_being_copied() {
    let out = ingest(
        Format::Data,
        &facts(
            "POST",
            "/data?event_name=page_view&page_location=https%3A%2F%2Fshop.example%2F&v=2",
            &[("content-type", "application/json")],
        ),
        br#"[{"a": 1}, {"event_name": "purchase"}, {"a": 3}]"#,
        &Limits::new(50),
    );
    assert_eq!(out.events.len(), 3);
    let names: Vec<_> = out.events.iter().map(|e| e["event_name"].clone()).collect();
    assert_eq!(
        names,
        vec![json!("page_view"), json!("purchase"), json!("page_view")]
    );
    for event in &out.events {
        assert_eq!(event["page_location"], json!("https://shop.example/"));
        assert_eq!(event["v"], json!("2"));
    }
    assert_eq!(out.events[2]["a"], json!(3));
}
