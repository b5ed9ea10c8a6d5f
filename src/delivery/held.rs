//! Held batching: collection requests held on one worker share API calls.
//!
//! In held mode a request waits until the API answered its events. Rather than one callout per
//! request, concurrent held requests put their events into one shared batch, which is cut when
//! it holds `api.batch.max_events` events or `api.batch.held_window_ms` after it opened. A batch
//! opened on a quiet worker (no shared call in flight, and none sent within the last window)
//! has nobody to share with and goes out at once ([`HeldBatches::idle`]): the first request that
//! makes a batch due asks the glue to wake its sender ([`Joined::Due`]), once until the due
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

/// What joining did, so the glue can time the send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    /// The request opened a new batch behind a call in flight: it is due one window from now.
    Opened,
    /// The request joined a batch whose send is already arranged (a timer, or a wake-up asked
    /// for and not yet answered by [`HeldBatches::take_due`]).
    Added,
    /// A batch is due now (it reached `max_events`, or it opened with no call in flight) and
    /// no wake-up is outstanding: the glue wakes the sender at once.
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

    /// Whether a batch still waits to be sent (the glue keeps its timer running).
    pub fn has_pending(&self) -> bool {
        self.open.is_some() || !self.ready.is_empty()
    }

    /// The glue sent a batch under `token` at `now_ms`; its waiters wait for that callout's
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
mod tests {
    use super::*;
    use crate::payload::MatchKeys;

    fn events(n: usize, prefix: &str) -> Vec<EncodedEvent> {
        (0..n)
            .map(|i| EncodedEvent {
                id: format!("{prefix}{i}"),
                name: "order_created".into(),
                timestamp_ms: 0,
                json: "{}".into(),
                match_keys: MatchKeys::NONE,
            })
            .collect()
    }

    fn ids(call: &HeldCall) -> Vec<&str> {
        call.call.events.iter().map(|e| e.id.as_str()).collect()
    }

    /// Puts a shared call in flight (token 1000), so that the next batch waits for its window.
    fn busy(h: &mut HeldBatches, now: u64) {
        h.join(99, events(1, "busy"), None, now);
        let call = h.take_due(now).pop().unwrap();
        h.sent(1000, call.waiters, now);
    }

    #[test]
    fn a_batch_opened_with_no_call_in_flight_is_due_at_once() {
        let mut h = HeldBatches::new(5, 100);
        assert_eq!(h.join(1, events(1, "a"), None, 1000), Joined::Due);
        assert_eq!(h.join(2, events(1, "b"), None, 1000), Joined::Added);
        let due = h.take_due(1000);
        assert_eq!(due.len(), 1);
        assert_eq!(
            due[0].waiters,
            [1, 2],
            "what arrived before the send goes along"
        );
    }

    #[test]
    fn a_due_batch_asks_for_one_wake_up_until_the_due_batches_are_taken() {
        let mut h = HeldBatches::new(5, 100);
        assert_eq!(h.join(1, events(1, "a"), None, 0), Joined::Due);
        assert_eq!(
            h.join(2, events(1, "b"), None, 0),
            Joined::Added,
            "the wake-up asked for takes it along"
        );
        assert_eq!(h.take_due(0).len(), 1);
        assert_eq!(
            h.join(3, events(1, "c"), None, 0),
            Joined::Due,
            "a batch due after the take asks again"
        );
    }

    #[test]
    fn batches_due_while_a_wake_up_is_pending_ride_on_it() {
        let mut h = HeldBatches::new(5, 2);
        assert_eq!(h.join(1, events(1, "a"), None, 0), Joined::Due);
        assert_eq!(h.join(2, events(1, "b"), None, 0), Joined::Added, "full");
        assert_eq!(
            h.join(3, events(3, "c"), None, 0),
            Joined::Added,
            "oversized"
        );
        assert_eq!(
            h.join(4, events(1, "d"), None, 0),
            Joined::Added,
            "idle, due"
        );
        let due = h.take_due(0);
        let waiters: Vec<&[u32]> = due.iter().map(|c| c.waiters.as_slice()).collect();
        assert_eq!(
            waiters,
            [&[1, 2][..], &[3], &[4]],
            "one wake-up sends all three"
        );
    }

    #[test]
    fn a_batch_behind_a_call_in_flight_asks_for_no_wake_up() {
        let mut h = HeldBatches::new(5, 100);
        busy(&mut h, 0);
        assert_eq!(h.join(1, events(1, "a"), None, 0), Joined::Opened);
        assert_eq!(h.join(2, events(1, "b"), None, 1), Joined::Added);
        assert!(
            h.take_due(1).is_empty(),
            "it waits for the answer or its window"
        );
    }

    #[test]
    fn behind_a_call_in_flight_held_requests_share_a_batch_sent_after_the_window() {
        let mut h = HeldBatches::new(5, 100);
        busy(&mut h, 1000);
        let t1 = Some("t1".to_owned());
        assert_eq!(h.join(1, events(1, "a"), t1, 1000), Joined::Opened);
        assert_eq!(h.join(2, events(2, "b"), None, 1003), Joined::Added);
        assert_eq!(h.due_at(), Some(1005));
        assert!(h.take_due(1004).is_empty(), "the window has not passed");
        let due = h.take_due(1005);
        assert_eq!(due.len(), 1);
        assert_eq!(ids(&due[0]), ["a0", "b0", "b1"]);
        assert_eq!(due[0].waiters, [1, 2]);
        assert_eq!(due[0].call.trace_id.as_deref(), Some("t1"));
        assert!(!h.has_pending());
    }

    #[test]
    fn an_answer_leaves_the_batch_behind_it_to_its_window() {
        let mut h = HeldBatches::new(50, 100);
        busy(&mut h, 0);
        h.join(2, events(1, "b"), None, 10);
        h.join(3, events(1, "c"), None, 12);
        assert_eq!(h.answered(1000), Some(vec![99]));
        assert!(
            h.take_due(13).is_empty(),
            "it gathers until its window (60)"
        );
        assert_eq!(
            h.join(4, events(1, "d"), None, 20),
            Joined::Added,
            "a request arriving after the answer still joins it"
        );
        let next = h.take_due(60);
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].waiters, [2, 3, 4]);
    }

    #[test]
    fn a_worker_that_sent_a_call_within_the_last_window_is_busy_even_after_its_answer() {
        let mut h = HeldBatches::new(5, 100);
        busy(&mut h, 100);
        assert_eq!(h.answered(1000), Some(vec![99]));
        assert!(!h.idle(104), "sent at 100: under load until 105");
        assert_eq!(
            h.join(1, events(1, "a"), None, 104),
            Joined::Opened,
            "gathers for a window"
        );
        assert_eq!(h.due_at(), Some(109));
        assert!(h.take_due(108).is_empty());
        assert_eq!(h.take_due(109).len(), 1);
    }

    #[test]
    fn a_quiet_window_after_the_last_answer_makes_the_next_batch_due_at_once() {
        let mut h = HeldBatches::new(5, 100);
        busy(&mut h, 100);
        assert_eq!(h.answered(1000), Some(vec![99]));
        assert!(h.idle(105));
        assert_eq!(h.join(1, events(1, "a"), None, 105), Joined::Due);
        assert_eq!(h.take_due(105).len(), 1);
    }

    #[test]
    fn a_full_batch_is_ready_at_once() {
        let mut h = HeldBatches::new(5, 3);
        busy(&mut h, 0);
        assert_eq!(h.join(1, events(2, "a"), None, 0), Joined::Opened);
        assert_eq!(h.join(2, events(1, "b"), None, 0), Joined::Due);
        assert_eq!(h.due_at(), Some(0), "due at once");
        let due = h.take_due(0);
        assert_eq!(due.len(), 1, "sent before the window passed");
        assert_eq!(h.due_at(), None);
        assert_eq!(due[0].waiters, [1, 2]);
    }

    #[test]
    fn a_request_that_does_not_fit_starts_the_next_batch_and_keeps_its_events_together() {
        let mut h = HeldBatches::new(5, 3);
        busy(&mut h, 0);
        h.join(1, events(2, "a"), None, 0);
        assert_eq!(h.join(2, events(2, "b"), None, 1), Joined::Due);
        let due = h.take_due(1);
        assert_eq!(due.len(), 1);
        assert_eq!(ids(&due[0]), ["a0", "a1"]);
        assert!(h.has_pending(), "the second request opened its own batch");
        let due = h.take_due(6);
        assert_eq!(ids(&due[0]), ["b0", "b1"]);
        assert_eq!(due[0].waiters, [2]);
    }

    #[test]
    fn a_request_larger_than_a_batch_goes_alone_in_one_call() {
        let mut h = HeldBatches::new(5, 3);
        busy(&mut h, 0);
        assert_eq!(h.join(1, events(7, "a"), None, 0), Joined::Due);
        let due = h.take_due(0);
        assert_eq!(due.len(), 1);
        assert_eq!(
            due[0].call.events.len(),
            7,
            "one request waits for one answer"
        );
    }

    #[test]
    fn the_first_answer_resumes_every_waiter_of_the_batch_once() {
        let mut h = HeldBatches::new(5, 100);
        h.join(1, events(1, "a"), None, 0);
        h.join(2, events(1, "b"), None, 0);
        let due = h.take_due(0).pop().unwrap();
        h.sent(42, due.waiters, 0);
        assert_eq!(h.answered(7), None, "not a held call (a retry)");
        assert_eq!(h.answered(42), Some(vec![1, 2]));
        assert_eq!(h.answered(42), None, "a retry of the batch resumes nobody");
    }

    #[test]
    fn a_client_that_leaves_early_is_not_resumed_and_its_events_still_go() {
        let mut h = HeldBatches::new(5, 100);
        busy(&mut h, 0);
        h.join(1, events(1, "a"), None, 0);
        h.join(2, events(1, "b"), None, 0);
        h.leave(1);
        let due = h.take_due(5).pop().unwrap();
        assert_eq!(ids(&due), ["a0", "b0"], "the leaver's event is still sent");
        assert_eq!(due.waiters, [2]);
        h.sent(9, due.waiters, 5);
        h.leave(2);
        assert_eq!(h.answered(9), Some(vec![]), "nobody left to resume");
    }

    #[test]
    fn a_call_whose_requests_all_left_keeps_the_worker_busy_until_it_answers() {
        let mut h = HeldBatches::new(1000, 100);
        h.join(1, events(1, "a"), None, 0);
        let first = h.take_due(0).pop().unwrap();
        h.sent(7, first.waiters, 0);
        h.leave(1);
        assert!(!h.idle(2000), "its call is still in flight");
        assert_eq!(h.join(2, events(1, "b"), None, 1), Joined::Opened);
        assert_eq!(h.answered(7), Some(vec![]), "the shared call ended");
        assert!(h.take_due(5).is_empty());
        let next = h.take_due(1001);
        assert_eq!(next.len(), 1, "sent at its window");
        assert_eq!(next[0].waiters, [2]);
    }

    #[test]
    fn shutdown_sends_the_open_batch_before_its_window() {
        let mut h = HeldBatches::new(1000, 100);
        busy(&mut h, 0);
        h.join(1, events(1, "a"), None, 1);
        h.send_open_now();
        assert_eq!(h.take_due(2).len(), 1);
    }

    #[test]
    fn a_batch_whose_waiters_all_left_is_still_sent() {
        let mut h = HeldBatches::new(5, 100);
        h.join(1, events(1, "a"), None, 0);
        h.leave(1);
        let due = h.take_due(0);
        assert_eq!(due.len(), 1);
        assert!(due[0].waiters.is_empty());
        h.sent(3, Vec::new(), 0);
        assert!(!h.idle(10), "a batch behind it waits for its answer");
        assert_eq!(h.answered(3), Some(vec![]));
        assert!(h.idle(10));
    }

    #[test]
    fn zero_window_means_held_batching_is_off() {
        assert!(!HeldBatches::new(0, 100).enabled());
        assert!(HeldBatches::new(1, 100).enabled());
    }
}
