//! Host services for the core: metrics through proxy-wasm metric hostcalls, the clock, random
//! bytes, and reading a callout's response into the core's `CallResult`.

use crate::delivery::retry::CallResult;
use crate::observe::metrics::{Counter, Gauge, Histogram, Metrics};
use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, LogLevel, MapType, MetricType};
use std::cell::Cell;
use std::time::UNIX_EPOCH;

/// Largest callout response body read (for logs only).
const MAX_RESPONSE_BODY: usize = 4096;
/// Response headers kept for the Response record (the record keeps fewer still).
const MAX_RESPONSE_HEADERS: usize = 64;

/// Metric ids, defined once per root context in `on_configure` under the configured prefix
/// (two plugin instances with different prefixes keep separate series).
pub struct HostMetrics {
    counters: Vec<Option<u32>>,
    gauges: Vec<Option<u32>>,
    histograms: Vec<Option<u32>>,
    /// The linear memory this plugin's `vm_memory_bytes` gauge was last told about: per
    /// plugin, since two plugins sharing a VM each publish the VM's memory on their own gauge.
    memory_reported: Cell<u64>,
}

impl HostMetrics {
    pub fn define(prefix: &str) -> HostMetrics {
        let define = |kind: MetricType, name: String| {
            hostcalls::define_metric(kind, &format!("{prefix}.{name}")).ok()
        };
        HostMetrics {
            counters: Counter::ALL
                .iter()
                .map(|c| define(MetricType::Counter, c.name()))
                .collect(),
            gauges: Gauge::ALL
                .iter()
                .map(|g| define(MetricType::Gauge, g.name()))
                .collect(),
            histograms: Histogram::ALL
                .iter()
                .map(|h| define(MetricType::Histogram, h.name()))
                .collect(),
            memory_reported: Cell::new(0),
        }
    }

    /// Reports this VM's wasm linear memory on the plugin's `vm_memory_bytes` gauge, as the
    /// change since its last report (each worker's VM adds its own share; linear memory never
    /// shrinks, so this is the VM's peak). Cheap: one `memory.size` instruction when nothing
    /// changed.
    pub fn report_memory(&self) {
        let pages = u64::try_from(core::arch::wasm32::memory_size::<0>()).unwrap_or(0);
        let bytes = pages.saturating_mul(65_536);
        let before = self.memory_reported.replace(bytes);
        if bytes != before {
            let delta =
                i64::try_from(bytes).unwrap_or(i64::MAX) - i64::try_from(before).unwrap_or(0);
            self.adjust(Gauge::VmMemoryBytes, delta);
        }
    }
}

fn id_of<T: PartialEq + Copy>(all: &[T], ids: &[Option<u32>], which: T) -> Option<u32> {
    all.iter()
        .position(|x| *x == which)
        .and_then(|i| ids.get(i).copied().flatten())
}

impl Metrics for HostMetrics {
    fn add(&self, counter: Counter, by: u64) {
        // Envoy refuses a zero increment for counters.
        if by == 0 {
            return;
        }
        if let Some(id) = id_of(Counter::ALL, &self.counters, counter) {
            let _ = hostcalls::increment_metric(id, i64::try_from(by).unwrap_or(i64::MAX));
        }
    }

    fn adjust(&self, gauge: Gauge, delta: i64) {
        if delta == 0 {
            return;
        }
        if let Some(id) = id_of(Gauge::ALL, &self.gauges, gauge) {
            let _ = hostcalls::increment_metric(id, delta);
        }
    }

    fn record(&self, histogram: Histogram, value: u64) {
        if let Some(id) = id_of(Histogram::ALL, &self.histograms, histogram) {
            let _ = hostcalls::record_metric(id, value);
        }
    }
}

/// Host clock in Unix milliseconds.
pub fn now_ms() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// 16 random bytes from WASI `random_get`; zeros if the host refuses (never panics).
pub fn random16() -> [u8; 16] {
    let mut buf = [0u8; 16];
    if getrandom::fill(&mut buf).is_err() {
        log::warn!("random_get failed; browser id entropy degraded");
        for (b, t) in buf.iter_mut().zip(now_ms().to_le_bytes()) {
            *b = t;
        }
    }
    buf
}

/// A uniform number in [0, 1) for retry jitter.
pub fn jitter() -> f64 {
    let mut word = [0u8; 8];
    for (w, b) in word.iter_mut().zip(random16()) {
        *w = b;
    }
    // 53 random bits → [0, 1).
    #[allow(clippy::cast_precision_loss)]
    let unit = (u64::from_le_bytes(word) >> 11) as f64 / (1u64 << 53) as f64;
    unit
}

/// The callout's response as the core sees it. Must be called inside `on_http_call_response`.
pub fn call_result(num_headers: usize, body_size: usize) -> CallResult {
    if num_headers == 0 {
        return CallResult::Reset;
    }
    let headers = hostcalls::get_map_bytes(MapType::HttpCallResponseHeaders).unwrap_or_default();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    let Some(status) = header(":status").and_then(|s| s.trim().parse::<u16>().ok()) else {
        return CallResult::Reset;
    };
    let body = hostcalls::get_buffer(
        BufferType::HttpCallResponseBody,
        0,
        body_size.min(MAX_RESPONSE_BODY),
    )
    .ok()
    .flatten()
    .unwrap_or_default();
    // Envoy answers for the upstream on timeouts and connection failures with a bare local
    // reply; a real answer passed through the router carries x-envoy-upstream-service-time.
    let from_envoy = status >= 500
        && header("x-envoy-upstream-service-time").is_none()
        && body.starts_with(b"upstream ");
    let logged_headers = headers
        .iter()
        .filter(|(name, _)| !name.starts_with(':'))
        .take(MAX_RESPONSE_HEADERS)
        .map(|(name, value)| (name.clone(), String::from_utf8_lossy(value).into_owned()))
        .collect();
    CallResult::Answered {
        status,
        retry_after: header("retry-after"),
        body,
        from_envoy,
        headers: logged_headers,
    }
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
