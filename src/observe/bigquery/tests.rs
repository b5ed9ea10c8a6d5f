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
