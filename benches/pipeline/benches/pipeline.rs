//! The core pipeline per event, natively: parse the collection request, run the tag (map,
//! hash), and serialise the API event — everything the filter does per hit except talking to
//! Envoy. Target (issue 6): ≤ 20 µs for a purchase with 10 items and full user data.

// Benchmark code: a failed unwrap is a broken benchmark.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use openai_capi_filter::collect::collect;
use openai_capi_filter::config::{Config, Format};
use openai_capi_filter::observe::metrics::MemoryMetrics;
use openai_capi_filter::request::RequestFacts;
use std::hint::black_box;

use capi_test_support::pipeline_inputs::{page_view, purchase_10_items, request, NOW};

fn bench(c: &mut Criterion) {
    let config = Config::from_json(
        br#"{"pixel_id": "2atj5meVpvtJ5kCtqhG3yX", "api_key": "sk-bench"}"#,
        &|_| None,
    )
    .unwrap();
    let metrics = MemoryMetrics::default();
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(1));
    for (name, path) in [
        ("page_view", page_view()),
        ("purchase_10_items_full_user_data", purchase_10_items()),
    ] {
        let req = request(&path);
        // Sanity: exactly one event comes out, or the benchmark measures nothing useful.
        assert_eq!(
            collect(
                &config,
                Format::Ga4,
                &req,
                b"",
                NOW,
                &mut || [7; 16],
                &metrics
            )
            .events
            .len(),
            1,
            "{name}"
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                collect(
                    black_box(&config),
                    Format::Ga4,
                    black_box(&req),
                    b"",
                    NOW,
                    &mut || [7; 16],
                    &metrics,
                )
            })
        });
        // The same including RequestFacts from raw header bytes, as the glue does per hit.
        let pairs: Vec<(String, Vec<u8>)> = vec![
            (":method".into(), b"GET".to_vec()),
            (":path".into(), path.clone().into_bytes()),
        ];
        group.bench_function(format!("{name}+request_facts"), |b| {
            b.iter(|| {
                let req = RequestFacts::from_headers(black_box(&pairs), Some(b"203.0.113.7:52311"))
                    .unwrap();
                collect(
                    &config,
                    Format::Ga4,
                    &req,
                    b"",
                    NOW,
                    &mut || [7; 16],
                    &metrics,
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
