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
use crate::event::{text, text_at, EventData};
use crate::request::RequestFacts;
use crate::tag::consent;
use serde_json::Value;

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
mod tests {
    use super::*;
    use crate::config::ValueSource;
    use crate::test_support::event as ev;
    use serde_json::json;

    fn req() -> RequestFacts {
        RequestFacts::from_headers(
            &[
                (":path".into(), b"/g/collect".to_vec()),
                ("x-opt-out".into(), b"Yes".to_vec()),
            ],
            None,
        )
        .unwrap()
    }

    fn from_hit_of(event: Value) -> Option<bool> {
        resolve(Some(&OptOut::FromHit), &ev(event), &req())
    }

    #[test]
    fn opt_out_null_is_never_sent_and_a_boolean_always() {
        let e = ev(json!({"x-ga-npa": "1"}));
        assert_eq!(resolve(None, &e, &req()), None);
        assert_eq!(
            resolve(Some(&OptOut::Fixed(false)), &e, &req()),
            Some(false)
        );
        assert_eq!(
            resolve(Some(&OptOut::Fixed(true)), &ev(json!({})), &req()),
            Some(true)
        );
    }

    #[test]
    fn opt_out_from_hit_follows_npa_and_ad_personalization() {
        assert_eq!(from_hit_of(json!({"x-ga-npa": "1"})), Some(true));
        assert_eq!(from_hit_of(json!({"x-ga-npa": "0"})), None);
        assert_eq!(from_hit_of(json!({"x-ga-gcd": "13t3t3t2p5l1"})), Some(true));
        assert_eq!(from_hit_of(json!({"x-ga-gcd": "13t3t3t2t5l1"})), None);
        // The Measurement Protocol's consent and non_personalized_ads arrive as consent_state.
        assert_eq!(
            from_hit_of(json!({"consent_state": {"ad_personalization": false}})),
            Some(true)
        );
        assert_eq!(
            from_hit_of(json!({"consent_state": {"ad_personalization": "granted"}})),
            None
        );
        assert_eq!(from_hit_of(json!({})), None, "no signal: not sent");
    }

    #[test]
    fn opt_out_reference_reads_booleans_and_flag_strings() {
        let reference = |path: &str| OptOut::Reference(ValueSource::Event(path.into()));
        let e = ev(json!({"a": true, "b": "0", "c": 1, "d": "maybe"}));
        assert_eq!(resolve(Some(&reference("a")), &e, &req()), Some(true));
        assert_eq!(resolve(Some(&reference("b")), &e, &req()), Some(false));
        assert_eq!(resolve(Some(&reference("c")), &e, &req()), Some(true));
        assert_eq!(resolve(Some(&reference("d")), &e, &req()), None);
        assert_eq!(resolve(Some(&reference("missing")), &e, &req()), None);
        let header = OptOut::Reference(ValueSource::Header("x-opt-out".into()));
        assert_eq!(resolve(Some(&header), &e, &req()), Some(true));
    }
}
