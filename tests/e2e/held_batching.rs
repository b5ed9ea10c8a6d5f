//! Held mode with shared callouts: concurrent held hits on a worker share API calls, and every
//! response still waits for the API's answer to its own events.

use crate::harness::{build, Env, Options};
use capi_standin::Faults;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

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

/// Sends `n` hits at once (one connection each, released together); returns each response's
/// status and time to the whole response.
fn concurrent_hits(env: &Env, n: usize) -> Vec<(u16, Duration)> {
    let barrier = Arc::new(Barrier::new(n));
    let port = env.port;
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let request = build("GET", &hit(i), &[], None);
                barrier.wait();
                let r = crate::harness::try_request(port, &request).unwrap();
                (r.status, r.elapsed)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
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

#[test]
fn twenty_four_concurrent_held_hits_share_a_handful_of_calls_and_each_waits_for_the_answer() {
    let env = held(json!({}));
    env.api.set_faults(Faults {
        delay_ms: 400,
        ..Faults::default()
    });
    let answers = concurrent_hits(&env, 24);
    for (status, elapsed) in &answers {
        assert_eq!(*status, 204);
        assert!(
            *elapsed >= Duration::from_millis(395),
            "answered after {elapsed:?}, before the API's answer (400 ms): {answers:?}"
        );
    }
    assert_eq!(env.wait_stat("events_sent", 24, Duration::from_secs(5)), 24);
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
    let env = held(json!({"batch": {"held_window_ms": 0}}));
    env.api.set_faults(Faults {
        delay_ms: 300,
        ..Faults::default()
    });
    let answers = concurrent_hits(&env, 6);
    assert!(answers
        .iter()
        .all(|(s, e)| *s == 204 && *e >= Duration::from_millis(295)));
    assert_eq!(env.wait_stat("events_sent", 6, Duration::from_secs(5)), 6);
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
    assert!(answers.iter().all(|(s, _)| *s == 204), "{answers:?}");
    assert_eq!(env.wait_stat("events_sent", 7, Duration::from_secs(5)), 7);
    assert_eq!(env.wait_stat("events_failed", 1, Duration::from_secs(3)), 1);
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
    assert!(answers.iter().all(|(s, _)| *s == 204), "{answers:?}");
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
    let env = held(json!({"batch": {"held_window_ms": 200}}));
    env.api.set_faults(Faults {
        delay_ms: 600,
        ..Faults::default()
    });
    let port = env.port;
    let get = move |i: usize| {
        std::thread::spawn(move || {
            let started = Instant::now();
            let r = crate::harness::try_request(port, &build("GET", &hit(i), &[], None)).unwrap();
            (r.status, started.elapsed())
        })
    };
    // A first hit finds the worker idle and goes at once; the next ones gather behind it.
    let first = get(99);
    std::thread::sleep(Duration::from_millis(50));
    // This client leaves inside the window; its event is already in the shared batch.
    let mut leaver = TcpStream::connect(("127.0.0.1", port)).unwrap();
    leaver
        .write_all(&build("GET", &hit(100), &[], None))
        .unwrap();
    std::thread::sleep(Duration::from_millis(30));
    let stayer = get(101);
    std::thread::sleep(Duration::from_millis(30));
    drop(leaver);
    let (status, waited) = stayer.join().unwrap();
    assert_eq!(status, 204);
    assert!(
        waited >= Duration::from_millis(595),
        "the remaining request waited for its batch's answer: {waited:?}"
    );
    assert_eq!(first.join().unwrap().0, 204);
    assert_eq!(env.wait_stat("events_sent", 3, Duration::from_secs(5)), 3);
    let calls = env.api.requests();
    let batches: Vec<BTreeSet<String>> = calls
        .iter()
        .map(|c| {
            c.events()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect();
    assert_eq!(
        batches,
        [
            BTreeSet::from(["T-99".to_owned()]),
            BTreeSet::from(["T-100".to_owned(), "T-101".to_owned()])
        ],
        "the leaver's event went in the shared batch"
    );
    env.assert_no_crash();
}

#[test]
fn a_batch_waiting_behind_a_call_goes_when_that_call_answers() {
    let env = held(json!({"batch": {"held_window_ms": 1000}}));
    env.api.set_faults(Faults {
        delay_ms: 300,
        ..Faults::default()
    });
    let port = env.port;
    let first = std::thread::spawn(move || {
        crate::harness::try_request(port, &build("GET", &hit(1), &[], None)).unwrap()
    });
    std::thread::sleep(Duration::from_millis(50));
    let second = env.get(&hit(2), &[]);
    assert_eq!(first.join().unwrap().status, 204);
    assert_eq!(second.status, 204);
    // Sent when the first call answered (~250 ms after it arrived), not at its window's end
    // (1000 ms); then it waited for its own answer (300 ms).
    assert!(
        second.elapsed >= Duration::from_millis(500) && second.elapsed < Duration::from_millis(950),
        "held {:?}",
        second.elapsed
    );
    assert_eq!(env.wait_stat("events_sent", 2, Duration::from_secs(5)), 2);
    assert_eq!(env.api.requests().len(), 2);
}

#[test]
fn the_request_whose_hit_sent_a_shared_batch_may_leave_without_stalling_the_others() {
    // A window longer than the API's delay: the batch behind goes on the answer, not the window.
    let env = held(json!({"batch": {"held_window_ms": 1000}}));
    env.api.set_faults(Faults {
        delay_ms: 400,
        ..Faults::default()
    });
    let port = env.port;
    // The opener finds the worker idle: its hit makes a batch due at once, so the batch is sent
    // on the wake-up its request asked for. Then its client leaves before the API answers.
    let mut opener = TcpStream::connect(("127.0.0.1", port)).unwrap();
    opener.write_all(&build("GET", &hit(0), &[], None)).unwrap();
    // The others arrive while that call is in flight and gather behind it: only its answer
    // sends their batch, so an answer lost with the opener's stream would stall them.
    std::thread::sleep(Duration::from_millis(20));
    let stayers: Vec<_> = (1..=4)
        .map(|i| {
            std::thread::spawn(move || {
                let started = Instant::now();
                let r =
                    crate::harness::try_request(port, &build("GET", &hit(i), &[], None)).unwrap();
                (r.status, started.elapsed())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    drop(opener);
    let answers: Vec<(u16, Duration)> = stayers.into_iter().map(|t| t.join().unwrap()).collect();
    // Sent when the opener's call answered (~380 ms) and answered in turn (~780 ms); had that
    // answer been lost with the opener's stream, their batch would wait for its window (1 s).
    for (status, waited) in &answers {
        assert_eq!(*status, 204);
        assert!(
            *waited >= Duration::from_millis(700) && *waited < Duration::from_millis(1100),
            "held {waited:?}: {answers:?}"
        );
    }
    assert_eq!(env.wait_stat("events_sent", 5, Duration::from_secs(5)), 5);
    let calls = env.api.requests();
    let sent: Vec<String> = calls
        .iter()
        .flat_map(|c| c.events())
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    eprintln!(
        "opener left: events per call {:?}",
        calls.iter().map(|c| c.events().len()).collect::<Vec<_>>()
    );
    assert_eq!(sent.len(), 5, "every event sent exactly once: {sent:?}");
    assert_eq!(delivered_ids(&env).len(), 5);
    assert!(
        calls[0].events().iter().any(|e| e["id"] == "T-0"),
        "the opener's event went in the first call"
    );
    assert_eq!(env.stat("api_retries"), 0, "no call was lost and re-sent");
    env.assert_no_crash();
}
