//! The runtime's [`Host`] in Envoy: each method is one proxy-wasm hostcall (or two, for
//! resuming another context). It keeps the plugin's metric ids, defined once per root context in
//! `on_configure` under the configured prefix (two plugin instances with different prefixes keep
//! separate series).

use crate::config::Config;
use crate::observe::bigquery::Counter as BigQueryCounter;
use crate::observe::metrics::{Counter, Gauge, Histogram, Metrics};
use crate::runtime::host::{HeaderPairs, Host};
use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, LogLevel, MapType, MetricType};
use std::cell::Cell;
use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

pub struct Envoy {
    counters: Vec<Option<u32>>,
    gauges: Vec<Option<u32>>,
    histograms: Vec<Option<u32>>,
    /// BigQuery logging's counters: defined only when it is configured.
    bigquery: Vec<Option<u32>>,
    /// The linear memory this plugin's `vm_memory_bytes` gauge was last told about: per
    /// plugin, since two plugins sharing a VM each publish the VM's memory on their own gauge.
    memory_reported: Cell<u64>,
}

impl Envoy {
    pub fn new(config: &Config) -> Envoy {
        let prefix = &config.metric_prefix;
        let define = |kind: MetricType, name: String| {
            hostcalls::define_metric(kind, &format!("{prefix}.{name}")).ok()
        };
        let names = |names: &mut dyn Iterator<Item = String>, kind| -> Vec<Option<u32>> {
            names.map(|name| define(kind, name)).collect()
        };
        let bigquery = config.logging.bigquery.is_some();
        Envoy {
            counters: names(
                &mut Counter::ALL.iter().map(|c| c.name()),
                MetricType::Counter,
            ),
            gauges: names(&mut Gauge::ALL.iter().map(|g| g.name()), MetricType::Gauge),
            histograms: names(
                &mut Histogram::ALL.iter().map(|h| h.name()),
                MetricType::Histogram,
            ),
            bigquery: names(
                &mut BigQueryCounter::ALL
                    .iter()
                    .filter(|_| bigquery)
                    .map(|c| c.name().to_string()),
                MetricType::Counter,
            ),
            memory_reported: Cell::new(0),
        }
    }
}

fn id_of<T: PartialEq + Copy>(all: &[T], ids: &[Option<u32>], which: T) -> Option<u32> {
    all.iter()
        .position(|x| *x == which)
        .and_then(|i| ids.get(i).copied().flatten())
}

fn increment(id: Option<u32>, by: i64) {
    // Envoy refuses a zero increment for counters.
    if let (Some(id), false) = (id, by == 0) {
        let _ = hostcalls::increment_metric(id, by);
    }
}

impl Metrics for Envoy {
    fn add(&self, counter: Counter, by: u64) {
        let by = i64::try_from(by).unwrap_or(i64::MAX);
        increment(id_of(Counter::ALL, &self.counters, counter), by);
    }

    fn adjust(&self, gauge: Gauge, delta: i64) {
        increment(id_of(Gauge::ALL, &self.gauges, gauge), delta);
    }

    fn record(&self, histogram: Histogram, value: u64) {
        if let Some(id) = id_of(Histogram::ALL, &self.histograms, histogram) {
            let _ = hostcalls::record_metric(id, value);
        }
    }
}

impl Host for Envoy {
    fn now_ms(&self) -> u64 {
        hostcalls::get_current_time()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// WASI `random_get`; the clock's bytes if the host refuses (never panics).
    fn random16(&self) -> [u8; 16] {
        let mut buf = [0u8; 16];
        if getrandom::fill(&mut buf).is_err() {
            log::warn!("random_get failed; browser id entropy degraded");
            for (b, t) in buf.iter_mut().zip(self.now_ms().to_le_bytes()) {
                *b = t;
            }
        }
        buf
    }

    fn log(&self, level: log::Level, message: fmt::Arguments<'_>) {
        log::log!(level, "{message}");
    }

    fn logs_at(&self, level: log::Level) -> bool {
        log::log_enabled!(level)
    }

    fn follow_log_level(&self) {
        follow_host_log_level();
    }

    /// The change since the last report (each worker's VM adds its own share; linear memory
    /// never shrinks, so this is the VM's peak). Cheap: one `memory.size` instruction when
    /// nothing changed.
    fn report_memory(&self) {
        let pages = u64::try_from(core::arch::wasm32::memory_size::<0>()).unwrap_or(0);
        let bytes = pages.saturating_mul(65_536);
        let before = self.memory_reported.replace(bytes);
        if bytes != before {
            let delta =
                i64::try_from(bytes).unwrap_or(i64::MAX) - i64::try_from(before).unwrap_or(0);
            self.adjust(Gauge::VmMemoryBytes, delta);
        }
    }

    fn add_bigquery(&self, counter: BigQueryCounter, by: u64) {
        let by = i64::try_from(by).unwrap_or(i64::MAX);
        increment(id_of(&BigQueryCounter::ALL, &self.bigquery, counter), by);
    }

    fn dispatch(
        &self,
        cluster: &str,
        headers: Vec<(&str, &str)>,
        body: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<u32, String> {
        hostcalls::dispatch_http_call(cluster, headers, body, vec![], timeout)
            .map_err(|status| format!("{status:?}"))
    }

    fn resume_current(&self) {
        let _ = hostcalls::resume_http_request();
    }

    fn resume(&self, context_id: u32) {
        if hostcalls::set_effective_context(context_id).is_ok() {
            let _ = hostcalls::resume_http_request();
        }
    }

    fn enter(&self, context_id: u32) {
        let _ = hostcalls::set_effective_context(context_id);
    }

    fn set_tick(&self, period: Duration) -> bool {
        hostcalls::set_tick_period(period).is_ok()
    }

    fn register_queue(&self, name: &str) -> Result<u32, String> {
        hostcalls::register_shared_queue(name).map_err(|status| format!("{status:?}"))
    }

    fn wake(&self, queue: u32) -> bool {
        hostcalls::enqueue_shared_queue(queue, Some(&[1])).is_ok()
    }

    fn take_wake(&self, queue: u32) {
        let _ = hostcalls::dequeue_shared_queue(queue);
    }

    fn done(&self) {
        let _ = hostcalls::done();
    }

    fn request_headers(&self) -> HeaderPairs {
        hostcalls::get_map_bytes(MapType::HttpRequestHeaders).unwrap_or_default()
    }

    fn source_address(&self) -> Option<Vec<u8>> {
        hostcalls::get_property(vec!["source", "address"])
            .ok()
            .flatten()
    }

    fn request_body(&self, size: usize) -> Vec<u8> {
        buffer(BufferType::HttpRequestBody, size)
    }

    fn set_property(&self, key: &str, value: &[u8]) {
        let _ = hostcalls::set_property(vec![key], Some(value));
    }

    fn add_response_header(&self, name: &str, value: &str) {
        let _ = hostcalls::add_map_value(MapType::HttpResponseHeaders, name, value);
    }

    fn answer_headers(&self) -> HeaderPairs {
        hostcalls::get_map_bytes(MapType::HttpCallResponseHeaders).unwrap_or_default()
    }

    /// Bytes, not the String getter: the SDK panics on a value that is not UTF-8.
    fn answer_header(&self, name: &str) -> Option<Vec<u8>> {
        hostcalls::get_map_value_bytes(MapType::HttpCallResponseHeaders, name)
            .ok()
            .flatten()
    }

    fn answer_body(&self, max: usize) -> Vec<u8> {
        buffer(BufferType::HttpCallResponseBody, max)
    }
}

fn buffer(kind: BufferType, size: usize) -> Vec<u8> {
    hostcalls::get_buffer(kind, 0, size)
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Narrows the `log` bridge to the level Envoy logs the wasm component at, so disabled debug
/// lines are never formatted.
pub fn follow_host_log_level() {
    if let Ok(level) = hostcalls::get_log_level() {
        proxy_wasm::set_log_level(match level {
            LogLevel::Critical => LogLevel::Error,
            other => other,
        });
    }
}
