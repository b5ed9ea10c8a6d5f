//! Reading a callout's answer, inside the callback that delivers it, into what the core
//! expects: [`CallResult`] for API calls, [`InsertResult`] for BigQuery callouts.

use super::host::Host;
use crate::delivery::retry::CallResult;
use crate::observe::bigquery::batch::InsertResult;

/// Largest callout response body read (for logs only).
const MAX_RESPONSE_BODY: usize = 4096;
/// Response headers kept for the Response record (the record keeps fewer still).
const MAX_RESPONSE_HEADERS: usize = 64;

/// The API call's answer as the core sees it; `num_headers == 0` is a reset or timeout.
pub fn call_result(host: &impl Host, num_headers: usize, body_size: usize) -> CallResult {
    if num_headers == 0 {
        return CallResult::Reset;
    }
    let headers = host.answer_headers();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    let Some(status) = header(":status").and_then(|s| s.trim().parse::<u16>().ok()) else {
        return CallResult::Reset;
    };
    let body = host.answer_body(body_size.min(MAX_RESPONSE_BODY));
    // Envoy answers for the upstream on timeouts and connection failures with a bare local
    // reply; a real answer passed through the router carries x-envoy-upstream-service-time.
    let from_envoy = status >= 500
        && header("x-envoy-upstream-service-time").is_none()
        && body.starts_with(b"upstream ");
    let logged_headers = headers
        .iter()
        .filter(|(name, _)| !name.starts_with(':'))
        .take(MAX_RESPONSE_HEADERS)
        .map(|(name, value)| (name.clone(), String::from_utf8_lossy(value).into_owned()))
        .collect();
    CallResult::Answered {
        status,
        retry_after: header("retry-after"),
        body,
        from_envoy,
        headers: logged_headers,
    }
}

/// Status and (bounded) body of a BigQuery callout's answer. Envoy's own local replies for
/// resets and timeouts (5xx without an upstream) are retried like any 5xx, so they need no
/// special case here.
pub fn insert_result(
    host: &impl Host,
    num_headers: usize,
    body_size: usize,
    max_body: usize,
) -> InsertResult {
    if num_headers == 0 {
        return InsertResult::NoAnswer;
    }
    // Bytes, not a string: a value that is not UTF-8 is no status.
    let status = host
        .answer_header(":status")
        .and_then(|s| std::str::from_utf8(&s).ok()?.trim().parse::<u16>().ok());
    let Some(status) = status else {
        return InsertResult::NoAnswer;
    };
    let body = host.answer_body(body_size.min(max_body));
    InsertResult::Answered { status, body }
}
