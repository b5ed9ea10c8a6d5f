//! Test helpers shared by the filter's integration tests (`tests/`), the e2e harness, the
//! example and the pipeline benchmark: a dev-dependency of each, never part of the filter.
//!
//! - [`envoy`]: the Envoy configuration templates (`tests/envoy/`) and their filler.
//! - [`shapes`]: collection requests of every format, normal and adversarial.
//! - [`pipeline_inputs`]: the benchmark's GA4 hits, sent as a browser sends them.
//!
//! The counting allocator stays its own crate (`tests/support/thread-alloc`): implementing
//! `GlobalAlloc` takes `unsafe`, which stays confined to that one small crate.

pub mod envoy;
pub mod pipeline_inputs;
pub mod shapes;
