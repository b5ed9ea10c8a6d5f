//! Metrics: every series the filter exports, and the trait the core reports through.
//!
//! The core never talks to Envoy: it counts through [`Metrics`], which the glue implements with
//! proxy-wasm metric hostcalls (ids defined once per root context) and tests implement in
//! memory. The proxy-wasm ABI has no labels, so a labelled series is one Envoy stat named
//! `<prefix>.<family>.<label>.<value>` (e.g. `openai_capi.events_skipped.reason.excluded`); the
//! `stats_tags` shipped in the Envoy configs ([`TAG_REGEXES`]) turn that into
//! `openai_capi_events_skipped{reason="excluded"}` on `/stats/prometheus`. Each series is one line
//! in the tables below, so adding a metric or a reason is a one-line change. A new label *key*
//! also needs its regex in [`TAG_REGEXES`], the shipped Envoy configs and the README's
//! `stats_tags` block (tests check all three), and `monitoring/` queries are checked against
//! these tables.

use crate::payload::MatchKey;
use std::cell::RefCell;
use std::collections::HashMap;

/// Default first segment of every stat name: the default of `metric_prefix`, which the
/// configuration owns.
pub use crate::config::DEFAULT_METRIC_PREFIX as DEFAULT_PREFIX;

/// The label keys series may carry, with the Envoy `stats_tags` regex that extracts each one
/// (first group: the part removed from the name; second: the label value).
/// Each is anchored on its own key right before the last segment, so at most one matches a name
/// and their order does not matter.
pub const TAG_REGEXES: [(&str, &str); 3] = [
    ("reason", r"(\.reason\.([a-z0-9_]+))$"),
    ("status_class", r"(\.status_class\.([0-9a-z]+))$"),
    ("match_key", r"(\.match_key\.([a-z0-9_]+))$"),
];

/// Declares a metric kind: the enum, its list, and each variant's family and optional label.
macro_rules! series {
    ($kind:ident { $( $(#[$doc:meta])* $variant:ident => $family:literal $(, $key:literal = $value:literal)? ;)* }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $kind { $( $(#[$doc])* $variant, )* }

        impl $kind {
            pub const ALL: &'static [$kind] = &[$($kind::$variant),*];

            /// The metric family (the Prometheus name after the prefix).
            pub fn family(self) -> &'static str {
                match self { $($kind::$variant => $family,)* }
            }

            /// The series' label, if the family is split by one.
            pub fn label(self) -> Option<(&'static str, &'static str)> {
                match self { $($kind::$variant => series!(@label $($key, $value)?),)* }
            }

            /// The stat name after the prefix: the family, then `.label.value` if labelled.
            pub fn name(self) -> String {
                match self.label() {
                    Some((key, value)) => format!("{}.{key}.{value}", self.family()),
                    None => self.family().to_owned(),
                }
            }
        }
    };
    (@label) => { None };
    (@label $key:literal, $value:literal) => { Some(($key, $value)) };
}

series!(Counter {
    /// Requests to a collection endpoint (GET or POST).
    CollectRequests => "collect_requests";
    /// Events found in collection requests, valid or not.
    EventsReceived => "events_received";
    /// Events the API accepted.
    EventsSent => "events_sent";
    /// Events the API accepted, per identifier kind they carried ([`MatchKey`]).
    EventsSentWithEmail => "events_sent_match_keys", "match_key" = "email";
    EventsSentWithPhone => "events_sent_match_keys", "match_key" = "phone";
    EventsSentWithExternalId => "events_sent_match_keys", "match_key" = "external_id";
    EventsSentWithClickId => "events_sent_match_keys", "match_key" = "click_id";
    EventsSentWithBrowserId => "events_sent_match_keys", "match_key" = "browser_id";
    EventsSentWithIpAddress => "events_sent_match_keys", "match_key" = "ip_address";
    EventsSentWithUserAgent => "events_sent_match_keys", "match_key" = "user_agent";
    EventsSentWithAddress => "events_sent_match_keys", "match_key" = "address";
    /// Events given up on: rejected by the API, out of retries, or dropped from a full queue.
    EventsFailed => "events_failed";
    /// A body line or event the ingest could not read (malformed, over the per-request cap).
    EventsInvalidInput => "events_invalid", "reason" = "input";
    EventsInvalidEventName => "events_invalid", "reason" = "event_name";
    EventsInvalidId => "events_invalid", "reason" = "id";
    EventsInvalidTimestamp => "events_invalid", "reason" = "timestamp";
    EventsInvalidSourceUrl => "events_invalid", "reason" = "source_url";
    /// An app event (`app_installed`, `app_opened`) with an action source other than mobile_app.
    EventsInvalidActionSource => "events_invalid", "reason" = "action_source";
    EventsInvalidContents => "events_invalid", "reason" = "contents";
    EventsInvalidAmount => "events_invalid", "reason" = "amount";
    EventsInvalidCurrency => "events_invalid", "reason" = "currency";
    /// The event could not be encoded for the API.
    EventsInvalidEncoding => "events_invalid", "reason" = "encoding";
    /// Listed in `trigger.exclude_event_names` (by default GA4's automatic events).
    EventsSkippedExcluded => "events_skipped", "reason" = "excluded";
    /// Not listed in `trigger.event_names`.
    EventsSkippedNotInTrigger => "events_skipped", "reason" = "not_in_trigger";
    /// From a GA4 stream not listed in `collect.measurement_ids`.
    EventsSkippedMeasurementId => "events_skipped", "reason" = "measurement_id";
    /// A GTM preview hit.
    EventsSkippedGtmPreview => "events_skipped", "reason" = "gtm_preview";
    /// `consent.mode: required` and the hit denies consent.
    EventsSkippedConsentDenied => "events_skipped", "reason" = "consent_denied";
    /// `consent.mode: required` and the hit carries no consent signal.
    EventsSkippedConsentMissing => "events_skipped", "reason" = "consent_missing";
    ApiRequests => "api_requests";
    ApiResponses2xx => "api_responses", "status_class" = "2xx";
    ApiResponses4xx => "api_responses", "status_class" = "4xx";
    ApiResponses5xx => "api_responses", "status_class" = "5xx";
    /// Calls that got no answer from the API (reset, timeout, connect failure).
    ApiErrors => "api_errors";
    ApiRetries => "api_retries";
    RetryQueueDropped => "retry_queue_dropped";
    BodiesTooLarge => "bodies_too_large";
    /// Collection requests that ran out of their per-request work budget (events past it dropped).
    WorkBudgetExceeded => "work_budget_exceeded";
    /// Collection bodies Envoy never delivered to the filter (the request went on unread).
    BodiesUnread => "bodies_unread";
    /// User-data values left out of an event (the event is sent), by reason: a Google phone or
    /// name hash, a hash under a plain phone or name key, an MD5/SHA-1, a `sha256_*` non-hash.
    UserFieldsSkippedGooglePhoneHash => "user_fields_skipped", "reason" = "google_phone_hash";
    UserFieldsSkippedGoogleNameHash => "user_fields_skipped", "reason" = "google_name_hash";
    UserFieldsSkippedHashedPhone => "user_fields_skipped", "reason" = "hashed_phone";
    UserFieldsSkippedHashedName => "user_fields_skipped", "reason" = "hashed_name";
    UserFieldsSkippedOtherDigest => "user_fields_skipped", "reason" = "other_digest";
    UserFieldsSkippedNotASha256 => "user_fields_skipped", "reason" = "not_a_sha256";
    /// Events still queued when Envoy shut the filter down or replaced its configuration.
    EventsLostOnShutdown => "events_lost_on_shutdown";
});

impl Counter {
    /// The `events_sent_match_keys` series of `key`.
    pub fn sent_with(key: MatchKey) -> Counter {
        match key {
            MatchKey::Email => Counter::EventsSentWithEmail,
            MatchKey::Phone => Counter::EventsSentWithPhone,
            MatchKey::ExternalId => Counter::EventsSentWithExternalId,
            MatchKey::ClickId => Counter::EventsSentWithClickId,
            MatchKey::BrowserId => Counter::EventsSentWithBrowserId,
            MatchKey::IpAddress => Counter::EventsSentWithIpAddress,
            MatchKey::UserAgent => Counter::EventsSentWithUserAgent,
            MatchKey::Address => Counter::EventsSentWithAddress,
        }
    }
}

series!(Gauge {
    RetryQueueDepth => "retry_queue_depth";
    VmMemoryBytes => "vm_memory_bytes";
});

series!(Histogram {
    ApiLatencyMs => "api_latency_ms";
});

/// Where the core reports counts. Gauges are per VM (one per Envoy worker); Envoy sums nothing
/// for gauges, so each VM adds and subtracts its own contribution.
pub trait Metrics {
    fn add(&self, counter: Counter, by: u64);
    /// Adds `delta` (may be negative) to a gauge.
    fn adjust(&self, gauge: Gauge, delta: i64);
    fn record(&self, histogram: Histogram, value: u64);
}

/// In-memory metrics for tests and benchmarks.
#[derive(Debug, Default)]
pub struct MemoryMetrics {
    counters: RefCell<HashMap<Counter, u64>>,
    gauges: RefCell<HashMap<Gauge, i64>>,
    histograms: RefCell<HashMap<Histogram, Vec<u64>>>,
}

impl MemoryMetrics {
    pub fn counter(&self, c: Counter) -> u64 {
        self.counters.borrow().get(&c).copied().unwrap_or(0)
    }
    /// The sum over every series of a counter family (all reasons of `events_invalid`, …).
    pub fn family_total(&self, family: &str) -> u64 {
        self.counters
            .borrow()
            .iter()
            .filter(|(c, _)| c.family() == family)
            .map(|(_, n)| n)
            .sum()
    }
    pub fn gauge(&self, g: Gauge) -> i64 {
        self.gauges.borrow().get(&g).copied().unwrap_or(0)
    }
    pub fn samples(&self, h: Histogram) -> Vec<u64> {
        self.histograms
            .borrow()
            .get(&h)
            .cloned()
            .unwrap_or_default()
    }
}

impl Metrics for MemoryMetrics {
    fn add(&self, counter: Counter, by: u64) {
        *self.counters.borrow_mut().entry(counter).or_default() += by;
    }
    fn adjust(&self, gauge: Gauge, delta: i64) {
        *self.gauges.borrow_mut().entry(gauge).or_default() += delta;
    }
    fn record(&self, histogram: Histogram, value: u64) {
        self.histograms
            .borrow_mut()
            .entry(histogram)
            .or_default()
            .push(value);
    }
}

#[cfg(test)]
mod tests;
