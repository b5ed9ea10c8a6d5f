//! BigQuery callouts: the host-facing half of BigQuery logging. It feeds console records into the
//! per-VM [`BigQueryLog`] through the console tap, and from the root's timer makes the token
//! fetches and `insertAll` callouts the core asks for, reading their answers back.
//!
//! Everything here is separate from delivery: its own state, its own callouts (on the
//! BigQuery, metadata and OAuth clusters), its own counters. At shutdown the root waits for it
//! as for its API calls: [`BigQueryLink::shutdown`] sends every row, [`BigQueryLink::drain`]
//! (after every answer) sends what was logged since, and [`BigQueryLink::idle`] says when
//! nothing is left on the wire. Nothing it does can hold, delay or
//! reorder an API call; a failure costs only rows, which are counted. It never logs through the
//! console tap (that would feed its own failures back in as rows) and never logs a token.

use super::answer::insert_result;
use super::host::{jitter, Host};
use crate::config::BigQuery;
use crate::observe::bigquery::batch::{InsertBatch, InsertResult, Outcome};
use crate::observe::bigquery::token::TokenFetch;
use crate::observe::bigquery::token::MAX_TOKEN_RESPONSE;
use crate::observe::bigquery::{
    BigQueryLog, Counter, Drain, Insert, INSERT_TIMEOUT_MS, MAX_INSERT_RESPONSE, TOKEN_TIMEOUT_MS,
};
use crate::observe::console::Record;
use log::Level;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write;
use std::rc::Rc;
use std::time::Duration;

enum Flight {
    Insert(InsertBatch),
    Token,
}

/// Per-root BigQuery logging: the core state and the callouts on the wire. Its counters go to
/// the host's BigQuery series.
pub struct BigQueryLink {
    log: RefCell<BigQueryLog>,
    in_flight: RefCell<HashMap<u32, Flight>>,
}

impl BigQueryLink {
    pub fn new(config: &BigQuery, host: &impl Host) -> Rc<BigQueryLink> {
        let mut prefix = String::with_capacity(32);
        for b in host.random16() {
            let _ = write!(prefix, "{b:02x}");
        }
        Rc::new(BigQueryLink {
            log: RefCell::new(BigQueryLog::new(config, prefix)),
            in_flight: RefCell::new(HashMap::new()),
        })
    }

    /// One console record of this plugin becomes a row.
    pub(super) fn record(&self, record: &Record<'_>, host: &impl Host) {
        let dropped = match self.log.try_borrow_mut() {
            Ok(mut log) => log.push(record, host.now_ms()),
            // Only reachable if a record were written while the log is being driven; count it
            // rather than risk a double borrow.
            Err(_) => 1,
        };
        host.add_bigquery(Counter::RowsDropped, dropped);
    }

    pub fn has_work(&self) -> bool {
        self.log.try_borrow().map_or(true, |log| log.has_work())
    }

    /// From the root's timer: start a token fetch if one is needed, then send due inserts.
    pub fn poll(&self, host: &impl Host) {
        let now = host.now_ms();
        let Ok(mut log) = self.log.try_borrow_mut() else {
            return;
        };
        if log.is_shutting_down() {
            drop(log);
            self.drain(host);
            return;
        }
        if let Some(fetch) = log.token_fetch(now) {
            self.fetch_token(host, &mut log, &fetch, now);
        }
        for insert in log.take_due(now) {
            self.send(host, &mut log, insert, now);
        }
    }

    /// Starts a token fetch; returns whether Envoy accepted it (a refusal is counted and logged
    /// as a failed fetch).
    fn fetch_token(
        &self,
        host: &impl Host,
        log: &mut BigQueryLog,
        fetch: &TokenFetch,
        now: u64,
    ) -> bool {
        let headers = fetch
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        match host.dispatch(
            &fetch.cluster,
            headers,
            fetch.body.as_deref(),
            Duration::from_millis(TOKEN_TIMEOUT_MS),
        ) {
            Ok(token) => {
                self.in_flight.borrow_mut().insert(token, Flight::Token);
                true
            }
            Err(status) => {
                let reason = log.token_failed(now);
                host.add_bigquery(Counter::TokenErrors, 1);
                host.log(
                    Level::Warn,
                    format_args!(
                        "BigQuery logging: token fetch on cluster {:?} refused by Envoy ({status}): {reason}; is the cluster defined?",
                        fetch.cluster
                    ),
                );
                false
            }
        }
    }

    /// The plugin is shutting down: every buffered or waiting row goes out now, after the one
    /// token fetch it may need. The root waits until [`BigQueryLink::idle`].
    pub fn shutdown(&self, host: &impl Host) {
        let now = host.now_ms();
        let Ok(mut log) = self.log.try_borrow_mut() else {
            return;
        };
        let drain = log.begin_shutdown(now);
        self.perform(host, &mut log, drain, now);
    }

    /// During shutdown, after an answer: sends the rows logged since (a call's Response) and
    /// those a new token lets go; counts what cannot go. Outside shutdown, nothing.
    pub fn drain(&self, host: &impl Host) {
        let now = host.now_ms();
        let Ok(mut log) = self.log.try_borrow_mut() else {
            return;
        };
        let drain = log.drain(now);
        self.perform(host, &mut log, drain, now);
    }

    fn perform(&self, host: &impl Host, log: &mut BigQueryLog, drain: Drain, now: u64) {
        count_lost(host, drain.lost);
        for insert in drain.inserts {
            self.send(host, log, insert, now);
        }
        if let Some(fetch) = drain.fetch {
            if !self.fetch_token(host, log, &fetch, now) {
                // That was shutdown's one fetch: this drain counts the waiting rows as lost.
                count_lost(host, log.drain(now).lost);
            }
        }
    }

    /// Whether nothing is buffered or on the wire (a shutting-down root may call `done`).
    pub fn idle(&self) -> bool {
        self.log.try_borrow().is_ok_and(|log| log.idle())
    }

    /// The one warn line of a shutdown that lost rows.
    pub fn report_shutdown(&self, host: &impl Host) {
        if let Some(line) = self
            .log
            .try_borrow_mut()
            .ok()
            .and_then(|mut log| log.shutdown_report())
        {
            host.log(Level::Warn, format_args!("BigQuery logging: {line}"));
        }
    }

    fn send(&self, host: &impl Host, log: &mut BigQueryLog, insert: Insert, now: u64) {
        let headers = insert
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        match host.dispatch(
            log.cluster(),
            headers,
            Some(&insert.body),
            Duration::from_millis(INSERT_TIMEOUT_MS),
        ) {
            Ok(token) => {
                self.in_flight
                    .borrow_mut()
                    .insert(token, Flight::Insert(insert.batch));
            }
            Err(status) => {
                host.log(
                    Level::Warn,
                    format_args!(
                        "BigQuery logging: insert on cluster {:?} refused by Envoy ({status}); is the cluster defined?",
                        log.cluster()
                    ),
                );
                let outcome = log.give_back(insert.batch, now);
                report(host, &outcome);
            }
        }
    }

    /// A callout answered. Returns `false` when the token is not one of ours.
    pub fn on_response(
        &self,
        host: &impl Host,
        token_id: u32,
        num_headers: usize,
        body_size: usize,
    ) -> bool {
        let Some(flight) = self.in_flight.borrow_mut().remove(&token_id) else {
            return false;
        };
        let now = host.now_ms();
        let Ok(mut log) = self.log.try_borrow_mut() else {
            return true;
        };
        match flight {
            Flight::Token => {
                let result = match insert_result(host, num_headers, body_size, MAX_TOKEN_RESPONSE) {
                    InsertResult::Answered { status, body } => {
                        log.token_fetched(status, &body, now)
                    }
                    InsertResult::NoAnswer => Err(log.token_failed(now)),
                };
                if let Err(reason) = result {
                    host.add_bigquery(Counter::TokenErrors, 1);
                    host.log(
                        Level::Warn,
                        format_args!("BigQuery logging: no access token: {reason}"),
                    );
                }
            }
            Flight::Insert(batch) => {
                let result = insert_result(host, num_headers, body_size, MAX_INSERT_RESPONSE);
                let outcome = log.complete(batch, result, now, jitter(host));
                report(host, &outcome);
            }
        }
        true
    }
}

/// Rows shutdown could not send for want of a token.
fn count_lost(host: &impl Host, rows: u64) {
    host.add_bigquery(Counter::RowsFailed, rows);
    host.add_bigquery(Counter::RowsLostOnShutdown, rows);
}

fn report(host: &impl Host, outcome: &Outcome) {
    host.add_bigquery(Counter::RowsSent, outcome.rows_sent);
    host.add_bigquery(Counter::RowsFailed, outcome.rows_failed);
    host.add_bigquery(Counter::RowsDropped, outcome.rows_dropped);
    host.add_bigquery(Counter::RowsLostOnShutdown, outcome.rows_lost_on_shutdown);
    if let Some(failure) = &outcome.failure {
        host.log(Level::Warn, format_args!("BigQuery logging: {failure}"));
    }
    if outcome.rows_dropped > 0 {
        host.log(
            Level::Warn,
            format_args!(
                "BigQuery logging: retry queue full, {} rows dropped",
                outcome.rows_dropped
            ),
        );
    }
}
