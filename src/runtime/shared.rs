//! State a root context shares with its HTTP contexts on one worker: the validated config, the
//! host (with the plugin's metrics), delivery (batches, retries, held batches) and the root's
//! timer and wake queue. It is one plugin's: a VM may serve several plugins (the same
//! `vm_config` on two listeners), each with its own root context and its own `Shared`, and
//! nothing here is kept per VM. Both the root (`root`) and the request side (`request`, `held`)
//! use it, so it lives in its own module and neither of them imports the other for it. Every
//! field is touched from the VM's one thread only, hence `Cell`/`RefCell` rather than locks.

use super::bigquery::BigQueryLink;
use super::host::{jitter, Host};
use crate::config::Config;
use crate::delivery::held::HeldBatches;
use crate::delivery::retry::CallResult;
use crate::delivery::{api_headers, Delivery, Dispatch};
use crate::observe::throttle::{Throttle, ONCE_PER_MINUTE_MS};
use log::Level;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

/// State shared by the root context and its HTTP contexts (same VM thread).
pub struct Shared<H: Host> {
    /// The root context's id: this plugin's identity in a VM that may serve several plugins
    /// (see `observe::console::enter_plugin`).
    pub root_id: u32,
    pub config: Config,
    /// The host, which is also where this plugin's metrics go.
    pub host: H,
    /// Filter state key of the per-request summary: `<metric_prefix>.summary`.
    pub summary_key: String,
    pub delivery: RefCell<Delivery>,
    /// Held mode: the batches held requests share (see `runtime::held`).
    pub held: RefCell<HeldBatches>,
    /// Headers of every API call (built once; they carry the key).
    api_headers: Vec<(&'static str, String)>,
    /// Requests whose headers are held while their body is awaited, with the time by which
    /// the body must have started; see [`Shared::watch_body`].
    body_watch: RefCell<Vec<(u32, u64)>>,
    /// Whether the root's timer is running.
    pub(super) tick_armed: Cell<bool>,
    tick: Duration,
    /// The period the timer runs at now: `tick`, or shorter until the next tick.
    tick_now: Cell<Duration>,
    /// BigQuery logging, when configured: its own state and callouts, driven by the timer.
    pub(super) bigquery: Option<Rc<BigQueryLink>>,
    /// Collection bodies the route answered before they were read: one warning a minute.
    pub unread_bodies: RefCell<Throttle>,
    /// Held mode: this root's shared queue; an item in it makes Envoy call `on_queue_ready` on
    /// the root on the next event-loop turn (see `runtime::held`). `None`: held batching is off.
    pub(super) wake_queue: Option<u32>,
    /// A wake-up is in the queue and `on_queue_ready` has not run yet.
    pub(super) wake_pending: Cell<bool>,
}

impl<H: Host> Shared<H> {
    /// The state of a freshly configured root: its timer period, held batching and wake queue
    /// follow from `config`.
    pub fn new(root_id: u32, config: Config, host: H) -> Shared<H> {
        let held_window_ms = if config.optimistic {
            0
        } else {
            config.api.held_window_ms
        };
        let tick_ms = (config.api.batch.max_delay_ms / 4).clamp(1, 20);
        let wake_queue = (held_window_ms > 0)
            .then(|| register_wake_queue(&host, &config.metric_prefix))
            .flatten();
        Shared {
            root_id,
            api_headers: api_headers(&config),
            delivery: RefCell::new(Delivery::new(&config)),
            held: RefCell::new(HeldBatches::new(
                held_window_ms,
                config.api.batch.max_events,
            )),
            summary_key: format!("{}.summary", config.metric_prefix),
            body_watch: RefCell::new(Vec::new()),
            tick_armed: Cell::new(false),
            tick: Duration::from_millis(tick_ms),
            tick_now: Cell::new(Duration::from_millis(tick_ms)),
            bigquery: config
                .logging
                .bigquery
                .as_ref()
                .map(|bq| BigQueryLink::new(bq, &host)),
            unread_bodies: RefCell::new(Throttle::new(ONCE_PER_MINUTE_MS)),
            wake_queue,
            wake_pending: Cell::new(false),
            config,
            host,
        }
    }

    /// Makes sure the root's timer runs while delivery has work. Callable from HTTP contexts:
    /// Envoy applies a context's tick period to its root.
    pub fn arm_tick(&self) {
        if !self.tick_armed.get() && self.has_work() && self.host.set_tick(self.tick) {
            self.tick_armed.set(true);
            self.tick_now.set(self.tick);
        }
    }

    /// Restarts the root's timer so that it next fires `period` from now (Envoy re-creates the
    /// timer on every period change). Returns whether the host accepted it.
    pub fn restart_tick(&self, period: Duration) -> bool {
        let ok = self.host.set_tick(period);
        if ok {
            self.tick_armed.set(true);
            self.tick_now.set(period);
        }
        ok
    }

    /// After a tick: the timer stops when nothing is left to do; otherwise it runs at its
    /// period, or sooner while a held batch is due before that (its window is shorter than the
    /// period, and a tick may come a little early).
    pub(super) fn retime_tick(&self) {
        if !self.has_work() {
            if self.host.set_tick(Duration::ZERO) {
                self.tick_armed.set(false);
            }
            return;
        }
        let now = self.host.now_ms();
        let period = self
            .held
            .borrow()
            .due_at()
            .map(|due| Duration::from_millis(due.saturating_sub(now).max(1)))
            .filter(|soon| *soon < self.tick)
            .unwrap_or(self.tick);
        if !self.ticking_at(period) {
            self.restart_tick(period);
        }
    }

    /// Has the root's `on_queue_ready` send the held batches that are due, on the next
    /// event-loop turn. One wake-up at a time: the queue holds at most one item. Returns
    /// whether the wake-up is on its way.
    pub fn wake_root(&self) -> bool {
        if self.wake_pending.get() {
            return true;
        }
        let Some(queue) = self.wake_queue else {
            return false;
        };
        let queued = self.host.wake(queue);
        self.wake_pending.set(queued);
        queued
    }

    /// Whether the timer runs at `period` or sooner, so it fires within `period`.
    pub fn ticking_within(&self, period: Duration) -> bool {
        self.tick_armed.get() && self.tick_now.get() <= period
    }

    /// Whether the timer runs at exactly `period` now.
    fn ticking_at(&self, period: Duration) -> bool {
        self.tick_armed.get() && self.tick_now.get() == period
    }

    pub(super) fn has_work(&self) -> bool {
        !self.delivery.borrow().is_idle()
            || !self.body_watch.borrow().is_empty()
            || self.held.borrow().has_pending()
            || self.bigquery.as_ref().is_some_and(|b| b.has_work())
    }

    /// Starts the timer for a new BigQuery row without looking at delivery, which may be
    /// mid-update when a record is written.
    pub(super) fn wake_for_logging(&self) {
        if !self.tick_armed.get() && self.host.set_tick(self.tick) {
            self.tick_armed.set(true);
            self.tick_now.set(self.tick);
        }
    }

    /// Guards a request whose headers the filter holds while waiting for its body. If Envoy's
    /// PluginConfig lacks `allow_on_headers_stop_iteration` while the filter config sets it,
    /// Envoy stops body callbacks too and the request would hang; the root releases it after
    /// `api.timeout_ms` and says why.
    pub fn watch_body(&self, context_id: u32) {
        let deadline = self
            .host
            .now_ms()
            .saturating_add(self.config.api.timeout_ms);
        self.body_watch.borrow_mut().push((context_id, deadline));
        self.arm_tick();
    }

    /// The body arrived (or the request ended): no release needed.
    pub fn unwatch_body(&self, context_id: u32) {
        self.body_watch
            .borrow_mut()
            .retain(|(id, _)| *id != context_id);
    }

    /// Releases held requests whose body never started.
    pub(super) fn release_stalled(&self) {
        let now = self.host.now_ms();
        let expired: Vec<u32> = {
            let mut watch = self.body_watch.borrow_mut();
            let expired = watch
                .iter()
                .filter(|(_, d)| *d <= now)
                .map(|(id, _)| *id)
                .collect();
            watch.retain(|(_, d)| *d > now);
            expired
        };
        for context_id in expired {
            self.host.log(
                Level::Warn,
                format_args!(
                    "request {context_id}: no body arrived while its headers were held; releasing \
                     it. collect.allow_on_headers_stop_iteration is true, so Envoy's PluginConfig \
                     must set allow_on_headers_stop_iteration: true as well"
                ),
            );
            self.host.resume(context_id);
            self.host.enter(self.root_id);
        }
    }

    /// Resumes the requests that waited for a held batch, from a root callback.
    pub(super) fn resume_all(&self, waiters: &[u32]) {
        for &context_id in waiters {
            self.host.resume(context_id);
        }
        self.host.enter(self.root_id);
    }

    /// Sends one API call and returns its token. When Envoy refuses the call (unknown cluster,
    /// bad headers) the attempt is reported as failed at once and `None` is returned.
    pub fn dispatch(&self, dispatch: &Dispatch) -> Option<u32> {
        let api = &self.config.api;
        let headers = self
            .api_headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        self.host
            .dispatch(
                &api.cluster,
                headers,
                Some(&dispatch.body),
                Duration::from_millis(api.timeout_ms),
            )
            .map_err(|status| {
                self.host.log(
                    Level::Error,
                    format_args!(
                        "callout to cluster {:?} refused by Envoy ({status}); is the cluster \
                         defined?",
                        api.cluster
                    ),
                );
            })
            .ok()
    }

    /// Reports a call's end to delivery and keeps the timer running if retries were queued.
    pub fn complete(&self, dispatch: Dispatch, result: CallResult, sent_at_ms: Option<u64>) {
        let now = self.host.now_ms();
        let latency = sent_at_ms.map(|t| now.saturating_sub(t));
        self.delivery.borrow_mut().complete(
            dispatch,
            result,
            latency,
            now,
            &mut || jitter(&self.host),
            &self.host,
        );
        self.arm_tick();
    }
}

/// A sent call without its body: Envoy copied the body when it accepted the callout, and the
/// answer (or a retry, which encodes the events again) needs only the events. Keeping a batch
/// body for its whole flight held up to a second copy of every in-flight event.
pub fn without_body(mut dispatch: Dispatch) -> Dispatch {
    dispatch.body = Vec::new();
    dispatch
}

/// Registers this root's wake queue. Envoy keys queues by VM id and name, and every worker's VM
/// shares the VM id, so the name carries random bytes to stay this root's own.
fn register_wake_queue(host: &impl Host, metric_prefix: &str) -> Option<u32> {
    let suffix: String = host.random16().iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("{metric_prefix}.held_wake.{suffix}");
    host.register_queue(&name)
        .map_err(|status| {
            host.log(
                Level::Warn,
                format_args!(
                    "the host refused a shared queue ({status}); held batches wait for the timer"
                ),
            );
        })
        .ok()
}
