//! Held batching: collection requests held on one worker share API calls.
//!
//! In held mode a request waits until the API answered its events. Rather than one callout per
//! request, concurrent held requests put their events into one shared batch, which is cut when
//! it holds `api.batch.max_events` events or `api.batch.held_window_ms` after it opened. A batch
//! opened on a quiet worker (no shared call in flight, and none sent within the last window)
//! has nobody to share with and goes out at once ([`HeldBatches::idle`]): the first request that
//! makes a batch due asks the runtime to wake its sender ([`Joined::Due`]), once until the due
//! batches are taken, so a burst of arrivals costs one wake-up. Under load every batch gathers
//! for its whole window, so a worker sends about one call per window however many requests it
//! holds: an answer does not cut the batch behind it early, because with a fast API that would
//! turn one call per window into one call per round trip, each carrying a handful of events.
//! This module pairs each batch with the requests waiting on it (their HTTP context ids) through
//! every stage: open, cut and ready to send, in flight under a callout token. When the first
//! attempt of a batch answers (or times out), [`HeldBatches::answered`] names the requests to
//! resume; retries and splits then belong to [`super::Delivery`] like any other call. A request
//! whose client left early simply stops waiting ([`HeldBatches::leave`]); its events still go.

use super::Call;
use crate::payload::EncodedEvent;

/// A batch cut from the open one: the call to send and the requests waiting for its answer.
#[derive(Debug, PartialEq)]
pub struct HeldCall {
    pub call: Call,
    pub waiters: Vec<u32>,
}

/// What joining did, so the runtime can time the send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// The request opened a new batch behind a call in flight: it is due one window from now.
    Opened,
    /// The request joined a batch whose send is already arranged (a timer, or a wake-up asked
    /// for and not yet answered by [`HeldBatches::take_due`]).
    Added,
    /// A batch is due now (it reached `max_events`, or it opened with no call in flight) and
    /// no wake-up is outstanding: the runtime wakes the sender at once.
    Due,
}

#[derive(Debug)]
struct Open {
    events: Vec<EncodedEvent>,
    waiters: Vec<u32>,
    /// Trace id of the first request (logs carry one).
    trace_id: Option<String>,
    due_ms: u64,
}

/// Per-worker held batches. Bounded by the requests Envoy holds: every waiter is one held
/// stream, and a batch holds at most `max_events` events unless one request alone brings more
/// (its events are never split across batches, so it waits for one answer only).
#[derive(Debug)]
pub struct HeldBatches {
    window_ms: u64,
    max_events: usize,
    open: Option<Open>,
    ready: Vec<HeldCall>,
    /// Calls sent, by callout token, with the requests still waiting for their first answer.
    in_flight: Vec<(u32, Vec<u32>)>,
    /// A [`Joined::Due`] was returned and no [`HeldBatches::take_due`] has run since.
    wake_asked: bool,
    /// When the last shared call was sent: a worker that sent one within the last window is
    /// under load, and its next batch gathers for a whole window.
    last_sent_ms: Option<u64>,
}

impl HeldBatches {
    pub fn new(window_ms: u64, max_events: usize) -> HeldBatches {
        HeldBatches {
            window_ms,
            max_events: max_events.max(1),
            open: None,
            ready: Vec::new(),
            in_flight: Vec::new(),
            wake_asked: false,
            last_sent_ms: None,
        }
    }

    /// Whether held requests share calls at all (`held_window_ms` > 0).
    pub fn enabled(&self) -> bool {
        self.window_ms > 0
    }

    /// Adds one held request's events to the open batch; the request waits for that batch.
    pub fn join(
        &mut self,
        waiter: u32,
        events: Vec<EncodedEvent>,
        trace_id: Option<String>,
        now_ms: u64,
    ) -> Joined {
        // A request's events stay together: if they do not fit, the open batch goes first.
        if self
            .open
            .as_ref()
            .is_some_and(|o| o.events.len().saturating_add(events.len()) > self.max_events)
        {
            self.cut();
        }
        let joined = match &mut self.open {
            Some(open) => {
                open.events.extend(events);
                open.waiters.push(waiter);
                Joined::Added
            }
            None => {
                let idle = self.idle(now_ms);
                self.open = Some(Open {
                    events,
                    waiters: vec![waiter],
                    trace_id,
                    due_ms: if idle {
                        now_ms
                    } else {
                        now_ms.saturating_add(self.window_ms)
                    },
                });
                if idle {
                    Joined::Due
                } else {
                    Joined::Opened
                }
            }
        };
        if self
            .open
            .as_ref()
            .is_some_and(|o| o.events.len() >= self.max_events)
        {
            self.cut();
        }
        let due = joined == Joined::Due || !self.ready.is_empty();
        if !due {
            return joined;
        }
        if self.wake_asked {
            // Whoever answers the wake-up takes this batch too.
            return Joined::Added;
        }
        self.wake_asked = true;
        Joined::Due
    }

    fn cut(&mut self) {
        if let Some(open) = self.open.take() {
            self.ready.push(HeldCall {
                call: Call::new(open.events, open.trace_id),
                waiters: open.waiters,
            });
        }
    }

    /// Whether the worker is quiet: no shared call in flight and none sent within the last
    /// window. A batch opened now would have nobody to share with, so it goes at once.
    pub fn idle(&self, now_ms: u64) -> bool {
        self.in_flight.is_empty()
            && self
                .last_sent_ms
                .is_none_or(|sent| now_ms >= sent.saturating_add(self.window_ms))
    }

    /// Shutdown: the open batch is sent now rather than at its window's end.
    pub fn send_open_now(&mut self) {
        self.cut();
    }

    /// Batches to send now: those cut when full, and the open one once it is due. Answers any
    /// wake-up asked for: a batch due after this asks again.
    pub fn take_due(&mut self, now_ms: u64) -> Vec<HeldCall> {
        self.wake_asked = false;
        if self.open.as_ref().is_some_and(|o| now_ms >= o.due_ms) {
            self.cut();
        }
        std::mem::take(&mut self.ready)
    }

    /// When the next batch is due (`None`: nothing waits to be sent).
    pub fn due_at(&self) -> Option<u64> {
        if self.ready.is_empty() {
            self.open.as_ref().map(|o| o.due_ms)
        } else {
            Some(0)
        }
    }

    /// Whether a batch still waits to be sent (the runtime keeps its timer running).
    pub fn has_pending(&self) -> bool {
        self.open.is_some() || !self.ready.is_empty()
    }

    /// The runtime sent a batch under `token` at `now_ms`; its waiters wait for that callout's
    /// answer. Tracked even with no waiter left: the worker is busy until it answers.
    pub fn sent(&mut self, token: u32, waiters: Vec<u32>, now_ms: u64) {
        self.in_flight.push((token, waiters));
        self.last_sent_ms = Some(now_ms);
    }

    /// The first attempt under `token` ended (answer, error or timeout): the requests to
    /// resume (maybe none, if all left). `None` when `token` is not a shared held call's first
    /// attempt (a retry, an optimistic batch).
    pub fn answered(&mut self, token: u32) -> Option<Vec<u32>> {
        let at = self.in_flight.iter().position(|(t, _)| *t == token)?;
        Some(self.in_flight.swap_remove(at).1)
    }

    /// A held request ended before its batch answered (the client left): nobody resumes it.
    /// Its events stay in their batch, and a call in flight stays one (see [`Self::sent`]).
    pub fn leave(&mut self, waiter: u32) {
        let lists = self
            .open
            .iter_mut()
            .map(|o| &mut o.waiters)
            .chain(self.ready.iter_mut().map(|r| &mut r.waiters))
            .chain(self.in_flight.iter_mut().map(|(_, w)| w));
        for list in lists {
            list.retain(|w| *w != waiter);
        }
    }
}

#[cfg(test)]
mod tests;
