//! Data-Client POST requests: the input's first byte picks the body's content type (even: JSON,
//! odd: form), its first line after that is the query, the rest the body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::config::Format;
use openai_capi_filter_fuzz::{collect_within_bound, facts, split_line};

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else {
        return;
    };
    let content_type = if selector % 2 == 0 {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    };
    let (query, body) = split_line(rest);
    let path = [b"/data?".as_slice(), query].concat();
    if let Some(request) = facts("POST", &path, Some(content_type)) {
        collect_within_bound(Format::Data, &request, body);
    }
});
