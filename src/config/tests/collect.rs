//! The rules of `collect`: endpoints, body and event limits, and the trigger's names.

use super::*;

#[test]
fn collect_rules() {
    assert_eq!(
        field_of(with(&["collect", "endpoints"], json!([]))),
        "collect.endpoints"
    );
    assert_eq!(
        field_of(with(
            &["collect", "endpoints"],
            json!([{"path": "g/collect", "format": "ga4"}])
        )),
        "collect.endpoints[0].path"
    );
    assert_eq!(
        field_of(with(
            &["collect", "endpoints"],
            json!([{"path": "/a?x=1", "format": "ga4"}])
        )),
        "collect.endpoints[0].path"
    );
    assert_eq!(
        field_of(with(
            &["collect", "endpoints"],
            json!([{"path": "/a", "format": "ga4"}, {"path": "/a", "format": "mp"}])
        )),
        "collect.endpoints[1].path"
    );
    assert_eq!(
        field_of(with(
            &["collect", "endpoints"],
            json!([{"path": "/a", "format": "ua"}])
        )),
        "collect.endpoints[0].format"
    );
    assert_eq!(
        field_of(with(&["collect", "max_body_bytes"], json!(0))),
        "collect.max_body_bytes"
    );
    assert_eq!(
        field_of(with(&["collect", "max_body_bytes"], json!(2_000_000))),
        "collect.max_body_bytes"
    );
    assert_eq!(
        field_of(with(&["collect", "max_events_per_request"], json!(0))),
        "collect.max_events_per_request"
    );
    assert_eq!(
        field_of(with(&["collect", "max_events_per_request"], json!(1001))),
        "collect.max_events_per_request"
    );
    assert_eq!(
        field_of(with(&["collect", "max_events_per_request"], json!(-1))),
        "collect.max_events_per_request"
    );
}

#[test]
fn trigger_names_must_not_be_empty() {
    assert_eq!(
        field_of(with(&["trigger", "event_names"], json!(["a", ""]))),
        "trigger.event_names[1]"
    );
    assert_eq!(
        field_of(with(&["trigger", "exclude_event_names"], json!([""]))),
        "trigger.exclude_event_names[0]"
    );
}
