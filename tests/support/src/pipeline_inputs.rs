//! Inputs shared by the pipeline benchmark and the instruction-count example: a GA4 page_view,
//! a GA4 purchase with 10 items, enhanced-conversion hashes and plain user data, and a batched
//! POST of 5 events, as a browser sends them through a first-party collection host.

#![allow(clippy::unwrap_used)]

use openai_capi_filter::request::RequestFacts;

pub const NOW: u64 = 1_800_000_000_000;

pub fn request(path: &str) -> RequestFacts {
    request_with(path, "GET")
}

pub fn request_with(path: &str, method: &str) -> RequestFacts {
    let pairs: Vec<(String, Vec<u8>)> = [
        (":method", method),
        (":path", path),
        (":authority", "sgtm.shop.example.com"),
        ("user-agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"),
        ("referer", "https://shop.example.com/checkout"),
        ("cookie", "_ga=GA1.1.1234567890.1700000000; __oppref=gAAAAABnXz-clickref_0123456789abcdef==; __obref=0b6e1c1e-8a3d-4f9e-9d51-2f1a7c6b9e10"),
        ("accept-language", "en-US,en;q=0.9"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
    .collect();
    RequestFacts::from_headers(&pairs, Some(b"203.0.113.7:52311")).unwrap()
}

pub fn page_view() -> String {
    "/g/collect?v=2&tid=G-SHOP123&gtm=45je5580h2&_p=1700000000123&gcs=G111&gcd=13t3t3t3t5l1&cid=1234567890.1700000000\
     &ul=en-us&sr=1512x982&_s=1&sid=1700000000&sct=3&seg=1&dl=https%3A%2F%2Fshop.example.com%2Fproducts%2Ftee%3Futm_source%3Dchatgpt\
     &dr=https%3A%2F%2Fchatgpt.com%2F&dt=Tee%20%E2%80%93%20Shop&en=page_view&_ee=1&tfd=1234"
        .to_owned()
}

pub fn purchase_10_items() -> String {
    let items: String = (1..=10)
        .map(|i| format!("&pr{i}=idSKU-{i:04}~nmProduct%20number%20{i}~brAcme~caApparel~c2Tees~vaBlue~pr{i}9.99~qt{}", i % 3 + 1))
        .collect();
    format!(
        "/g/collect?v=2&tid=G-SHOP123&_p=1700000000123&gcs=G111&gcd=13t3t3t3t5l1&cid=1234567890.1700000000&uid=CUST-000123\
         &_s=7&dl=https%3A%2F%2Fshop.example.com%2Fcheckout%2Fthank-you&en=purchase&cu=EUR&ep.transaction_id=T-100045\
         &epn.value=289.70&epn.tax=46.25&em=tv.1~em.huC55WwXzE0SOH4ZSbhQU_vnO8POWhGIcTqdMAzGEz0~pn.dY-_aJRfIcQWgUxTmrV4dnyNmPtp5tppLe-SzVJBf-A\
         ~fn0.gfj23eiDZfOSh5bseqU_coIGsG-GZPX-HnGjbhNFRqI~ln0.eZ75KRGvkY4-t0HC1EHUs1aPG-2qHBIpq6CeNLk6lF4~ct0.berlin~pc0.10115~co0.DE\
         &ep.user_data.email_address=Jane.Doe%40Example.com&ep.user_data.phone_number=%2B49%2030%201234567{items}"
    )
}

/// A batched GA4 POST: shared parameters in the query, five events in the body (as gtag sends
/// a page's queued events), the same hit `make bench` uses.
pub fn batch_of_five() -> (String, &'static [u8]) {
    (
        "/g/collect?v=2&tid=G-SHOP123&gtm=45je5580h2&gcs=G111&gcd=13t3t3t3t5l1&cid=1234567890.1700000000\
         &ul=en-us&sr=1512x982&sid=1700000000&sct=3&seg=1&_p=1700000000123\
         &dl=https%3A%2F%2Fshop.example.com%2Fproducts%2Ftee%3Futm_source%3Dchatgpt"
            .to_owned(),
        b"en=page_view&_s=1&_ee=1\n\
          en=scroll&_s=2&epn.percent_scrolled=90&_et=4000\n\
          en=view_item&_s=3&cu=EUR&epn.value=19.99&pr1=idSKU_1~nmTee~pr19.99~qt1\n\
          en=add_to_cart&_s=4&cu=EUR&epn.value=19.99&pr1=idSKU_1~nmTee~pr19.99~qt1\n\
          en=begin_checkout&_s=5&cu=EUR&epn.value=19.99&pr1=idSKU_1~nmTee~pr19.99~qt1",
    )
}

/// The GA4 purchase `make bench` sends: 2 items and an `em` enhanced-conversion parameter (the
/// case the per-event instruction target is set for).
pub fn purchase_2_items_em() -> String {
    "/g/collect?v=2&tid=G-BENCH1&gtm=45je5580h2&gcs=G111&gcd=13t3t3t3t5l1&cid=1234567890.1700000000&ul=en-us\
     &sr=1512x982&sid=1700000000&sct=3&seg=1&_p=1700000000123&_s=7&dl=https%3A%2F%2Fshop.example.com%2Fcheckout%2Fthank-you\
     &en=purchase&cu=EUR&ep.transaction_id=T-100045&epn.value=59.97\
     &pr1=idSKU_1~nmTee~brAcme~caApparel~pr19.99~qt2&pr2=idSKU_2~nmCap~brAcme~caHats~pr19.99~qt1\
     &em=tv.1~em.huC55WwXzE0SOH4ZSbhQU_vnO8POWhGIcTqdMAzGEz0~pn.dY-_aJRfIcQWgUxTmrV4dnyNmPtp5tppLe-SzVJBf-A~co0.DE"
        .to_owned()
}

/// Runs the core pipeline `n` times on the input named `which` (`page_view`, `purchase`,
/// `purchase2`, `batch5`) and checks the events each run yields: the loop that callgrind counts
/// natively (`examples/pipeline_instructions`) and V8 profiles as wasm (`benches/core-wasm`).
#[allow(clippy::expect_used, clippy::panic)]
pub fn run_pipeline(which: &str, n: u32) {
    use openai_capi_filter::collect::collect;
    use openai_capi_filter::config::{Config, Format};
    use openai_capi_filter::observe::metrics::MemoryMetrics;
    use std::hint::black_box;

    let (req, body, per_run): (_, &[u8], usize) = match which {
        "page_view" => (request(&page_view()), b"", 1),
        "purchase" => (request(&purchase_10_items()), b"", 1),
        "purchase2" => (request(&purchase_2_items_em()), b"", 1),
        "batch5" => {
            let (path, body) = batch_of_five();
            // Five lines, four events: the `scroll` line is one of GA4's automatic events,
            // which the default trigger skips (counted in `events_skipped{reason="excluded"}`).
            (request_with(&path, "POST"), body, 4)
        }
        other => panic!("unknown input {other:?}: page_view | purchase | purchase2 | batch5"),
    };
    let config = Config::from_json(
        br#"{"pixel_id": "2atj5meVpvtJ5kCtqhG3yX", "api_key": "sk-bench"}"#,
        &|_| None,
    )
    .expect("the benchmark config is valid");
    let metrics = MemoryMetrics::default();
    let mut events = 0;
    for _ in 0..n {
        events += collect(
            black_box(&config),
            Format::Ga4,
            black_box(&req),
            body,
            NOW,
            &mut || [7; 16],
            &metrics,
        )
        .events
        .len();
    }
    assert_eq!(events, n as usize * per_run, "events per run");
}
