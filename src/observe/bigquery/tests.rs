use super::*;
use crate::config::Secret;
use crate::observe::console::RecordType;

fn config(token: AccessToken) -> BigQuery {
    BigQuery {
        project_id: "my-project".into(),
        dataset_id: "capi_logs".into(),
        table_id: "events".into(),
        cluster: "bigquery".into(),
        access_token: token,
    }
}

#[test]
fn insert_goes_to_the_insertall_path_with_the_bearer_token() {
    let mut log = BigQueryLog::new(
        &config(AccessToken::Static(Secret::new("lit".into()))),
        "p".into(),
    );
    log.push(&Record::new(RecordType::Request), 0);
    assert!(log.token_fetch(1000).is_none());
    let inserts = log.take_due(1000);
    assert_eq!(inserts.len(), 1);
    let h = &inserts[0].headers;
    assert!(h.contains(&(
        ":path",
        "/bigquery/v2/projects/my-project/datasets/capi_logs/tables/events/insertAll".into()
    )));
    assert!(h.contains(&(":authority", "bigquery.googleapis.com".into())));
    assert!(h.contains(&("authorization", "Bearer lit".into())));
    assert!(h.contains(&(":method", "POST".into())));
}

#[test]
fn no_insert_leaves_before_a_token_is_fetched_and_one_fetch_serves_many_inserts() {
    let mut log = BigQueryLog::new(
        &config(AccessToken::GcpMetadata {
            cluster: "metadata".into(),
        }),
        "p".into(),
    );
    log.push(&Record::new(RecordType::Request), 0);
    // Nothing due yet: no fetch either.
    assert!(log.token_fetch(10).is_none());
    assert!(log.token_fetch(1000).is_some());
    assert!(log.take_due(1000).is_empty());
    log.token_fetched(200, br#"{"access_token":"ya29.x","expires_in":3599}"#, 1000)
        .unwrap();
    let insert = log.take_due(1000).remove(0);
    assert!(insert
        .headers
        .contains(&("authorization", "Bearer ya29.x".into())));
    log.complete(
        insert.batch,
        InsertResult::Answered {
            status: 200,
            body: b"{}".to_vec(),
        },
        1001,
        0.0,
    );
    log.push(&Record::new(RecordType::Response), 1001);
    assert!(log.token_fetch(2001).is_none());
    assert_eq!(log.take_due(2001).len(), 1);
}

#[test]
fn a_401_discards_the_token_and_the_batch_waits_for_a_new_one() {
    let mut log = BigQueryLog::new(
        &config(AccessToken::GcpMetadata {
            cluster: "metadata".into(),
        }),
        "p".into(),
    );
    log.push(&Record::new(RecordType::Request), 0);
    log.token_fetch(1000).unwrap();
    log.token_fetched(200, br#"{"access_token":"old","expires_in":3599}"#, 1000)
        .unwrap();
    let insert = log.take_due(1000).remove(0);
    let outcome = log.complete(
        insert.batch,
        InsertResult::Answered {
            status: 401,
            body: vec![],
        },
        1000,
        0.0,
    );
    assert!(outcome.token_refused);
    assert!(log.take_due(1000).is_empty());
    assert!(log.token_fetch(1000).is_some());
    log.token_fetched(200, br#"{"access_token":"new","expires_in":3599}"#, 1000)
        .unwrap();
    let insert = log.take_due(1000).remove(0);
    assert!(insert
        .headers
        .contains(&("authorization", "Bearer new".into())));
}

fn literal() -> BigQueryLog {
    BigQueryLog::new(
        &config(AccessToken::Static(Secret::new("lit".into()))),
        "p".into(),
    )
}

fn metadata() -> BigQueryLog {
    BigQueryLog::new(
        &config(AccessToken::GcpMetadata {
            cluster: "metadata".into(),
        }),
        "p".into(),
    )
}

fn answered(status: u16, body: &str) -> InsertResult {
    InsertResult::Answered {
        status,
        body: body.as_bytes().to_vec(),
    }
}

const TOKEN: &[u8] = br#"{"access_token":"ya29.x","expires_in":3599}"#;

#[test]
fn shutdown_sends_every_row_at_once_and_waits_for_every_insert() {
    let mut log = literal();
    for _ in 0..3 {
        log.push(&Record::new(RecordType::Request), 0);
    }
    let on_the_wire = log.take_due(1000).remove(0);
    log.push(&Record::new(RecordType::Response), 1000);
    // Not due for another second: shutdown sends it anyway.
    let drain = log.begin_shutdown(1001);
    assert_eq!((drain.inserts.len(), drain.lost), (1, 0));
    assert!(!log.idle());
    let late = drain.inserts.into_iter().next().unwrap();
    let outcome = log.complete(late.batch, answered(200, "{}"), 1002, 0.0);
    assert_eq!(outcome.rows_sent, 1);
    assert!(!log.idle(), "the first insert is still on the wire");
    // A row logged meanwhile (an API answer's Response) goes out on the next drain.
    log.push(&Record::new(RecordType::Response), 1003);
    let drain = log.drain(1003);
    assert_eq!(drain.inserts.len(), 1);
    let outcome = log.complete(
        drain.inserts.into_iter().next().unwrap().batch,
        answered(200, "{}"),
        1004,
        0.0,
    );
    assert_eq!(outcome.rows_sent, 1);
    let outcome = log.complete(on_the_wire.batch, answered(200, "{}"), 1005, 0.0);
    assert_eq!(outcome.rows_sent, 3);
    assert!(log.idle());
    assert_eq!(log.shutdown_report(), None, "nothing lost");
}

#[test]
fn an_insert_that_fails_during_shutdown_is_lost_and_reported_once() {
    let mut log = literal();
    for _ in 0..40 {
        log.push(&Record::new(RecordType::Request), 0);
    }
    let first = log.take_due(1000).remove(0);
    log.push(&Record::new(RecordType::Response), 1000);
    let drain = log.begin_shutdown(1000);
    let second = drain.inserts.into_iter().next().unwrap();
    let outcome = log.complete(first.batch, answered(503, ""), 2000, 0.0);
    assert_eq!(
        (outcome.rows_failed, outcome.rows_lost_on_shutdown),
        (40, 40)
    );
    assert!(log.drain(2000).inserts.is_empty(), "not retried");
    let outcome = log.complete(second.batch, InsertResult::NoAnswer, 2001, 0.0);
    assert_eq!(outcome.rows_lost_on_shutdown, 1);
    assert!(log.idle());
    assert_eq!(
        log.shutdown_report().as_deref(),
        Some("shutting down: 41 rows lost (HTTP 503; no answer (reset, refused or timed out))")
    );
    assert_eq!(log.shutdown_report(), None);
}

#[test]
fn an_insert_on_the_wire_when_shutdown_begins_is_not_retried_when_it_fails() {
    let mut log = literal();
    log.push(&Record::new(RecordType::Request), 0);
    let on_the_wire = log.take_due(1000).remove(0);
    let drain = log.begin_shutdown(1000);
    assert!(drain.inserts.is_empty() && !log.idle());
    let outcome = log.complete(on_the_wire.batch, answered(503, ""), 2000, 0.0);
    assert_eq!(outcome.rows_lost_on_shutdown, 1);
    assert!(log.drain(5000).inserts.is_empty(), "no retry");
    assert!(log.idle());
}

#[test]
fn at_shutdown_rows_without_a_token_wait_for_one_fetch_whatever_the_backoff() {
    let mut log = metadata();
    log.push(&Record::new(RecordType::Request), 0);
    log.token_fetch(1000).unwrap();
    assert!(log.token_failed(1000).contains("unreachable"));
    // Backing off until 2000; shutdown does not wait for that.
    log.push(&Record::new(RecordType::Response), 1500);
    let drain = log.begin_shutdown(1500);
    assert!(drain.fetch.is_some() && drain.inserts.is_empty());
    assert!(!log.idle());
    assert!(log.drain(1600).fetch.is_none(), "one fetch at a time");
    log.token_fetched(200, TOKEN, 1700).unwrap();
    let drain = log.drain(1700);
    assert_eq!(drain.inserts.len(), 1);
    assert_eq!(drain.inserts[0].batch.rows.len(), 2);
    assert!(drain.inserts[0]
        .headers
        .contains(&("authorization", "Bearer ya29.x".into())));
}

#[test]
fn at_shutdown_rows_are_lost_when_the_one_token_fetch_fails() {
    let mut log = metadata();
    log.push(&Record::new(RecordType::Request), 0);
    log.push(&Record::new(RecordType::Response), 0);
    // The fetch on the wire when shutdown begins is the one it waits for.
    log.token_fetch(1000).unwrap();
    let drain = log.begin_shutdown(1000);
    assert!(drain.fetch.is_none() && drain.inserts.is_empty());
    assert!(!log.idle());
    assert!(log.token_fetched(500, b"", 1100).is_err());
    let drain = log.drain(1100);
    assert!(drain.fetch.is_none(), "no second fetch");
    assert_eq!(drain.lost, 2);
    assert!(log.idle());
    assert_eq!(
        log.shutdown_report().as_deref(),
        Some("shutting down: 2 rows lost (no access token)")
    );
}

#[test]
fn outside_shutdown_drain_does_nothing() {
    let mut log = metadata();
    log.push(&Record::new(RecordType::Request), 0);
    let drain = log.drain(5000);
    assert!(drain.fetch.is_none() && drain.inserts.is_empty() && drain.lost == 0);
    assert!(!log.idle());
    assert_eq!(log.shutdown_report(), None);
}

/// A BigQuery log (literal token) holding a row for every console record `run` writes,
/// each logged at `now`.
fn rows_logged_by(now: u64, run: impl FnOnce()) -> std::rc::Rc<std::cell::RefCell<BigQueryLog>> {
    use crate::observe::console;
    use std::cell::RefCell;
    use std::rc::Rc;
    let log = Rc::new(RefCell::new(BigQueryLog::new(
        &config(AccessToken::Static(Secret::new("lit".into()))),
        "p".into(),
    )));
    let sink = Rc::clone(&log);
    console::enter_plugin(1);
    console::set_tap(
        1,
        Some(Box::new(move |r: &Record<'_>| {
            sink.borrow_mut().push(r, now);
        })),
    );
    run();
    console::set_tap(1, None);
    log
}

#[test]
fn delivery_records_become_rows_even_with_console_logging_off() {
    use crate::delivery::retry::CallResult;
    use crate::delivery::{Call, Delivery};
    use crate::observe::metrics::MemoryMetrics;
    use crate::payload::{EncodedEvent, MatchKeys};
    const NOW: u64 = 1_800_000_000_000;

    let log = rows_logged_by(NOW, || {
        let c = crate::test_support::config(serde_json::json!({"logging": {"console": "off"}}));
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

    let insert = log.borrow_mut().take_due(NOW + 1000).remove(0);
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

#[test]
fn one_request_of_500_invalid_events_with_an_8_kib_trace_id_costs_six_small_rows() {
    use crate::collect::collect;
    use crate::config::Format;
    use crate::observe::metrics::MemoryMetrics;
    use crate::request::RequestFacts;
    const NOW: u64 = 1_800_000_000_000;

    let body: String = (0..500)
        .map(|i| format!("en=not%20a%20valid%20name%20{i:04}&ep.note=padding-pad&_et=1\n"))
        .collect();
    let trace = "t".repeat(8192);
    let request = RequestFacts::from_headers(
        &[
            (":method".into(), b"POST".to_vec()),
            (
                ":path".into(),
                b"/g/collect?v=2&cid=1.2&_p=9&dl=https%3A%2F%2Fshop.example.com%2F".to_vec(),
            ),
            (":authority".into(), b"shop.example.com".to_vec()),
            ("trace-id".into(), trace.into_bytes()),
        ],
        None,
    )
    .unwrap();
    let c = crate::test_support::config(
        serde_json::json!({"collect": {"max_events_per_request": 1000}}),
    );
    let m = MemoryMetrics::default();
    let mut collected = None;
    let log = rows_logged_by(NOW, || {
        collected = Some(collect(
            &c,
            Format::Ga4,
            &request,
            body.as_bytes(),
            NOW,
            &mut || [7; 16],
            &m,
        ));
    });
    let collected = collected.unwrap();
    assert_eq!(collected.summary.invalid, 500);
    let inserts = log.borrow_mut().take_due(NOW + 1000);
    let rows: usize = inserts.iter().map(|i| i.batch.rows.len()).sum();
    let bytes: usize = inserts.iter().map(|i| i.body.len()).sum();
    eprintln!(
        "one {}-byte request, 500 invalid events, 8 KiB trace id: {rows} rows, {bytes} insert bytes",
        body.len()
    );
    assert_eq!(rows, 6);
    assert!(bytes < 8 * 1024, "{bytes} insert bytes");
}

#[test]
fn ids_are_percent_encoded_in_the_path() {
    let mut c = config(AccessToken::Static(Secret::new("t".into())));
    c.table_id = "a/b c".into();
    assert!(insert_path(&c).ends_with("/tables/a%2Fb%20c/insertAll"));
}

#[test]
fn metric_names() {
    let names: Vec<_> = Counter::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        [
            "bigquery_rows_sent",
            "bigquery_rows_failed",
            "bigquery_rows_dropped",
            "bigquery_rows_lost_on_shutdown",
            "bigquery_token_errors"
        ]
    );
}
