//! The runtime's decisions through a fake host: held batching, the wake queue, the timer,
//! body-watch deadlines, shutdown and reading answers.

use super::answer::call_result;
use super::fake::{Call, FakeHost};
use super::request::{Flow, Request};
use super::root::{Lifecycle, Root};
use super::shared::Shared;
use crate::delivery::retry::CallResult;
use crate::observe::metrics::Counter;
use crate::test_support::config;
use serde_json::{json, Value};
use std::rc::Rc;
use std::time::Duration;

const NOW: u64 = 1_800_000_000_000;
const ROOT: u32 = 1;
const QUEUE: u32 = 7;
const PAGE_VIEW: &str =
    "/g/collect?v=2&cid=1.2&_p=7&en=page_view&dl=https%3A%2F%2Fwww.shop.example.co.uk%2F";
/// The default `api.batch.max_delay_ms` (100) / 4.
const TICK: Duration = Duration::from_millis(20);
/// The default `api.batch.held_window_ms`.
const WINDOW: Duration = Duration::from_millis(2);

fn root(extra: Value) -> (Root<FakeHost>, Rc<Shared<FakeHost>>) {
    let mut root = Root::new(ROOT);
    root.start(config(extra), FakeHost::at(NOW));
    let shared = root.shared().unwrap();
    shared.host.take_calls();
    (root, shared)
}

/// A GA4 page view arriving on HTTP context `id`; `body_follows` leaves the stream open.
fn hit(shared: &Rc<Shared<FakeHost>>, id: u32, body_follows: bool) -> (Request<FakeHost>, Flow) {
    *shared.host.request.borrow_mut() = vec![
        (":method".into(), b"GET".to_vec()),
        (":path".into(), PAGE_VIEW.as_bytes().to_vec()),
        (":authority".into(), b"sgtm.shop.example.co.uk".to_vec()),
        ("user-agent".into(), b"UA/1".to_vec()),
    ];
    let mut request = Request::new(id, Rc::clone(shared));
    let flow = request.on_headers(!body_follows);
    (request, flow)
}

fn advance(shared: &Shared<FakeHost>, ms: u64) {
    shared.host.now.set(shared.host.now.get() + ms);
}

fn dispatched(calls: &[Call]) -> Vec<u32> {
    FakeHost::tokens(calls)
}

#[test]
fn held_requests_share_one_call_sent_on_wake_and_resume_when_it_answers() {
    let (mut root, shared) = root(json!({}));
    let (_a, flow_a) = hit(&shared, 10, false);
    let (_b, flow_b) = hit(&shared, 11, false);
    assert_eq!((flow_a, flow_b), (Flow::Pause, Flow::Pause));
    let calls = shared.host.take_calls();
    assert!(calls.contains(&Call::Wake(QUEUE)), "{calls:?}");
    assert!(
        dispatched(&calls).is_empty(),
        "nothing is sent from a request"
    );

    root.on_queue_ready(QUEUE);
    let calls = shared.host.take_calls();
    assert_eq!(calls.first(), Some(&Call::TakeWake(QUEUE)));
    assert_eq!(dispatched(&calls), vec![100], "one call for both requests");
    let body = String::from_utf8(shared.host.bodies.borrow()[0].1.clone()).unwrap();
    assert_eq!(body.matches("page_viewed").count(), 2, "{body}");

    shared.host.answer_with(200, "{}");
    root.on_answer(100, 2, 2);
    let calls = shared.host.take_calls();
    assert!(calls.ends_with(&[Call::Resume(10), Call::Resume(11), Call::Enter(ROOT)]));
    assert_eq!(shared.host.metrics.counter(Counter::EventsSent), 2);
}

#[test]
fn one_wake_up_at_a_time() {
    let (mut root, shared) = root(json!({}));
    let _held: Vec<_> = (10..15).map(|id| hit(&shared, id, false)).collect();
    let wakes = |calls: &[Call]| calls.iter().filter(|c| **c == Call::Wake(QUEUE)).count();
    assert_eq!(
        wakes(&shared.host.take_calls()),
        1,
        "a burst costs one wake-up"
    );

    root.on_queue_ready(QUEUE);
    shared.host.answer_with(200, "{}");
    root.on_answer(100, 2, 2);
    // The worker is quiet again one window after its last send: the next batch wakes again.
    advance(&shared, 2);
    shared.host.take_calls();
    let _later = hit(&shared, 20, false);
    assert_eq!(wakes(&shared.host.take_calls()), 1);
}

#[test]
fn the_timer_is_retimed_to_a_held_batch_due_time_and_stopped_when_idle() {
    let (mut root, shared) = root(json!({}));
    let _a = hit(&shared, 10, false);
    root.on_queue_ready(QUEUE);
    assert_eq!(dispatched(&shared.host.take_calls()), vec![100]);

    // Behind a call in flight, a batch gathers for one window: the timer is restarted for it.
    let _b = hit(&shared, 11, false);
    assert_eq!(shared.host.take_calls(), vec![Call::SetTick(WINDOW)]);
    // Joining it costs no host call.
    let _c = hit(&shared, 12, false);
    assert_eq!(shared.host.take_calls(), vec![]);

    // A tick a millisecond early: nothing is due, the timer waits only what is left.
    advance(&shared, 1);
    root.on_tick();
    assert_eq!(
        shared.host.take_calls(),
        vec![Call::SetTick(Duration::from_millis(1))]
    );

    // Due: sent; with nothing left to send the timer stops (answers come without it).
    advance(&shared, 1);
    root.on_tick();
    let calls = shared.host.take_calls();
    assert_eq!(dispatched(&calls), vec![101]);
    assert_eq!(calls.last(), Some(&Call::SetTick(Duration::ZERO)));
    shared.host.answer_with(200, "{}");
    root.on_answer(101, 2, 2);
    let calls = shared.host.take_calls();
    assert_eq!(
        calls,
        vec![Call::Resume(11), Call::Resume(12), Call::Enter(ROOT)]
    );
}

#[test]
fn a_busy_timer_keeps_its_period_when_a_batch_opens_within_it() {
    let (mut root, shared) = root(json!({"api": {"batch": {"held_window_ms": 50}}}));
    let _a = hit(&shared, 10, false);
    root.on_queue_ready(QUEUE);
    shared.host.take_calls();
    // The timer was armed at its 20 ms period as the wake-up's backstop: within 50 ms.
    let _b = hit(&shared, 11, false);
    assert_eq!(shared.host.take_calls(), vec![]);
}

#[test]
fn without_a_wake_queue_a_due_batch_goes_on_the_next_millisecond_tick() {
    let mut root = Root::new(ROOT);
    let mut host = FakeHost::at(NOW);
    host.queue = None;
    root.start(config(json!({})), host);
    let shared = root.shared().unwrap();
    shared.host.take_calls();
    let (_a, flow) = hit(&shared, 10, false);
    assert_eq!(flow, Flow::Pause);
    assert_eq!(
        shared.host.take_calls(),
        vec![Call::SetTick(Duration::from_millis(1))]
    );
    advance(&shared, 1);
    root.on_tick();
    assert_eq!(dispatched(&shared.host.take_calls()), vec![100]);
}

#[test]
fn a_request_is_never_held_when_the_host_refuses_a_timer() {
    let mut root = Root::new(ROOT);
    let mut host = FakeHost::at(NOW);
    host.queue = None;
    root.start(config(json!({})), host);
    let shared = root.shared().unwrap();
    shared.host.refuse_tick.set(true);
    let (_a, flow) = hit(&shared, 10, false);
    assert_eq!(flow, Flow::Continue);
    assert_eq!(
        shared.host.lines(log::Level::Error),
        vec!["the host refused a timer; request 10 continues without waiting"]
    );
}

#[test]
fn a_body_watch_deadline_releases_a_stalled_request_with_its_warn_line() {
    let (mut root, shared) = root(json!({"collect": {"allow_on_headers_stop_iteration": true}}));
    let (_a, flow) = hit(&shared, 10, true);
    assert_eq!(flow, Flow::Pause, "headers held while the body is awaited");
    assert_eq!(shared.host.take_calls(), vec![Call::SetTick(TICK)]);

    // api.timeout_ms (5 s) later, not before.
    advance(&shared, 4_999);
    root.on_tick();
    assert_eq!(shared.host.take_calls(), vec![]);
    advance(&shared, 1);
    root.on_tick();
    assert_eq!(
        shared.host.take_calls(),
        vec![
            Call::Resume(10),
            Call::Enter(ROOT),
            Call::SetTick(Duration::ZERO)
        ]
    );
    let warns = shared.host.lines(log::Level::Warn);
    assert_eq!(warns.len(), 1);
    assert!(warns[0]
        .starts_with("request 10: no body arrived while its headers were held; releasing it."));
}

#[test]
fn a_body_that_arrives_ends_its_watch() {
    let (mut root, shared) = root(json!({"collect": {"allow_on_headers_stop_iteration": true}}));
    let (mut a, _) = hit(&shared, 10, true);
    assert_eq!(a.on_body(0, false), Flow::Pause);
    advance(&shared, 5_000);
    root.on_tick();
    assert!(!shared.host.take_calls().contains(&Call::Resume(10)));
    assert!(shared.host.lines(log::Level::Warn).is_empty());
}

#[test]
fn shutdown_drains_until_the_last_call_ends_and_counts_its_losses() {
    let (mut root, shared) = root(json!({}));
    let _a = hit(&shared, 10, false);
    root.on_queue_ready(QUEUE);
    shared.host.take_calls();

    assert!(!root.on_done(), "a call is in flight");
    assert_eq!(root.lifecycle(), Lifecycle::Draining);
    assert!(!root.on_done(), "asked again: still draining");
    let warns = shared.host.lines(log::Level::Warn);
    assert!(warns.iter().any(|w| w.contains(
        "root context 1: 1 event(s) in 1 call(s) handed to Envoy at shutdown, not confirmed yet"
    )));
    assert!(!shared.host.take_calls().contains(&Call::Done));

    // The call resets: in shutdown it is not retried but lost, and counted.
    root.on_answer(100, 0, 0);
    let calls = shared.host.take_calls();
    assert!(calls.contains(&Call::Resume(10)));
    assert_eq!(calls.last(), Some(&Call::Done));
    assert_eq!(root.lifecycle(), Lifecycle::Done);
    assert!(root.on_done());
    assert_eq!(
        shared.host.metrics.counter(Counter::EventsLostOnShutdown),
        1
    );
    assert!(shared
        .host
        .lines(log::Level::Info)
        .iter()
        .any(|l| l.ends_with("shutdown flush complete; every pending call has ended")));
}

#[test]
fn a_root_with_nothing_in_flight_is_done_at_once() {
    let (mut root, shared) = root(json!({}));
    assert!(root.on_done());
    assert_eq!(root.lifecycle(), Lifecycle::Done);
    assert!(!shared.host.take_calls().contains(&Call::Done));
}

#[test]
fn reload_flush_sends_held_batches_still_gathering() {
    let (mut root, shared) = root(json!({"api": {"batch": {"held_window_ms": 50}}}));
    let _a = hit(&shared, 10, false);
    root.on_queue_ready(QUEUE);
    let _b = hit(&shared, 11, false);
    shared.host.take_calls();

    // B's batch would wait 50 ms for company; shutdown sends it now.
    assert!(!root.on_done());
    assert_eq!(dispatched(&shared.host.take_calls()), vec![101]);
    shared.host.answer_with(200, "{}");
    root.on_answer(100, 2, 2);
    root.on_answer(101, 2, 2);
    let calls = shared.host.take_calls();
    assert!(calls.contains(&Call::Resume(10)) && calls.contains(&Call::Resume(11)));
    assert_eq!(calls.last(), Some(&Call::Done));
    assert_eq!(shared.host.metrics.counter(Counter::EventsSent), 2);
}

#[test]
fn a_client_leaving_a_shared_batch_is_not_resumed_but_its_events_go() {
    let (mut root, shared) = root(json!({}));
    let (mut a, _) = hit(&shared, 10, false);
    let (_b, _) = hit(&shared, 11, false);
    assert!(a.on_done());
    root.on_queue_ready(QUEUE);
    shared.host.answer_with(200, "{}");
    root.on_answer(100, 2, 2);
    let calls = shared.host.take_calls();
    assert!(!calls.contains(&Call::Resume(10)), "{calls:?}");
    assert!(calls.contains(&Call::Resume(11)));
    assert_eq!(shared.host.metrics.counter(Counter::EventsSent), 2);
}

#[test]
fn a_client_leaving_its_own_call_has_the_root_send_it_again() {
    let (mut root, shared) = root(json!({"api": {"batch": {"held_window_ms": 0}}}));
    let (mut a, flow) = hit(&shared, 10, false);
    assert_eq!(flow, Flow::Pause);
    assert_eq!(dispatched(&shared.host.take_calls()), vec![100]);

    // Its answer would go to the ended stream: the root re-sends the events.
    assert!(a.on_done());
    assert_eq!(shared.host.take_calls(), vec![Call::SetTick(TICK)]);
    advance(&shared, 20);
    root.on_tick();
    assert_eq!(dispatched(&shared.host.take_calls()), vec![101]);
    assert_eq!(shared.host.metrics.counter(Counter::ApiRetries), 1);
}

#[test]
fn a_request_s_own_call_resumes_it_when_answered() {
    let (_root, shared) = root(json!({"api": {"batch": {"held_window_ms": 0}}}));
    let (mut a, _) = hit(&shared, 10, false);
    shared.host.take_calls();
    shared.host.answer_with(200, "{}");
    a.on_answer(999, 2, 2);
    assert_eq!(shared.host.take_calls(), vec![], "another stream's token");
    a.on_answer(100, 2, 2);
    assert_eq!(shared.host.take_calls(), vec![Call::ResumeCurrent]);
    assert_eq!(shared.host.metrics.counter(Counter::EventsSent), 1);
}

#[test]
fn optimistic_requests_continue_at_once_and_the_timer_sends_their_batch() {
    let (mut root, shared) = root(json!({"optimistic": true}));
    let (mut a, flow) = hit(&shared, 10, false);
    assert_eq!(flow, Flow::Continue);
    assert_eq!(shared.host.take_calls(), vec![Call::SetTick(TICK)]);
    assert_eq!(a.on_response_headers(), Flow::Continue);
    let cookies = shared.host.response_headers.borrow().clone();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert_eq!(cookies[0].0, "set-cookie");
    assert!(cookies[0].1.starts_with("__obref="), "{cookies:?}");
    advance(&shared, 100);
    root.on_tick();
    assert_eq!(dispatched(&shared.host.take_calls()), vec![100]);
}

#[test]
fn a_refused_callout_resumes_its_held_requests_at_once() {
    let (mut root, shared) = root(json!({}));
    let _a = hit(&shared, 10, false);
    shared.host.refuse_dispatch.set(true);
    root.on_queue_ready(QUEUE);
    let calls = shared.host.take_calls();
    assert!(calls.contains(&Call::Resume(10)), "{calls:?}");
    assert!(shared
        .host
        .lines(log::Level::Error)
        .iter()
        .any(|l| l.contains("refused by Envoy (BadArgument); is the cluster defined?")));
}

#[test]
fn an_envoy_local_reply_is_told_apart_from_an_api_answer() {
    let host = FakeHost::at(NOW);
    *host.answer.borrow_mut() = vec![(":status".into(), b"503".to_vec())];
    *host.answer_body.borrow_mut() = b"upstream connect error".to_vec();
    let from_envoy = |r| matches!(r, CallResult::Answered { from_envoy, .. } if from_envoy);
    assert!(from_envoy(call_result(&host, 1, 22)));
    // A real answer passed through the router carries x-envoy-upstream-service-time.
    host.answer_with(503, "upstream connect error");
    assert!(!from_envoy(call_result(&host, 2, 22)));
    assert!(matches!(call_result(&host, 0, 0), CallResult::Reset));
}

#[test]
fn a_call_envoy_refuses_at_shutdown_is_lost_counted_and_the_root_done_at_once() {
    let (mut root, shared) = root(json!({"optimistic": true}));
    let _a = hit(&shared, 10, false);
    shared.host.refuse_dispatch.set(true);
    assert!(root.on_done(), "nothing is in flight");
    assert_eq!(root.lifecycle(), Lifecycle::Done);
    assert_eq!(
        shared.host.metrics.counter(Counter::EventsLostOnShutdown),
        1
    );
}

#[test]
fn a_response_before_the_body_was_read_counts_the_request_and_warns_once_a_minute() {
    let (_root, shared) = root(json!({}));
    for id in [10, 11] {
        let (mut request, flow) = hit(&shared, id, true);
        assert_eq!(flow, Flow::Continue, "headers are not held by default");
        assert_eq!(request.on_response_headers(), Flow::Continue);
    }
    assert_eq!(shared.host.metrics.counter(Counter::BodiesUnread), 2);
    assert_eq!(shared.host.metrics.counter(Counter::CollectRequests), 2);
    let warns = shared.host.lines(log::Level::Warn);
    assert_eq!(warns.len(), 1, "{warns:?}");
    assert!(warns[0].starts_with("a collection request's response started before its body"));
}
