//! Trigger: whether the tag fires for an incoming event at all, the first step of the tag.
//!
//! Like a GTM trigger, it looks at the incoming `event_name` before any mapping: an allow-list
//! (`trigger.event_names`, absent = every event) and an exclude list. It also picks the GA4
//! streams (`collect.measurement_ids`): a page that loads two GA4 tags sends every conversion
//! once per stream, and only one of them may count. An event that does not fire is skipped with
//! its reason (counted in `events_skipped{reason}` and logged at debug); it sends nothing, but
//! still refreshes the cookies when `trigger.refresh_cookies` is on (see the tag's pipeline).
//! The exclude list defaults to [`GA4_AUTOMATIC_EVENTS`]: sent as `custom` conversions, GA4's
//! housekeeping events would flood the ad account.

use crate::config::Trigger;
use crate::event::{text_at, EventData};
use crate::tag::Skip;

/// The events GA4 collects by itself: the automatically collected events of web and app
/// streams, and the enhanced-measurement events of web streams (Google Analytics Help,
/// "Automatically collected events" and "Enhanced measurement events"). `page_view` is not
/// here: it maps to `page_viewed`. Neither is `in_app_purchase`, a real conversion.
pub const GA4_AUTOMATIC_EVENTS: [&str; 33] = [
    // Web and app: automatically collected.
    "first_visit",
    "session_start",
    "user_engagement",
    // Web: enhanced measurement.
    "scroll",
    "click",
    "file_download",
    "form_start",
    "form_submit",
    "video_start",
    "video_progress",
    "video_complete",
    "view_search_results",
    // App: automatically collected.
    "first_open",
    "screen_view",
    "app_remove",
    "app_update",
    "app_clear_data",
    "app_exception",
    "os_update",
    "notification_receive",
    "notification_open",
    "notification_dismiss",
    "notification_foreground",
    "ad_click",
    "ad_exposure",
    "ad_impression",
    "ad_query",
    "ad_reward",
    "adunit_exposure",
    "dynamic_link_app_open",
    "dynamic_link_app_update",
    "dynamic_link_first_open",
    "error",
];

/// Whether the tag fires for `event` named `event_name` (possibly unnamed), else why not. The
/// exclude list beats the allow-list, and both beat the stream filter, whose skips are the rarest
/// and least surprising.
pub fn check(
    trigger: &Trigger,
    measurement_ids: Option<&[String]>,
    event: &EventData,
    event_name: Option<&str>,
) -> Result<(), Skip> {
    if event_name.is_some_and(|name| trigger.exclude_event_names.iter().any(|n| n == name)) {
        return Err(Skip::Excluded);
    }
    let listed = match (&trigger.event_names, event_name) {
        (None, _) => true,
        (Some(list), Some(name)) => list.iter().any(|n| n == name),
        (Some(_), None) => false,
    };
    if !listed {
        return Err(Skip::NotInTrigger);
    }
    if let Some(ids) = measurement_ids {
        if !stream_allowed(ids, event) {
            return Err(Skip::MeasurementId);
        }
    }
    Ok(())
}

/// Whether the event's GA4 stream (`x-ga-measurement_id`: GA4 `tid`, the MP `measurement_id`)
/// is listed. An event without one (a Data-Client request) passes: there is no stream to pick.
fn stream_allowed(ids: &[String], event: &EventData) -> bool {
    match text_at(event, "x-ga-measurement_id") {
        Some(id) => ids
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(id.trim())),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let all = crate::test_support::config(
            serde_json::json!({"trigger": {"exclude_event_names": []}}),
        )
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
}
