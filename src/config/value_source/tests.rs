use super::*;
use serde_json::json;

#[test]
fn literals_and_references() {
    assert_eq!(
        ValueSource::parse(json!(5)),
        Ok(ValueSource::Literal(json!(5).into()))
    );
    assert_eq!(
        ValueSource::parse(json!("plain")),
        Ok(ValueSource::Literal(json!("plain").into()))
    );
    assert_eq!(
        ValueSource::parse(json!("{{event.user_data.address.city}}")),
        Ok(ValueSource::Event("user_data.address.city".into()))
    );
    assert_eq!(
        ValueSource::parse(json!("{{header.X-Order-Id}}")),
        Ok(ValueSource::Header("x-order-id".into()))
    );
    assert_eq!(
        ValueSource::parse(json!("{{cookie._ga}}")),
        Ok(ValueSource::Cookie("_ga".into()))
    );
    assert_eq!(
        ValueSource::parse(json!("{{query.oid}}")),
        Ok(ValueSource::Query("oid".into()))
    );
}

#[test]
fn malformed_references_are_errors() {
    for bad in [
        "{{event.a}} and more",
        "prefix {{event.a}}",
        "{{event}}",
        "{{event.}}",
        "{{event.a..b}}",
        "{{env.SECRET}}",
        "{{event.a",
        "event.a}}",
        "{{header.a b}}",
    ] {
        assert!(ValueSource::parse(json!(bad)).is_err(), "{bad}");
    }
}
