//! End-to-end tests in real Envoy (built `.wasm` + API stand-in). Run with `make test`; they
//! fail, never skip, when Envoy or the `.wasm` is missing.

mod harness;

mod config_refusal;
mod first_path;
