//! Batching policy for optimistic mode (`api.batch`).
//!
//! Events from many collection requests share one API call: the per-VM batch is cut when it
//! holds `max_events` events or `max_delay_ms` after its first event, whichever comes first.
//! With `max_delay_ms: 0` cross-request batching is off and each request's events form their
//! own call. Fewer callouts is what lets the filter beat plain per-hit proxying.

use super::Call;
use crate::config::Batch;
use crate::payload::EncodedEvent;

#[derive(Debug)]
pub struct Batcher {
    policy: Batch,
    pending: Vec<EncodedEvent>,
    /// Trace id of the first request in the batch (logs carry one).
    trace_id: Option<String>,
    started_ms: u64,
}

impl Batcher {
    pub fn new(policy: Batch) -> Batcher {
        Batcher {
            policy,
            pending: Vec::new(),
            trace_id: None,
            started_ms: 0,
        }
    }

    /// Adds events; returns the calls that are complete now (full batches, or every request's
    /// own call when batching is off).
    pub fn push(
        &mut self,
        events: Vec<EncodedEvent>,
        trace_id: Option<String>,
        now_ms: u64,
    ) -> Vec<Call> {
        let max = self.policy.max_events.max(1);
        if self.policy.max_delay_ms == 0 {
            return chunks(events, max, &trace_id);
        }
        if self.pending.is_empty() {
            self.started_ms = now_ms;
            self.trace_id = trace_id;
        }
        self.pending.extend(events);
        let mut full = Vec::new();
        while self.pending.len() >= max {
            let rest = self.pending.split_off(max);
            let batch = std::mem::replace(&mut self.pending, rest);
            full.push(Call::new(batch, self.trace_id.clone()));
            self.started_ms = now_ms;
        }
        full
    }

    /// The pending batch, if its delay has passed.
    pub fn take_due(&mut self, now_ms: u64) -> Option<Call> {
        let due = self.due_at()?;
        (now_ms >= due).then(|| Call::new(std::mem::take(&mut self.pending), self.trace_id.take()))
    }

    /// Events in the pending batch.
    pub fn events(&self) -> usize {
        self.pending.len()
    }

    /// When the pending batch must be flushed.
    pub fn due_at(&self) -> Option<u64> {
        (!self.pending.is_empty()).then(|| self.started_ms.saturating_add(self.policy.max_delay_ms))
    }
}

fn chunks(events: Vec<EncodedEvent>, max: usize, trace_id: &Option<String>) -> Vec<Call> {
    let mut out = Vec::new();
    let mut rest = events;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(max));
        out.push(Call::new(
            std::mem::replace(&mut rest, tail),
            trace_id.clone(),
        ));
    }
    out
}

#[cfg(test)]
mod tests;
