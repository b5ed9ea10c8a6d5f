//! What the runtime needs from its host: the clock, randomness, callouts, resuming paused
//! requests, the root's timer and wake queue, logging, metrics, and reading the running
//! stream's headers, body and callout answers. In Envoy each method is one proxy-wasm hostcall
//! (`glue::host`); unit tests use a fake that records every call and has a settable clock.
//!
//! Methods take `&self`: a host is shared by a root context and its HTTP contexts on one VM
//! thread, and the real one holds nothing that changes but its metric bookkeeping.

use crate::observe::bigquery::Counter as BigQueryCounter;
use crate::observe::metrics::Metrics;
use std::fmt;
use std::time::Duration;

/// One header map as the host gives it: names, and values as bytes (they need not be UTF-8).
pub type HeaderPairs = Vec<(String, Vec<u8>)>;

pub trait Host: Metrics {
    /// The host clock in Unix milliseconds.
    fn now_ms(&self) -> u64;
    /// 16 random bytes (never fails: a host without randomness degrades to the clock).
    fn random16(&self) -> [u8; 16];
    /// A log line at `level`; formatted only when the level is enabled.
    fn log(&self, level: log::Level, message: fmt::Arguments<'_>);
    /// Whether a line at `level` would be written (to skip building costly arguments).
    fn logs_at(&self, level: log::Level) -> bool;
    /// Narrows logging to the level the host logs the filter at now.
    fn follow_log_level(&self);
    /// Publishes the VM's memory on the plugin's gauge if it changed.
    fn report_memory(&self);
    /// A BigQuery logging counter (its own series, defined only when BigQuery is configured).
    fn add_bigquery(&self, counter: BigQueryCounter, by: u64);

    /// Sends an HTTP callout from the running context; its token, or why the host refused it.
    fn dispatch(
        &self,
        cluster: &str,
        headers: Vec<(&str, &str)>,
        body: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<u32, String>;
    /// Resumes the paused request of the running HTTP context.
    fn resume_current(&self);
    /// Resumes the paused request of another context (from the root).
    fn resume(&self, context_id: u32);
    /// Makes `context_id` the running context again after [`Host::resume`] switched away.
    fn enter(&self, context_id: u32);
    /// Runs the root's timer every `period` (zero stops it); whether the host accepted it.
    fn set_tick(&self, period: Duration) -> bool;
    /// Registers a shared queue named `name` for the root's wake-ups.
    fn register_queue(&self, name: &str) -> Result<u32, String>;
    /// Puts one item in `queue`: the root's `on_queue_ready` runs on the next event-loop turn.
    fn wake(&self, queue: u32) -> bool;
    /// Takes the item a wake-up put in `queue`.
    fn take_wake(&self, queue: u32);
    /// Tells the host a draining root has finished (only after `on_done` returned `false`).
    fn done(&self);

    /// The running request's headers, in one read.
    fn request_headers(&self) -> HeaderPairs;
    /// The running request's peer address (`source.address`).
    fn source_address(&self) -> Option<Vec<u8>>;
    /// The first `size` bytes of the running request's buffered body.
    fn request_body(&self, size: usize) -> Vec<u8>;
    /// Sets a filter state property of the running request.
    fn set_property(&self, key: &str, value: &[u8]);
    /// Adds a header to the running request's response.
    fn add_response_header(&self, name: &str, value: &str);

    /// The headers of the callout being answered.
    fn answer_headers(&self) -> HeaderPairs;
    /// One header of the callout being answered.
    fn answer_header(&self, name: &str) -> Option<Vec<u8>>;
    /// Up to `max` bytes of the body of the callout being answered.
    fn answer_body(&self, max: usize) -> Vec<u8>;
}

/// A uniform number in [0, 1) for retry jitter, from the host's randomness.
pub fn jitter(host: &impl Host) -> f64 {
    let mut word = [0u8; 8];
    for (w, b) in word.iter_mut().zip(host.random16()) {
        *w = b;
    }
    // 53 random bits → [0, 1).
    #[allow(clippy::cast_precision_loss)]
    let unit = (u64::from_le_bytes(word) >> 11) as f64 / (1u64 << 53) as f64;
    unit
}
