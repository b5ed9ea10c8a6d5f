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
