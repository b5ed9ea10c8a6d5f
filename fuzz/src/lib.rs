//! What the fuzz targets share: one collection request through the filter's core, with the
//! allocation-amplification check every ingest target applies; and personal values planted in
//! an API request body, which the redaction and BigQuery-row targets must never find in a
//! record built without full bodies.
//!
//! Each ingest target turns its input into a request of one format (the query and the body,
//! with the headers a browser sends) and runs [`collect`] on it under a counting global
//! allocator. A request whose peak allocation exceeds 20 times the bytes the client sent (plus
//! a fixed allowance for the constant cost of any request: one event's tag work, its cookies)
//! fails the target, as a crash does: such a request could grow a worker's wasm memory for good.

use openai_capi_filter::collect::collect;
use openai_capi_filter::config::{Config, Format};
use openai_capi_filter::observe::metrics::MemoryMetrics;
use openai_capi_filter::request::RequestFacts;
use peak_alloc::PeakAlloc;
use std::sync::OnceLock;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// Peak allocation allowed per byte the client sent.
pub const MAX_AMPLIFICATION: usize = 20;
/// Allowed on top, whatever the request's size.
pub const FIXED_ALLOWANCE: usize = 32 * 1024;

/// The most permissive collection config the filter accepts, with every format on an endpoint.
pub fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        Config::from_json(
            br#"{"pixel_id": "2atj5meVpvtJ5kCtqhG3yX", "api_key": "sk-fuzz",
                 "collect": {"max_body_bytes": 1048576, "max_events_per_request": 1000,
                             "endpoints": [{"path": "/g/collect", "format": "ga4"},
                                           {"path": "/l", "format": "ga4_loader"},
                                           {"path": "/mp/collect", "format": "mp"},
                                           {"path": "/data", "format": "data"}]}}"#,
            &|_| None,
        )
        .expect("the fuzz config is valid")
    })
}

/// Request facts as the glue builds them from Envoy's headers.
pub fn facts(method: &str, path: &[u8], content_type: Option<&str>) -> Option<RequestFacts> {
    let mut headers: Vec<(String, Vec<u8>)> = vec![
        (":method".into(), method.as_bytes().to_vec()),
        (":path".into(), path.to_vec()),
        (":authority".into(), b"sgtm.shop.example.com".to_vec()),
        ("user-agent".into(), b"Mozilla/5.0 (fuzz)".to_vec()),
        ("referer".into(), b"https://shop.example.com/".to_vec()),
        (
            "cookie".into(),
            b"__oppref=click-1; __obref=b-1; _dcid=d.1".to_vec(),
        ),
    ];
    if let Some(ct) = content_type {
        headers.push(("content-type".into(), ct.as_bytes().to_vec()));
    }
    RequestFacts::from_headers(&headers, Some(b"203.0.113.7:5555"))
}

/// Runs `collect` and fails (panics, which libFuzzer reports with the input) when its peak
/// allocation breaks the bound, or when it leaves anything allocated behind.
pub fn collect_within_bound(format: Format, request: &RequestFacts, body: &[u8]) {
    let config = config();
    let metrics = MemoryMetrics::default();
    let size = request.size_bytes() + body.len();
    let before = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let collected = collect(
        config,
        format,
        request,
        body,
        1_800_000_000_000,
        &mut || [7; 16],
        &metrics,
    );
    let peak = HEAP.peak_usage().saturating_sub(before);
    drop(collected);
    drop(metrics);
    let left = HEAP.current_usage().saturating_sub(before);
    assert!(
        peak <= MAX_AMPLIFICATION * size + FIXED_ALLOWANCE,
        "peak allocation {peak} B for a request of {size} B ({:.1}x)",
        peak as f64 / size as f64
    );
    assert_eq!(left, 0, "{left} B still allocated after the request");
}

/// The input cut at its first newline: (first line, rest).
pub fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}

/// Personal values planted in an API request body by [`plant_personal_data`]: a log record
/// built without full bodies must show none of them.
pub const PLANTED: [&str; 9] = [
    "198.51.100.77",
    "2001:db8:77:1:2:3:4:5",
    "UA-MARKER-Mozilla",
    "CITY-MARKER",
    "REGION-MARKER",
    "POSTAL-MARKER",
    "QUERY-MARKER",
    "FRAGMENT-MARKER",
    "USERINFO-MARKER",
];

/// `body` with the personal values the redaction must remove set in every event that is an
/// object (its `user` made an object if it is missing): an IPv4 or IPv6 address, the user
/// agent, geo lists, and a source URL with user info, query and fragment. `None` when `body`
/// is not a JSON object with an `events` array, or already holds a planted value (then the
/// check would prove nothing).
pub fn plant_personal_data(body: &[u8]) -> Option<Vec<u8>> {
    if PLANTED
        .iter()
        .any(|m| body.windows(m.len()).any(|w| w == m.as_bytes()))
    {
        return None;
    }
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let events = value.get_mut("events")?.as_array_mut()?;
    for (i, event) in events.iter_mut().enumerate() {
        let Some(event) = event.as_object_mut() else {
            continue;
        };
        event.insert(
            "source_url".into(),
            "https://USERINFO-MARKER@shop.example/p?QUERY-MARKER#FRAGMENT-MARKER".into(),
        );
        let user = event.entry("user").or_insert_with(|| serde_json::json!({}));
        let Some(user) = user.as_object_mut() else {
            continue;
        };
        let ip = if i % 2 == 0 { PLANTED[0] } else { PLANTED[1] };
        user.insert("ip_address".into(), ip.into());
        user.insert("user_agent".into(), "UA-MARKER-Mozilla/5.0".into());
        user.insert("cities".into(), serde_json::json!(["CITY-MARKER"]));
        user.insert("regions".into(), serde_json::json!(["REGION-MARKER"]));
        user.insert("postal_codes".into(), serde_json::json!(["POSTAL-MARKER"]));
    }
    serde_json::to_vec(&value).ok()
}

/// The first planted value `text` shows, if any.
pub fn planted_in(text: &str) -> Option<&'static str> {
    PLANTED.iter().copied().find(|m| text.contains(m))
}
