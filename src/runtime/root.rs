//! The root context's decisions: one per plugin configuration per VM (one VM per Envoy
//! worker). It holds the state it shares with its HTTP contexts ([`Shared`]), and sends every
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

use super::answer::call_result;
use super::held;
use super::host::Host;
use super::shared::{without_body, Shared};
use crate::config::Config;
use crate::delivery::retry::CallResult;
use crate::delivery::Dispatch;
use crate::observe::console::{self, Record};
use crate::observe::redact::Escaped;
use log::Level;
use std::collections::HashMap;
use std::rc::Rc;

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
pub enum Lifecycle {
    Running,
    /// `on_done` returned `false`: callouts are in flight; `done` is owed to Envoy.
    Draining,
    /// `done` was called (or `on_done` returned `true`); Envoy deletes the context next.
    Done,
}

pub struct Root<H: Host + 'static> {
    context_id: u32,
    shared: Option<Rc<Shared<H>>>,
    in_flight: HashMap<u32, InFlight>,
    lifecycle: Lifecycle,
}

impl<H: Host + 'static> Root<H> {
    pub fn new(context_id: u32) -> Root<H> {
        Root {
            context_id,
            shared: None,
            in_flight: HashMap::new(),
            lifecycle: Lifecycle::Running,
        }
    }

    /// The state HTTP contexts share, once configured.
    pub fn shared(&self) -> Option<Rc<Shared<H>>> {
        self.shared.clone()
    }

    pub fn lifecycle(&self) -> Lifecycle {
        self.lifecycle
    }

    /// `on_configure`: validates the plugin configuration; `host` builds the host for it
    /// (metrics are defined under its prefix). Returns whether Envoy may use the plugin.
    pub fn configure(
        &mut self,
        bytes: &[u8],
        env: &dyn Fn(&str) -> Option<String>,
        host: impl FnOnce(&Config) -> H,
    ) -> bool {
        let config = match Config::from_plugin_configuration(bytes, env) {
            Ok(c) => c,
            Err(e) => {
                // Field names and values in the message come from the configuration as written.
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
        let host = host(&config);
        self.start(config, host);
        true
    }

    /// Starts serving a validated configuration.
    pub fn start(&mut self, config: Config, host: H) {
        let shared = Rc::new(Shared::new(self.context_id, config, host));
        shared.host.report_memory();
        install_bigquery_tap(&shared);
        shared.host.log(
            Level::Info,
            format_args!("configured (root context {})", self.context_id),
        );
        self.shared = Some(shared);
    }

    /// Whether every call and BigQuery callout of a shutting-down root has ended (call after
    /// [`Root::flush`]: in shutdown it takes everything, so only calls in flight can remain);
    /// logs the outcome.
    fn drained(&self, shared: &Shared<H>) -> bool {
        if !self.in_flight.is_empty() || shared.bigquery.as_ref().is_some_and(|b| !b.idle()) {
            return false;
        }
        // Losses the flush itself recorded (a refused dispatch) are reported now.
        shared.delivery.borrow().report_losses(shared.host.now_ms());
        if let Some(bigquery) = &shared.bigquery {
            bigquery.report_shutdown(&shared.host);
        }
        shared.host.log(
            Level::Info,
            format_args!(
                "root context {}: shutdown flush complete; every pending call has ended",
                self.context_id
            ),
        );
        true
    }

    /// At shutdown, after everything was sent: the events Envoy holds for this root and that
    /// no answer has confirmed yet. On a reload Envoy waits for their answers; at process exit
    /// it may not (a bare SIGTERM does not wait, and a call that still needs a connection is
    /// then lost with the process), so this warn line is the record of what was at stake. The
    /// `shutdown flush complete` line follows once every call has ended.
    fn warn_unconfirmed(&self, shared: &Shared<H>) {
        let calls = self.in_flight.len();
        let events: usize = self
            .in_flight
            .values()
            .map(|f| f.dispatch.call.events.len())
            .sum();
        if events > 0 {
            shared.host.log(
                Level::Warn,
                format_args!(
                    "root context {}: {events} event(s) in {calls} call(s) handed to Envoy at \
                     shutdown, not confirmed yet; if Envoy exits before the API answers (a bare \
                     SIGTERM does not wait), they are lost. Drain first: see the README, Reloads \
                     and shutdown",
                    self.context_id
                ),
            );
        }
    }

    /// While draining, after an answer (API call or BigQuery callout): sends the BigQuery rows
    /// logged since, and calls `done` once nothing is left on the wire.
    fn finish_if_drained(&mut self, shared: &Shared<H>) {
        if self.lifecycle != Lifecycle::Draining {
            return;
        }
        if let Some(bigquery) = &shared.bigquery {
            bigquery.drain(&shared.host);
        }
        if self.drained(shared) {
            self.lifecycle = Lifecycle::Done;
            // Only after `on_done` returned false: Envoy answers NotFound otherwise, which the
            // SDK turns into a panic.
            shared.host.done();
        }
    }

    /// Sends every call that is due; a refused dispatch is reported as a failed attempt.
    fn flush(&mut self, shared: &Shared<H>) {
        let now = shared.host.now_ms();
        let due = shared.delivery.borrow_mut().take_due(now, &shared.host);
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
    fn flush_held(&mut self, shared: &Shared<H>) {
        let in_flight = &mut self.in_flight;
        held::flush(shared, |token, dispatch, sent_at_ms| {
            in_flight.insert(token, InFlight::new(dispatch, sent_at_ms));
        });
    }

    /// `on_http_call_response` of the root: one of its API calls or BigQuery callouts ended.
    pub fn on_answer(&mut self, token_id: u32, num_headers: usize, body_size: usize) {
        console::enter_plugin(self.context_id);
        let Some(shared) = self.shared.clone() else {
            return;
        };
        let Some(call) = self.in_flight.remove(&token_id) else {
            if let Some(bigquery) = &shared.bigquery {
                bigquery.on_response(&shared.host, token_id, num_headers, body_size);
            }
            self.finish_if_drained(&shared);
            return;
        };
        shared.host.follow_log_level();
        let result = call_result(&shared.host, num_headers, body_size);
        shared.complete(call.dispatch, result, Some(call.sent_at_ms));
        held::answered(&shared, token_id);
        if self.lifecycle == Lifecycle::Draining {
            // Split halves go out at once; failures are lost, not retried.
            self.flush(&shared);
        }
        self.finish_if_drained(&shared);
    }

    /// `on_done` of the root: sends everything pending; `true` when nothing is left in flight.
    pub fn on_done(&mut self) -> bool {
        console::enter_plugin(self.context_id);
        let Some(shared) = self.shared.clone() else {
            return true;
        };
        if self.lifecycle != Lifecycle::Running {
            return self.lifecycle == Lifecycle::Done;
        }
        let now = shared.host.now_ms();
        shared
            .delivery
            .borrow_mut()
            .begin_shutdown(now, &shared.host);
        shared.host.log(
            Level::Info,
            format_args!(
                "root context {}: shutting down; sending {} pending event(s) now, {} call(s) \
                 already in flight",
                self.context_id,
                shared.delivery.borrow().pending_events(),
                self.in_flight.len()
            ),
        );
        self.flush(&shared);
        // Held batches still gathering go now too; their requests wait for the answer.
        shared.held.borrow_mut().send_open_now();
        self.flush_held(&shared);
        if let Some(bigquery) = &shared.bigquery {
            bigquery.shutdown(&shared.host);
        }
        self.warn_unconfirmed(&shared);
        if self.drained(&shared) {
            self.lifecycle = Lifecycle::Done;
            true
        } else {
            self.lifecycle = Lifecycle::Draining;
            false
        }
    }

    /// `on_queue_ready` of the root: a held batch asked to be sent now.
    pub fn on_queue_ready(&mut self, queue_id: u32) {
        console::enter_plugin(self.context_id);
        let Some(shared) = self.shared.clone() else {
            return;
        };
        if shared.wake_queue != Some(queue_id) {
            return;
        }
        // Envoy calls this once per item enqueued, and one wake-up is queued at a time.
        shared.host.take_wake(queue_id);
        shared.wake_pending.set(false);
        self.flush_held(&shared);
    }

    /// `on_tick` of the root: releases stalled requests, sends what is due, and retimes or
    /// stops the timer.
    pub fn on_tick(&mut self) {
        console::enter_plugin(self.context_id);
        let Some(shared) = self.shared.clone() else {
            return;
        };
        shared.host.follow_log_level();
        shared.release_stalled();
        self.flush(&shared);
        if let Some(bigquery) = &shared.bigquery {
            bigquery.poll(&shared.host);
        }
        self.flush_held(&shared);
        shared.retime_tick();
    }
}

impl<H: Host + 'static> Drop for Root<H> {
    fn drop(&mut self) {
        // Envoy deletes a root context once it is done; its records have nowhere to go.
        console::set_tap(self.context_id, None);
    }
}

/// Sends this plugin's console records to its BigQuery link. Records of another plugin sharing
/// the VM go to that plugin's own tap, or nowhere; the tap is removed with the root context.
/// Records are only ever produced inside the plugin's own callbacks, so the timer started for a
/// row is the plugin's root's.
fn install_bigquery_tap<H: Host + 'static>(shared: &Rc<Shared<H>>) {
    if shared.bigquery.is_none() {
        return;
    }
    let weak = Rc::downgrade(shared);
    console::set_tap(
        shared.root_id,
        Some(Box::new(move |record: &Record<'_>| {
            if let Some(shared) = weak.upgrade() {
                if let Some(link) = &shared.bigquery {
                    link.record(record, &shared.host);
                }
                shared.wake_for_logging();
            }
        })),
    );
}
