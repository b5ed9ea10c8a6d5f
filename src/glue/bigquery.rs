//! BigQuery callouts: the glue half of BigQuery logging. It feeds console records into the
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

use super::host;
use crate::config::BigQuery;
use crate::observe::bigquery::batch::{InsertBatch, InsertResult, Outcome};
use crate::observe::bigquery::token::TokenFetch;
use crate::observe::bigquery::token::MAX_TOKEN_RESPONSE;
use crate::observe::bigquery::{
    BigQueryLog, Counter, Drain, Insert, INSERT_TIMEOUT_MS, MAX_INSERT_RESPONSE, TOKEN_TIMEOUT_MS,
};
use crate::observe::console::{self, Record};
use proxy_wasm::hostcalls;
use proxy_wasm::types::{BufferType, MapType, MetricType};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write;
use std::rc::Rc;
use std::time::Duration;

enum Flight {
    Insert(InsertBatch),
    Token,
}

/// Per-root BigQuery logging: the core state, the callouts on the wire, the metric ids.
pub struct BigQueryLink {
    log: RefCell<BigQueryLog>,
    in_flight: RefCell<HashMap<u32, Flight>>,
    counters: Vec<Option<u32>>,
}

impl BigQueryLink {
    pub fn new(config: &BigQuery, metric_prefix: &str) -> Rc<BigQueryLink> {
        let mut prefix = String::with_capacity(32);
        for b in host::random16() {
            let _ = write!(prefix, "{b:02x}");
        }
        Rc::new(BigQueryLink {
            log: RefCell::new(BigQueryLog::new(config, prefix)),
            in_flight: RefCell::new(HashMap::new()),
            counters: Counter::ALL
                .iter()
                .map(|c| {
                    hostcalls::define_metric(
                        MetricType::Counter,
                        &format!("{metric_prefix}.{}", c.name()),
                    )
                    .ok()
                })
                .collect(),
        })
    }

    /// Routes every console record of `plugin` (its root context id) to `link` as a row;
    /// `wake` makes sure that root's timer runs so the row is flushed on time. Records are
    /// only ever produced inside the plugin's own callbacks, so `wake` runs in one of its
    /// contexts, whose timer is the plugin's root's.
    pub fn install_tap(
        link: &Rc<BigQueryLink>,
        plugin: console::PluginId,
        wake: impl Fn() + 'static,
    ) {
        let link = Rc::downgrade(link);
        console::set_tap(
            plugin,
            Some(Box::new(move |record: &Record<'_>| {
                if let Some(link) = link.upgrade() {
                    link.record(record);
                    wake();
                }
            })),
        );
    }

    fn record(&self, record: &Record<'_>) {
        let dropped = match self.log.try_borrow_mut() {
            Ok(mut log) => log.push(record, host::now_ms()),
            // Only reachable if a record were written while the log is being driven; count it
            // rather than risk a double borrow.
            Err(_) => 1,
        };
        self.add(Counter::RowsDropped, dropped);
    }

    pub fn has_work(&self) -> bool {
        self.log.try_borrow().map_or(true, |log| log.has_work())
    }

    /// From the root's timer: start a token fetch if one is needed, then send due inserts.
    pub fn poll(&self) {
        let now = host::now_ms();
        let Ok(mut log) = self.log.try_borrow_mut() else {
            return;
        };
        if log.is_shutting_down() {
            drop(log);
            self.drain();
            return;
        }
        if let Some(fetch) = log.token_fetch(now) {
            self.fetch_token(&mut log, &fetch, now);
        }
        for insert in log.take_due(now) {
            self.send(&mut log, insert, now);
        }
    }

    /// Starts a token fetch; returns whether Envoy accepted it (a refusal is counted and logged
    /// as a failed fetch).
    fn fetch_token(&self, log: &mut BigQueryLog, fetch: &TokenFetch, now: u64) -> bool {
        let headers = fetch
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        match hostcalls::dispatch_http_call(
            &fetch.cluster,
            headers,
            fetch.body.as_deref(),
            vec![],
            Duration::from_millis(TOKEN_TIMEOUT_MS),
        ) {
            Ok(token) => {
                self.in_flight.borrow_mut().insert(token, Flight::Token);
                true
            }
            Err(status) => {
                let reason = log.token_failed(now);
                self.add(Counter::TokenErrors, 1);
                log::warn!(
                    "BigQuery logging: token fetch on cluster {:?} refused by Envoy ({status:?}): {reason}; is the cluster defined?",
                    fetch.cluster
                );
                false
            }
        }
    }

    /// The plugin is shutting down: every buffered or waiting row goes out now, after the one
    /// token fetch it may need. The root waits until [`BigQueryLink::idle`].
    pub fn shutdown(&self) {
        let now = host::now_ms();
        let Ok(mut log) = self.log.try_borrow_mut() else {
            return;
        };
        let drain = log.begin_shutdown(now);
        self.perform(&mut log, drain, now);
    }

    /// During shutdown, after an answer: sends the rows logged since (a call's Response) and
    /// those a new token lets go; counts what cannot go. Outside shutdown, nothing.
    pub fn drain(&self) {
        let now = host::now_ms();
        let Ok(mut log) = self.log.try_borrow_mut() else {
            return;
        };
        let drain = log.drain(now);
        self.perform(&mut log, drain, now);
    }

    fn perform(&self, log: &mut BigQueryLog, drain: Drain, now: u64) {
        self.count_lost(drain.lost);
        for insert in drain.inserts {
            self.send(log, insert, now);
        }
        if let Some(fetch) = drain.fetch {
            if !self.fetch_token(log, &fetch, now) {
                // That was shutdown's one fetch: this drain counts the waiting rows as lost.
                self.count_lost(log.drain(now).lost);
            }
        }
    }

    /// Rows shutdown could not send for want of a token.
    fn count_lost(&self, rows: u64) {
        self.add(Counter::RowsFailed, rows);
        self.add(Counter::RowsLostOnShutdown, rows);
    }

    /// Whether nothing is buffered or on the wire (a shutting-down root may call `done`).
    pub fn idle(&self) -> bool {
        self.log.try_borrow().is_ok_and(|log| log.idle())
    }

    /// The one warn line of a shutdown that lost rows.
    pub fn report_shutdown(&self) {
        if let Some(line) = self
            .log
            .try_borrow_mut()
            .ok()
            .and_then(|mut log| log.shutdown_report())
        {
            log::warn!("BigQuery logging: {line}");
        }
    }

    fn send(&self, log: &mut BigQueryLog, insert: Insert, now: u64) {
        let headers = insert
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        match hostcalls::dispatch_http_call(
            log.cluster(),
            headers,
            Some(&insert.body),
            vec![],
            Duration::from_millis(INSERT_TIMEOUT_MS),
        ) {
            Ok(token) => {
                self.in_flight
                    .borrow_mut()
                    .insert(token, Flight::Insert(insert.batch));
            }
            Err(status) => {
                log::warn!(
                    "BigQuery logging: insert on cluster {:?} refused by Envoy ({status:?}); is the cluster defined?",
                    log.cluster()
                );
                let outcome = log.give_back(insert.batch, now);
                self.report(&outcome);
            }
        }
    }

    /// A callout answered. Returns `false` when the token is not one of ours.
    pub fn on_response(&self, token_id: u32, num_headers: usize, body_size: usize) -> bool {
        let Some(flight) = self.in_flight.borrow_mut().remove(&token_id) else {
            return false;
        };
        let now = host::now_ms();
        let Ok(mut log) = self.log.try_borrow_mut() else {
            return true;
        };
        match flight {
            Flight::Token => {
                let result = match read_response(num_headers, body_size, MAX_TOKEN_RESPONSE) {
                    InsertResult::Answered { status, body } => {
                        log.token_fetched(status, &body, now)
                    }
                    InsertResult::NoAnswer => Err(log.token_failed(now)),
                };
                if let Err(reason) = result {
                    self.add(Counter::TokenErrors, 1);
                    log::warn!("BigQuery logging: no access token: {reason}");
                }
            }
            Flight::Insert(batch) => {
                let result = read_response(num_headers, body_size, MAX_INSERT_RESPONSE);
                let outcome = log.complete(batch, result, now, host::jitter());
                self.report(&outcome);
            }
        }
        true
    }

    fn report(&self, outcome: &Outcome) {
        self.add(Counter::RowsSent, outcome.rows_sent);
        self.add(Counter::RowsFailed, outcome.rows_failed);
        self.add(Counter::RowsDropped, outcome.rows_dropped);
        self.add(Counter::RowsLostOnShutdown, outcome.rows_lost_on_shutdown);
        if let Some(failure) = &outcome.failure {
            log::warn!("BigQuery logging: {failure}");
        }
        if outcome.rows_dropped > 0 {
            log::warn!(
                "BigQuery logging: retry queue full, {} rows dropped",
                outcome.rows_dropped
            );
        }
    }

    fn add(&self, counter: Counter, by: u64) {
        if by == 0 {
            return;
        }
        let id = Counter::ALL
            .iter()
            .position(|c| *c == counter)
            .and_then(|i| self.counters.get(i).copied().flatten());
        if let Some(id) = id {
            let _ = hostcalls::increment_metric(id, i64::try_from(by).unwrap_or(i64::MAX));
        }
    }
}

/// Status and (bounded) body of the callout being answered. Envoy's own local replies for
/// resets and timeouts (5xx without an upstream) are retried like any 5xx, so they need no
/// special case here.
fn read_response(num_headers: usize, body_size: usize, max_body: usize) -> InsertResult {
    if num_headers == 0 {
        return InsertResult::NoAnswer;
    }
    // Bytes, not the String getter: the SDK panics on a value that is not UTF-8.
    let status = hostcalls::get_map_value_bytes(MapType::HttpCallResponseHeaders, ":status")
        .ok()
        .flatten()
        .and_then(|s| std::str::from_utf8(&s).ok()?.trim().parse::<u16>().ok());
    let Some(status) = status else {
        return InsertResult::NoAnswer;
    };
    let body = hostcalls::get_buffer(BufferType::HttpCallResponseBody, 0, body_size.min(max_body))
        .ok()
        .flatten()
        .unwrap_or_default();
    InsertResult::Answered { status, body }
}
