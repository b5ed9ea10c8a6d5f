//! GA4 POST hits (batched): the input's first line is the shared query, the rest the body of
//! one event per line.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::config::Format;
use openai_capi_filter_fuzz::{collect_within_bound, facts, split_line};

fuzz_target!(|data: &[u8]| {
    let (query, body) = split_line(data);
    let path = [b"/g/collect?".as_slice(), query].concat();
    if let Some(request) = facts("POST", &path, Some("text/plain;charset=UTF-8")) {
        collect_within_bound(Format::Ga4, &request, body);
    }
});
