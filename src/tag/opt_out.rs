//! Opt-out: each event's `opt_out` flag, from the configuration or from the hit itself.
//!
//! `opt_out: true` asks the API to keep the event out of user-level personalisation; it is not
//! a consent gate (consent decides whether an event is sent at all). `server_event_data.opt_out`
//! fixes it for every event, reads it through a `{{…}}` reference, or (`"from_hit"`) follows the
//! user's own choice as the hit reports it: GA4's `npa=1` (non-personalised ads), a denied
//! ad_personalization (`consent_state.ad_personalization`, the Consent Mode v2 `gcd` letter at
//! index 8), or the Measurement Protocol's `non_personalized_ads: true` and
//! `consent.ad_personalization: "DENIED"` (which ingest writes into `consent_state`). A hit with
//! none of these signals sends no `opt_out`, which the API reads as `false`.

use crate::config::OptOut;
use crate::event::Value;
use crate::event::{text, text_at, EventData};
use crate::request::RequestFacts;
use crate::tag::consent;

/// The event's `opt_out`, `None` when it is not sent.
pub fn resolve(
    setting: Option<&OptOut>,
    event: &EventData,
    request: &RequestFacts,
) -> Option<bool> {
    match setting? {
        OptOut::Fixed(value) => Some(*value),
        OptOut::FromHit => from_hit(event).then_some(true),
        OptOut::Reference(source) => {
            let value = source.resolve(event, request)?;
            let flag = boolean(&value);
            if flag.is_none() {
                log::debug!("server_event_data.opt_out: the reference is not a boolean; not sent");
            }
            flag
        }
    }
}

/// Whether the hit says the user declined personalised ads.
fn from_hit(event: &EventData) -> bool {
    let npa = text_at(event, "x-ga-npa").is_some_and(|v| v.trim() == "1");
    npa || consent::ad_personalization(event) == Some(false)
}

/// A boolean from JSON `true`/`false`, `1`/`0`, or the strings `true`/`false`, `1`/`0`,
/// `yes`/`no` (any case): what data layers and headers carry for a flag.
fn boolean(value: &Value) -> Option<bool> {
    if let Value::Bool(b) = value {
        return Some(*b);
    }
    let text = text(value)?;
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
