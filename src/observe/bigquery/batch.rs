//! The insert pipeline: per-worker row buffer, `tabledata.insertAll` batches, and their retries.
//!
//! [`Outbox`] is pure and bounded. Rows wait in a buffer that is flushed at
//! [`MAX_BATCH_ROWS`] rows (or [`MAX_BATCH_BYTES`]) or [`FLUSH_DELAY_MS`] after its oldest row,
//! whichever comes first. Beyond [`MAX_BUFFERED_ROWS`] / [`MAX_BUFFERED_BYTES`] the oldest rows
//! are dropped and counted. At most [`MAX_IN_FLIGHT`] inserts are on the wire per worker, and
//! failed batches wait in a small retry queue whose overflow is also dropped and counted. Every
//! row gets a unique `insertId` when buffered and keeps it across retries, so BigQuery's
//! best-effort de-duplication can discard a copy that did land before a reset. Rows count as
//! sent only on a `200` whose body is insertAll's JSON answer; any other `200` is a failed
//! attempt. Once shutdown has begun ([`Outbox::begin_shutdown`]) nothing is retried: a failed
//! insert's rows are lost, and the [`Outcome`] says so.

use serde::Deserialize;
use std::collections::{BTreeSet, VecDeque};

pub const MAX_BATCH_ROWS: usize = 500;
/// Body bytes per insert; BigQuery accepts 10 MB, this keeps each callout modest.
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;
pub const FLUSH_DELAY_MS: u64 = 1000;
pub const MAX_BUFFERED_ROWS: usize = 5000;
pub const MAX_BUFFERED_BYTES: usize = 4 * 1024 * 1024;
pub const MAX_IN_FLIGHT: usize = 2;
/// Batches waiting for a retry, per worker.
pub const MAX_RETRY_BATCHES: usize = 8;
/// Attempts per batch, the first included.
pub const MAX_ATTEMPTS: u32 = 3;
const FIRST_BACKOFF_MS: u64 = 500;
const MAX_BACKOFF_MS: u64 = 10_000;

/// One buffered row: its `insertId` and its `json` object text.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRow {
    pub insert_id: String,
    pub json: String,
}

/// Rows that go out in one insert.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertBatch {
    pub rows: Vec<PendingRow>,
    /// Attempts already made.
    pub attempts: u32,
    /// Whether a `401` already made us fetch a new token for it.
    pub reauthorized: bool,
}

impl InsertBatch {
    /// The `insertAll` request body.
    pub fn body(&self) -> Vec<u8> {
        let mut out = String::with_capacity(
            80 + self
                .rows
                .iter()
                .map(|r| r.json.len() + r.insert_id.len() + 24)
                .sum::<usize>(),
        );
        out.push_str(r#"{"ignoreUnknownValues":true,"skipInvalidRows":true,"rows":["#);
        for (i, row) in self.rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(r#"{"insertId":"#);
            out.push_str(&serde_json::to_string(&row.insert_id).unwrap_or_default());
            out.push_str(r#","json":"#);
            out.push_str(&row.json);
            out.push('}');
        }
        out.push_str("]}");
        out.into_bytes()
    }
}

/// How an insert ended, as the glue saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertResult {
    Answered {
        status: u16,
        body: Vec<u8>,
    },
    /// Reset, refused, timed out, or never dispatched.
    NoAnswer,
}

/// What became of a finished insert, for metrics and logs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub rows_sent: u64,
    pub rows_failed: u64,
    pub rows_dropped: u64,
    /// Rows that failed during shutdown (also in `rows_failed`): not retried, there is no later.
    pub rows_lost_on_shutdown: u64,
    /// Why they were lost, for the one warn line of the shutdown.
    pub shutdown_loss: Option<String>,
    /// The token was refused: discard it before the next insert.
    pub token_refused: bool,
    /// Why rows failed, for one warn line (never quoting a token).
    pub failure: Option<String>,
}

/// `kind` of an insertAll answer.
const INSERT_ALL_KIND: &str = "bigquery#tableDataInsertAllResponse";

#[derive(Deserialize)]
struct InsertAllResponse {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, rename = "insertErrors")]
    insert_errors: Vec<InsertError>,
}

#[derive(Deserialize)]
struct InsertError {
    index: u64,
}

/// Per-worker insert state.
#[derive(Debug)]
pub struct Outbox {
    id_prefix: String,
    next_id: u64,
    buffer: VecDeque<PendingRow>,
    buffer_bytes: usize,
    /// When the oldest buffered row arrived.
    oldest_ms: Option<u64>,
    retries: VecDeque<(u64, InsertBatch)>,
    in_flight: usize,
    /// Set by [`Outbox::begin_shutdown`]: a failed insert is final from then on.
    shutting_down: bool,
}

impl Outbox {
    /// `id_prefix` must be unique per VM (random), so `insertId`s never collide across workers
    /// and restarts.
    pub fn new(id_prefix: String) -> Outbox {
        Outbox {
            id_prefix,
            next_id: 0,
            buffer: VecDeque::new(),
            buffer_bytes: 0,
            oldest_ms: None,
            retries: VecDeque::new(),
            in_flight: 0,
            shutting_down: false,
        }
    }

    /// Buffers a row; returns how many old rows were dropped to make room.
    pub fn push(&mut self, json: String, now_ms: u64) -> u64 {
        let insert_id = format!("{}-{}", self.id_prefix, self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        self.buffer_bytes += json.len();
        self.buffer.push_back(PendingRow { insert_id, json });
        self.oldest_ms.get_or_insert(now_ms);
        let mut dropped = 0;
        while self.buffer.len() > MAX_BUFFERED_ROWS || self.buffer_bytes > MAX_BUFFERED_BYTES {
            match self.buffer.pop_front() {
                Some(old) => {
                    self.buffer_bytes -= old.json.len();
                    dropped += 1;
                }
                None => break,
            }
        }
        if self.buffer.is_empty() {
            self.oldest_ms = None;
        }
        dropped
    }

    /// Whether rows are buffered, queued or on the wire.
    pub fn has_work(&self) -> bool {
        !self.buffer.is_empty() || !self.retries.is_empty() || self.in_flight > 0
    }

    /// Whether a batch is due now (the caller then needs a token before [`Outbox::take_due`]).
    pub fn wants_to_send(&self, now_ms: u64) -> bool {
        self.in_flight < MAX_IN_FLIGHT
            && (self.retries.front().is_some_and(|(due, _)| *due <= now_ms)
                || self.buffer_due(now_ms))
    }

    fn buffer_due(&self, now_ms: u64) -> bool {
        self.buffer.len() >= MAX_BATCH_ROWS
            || self.buffer_bytes >= MAX_BATCH_BYTES
            || self
                .oldest_ms
                .is_some_and(|t| now_ms.saturating_sub(t) >= FLUSH_DELAY_MS)
    }

    /// Batches to send now, within the in-flight limit: due retries first, then the buffer.
    /// The caller must report each with [`Outbox::complete`].
    pub fn take_due(&mut self, now_ms: u64) -> Vec<InsertBatch> {
        let mut out = Vec::new();
        while self.in_flight < MAX_IN_FLIGHT {
            if self.retries.front().is_some_and(|(due, _)| *due <= now_ms) {
                if let Some((_, batch)) = self.retries.pop_front() {
                    self.in_flight += 1;
                    out.push(batch);
                }
            } else if self.buffer_due(now_ms) {
                let batch = self.cut_batch(now_ms);
                self.in_flight += 1;
                out.push(batch);
            } else {
                break;
            }
        }
        out
    }

    fn cut_batch(&mut self, now_ms: u64) -> InsertBatch {
        let mut rows = Vec::new();
        let mut bytes = 0;
        while let Some(row) = self.buffer.front() {
            if rows.len() >= MAX_BATCH_ROWS
                || (!rows.is_empty() && bytes + row.json.len() > MAX_BATCH_BYTES)
            {
                break;
            }
            let Some(row) = self.buffer.pop_front() else {
                break;
            };
            bytes += row.json.len();
            self.buffer_bytes -= row.json.len();
            rows.push(row);
        }
        // Rows left behind count their delay from now: they were not due on their own.
        self.oldest_ms = (!self.buffer.is_empty()).then_some(now_ms);
        InsertBatch {
            rows,
            attempts: 0,
            reauthorized: false,
        }
    }

    /// A batch taken with [`Outbox::take_due`] could not start: no token could be had, or Envoy
    /// refused the callout. It goes back to the retry queue as a failed attempt.
    pub fn complete(
        &mut self,
        mut batch: InsertBatch,
        result: InsertResult,
        now_ms: u64,
        token_refreshable: bool,
        jitter: f64,
    ) -> Outcome {
        self.in_flight = self.in_flight.saturating_sub(1);
        let n = batch.rows.len() as u64;
        let mut outcome = Outcome::default();
        let retryable = match &result {
            InsertResult::Answered { status: 200, body } => {
                // Not insertAll's answer (a proxy's page, a cut body): nothing says the rows
                // landed, so it is a failed attempt; retried rows keep their insertIds.
                if let Some(failed) = failed_rows(body, batch.rows.len()) {
                    outcome.rows_sent = n - failed;
                    outcome.rows_failed = failed;
                    if failed > 0 {
                        outcome.failure = Some(format!(
                            "BigQuery refused {failed} of {n} rows (insertErrors); check the table schema"
                        ));
                    }
                    return outcome;
                }
                true
            }
            InsertResult::Answered { status: 401, .. } => {
                outcome.token_refused = true;
                if token_refreshable && !batch.reauthorized && !self.shutting_down {
                    // Not the batch's fault: send it again as soon as a new token is in.
                    batch.reauthorized = true;
                    outcome.rows_dropped = self.queue_retry(batch, now_ms);
                    return outcome;
                }
                false
            }
            InsertResult::Answered { status, .. } => {
                *status == 408 || *status == 429 || *status >= 500
            }
            InsertResult::NoAnswer => true,
        };
        batch.attempts = batch.attempts.saturating_add(1);
        let what = match &result {
            InsertResult::Answered { status: 200, .. } => {
                "HTTP 200 whose body is not JSON in insertAll's answer shape".to_owned()
            }
            InsertResult::Answered { status, .. } => format!("HTTP {status}"),
            InsertResult::NoAnswer => "no answer (reset, refused or timed out)".to_owned(),
        };
        if self.shutting_down {
            outcome.rows_failed = n;
            outcome.rows_lost_on_shutdown = n;
            outcome.shutdown_loss = Some(what);
            return outcome;
        }
        if retryable && batch.attempts < MAX_ATTEMPTS {
            let shift = batch.attempts.saturating_sub(1).min(10);
            let base = (FIRST_BACKOFF_MS << shift).min(MAX_BACKOFF_MS);
            // Up to 50 % jitter so workers that failed together do not retry together.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let delay = base + (base as f64 * 0.5 * jitter.clamp(0.0, 1.0)) as u64;
            outcome.rows_dropped = self.queue_retry_at(batch, now_ms.saturating_add(delay));
        } else {
            outcome.rows_failed = n;
            outcome.failure = Some(format!(
                "BigQuery insert of {n} rows failed after {} attempt(s): {what}",
                batch.attempts
            ));
        }
        outcome
    }

    /// Puts a taken batch back, unsent, for another try (no token yet, dispatch refused).
    pub fn give_back(&mut self, batch: InsertBatch, now_ms: u64) -> Outcome {
        self.complete(batch, InsertResult::NoAnswer, now_ms, false, 0.0)
    }

    fn queue_retry(&mut self, batch: InsertBatch, now_ms: u64) -> u64 {
        self.queue_retry_at(batch, now_ms)
    }

    /// Queues a batch for `due_ms`; when the queue is full the oldest batch is dropped and its
    /// row count returned.
    fn queue_retry_at(&mut self, batch: InsertBatch, due_ms: u64) -> u64 {
        let mut dropped = 0;
        if self.retries.len() >= MAX_RETRY_BATCHES {
            if let Some((_, old)) = self.retries.pop_front() {
                dropped = old.rows.len() as u64;
            }
        }
        let at = self
            .retries
            .iter()
            .position(|(due, _)| *due > due_ms)
            .unwrap_or(self.retries.len());
        self.retries.insert(at, (due_ms, batch));
        dropped
    }

    /// The plugin is shutting down: from now on a failed insert, even one already on the
    /// wire, is not retried (there is no later).
    pub fn begin_shutdown(&mut self) {
        self.shutting_down = true;
    }

    /// Everything not yet on the wire, as batches to send at once (the plugin is shutting
    /// down: neither the flush delay nor the in-flight limit applies).
    pub fn take_all(&mut self, now_ms: u64) -> Vec<InsertBatch> {
        let mut out: Vec<InsertBatch> = self.retries.drain(..).map(|(_, b)| b).collect();
        while !self.buffer.is_empty() {
            out.push(self.cut_batch(now_ms));
        }
        self.in_flight += out.len();
        out
    }

    /// Forgets a batch taken for sending that will never be sent.
    pub fn abandon(&mut self, batch: InsertBatch) {
        self.in_flight = self.in_flight.saturating_sub(1);
        drop(batch);
    }

    /// Rows buffered or waiting for a retry (not those on the wire).
    pub fn queued_rows(&self) -> usize {
        self.buffer.len()
            + self
                .retries
                .iter()
                .map(|(_, b)| b.rows.len())
                .sum::<usize>()
    }
}

/// Rows BigQuery listed in `insertErrors` (distinct indexes within the batch), or `None` when
/// the body is not insertAll's answer: a JSON object whose `kind`, if present, is
/// [`INSERT_ALL_KIND`] and whose `insertErrors`, if present, list row indexes.
fn failed_rows(body: &[u8], rows: usize) -> Option<u64> {
    let answer = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .filter(serde_json::Value::is_object)?;
    let parsed = serde_json::from_value::<InsertAllResponse>(answer).ok()?;
    if parsed.kind.as_deref().is_some_and(|k| k != INSERT_ALL_KIND) {
        return None;
    }
    let distinct: BTreeSet<u64> = parsed
        .insert_errors
        .iter()
        .map(|e| e.index)
        .filter(|i| usize::try_from(*i).is_ok_and(|i| i < rows))
        .collect();
    Some(distinct.len() as u64)
}

#[cfg(test)]
mod tests {
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
}
