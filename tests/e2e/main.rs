//! End-to-end tests in real Envoy (built `.wasm` + API stand-in). Run with `make test`; they
//! fail, never skip, when Envoy or the `.wasm` is missing.

// Test code: a failed unwrap is a failed test. Clippy's test exemptions cover #[test]
// functions only, not the helpers of an integration-test crate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

// Helpers are shared by all test modules; not every module uses every helper.
#[allow(dead_code)]
mod harness;

mod batching;
mod bigquery;
mod client_identity;
mod config_refusal;
mod conversion_edges;
mod conversions;
mod delivery;
mod docs;
mod edges;
mod first_path;
mod held_batching;
mod hostile;
mod ingest;
mod injection;
mod lossless;
mod match_keys;
mod memory;
mod observe;
mod release;
mod shared_vm;
mod shipped_configs;
mod soak;
mod tag_logic;
mod user_data;
