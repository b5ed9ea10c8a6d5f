//! GA4 hits behind Stape's custom loader: the input's first line is the GA4 query, sent as the
//! base64 of `/g/collect?<query>` in one loader parameter; the rest is the body.
#![no_main]
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::config::Format;
use openai_capi_filter_fuzz::{collect_within_bound, facts, split_line};

fuzz_target!(|data: &[u8]| {
    let (query, body) = split_line(data);
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode([b"/g/collect?".as_slice(), query].concat());
    let path = format!("/l?de5cc8ea={encoded}&richsstsse");
    let method = if body.is_empty() { "GET" } else { "POST" };
    if let Some(request) = facts(method, path.as_bytes(), Some("text/plain")) {
        collect_within_bound(Format::Ga4Loader, &request, body);
    }
});
