//! The event JSON encoder against serde_json: the encoder writes the API's event text directly
//! and promises exactly what `serde_json::to_string` makes of the `Serialize` derives. Events
//! come from a GA4 hit built from the input (first line: the query), and from a fixed purchase
//! whose text fields are replaced by the input's other lines, so every string the encoder can
//! meet is tried, escapes and all.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::config::Format;
use openai_capi_filter::ingest::{ingest, Limits};
use openai_capi_filter::payload::{ApiEvent, Encoder};
use openai_capi_filter::tag::{self, Outcome, RequestScope};
use openai_capi_filter_fuzz::{config, facts, split_line};

const PURCHASE: &[u8] = b"v=2&cid=1.2&en=purchase&cu=EUR&dl=https%3A%2F%2Fshop.example.com%2F\
    &ep.transaction_id=T-1&epn.value=19.99&uid=u-1&pr1=idSKU~nmTee~pr19.99~qt1~k0size~v0XL";

fn api_events(query: &[u8]) -> Vec<ApiEvent> {
    let Some(request) = facts("GET", &[b"/g/collect?".as_slice(), query].concat(), None) else {
        return Vec::new();
    };
    let mut random = || [3; 16];
    let mut scope = RequestScope::new(
        config(),
        Format::Ga4,
        &request,
        1_800_000_000_000,
        &mut random,
    );
    ingest(Format::Ga4, &request, b"", &Limits::new(10))
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, event)| match tag::process(&mut scope, event, i) {
            Outcome::Ready { event, .. } => Some(*event),
            _ => None,
        })
        .collect()
}

fn same_text(event: &ApiEvent) {
    let reference = serde_json::to_string(event).expect("serde_json encodes every event");
    let encoded = Encoder::default().encode(event.clone()).expect("an event always encodes");
    assert_eq!(encoded.json, reference);
}

fuzz_target!(|data: &[u8]| {
    let (query, rest) = split_line(data);
    for event in api_events(query) {
        same_text(&event);
    }
    let text = String::from_utf8_lossy(rest);
    let mut fields = text.split('\n').map(str::to_owned);
    for mut event in api_events(PURCHASE) {
        let mut field = || fields.next();
        event.id = field().unwrap_or_default();
        event.source_url = field();
        event.oppref = field();
        event.custom_event_name = field();
        event.user.user_agent = field();
        event.user.cities = field().into_iter().collect();
        event.data.currency = field();
        if let Some(contents) = event.data.contents.as_mut() {
            for content in contents {
                content.name = field();
                content.id = field();
            }
        }
        same_text(&event);
    }
});
