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
mod tests {
    use super::*;
    use crate::payload::MatchKeys;

    fn events(n: usize, prefix: &str) -> Vec<EncodedEvent> {
        (0..n)
            .map(|i| EncodedEvent {
                id: format!("{prefix}{i}"),
                name: "page_viewed".into(),
                timestamp_ms: 0,
                json: "{}".into(),
                match_keys: MatchKeys::NONE,
            })
            .collect()
    }

    #[test]
    fn batch_is_flushed_at_max_events() {
        let mut b = Batcher::new(Batch {
            max_events: 3,
            max_delay_ms: 100,
        });
        assert!(b.push(events(2, "a"), None, 0).is_empty());
        let full = b.push(events(5, "b"), None, 10);
        assert_eq!(full.len(), 2);
        assert!(full.iter().all(|c| c.events.len() == 3));
        assert_eq!(b.due_at(), Some(110), "the remainder starts a new batch");
        assert_eq!(b.take_due(109), None);
        assert_eq!(b.take_due(110).unwrap().events.len(), 1);
        assert_eq!(b.due_at(), None);
    }

    #[test]
    fn batch_is_flushed_after_max_delay() {
        let mut b = Batcher::new(Batch {
            max_events: 100,
            max_delay_ms: 50,
        });
        b.push(events(1, "a"), Some("t1".into()), 1000);
        b.push(events(1, "b"), Some("t2".into()), 1040);
        assert_eq!(b.due_at(), Some(1050), "the first event starts the clock");
        let call = b.take_due(1050).unwrap();
        assert_eq!(call.events.len(), 2);
        assert_eq!(call.trace_id.as_deref(), Some("t1"));
    }

    #[test]
    fn zero_delay_turns_cross_request_batching_off() {
        let mut b = Batcher::new(Batch {
            max_events: 2,
            max_delay_ms: 0,
        });
        let calls = b.push(events(3, "a"), None, 0);
        assert_eq!(
            calls.iter().map(|c| c.events.len()).collect::<Vec<_>>(),
            [2, 1]
        );
        assert_eq!(b.due_at(), None);
        assert!(b.push(Vec::new(), None, 0).is_empty());
    }
}
