//! Held mode with shared callouts: concurrent held hits on a worker share API calls, and every
//! response still waits for the API's answer to its own events.
//!
//! The tests prove orders of events, never durations: the stand-in holds the API's answers
//! (`Faults::hold_answers`) until the test releases them, a [`Moment`] marked just before a
//! release tells whether a response came after it, and the per-attempt timeout is far beyond
//! the harness's read timeout. What still rests on the clock is the held window itself (a
//! batch opened on a busy worker is cut `held_window_ms` after it opened): tests
//! that need several hits in one batch use the widest window (1 s) and write those hits back to
//! back.

use crate::harness::{build, read_response, Env, Moment, Options};
use capi_standin::Faults;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A per-attempt timeout no test waits for (a hit held that long would outlast the harness's
/// 20 s read timeout).
const NEVER: u64 = 60_000;
const WAIT: Duration = Duration::from_secs(10);

fn hit(i: usize) -> String {
    format!("/g/collect?v=2&cid=1.2&_p=88&_s={i}&en=purchase&ep.transaction_id=T-{i}&cu=EUR&epn.value=10&dl=https%3A%2F%2Fshop.example.com%2Fthanks{i}")
}

fn held(extra: Value) -> Env {
    // The default held window (2 ms) unless a test sets its own.
    let mut filter = json!({"api": {"timeout_ms": 3000,
        "retry": {"initial_backoff_ms": 100, "max_backoff_ms": 200}}});
    if let (Some(base), Value::Object(extra)) = (filter["api"].as_object_mut(), extra) {
        for (k, v) in extra {
            match (base.get_mut(&k), v) {
                (Some(Value::Object(b)), Value::Object(e)) => b.extend(e),
                (_, v) => {
                    base.insert(k, v);
                }
            }
        }
    }
    Env::start(Options {
        filter,
        ..Options::default()
    })
}

/// Held mode with the widest window and answers held by the stand-in until released.
fn gated() -> Env {
    let env = held(json!({"timeout_ms": NEVER, "batch": {"held_window_ms": 1000}}));
    env.api.set_faults(Faults {
        hold_answers: true,
        ..Faults::default()
    });
    env
}

/// Sends `n` hits at once (one connection each, released together); returns each status.
fn concurrent_hits(env: &Env, n: usize) -> Vec<u16> {
    let barrier = Arc::new(Barrier::new(n));
    let port = env.port;
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let request = build("GET", &hit(i), &[], None);
                barrier.wait();
                crate::harness::try_request(port, &request).unwrap().status
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// Writes hit `i` on a new connection and returns the connection (its answer unread).
fn send(env: &Env, i: usize) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", env.port)).unwrap();
    stream.write_all(&build("GET", &hit(i), &[], None)).unwrap();
    stream
}

/// Reads the answer on `stream` on its own thread: its status, and whether `moment` had passed
/// when it arrived.
fn answer(mut stream: TcpStream, moment: &Moment) -> JoinHandle<(u16, bool)> {
    let moment = moment.clone();
    std::thread::spawn(move || {
        let status = read_response(&mut stream, Instant::now()).unwrap().status;
        (status, moment.passed())
    })
}

/// Waits until the filter has read `n` hits in all (each joins its batch in the same callback).
fn wait_received(env: &Env, n: u64) {
    assert_eq!(
        env.wait_stat("events_received", n, WAIT),
        n,
        "hits received"
    );
}

/// Waits until the request of hit `i` has ended in Envoy (its access log line is written), e.g.
/// after its client left.
fn wait_ended(env: &Env, i: usize) {
    let needle = format!("&_s={i}&");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !env.access_log().contains(&needle) {
        assert!(Instant::now() < deadline, "request {i} never ended");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn delivered_ids(env: &Env) -> BTreeSet<String> {
    env.api
        .requests()
        .iter()
        .filter(|c| c.answered_status == 200)
        .flat_map(|c| c.events())
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The event ids of each API call, in order.
fn batches(env: &Env) -> Vec<BTreeSet<String>> {
    env.api
        .requests()
        .iter()
        .map(|c| {
            c.events()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

fn ids(numbers: impl IntoIterator<Item = usize>) -> BTreeSet<String> {
    numbers.into_iter().map(|i| format!("T-{i}")).collect()
}

#[test]
fn twenty_four_concurrent_held_hits_share_a_handful_of_calls_and_each_waits_for_the_answer() {
    let env = gated();
    let released = Moment::default();
    let streams: Vec<TcpStream> = (0..24).map(|i| send(&env, i)).collect();
    let answers: Vec<_> = streams.into_iter().map(|s| answer(s, &released)).collect();
    wait_received(&env, 24);
    released.mark();
    env.api.release_answers(usize::MAX);
    for answer in answers {
        assert_eq!(
            answer.join().unwrap(),
            (204, true),
            "answered after the API's answer"
        );
    }
    assert_eq!(env.wait_stat("events_sent", 24, WAIT), 24);
    let calls = env.api.requests();
    assert!(
        calls.len() <= 6,
        "{} API calls for 24 concurrent held hits: {:?}",
        calls.len(),
        calls.iter().map(|c| c.events().len()).collect::<Vec<_>>()
    );
    eprintln!(
        "24 concurrent held hits: {} API calls, events per call {:?}",
        calls.len(),
        calls.iter().map(|c| c.events().len()).collect::<Vec<_>>()
    );
    assert_eq!(delivered_ids(&env).len(), 24, "every event delivered once");
    assert_eq!(env.stat("api_requests"), calls.len() as u64);
    env.assert_no_crash();
}

#[test]
fn a_zero_held_window_restores_one_call_per_request() {
    let env = held(json!({"timeout_ms": NEVER, "batch": {"held_window_ms": 0}}));
    env.api.set_faults(Faults {
        hold_answers: true,
        ..Faults::default()
    });
    let released = Moment::default();
    let answers: Vec<_> = (0..6).map(|i| answer(send(&env, i), &released)).collect();
    // Six calls while not one has been answered: none waited to share.
    assert_eq!(env.api.wait_for_requests(6, WAIT).len(), 6);
    released.mark();
    env.api.release_answers(usize::MAX);
    for answer in answers {
        assert_eq!(answer.join().unwrap(), (204, true));
    }
    assert_eq!(env.wait_stat("events_sent", 6, WAIT), 6);
    assert_eq!(env.api.requests().len(), 6, "one call per held request");
}

#[test]
fn a_shared_batch_with_one_rejected_event_delivers_the_others() {
    let env = held(json!({}));
    env.api.set_faults(Faults {
        reject_event_id: Some("T-3".into()),
        delay_ms: 100,
        ..Faults::default()
    });
    let answers = concurrent_hits(&env, 8);
    assert!(answers.iter().all(|s| *s == 204), "{answers:?}");
    assert_eq!(env.wait_stat("events_sent", 7, Duration::from_secs(5)), 7);
    assert_eq!(
        env.wait_stat("events_failed", 1, Duration::from_secs(10)),
        1
    );
    let ids = delivered_ids(&env);
    assert_eq!(ids.len(), 7);
    assert!(!ids.contains("T-3"));
}

#[test]
fn a_shared_batch_that_fails_is_retried_whole() {
    let env = held(json!({}));
    env.api.set_faults(Faults {
        fail_first: Some((1, 503)),
        ..Faults::default()
    });
    let answers = concurrent_hits(&env, 6);
    assert!(answers.iter().all(|s| *s == 204), "{answers:?}");
    assert_eq!(env.wait_stat("events_sent", 6, Duration::from_secs(5)), 6);
    let calls = env.api.requests();
    assert_eq!(calls[0].answered_status, 503);
    assert!(
        calls[1..]
            .iter()
            .any(|c| c.body == calls[0].body && c.answered_status == 200),
        "the failed batch is re-sent whole, with the identical body"
    );
    assert_eq!(delivered_ids(&env).len(), 6);
    assert_eq!(env.stat("api_retries"), 1);
}

#[test]
fn a_client_that_leaves_while_held_loses_no_event_and_stalls_no_one() {
    let env = gated();
    let released = Moment::default();
    // A first hit finds the worker idle and goes at once; its call stays in flight.
    let first = answer(send(&env, 99), &released);
    assert_eq!(env.api.wait_for_requests(1, WAIT).len(), 1);
    // Two more gather behind it, written back to back so one window holds both.
    let leaver = send(&env, 100);
    let stayer = answer(send(&env, 101), &released);
    wait_received(&env, 3);
    // One client leaves while held; its event is already in the shared batch.
    drop(leaver);
    wait_ended(&env, 100);
    released.mark();
    env.api.release_answers(usize::MAX);
    assert_eq!(
        stayer.join().unwrap(),
        (204, true),
        "the remaining request waited for its batch's answer"
    );
    assert_eq!(first.join().unwrap(), (204, true));
    assert_eq!(env.wait_stat("events_sent", 3, WAIT), 3);
    assert_eq!(
        batches(&env),
        [ids([99]), ids([100, 101])],
        "the leaver's event went in the shared batch"
    );
    env.assert_no_crash();
}

#[test]
fn a_batch_waiting_behind_a_call_gathers_for_its_window_even_after_that_call_answered() {
    let env = gated();
    let first_answered = Moment::default();
    let second_answered = Moment::default();
    let first = answer(send(&env, 1), &first_answered);
    assert_eq!(env.api.wait_for_requests(1, WAIT).len(), 1);
    // Hit 2 opens a batch behind the call in flight, due one window (1 s) later.
    let second = answer(send(&env, 2), &second_answered);
    wait_received(&env, 2);
    first_answered.mark();
    env.api.release_answers(1);
    // The answer does not cut the batch behind it: under load a batch gathers for its whole
    // window, so hit 3, arriving after the answer, still shares hit 2's call.
    assert_eq!(env.wait_stat("events_sent", 1, WAIT), 1);
    let third = answer(send(&env, 3), &second_answered);
    wait_received(&env, 3);
    assert_eq!(
        env.api.wait_for_requests(2, WAIT).len(),
        2,
        "the window sends the batch"
    );
    second_answered.mark();
    env.api.release_answers(usize::MAX);
    assert_eq!(first.join().unwrap(), (204, true));
    assert_eq!(
        second.join().unwrap(),
        (204, true),
        "hit 2 waited for its own call's answer"
    );
    assert_eq!(third.join().unwrap(), (204, true));
    assert_eq!(env.wait_stat("events_sent", 3, WAIT), 3);
    assert_eq!(batches(&env), [ids([1]), ids([2, 3])]);
}

#[test]
fn the_request_whose_hit_sent_a_shared_batch_may_leave_without_stalling_the_others() {
    let env = gated();
    let released = Moment::default();
    // The opener finds the worker idle: its hit makes a batch due at once, so the batch is sent
    // on the wake-up its request asked for, as a callout of the root.
    let opener = send(&env, 0);
    assert_eq!(env.api.wait_for_requests(1, WAIT).len(), 1);
    // The others arrive while that call is in flight and gather behind it for their window;
    // the worker stays busy until the opener's call answers, so an answer lost with the
    // opener's stream would keep them waiting.
    let streams: Vec<TcpStream> = (1..=4).map(|i| send(&env, i)).collect();
    let stayers: Vec<_> = streams.into_iter().map(|s| answer(s, &released)).collect();
    wait_received(&env, 5);
    // The opener's client leaves before the API answers.
    drop(opener);
    wait_ended(&env, 0);
    env.api.release_answers(1);
    // Its answer still reaches the root. The stayers' batch keeps gathering until its window
    // ends, so a hit right after the answer joins it.
    assert_eq!(
        env.wait_stat("events_sent", 1, WAIT),
        1,
        "the answer arrived"
    );
    let late = answer(send(&env, 5), &released);
    wait_received(&env, 6);
    assert_eq!(
        env.api.wait_for_requests(2, WAIT).len(),
        2,
        "the window sent the stayers' batch"
    );
    released.mark();
    env.api.release_answers(usize::MAX);
    for stayer in stayers {
        assert_eq!(
            stayer.join().unwrap(),
            (204, true),
            "answered after its batch's answer"
        );
    }
    assert_eq!(late.join().unwrap(), (204, true));
    assert_eq!(env.wait_stat("events_sent", 6, WAIT), 6);
    let calls = batches(&env);
    eprintln!(
        "opener left: events per call {:?}",
        calls.iter().map(BTreeSet::len).collect::<Vec<_>>()
    );
    assert_eq!(
        calls,
        [ids([0]), ids(1..=5)],
        "the opener's event went alone; the others shared the next call"
    );
    let sent: usize = calls.iter().map(BTreeSet::len).sum();
    assert_eq!(sent, 6, "every event sent exactly once: {calls:?}");
    assert_eq!(delivered_ids(&env).len(), 6);
    assert_eq!(env.stat("api_retries"), 0, "no call was lost and re-sent");
    env.assert_no_crash();
}
