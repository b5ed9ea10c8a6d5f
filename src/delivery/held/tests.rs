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
