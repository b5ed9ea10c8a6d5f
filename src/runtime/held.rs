//! Held batching in Envoy: held requests on a worker share API calls sent by the root.
//!
//! A held request joins the worker's open batch ([`HeldBatches`]) and stays paused. Batches are
//! sent only from root callbacks, so each is a callout of the root context: the SDK delivers a
//! callout's answer to the context that was running when it was sent, and drops it if that
//! context is gone, so a batch sent from one request's callback would be lost to the others
//! once that request ended. A batch that is due now (opened while no shared call was in flight,
//! or full) wakes the root through its wake queue: Envoy delivers `on_queue_ready` to the root
//! on the next event-loop turn, without the timer's one-millisecond floor (the timer is the
//! fallback if the queue is refused). A batch opened on a busy worker is sent by the timer one
//! `api.batch.held_window_ms` after it opened. When a batch's first attempt answers or times
//! out, the root resumes every request still waiting on it with `set_effective_context` +
//! `resume_http_request`; Envoy runs the resumptions after the root's callback returns.
//!
//! [`HeldBatches`]: crate::delivery::held::HeldBatches

use super::host::Host;
use super::shared::Shared;
use crate::delivery::held::{HeldCall, Joined};
use crate::delivery::retry::CallResult;
use crate::delivery::Dispatch;
use crate::payload::EncodedEvent;
use log::Level;
use std::time::Duration;

/// An HTTP context in held mode adds its events to the shared batch. Returns whether the
/// request must stay paused: only while the root is certain to send the batch.
pub fn join<H: Host>(
    shared: &Shared<H>,
    context_id: u32,
    events: Vec<EncodedEvent>,
    trace_id: Option<String>,
    now_ms: u64,
) -> bool {
    let joined = shared
        .held
        .borrow_mut()
        .join(context_id, events, trace_id, now_ms);
    let period = match joined {
        // The timer, the wake-up or the answer that sends this batch is arranged already.
        Joined::Added => return true,
        Joined::Due => {
            if shared.wake_root() {
                // The timer stays the backstop should a wake-up never arrive.
                shared.arm_tick();
                return true;
            }
            // No wake queue: the soonest the host's timer fires, after a millisecond.
            Duration::from_millis(1)
        }
        Joined::Opened => Duration::from_millis(shared.config.api.held_window_ms),
    };
    // A timer already running at most this period fires in time (the tick then waits only
    // for what is still due); restarting it on every batch would cost a host timer each time.
    if shared.ticking_within(period) || shared.restart_tick(period) {
        return true;
    }
    // Without a timer nothing would send the batch: never hold a request on that.
    shared.host.log(
        Level::Error,
        format_args!("the host refused a timer; request {context_id} continues without waiting"),
    );
    shared.held.borrow_mut().leave(context_id);
    false
}

/// The root's timer or wake-up: sends the held batches that are due, each as a callout of the
/// root context. `track` records a sent call for the root's answer callback. A batch that
/// cannot be sent (Envoy refused the callout, or every event fell out of the API's window)
/// resumes its requests at once.
pub fn flush<H: Host>(shared: &Shared<H>, mut track: impl FnMut(u32, Dispatch, u64)) {
    let now = shared.host.now_ms();
    let due = shared.held.borrow_mut().take_due(now);
    for HeldCall { call, waiters } in due {
        let Some(dispatch) = shared.delivery.borrow().prepare(call, now, &shared.host) else {
            shared.resume_all(&waiters);
            continue;
        };
        match shared.dispatch(&dispatch) {
            Some(token) => {
                shared.held.borrow_mut().sent(token, waiters, now);
                track(token, dispatch, now);
            }
            None => {
                shared.complete(dispatch, CallResult::Reset, None);
                shared.resume_all(&waiters);
            }
        }
    }
}

/// The root's callout `token` ended: the held requests that waited for it continue (the batch
/// gathering behind it keeps to its window).
pub fn answered<H: Host>(shared: &Shared<H>, token: u32) {
    let waiters = shared.held.borrow_mut().answered(token);
    if let Some(waiters) = waiters {
        shared.resume_all(&waiters);
    }
}
