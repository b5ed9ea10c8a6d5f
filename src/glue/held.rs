//! Held batching in Envoy: held requests on a worker share API calls sent by the root.
//!
//! A held request joins the worker's open batch ([`HeldBatches`]) and stays paused. Batches are
//! sent only from root callbacks, as callouts of the root context, so no single request's
//! stream owns them and a client that leaves early cancels nothing: from the timer when a batch
//! is full or opened while no shared call was in flight (the timer is moved to the next
//! millisecond), or one `api.batch.held_window_ms` after it opened (the timer is restarted for
//! that); and from the root's callout answer, which sends the batch gathered meanwhile. When a
//! batch's first attempt answers or times out, the root resumes every request still waiting on
//! it with `set_effective_context` + `resume_http_request`; Envoy runs the resumptions after
//! the root's callback returns.
//!
//! [`HeldBatches`]: crate::delivery::held::HeldBatches

use super::root::Shared;
use crate::delivery::held::{HeldCall, Joined};
use crate::delivery::retry::CallResult;
use crate::delivery::Dispatch;
use crate::payload::EncodedEvent;
use proxy_wasm::hostcalls;
use std::time::Duration;

/// An HTTP context in held mode adds its events to the shared batch. Returns whether the
/// request must stay paused: only while the root's timer is certain to send the batch.
pub fn join(
    shared: &Shared,
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
        Joined::Opened => Duration::from_millis(shared.config.api.held_window_ms),
        // Full, or nothing in flight to gather behind: the soonest the host's timer fires, the
        // next loop turn after a millisecond.
        Joined::Ready => {
            let soon = Duration::from_millis(1);
            // Already due on the next tick: restarting it on every arrival could starve it.
            if shared.ticking_at(soon) {
                return true;
            }
            soon
        }
        Joined::Added => {
            shared.arm_tick();
            return true;
        }
    };
    if shared.restart_tick(period) {
        return true;
    }
    // Without a timer nothing would send the batch: never hold a request on that.
    log::error!("the host refused a timer; request {context_id} continues without waiting");
    shared.held.borrow_mut().leave(context_id);
    false
}

/// The root's timer: sends the held batches that are due, each as a callout of the root
/// context. `track` records a sent call for `on_http_call_response`. A batch that cannot be
/// sent (Envoy refused the callout, or every event fell out of the API's window) resumes its
/// requests at once.
pub fn flush(shared: &Shared, root_context_id: u32, mut track: impl FnMut(u32, Dispatch, u64)) {
    let now = super::host::now_ms();
    let due = shared.held.borrow_mut().take_due(now);
    for HeldCall { call, waiters } in due {
        let Some(dispatch) = shared.delivery.borrow().prepare(call, now, &shared.metrics) else {
            resume(root_context_id, &waiters);
            continue;
        };
        match shared.dispatch(&dispatch) {
            Some(token) => {
                shared.held.borrow_mut().sent(token, waiters);
                track(token, dispatch, now);
            }
            None => {
                shared.complete(dispatch, CallResult::Reset, None);
                resume(root_context_id, &waiters);
            }
        }
    }
}

/// The root's callout `token` ended: the held requests that waited for it continue, and the
/// batch gathered meanwhile is due now. Returns whether `token` was a shared held call.
pub fn answered(shared: &Shared, root_context_id: u32, token: u32) -> bool {
    let waiters = shared.held.borrow_mut().answered(token);
    let Some(waiters) = waiters else {
        return false;
    };
    resume(root_context_id, &waiters);
    shared.held.borrow_mut().send_open_now();
    true
}

fn resume(root_context_id: u32, waiters: &[u32]) {
    for &context_id in waiters {
        if hostcalls::set_effective_context(context_id).is_ok() {
            let _ = hostcalls::resume_http_request();
        }
    }
    let _ = hostcalls::set_effective_context(root_context_id);
}
