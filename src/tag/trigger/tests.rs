use super::*;
use crate::model::GA4_AUTOMATIC_EVENTS;
use crate::test_support::event as ev;
use serde_json::json;

fn t(allow: Option<&[&str]>, exclude: &[&str]) -> Trigger {
    Trigger {
        event_names: allow.map(|a| a.iter().map(|s| s.to_string()).collect()),
        exclude_event_names: exclude.iter().map(|s| s.to_string()).collect(),
        refresh_cookies: true,
    }
}

/// The trigger's verdict on an event named `name`, with no stream filter.
fn fires(trigger: &Trigger, name: Option<&str>) -> bool {
    check(trigger, None, &EventData::new(), name).is_ok()
}

#[test]
fn absent_trigger_fires_for_every_event() {
    assert!(fires(&t(None, &[]), Some("page_view")));
    assert!(fires(&t(None, &[]), None));
}

#[test]
fn allow_list_matches_the_incoming_name_exactly() {
    let trig = t(Some(&["purchase"]), &[]);
    assert!(fires(&trig, Some("purchase")));
    assert!(!fires(&trig, Some("Purchase")));
    assert!(!fires(&trig, Some("page_view")));
    assert!(!fires(&trig, None));
}

#[test]
fn default_trigger_excludes_ga4_automatic_events() {
    let default = crate::test_support::config(serde_json::json!({})).trigger;
    for name in GA4_AUTOMATIC_EVENTS {
        assert!(!fires(&default, Some(name)), "{name}");
    }
    for name in ["user_engagement", "scroll", "session_start", "first_visit"] {
        assert!(!fires(&default, Some(name)), "{name}");
    }
    for name in [
        "page_view",
        "purchase",
        "generate_lead",
        "in_app_purchase",
        "my_event",
    ] {
        assert!(fires(&default, Some(name)), "{name}");
    }
    assert!(fires(&default, None), "an unnamed event is not excluded");
}

#[test]
fn default_trigger_empty_exclude_list_restores_every_event() {
    let all =
        crate::test_support::config(serde_json::json!({"trigger": {"exclude_event_names": []}}))
            .trigger;
    for name in GA4_AUTOMATIC_EVENTS {
        assert!(fires(&all, Some(name)), "{name}");
    }
    // Setting only the allow-list keeps the default exclusions.
    let allow = crate::test_support::config(
        serde_json::json!({"trigger": {"event_names": ["scroll", "purchase"]}}),
    )
    .trigger;
    assert!(!fires(&allow, Some("scroll")));
    assert!(fires(&allow, Some("purchase")));
}

#[test]
fn exclude_list_wins_over_allow_list() {
    assert!(!fires(&t(None, &["scroll"]), Some("scroll")));
    assert!(!fires(&t(Some(&["scroll"]), &["scroll"]), Some("scroll")));
    assert!(fires(&t(None, &["scroll"]), Some("page_view")));
}

#[test]
fn each_skip_names_its_reason() {
    let e = EventData::new();
    assert_eq!(
        check(&t(None, &["scroll"]), None, &e, Some("scroll")),
        Err(Skip::Excluded)
    );
    assert_eq!(
        check(&t(Some(&["purchase"]), &[]), None, &e, Some("page_view")),
        Err(Skip::NotInTrigger)
    );
    assert_eq!(
        check(&t(Some(&["purchase"]), &[]), None, &e, None),
        Err(Skip::NotInTrigger)
    );
    assert_eq!(check(&t(None, &[]), None, &e, Some("page_view")), Ok(()));
}

#[test]
fn measurement_ids_pick_the_ga4_streams_that_count() {
    let ids = ["G-SHOP".to_owned()];
    let all = t(None, &[]);
    let shop = ev(json!({"x-ga-measurement_id": "G-SHOP"}));
    let blog = ev(json!({"x-ga-measurement_id": "G-BLOG"}));
    let lower = ev(json!({"x-ga-measurement_id": "g-shop"}));
    let data_client = ev(json!({"event_name": "purchase"}));
    assert_eq!(check(&all, Some(&ids), &shop, Some("purchase")), Ok(()));
    assert_eq!(check(&all, Some(&ids), &lower, Some("purchase")), Ok(()));
    assert_eq!(
        check(&all, Some(&ids), &blog, Some("purchase")),
        Err(Skip::MeasurementId)
    );
    assert_eq!(
        check(&all, Some(&ids), &data_client, Some("purchase")),
        Ok(()),
        "an event without a stream is not filtered"
    );
    assert_eq!(check(&all, None, &blog, Some("purchase")), Ok(()));
}
