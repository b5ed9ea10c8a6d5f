//! Peak heap allocation of one collection request through the core, per format, on normal and
//! adversarial shapes (`tests/support/shapes.rs`), measured with a counting global allocator.
//! The bound: at most 20 times the bytes the client sent, and nothing left allocated once the
//! request's result is dropped (wasm memory never shrinks, so growth that outlives a request
//! would be permanent). `cargo test --test memory_per_request -- --nocapture` prints the table
//! BENCHMARKS.md quotes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/shapes.rs"]
mod shapes;

use openai_capi_filter::collect::collect;
use openai_capi_filter::config::Config;
use openai_capi_filter::observe::metrics::MemoryMetrics;
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

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

// One test: the allocator's counters are process-wide, so measurements must not overlap.
#[test]
fn peak_allocation_per_request_stays_within_twenty_times_its_size() {
    let config = config();
    let mut failures = Vec::new();
    println!("| shape | request bytes | events | peak bytes | peak / request |");
    println!("|---|---:|---:|---:|---:|");
    for shape in shapes::all() {
        let facts = shape.facts();
        let metrics = MemoryMetrics::default();
        let before = HEAP.current_usage();
        HEAP.reset_peak_usage();
        let collected = collect(
            &config,
            shape.format,
            &facts,
            &shape.body,
            1_800_000_000_000,
            &mut || [7; 16],
            &metrics,
        );
        let peak = HEAP.peak_usage().saturating_sub(before);
        let events = collected.events.len();
        drop(collected);
        drop(metrics);
        let left = HEAP.current_usage().saturating_sub(before);
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
        if left > 0 {
            failures.push(format!(
                "{}: {left} B still allocated after the request",
                shape.name
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
