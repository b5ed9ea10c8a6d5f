//! Peak heap allocation of one collection request through the core, per format, on normal and
//! adversarial shapes (`capi_test_support::shapes`), measured with a counting global allocator
//! whose counters are per thread (`tests/support/thread-alloc`): a test sees only its own
//! thread's allocations, so the harness and parallel tests never show up in its figures.
//! The bound: at most 20 times the bytes the client sent, and nothing left allocated once the
//! request's result is dropped (wasm memory never shrinks, so growth that outlives a request
//! would be permanent). `cargo test --test memory_per_request -- --nocapture` prints the table
//! BENCHMARKS.md quotes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use capi_test_support::shapes;
use openai_capi_filter::collect::collect;
use openai_capi_filter::config::Config;
use openai_capi_filter::observe::metrics::MemoryMetrics;
use std::sync::{Arc, Barrier};
use thread_alloc::ThreadCounting;

#[global_allocator]
static HEAP: ThreadCounting = ThreadCounting;

/// Peak allocation allowed per byte the client sent.
const MAX_AMPLIFICATION: usize = 20;

/// The most permissive collection config the filter accepts.
fn config() -> Config {
    Config::from_json(
        br#"{"pixel_id": "2atj5meVpvtJ5kCtqhG3yX", "api_key": "sk-test",
             "collect": {"max_body_bytes": 1048576, "max_events_per_request": 1000}}"#,
        &|_| None,
    )
    .unwrap()
}

/// One request's cost: its peak allocation and what it left allocated once its result was
/// dropped, both counted on the measuring thread.
struct Measured {
    events: usize,
    peak: usize,
    left: isize,
}

/// Runs one shape through `collect`; `during` runs while the request's result is alive.
fn measure(config: &Config, shape: &shapes::Shape, during: impl FnOnce()) -> Measured {
    let facts = shape.facts();
    let metrics = MemoryMetrics::default();
    let before = thread_alloc::current();
    thread_alloc::reset_peak();
    let collected = collect(
        config,
        shape.format,
        &facts,
        &shape.body,
        1_800_000_000_000,
        &mut || [7; 16],
        &metrics,
    );
    during();
    let peak = usize::try_from(thread_alloc::peak() - before).unwrap_or(0);
    let events = collected.events.len();
    drop(collected);
    drop(metrics);
    let left = thread_alloc::current() - before;
    Measured { events, peak, left }
}

#[test]
fn peak_allocation_per_request_stays_within_twenty_times_its_size() {
    let config = config();
    let mut failures = Vec::new();
    println!("| shape | request bytes | events | peak bytes | peak / request |");
    println!("|---|---:|---:|---:|---:|");
    for shape in shapes::all() {
        let Measured { events, peak, left } = measure(&config, &shape, || ());
        let size = shape.request_bytes();
        let ratio = peak as f64 / size as f64;
        println!(
            "| {} | {size} | {events} | {peak} | {ratio:.1}x |",
            shape.name
        );
        if peak > MAX_AMPLIFICATION * size {
            failures.push(format!(
                "{}: peak {peak} B is {ratio:.1}x of {size} B",
                shape.name
            ));
        }
        if left != 0 {
            failures.push(format!(
                "{}: {left} B still allocated after the request",
                shape.name
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Another thread (the test harness, another test, a runtime) allocating and holding memory
/// while a request is measured changes nothing in the request's figures: with a process-wide
/// counter, this test and a parallel one each saw the other's bytes.
#[test]
fn measurement_ignores_memory_another_thread_allocates_meanwhile() {
    let config = config();
    let shape = shapes::all().into_iter().next().unwrap();
    let alone = measure(&config, &shape, || ());
    // The helper allocates 1 MiB between the first two meetings, holds it past the
    // measurement, and frees it after the third: deterministic, no timing.
    let meet = Arc::new(Barrier::new(2));
    let helper = std::thread::spawn({
        let meet = Arc::clone(&meet);
        move || {
            meet.wait();
            let held = std::hint::black_box(vec![1u8; 1 << 20]);
            meet.wait();
            meet.wait();
            drop(held);
        }
    });
    let busy = measure(&config, &shape, || {
        meet.wait();
        meet.wait();
    });
    meet.wait();
    helper.join().unwrap();
    assert_eq!(busy.events, alone.events);
    assert_eq!(busy.left, 0, "{} B still allocated", busy.left);
    assert_eq!(busy.peak, alone.peak);
}
