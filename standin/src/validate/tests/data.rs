//! The rules of `data`: shapes per event type, money and content items.

use super::*;

#[test]
fn data_type_rules() {
    assert_one(
        &after(|b| remove(ev0(b), "data")),
        "events[0].data",
        "Missing required field",
    );
    assert_one(
        &after(|b| ev0(b)["data"] = json!("contents")),
        "events[0].data",
        "object",
    );
    assert_one(
        &after(|b| remove(&mut ev0(b)["data"], "type")),
        "events[0].data.type",
        "Missing required field",
    );
    assert_one(
        &after(|b| ev0(b)["data"]["type"] = json!("customer_action")),
        "events[0].data.type",
        "must be \"contents\" for order_created",
    );
    let shaped = |t: &str, shape: &str| {
        json!({"events": [{
            "id": "x", "type": t, "timestamp_ms": NOW, "action_source": "other",
            "custom_event_name": if t == "custom" { json!("my_event") } else { Value::Null },
            "data": {"type": shape}
        }]})
    };
    for t in EVENT_TYPES {
        let shape = data_shape(t).unwrap();
        let mut body = shaped(t, shape);
        if t != "custom" {
            remove(&mut body["events"][0], "custom_event_name");
        }
        if t.starts_with("app_") {
            body["events"][0]["action_source"] = json!("mobile_app");
        }
        assert!(validate_body(&body, NOW).is_empty(), "{t}");
    }
}

#[test]
fn money_rules() {
    let p = "events[0].data";
    assert_one(
        &after(|b| ev0(b)["data"]["amount"] = json!(51.98)),
        &format!("{p}.amount"),
        "not a float",
    );
    assert_one(
        &after(|b| ev0(b)["data"]["amount"] = json!(5198.0)),
        &format!("{p}.amount"),
        "not a float",
    );
    assert_one(
        &after(|b| ev0(b)["data"]["amount"] = json!("5198")),
        &format!("{p}.amount"),
        "integer",
    );
    assert_one(
        &after(|b| ev0(b)["data"]["currency"] = json!("usd")),
        &format!("{p}.currency"),
        "active uppercase ISO 4217",
    );
    assert_one(
        &after(|b| ev0(b)["data"]["currency"] = json!("USDT")),
        &format!("{p}.currency"),
        "active uppercase ISO 4217",
    );
    for not_iso in ["BTC", "EUR0", "US$", "ANG", "XAU", "XTS", "ABC"] {
        assert_one(
            &after(|b| ev0(b)["data"]["currency"] = json!(not_iso)),
            &format!("{p}.currency"),
            "active uppercase ISO 4217",
        );
    }
    assert!(
        ISO_4217.windows(2).all(|w| w[0] < w[1]),
        "sorted for binary search"
    );
    assert_one(
        &after(|b| remove(&mut ev0(b)["data"], "currency")),
        &format!("{p}.currency"),
        "required when amount is present",
    );
}

#[test]
fn shape_specific_keys() {
    let lead = |data: Value| {
        json!({"events": [{
            "id": "l", "type": "lead_created", "timestamp_ms": NOW, "action_source": "web",
            "source_url": "https://a.example/", "data": data
        }]})
    };
    assert_one(
        &validate_body(
            &lead(json!({"type": "customer_action", "contents": [{"content_type": "product"}]})),
            NOW,
        ),
        "events[0].data.contents",
        "not allowed on customer_action",
    );
    assert_one(
        &validate_body(
            &lead(json!({"type": "customer_action", "plan_id": "p"})),
            NOW,
        ),
        "events[0].data.plan_id",
        "only allowed on plan_enrollment and custom",
    );
    assert!(validate_body(
        &lead(json!({"type": "customer_action", "amount": 100, "currency": "EUR"})),
        NOW
    )
    .is_empty());
    assert_one(
        &after(|b| ev0(b)["data"]["tier"] = json!("gold")),
        "events[0].data.tier",
        "custom properties are only allowed on custom data",
    );
    assert_one(
        &after(|b| ev0(b)["data"]["plan_id"] = json!("p")),
        "events[0].data.plan_id",
        "only allowed on plan_enrollment and custom",
    );
    let plan = |data: Value| {
        json!({"events": [{
            "id": "s", "type": "subscription_created", "timestamp_ms": NOW,
            "action_source": "email", "data": data
        }]})
    };
    assert!(validate_body(
        &plan(
            json!({"type": "plan_enrollment", "plan_id": "pro", "amount": 999, "currency": "USD",
        "contents": [{"id": "pro", "content_type": "plan"}]})
        ),
        NOW
    )
    .is_empty());
    assert_one(
        &validate_body(&plan(json!({"type": "plan_enrollment", "plan_id": 3})), NOW),
        "events[0].data.plan_id",
        "string",
    );
    // Custom data takes any extra keys with any JSON values.
    assert!(after(|b| {
        b["events"][1]["data"]["extra"] = json!({"nested": [1, null, true]});
        b["events"][1]["data"]["nothing"] = Value::Null;
    })
    .is_empty());
}

#[test]
fn content_item_rules() {
    let item = "events[0].data.contents[0]";
    let set = |key: &str, v: Value| after(|b| ev0(b)["data"]["contents"][0][key] = v);
    assert_one(
        &after(|b| remove(&mut ev0(b)["data"]["contents"][0], "content_type")),
        &format!("{item}.content_type"),
        "Missing required field",
    );
    assert_one(
        &set("content_type", json!("")),
        &format!("{item}.content_type"),
        "empty",
    );
    assert_one(
        &set("quantity", json!("2")),
        &format!("{item}.quantity"),
        "integer",
    );
    assert_one(
        &set("quantity", json!(2.0)),
        &format!("{item}.quantity"),
        "not a float",
    );
    assert_one(
        &set("amount", json!(25.99)),
        &format!("{item}.amount"),
        "not a float",
    );
    assert_one(
        &set("currency", json!("eur")),
        &format!("{item}.currency"),
        "active uppercase ISO 4217",
    );
    assert_one(
        &set("price", json!(1)),
        &format!("{item}.price"),
        "unknown field",
    );
    assert_one(
        &set("variant_dict", json!("size=m")),
        &format!("{item}.variant_dict"),
        "object",
    );
    assert_one(
        &set("variant_dict", json!({"size": 3})),
        &format!("{item}.variant_dict.size"),
        "string",
    );
    assert!(set("variant_dict", json!({"size": "medium", "color": "red"})).is_empty());
    assert!(set("group_id", json!("bundle")).is_empty());
    assert_one(
        &set("group_id", json!(1)),
        &format!("{item}.group_id"),
        "string",
    );
    // Item amount: the event-level currency covers it ...
    assert!(after(|b| remove(&mut ev0(b)["data"]["contents"][0], "currency")).is_empty());
    // ... but with neither, the item's currency is reported (and the event's, for its amount).
    let none = after(|b| {
        remove(&mut ev0(b)["data"], "amount");
        remove(&mut ev0(b)["data"], "currency");
        remove(&mut ev0(b)["data"]["contents"][0], "currency");
    });
    assert_one(
        &none,
        &format!("{item}.currency"),
        "required when amount is present",
    );
    assert_one(
        &after(|b| ev0(b)["data"]["contents"] = json!([])),
        "events[0].data.contents",
        "empty array",
    );
    assert_one(
        &after(|b| ev0(b)["data"]["contents"] = json!({})),
        "events[0].data.contents",
        "array",
    );
    assert_one(
        &after(|b| ev0(b)["data"]["contents"] = json!(["sku"])),
        item,
        "object",
    );
}
