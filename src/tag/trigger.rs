//! Trigger: whether the tag fires for an incoming event at all, the first step of the tag.
//!
//! Like a GTM trigger, it looks at the incoming `event_name` before any mapping: an allow-list
//! (`trigger.event_names`, absent = every event) and an exclude list. It also picks the GA4
//! streams (`collect.measurement_ids`): a page that loads two GA4 tags sends every conversion
//! once per stream, and only one of them may count. An event that does not fire is skipped with
//! its reason (counted in `events_skipped{reason}` and logged at debug); it sends nothing, but
//! still refreshes the cookies when `trigger.refresh_cookies` is on (see the tag's pipeline).
//! The exclude list defaults to [`GA4_AUTOMATIC_EVENTS`](crate::model::GA4_AUTOMATIC_EVENTS):
//! sent as `custom` conversions, GA4's housekeeping events would flood the ad account.

use crate::config::Trigger;
use crate::event::{text_at, EventData};
use crate::tag::Skip;

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
mod tests;
