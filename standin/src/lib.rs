//! # capi-standin: a loopback stand-in for the OpenAI Ads Conversions API
//!
//! [`Standin`] is a small HTTP/1.1 server (on `127.0.0.1` unless told otherwise) that plays
//! `POST /v1/events?pid=<pixel id>` of the Conversions API (`bzr.openai.com`). It exists so the
//! filter's tests, `make run` and benchmarks never depend on an outside service, and it is
//! **deliberately as strict as the real API** (stricter where the docs leave room): a permissive
//! mock would hide our bugs.
//!
//! Every request is read completely (Content-Length or chunked; keep-alive, several requests per
//! connection; `Connection: close` honoured), validated, recorded ([`RecordedRequest`]) and
//! answered:
//!
//! * valid → `200` with body `{}`; an event whose pixel + event name + `id` was already stored
//!   is dropped silently, as the API does ("first event wins"), and listed in
//!   [`RecordedRequest::duplicates`];
//! * invalid → `400` with `{"error":{"message":"<path>: <what is wrong>; ..."}}`, every
//!   violation naming its field path, e.g.
//!   `events[0].user.emails_sha256[0]: must be lowercase 64-char hex`;
//! * wrong method → `405`, wrong path → `404`, wrong `Authorization` → `401`
//!   `Missing or invalid Authorization` (precedence in that order).
//!
//! [`Faults`] replace the answer (validation still runs and is recorded): a fixed status, failing
//! the first N requests, a delay, `Retry-After`, a TCP reset (RST, via `SO_LINGER=0`) and a
//! non-JSON 200 body; or they hold each answer until the test releases it
//! ([`Standin::release_answers`]). With [`StandinConfig::verbose`] each request is printed with the key
//! masked, the JSON pretty-printed, and the verdict.
//!
//! ## Rules enforced (v4 schema, Sept 2026, from OpenAI's Conversions API reference)
//!
//! * Request: method `POST`; path = [`StandinConfig::path`]; query `pid` present once and equal
//!   to the pixel id; `Authorization` exactly `Bearer <api key>`; `Content-Type`
//!   `application/json…`; body a JSON object.
//! * Top level: only `validate_only` (bool), `integration_source` (trimmed + lowercased: 1–64
//!   of `[a-z0-9._-]`, alphanumeric first) and `events` (required array of 1–1,000).
//! * Event: only `id` (required, non-empty string), `type` (required, one of the 13 types),
//!   `custom_event_name` (required iff `type` = `custom`; 1–64 of `[A-Za-z0-9_-]`, alphanumeric
//!   ends, not a type name once lowercased), `timestamp_ms` (required integer within
//!   [now − 7 days, now + 10 min] of the server clock at receipt), `action_source` (required,
//!   one of 7; `mobile_app` for `app_installed`/`app_opened`), `source_url` (required for `web`;
//!   absolute `http`/`https` URL with a host), `oppref` (non-empty string), `opt_out` (bool),
//!   `user` (object), `data` (required object). Anything else (including `oppcref`) is rejected.
//! * `user`: only the v4 plural fields. Hash lists (`emails_sha256`, `phone_numbers_sha256`,
//!   `external_ids_sha256`, `first_names_sha256`, `last_names_sha256`): non-empty arrays of
//!   lowercase 64-char hex. `countries`: `[A-Z]{2}`; `cities`/`regions`: non-blank, ≤ 128 chars;
//!   `postal_codes`: 1–32 of letters, digits, spaces, hyphens; `obref`, `user_agent`: non-blank;
//!   `ip_address`: IPv4/IPv6; `android_advertising_id`: UUID. Empty arrays, an empty `user`
//!   object and legacy singular fields (`email_sha256`, `city`, `zip_code`, …) are rejected.
//! * `data`: `type` must be the event type's shape (`contents`, `customer_action`,
//!   `plan_enrollment`, `custom`); `amount` a JSON integer; `currency` an active uppercase
//!   ISO 4217 code ([`validate::ISO_4217`]), required with `amount`; no `contents` on
//!   `customer_action`; `plan_id` (string) only on `plan_enrollment` and `custom`; other keys
//!   only on `custom`. Content items: only `id`, `name`,
//!   `content_type` (required, non-empty), `quantity` (integer), `amount` (integer, needs a
//!   currency on the item or on `data`), `currency`, `group_id`, `variant_dict` (string →
//!   string); no empty `contents` array.
//!
//! [`Upstream`] is a plain recorder for "collection request routed to an upstream" tests: it
//! answers every request `200 ok` after reading it fully, without validation.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod dedup;
mod google;
mod http;
mod server;
pub mod validate;

pub use google::{GoogleConfig, TableRow, METADATA_TOKEN_PATH, OAUTH_TOKEN_PATH};
pub use server::{GoogleStandin, Standin, Upstream};
use std::net::{IpAddr, Ipv4Addr};
pub use validate::{check_request, validate_body, Verdict};

/// Configuration of a [`Standin`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandinConfig {
    /// The Conversions API key; requests must carry `Authorization: Bearer <api_key>`.
    pub api_key: String,
    /// The pixel id; requests must carry `?pid=<pixel_id>`.
    pub pixel_id: String,
    /// The endpoint path, `/v1/events` by default.
    pub path: String,
    /// Print each request and its verdict to stdout.
    pub verbose: bool,
    /// Address to listen on: loopback by default; `0.0.0.0` in a container, so another
    /// container (Envoy in docker compose) can reach it.
    pub listen: IpAddr,
    /// Port on `listen`; 0 picks an ephemeral port.
    pub port: u16,
}

impl Default for StandinConfig {
    fn default() -> StandinConfig {
        StandinConfig {
            api_key: "test-api-key".to_owned(),
            pixel_id: "test-pixel".to_owned(),
            path: "/v1/events".to_owned(),
            verbose: false,
            listen: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
        }
    }
}

/// One request as received, with the verdict.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string (still percent-encoded), without `?`.
    pub query: String,
    /// Header names lower-cased, values trimmed, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body parsed as JSON, if it parses.
    pub json: Option<serde_json::Value>,
    /// The status answered; 0 if the connection was reset instead.
    pub answered_status: u16,
    /// Every validation violation (empty = valid), even when a fault decided the answer.
    pub violations: Vec<String>,
    /// Unix milliseconds when the whole request had been read.
    pub received_at_ms: u64,
    /// Ids of the events the API would have dropped as duplicates of an earlier event (same
    /// pixel, event name and id; "first event wins"), in body order. Only for accepted requests.
    pub duplicates: Vec<String>,
}

impl RecordedRequest {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `body.events`, or empty if there is none.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.json
            .as_ref()
            .and_then(|json| json.get("events"))
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default()
    }
}

/// A fault plan (see [`Standin::set_faults`]). Precedence when several are set: `reset`,
/// `status`, `fail_first`, `non_json_body`, then normal validation (`large_body` only pads a
/// valid answer).
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Answer every request with this status (after recording); the body is `{}` for 2xx,
    /// otherwise `{"error":{"message":"injected fault: HTTP <status>"}}`.
    pub status: Option<u16>,
    /// The first N requests (counted since `set_faults`) get this status; later ones are
    /// validated normally.
    pub fail_first: Option<(usize, u16)>,
    /// Sleep this long before answering (after reading and recording the whole request).
    pub delay_ms: u64,
    /// Add `Retry-After: <value>` to fault answers (`status` / `fail_first`).
    pub retry_after: Option<String>,
    /// Reset the connection (RST, not FIN) instead of answering, for the first N requests
    /// (`usize::MAX` = always).
    pub reset: Option<usize>,
    /// Answer 200 with body `<html>not json</html>` and content-type `text/html`.
    pub non_json_body: bool,
    /// Answer a valid request 200 with a JSON body of about this many bytes (`{"padding":"…"}`)
    /// instead of `{}`: an answer larger than any client would read whole. The request is
    /// validated and stored (deduplicated) as usual.
    pub large_body: Option<usize>,
    /// Answer 400 (or `reject_status`) to any request whose body carries an event with this `id`, as the real API
    /// fails a whole batch for one event it refuses. Simulates a rejection the client could
    /// not have predicted, to exercise batch splitting.
    pub reject_event_id: Option<String>,
    /// The status of a `reject_event_id` answer; `None` means 400. The API's 4xx codes are
    /// undocumented, so the filter must split on others too (413, 422).
    pub reject_status: Option<u16>,
    /// Hold every answer (after reading and recording the request) until the test lets it go
    /// with `release_answers`, or replaces the plan by one that does not hold. Tests prove
    /// "answered before the API answered" or "waited for the API's answer" by this ordering
    /// instead of by a delay and a clock, so a loaded machine cannot fail them.
    pub hold_answers: bool,
}

#[cfg(test)]
mod tests;
