//! GA4 GET hits: the input is the query of `/g/collect?…`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::config::Format;
use openai_capi_filter_fuzz::{collect_within_bound, facts};

fuzz_target!(|data: &[u8]| {
    let path = [b"/g/collect?".as_slice(), data].concat();
    if let Some(request) = facts("GET", &path, None) {
        collect_within_bound(Format::Ga4, &request, b"");
    }
});
