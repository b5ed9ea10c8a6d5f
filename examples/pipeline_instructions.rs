//! Runs the core pipeline a fixed number of times for one input, so `valgrind --tool=callgrind`
//! can count instructions per event: a repeatable measure on a noisy 2-core machine, where
//! criterion's wall-clock times move by ±10 % between runs. Used by `make bench`.
//!
//! `cargo run --release --example pipeline_instructions -- purchase 1000` (inputs: page_view,
//! purchase (10 items, full user data), purchase2 (2 items and `em`, as `make bench` sends),
//! batch5 — a POST of five events, four of which fire the tag, counted per request).

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "purchase".into());
    let n: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    capi_test_support::pipeline_inputs::run_pipeline(&which, n);
}
