//! Metrics: the exported metric names and the trait the core reports through.
//!
//! The core never talks to Envoy: it counts through [`Metrics`], which the glue implements with
//! proxy-wasm metric hostcalls (ids defined once per VM) and tests implement in memory. Names are
//! fixed here so `/stats` shows `openai_capi.<name>` and Prometheus `openai_capi_<name>`.

use std::cell::RefCell;
use std::collections::HashMap;

pub const PREFIX: &str = "openai_capi.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    CollectRequests,
    EventsReceived,
    EventsSent,
    EventsFailed,
    EventsInvalid,
    EventsSkippedConsent,
    EventsSkippedTrigger,
    ApiRequests,
    ApiResponses2xx,
    ApiResponses4xx,
    ApiResponses5xx,
    ApiErrors,
    ApiRetries,
    RetryQueueDropped,
    BodiesTooLarge,
    WorkBudgetExceeded,
    BodiesUnread,
    UserFieldsSkipped,
    EventsLostOnShutdown,
}

impl Counter {
    pub const ALL: [Counter; 19] = [
        Counter::CollectRequests,
        Counter::EventsReceived,
        Counter::EventsSent,
        Counter::EventsFailed,
        Counter::EventsInvalid,
        Counter::EventsSkippedConsent,
        Counter::EventsSkippedTrigger,
        Counter::ApiRequests,
        Counter::ApiResponses2xx,
        Counter::ApiResponses4xx,
        Counter::ApiResponses5xx,
        Counter::ApiErrors,
        Counter::ApiRetries,
        Counter::RetryQueueDropped,
        Counter::BodiesTooLarge,
        Counter::WorkBudgetExceeded,
        Counter::BodiesUnread,
        Counter::UserFieldsSkipped,
        Counter::EventsLostOnShutdown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Counter::CollectRequests => "collect_requests",
            Counter::EventsReceived => "events_received",
            Counter::EventsSent => "events_sent",
            Counter::EventsFailed => "events_failed",
            Counter::EventsInvalid => "events_invalid",
            Counter::EventsSkippedConsent => "events_skipped_consent",
            Counter::EventsSkippedTrigger => "events_skipped_trigger",
            Counter::ApiRequests => "api_requests",
            Counter::ApiResponses2xx => "api_responses_2xx",
            Counter::ApiResponses4xx => "api_responses_4xx",
            Counter::ApiResponses5xx => "api_responses_5xx",
            Counter::ApiErrors => "api_errors",
            Counter::ApiRetries => "api_retries",
            Counter::RetryQueueDropped => "retry_queue_dropped",
            Counter::BodiesTooLarge => "bodies_too_large",
            Counter::WorkBudgetExceeded => "work_budget_exceeded",
            Counter::BodiesUnread => "bodies_unread",
            Counter::UserFieldsSkipped => "user_fields_skipped",
            Counter::EventsLostOnShutdown => "events_lost_on_shutdown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gauge {
    RetryQueueDepth,
    VmMemoryBytes,
}

impl Gauge {
    pub const ALL: [Gauge; 2] = [Gauge::RetryQueueDepth, Gauge::VmMemoryBytes];

    pub fn name(self) -> &'static str {
        match self {
            Gauge::RetryQueueDepth => "retry_queue_depth",
            Gauge::VmMemoryBytes => "vm_memory_bytes",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Histogram {
    ApiLatencyMs,
}

impl Histogram {
    pub const ALL: [Histogram; 1] = [Histogram::ApiLatencyMs];

    pub fn name(self) -> &'static str {
        match self {
            Histogram::ApiLatencyMs => "api_latency_ms",
        }
    }
}

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
mod tests {
    use super::*;

    #[test]
    fn every_spec_metric_has_its_name() {
        let names: Vec<_> = Counter::ALL.iter().map(|c| c.name()).collect();
        for spec in [
            "collect_requests",
            "events_received",
            "events_sent",
            "events_failed",
            "events_invalid",
            "events_skipped_consent",
            "events_skipped_trigger",
            "api_requests",
            "api_responses_2xx",
            "api_responses_4xx",
            "api_responses_5xx",
            "api_errors",
            "api_retries",
            "retry_queue_dropped",
            "bodies_too_large",
        ] {
            assert!(names.contains(&spec), "{spec}");
        }
        assert_eq!(Gauge::RetryQueueDepth.name(), "retry_queue_depth");
        assert_eq!(Histogram::ApiLatencyMs.name(), "api_latency_ms");
    }

    #[test]
    fn memory_metrics_accumulate() {
        let m = MemoryMetrics::default();
        m.add(Counter::EventsSent, 2);
        m.add(Counter::EventsSent, 1);
        m.adjust(Gauge::RetryQueueDepth, 3);
        m.adjust(Gauge::RetryQueueDepth, -1);
        m.record(Histogram::ApiLatencyMs, 12);
        assert_eq!(m.counter(Counter::EventsSent), 3);
        assert_eq!(m.gauge(Gauge::RetryQueueDepth), 2);
        assert_eq!(m.samples(Histogram::ApiLatencyMs), vec![12]);
    }
}
