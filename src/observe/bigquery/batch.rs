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

/// How an insert ended, as the runtime saw it.
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
mod tests;
