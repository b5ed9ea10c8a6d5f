//! Delivery: getting encoded events to the API without losing any to a transient failure
//! (SPEC §6).
//!
//! [`Delivery`] is the per-VM state the root context owns: the optimistic-mode batch, and a
//! bounded queue of calls waiting for their time (fresh batches, retries, split halves). It is
//! pure: the glue asks it for due [`Call`]s, performs the HTTP callouts, and reports each
//! [`CallResult`] back; delivery decides retry, split or drop, and counts. Events are checked
//! against the API's time window right before every dispatch, so a retry never sends a stale
//! event.

pub mod batch;
pub mod held;
pub mod queue;
pub mod retry;

use crate::config::{Config, ConsoleLogging, Retry};
use crate::observe::console::{self, Record, RecordType};
use crate::observe::metrics::{Counter, Gauge, Histogram, Metrics};
use crate::payload::{EncodedEvent, RequestBody};
use crate::tag::validate::check_window;
use batch::Batcher;
use queue::RetryQueue;
use retry::{backoff_ms, classify, CallResult, ResultClass, Verdict};
use serde_json::value::RawValue;

/// One API call: the events it carries and how many attempts were already made.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub events: Vec<EncodedEvent>,
    /// Attempts already made (0 for a call never sent).
    pub attempts: u32,
    /// `trace-id` of the collection request that produced it, for logs.
    pub trace_id: Option<String>,
}

impl Call {
    pub fn new(events: Vec<EncodedEvent>, trace_id: Option<String>) -> Call {
        Call {
            events,
            attempts: 0,
            trace_id,
        }
    }

    /// Comma-separated event names, for logs.
    pub fn event_names(&self) -> String {
        let mut names: Vec<&str> = self.events.iter().map(|e| e.name.as_str()).collect();
        names.dedup();
        names.join(",")
    }
}

/// Settings delivery needs, copied out of [`Config`].
#[derive(Debug, Clone)]
pub struct Settings {
    pub retry: Retry,
    pub body: RequestBody,
    pub console: ConsoleLogging,
    /// `https://<authority><path>?pid=…` for logs (the key is never part of it).
    pub url: String,
}

impl Settings {
    pub fn from_config(config: &Config) -> Settings {
        Settings {
            retry: config.api.retry.clone(),
            body: RequestBody {
                validate_only: config.validate_only,
                integration_source: config.integration_source.clone(),
            },
            console: config.logging.console,
            url: format!("https://{}{}", config.api.authority, api_path(config)),
        }
    }
}

/// `:path` of the API call: the configured path with the URL-encoded pixel id as `pid`.
pub fn api_path(config: &Config) -> String {
    let pid: String = url::form_urlencoded::byte_serialize(config.pixel_id.as_bytes()).collect();
    format!("{}?pid={pid}", config.api.path)
}

/// The callout's headers: method, path with `pid`, authority, bearer key, JSON content type.
/// Envoy requires the three pseudo-headers; the key appears nowhere else.
pub fn api_headers(config: &Config) -> Vec<(&'static str, String)> {
    vec![
        (":method", "POST".to_owned()),
        (":path", api_path(config)),
        (":authority", config.api.authority.clone()),
        (
            "authorization",
            format!("Bearer {}", config.api_key.expose()),
        ),
        ("content-type", "application/json".to_owned()),
    ]
}

/// A call ready to go on the wire: the body holds only the events still inside the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Dispatch {
    pub call: Call,
    pub body: Vec<u8>,
}

/// Per-VM delivery state.
#[derive(Debug)]
pub struct Delivery {
    settings: Settings,
    batcher: Batcher,
    queue: RetryQueue,
}

impl Delivery {
    pub fn new(config: &Config) -> Delivery {
        Delivery {
            settings: Settings::from_config(config),
            batcher: Batcher::new(config.api.batch.clone()),
            queue: RetryQueue::new(config.api.retry.max_queued_requests),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Optimistic mode: adds one collection request's events to the per-VM batch.
    pub fn enqueue(
        &mut self,
        events: Vec<EncodedEvent>,
        trace_id: Option<String>,
        now_ms: u64,
        metrics: &dyn Metrics,
    ) {
        for call in self.batcher.push(events, trace_id, now_ms) {
            self.schedule(call, now_ms, metrics);
        }
    }

    /// Calls to dispatch now: due retries and split halves, plus a batch whose delay passed.
    /// Events outside the time window are dropped here (counted as failed); a call left empty
    /// is not returned.
    pub fn take_due(&mut self, now_ms: u64, metrics: &dyn Metrics) -> Vec<Dispatch> {
        if let Some(call) = self.batcher.take_due(now_ms) {
            self.schedule(call, now_ms, metrics);
        }
        let due = self.queue.take_due(now_ms);
        metrics.adjust(
            Gauge::RetryQueueDepth,
            -i64::try_from(due.len()).unwrap_or(0),
        );
        due.into_iter()
            .filter_map(|call| self.prepare(call, now_ms, metrics))
            .collect()
    }

    /// Builds the body for a call about to be sent, dropping events whose window has passed.
    pub fn prepare(&self, mut call: Call, now_ms: u64, metrics: &dyn Metrics) -> Option<Dispatch> {
        let before = call.events.len();
        call.events
            .retain(|e| match check_window(e.timestamp_ms, now_ms) {
                Ok(()) => true,
                Err(reason) => {
                    let reason = reason.to_string();
                    console::emit(
                        self.settings.console,
                        &Record {
                            event_name: Some(&e.name),
                            trace_id: call.trace_id.as_deref(),
                            ..Record::message(
                                "Event dropped before sending: outside the API's time window",
                                Some(&reason),
                            )
                        },
                    );
                    false
                }
            });
        metrics.add(Counter::EventsFailed, (before - call.events.len()) as u64);
        if call.events.is_empty() {
            return None;
        }
        let body = self.settings.body.encode(&call.events);
        self.log_request(&call, &body);
        Some(Dispatch { call, body })
    }

    /// When the glue must next call [`Delivery::take_due`] (`None`: nothing pending).
    pub fn next_due_ms(&self) -> Option<u64> {
        match (self.batcher.due_at(), self.queue.next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether any work is pending (batch or queue).
    pub fn is_idle(&self) -> bool {
        self.next_due_ms().is_none()
    }

    /// The glue reports that `dispatch` was sent and how it ended. `jitter` yields a uniform
    /// number in [0, 1) and is only asked when a retry is scheduled (randomness costs a
    /// hostcall); `latency_ms` is `None` when the call never left (dispatch refused).
    pub fn complete(
        &mut self,
        dispatch: Dispatch,
        result: CallResult,
        latency_ms: Option<u64>,
        now_ms: u64,
        jitter: &mut dyn FnMut() -> f64,
        metrics: &dyn Metrics,
    ) {
        let mut call = dispatch.call;
        call.attempts = call.attempts.saturating_add(1);
        let n = call.events.len() as u64;
        metrics.add(Counter::ApiRequests, 1);
        if let Some(ms) = latency_ms {
            metrics.record(Histogram::ApiLatencyMs, ms);
        }
        let (verdict, class) = classify(&result, call.events.len());
        metrics.add(
            match class {
                ResultClass::Success => Counter::ApiResponses2xx,
                ResultClass::ClientError => Counter::ApiResponses4xx,
                ResultClass::ServerError => Counter::ApiResponses5xx,
                ResultClass::TransportError => Counter::ApiErrors,
            },
            1,
        );
        self.log_response(&call, &result);
        match verdict {
            Verdict::Delivered => metrics.add(Counter::EventsSent, n),
            Verdict::Split => {
                // Halves go out again at once; a split is not a retry of a transient failure.
                let mut first = call;
                let second_events = first.events.split_off(first.events.len() / 2);
                let second = Call {
                    events: second_events,
                    attempts: first.attempts,
                    trace_id: first.trace_id.clone(),
                };
                for half in [first, second] {
                    self.schedule(half, now_ms, metrics);
                }
            }
            Verdict::Rejected => {
                metrics.add(Counter::EventsFailed, n);
                self.log_failure(&call, "API rejected the events; not retried", &result);
            }
            Verdict::Retry { retry_after_ms } => {
                if call.attempts >= self.settings.retry.max_attempts {
                    metrics.add(Counter::EventsFailed, n);
                    self.log_failure(&call, "Giving up after the last attempt", &result);
                } else {
                    let delay = backoff_ms(
                        &self.settings.retry,
                        call.attempts,
                        jitter(),
                        retry_after_ms,
                    );
                    metrics.add(Counter::ApiRetries, 1);
                    self.schedule(call, now_ms.saturating_add(delay), metrics);
                }
            }
        }
    }

    /// A call whose answer can no longer arrive (the held request's stream ended first): it is
    /// sent again from the root; the API keeps the first copy of an id, so nothing counts twice.
    pub fn requeue(&mut self, mut call: Call, now_ms: u64, metrics: &dyn Metrics) {
        call.attempts = call.attempts.saturating_add(1);
        if call.attempts >= self.settings.retry.max_attempts {
            // That was its last attempt: it may well have been delivered, but we cannot know.
            metrics.add(Counter::EventsFailed, call.events.len() as u64);
            return;
        }
        metrics.add(Counter::ApiRetries, 1);
        self.schedule(call, now_ms, metrics);
    }

    /// Puts a call in the bounded queue, dropping (and counting) the oldest when it is full.
    fn schedule(&mut self, call: Call, due_ms: u64, metrics: &dyn Metrics) {
        match self.queue.push(call, due_ms) {
            Ok(()) => metrics.adjust(Gauge::RetryQueueDepth, 1),
            Err(dropped) => {
                let events = dropped.events.len() as u64;
                metrics.add(Counter::RetryQueueDropped, 1);
                metrics.add(Counter::EventsFailed, events);
                console::emit(
                    self.settings.console,
                    &Record {
                        event_name: Some(&dropped.event_names()),
                        trace_id: dropped.trace_id.as_deref(),
                        ..Record::message(
                            "Retry queue full: oldest call dropped",
                            Some("api.retry.max_queued_requests reached"),
                        )
                    },
                );
            }
        }
    }

    fn log_request(&self, call: &Call, body: &[u8]) {
        if console::level(self.settings.console).is_none_or(|l| !log::log_enabled!(l)) {
            return;
        }
        let raw = std::str::from_utf8(body)
            .ok()
            .and_then(|b| RawValue::from_string(b.to_owned()).ok());
        let names = call.event_names();
        console::emit(
            self.settings.console,
            &Record {
                event_name: Some(&names),
                request_method: Some("POST"),
                request_url: Some(&self.settings.url),
                request_body: raw.as_deref(),
                trace_id: call.trace_id.as_deref(),
                ..Record::new(RecordType::Request)
            },
        );
    }

    fn log_response(&self, call: &Call, result: &CallResult) {
        if console::level(self.settings.console).is_none_or(|l| !log::log_enabled!(l)) {
            return;
        }
        let names = call.event_names();
        let (status, body) = match result {
            CallResult::Answered { status, body, .. } => {
                (Some(*status), console::truncate_body(body))
            }
            CallResult::Reset => (None, String::new()),
        };
        console::emit(
            self.settings.console,
            &Record {
                event_name: Some(&names),
                response_status_code: status,
                response_body: (!body.is_empty()).then_some(body.as_str()),
                message: status
                    .is_none()
                    .then_some("Request failed: connection reset or not sent"),
                trace_id: call.trace_id.as_deref(),
                ..Record::new(RecordType::Response)
            },
        );
    }

    /// Failures are always logged at warn level (with the truncated response body), whatever
    /// the console setting, because they mean lost conversions.
    fn log_failure(&self, call: &Call, message: &str, result: &CallResult) {
        let detail = match result {
            CallResult::Answered { status, body, .. } => {
                format!("HTTP {status}: {}", console::truncate_body(body))
            }
            CallResult::Reset => "connection reset or refused".to_owned(),
        };
        let names = call.event_names();
        let ids: Vec<&str> = call.events.iter().map(|e| e.id.as_str()).collect();
        let reason = format!("{detail} (event ids: {})", ids.join(","));
        log::warn!(
            "{}",
            Record {
                event_name: Some(&names),
                trace_id: call.trace_id.as_deref(),
                ..Record::message(message, Some(&reason))
            }
            .to_line()
        );
    }
}

#[cfg(test)]
mod tests;
