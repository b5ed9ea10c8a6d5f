use super::*;
use crate::payload::{EncodedEvent, MatchKeys};

fn call(id: &str, events: usize) -> Call {
    Call::new(
        (0..events)
            .map(|i| EncodedEvent {
                id: format!("{id}{i}"),
                name: "page_viewed".into(),
                timestamp_ms: 0,
                json: "x".repeat(100),
                match_keys: MatchKeys::NONE,
            })
            .collect(),
        None,
    )
}

fn first_ids(calls: &[Call]) -> Vec<String> {
    calls.iter().map(|c| c.events[0].id.clone()).collect()
}

const ROOMY: Bounds = Bounds {
    max_events: 1000,
    max_bytes: 1 << 20,
};

#[test]
fn due_calls_come_out_in_insertion_order() {
    let mut q = SendQueue::new(ROOMY);
    assert!(q.push(call("a", 1), 100).is_empty());
    assert!(q.push(call("b", 1), 50).is_empty());
    assert!(q.push(call("c", 1), 300).is_empty());
    assert_eq!(q.next_due(), Some(50));
    assert!(q.take_due(10).is_empty());
    assert_eq!(first_ids(&q.take_due(100)), ["a0", "b0"]);
    assert_eq!(q.calls(), 1);
    assert_eq!(q.events(), 1);
    assert_eq!(q.next_due(), Some(300));
}

#[test]
fn the_queue_is_bounded_by_events_dropping_the_oldest_calls() {
    let mut q = SendQueue::new(Bounds {
        max_events: 10,
        max_bytes: 1 << 20,
    });
    assert!(q.push(call("a", 4), 1).is_empty());
    assert!(q.push(call("b", 4), 1).is_empty());
    let dropped = q.push(call("c", 4), 1);
    assert_eq!(first_ids(&dropped), ["a0"]);
    assert_eq!(q.events(), 8);
    let dropped = q.push(call("d", 10), 1);
    assert_eq!(first_ids(&dropped), ["b0", "c0"], "as many as needed");
    assert_eq!((q.calls(), q.events()), (1, 10));
}

#[test]
fn the_queue_is_bounded_by_bytes_dropping_the_oldest_calls() {
    let per_call = call("a", 5).bytes();
    assert!(per_call > 5 * 100, "at least the events' JSON: {per_call}");
    let mut q = SendQueue::new(Bounds {
        max_events: 1000,
        max_bytes: 3 * per_call - 1,
    });
    assert!(q.push(call("a", 5), 1).is_empty());
    assert!(q.push(call("b", 5), 1).is_empty());
    assert_eq!(first_ids(&q.push(call("c", 5), 1)), ["a0"]);
    assert_eq!(q.bytes(), 2 * per_call);
}

#[test]
fn queued_bytes_count_every_byte_a_call_holds_trace_id_included() {
    // 3,000 calls of one tiny event, each with an 8 KiB trace id, against a 1 MiB bound:
    // the trace ids alone are 24 MiB, so the queue must drop calls to stay in bounds.
    let bound = 1 << 20;
    let mut q = SendQueue::new(Bounds {
        max_events: 1_000_000,
        max_bytes: bound,
    });
    for i in 0..3_000 {
        let mut c = call(&format!("t{i}-"), 1);
        c.trace_id = Some("t".repeat(8 * 1024));
        q.push(c, 1);
    }
    let held: usize = q
        .items
        .iter()
        .map(|(_, c)| {
            c.trace_id.as_ref().map_or(0, String::capacity)
                + c.events.iter().map(|e| e.json.capacity()).sum::<usize>()
        })
        .sum();
    assert!(
        held <= bound,
        "the queue holds {held} bytes against a {bound}-byte bound"
    );
    assert!(q.bytes() <= bound);
    assert!(q.calls() > 0);
}

#[test]
fn a_call_larger_than_the_bounds_still_fits_alone() {
    let mut q = SendQueue::new(Bounds {
        max_events: 2,
        max_bytes: 10,
    });
    assert!(q.push(call("big", 5), 1).is_empty());
    assert_eq!(first_ids(&q.push(call("next", 1), 1)), ["big0"]);
    assert_eq!(q.events(), 1);
}

#[test]
fn take_all_empties_the_queue_whatever_the_due_times() {
    let mut q = SendQueue::new(ROOMY);
    q.push(call("a", 2), 10);
    q.push(call("b", 3), 1_000_000);
    assert_eq!(first_ids(&q.take_all()), ["a0", "b0"]);
    assert_eq!((q.calls(), q.events(), q.bytes()), (0, 0, 0));
    assert_eq!(q.next_due(), None);
}
