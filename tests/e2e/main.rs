//! End-to-end tests in real Envoy (built `.wasm` + API stand-in). They fail, never skip, when
//! Envoy or the `.wasm` is missing.
//!
//! `make test` runs the fast ones (`make e2e`). The slow ones — the soak, the 60 s API outage
//! and the thousand-request memory check, each a minute or more — carry
//! `#[ignore = "slow: …"]` so that `make test` stays within minutes; `make e2e-slow` (part of
//! `make ci`) runs exactly those, with `--ignored`. `make lint` refuses an `#[ignore]` for any
//! other reason, so nothing ignored escapes `make ci`.

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
