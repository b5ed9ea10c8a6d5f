//! Trigger: whether the tag fires for an incoming event at all, the first step of the tag.
//!
//! Like a GTM trigger, it looks at the incoming `event_name` before any mapping: an allow-list
//! (`trigger.event_names`, absent = every event) and an exclude list. An event that does not
//! fire is skipped silently apart from the `events_skipped_trigger` counter; it writes no cookie.
//! The exclude list defaults to [`GA4_AUTOMATIC_EVENTS`]: sent as `custom` conversions, GA4's
//! housekeeping events would flood the ad account.

use crate::config::Trigger;

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

/// True when the tag fires for an event named `event_name` (possibly unnamed).
pub fn fires(trigger: &Trigger, event_name: Option<&str>) -> bool {
    let allowed = match (&trigger.event_names, event_name) {
        (None, _) => true,
        (Some(list), Some(name)) => list.iter().any(|n| n == name),
        (Some(_), None) => false,
    };
    allowed && !event_name.is_some_and(|name| trigger.exclude_event_names.iter().any(|n| n == name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(allow: Option<&[&str]>, exclude: &[&str]) -> Trigger {
        Trigger {
            event_names: allow.map(|a| a.iter().map(|s| s.to_string()).collect()),
            exclude_event_names: exclude.iter().map(|s| s.to_string()).collect(),
        }
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
}
