//! Runs the core pipeline a fixed number of times for one input, so `valgrind --tool=callgrind`
//! can count instructions per event: a repeatable measure on a noisy 2-core machine, where
//! criterion's wall-clock times move by ±10 % between runs. Used by `make bench`.
//!
//! `cargo run --release --example pipeline_instructions -- purchase 1000` (inputs: page_view,
//! purchase (10 items, full user data), purchase2 (2 items and `em`, as `make bench` sends),
//! batch5 — a POST of five events, four of which fire the tag, counted per request).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use capi_test_support::pipeline_inputs as inputs;
use openai_capi_filter::collect::collect;
use openai_capi_filter::config::{Config, Format};
use openai_capi_filter::observe::metrics::MemoryMetrics;
use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "purchase".into());
    let n: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let (req, body, per_run): (_, &[u8], usize) = match which.as_str() {
        "page_view" => (inputs::request(&inputs::page_view()), b"", 1),
        "purchase" => (inputs::request(&inputs::purchase_10_items()), b"", 1),
        "purchase2" => (inputs::request(&inputs::purchase_2_items_em()), b"", 1),
        "batch5" => {
            let (path, body) = inputs::batch_of_five();
            // Five lines, four events: the `scroll` line is one of GA4's automatic events,
            // which the default trigger skips (counted in `events_skipped{reason="excluded"}`).
            (inputs::request_with(&path, "POST"), body, 4)
        }
        other => panic!("unknown input {other:?}: page_view | purchase | purchase2 | batch5"),
    };
    let config = Config::from_json(
        br#"{"pixel_id": "2atj5meVpvtJ5kCtqhG3yX", "api_key": "sk-bench"}"#,
        &|_| None,
    )
    .unwrap();
    let metrics = MemoryMetrics::default();
    let mut events = 0;
    for _ in 0..n {
        events += collect(
            black_box(&config),
            Format::Ga4,
            black_box(&req),
            body,
            inputs::NOW,
            &mut || [7; 16],
            &metrics,
        )
        .events
        .len();
    }
    assert_eq!(events, n as usize * per_run, "events per run");
}
