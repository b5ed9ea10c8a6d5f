//! Data-Client GET requests: the input is the query of `/data?…` (with `dtcd` / `dtdc`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::config::Format;
use openai_capi_filter_fuzz::{collect_within_bound, facts};

fuzz_target!(|data: &[u8]| {
    let path = [b"/data?".as_slice(), data].concat();
    if let Some(request) = facts("GET", &path, None) {
        collect_within_bound(Format::Data, &request, b"");
    }
});
