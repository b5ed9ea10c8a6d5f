//! Delivery: getting encoded events to the API without losing any to a transient failure, an
//! outage of up to `api.retry.horizon_ms`, a reload or a graceful shutdown.
//!
//! [`Delivery`] is the per-VM state the root context owns: the optimistic-mode batch, and a
//! bounded queue of calls waiting for their time (fresh batches, retries, split halves). It is
//! pure: the runtime asks it for due [`Call`]s, performs the HTTP callouts, and reports each
//! [`CallResult`] back; delivery decides retry, split or drop, and counts. Events are checked
//! against the API's time window right before every dispatch, so a retry never sends a stale
//! event. Accepted events are counted in `events_sent` and, per identifier they carry, in
//! `events_sent_match_keys`. Every loss is counted in `events_failed` and reported at warn
//! through [`LossLog`]. On shutdown ([`Delivery::begin_shutdown`]) everything pending is due at
//! once and a failed call is no longer retried: its events are lost on shutdown.

pub mod batch;
pub mod held;
pub mod queue;
pub mod retry;

use crate::config::{Config, ConsoleLogging, Retry, API_MAX_EVENTS};
use crate::observe::console::{self, Record, RecordType};
use crate::observe::loss::{LossLog, LossReason};
use crate::observe::metrics::{Counter, Gauge, Histogram, Metrics};
use crate::observe::redact::{self, LoggedRequestBody, LoggedResponseBody, LoggedResponseHeaders};
use crate::observe::throttle::{Throttle, ONCE_PER_MINUTE_MS};
use crate::payload::{EncodedEvent, MatchKeys, RequestBody};
use crate::tag::validate::check_window;
use batch::Batcher;
use queue::{Bounds, SendQueue};
use retry::{
    auth_failure, classify, next_attempt_ms, CallResult, ResultClass, Verdict, AUTH_FAILURE_FIX,
};
use std::cell::RefCell;

/// One API call: the events it carries and how many attempts were already made.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub events: Vec<EncodedEvent>,
    /// Attempts already made (0 for a call never sent).
    pub attempts: u32,
    /// `trace-id` of the collection request that produced it, for logs.
    pub trace_id: Option<String>,
    /// When its first attempt was sent (`None` before): the retry horizon counts from here.
    pub first_attempt_ms: Option<u64>,
}

impl Call {
    pub fn new(events: Vec<EncodedEvent>, trace_id: Option<String>) -> Call {
        Call {
            events,
            attempts: 0,
            trace_id,
            first_attempt_ms: None,
        }
    }

    /// Comma-separated event names, for logs.
    pub fn event_names(&self) -> String {
        let mut names: Vec<&str> = self.events.iter().map(|e| e.name.as_ref()).collect();
        names.dedup();
        names.join(",")
    }

    /// Memory the call holds while it waits (what the queue's byte bound counts): the call
    /// itself, its list of events and every string it owns (event JSON, id and name, the trace
    /// id), by capacity, since that is what the allocator keeps. A bound that counted only the
    /// events let calls of tiny events with long trace ids hold many times the bound.
    pub fn bytes(&self) -> usize {
        let strings: usize = self.events.iter().map(EncodedEvent::heap_bytes).sum();
        std::mem::size_of::<Call>()
            + self.events.capacity() * std::mem::size_of::<EncodedEvent>()
            + strings
            + self.trace_id.as_ref().map_or(0, String::capacity)
    }
}

/// Settings delivery needs, copied out of [`Config`].
#[derive(Debug, Clone)]
pub struct Settings {
    pub retry: Retry,
    pub body: RequestBody,
    pub console: ConsoleLogging,
    /// `logging.full_bodies`: bodies in logs exactly as sent and received.
    pub full_bodies: bool,
    /// `https://<authority><path>?pid=…` for logs (the key is never part of it).
    pub url: String,
    /// `Pixel ID: <pixel_id>`, the `Message` of Request and Response records (as Stape's).
    pub pixel_message: String,
    /// `Request failed or timed out. Pixel ID: <pixel_id>`, Stape's wording for a call that
    /// got no answer.
    pub no_answer_message: String,
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
            full_bodies: config.logging.full_bodies,
            url: format!("https://{}{}", config.api.authority, api_path(config)),
            pixel_message: format!("Pixel ID: {}", config.pixel_id),
            no_answer_message: format!(
                "Request failed or timed out. Pixel ID: {}",
                config.pixel_id
            ),
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
    queue: SendQueue,
    /// Rate-limited loss lines; in a cell because [`Delivery::prepare`] (shared by held
    /// requests) drops stale events through `&self`.
    losses: RefCell<LossLog>,
    /// Set once the plugin is being shut down or replaced: nothing waits any more.
    shutting_down: bool,
    /// Calls this VM last reported in the `retry_queue_depth` gauge.
    reported_depth: usize,
    /// 401/403 repeat on every call until the config is fixed: one error line a minute.
    auth_failures: Throttle,
}

impl Delivery {
    pub fn new(config: &Config) -> Delivery {
        let retry = &config.api.retry;
        Delivery {
            settings: Settings::from_config(config),
            batcher: Batcher::new(config.api.batch.clone()),
            queue: SendQueue::new(Bounds {
                max_events: retry.max_queued_events,
                max_bytes: retry.max_queued_bytes,
            }),
            losses: RefCell::new(LossLog::default()),
            shutting_down: false,
            reported_depth: 0,
            auth_failures: Throttle::new(ONCE_PER_MINUTE_MS),
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

    /// Calls to dispatch now: due retries and split halves, plus a batch whose delay passed
    /// (while shutting down: everything pending, due or not). Events outside the time window
    /// are dropped here (counted as failed); a call left empty is not returned. Loss lines
    /// whose rate-limit window passed are written too.
    pub fn take_due(&mut self, now_ms: u64, metrics: &dyn Metrics) -> Vec<Dispatch> {
        let batch = self
            .batcher
            .take_due(if self.shutting_down { u64::MAX } else { now_ms });
        if let Some(call) = batch {
            self.schedule(call, now_ms, metrics);
        }
        let due = if self.shutting_down {
            self.queue.take_all()
        } else {
            self.queue.take_due(now_ms)
        };
        self.sync_depth(metrics);
        let dispatches = due
            .into_iter()
            .filter_map(|call| self.prepare(call, now_ms, metrics))
            .collect();
        self.report_losses(now_ms);
        dispatches
    }

    /// Writes the loss lines whose rate-limit window has passed (all of them when shutting
    /// down: there is no later).
    pub fn report_losses(&self, now_ms: u64) {
        for line in self.losses.borrow_mut().flush(now_ms, self.shutting_down) {
            log::warn!("{line}");
        }
    }

    /// Builds the body for a call about to be sent, dropping events whose window has passed.
    pub fn prepare(&self, mut call: Call, now_ms: u64, metrics: &dyn Metrics) -> Option<Dispatch> {
        let before = call.events.len();
        let mut latest_reason = String::new();
        call.events
            .retain(|e| match check_window(e.timestamp_ms, now_ms) {
                Ok(()) => true,
                Err(reason) => {
                    latest_reason = reason.to_string();
                    console::emit(
                        self.settings.console,
                        &Record {
                            event_name: Some(&e.name),
                            trace_id: call.trace_id.as_deref(),
                            ..Record::message(
                                "Event dropped before sending: outside the API's time window",
                                Some(&latest_reason),
                            )
                        },
                    );
                    false
                }
            });
        let stale = (before - call.events.len()) as u64;
        if stale > 0 {
            self.lose(
                LossReason::OutsideWindow,
                stale,
                &format!("dropped before sending: {latest_reason}"),
                now_ms,
                metrics,
            );
        }
        if call.events.is_empty() {
            return None;
        }
        let body = self.settings.body.encode(&call.events);
        self.log_request(&call, &body);
        Some(Dispatch { call, body })
    }

    /// When the runtime must next call [`Delivery::take_due`] (`None`: nothing pending).
    pub fn next_due_ms(&self) -> Option<u64> {
        [
            self.batcher.due_at(),
            self.queue.next_due(),
            self.losses.borrow().next_due_ms(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whether any work is pending (batch, queue, or a loss line still to write).
    pub fn is_idle(&self) -> bool {
        self.next_due_ms().is_none()
    }

    /// Events waiting (batch and queue), for shutdown reports.
    pub fn pending_events(&self) -> usize {
        self.batcher.events() + self.queue.events()
    }

    /// The plugin is being shut down or replaced: from now on every pending call is due at
    /// once, and a call that fails is not retried but lost (counted and logged). What is
    /// pending now is merged into as few calls as the API allows: at process exit Envoy does
    /// not wait for callouts, and the fewer there are, the more of them leave in time.
    pub fn begin_shutdown(&mut self, now_ms: u64, metrics: &dyn Metrics) {
        self.shutting_down = true;
        let mut calls = self.queue.take_all();
        calls.extend(self.batcher.take_due(u64::MAX));
        for call in merge(calls, usize::try_from(API_MAX_EVENTS).unwrap_or(1000)) {
            self.schedule(call, now_ms, metrics);
        }
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down
    }

    /// The runtime reports that `dispatch` was sent and how it ended. `jitter` yields a uniform
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
        call.first_attempt_ms
            .get_or_insert(now_ms.saturating_sub(latency_ms.unwrap_or(0)));
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
            Verdict::Delivered => {
                metrics.add(Counter::EventsSent, n);
                let keys = MatchKeys::tally(call.events.iter().map(|e| e.match_keys));
                for (key, count) in keys {
                    metrics.add(Counter::sent_with(key), count);
                }
            }
            Verdict::Split => {
                // Halves go out again at once; a split is not a retry of a transient failure.
                let mut first = call;
                let second_events = first.events.split_off(first.events.len() / 2);
                let second = Call {
                    events: second_events,
                    ..first.clone()
                };
                for half in [first, second] {
                    self.schedule(half, now_ms, metrics);
                }
            }
            Verdict::Rejected => {
                if let Some(status) = auth_failure(&result) {
                    self.log_auth_failure(status, now_ms);
                }
                self.log_failure(
                    &call,
                    LossReason::FinalFailure,
                    "API rejected the events; not retried",
                    &result,
                    now_ms,
                    metrics,
                );
            }
            Verdict::Retry { .. } if self.shutting_down => {
                self.log_failure(
                    &call,
                    LossReason::Shutdown,
                    "Failed while shutting down; no time left to retry",
                    &result,
                    now_ms,
                    metrics,
                );
            }
            Verdict::Retry { retry_after_ms } => {
                match next_attempt_ms(&self.settings.retry, &call, now_ms, jitter, retry_after_ms) {
                    Some(due) => {
                        metrics.add(Counter::ApiRetries, 1);
                        self.schedule(call, due, metrics);
                    }
                    None => self.log_failure(
                        &call,
                        LossReason::FinalFailure,
                        "Giving up: the retry horizon (or attempt cap) is reached",
                        &result,
                        now_ms,
                        metrics,
                    ),
                }
            }
        }
    }

    /// A call whose answer can no longer arrive (the held request's stream ended first): it is
    /// sent again from the root; the API keeps the first copy of an id, so nothing counts twice.
    pub fn requeue(&mut self, mut call: Call, now_ms: u64, metrics: &dyn Metrics) {
        call.attempts = call.attempts.saturating_add(1);
        call.first_attempt_ms.get_or_insert(now_ms);
        // Sent again at once: the attempt did not fail, its answer was just not awaited.
        if next_attempt_ms(&self.settings.retry, &call, now_ms, &mut || 0.0, None).is_none() {
            // That was its last attempt: it may well have been delivered, but we cannot know.
            self.lose(
                LossReason::FinalFailure,
                call.events.len() as u64,
                "the held request ended before the API answered its last attempt",
                now_ms,
                metrics,
            );
            return;
        }
        metrics.add(Counter::ApiRetries, 1);
        self.schedule(call, now_ms, metrics);
    }

    /// Puts a call in the bounded queue, dropping (and counting) the oldest calls when full.
    fn schedule(&mut self, call: Call, due_ms: u64, metrics: &dyn Metrics) {
        let dropped = self.queue.push(call, due_ms);
        for call in dropped {
            let events = call.events.len() as u64;
            metrics.add(Counter::RetryQueueDropped, 1);
            console::emit(
                self.settings.console,
                &Record {
                    event_name: Some(&call.event_names()),
                    trace_id: call.trace_id.as_deref(),
                    ..Record::message(
                        "Send queue full: oldest call dropped",
                        Some("api.retry.max_queued_events or max_queued_bytes reached"),
                    )
                },
            );
            self.lose(
                LossReason::QueueFull,
                events,
                "oldest call dropped: api.retry.max_queued_events or max_queued_bytes reached",
                due_ms,
                metrics,
            );
        }
        self.sync_depth(metrics);
    }

    /// Keeps the `retry_queue_depth` gauge (summed over VMs) at this VM's queue length.
    fn sync_depth(&mut self, metrics: &dyn Metrics) {
        let now = self.queue.calls();
        let delta = i64::try_from(now).unwrap_or(i64::MAX)
            - i64::try_from(self.reported_depth).unwrap_or(i64::MAX);
        if delta != 0 {
            metrics.adjust(Gauge::RetryQueueDepth, delta);
        }
        self.reported_depth = now;
    }

    /// Counts lost events (`events_failed`, and `events_lost_on_shutdown` for that reason) and
    /// writes the rate-limited warn line.
    fn lose(
        &self,
        reason: LossReason,
        events: u64,
        detail: &str,
        now_ms: u64,
        metrics: &dyn Metrics,
    ) {
        metrics.add(Counter::EventsFailed, events);
        if reason == LossReason::Shutdown {
            metrics.add(Counter::EventsLostOnShutdown, events);
        }
        if let Some(line) = self
            .losses
            .borrow_mut()
            .record(reason, events, detail, now_ms)
        {
            log::warn!("{line}");
        }
    }

    fn log_request(&self, call: &Call, body: &[u8]) {
        if !console::wanted(self.settings.console) {
            return;
        }
        let logged = LoggedRequestBody::new(body, self.settings.full_bodies);
        let names = call.event_names();
        console::emit(
            self.settings.console,
            &Record {
                event_name: Some(&names),
                request_method: Some("POST"),
                request_url: Some(&self.settings.url),
                request_body: logged.as_ref(),
                message: Some(&self.settings.pixel_message),
                trace_id: call.trace_id.as_deref(),
                ..Record::new(RecordType::Request)
            },
        );
    }

    /// A `Response` record for an answer from the API; for a call that got none (reset,
    /// refused, timed out: Envoy's local replies included), Stape's `Message` record
    /// `Request failed or timed out. Pixel ID: …` with the cause as JSON text in `Reason`.
    fn log_response(&self, call: &Call, result: &CallResult) {
        if !console::wanted(self.settings.console) {
            return;
        }
        let names = call.event_names();
        if let Some(reason) = retry::no_answer_reason(result) {
            console::emit(
                self.settings.console,
                &Record {
                    event_name: Some(&names),
                    trace_id: call.trace_id.as_deref(),
                    ..Record::message(&self.settings.no_answer_message, Some(&reason))
                },
            );
            return;
        }
        let CallResult::Answered {
            status,
            body,
            headers,
            ..
        } = result
        else {
            return;
        };
        let headers = LoggedResponseHeaders::new(headers);
        let body = LoggedResponseBody::new(body, self.settings.full_bodies);
        console::emit(
            self.settings.console,
            &Record {
                event_name: Some(&names),
                response_status_code: Some(*status),
                response_headers: headers.as_ref(),
                response_body: body.as_ref(),
                message: Some(&self.settings.pixel_message),
                trace_id: call.trace_id.as_deref(),
                ..Record::new(RecordType::Response)
            },
        );
    }

    /// A 401/403: the same fault on every call until the configuration changes, so one error
    /// line a minute, saying what to fix, stands for all of them (the loss itself is reported
    /// like any other).
    fn log_auth_failure(&mut self, status: u16, now_ms: u64) {
        if let Some(held_back) = self.auth_failures.admit(now_ms) {
            log::error!(
                "API answered {status}: events are lost until the configuration is fixed; {AUTH_FAILURE_FIX} ({held_back} more such answers since the last report)"
            );
        }
    }

    /// A call's events are given up on: counted, and logged at warn level (rate-limited; the API's
    /// answer only with `logging.full_bodies`) whatever the console setting, because they are lost
    /// conversions.
    fn log_failure(
        &self,
        call: &Call,
        kind: LossReason,
        message: &str,
        result: &CallResult,
        now_ms: u64,
        metrics: &dyn Metrics,
    ) {
        let detail = match result {
            CallResult::Answered { status, body, .. } => {
                redact::response_summary(*status, body, self.settings.full_bodies)
            }
            CallResult::Reset => "connection reset or refused".to_owned(),
        };
        let names = call.event_names();
        let ids: Vec<&str> = call.events.iter().map(|e| e.id.as_str()).collect();
        let reason = format!("{detail} (event ids: {})", ids.join(","));
        let record = Record {
            event_name: Some(&names),
            trace_id: call.trace_id.as_deref(),
            ..Record::message(message, Some(&reason))
        };
        console::tap(&record);
        let line = record.to_line();
        self.lose(kind, call.events.len() as u64, &line, now_ms, metrics);
    }
}

/// Packs the events of `calls` (oldest first) into calls of at most `max` events. A merged
/// call keeps the first trace id and the highest attempt count of what it carries.
fn merge(calls: Vec<Call>, max: usize) -> Vec<Call> {
    let mut out: Vec<Call> = Vec::new();
    for call in calls {
        for event in call.events {
            match out.last_mut() {
                Some(last) if last.events.len() < max => {
                    last.events.push(event);
                    last.attempts = last.attempts.max(call.attempts);
                }
                _ => out.push(Call {
                    events: vec![event],
                    attempts: call.attempts,
                    trace_id: call.trace_id.clone(),
                    first_attempt_ms: call.first_attempt_ms,
                }),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
