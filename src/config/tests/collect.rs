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

#[test]
fn measurement_ids_are_trimmed_non_empty_and_listed_once() {
    let c = parse(with(
        &["collect", "measurement_ids"],
        json!([" G-SHOP ", "G-BLOG"]),
    ))
    .unwrap();
    assert_eq!(
        c.collect.measurement_ids,
        Some(vec!["G-SHOP".to_owned(), "G-BLOG".to_owned()])
    );
    let null = parse(with(&["collect", "measurement_ids"], json!(null))).unwrap();
    assert_eq!(null.collect.measurement_ids, None);
    assert_eq!(
        field_of(with(&["collect", "measurement_ids"], json!([]))),
        "collect.measurement_ids"
    );
    assert_eq!(
        field_of(with(&["collect", "measurement_ids"], json!(["G-A", " "]))),
        "collect.measurement_ids[1]"
    );
    assert_eq!(
        field_of(with(&["collect", "measurement_ids"], json!(["G-A", "g-a"]))),
        "collect.measurement_ids[1]"
    );
}

#[test]
fn trigger_refresh_cookies_defaults_to_true() {
    let c = parse(with(&["trigger", "refresh_cookies"], json!(false))).unwrap();
    assert!(!c.trigger.refresh_cookies);
    assert_eq!(
        field_of(with(&["trigger", "refresh_cookies"], json!("yes"))),
        "trigger.refresh_cookies"
    );
}
