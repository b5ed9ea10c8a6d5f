//! The runtime: every decision the proxy-wasm glue used to make, written against a small
//! [`Host`] trait so that it runs (and is unit-tested) without Envoy. It decides held vs
//! optimistic delivery, sends and answers held batches, runs the root's timer (armed while there
//! is work, retimed to a held batch's due time, stopped when idle) and its wake queue (one
//! wake-up at a time), releases requests whose body never came, tracks the root's callouts, and
//! drives shutdown (Running → Draining → Done). `glue` implements [`Host`] with hostcalls and
//! forwards each proxy-wasm callback here; tests use a fake host with a settable clock.
//!
//! `root` holds a root context's state and callbacks, `request` one HTTP context's, `shared`
//! what they share (config, delivery, timer, wake queue, body watch), `held` held batching,
//! `bigquery` BigQuery logging's callouts, and `answer` reads a callout's answer.

mod answer;
mod bigquery;
mod held;
pub mod host;
pub mod request;
pub mod root;
pub mod shared;

pub use host::Host;
pub use request::{Flow, Request};
pub use root::Root;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;
