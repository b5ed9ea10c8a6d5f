use super::*;
use serde_json::Value;

fn outbox_with(rows: usize, now: u64) -> Outbox {
    let mut o = Outbox::new("vm1".into());
    for i in 0..rows {
        o.push(format!("{{\"n\":{i}}}"), now);
    }
    o
}

fn ok(body: &str) -> InsertResult {
    InsertResult::Answered {
        status: 200,
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn buffer_flushes_after_one_second() {
    let mut o = outbox_with(3, 1000);
    assert!(!o.wants_to_send(1999));
    assert!(o.take_due(1999).is_empty());
    assert!(o.wants_to_send(2000));
    let batches = o.take_due(2000);
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].rows.len(), 3);
}

#[test]
fn buffer_flushes_at_500_rows_without_waiting() {
    let mut o = outbox_with(1100, 0);
    let batches = o.take_due(0);
    assert_eq!(batches.len(), MAX_IN_FLIGHT);
    assert!(batches.iter().all(|b| b.rows.len() == MAX_BATCH_ROWS));
    assert_eq!(o.queued_rows(), 100);
    // The in-flight limit holds the rest back until an insert finishes.
    assert!(o.take_due(5000).is_empty());
}

#[test]
fn insert_body_has_the_insertall_shape_with_a_unique_insert_id_per_row() {
    let mut o = outbox_with(2, 0);
    let batch = o.take_due(1000).remove(0);
    let body: Value = serde_json::from_slice(&batch.body()).unwrap();
    assert_eq!(body["ignoreUnknownValues"], true);
    assert_eq!(body["skipInvalidRows"], true);
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["insertId"], "vm1-0");
    assert_eq!(rows[1]["insertId"], "vm1-1");
    assert_eq!(rows[1]["json"], serde_json::json!({"n": 1}));
}

#[test]
fn a_retried_batch_keeps_its_insert_ids() {
    let mut o = outbox_with(2, 0);
    let batch = o.take_due(1000).remove(0);
    let ids: Vec<String> = batch.rows.iter().map(|r| r.insert_id.clone()).collect();
    let outcome = o.complete(
        batch,
        InsertResult::Answered {
            status: 503,
            body: vec![],
        },
        1000,
        true,
        0.0,
    );
    assert_eq!(outcome, Outcome::default());
    assert!(o.take_due(1499).is_empty());
    let again = o.take_due(1500).remove(0);
    assert_eq!(again.attempts, 1);
    let again_ids: Vec<String> = again.rows.iter().map(|r| r.insert_id.clone()).collect();
    assert_eq!(ids, again_ids);
}

#[test]
fn retries_429_5xx_and_resets_with_backoff_then_counts_failed_rows() {
    let mut o = outbox_with(4, 0);
    let mut now = 1000;
    let mut batch = o.take_due(now).remove(0);
    for (attempt, result) in [
        InsertResult::Answered {
            status: 429,
            body: vec![],
        },
        InsertResult::NoAnswer,
    ]
    .into_iter()
    .enumerate()
    {
        let outcome = o.complete(batch, result, now, true, 0.0);
        assert_eq!(outcome.rows_failed, 0);
        now += FIRST_BACKOFF_MS << attempt;
        batch = o.take_due(now).remove(0);
    }
    let outcome = o.complete(
        batch,
        InsertResult::Answered {
            status: 500,
            body: vec![],
        },
        now,
        true,
        0.0,
    );
    assert_eq!(outcome.rows_failed, 4);
    assert!(outcome.failure.unwrap().contains("HTTP 500"));
    assert!(!o.has_work());
}

#[test]
fn other_4xx_fail_at_once() {
    let mut o = outbox_with(2, 0);
    let batch = o.take_due(1000).remove(0);
    let outcome = o.complete(
        batch,
        InsertResult::Answered {
            status: 404,
            body: b"Not found: Table".to_vec(),
        },
        1000,
        true,
        0.0,
    );
    assert_eq!(outcome.rows_failed, 2);
}

#[test]
fn insert_errors_in_a_200_count_the_failed_rows() {
    let mut o = outbox_with(3, 0);
    let batch = o.take_due(1000).remove(0);
    let outcome = o.complete(
        batch,
        ok(r#"{"kind":"bigquery#tableDataInsertAllResponse","insertErrors":[{"index":1,"errors":[{"reason":"invalid"}]},{"index":1,"errors":[]},{"index":99,"errors":[]}]}"#),
        1000,
        true,
        0.0,
    );
    assert_eq!(outcome.rows_sent, 2);
    assert_eq!(outcome.rows_failed, 1);
    let batch = {
        o.push("{}".into(), 1000);
        o.take_due(2000).remove(0)
    };
    let outcome = o.complete(
        batch,
        ok(r#"{"kind":"bigquery#tableDataInsertAllResponse"}"#),
        2000,
        true,
        0.0,
    );
    assert_eq!(outcome.rows_sent, 1);
    assert_eq!(outcome.rows_failed, 0);
}

#[test]
fn a_200_whose_body_is_not_the_insertall_answer_is_a_failed_attempt() {
    let mut o = outbox_with(2, 0);
    let mut now = 1000;
    let mut batch = o.take_due(now).remove(0);
    for (attempt, body) in ["<html>not json</html>", r#"{"kind":"storage#object"}"#]
        .into_iter()
        .enumerate()
    {
        let outcome = o.complete(batch, ok(body), now, true, 0.0);
        assert_eq!((outcome.rows_sent, outcome.rows_failed), (0, 0), "{body}");
        now += FIRST_BACKOFF_MS << attempt;
        batch = o.take_due(now).remove(0);
    }
    let outcome = o.complete(batch, ok(r#"{"insertErrors":"none"}"#), now, true, 0.0);
    assert_eq!((outcome.rows_sent, outcome.rows_failed), (0, 2));
    assert_eq!(
        outcome.failure.unwrap(),
        "BigQuery insert of 2 rows failed after 3 attempt(s): HTTP 200 whose body is not \
         JSON in insertAll's answer shape"
    );
}

#[test]
fn a_401_refreshes_the_token_once_then_fails() {
    let mut o = outbox_with(1, 0);
    let batch = o.take_due(1000).remove(0);
    let unauthorized = || InsertResult::Answered {
        status: 401,
        body: vec![],
    };
    let outcome = o.complete(batch, unauthorized(), 1000, true, 0.0);
    assert!(outcome.token_refused);
    assert_eq!(outcome.rows_failed, 0);
    let batch = o.take_due(1000).remove(0);
    assert!(batch.reauthorized);
    let outcome = o.complete(batch, unauthorized(), 1000, true, 0.0);
    assert_eq!(outcome.rows_failed, 1);
    // A static token cannot be refreshed: the first 401 is final.
    let mut o = outbox_with(1, 0);
    let batch = o.take_due(1000).remove(0);
    assert_eq!(
        o.complete(batch, unauthorized(), 1000, false, 0.0)
            .rows_failed,
        1
    );
}

#[test]
fn the_buffer_is_bounded_and_drops_the_oldest_rows() {
    let mut o = Outbox::new("p".into());
    let mut dropped = 0;
    for i in 0..MAX_BUFFERED_ROWS + 7 {
        dropped += o.push(format!("{i}"), 0);
    }
    assert_eq!(dropped, 7);
    assert_eq!(o.queued_rows(), MAX_BUFFERED_ROWS);
    let first = o.take_due(0).remove(0);
    assert_eq!(first.rows[0].json, "7");
    let mut o = Outbox::new("p".into());
    let big = "x".repeat(MAX_BUFFERED_BYTES / 2 + 1);
    assert_eq!(o.push(big.clone(), 0), 0);
    assert_eq!(o.push(big, 0), 1);
}

#[test]
fn the_retry_queue_is_bounded_and_drops_the_oldest_batch() {
    let mut o = Outbox::new("p".into());
    let mut dropped = 0;
    for i in 0..=MAX_RETRY_BATCHES {
        o.push(format!("{i}"), 0);
        let batch = o.take_due(1000 + i as u64 * 1000).remove(0);
        dropped += o
            .complete(batch, InsertResult::NoAnswer, 1_000_000, true, 0.0)
            .rows_dropped;
    }
    assert_eq!(dropped, 1);
    assert_eq!(o.queued_rows(), MAX_RETRY_BATCHES);
}

#[test]
fn shutdown_takes_every_row_at_once() {
    let mut o = outbox_with(1200, 0);
    let first = o.take_due(0);
    let dropped = o.complete(
        first.into_iter().next().unwrap(),
        InsertResult::NoAnswer,
        0,
        true,
        0.0,
    );
    assert_eq!(dropped.rows_dropped, 0);
    // One batch retrying, one in flight, 200 rows buffered and not yet due.
    let all = o.take_all(1);
    assert_eq!(all.iter().map(|b| b.rows.len()).sum::<usize>(), 700);
    assert_eq!(o.queued_rows(), 0);
}

#[test]
fn after_shutdown_a_failed_insert_is_lost_not_retried() {
    let mut o = outbox_with(3, 0);
    let first = o.take_due(1000).remove(0);
    o.push("{}".into(), 1000);
    o.begin_shutdown();
    let rest = o.take_all(1000);
    assert_eq!(rest.len(), 1);
    let outcome = o.complete(first, InsertResult::NoAnswer, 1001, true, 0.0);
    assert_eq!((outcome.rows_failed, outcome.rows_lost_on_shutdown), (3, 3));
    assert_eq!(
        outcome.shutdown_loss.as_deref(),
        Some("no answer (reset, refused or timed out)")
    );
    assert_eq!(
        outcome.failure, None,
        "reported once, at the end of the shutdown"
    );
    // A 401 is not retried with a new token either.
    let unauthorized = InsertResult::Answered {
        status: 401,
        body: vec![],
    };
    let last = rest.into_iter().next().unwrap();
    assert_eq!(
        o.complete(last, unauthorized, 1002, true, 0.0)
            .rows_lost_on_shutdown,
        1
    );
    assert!(!o.has_work());
}

#[test]
fn a_batch_given_back_counts_as_an_attempt() {
    let mut o = outbox_with(1, 0);
    let batch = o.take_due(1000).remove(0);
    let outcome = o.give_back(batch, 1000);
    assert_eq!(outcome.rows_failed, 0);
    assert_eq!(o.take_due(1500).remove(0).attempts, 1);
}
