//! The fault matrix: the API refusing, slow, failing, rate-limiting, rejecting, resetting or
//! answering garbage. Collection requests must always be answered normally and within bounds;
//! events are delivered or counted as failed; retries carry identical bodies; metrics show it.
//!
//! No test times a response against an upper bound: a slow API is one whose answers the
//! stand-in holds (`Faults::hold_answers`) until the test releases them, and "not held until
//! the timeout" is proven by a timeout far beyond the harness's 20 s read timeout, so only the
//! order of events decides and a loaded machine fails nothing.

use crate::harness::{Env, Moment, Options};
use capi_standin::Faults;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const HIT: &str =
    "/g/collect?v=2&cid=1.2&_p=9&_s=1&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F";

/// A per-attempt timeout no test waits for: a request held until it would outlast the
/// harness's read timeout (20 s) and fail.
const NEVER: u64 = 60_000;

/// Held mode with fast retries so the matrix runs in seconds.
fn held(extra: Value) -> Options {
    let mut filter = json!({"api": {"timeout_ms": 1000, "retry": {"max_attempts": 3, "initial_backoff_ms": 100, "max_backoff_ms": 200}}});
    merge(&mut filter, extra);
    Options {
        filter,
        ..Options::default()
    }
}

fn merge(base: &mut Value, extra: Value) {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        for (k, v) in e {
            match (b.get_mut(&k), v) {
                (Some(existing @ Value::Object(_)), v @ Value::Object(_)) => merge(existing, v),
                (_, v) => {
                    b.insert(k, v);
                }
            }
        }
    }
}

fn assert_identical_bodies(env: &Env, n: usize) {
    let calls = env.api.wait_for_requests(n, Duration::from_secs(10));
    assert_eq!(calls.len(), n, "{n} attempts");
    for c in &calls[1..] {
        assert_eq!(
            c.body, calls[0].body,
            "a retry sends the identical body (same id and timestamp_ms)"
        );
    }
}

#[test]
fn api_refusing_connections_never_delays_the_site_and_counts_the_failure() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = Env::start(Options {
        api_port: Some(closed),
        ..held(json!({"api": {"timeout_ms": NEVER}}))
    });
    // Answered at all: a hit held until the attempt's timeout would outlast the read timeout.
    let r = env.get(HIT, &[]);
    assert_eq!(r.status, 204);
    assert_eq!(env.wait_stat("events_failed", 1, Duration::from_secs(5)), 1);
    let s = env.stats();
    assert_eq!(
        (s["api_errors"], s["api_retries"], s["events_sent"]),
        (3, 2, 0),
        "{s:?}"
    );
    env.assert_no_crash();
}

#[test]
fn api_slower_than_the_timeout_releases_the_request_at_the_timeout() {
    let env = Env::start(held(json!({"api": {"timeout_ms": 300}})));
    // The API never answers during the test: whatever releases the hit, it is not an answer.
    env.api.set_faults(Faults {
        hold_answers: true,
        ..Faults::default()
    });
    let r = env.get(HIT, &[]);
    assert_eq!(r.status, 204);
    assert!(
        r.elapsed >= Duration::from_millis(280),
        "released before the timeout: {:?}",
        r.elapsed
    );
    assert_eq!(
        env.wait_stat("events_failed", 1, Duration::from_secs(10)),
        1,
        "three timeouts"
    );
    assert_identical_bodies(&env, 3);
    assert_eq!(env.stat("api_errors"), 3);
}

#[test]
fn two_503s_then_200_delivers_with_identical_retries() {
    let env = Env::start(held(json!({})));
    env.api.set_faults(Faults {
        fail_first: Some((2, 503)),
        ..Faults::default()
    });
    let r = env.get(HIT, &[]);
    assert_eq!(r.status, 204);
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);
    assert_identical_bodies(&env, 3);
    let s = env.stats();
    assert_eq!(
        (
            s["api_responses_5xx"],
            s["api_responses_2xx"],
            s["api_retries"],
            s["events_failed"]
        ),
        (2, 1, 2, 0),
        "{s:?}"
    );
    assert_eq!(s["retry_queue_depth"], 0);
}

#[test]
fn a_429_with_retry_after_is_retried_no_earlier_than_asked() {
    let env = Env::start(held(json!({})));
    env.api.set_faults(Faults {
        fail_first: Some((1, 429)),
        retry_after: Some("1".into()),
        ..Faults::default()
    });
    env.get(HIT, &[]);
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);
    let calls = env.api.requests();
    assert_eq!(calls.len(), 2);
    let gap = calls[1].received_at_ms - calls[0].received_at_ms;
    assert!(gap >= 990, "retried after {gap} ms, Retry-After said 1 s");
    assert_eq!(env.stat("api_responses_4xx"), 1);
}

#[test]
fn a_retry_after_past_the_horizon_gets_one_last_attempt_at_the_horizon() {
    // The API asks for an hour; the horizon is 1.5 s. The events are not dropped at once: they
    // are tried once more at the horizon, which here succeeds.
    let env = Env::start(held(
        json!({"api": {"retry": {"horizon_ms": 1500, "max_attempts": null}}}),
    ));
    env.api.set_faults(Faults {
        fail_first: Some((1, 429)),
        retry_after: Some("3600".into()),
        ..Faults::default()
    });
    env.get(HIT, &[]);
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(10)), 1);
    let calls = env.api.requests();
    assert_eq!(calls.len(), 2, "one last attempt");
    assert_eq!(calls[1].body, calls[0].body);
    assert_eq!(env.stat("events_failed"), 0);
}

#[test]
fn a_200_is_a_success_whatever_the_size_of_its_body_within_envoys_callout_buffer() {
    // A 16 MiB answer body, 4,000 times what the filter reads (4 KiB, for logs), is still the
    // API's 200: delivered, never counted as "no answer" and never sent again. (Past Envoy's
    // 32 MiB callout buffer Envoy drops the answer and reports it like a reset: see README.)
    let env = Env::start(held(json!({})));
    env.api.set_faults(Faults {
        large_body: Some(16 * 1024 * 1024),
        ..Faults::default()
    });
    let r = env.get(HIT, &[]);
    assert_eq!(r.status, 204);
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(10)), 1);
    assert_eq!(env.stat("api_responses_2xx"), 1);
    assert_eq!(env.stat("api_errors"), 0);
    assert_eq!(env.stat("api_retries"), 0);
    assert_eq!(env.api.requests().len(), 1, "sent once");
}

#[test]
fn a_400_is_not_retried_and_its_body_is_logged() {
    // The API's answer is logged only with full_bodies (see injection.rs for the default).
    let env = Env::start(held(json!({"logging": {"full_bodies": true}})));
    env.api.set_faults(Faults {
        status: Some(400),
        ..Faults::default()
    });
    env.get(HIT, &[]);
    assert_eq!(env.wait_stat("events_failed", 1, Duration::from_secs(5)), 1);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(env.api.requests().len(), 1, "no retry of a 400");
    assert_eq!(env.stat("api_retries"), 0);
    assert!(
        env.log().contains("injected fault: HTTP 400"),
        "the response body is logged"
    );
}

#[test]
fn a_connection_reset_is_retried() {
    let env = Env::start(held(json!({})));
    env.api.set_faults(Faults {
        reset: Some(1),
        ..Faults::default()
    });
    let r = env.get(HIT, &[]);
    assert_eq!(r.status, 204);
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);
    assert_identical_bodies(&env, 2);
    assert_eq!(env.stat("api_errors"), 1);
}

#[test]
fn a_non_json_success_body_is_a_success() {
    let env = Env::start(held(json!({})));
    env.api.set_faults(Faults {
        non_json_body: true,
        ..Faults::default()
    });
    env.get(HIT, &[]);
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);
    assert_eq!(env.stat("events_failed"), 0);
    env.assert_no_crash();
}

#[test]
fn optimistic_mode_answers_the_hit_while_the_api_has_not_answered() {
    let env = Env::start(held(
        json!({"optimistic": true, "api": {"timeout_ms": NEVER, "batch": {"max_delay_ms": 0}}}),
    ));
    env.api.set_faults(Faults {
        hold_answers: true,
        ..Faults::default()
    });
    // Every API answer is held until after the hit's response: it could not wait for one.
    let r = env.get(HIT, &[]);
    assert_eq!(r.status, 204);
    assert!(r.cookie("__obref").is_some());
    assert_eq!(
        env.api.wait_for_requests(1, Duration::from_secs(5)).len(),
        1
    );
    env.api.release_answers(usize::MAX);
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);
}

#[test]
fn a_held_hit_is_answered_only_after_the_api_answered() {
    // (That the timeout releases it is the test above.)
    let env = Env::start(held(json!({"api": {"timeout_ms": NEVER}})));
    env.api.set_faults(Faults {
        hold_answers: true,
        ..Faults::default()
    });
    let released = Moment::default();
    let hit = env.get_in_background(HIT, &released);
    assert_eq!(
        env.api.wait_for_requests(1, Duration::from_secs(5)).len(),
        1
    );
    released.mark();
    env.api.release_answers(1);
    let (r, after_the_answer) = hit.join().unwrap();
    assert_eq!(r.status, 204);
    assert!(after_the_answer, "answered before the API answered");
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);
}

#[test]
fn metrics_are_exported_to_prometheus() {
    let env = Env::start(held(json!({})));
    env.get(HIT, &[]);
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);
    // The latency histogram shows up on Envoy's next stats flush.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !env
        .prometheus()
        .contains("openai_capi_api_latency_ms_count{} 1")
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = env.prometheus();
    for needle in [
        "openai_capi_collect_requests{} 1",
        "openai_capi_events_received{} 1",
        "openai_capi_events_sent{} 1",
        "openai_capi_api_requests{} 1",
        "openai_capi_api_responses{status_class=\"2xx\"} 1",
        "openai_capi_retry_queue_depth{} 0",
        "openai_capi_api_latency_ms_bucket",
        "openai_capi_api_latency_ms_count{} 1",
    ] {
        assert!(
            text.contains(needle),
            "{needle} missing from /stats/prometheus:\n{}",
            text.lines()
                .filter(|l| l.contains("openai_capi"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn vm_memory_is_reported() {
    let env = Env::start(held(json!({})));
    env.get(HIT, &[]);
    let bytes = env.wait_stat("vm_memory_bytes", 1, Duration::from_secs(10));
    // One VM per worker plus the main thread's; each is at least a few wasm pages.
    assert!(bytes >= 2 * 65_536, "vm_memory_bytes = {bytes}");
}

#[test]
fn an_unknown_api_cluster_never_holds_a_request_and_says_why() {
    let env = Env::start(held(
        json!({"api": {"cluster": "no_such_cluster", "timeout_ms": NEVER}}),
    ));
    // Answered at all: a hit held until the attempt's timeout would outlast the read timeout.
    let r = env.get(HIT, &[]);
    assert_eq!(r.status, 204);
    assert_eq!(
        env.wait_stat("events_failed", 1, Duration::from_secs(5)),
        1,
        "after every attempt was refused"
    );
    assert!(env
        .log()
        .contains("callout to cluster \"no_such_cluster\" refused by Envoy"));
    env.assert_no_crash();
}
