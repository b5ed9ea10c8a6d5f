//! The rules of `event`: keys, id, type, custom name, timestamp window, action source, URL.

use super::*;

#[test]
fn event_must_be_object() {
    assert_one(
        &after(|b| b["events"][1] = json!("x")),
        "events[1]",
        "object",
    );
}

#[test]
fn unknown_event_keys() {
    assert_one(
        &after(|b| ev0(b)["event_name"] = json!("x")),
        "events[0].event_name",
        "unknown field",
    );
    assert_one(
        &after(|b| ev0(b)["oppcref"] = json!("x")),
        "events[0].oppcref",
        "unknown field",
    );
}

#[test]
fn id_rules() {
    assert_one(
        &after(|b| remove(ev0(b), "id")),
        "events[0].id",
        "Missing required field",
    );
    assert_one(
        &after(|b| ev0(b)["id"] = json!("")),
        "events[0].id",
        "empty",
    );
    assert_one(
        &after(|b| ev0(b)["id"] = json!(5)),
        "events[0].id",
        "string",
    );
}

#[test]
fn type_rules() {
    assert_one(
        &after(|b| remove(ev0(b), "type")),
        "events[0].type",
        "Missing required field",
    );
    // The data shape no longer has an expected type, so only the type is reported.
    assert_one(
        &after(|b| ev0(b)["type"] = json!("purchase")),
        "events[0].type",
        "unknown event type",
    );
    for t in EVENT_TYPES {
        assert!(data_shape(t).is_some(), "{t}");
    }
}

#[test]
fn custom_event_name_rules() {
    assert_one(
        &after(|b| remove(&mut b["events"][1], "custom_event_name")),
        "events[1].custom_event_name",
        "required when type is custom",
    );
    assert_one(
        &after(|b| ev0(b)["custom_event_name"] = json!("x")),
        "events[0].custom_event_name",
        "only allowed when type is custom",
    );
    assert!(after(|b| b["events"][1]["custom_event_name"] = json!("Quote-Requested_2")).is_empty());
    for (bad, what) in [
        ("-quote", "start and end"),
        ("quote_", "start and end"),
        ("quote requested", "may only contain"),
        ("quöte", "may only contain"),
        ("", "1 to 64"),
        (&"q".repeat(65), "1 to 64"),
        ("Order_Created", "standard event type"),
        ("custom", "standard event type"),
    ] {
        assert_one(
            &after(|b| b["events"][1]["custom_event_name"] = json!(bad)),
            "events[1].custom_event_name",
            what,
        );
    }
}

#[test]
fn timestamp_rules() {
    let ts = "events[0].timestamp_ms";
    assert_one(
        &after(|b| remove(ev0(b), "timestamp_ms")),
        ts,
        "Missing required field",
    );
    assert_one(
        &after(|b| ev0(b)["timestamp_ms"] = json!(NOW.to_string())),
        ts,
        "integer",
    );
    assert_one(
        &after(|b| ev0(b)["timestamp_ms"] = json!(NOW as f64)),
        ts,
        "not a float",
    );
    assert_one(
        &after(|b| ev0(b)["timestamp_ms"] = json!(NOW - 7 * DAY - 1)),
        ts,
        "7 days in the past",
    );
    assert_one(
        &after(|b| ev0(b)["timestamp_ms"] = json!(NOW + 600_001)),
        ts,
        "10 minutes in the future",
    );
    assert_one(
        &after(|b| ev0(b)["timestamp_ms"] = json!(-1)),
        ts,
        "7 days in the past",
    );
    assert!(after(|b| ev0(b)["timestamp_ms"] = json!(NOW - 7 * DAY)).is_empty());
    assert!(after(|b| ev0(b)["timestamp_ms"] = json!(NOW + 600_000)).is_empty());
}

#[test]
fn action_source_rules() {
    let p = "events[0].action_source";
    // Without action_source the web-only source_url rule does not apply.
    assert_one(
        &after(|b| remove(ev0(b), "action_source")),
        p,
        "Missing required field",
    );
    assert_one(
        &after(|b| ev0(b)["action_source"] = json!("website")),
        p,
        "unknown action source",
    );
    let app = |t: &str, source: &str| {
        json!({"events": [{
            "id": "a1", "type": t, "timestamp_ms": NOW, "action_source": source,
            "data": {"type": "customer_action"}
        }]})
    };
    assert!(validate_body(&app("app_installed", "mobile_app"), NOW).is_empty());
    assert!(validate_body(&app("app_opened", "mobile_app"), NOW).is_empty());
    assert_one(
        &validate_body(&app("app_opened", "other"), NOW),
        p,
        "must be mobile_app",
    );
}

#[test]
fn source_url_rules() {
    let p = "events[0].source_url";
    assert_one(
        &after(|b| remove(ev0(b), "source_url")),
        p,
        "required when action_source is web",
    );
    assert!(after(|b| {
        remove(ev0(b), "source_url");
        ev0(b)["action_source"] = json!("email");
    })
    .is_empty());
    for bad in [
        "shop.example.com/checkout",
        "ftp://shop.example.com/x",
        "https://",
        "https:shop.example.com",
        "https://shop example.com/",
        "",
        "/checkout",
    ] {
        assert_one(&after(|b| ev0(b)["source_url"] = json!(bad)), p, "");
    }
    // Still checked when not required.
    assert_one(
        &after(|b| {
            ev0(b)["action_source"] = json!("offline");
            ev0(b)["source_url"] = json!("nope");
        }),
        p,
        "absolute",
    );
    assert!(after(|b| ev0(b)["source_url"] = json!("HTTP://shop.example.com:8080")).is_empty());
}

#[test]
fn oppref_and_opt_out() {
    assert_one(
        &after(|b| ev0(b)["oppref"] = json!("")),
        "events[0].oppref",
        "empty",
    );
    assert_one(
        &after(|b| ev0(b)["oppref"] = json!(null)),
        "events[0].oppref",
        "string",
    );
    assert_one(
        &after(|b| ev0(b)["opt_out"] = json!("false")),
        "events[0].opt_out",
        "boolean",
    );
}
