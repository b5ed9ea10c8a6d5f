//! The validator's rules, one test per rule. Here: the shared example and helpers, and the
//! envelope; each other part of the request is tested in the module named after it.

mod data;
mod event;
mod request;
mod user;

use super::*;
use serde_json::json;

const NOW: u64 = 1_790_000_000_000;
const DAY: u64 = 24 * 60 * 60 * 1000;

/// The v4 example of section 6 of the API doc, timestamps set to "now".
fn example() -> Value {
    json!({
      "validate_only": false,
      "integration_source": "acme_envoy_capi",
      "events": [
        {
          "id": "order_100045",
          "type": "order_created",
          "timestamp_ms": NOW,
          "action_source": "web",
          "source_url": "https://shop.example.com/checkout/confirmation",
          "oppref": "<raw value from ?oppref= or the __oppref cookie>",
          "opt_out": false,
          "user": {
            "obref": "123e4567-e89b-42d3-a456-426614174000",
            "emails_sha256": ["86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d"],
            "phone_numbers_sha256": ["758fbf68945f21c416814c539ab578876c8d98fb69e6da692def92cd52417fe0"],
            "external_ids_sha256": ["e1c1fb4e69054c57bb29fcbf15ee24b728882bfc2008367e81c29745be049aca"],
            "first_names_sha256": ["81f8f6dde88365f3928796ec7aa53f72820b06db8664f5fe76a7eb13e24546a2"],
            "last_names_sha256": ["799ef92a11af918e3fb741df42934f3b568ed2d93ac1df74f1b8d41a27932a6f"],
            "countries": ["US"],
            "regions": ["California"],
            "cities": ["San Francisco"],
            "postal_codes": ["94107"],
            "ip_address": "203.0.113.1",
            "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)"
          },
          "data": {
            "type": "contents",
            "amount": 5198,
            "currency": "USD",
            "contents": [
              { "id": "sku_123", "name": "Starter bundle", "content_type": "product",
                "quantity": 2, "amount": 2599, "currency": "USD" }
            ]
          }
        },
        {
          "id": "lead_77",
          "type": "custom",
          "custom_event_name": "quote_requested",
          "timestamp_ms": NOW + 5000,
          "action_source": "web",
          "source_url": "https://shop.example.com/quote",
          "data": { "type": "custom", "plan_id": "enterprise", "tier": "gold" }
        }
      ]
    })
}

/// Violations of the example after `change`.
fn after(change: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut body = example();
    change(&mut body);
    validate_body(&body, NOW)
}

fn ev0(body: &mut Value) -> &mut Value {
    &mut body["events"][0]
}

fn remove(value: &mut Value, key: &str) {
    value.as_object_mut().unwrap().remove(key);
}

/// Asserts exactly one violation, starting with `path: ` and containing `what`.
#[track_caller]
fn assert_one(violations: &[String], path: &str, what: &str) {
    assert_eq!(
        violations.len(),
        1,
        "expected one violation, got {violations:#?}"
    );
    let v = &violations[0];
    assert!(
        v.starts_with(&format!("{path}: ")) && v.contains(what),
        "expected `{path}: …{what}…`, got {v:?}"
    );
}

#[test]
fn the_v4_example_passes() {
    assert_eq!(validate_body(&example(), NOW), Vec::<String>::new());
}

#[test]
fn a_minimal_event_passes() {
    let body = json!({"events": [{
        "id": "e1", "type": "page_viewed", "timestamp_ms": NOW,
        "action_source": "offline", "data": {"type": "contents"}
    }]});
    assert_eq!(validate_body(&body, NOW), Vec::<String>::new());
}

#[test]
fn body_must_be_an_object() {
    assert_one(&validate_body(&json!([]), NOW), "body", "JSON object");
}

#[test]
fn unknown_top_level_key() {
    assert_one(&after(|b| b["pid"] = json!("x")), "pid", "unknown field");
}

#[test]
fn validate_only_must_be_bool() {
    assert_one(
        &after(|b| b["validate_only"] = json!("true")),
        "validate_only",
        "boolean",
    );
}

#[test]
fn integration_source_rules() {
    assert!(after(|b| b["integration_source"] = json!("  Acme.Envoy-1_x ")).is_empty());
    assert_one(
        &after(|b| b["integration_source"] = json!("-acme")),
        "integration_source",
        "start",
    );
    assert_one(
        &after(|b| b["integration_source"] = json!("acme envoy")),
        "integration_source",
        "may only contain",
    );
    assert_one(
        &after(|b| b["integration_source"] = json!("a".repeat(65))),
        "integration_source",
        "1 to 64",
    );
    assert_one(
        &after(|b| b["integration_source"] = json!("   ")),
        "integration_source",
        "1 to 64",
    );
    assert_one(
        &after(|b| b["integration_source"] = json!(7)),
        "integration_source",
        "string",
    );
}

#[test]
fn events_required_and_sized() {
    assert_one(
        &after(|b| remove(b, "events")),
        "events",
        "Missing required field",
    );
    assert_one(&after(|b| b["events"] = json!([])), "events", "1 to 1000");
    assert_one(&after(|b| b["events"] = json!({})), "events", "array");
    let many = after(|b| {
        let e = b["events"][1].clone();
        b["events"] = Value::Array(vec![e; 1001]);
    });
    assert_one(&many, "events", "got 1001");
    let thousand = after(|b| {
        let e = b["events"][1].clone();
        b["events"] = Value::Array(vec![e; 1000]);
    });
    assert!(thousand.is_empty());
}

#[test]
fn all_violations_are_reported() {
    let v = after(|b| {
        ev0(b)["user"]["emails_sha256"] = json!(["UPPER"]);
        ev0(b)["data"]["amount"] = json!(1.5);
        b["events"][1]["custom_event_name"] = json!("page_viewed");
    });
    assert_eq!(v.len(), 3, "{v:#?}");
}
