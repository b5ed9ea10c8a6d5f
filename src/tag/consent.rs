//! Consent: whether an event may be sent, and with which identifiers (the tag's second step).
//!
//! Owns the reading of consent signals from event data: `consent_state.*` (booleans or
//! `"granted"`/`"denied"`, as the Data Tag and MP ingest write them), then the Consent Mode v2
//! string `x-ga-gcd` read by position (letters at 2/4/6/8), then for ad_storage the v1 string
//! `x-ga-gcs` (index 2). In `required` mode ad_storage decides; a hit without any ad_storage
//! signal, as every Measurement Protocol request is (a server stores nothing), is decided by its
//! ad_user_data signal instead; no signal at all means denied, as in Stape. The GTM preview
//! early exit (hits from `https://gtm-msr.appspot.com/`) lives here too: it applies in every
//! mode. The ad_personalization reading serves the `opt_out` rule.

use crate::config::{Consent, ConsentMode};
use crate::event::Value;
use crate::event::{lookup, text_at, EventData};
use crate::request::RequestFacts;
use std::borrow::Cow;

/// The outcome of the consent step for one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send; `strip_identifiers` removes email/phone/name/external-id hashes.
    Send { strip_identifiers: bool },
    /// Not granted in `required` mode: no request, no cookie.
    Denied(Refusal),
    /// A GTM preview / measurement-server hit: skipped as in Stape.
    Preview,
}

/// Why `required` consent mode refused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// ad_storage (or, without any ad_storage signal, ad_user_data) is explicitly denied.
    Denied,
    /// The hit carries no ad_storage or ad_user_data signal at all.
    NoSignal,
}

/// The Consent Mode signals this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Named after Google's consent types (ad_storage, ad_user_data, ad_personalization).
#[allow(clippy::enum_variant_names)]
enum Signal {
    AdStorage,
    AdUserData,
    AdPersonalization,
}

impl Signal {
    fn state_key(self) -> &'static str {
        match self {
            Signal::AdStorage => "consent_state.ad_storage",
            Signal::AdUserData => "consent_state.ad_user_data",
            Signal::AdPersonalization => "consent_state.ad_personalization",
        }
    }

    /// Position of the signal's letter in `gcd` (`13t3t3Z2t5l1`: 2, 4, 6, 8).
    fn gcd_index(self) -> usize {
        match self {
            Signal::AdStorage => 2,
            Signal::AdUserData => 6,
            Signal::AdPersonalization => 8,
        }
    }
}

const GTM_PREVIEW_PREFIX: &str = "https://gtm-msr.appspot.com/";

/// Applies the consent step to one event.
pub fn decide(consent: &Consent, event: &EventData, request: &RequestFacts) -> Decision {
    if is_preview(event, request) {
        return Decision::Preview;
    }
    if consent.mode == ConsentMode::Optional {
        return Decision::Send {
            strip_identifiers: false,
        };
    }
    let ad_user_data = granted(event, Signal::AdUserData);
    match granted(event, Signal::AdStorage).or(ad_user_data) {
        Some(true) => {}
        Some(false) => return Decision::Denied(Refusal::Denied),
        None => return Decision::Denied(Refusal::NoSignal),
    }
    let strip = consent.user_data_requires_ad_user_data && ad_user_data == Some(false);
    Decision::Send {
        strip_identifiers: strip,
    }
}

/// Stape's early exit B: the first present of page_location, Referer, page_referrer.
fn is_preview(event: &EventData, request: &RequestFacts) -> bool {
    let url = text_at(event, "page_location")
        .or_else(|| request.referer.as_deref().map(Cow::Borrowed))
        .or_else(|| text_at(event, "page_referrer"));
    url.is_some_and(|u| u.starts_with(GTM_PREVIEW_PREFIX))
}

/// The hit's ad_personalization signal: `consent_state.ad_personalization` (MP `consent`, the
/// Data Tag), else the `gcd` letter at index 8. `Some(false)` = denied, `None` = no signal.
pub fn ad_personalization(event: &EventData) -> Option<bool> {
    granted(event, Signal::AdPersonalization)
}

/// `Some(true)` granted, `Some(false)` denied, `None` no signal.
fn granted(event: &EventData, signal: Signal) -> Option<bool> {
    state_signal(lookup(event, signal.state_key()))
        .or_else(|| gcd_signal(text_at(event, "x-ga-gcd").as_deref(), signal))
        .or_else(|| match signal {
            Signal::AdStorage => gcs_signal(text_at(event, "x-ga-gcs").as_deref()),
            Signal::AdUserData | Signal::AdPersonalization => None,
        })
}

fn state_signal(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "granted" | "true" => Some(true),
            "denied" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Consent Mode v2 letter table: t r n v granted, p q m u denied, anything else no signal.
fn gcd_signal(gcd: Option<&str>, signal: Signal) -> Option<bool> {
    match gcd?.as_bytes().get(signal.gcd_index())? {
        b't' | b'r' | b'n' | b'v' => Some(true),
        b'p' | b'q' | b'm' | b'u' => Some(false),
        _ => None,
    }
}

/// Consent Mode v1: `G1` + ad_storage digit + analytics_storage digit.
fn gcs_signal(gcs: Option<&str>) -> Option<bool> {
    match gcs?.as_bytes().get(2)? {
        b'1' => Some(true),
        b'0' => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
