//! Memory per request in real Envoy: hostile shapes of every format (`capi_test_support::shapes`)
//! must not grow the filter's wasm memory. Wasm linear memory never shrinks, so before the work
//! budget each such request could leave a worker's VM hundreds of megabytes larger for good (or
//! trap it). The warm-up may grow `vm_memory_bytes` by a few megabytes at most, 1,000 more hostile
//! requests must leave it where it was, and a valid hit must still be delivered.

use crate::harness::{Env, Options};
use capi_test_support::shapes::{self, Shape};
use serde_json::json;
use std::time::Duration;

/// Growth allowed while the allocator reaches its working size: a few of the largest requests
/// (a 215 KB body) alive at once, with room to spare.
const MAX_WARM_UP_GROWTH: u64 = 8 << 20;

const WARM_UP_ROUNDS: u64 = 5;

const GOOD: &str = "/g/collect?v=2&cid=1.2&_p=5&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F";

fn send(env: &Env, shape: &Shape) -> u16 {
    let value = |name: &str| {
        shape
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
    };
    let path = value(":path").unwrap();
    let method = value(":method").unwrap();
    let headers: Vec<(String, String)> = shape
        .headers
        .iter()
        .filter(|(n, _)| !n.starts_with(':'))
        .map(|(n, v)| (n.clone(), String::from_utf8(v.clone()).unwrap()))
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let response = if method == "GET" {
        env.get(&path, &headers)
    } else {
        env.post(&path, &headers, &shape.body)
    };
    response.status
}

#[test]
#[ignore = "slow: a thousand large requests (make e2e-slow)"]
fn vm_memory_stays_flat_across_a_thousand_hostile_requests() {
    let env = Env::start(Options {
        filter: json!({"collect": {
            "max_body_bytes": 1048576,
            "max_events_per_request": 1000,
            "endpoints": [
                {"path": "/g/collect", "format": "ga4"},
                {"path": "/mp/collect", "format": "mp"},
                {"path": "/data", "format": "data"},
                {"path": "/x7k2", "format": "ga4_loader"},
                {"path": "/l", "format": "ga4_loader"}
            ]
        }}),
        wasm_log_level: "warn",
        ..Options::default()
    });
    let hostile: Vec<Shape> = shapes::all()
        .into_iter()
        .filter(|s| s.adversarial)
        .collect();

    assert_eq!(env.get(&format!("{GOOD}&_s=1"), &[]).status, 204);
    let baseline = env.wait_stat("vm_memory_bytes", 1, Duration::from_secs(10));

    // Warm-up: every shape a few times, so the allocator has grown to its working size. Before
    // the work budget this alone grew the two VMs (worker and main thread) from about 4 MB to
    // 496 MB.
    for _ in 0..WARM_UP_ROUNDS {
        for shape in &hostile {
            assert_eq!(send(&env, shape), 204, "{}", shape.name);
        }
    }
    let warm = env.stat("vm_memory_bytes");
    assert!(
        warm - baseline <= MAX_WARM_UP_GROWTH,
        "vm_memory_bytes grew from {baseline} to {warm} during the warm-up"
    );
    let budget_hits = env.stat("work_budget_exceeded");
    assert!(
        budget_hits > 0,
        "the hostile shapes exceed their work budget"
    );

    for shape in hostile.iter().cycle().take(1000) {
        assert_eq!(send(&env, shape), 204, "{}", shape.name);
    }
    let after = env.stat("vm_memory_bytes");
    assert_eq!(
        after, warm,
        "vm_memory_bytes grew from {warm} to {after} across 1,000 hostile requests"
    );
    // The shapes that exceed their budget in a warm-up round exceed it in every full round.
    let per_round = budget_hits / WARM_UP_ROUNDS;
    let rounds = (1000 / hostile.len()) as u64;
    assert!(env.stat("work_budget_exceeded") >= budget_hits + per_round * rounds);

    let sent = env.stat("events_sent");
    assert_eq!(env.get(&format!("{GOOD}&_s=999"), &[]).status, 204);
    assert!(
        env.wait_stat("events_sent", sent + 1, Duration::from_secs(5)) > sent,
        "a valid hit is still delivered"
    );
    env.assert_no_crash();
    println!(
        "vm_memory_bytes: {baseline} at start, {warm} after warm-up, {after} after 1,000 hostile requests"
    );
}
