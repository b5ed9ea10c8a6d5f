//! Send queue: calls waiting for their time (fresh batches, retries, split halves), bounded by
//! events (`api.retry.max_queued_events`) and by bytes of encoded events
//! (`api.retry.max_queued_bytes`).
//!
//! When the API is down the queue fills; rather than grow without bound (wasm memory never
//! shrinks) the oldest calls are dropped and reported, since newer events have the most time
//! left inside the API's 7-day window. A single call always fits: the bounds are at least one
//! call's worth (config enforces `max_queued_events` ≥ the API's 1,000-event limit).

use super::Call;
use std::collections::VecDeque;

/// How much a queue may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub max_events: usize,
    pub max_bytes: usize,
}

#[derive(Debug)]
pub struct SendQueue {
    bounds: Bounds,
    /// Insertion order (oldest first) with each call's due time.
    items: VecDeque<(u64, Call)>,
    events: usize,
    bytes: usize,
}

impl SendQueue {
    pub fn new(bounds: Bounds) -> SendQueue {
        SendQueue {
            bounds,
            items: VecDeque::new(),
            events: 0,
            bytes: 0,
        }
    }

    /// Calls waiting.
    pub fn calls(&self) -> usize {
        self.items.len()
    }

    /// Events waiting, in all calls.
    pub fn events(&self) -> usize {
        self.events
    }

    /// Bytes of encoded events waiting, in all calls.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Adds a call. While the queue would then exceed a bound, its oldest calls are removed;
    /// they are returned (oldest first) for the caller to count as lost.
    pub fn push(&mut self, call: Call, due_ms: u64) -> Vec<Call> {
        let (events, bytes) = (call.events.len(), call.bytes());
        let mut dropped = Vec::new();
        while !self.items.is_empty()
            && (self.events.saturating_add(events) > self.bounds.max_events
                || self.bytes.saturating_add(bytes) > self.bounds.max_bytes)
        {
            if let Some((_, old)) = self.items.pop_front() {
                self.forget(&old);
                dropped.push(old);
            }
        }
        self.events = self.events.saturating_add(events);
        self.bytes = self.bytes.saturating_add(bytes);
        self.items.push_back((due_ms, call));
        dropped
    }

    /// Removes and returns every call due at `now_ms`, oldest first.
    pub fn take_due(&mut self, now_ms: u64) -> Vec<Call> {
        if !self.items.iter().any(|(due, _)| *due <= now_ms) {
            return Vec::new();
        }
        let (due, waiting): (VecDeque<_>, VecDeque<_>) =
            self.items.drain(..).partition(|(d, _)| *d <= now_ms);
        self.items = waiting;
        let due: Vec<Call> = due.into_iter().map(|(_, call)| call).collect();
        for call in &due {
            self.forget(call);
        }
        due
    }

    /// Removes and returns every call, due or not, oldest first (shutdown).
    pub fn take_all(&mut self) -> Vec<Call> {
        self.events = 0;
        self.bytes = 0;
        self.items.drain(..).map(|(_, call)| call).collect()
    }

    pub fn next_due(&self) -> Option<u64> {
        self.items.iter().map(|(due, _)| *due).min()
    }

    fn forget(&mut self, call: &Call) {
        self.events = self.events.saturating_sub(call.events.len());
        self.bytes = self.bytes.saturating_sub(call.bytes());
    }
}

#[cfg(test)]
mod tests;
