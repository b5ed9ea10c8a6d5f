use super::*;
use serde_json::json;

#[test]
fn first_event_wins_and_later_duplicates_are_dropped() {
    let mut d = Dedup::default();
    let body = json!({"events": [{"id": "a", "type": "page_viewed"},
                                 {"id": "b", "type": "page_viewed"}]});
    assert!(d.admit("px", &body).is_empty());
    let again = json!({"events": [{"id": "a", "type": "page_viewed"},
                                  {"id": "c", "type": "page_viewed"}]});
    assert_eq!(d.admit("px", &again), vec!["a".to_owned()]);
    // The same id under another event name, or for another pixel, is another event.
    let other = json!({"events": [{"id": "a", "type": "order_created"}]});
    assert!(d.admit("px", &other).is_empty());
    assert!(d.admit("px2", &body).is_empty());
}

#[test]
fn custom_events_are_keyed_by_their_custom_name() {
    let mut d = Dedup::default();
    let e =
        |name: &str| json!({"events": [{"id": "x", "type": "custom", "custom_event_name": name}]});
    assert!(d.admit("px", &e("quote_requested")).is_empty());
    assert!(d.admit("px", &e("demo_booked")).is_empty());
    assert_eq!(d.admit("px", &e("quote_requested")), vec!["x".to_owned()]);
}

#[test]
fn duplicates_within_one_body_and_validate_only_requests() {
    let mut d = Dedup::default();
    let twice = json!({"events": [{"id": "a", "type": "page_viewed"},
                                  {"id": "a", "type": "page_viewed"}]});
    assert_eq!(d.admit("px", &twice), vec!["a".to_owned()]);
    let test_mode = json!({"validate_only": true,
                           "events": [{"id": "z", "type": "page_viewed"}]});
    assert!(d.admit("px", &test_mode).is_empty());
    assert!(
        d.admit("px", &test_mode).is_empty(),
        "validate_only stores nothing"
    );
    d.clear();
    assert!(d.admit("px", &twice).len() == 1);
}
