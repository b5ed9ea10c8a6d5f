//! Delivery semantics (batching, retries, bounds, shutdown), driven without Envoy.

use super::*;
use crate::observe::metrics::MemoryMetrics;
use crate::payload::MatchKey;
use crate::test_support::{bigquery_inserts_of, config};
use serde_json::json;

const NOW: u64 = 1_800_000_000_000;

fn event(id: &str, ts: u64) -> EncodedEvent {
    EncodedEvent {
        id: id.into(),
        name: "page_viewed".into(),
        timestamp_ms: ts,
        json: format!(r#"{{"id":"{id}"}}"#),
        match_keys: MatchKeys::NONE,
    }
}

fn status(code: u16) -> CallResult {
    CallResult::Answered {
        status: code,
        retry_after: None,
        body: b"{}".to_vec(),
        from_envoy: false,
        headers: Vec::new(),
    }
}

fn ids(d: &Dispatch) -> Vec<String> {
    d.call.events.iter().map(|e| e.id.clone()).collect()
}

#[test]
fn api_path_url_encodes_the_pixel_id() {
    let c = config(json!({"pixel_id": "px 1"}));
    assert_eq!(api_path(&c), "/v1/events?pid=px+1");
    assert_eq!(
        Settings::from_config(&c).url,
        "https://bzr.openai.com/v1/events?pid=px+1"
    );
}

#[test]
fn a_delivered_call_counts_its_events() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(json!({})));
    let dispatch = d
        .prepare(
            Call::new(vec![event("a", NOW), event("b", NOW)], None),
            NOW,
            &m,
        )
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&dispatch.body).unwrap();
    assert_eq!(
        body,
        json!({"validate_only": false, "events": [{"id": "a"}, {"id": "b"}]})
    );
    d.complete(dispatch, status(200), Some(12), NOW, &mut || 0.5, &m);
    assert_eq!(m.counter(Counter::EventsSent), 2);
    assert_eq!(m.counter(Counter::ApiRequests), 1);
    assert_eq!(m.counter(Counter::ApiResponses2xx), 1);
    assert_eq!(m.samples(Histogram::ApiLatencyMs), vec![12]);
    assert!(d.is_idle());
}

fn with_keys(id: &str, keys: &[MatchKey]) -> EncodedEvent {
    EncodedEvent {
        match_keys: keys.iter().fold(MatchKeys::NONE, |k, key| k.with(*key)),
        ..event(id, NOW)
    }
}

fn sent_with(m: &MemoryMetrics, key: MatchKey) -> u64 {
    m.counter(Counter::sent_with(key))
}

#[test]
fn sent_events_count_each_match_key_once() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(json!({})));
    let events = vec![
        with_keys("a", &[MatchKey::Email, MatchKey::IpAddress]),
        with_keys("b", &[MatchKey::IpAddress, MatchKey::BrowserId]),
        with_keys("c", &[]),
    ];
    let dispatch = d.prepare(Call::new(events, None), NOW, &m).unwrap();
    d.complete(dispatch, status(200), Some(1), NOW, &mut || 0.0, &m);
    assert_eq!(m.counter(Counter::EventsSent), 3);
    assert_eq!(sent_with(&m, MatchKey::Email), 1);
    assert_eq!(sent_with(&m, MatchKey::IpAddress), 2);
    assert_eq!(sent_with(&m, MatchKey::BrowserId), 1);
    assert_eq!(m.family_total("events_sent_match_keys"), 4);
}

#[test]
fn match_keys_count_only_when_the_api_accepts_the_event() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(json!({})));
    let events = vec![
        with_keys("a", &[MatchKey::Email]),
        with_keys("bad", &[MatchKey::Phone]),
    ];
    let first = d.prepare(Call::new(events, None), NOW, &m).unwrap();
    d.complete(first, status(503), Some(1), NOW, &mut || 0.0, &m);
    assert_eq!(
        m.family_total("events_sent_match_keys"),
        0,
        "a failed attempt"
    );
    // The retry is refused for one event: the split isolates it, the other half is accepted.
    let mut pending = d.take_due(NOW + 60_000, &m);
    while let Some(dispatch) = pending.pop() {
        let result = if ids(&dispatch).contains(&"bad".to_owned()) {
            status(400)
        } else {
            status(200)
        };
        d.complete(dispatch, result, Some(1), NOW, &mut || 0.0, &m);
        pending.extend(d.take_due(NOW + 60_000, &m));
    }
    assert_eq!(m.counter(Counter::EventsSent), 1);
    assert_eq!(sent_with(&m, MatchKey::Email), 1);
    assert_eq!(sent_with(&m, MatchKey::Phone), 0, "rejected");
}

#[test]
fn transient_failures_are_retried_with_the_identical_body_until_the_attempt_cap() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(
        json!({"api": {"retry": {"max_attempts": 3, "initial_backoff_ms": 100, "max_backoff_ms": 1000}}}),
    ));
    let first = d
        .prepare(Call::new(vec![event("a", NOW)], None), NOW, &m)
        .unwrap();
    let original_body = first.body.clone();
    d.complete(first, status(503), Some(5), NOW, &mut || 0.0, &m);
    assert_eq!(
        d.next_due_ms(),
        Some(NOW + 50),
        "first retry after half of initial backoff (jitter 0)"
    );
    assert!(d.take_due(NOW + 49, &m).is_empty());
    let second = d.take_due(NOW + 50, &m).pop().unwrap();
    assert_eq!(
        second.body, original_body,
        "retries send the identical body"
    );
    d.complete(second, CallResult::Reset, None, NOW + 50, &mut || 0.0, &m);
    let third = d.take_due(NOW + 150, &m).pop().unwrap();
    assert_eq!(third.call.attempts, 2);
    d.complete(third, status(500), Some(1), NOW + 150, &mut || 0.0, &m);
    assert!(d.is_idle(), "three attempts in all");
    assert_eq!(m.counter(Counter::EventsFailed), 1);
    assert_eq!(m.counter(Counter::ApiRetries), 2);
    assert_eq!(m.counter(Counter::ApiResponses5xx), 2);
    assert_eq!(m.counter(Counter::ApiErrors), 1);
    assert_eq!(m.gauge(Gauge::RetryQueueDepth), 0);
}

#[test]
fn retry_after_delays_the_retry() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(json!({})));
    let first = d
        .prepare(Call::new(vec![event("a", NOW)], None), NOW, &m)
        .unwrap();
    let r = CallResult::Answered {
        status: 429,
        retry_after: Some("2".into()),
        body: vec![],
        from_envoy: false,
        headers: Vec::new(),
    };
    d.complete(first, r, Some(1), NOW, &mut || 0.0, &m);
    assert_eq!(d.next_due_ms(), Some(NOW + 2000));
    assert_eq!(m.counter(Counter::ApiResponses4xx), 1);
}

#[test]
fn a_final_4xx_is_not_retried() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(json!({})));
    let first = d
        .prepare(Call::new(vec![event("a", NOW)], None), NOW, &m)
        .unwrap();
    d.complete(first, status(401), Some(1), NOW, &mut || 0.0, &m);
    assert!(d.is_idle());
    assert_eq!(m.counter(Counter::EventsFailed), 1);
    assert_eq!(m.counter(Counter::ApiRetries), 0);
}

#[test]
fn a_400_on_a_batch_is_split_until_the_bad_event_is_isolated() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(json!({})));
    let events: Vec<_> = ["a", "b", "bad", "c", "d"]
        .iter()
        .map(|id| event(id, NOW))
        .collect();
    let mut pending = vec![d.prepare(Call::new(events, None), NOW, &m).unwrap()];
    let mut calls = 0;
    while let Some(dispatch) = pending.pop() {
        calls += 1;
        let result = if ids(&dispatch).contains(&"bad".to_owned()) {
            status(400)
        } else {
            status(200)
        };
        d.complete(dispatch, result, Some(1), NOW, &mut || 0.0, &m);
        pending.extend(d.take_due(NOW, &m));
    }
    assert_eq!(m.counter(Counter::EventsSent), 4);
    assert_eq!(m.counter(Counter::EventsFailed), 1);
    assert!(calls <= 7, "log2 splitting, got {calls} calls");
    assert_eq!(m.counter(Counter::ApiRetries), 0, "splits are not retries");
}

#[test]
fn events_past_the_window_at_retry_time_are_dropped_not_sent_stale() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(
        json!({"api": {"retry": {"initial_backoff_ms": 60000, "max_backoff_ms": 60000}}}),
    ));
    use crate::tag::validate::{MAX_AGE_MS, WINDOW_MARGIN_MS};
    let old = NOW - MAX_AGE_MS + WINDOW_MARGIN_MS + 10_000;
    let first = d
        .prepare(
            Call::new(vec![event("old", old), event("fresh", NOW)], None),
            NOW,
            &m,
        )
        .unwrap();
    d.complete(first, status(503), Some(1), NOW, &mut || 1.0, &m);
    let retry = d.take_due(NOW + 60_000, &m).pop().unwrap();
    assert_eq!(ids(&retry), ["fresh"]);
    assert_eq!(m.counter(Counter::EventsFailed), 1);
}

#[test]
fn a_full_queue_drops_the_oldest_call_and_counts_its_events() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(
        json!({"api": {"retry": {"max_queued_events": 1000}}}),
    ));
    for id in ["a", "b", "c"] {
        let events = (0..400).map(|i| event(&format!("{id}{i}"), NOW)).collect();
        let dispatch = d.prepare(Call::new(events, None), NOW, &m).unwrap();
        d.complete(dispatch, status(503), Some(1), NOW, &mut || 0.0, &m);
    }
    assert_eq!(m.counter(Counter::RetryQueueDropped), 1);
    assert_eq!(m.counter(Counter::EventsFailed), 400);
    assert_eq!(m.gauge(Gauge::RetryQueueDepth), 2);
    assert_eq!(d.pending_events(), 800);
}

#[test]
fn the_queue_is_bounded_by_bytes_too() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(
        json!({"api": {"retry": {"max_queued_bytes": 1_048_576}}}),
    ));
    // 300 events of ~1 KB per call: the fourth call no longer fits in 1 MiB.
    for id in ["a", "b", "c", "d"] {
        let events = (0..300)
            .map(|i| EncodedEvent {
                json: "x".repeat(1000),
                ..event(&format!("{id}{i}"), NOW)
            })
            .collect();
        let dispatch = d.prepare(Call::new(events, None), NOW, &m).unwrap();
        d.complete(dispatch, status(503), Some(1), NOW, &mut || 0.0, &m);
    }
    assert_eq!(m.counter(Counter::RetryQueueDropped), 1);
    assert_eq!(m.counter(Counter::EventsFailed), 300);
    assert_eq!(d.pending_events(), 900);
}

/// Drives delivery like the root's timer does, answering every call with `answer(now)`.
fn run_until(
    d: &mut Delivery,
    m: &MemoryMetrics,
    from: u64,
    until: u64,
    answer: &dyn Fn(u64) -> CallResult,
    max_queued: &mut usize,
) {
    let mut now = from;
    while now <= until {
        for dispatch in d.take_due(now, m) {
            d.complete(dispatch, answer(now), Some(5), now, &mut || 0.5, m);
        }
        *max_queued = (*max_queued).max(d.pending_events());
        now += 20;
    }
}

#[test]
fn with_defaults_a_sixty_second_outage_loses_nothing() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(json!({"optimistic": true})));
    let mut max_queued = 0;
    // 5,000 hits spread over the first 50 s of a 60 s outage.
    for i in 0..5000u64 {
        let now = NOW + i * 10;
        d.enqueue(vec![event(&format!("e{i}"), now)], None, now, &m);
        run_until(&mut d, &m, now, now, &|_| status(503), &mut max_queued);
    }
    let outage_end = NOW + 60_000;
    let answer = move |t: u64| {
        if t < outage_end {
            status(503)
        } else {
            status(200)
        }
    };
    run_until(
        &mut d,
        &m,
        NOW + 50_000,
        NOW + 200_000,
        &answer,
        &mut max_queued,
    );
    assert_eq!(m.counter(Counter::EventsSent), 5000);
    assert_eq!(m.counter(Counter::EventsFailed), 0);
    assert!(d.is_idle());
    assert!(max_queued <= 5000, "{max_queued}");
}

#[test]
fn retries_stop_at_the_horizon_and_the_loss_is_counted() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(json!({"api": {"retry": {"horizon_ms": 10_000}}})));
    let first = d
        .prepare(Call::new(vec![event("a", NOW)], None), NOW, &m)
        .unwrap();
    d.complete(first, status(503), Some(1), NOW, &mut || 0.5, &m);
    let mut max_queued = 0;
    run_until(
        &mut d,
        &m,
        NOW,
        NOW + 60_000,
        &|_| status(503),
        &mut max_queued,
    );
    assert!(d.is_idle());
    assert_eq!(m.counter(Counter::EventsFailed), 1);
    let attempts = m.counter(Counter::ApiRequests);
    assert!((5..=12).contains(&attempts), "{attempts} attempts in 10 s");
}

#[test]
fn shutdown_sends_the_pending_batch_and_every_retry_at_once() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(
        json!({"optimistic": true, "api": {"batch": {"max_delay_ms": 60000}}}),
    ));
    let first = d
        .prepare(Call::new(vec![event("retry", NOW)], None), NOW, &m)
        .unwrap();
    d.complete(first, status(503), Some(1), NOW, &mut || 0.5, &m);
    d.enqueue(vec![event("batched", NOW)], None, NOW, &m);
    assert!(d.take_due(NOW + 1, &m).is_empty(), "nothing due yet");
    d.begin_shutdown(NOW + 1, &m);
    let all = d.take_due(NOW + 1, &m);
    assert_eq!(
        all.len(),
        1,
        "merged into one call: Envoy may not wait for a second"
    );
    assert_eq!(ids(&all[0]), ["retry", "batched"]);
    assert_eq!(d.pending_events(), 0);
    assert_eq!(m.gauge(Gauge::RetryQueueDepth), 0);
}

#[test]
fn shutdown_merges_pending_calls_up_to_the_api_limit() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(
        json!({"optimistic": true, "api": {"batch": {"max_events": 10}}}),
    ));
    for i in 0..1500 {
        d.enqueue(vec![event(&format!("e{i}"), NOW)], None, NOW, &m);
    }
    d.begin_shutdown(NOW, &m);
    let sizes: Vec<usize> = d
        .take_due(NOW, &m)
        .iter()
        .map(|c| c.call.events.len())
        .collect();
    assert_eq!(sizes, [1000, 500]);
}

#[test]
fn a_transient_failure_during_shutdown_is_lost_and_counted() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(json!({})));
    d.begin_shutdown(NOW, &m);
    let dispatch = d
        .prepare(
            Call::new(vec![event("a", NOW), event("b", NOW)], None),
            NOW,
            &m,
        )
        .unwrap();
    d.complete(dispatch, status(503), Some(1), NOW, &mut || 0.5, &m);
    assert!(d.is_idle(), "not retried: there is no time left");
    assert_eq!(m.counter(Counter::EventsLostOnShutdown), 2);
    assert_eq!(m.counter(Counter::EventsFailed), 2);
    assert_eq!(m.counter(Counter::ApiRetries), 0);
}

#[test]
fn a_split_during_shutdown_still_sends_both_halves() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(json!({})));
    d.begin_shutdown(NOW, &m);
    let dispatch = d
        .prepare(
            Call::new(vec![event("a", NOW), event("b", NOW)], None),
            NOW,
            &m,
        )
        .unwrap();
    d.complete(dispatch, status(400), Some(1), NOW, &mut || 0.5, &m);
    assert_eq!(d.take_due(NOW, &m).len(), 2, "halves are not merged again");
    assert_eq!(m.counter(Counter::EventsLostOnShutdown), 0);
}

#[test]
fn optimistic_batches_flush_by_size_and_delay() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(
        json!({"optimistic": true, "api": {"batch": {"max_events": 3, "max_delay_ms": 100}}}),
    ));
    d.enqueue(vec![event("a", NOW), event("b", NOW)], None, NOW, &m);
    assert_eq!(d.next_due_ms(), Some(NOW + 100));
    d.enqueue(vec![event("c", NOW), event("d", NOW)], None, NOW + 10, &m);
    let full = d.take_due(NOW + 10, &m);
    assert_eq!(full.iter().map(ids).collect::<Vec<_>>(), [["a", "b", "c"]]);
    assert!(d.take_due(NOW + 109, &m).is_empty());
    let late = d.take_due(NOW + 110, &m);
    assert_eq!(late.iter().map(ids).collect::<Vec<_>>(), [["d"]]);
    assert!(d.is_idle());
}

#[test]
fn stape_39_request_url_method_and_headers() {
    let c = Config::from_json(
        br#"{"pixel_id": "my-pixel-id-123", "api_key": "my-api-key-xyz"}"#,
        &|_| None,
    )
    .unwrap();
    assert_eq!(
        api_headers(&c),
        vec![
            (":method", "POST".to_owned()),
            (":path", "/v1/events?pid=my-pixel-id-123".to_owned()),
            (":authority", "bzr.openai.com".to_owned()),
            ("authorization", "Bearer my-api-key-xyz".to_owned()),
            ("content-type", "application/json".to_owned()),
        ]
    );
}

#[test]
fn stape_40_validate_only_in_the_body() {
    for (setting, expected) in [(false, false), (true, true)] {
        let m = MemoryMetrics::default();
        let d = Delivery::new(&config(json!({"validate_only": setting})));
        let dispatch = d
            .prepare(Call::new(vec![event("a", NOW)], None), NOW, &m)
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&dispatch.body).unwrap();
        assert_eq!(body["validate_only"], json!(expected));
    }
    // Stape also accepts the string "true"; our configuration is typed JSON and refuses it.
    assert_eq!(
        Config::from_json(
            br#"{"pixel_id": "p", "api_key": "k", "validate_only": "true"}"#,
            &|_| None
        )
        .unwrap_err()
        .field,
        "validate_only"
    );
}

#[test]
fn stape_41_body_wraps_events_in_an_array() {
    let m = MemoryMetrics::default();
    let d = Delivery::new(&config(json!({})));
    let dispatch = d
        .prepare(Call::new(vec![event("a", NOW)], None), NOW, &m)
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&dispatch.body).unwrap();
    assert_eq!(body["events"].as_array().map(Vec::len), Some(1));
}

#[test]
fn stape_42_optimistic_mode_queues_without_waiting_for_the_api() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(json!({"optimistic": true})));
    d.enqueue(vec![event("a", NOW)], None, NOW, &m);
    assert!(
        !d.is_idle(),
        "the events wait in the batch; the request itself is not held"
    );
    assert_eq!(m.counter(Counter::ApiRequests), 0);
}

#[test]
fn stape_43_any_2xx_is_success() {
    for code in [200, 201, 204, 299] {
        let m = MemoryMetrics::default();
        let mut d = Delivery::new(&config(json!({})));
        let dispatch = d
            .prepare(Call::new(vec![event("a", NOW)], None), NOW, &m)
            .unwrap();
        d.complete(dispatch, status(code), Some(1), NOW, &mut || 0.0, &m);
        assert_eq!(m.counter(Counter::EventsSent), 1, "{code}");
    }
}

#[test]
fn stape_44_failures_are_counted_and_transient_ones_retried() {
    // Stape signals failure for each of these; we additionally retry 500 and 503.
    for (code, retried) in [
        (400, false),
        (401, false),
        (403, false),
        (404, false),
        (500, true),
        (503, true),
    ] {
        let m = MemoryMetrics::default();
        let mut d = Delivery::new(&config(json!({})));
        let dispatch = d
            .prepare(Call::new(vec![event("a", NOW)], None), NOW, &m)
            .unwrap();
        d.complete(dispatch, status(code), Some(1), NOW, &mut || 0.0, &m);
        assert_eq!(m.counter(Counter::EventsSent), 0, "{code}");
        assert_eq!(!d.is_idle(), retried, "{code}");
        assert_eq!(
            m.counter(Counter::EventsFailed),
            u64::from(!retried),
            "{code}"
        );
    }
}

#[test]
fn stape_45_a_network_error_is_a_failed_attempt_that_is_retried() {
    let m = MemoryMetrics::default();
    let mut d = Delivery::new(&config(json!({})));
    let dispatch = d
        .prepare(Call::new(vec![event("a", NOW)], None), NOW, &m)
        .unwrap();
    d.complete(dispatch, CallResult::Reset, None, NOW, &mut || 0.0, &m);
    assert_eq!(m.counter(Counter::ApiErrors), 1);
    assert_eq!(m.counter(Counter::ApiRetries), 1);
}

#[test]
fn split_on_a_422_or_413_isolates_the_bad_event() {
    for code in [422, 413] {
        let m = MemoryMetrics::default();
        let mut d = Delivery::new(&config(json!({})));
        let events: Vec<_> = ["a", "bad", "b"].iter().map(|id| event(id, NOW)).collect();
        let mut pending = vec![d.prepare(Call::new(events, None), NOW, &m).unwrap()];
        while let Some(dispatch) = pending.pop() {
            let bad = ids(&dispatch).contains(&"bad".to_owned());
            let result = status(if bad { code } else { 200 });
            d.complete(dispatch, result, Some(1), NOW, &mut || 0.0, &m);
            pending.extend(d.take_due(NOW, &m));
        }
        assert_eq!(m.counter(Counter::EventsSent), 2, "{code}");
        assert_eq!(m.counter(Counter::EventsFailed), 1, "{code}");
    }
}

#[test]
fn auth_failures_are_final_never_split_and_counted() {
    for code in [401, 403, 404] {
        let m = MemoryMetrics::default();
        let mut d = Delivery::new(&config(json!({})));
        let events = vec![event("a", NOW), event("b", NOW), event("c", NOW)];
        let dispatch = d.prepare(Call::new(events, None), NOW, &m).unwrap();
        d.complete(dispatch, status(code), Some(1), NOW, &mut || 0.0, &m);
        assert!(d.is_idle(), "{code}: not split, not retried");
        assert_eq!(m.counter(Counter::EventsFailed), 3, "{code}");
    }
    // The error line is throttled to one a minute.
    let mut d = Delivery::new(&config(json!({})));
    assert_eq!(d.auth_failures.admit(NOW), Some(0));
    let m = MemoryMetrics::default();
    let dispatch = d
        .prepare(Call::new(vec![event("a", NOW)], None), NOW, &m)
        .unwrap();
    d.complete(dispatch, status(401), Some(1), NOW + 1, &mut || 0.0, &m);
    assert_eq!(
        d.auth_failures.admit(NOW + 60_000),
        Some(1),
        "one held back"
    );
}

/// The console records one call's completion writes, as JSON.
fn records_of(result: CallResult) -> Vec<serde_json::Value> {
    crate::test_support::records_of(|| {
        let m = MemoryMetrics::default();
        let mut d = Delivery::new(&config(json!({"pixel_id": "px-9"})));
        let dispatch = d
            .prepare(
                Call::new(vec![event("a", NOW)], Some("t-1".into())),
                NOW,
                &m,
            )
            .unwrap();
        d.complete(dispatch, result, Some(3), NOW, &mut || 0.0, &m);
    })
}

fn envoy_reply(status: u16, body: &str) -> CallResult {
    CallResult::Answered {
        status,
        retry_after: None,
        body: body.as_bytes().to_vec(),
        from_envoy: true,
        headers: Vec::new(),
    }
}

#[test]
fn request_and_response_records_carry_stapes_name_and_pixel_message() {
    let records = records_of(status(200));
    assert_eq!(records.len(), 2);
    for (record, kind) in records.iter().zip(["Request", "Response"]) {
        assert_eq!(record["Name"], "OpenAIEventsAPITag");
        assert_eq!(record["Type"], kind);
        assert_eq!(record["Message"], "Pixel ID: px-9");
        assert_eq!(record["EventName"], "page_viewed");
        assert_eq!(record["TraceId"], "t-1");
    }
    assert_eq!(records[1]["ResponseStatusCode"], 200);
}

#[test]
fn a_call_without_an_answer_is_stapes_request_failed_or_timed_out_record() {
    let failed = "Request failed or timed out. Pixel ID: px-9";
    let reset = records_of(CallResult::Reset);
    assert_eq!(
        reset[1],
        json!({"Name": "OpenAIEventsAPITag", "Type": "Message", "EventName": "page_viewed",
               "Message": failed, "Reason": r#"{"error":"connection reset or refused"}"#,
               "TraceId": "t-1"})
    );
    let timeout = records_of(envoy_reply(504, "upstream request timeout"));
    assert_eq!(timeout[1]["Type"], "Message");
    assert_eq!(timeout[1]["Message"], failed);
    assert_eq!(timeout[1]["Reason"], r#"{"error":"timeout"}"#);
    let refused = records_of(envoy_reply(
        503,
        "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
    ));
    let reason: serde_json::Value =
        serde_json::from_str(refused[1]["Reason"].as_str().unwrap()).unwrap();
    assert_eq!(reason["error"], "connection reset or refused");
    assert!(reason["envoy_reply"]
        .as_str()
        .unwrap()
        .ends_with("reset reason: connection failure"));
}

#[test]
fn an_api_error_answer_is_a_response_record_not_a_network_failure() {
    let records = records_of(status(503));
    assert_eq!(records[1]["Type"], "Response");
    assert_eq!(records[1]["ResponseStatusCode"], 503);
    assert_eq!(records[1]["Message"], "Pixel ID: px-9");
}

#[test]
fn delivery_records_become_rows_even_with_console_logging_off() {
    use crate::delivery::retry::CallResult;
    use crate::payload::MatchKeys;
    let inserts = bigquery_inserts_of(NOW, || {
        let c = config(serde_json::json!({"logging": {"console": "off"}}));
        let m = MemoryMetrics::default();
        let mut d = Delivery::new(&c);
        let event = EncodedEvent {
            id: "e1".into(),
            name: "order_created".into(),
            timestamp_ms: NOW,
            json: r#"{"id":"e1"}"#.into(),
            match_keys: MatchKeys::NONE,
        };
        let dispatch = d.prepare(Call::new(vec![event], None), NOW, &m).unwrap();
        let answer = CallResult::Answered {
            status: 200,
            retry_after: None,
            body: b"{}".to_vec(),
            from_envoy: false,
            headers: vec![("content-type".into(), "application/json".into())],
        };
        d.complete(dispatch, answer, Some(3), NOW, &mut || 0.0, &m);
    });

    let insert = &inserts[0];
    let body: serde_json::Value = serde_json::from_slice(&insert.body).unwrap();
    let rows = body["rows"].as_array().unwrap();
    let kinds: Vec<&str> = rows
        .iter()
        .map(|r| r["json"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Request", "Response"]);
    assert_eq!(rows[0]["json"]["event_name"], "order_created");
    assert_eq!(rows[1]["json"]["response_status_code"], 200);
    // JSON-valued columns hold JSON text, as Stape stored them.
    assert_eq!(
        rows[1]["json"]["response_headers"],
        r#"{"content-type":"application/json"}"#
    );
}
