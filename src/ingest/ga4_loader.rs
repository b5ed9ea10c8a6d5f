//! GA4 hits behind Stape's custom loader (Stape's "custom loader" option): the hit is sent to a
//! random path with a single random-named query parameter whose value is the base64 of the
//! original `/g/collect?<query>`. This module finds that parameter (standard or URL-safe base64,
//! padded or not, percent-encoded or not), recovers the GA4 query and hands it, with the body, to
//! the GA4 parser.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;

use super::{form, ga4, Intake, Limits};
use crate::request::RequestFacts;

const COLLECT_PATH: &str = "/g/collect";

pub(super) fn ingest(request: &RequestFacts, body: &[u8], limits: &Limits, out: &mut Intake<'_>) {
    match collect_query(&request.query) {
        Some(query) => ga4::ingest(request, &query, body, limits, out),
        None => out.reject(format!(
            "no query parameter decodes to a {COLLECT_PATH} request"
        )),
    }
}

/// The GA4 query inside the first parameter whose value decodes to `/g/collect[?…]`.
fn collect_query(query: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|segment| segment.split_once('=').map(|(_, value)| value))
        .filter(|value| !value.is_empty())
        .find_map(decode_collect_path)
}

fn decode_collect_path(value: &str) -> Option<String> {
    // `+` is a base64 digit here, not a space.
    let unescaped = form::decode(value.as_bytes(), false).ok()?;
    let bytes = decode_base64(&unescaped)?;
    let text = String::from_utf8(bytes).ok()?;
    let rest = text.strip_prefix(COLLECT_PATH)?;
    if rest.is_empty() {
        return Some(String::new());
    }
    rest.strip_prefix('?').map(str::to_owned)
}

/// Standard or URL-safe base64, with or without padding. A space stands for a `+` that some
/// hop decoded as form encoding.
pub(super) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let normalized: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            ' ' => '+',
            c => c,
        })
        .collect();
    STANDARD_NO_PAD.decode(normalized).ok()
}

#[cfg(test)]
mod tests;
