//! Root context: one per plugin configuration per VM (one VM per Envoy worker). It parses the
//! configuration, builds the state it shares with its HTTP contexts (`shared`), and sends every
//! callout that must outlive a collection request (optimistic batches, shared held batches,
//! retries, split halves) from its own callbacks (timer, wake queue, callout answers): the SDK
//! hands a callout's answer to the context that sent it and drops it once that stream is gone.
//!
//! Shutdown: Envoy calls `on_done` when this root's plugin configuration is replaced (a new
//! root takes over new traffic; this one is dropped once its listener drained) and when the
//! VM ends. The root then sends everything still pending at once (API calls and BigQuery
//! rows), returns `false` while those callouts are in flight, and calls `done` when the last one
//! has answered or timed out; what fails meanwhile is counted in `events_lost_on_shutdown` /
//! `bigquery_rows_lost_on_shutdown` and logged at warn.

use super::bigquery::BigQueryLink;
use super::held;
use super::host::{self, HostMetrics};
use super::http::Http;
use super::shared::{without_body, Shared};
use crate::config::Config;
use crate::delivery::held::HeldBatches;
use crate::delivery::retry::CallResult;
use crate::delivery::{api_headers, Delivery, Dispatch};
use crate::observe::console;
use crate::observe::redact::Escaped;
use crate::observe::throttle::{Throttle, ONCE_PER_MINUTE_MS};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{BufferType, ContextType};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

struct InFlight {
    dispatch: Dispatch,
    sent_at_ms: u64,
}

impl InFlight {
    fn new(dispatch: Dispatch, sent_at_ms: u64) -> InFlight {
        InFlight {
            dispatch: without_body(dispatch),
            sent_at_ms,
        }
    }
}

/// Where the root is in its shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifecycle {
    Running,
    /// `on_done` returned `false`: callouts are in flight; `done` is owed to Envoy.
    Draining,
    /// `done` was called (or `on_done` returned `true`); Envoy deletes the context next.
    Done,
}

pub struct Root {
    context_id: u32,
    shared: Option<Rc<Shared>>,
    in_flight: HashMap<u32, InFlight>,
    lifecycle: Lifecycle,
}

impl Root {
    pub fn new(context_id: u32) -> Root {
        Root {
            context_id,
            shared: None,
            in_flight: HashMap::new(),
            lifecycle: Lifecycle::Running,
        }
    }

    /// Whether every call and BigQuery callout of a shutting-down root has ended (call after
    /// [`Root::flush`]: in shutdown it takes everything, so only calls in flight can remain);
    /// logs the outcome.
    fn drained(&self, shared: &Shared) -> bool {
        if !self.in_flight.is_empty() || shared.bigquery.as_ref().is_some_and(|b| !b.idle()) {
            return false;
        }
        // Losses the flush itself recorded (a refused dispatch) are reported now.
        shared.delivery.borrow().report_losses(host::now_ms());
        if let Some(bigquery) = &shared.bigquery {
            bigquery.report_shutdown();
        }
        log::info!(
            "root context {}: shutdown flush complete; every pending call has ended",
            self.context_id
        );
        true
    }

    /// At shutdown, after everything was sent: the events Envoy holds for this root and that
    /// no answer has confirmed yet. On a reload Envoy waits for their answers; at process exit
    /// it may not (a bare SIGTERM does not wait, and a call that still needs a connection is
    /// then lost with the process), so this warn line is the record of what was at stake. The
    /// `shutdown flush complete` line follows once every call has ended.
    fn warn_unconfirmed(&self) {
        let calls = self.in_flight.len();
        let events: usize = self
            .in_flight
            .values()
            .map(|f| f.dispatch.call.events.len())
            .sum();
        if events > 0 {
            log::warn!(
                "root context {}: {events} event(s) in {calls} call(s) handed to Envoy at \
                 shutdown, not confirmed yet; if Envoy exits before the API answers (a bare \
                 SIGTERM does not wait), they are lost. Drain first: see the README, Reloads \
                 and shutdown",
                self.context_id
            );
        }
    }

    /// While draining, after an answer (API call or BigQuery callout): sends the BigQuery rows
    /// logged since, and calls `done` once nothing is left on the wire.
    fn finish_if_drained(&mut self, shared: &Shared) {
        if self.lifecycle != Lifecycle::Draining {
            return;
        }
        if let Some(bigquery) = &shared.bigquery {
            bigquery.drain();
        }
        if self.drained(shared) {
            self.lifecycle = Lifecycle::Done;
            // Only after `on_done` returned false: Envoy answers NotFound otherwise, which the
            // SDK turns into a panic.
            let _ = hostcalls::done();
        }
    }

    /// Sends every call that is due; a refused dispatch is reported as a failed attempt.
    fn flush(&mut self, shared: &Shared) {
        let now = host::now_ms();
        let due = shared.delivery.borrow_mut().take_due(now, &shared.metrics);
        for dispatch in due {
            match shared.dispatch(&dispatch) {
                Some(token) => {
                    self.in_flight.insert(token, InFlight::new(dispatch, now));
                }
                None => shared.complete(dispatch, CallResult::Reset, None),
            }
        }
    }

    /// Sends the held batches that are due, tracked like every root callout.
    fn flush_held(&mut self, shared: &Shared) {
        let in_flight = &mut self.in_flight;
        held::flush(shared, self.context_id, |token, dispatch, sent_at_ms| {
            in_flight.insert(token, InFlight::new(dispatch, sent_at_ms));
        });
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        // Envoy deletes a root context once it is done; its records have nowhere to go.
        console::set_tap(self.context_id, None);
    }
}

impl Context for Root {
    fn on_http_call_response(
        &mut self,
        token_id: u32,
        num_headers: usize,
        body_size: usize,
        _num_trailers: usize,
    ) {
        console::enter_plugin(self.context_id);
        let Some(shared) = self.shared.clone() else {
            return;
        };
        let Some(call) = self.in_flight.remove(&token_id) else {
            if let Some(bigquery) = &shared.bigquery {
                bigquery.on_response(token_id, num_headers, body_size);
            }
            self.finish_if_drained(&shared);
            return;
        };
        host::follow_host_log_level();
        let result = host::call_result(num_headers, body_size);
        shared.complete(call.dispatch, result, Some(call.sent_at_ms));
        held::answered(&shared, self.context_id, token_id);
        if self.lifecycle == Lifecycle::Draining {
            // Split halves go out at once; failures are lost, not retried.
            self.flush(&shared);
        }
        self.finish_if_drained(&shared);
    }

    fn on_done(&mut self) -> bool {
        console::enter_plugin(self.context_id);
        let Some(shared) = self.shared.clone() else {
            return true;
        };
        if self.lifecycle != Lifecycle::Running {
            return self.lifecycle == Lifecycle::Done;
        }
        shared
            .delivery
            .borrow_mut()
            .begin_shutdown(host::now_ms(), &shared.metrics);
        log::info!(
            "root context {}: shutting down; sending {} pending event(s) now, {} call(s) already \
             in flight",
            self.context_id,
            shared.delivery.borrow().pending_events(),
            self.in_flight.len()
        );
        self.flush(&shared);
        // Held batches still gathering go now too; their requests wait for the answer.
        shared.held.borrow_mut().send_open_now();
        self.flush_held(&shared);
        if let Some(bigquery) = &shared.bigquery {
            bigquery.shutdown();
        }
        self.warn_unconfirmed();
        if self.drained(&shared) {
            self.lifecycle = Lifecycle::Done;
            true
        } else {
            self.lifecycle = Lifecycle::Draining;
            false
        }
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        console::enter_plugin(self.context_id);
        host::follow_host_log_level();
        // First, so that even a refused configuration's report says which build refused it.
        log::info!(
            "openai-capi-filter {} (build {})",
            env!("CARGO_PKG_VERSION"),
            env!("OPENAI_CAPI_BUILD")
        );
        let bytes = hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX)
            .ok()
            .flatten()
            .unwrap_or_default();
        let config =
            match Config::from_plugin_configuration(&bytes, &|name| std::env::var(name).ok()) {
                Ok(c) => c,
                Err(e) => {
                    // Field names and values in the message come from the configuration as
                    // written.
                    log::error!("{}", Escaped(&e.to_string()));
                    return false;
                }
            };
        if self.shared.is_some() {
            // Envoy gives a changed configuration a new root context; a second call on this
            // one would orphan queued retries, so keep the first.
            log::warn!(
                "on_configure called twice on one root context; keeping the first configuration"
            );
            return true;
        }
        let held_window_ms = if config.optimistic {
            0
        } else {
            config.api.held_window_ms
        };
        let tick_ms = (config.api.batch.max_delay_ms / 4).clamp(1, 20);
        let wake_queue = (held_window_ms > 0)
            .then(|| register_wake_queue(&config.metric_prefix))
            .flatten();
        self.shared = Some(Rc::new(Shared {
            root_id: self.context_id,
            api_headers: api_headers(&config),
            delivery: RefCell::new(Delivery::new(&config)),
            held: RefCell::new(HeldBatches::new(
                held_window_ms,
                config.api.batch.max_events,
            )),
            metrics: HostMetrics::define(&config.metric_prefix),
            summary_key: format!("{}.summary", config.metric_prefix),
            body_watch: RefCell::new(Vec::new()),
            tick_armed: Cell::new(false),
            tick: Duration::from_millis(tick_ms),
            tick_now: Cell::new(Duration::from_millis(tick_ms)),
            bigquery: config
                .logging
                .bigquery
                .as_ref()
                .map(|bq| BigQueryLink::new(bq, &config.metric_prefix)),
            config,
            unread_bodies: RefCell::new(Throttle::new(ONCE_PER_MINUTE_MS)),
            wake_queue,
            wake_pending: Cell::new(false),
        }));
        if let Some(shared) = &self.shared {
            shared.metrics.report_memory();
            install_bigquery_tap(shared);
        }
        log::info!("configured (root context {})", self.context_id);
        true
    }

    fn on_queue_ready(&mut self, queue_id: u32) {
        console::enter_plugin(self.context_id);
        let Some(shared) = self.shared.clone() else {
            return;
        };
        if shared.wake_queue != Some(queue_id) {
            return;
        }
        // Envoy calls this once per item enqueued, and one wake-up is queued at a time.
        let _ = hostcalls::dequeue_shared_queue(queue_id);
        shared.wake_pending.set(false);
        self.flush_held(&shared);
    }

    fn on_tick(&mut self) {
        console::enter_plugin(self.context_id);
        let Some(shared) = self.shared.clone() else {
            return;
        };
        host::follow_host_log_level();
        shared.release_stalled(self.context_id);
        self.flush(&shared);
        if let Some(bigquery) = &shared.bigquery {
            bigquery.poll();
        }
        self.flush_held(&shared);
        if !shared.has_work() {
            if hostcalls::set_tick_period(Duration::ZERO).is_ok() {
                shared.tick_armed.set(false);
            }
        } else {
            shared.retime_tick();
        }
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        let shared = self.shared.clone()?;
        Some(Box::new(Http::new(context_id, shared)))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

/// Registers this root's wake queue. Envoy keys queues by VM id and name, and every worker's VM
/// shares the VM id, so the name carries random bytes to stay this root's own.
fn register_wake_queue(metric_prefix: &str) -> Option<u32> {
    let suffix: String = host::random16()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = format!("{metric_prefix}.held_wake.{suffix}");
    hostcalls::register_shared_queue(&name)
        .map_err(|status| {
            log::warn!(
                "the host refused a shared queue ({status:?}); held batches wait for the timer"
            );
        })
        .ok()
}

/// Sends this plugin's console records to its BigQuery link. Records of another plugin sharing
/// the VM go to that plugin's own tap, or nowhere; the tap is removed with the root context.
fn install_bigquery_tap(shared: &Rc<Shared>) {
    if let Some(link) = &shared.bigquery {
        let weak = Rc::downgrade(shared);
        BigQueryLink::install_tap(link, shared.root_id, move || {
            if let Some(shared) = weak.upgrade() {
                shared.wake_for_logging();
            }
        });
    }
}
