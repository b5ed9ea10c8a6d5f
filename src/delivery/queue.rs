//! Retry queue: calls waiting for their time, bounded by `api.retry.max_queued_requests`.
//!
//! When the API is down the queue fills; rather than grow without bound (wasm memory never
//! shrinks) the oldest call is dropped and reported, since newer events have the most time
//! left inside the API's 7-day window.

use super::Call;
use std::collections::VecDeque;

#[derive(Debug)]
pub struct RetryQueue {
    capacity: usize,
    /// Insertion order (oldest first) with each call's due time.
    items: VecDeque<(u64, Call)>,
}

impl RetryQueue {
    pub fn new(capacity: usize) -> RetryQueue {
        RetryQueue {
            capacity,
            items: VecDeque::new(),
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds a call. When full, the oldest call is removed and returned as `Err`; with capacity 0
    /// the call itself is returned.
    pub fn push(&mut self, call: Call, due_ms: u64) -> Result<(), Call> {
        if self.capacity == 0 {
            return Err(call);
        }
        let dropped = if self.items.len() >= self.capacity {
            self.items.pop_front()
        } else {
            None
        };
        self.items.push_back((due_ms, call));
        match dropped {
            Some((_, old)) => Err(old),
            None => Ok(()),
        }
    }

    /// Removes and returns every call due at `now_ms`, oldest first.
    pub fn take_due(&mut self, now_ms: u64) -> Vec<Call> {
        if !self.items.iter().any(|(due, _)| *due <= now_ms) {
            return Vec::new();
        }
        let (due, waiting): (VecDeque<_>, VecDeque<_>) =
            self.items.drain(..).partition(|(d, _)| *d <= now_ms);
        self.items = waiting;
        due.into_iter().map(|(_, call)| call).collect()
    }

    pub fn next_due(&self) -> Option<u64> {
        self.items.iter().map(|(due, _)| *due).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::EncodedEvent;

    fn call(id: &str) -> Call {
        Call::new(
            vec![EncodedEvent {
                id: id.into(),
                name: "page_viewed".into(),
                timestamp_ms: 0,
                json: "{}".into(),
            }],
            None,
        )
    }

    #[test]
    fn due_calls_come_out_in_insertion_order() {
        let mut q = RetryQueue::new(10);
        q.push(call("a"), 100).unwrap();
        q.push(call("b"), 50).unwrap();
        q.push(call("c"), 300).unwrap();
        assert_eq!(q.next_due(), Some(50));
        assert!(q.take_due(10).is_empty());
        let due: Vec<_> = q
            .take_due(100)
            .into_iter()
            .map(|c| c.events[0].id.clone())
            .collect();
        assert_eq!(due, ["a", "b"]);
        assert_eq!(q.len(), 1);
        assert_eq!(q.next_due(), Some(300));
    }

    #[test]
    fn a_full_queue_drops_the_oldest_call() {
        let mut q = RetryQueue::new(2);
        q.push(call("a"), 1).unwrap();
        q.push(call("b"), 1).unwrap();
        let dropped = q.push(call("c"), 1).unwrap_err();
        assert_eq!(dropped.events[0].id, "a");
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn capacity_zero_keeps_nothing() {
        let mut q = RetryQueue::new(0);
        assert_eq!(q.push(call("a"), 1).unwrap_err().events[0].id, "a");
        assert!(q.is_empty());
    }
}
