//! Trigger: whether the tag fires for an incoming event at all (the tag's first step).
//!
//! Like a GTM trigger, it looks at the incoming `event_name` before any mapping: an allow-list
//! (`trigger.event_names`, absent = every event) and an exclude list. An event that does not
//! fire is skipped silently apart from the `events_skipped_trigger` counter; it writes no cookie.

use crate::config::Trigger;

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
    fn exclude_list_wins_over_allow_list() {
        assert!(!fires(&t(None, &["scroll"]), Some("scroll")));
        assert!(!fires(&t(Some(&["scroll"]), &["scroll"]), Some("scroll")));
        assert!(fires(&t(None, &["scroll"]), Some("page_view")));
    }
}
