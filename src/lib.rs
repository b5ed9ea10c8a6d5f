//! # openai-capi-filter
//!
//! A proxy-wasm HTTP filter for Envoy and Istio that turns website collection requests (GA4
//! hits, Measurement Protocol calls, Data-Client JSON) into OpenAI Ads Conversions API events,
//! sends them server to server, and keeps the `__oppref` / `__obref` cookies alive.
//!
//! The crate is a pure core, host-testable without Envoy, plus a thin proxy-wasm glue layer.
//! Modules follow the data flow:
//!
//! | stage | module | owns |
//! |---|---|---|
//! | model | [`model`] | event types, action source, and the rules config and tag share |
//! | config | [`config`] | the validated plugin configuration |
//! | ingest | [`request`], [`ingest`], [`event`] | request facts, wire formats → event data |
//! | tag logic | [`tag`] | trigger, consent, name, ids, user data, parameters, validation |
//! | payload | [`payload`] | the API's data model and request body |
//! | delivery | [`delivery`] | batching, retry policy, response classification |
//! | response | [`response`] | `Set-Cookie` values and the cookie domain |
//! | observe | [`observe`] | metric names and console log records |
//! | orchestration | [`collect`] | one collection request through all of the above |
//! | runtime | [`runtime`] | the running filter's decisions (timer, held batches, shutdown) |
//!
//! Only `glue` (compiled for `wasm32` alone) talks to Envoy through `proxy-wasm`: its contexts
//! forward each callback to [`runtime`] and implement its `Host` with hostcalls.
//!
//! Imports follow one layering rather than the table (the tag builds payload types and reads
//! cookies), lowest first: `url_path`, `event`, `model`, `request`, `config`, `payload`,
//! `response`, `observe`, `ingest`, `tag`, `delivery`, `collect`, `runtime`, `glue`. A module
//! uses only modules before it, so no two depend on each other; `tests/layering.rs` holds this
//! order and fails on any import against it.

pub mod collect;
pub mod config;
pub mod delivery;
pub mod event;
pub mod ingest;
pub mod model;
pub mod observe;
pub mod payload;
pub mod request;
pub mod response;
pub mod runtime;
pub mod tag;
mod url_path;

#[cfg(test)]
mod test_support;

#[cfg(target_arch = "wasm32")]
mod glue;
