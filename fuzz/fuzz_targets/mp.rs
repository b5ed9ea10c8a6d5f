//! Measurement Protocol: the input is the JSON body of `POST /mp/collect`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::config::Format;
use openai_capi_filter_fuzz::{collect_within_bound, facts};

fuzz_target!(|data: &[u8]| {
    let path = b"/mp/collect?measurement_id=G-FUZZ&api_secret=SECRET";
    if let Some(request) = facts("POST", path, Some("application/json")) {
        collect_within_bound(Format::Mp, &request, data);
    }
});
