//! Cross-request batching in optimistic mode (`api.batch`).

use crate::harness::{Env, Options};
use capi_standin::Faults;
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;

fn hit(i: usize) -> String {
    format!("/g/collect?v=2&cid=1.2&_p=77&_s={i}&en=page_view&ep.event_id=ev-{i}&dl=https%3A%2F%2Fshop.example.com%2Fp{i}")
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
fn fifty_optimistic_hits_share_a_handful_of_api_calls() {
    let env = Env::start(Options {
        filter: json!({"optimistic": true}),
        ..Options::default()
    });
    for i in 0..50 {
        assert_eq!(env.get(&hit(i), &[]).status, 204);
    }
    assert_eq!(env.wait_stat("events_sent", 50, Duration::from_secs(5)), 50);
    let calls = env.api.requests();
    assert!(calls.len() <= 5, "{} API calls for 50 hits", calls.len());
    assert!(
        calls.iter().all(|c| c.answered_status == 200),
        "every batch accepted by the stand-in"
    );
    assert_eq!(delivered_ids(&env).len(), 50, "every event delivered once");
    assert_eq!(env.stat("api_requests"), calls.len() as u64);
}

#[test]
fn a_batch_with_one_rejected_event_still_delivers_the_others() {
    let env = Env::start(Options {
        filter: json!({"optimistic": true, "api": {"batch": {"max_events": 100, "max_delay_ms": 300}}}),
        ..Options::default()
    });
    env.api.set_faults(Faults {
        reject_event_id: Some("ev-7".into()),
        ..Faults::default()
    });
    for i in 0..12 {
        env.get(&hit(i), &[]);
    }
    assert_eq!(env.wait_stat("events_sent", 11, Duration::from_secs(5)), 11);
    assert_eq!(
        env.wait_stat("events_failed", 1, Duration::from_secs(10)),
        1
    );
    let ids = delivered_ids(&env);
    assert_eq!(ids.len(), 11);
    assert!(!ids.contains("ev-7"));
    let calls = env.api.requests();
    assert!(
        calls.len() <= 1 + 2 * 4,
        "splitting is logarithmic: {} calls",
        calls.len()
    );
    let log = env.log();
    assert!(
        log.lines()
            .any(|l| l.contains("HTTP 400") && l.contains("ev-7")),
        "the isolated rejection is logged with its event id (the API's answer only with logging.full_bodies)"
    );
}

#[test]
fn a_failed_batch_is_retried_whole_with_the_same_body() {
    let env = Env::start(Options {
        filter: json!({"optimistic": true, "api": {"batch": {"max_delay_ms": 200},
                        "retry": {"initial_backoff_ms": 100, "max_backoff_ms": 200}}}),
        ..Options::default()
    });
    env.api.set_faults(Faults {
        fail_first: Some((1, 503)),
        ..Faults::default()
    });
    for i in 0..5 {
        env.get(&hit(i), &[]);
    }
    assert_eq!(env.wait_stat("events_sent", 5, Duration::from_secs(5)), 5);
    let calls = env.api.requests();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].body, calls[1].body);
    assert_eq!(calls[1].events().len(), 5);
}
