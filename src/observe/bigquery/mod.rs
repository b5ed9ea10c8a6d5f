//! BigQuery logging: every console record also becomes a row in a BigQuery table, sent with
//! `tabledata.insertAll`, the way Stape's tag offered "persistent logging".
//!
//! [`BigQueryLog`] is the per-worker state the runtime drives: rows built from console
//! [`Record`]s ([`rows`]), the bounded insert pipeline ([`batch`]), and the access-token cache
//! ([`token`], with service-account assertions from
//! [`service_account`](crate::config::service_account)). It is pure and has its own queue and
//! callouts, separate from delivery's: a slow, failing or misconfigured BigQuery costs only its
//! own bounded buffer and never touches an API call.
//!
//! Shutdown ([`BigQueryLog::begin_shutdown`], then [`BigQueryLog::drain`] after every answer)
//! sends every row at once, waits for at most one token fetch when no token is valid, and
//! retries nothing: rows that cannot be sent or whose insert fails are lost, counted
//! (`bigquery_rows_lost_on_shutdown`) and summed up in one line ([`BigQueryLog::shutdown_report`]).
//! The runtime waits until [`BigQueryLog::idle`] before it lets the plugin go; inserts time out
//! after [`INSERT_TIMEOUT_MS`] and token fetches after [`TOKEN_TIMEOUT_MS`], so the wait is
//! bounded.

pub mod batch;
pub mod rows;
pub mod token;

use crate::config::{AccessToken, BigQuery};
use crate::observe::console::Record;
use batch::{InsertBatch, InsertResult, Outbox, Outcome};
use token::{TokenFetch, TokenSource, Tokens};

pub const AUTHORITY: &str = "bigquery.googleapis.com";
/// Per-insert timeout.
pub const INSERT_TIMEOUT_MS: u64 = 10_000;
/// Per-token-fetch timeout.
pub const TOKEN_TIMEOUT_MS: u64 = 5_000;
/// Longest insert response read (enough for `insertErrors` of a full batch).
pub const MAX_INSERT_RESPONSE: usize = 256 * 1024;

/// BigQuery's counters, published like the filter's others (`openai_capi.<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    RowsSent,
    RowsFailed,
    RowsDropped,
    RowsLostOnShutdown,
    TokenErrors,
}

impl Counter {
    pub const ALL: [Counter; 5] = [
        Counter::RowsSent,
        Counter::RowsFailed,
        Counter::RowsDropped,
        Counter::RowsLostOnShutdown,
        Counter::TokenErrors,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Counter::RowsSent => "bigquery_rows_sent",
            Counter::RowsFailed => "bigquery_rows_failed",
            Counter::RowsDropped => "bigquery_rows_dropped",
            Counter::RowsLostOnShutdown => "bigquery_rows_lost_on_shutdown",
            Counter::TokenErrors => "bigquery_token_errors",
        }
    }
}

/// One insert callout for the runtime to make.
#[derive(Debug)]
pub struct Insert {
    pub batch: InsertBatch,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// What shutdown asks of the runtime now.
#[derive(Debug, Default)]
pub struct Drain {
    /// The one token fetch shutdown allows, when no token is valid.
    pub fetch: Option<TokenFetch>,
    pub inserts: Vec<Insert>,
    /// Rows that cannot be sent for want of a token (count them failed and lost on shutdown).
    pub lost: u64,
}

/// Distinct reasons one shutdown's line names; more are left out.
const MAX_LOSS_REASONS: usize = 4;

#[derive(Debug, Default)]
struct Shutdown {
    /// Whether the one token fetch has been had: in flight when shutdown began, or started by it.
    fetch_used: bool,
    lost_rows: u64,
    reasons: Vec<String>,
}

/// Per-worker BigQuery logging state.
#[derive(Debug)]
pub struct BigQueryLog {
    cluster: String,
    path: String,
    outbox: Outbox,
    tokens: Tokens,
    /// Set once the plugin is shutting down.
    shutdown: Option<Shutdown>,
}

impl BigQueryLog {
    /// `id_prefix` must be random per VM; see [`Outbox::new`].
    pub fn new(config: &BigQuery, id_prefix: String) -> BigQueryLog {
        let source = match &config.access_token {
            AccessToken::Static(token) => TokenSource::Static(token.clone()),
            AccessToken::GcpMetadata { cluster } => TokenSource::Metadata {
                cluster: cluster.clone(),
            },
            AccessToken::ServiceAccount { key, cluster } => TokenSource::ServiceAccount {
                key: key.clone(),
                cluster: cluster.clone(),
            },
        };
        BigQueryLog {
            cluster: config.cluster.clone(),
            path: insert_path(config),
            outbox: Outbox::new(id_prefix),
            tokens: Tokens::new(source),
            shutdown: None,
        }
    }

    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    /// The insert's headers, with the current token (empty authorization when none).
    fn headers(&self, now_ms: u64) -> Vec<(&'static str, String)> {
        let token = self.tokens.current(now_ms).map_or("", |t| t.expose());
        vec![
            (":method", "POST".to_owned()),
            (":path", self.path.clone()),
            (":authority", AUTHORITY.to_owned()),
            ("authorization", format!("Bearer {token}")),
            ("content-type", "application/json".to_owned()),
        ]
    }

    /// Buffers the row for a record; returns the rows dropped to make room.
    pub fn push(&mut self, record: &Record<'_>, now_ms: u64) -> u64 {
        self.outbox.push(rows::row_json(record, now_ms), now_ms)
    }

    pub fn has_work(&self) -> bool {
        self.outbox.has_work()
    }

    /// A token fetch to start, when a batch is due and no valid token is cached.
    pub fn token_fetch(&mut self, now_ms: u64) -> Option<TokenFetch> {
        if !self.outbox.wants_to_send(now_ms) {
            return None;
        }
        self.tokens.fetch(now_ms, now_ms / 1000)
    }

    /// Inserts to send now (none while no token is valid).
    pub fn take_due(&mut self, now_ms: u64) -> Vec<Insert> {
        if self.tokens.current(now_ms).is_none() {
            return Vec::new();
        }
        let headers = self.headers(now_ms);
        self.outbox
            .take_due(now_ms)
            .into_iter()
            .map(|batch| Insert {
                body: batch.body(),
                headers: headers.clone(),
                batch,
            })
            .collect()
    }

    /// The plugin is shutting down: from now on every row goes out at once and nothing is
    /// retried. Returns what to do now; call [`BigQueryLog::drain`] after every answer.
    pub fn begin_shutdown(&mut self, now_ms: u64) -> Drain {
        self.outbox.begin_shutdown();
        if self.shutdown.is_none() {
            self.shutdown = Some(Shutdown {
                fetch_used: self.tokens.is_fetching(),
                ..Shutdown::default()
            });
        }
        self.drain(now_ms)
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutdown.is_some()
    }

    /// During shutdown: inserts for every row not yet on the wire (rows logged meanwhile
    /// included) when a token is valid; otherwise the one token fetch, or a wait for it; once
    /// that fetch has failed, the rows are lost. Outside shutdown, nothing.
    pub fn drain(&mut self, now_ms: u64) -> Drain {
        let Some(shutdown) = self.shutdown.as_mut() else {
            return Drain::default();
        };
        if self.outbox.queued_rows() == 0 {
            return Drain::default();
        }
        if self.tokens.current(now_ms).is_none() {
            if self.tokens.is_fetching() {
                return Drain::default();
            }
            if !shutdown.fetch_used {
                shutdown.fetch_used = true;
                if let Some(fetch) = self.tokens.fetch_now(now_ms, now_ms / 1000) {
                    return Drain {
                        fetch: Some(fetch),
                        ..Drain::default()
                    };
                }
            }
            let batches = self.outbox.take_all(now_ms);
            let lost = batches.iter().map(|b| b.rows.len() as u64).sum();
            for batch in batches {
                // Not sent: release the in-flight slot take_all reserved.
                self.outbox.abandon(batch);
            }
            self.note_loss(lost, "no access token".to_owned());
            return Drain {
                lost,
                ..Drain::default()
            };
        }
        let headers = self.headers(now_ms);
        let inserts = self
            .outbox
            .take_all(now_ms)
            .into_iter()
            .map(|batch| Insert {
                body: batch.body(),
                headers: headers.clone(),
                batch,
            })
            .collect();
        Drain {
            inserts,
            ..Drain::default()
        }
    }

    /// Whether no row is buffered, waiting or on the wire: a shutting-down plugin may go.
    pub fn idle(&self) -> bool {
        !self.outbox.has_work()
    }

    /// The one warn line of a shutdown that lost rows (once; later calls return `None`).
    pub fn shutdown_report(&mut self) -> Option<String> {
        let shutdown = self.shutdown.as_mut()?;
        if shutdown.lost_rows == 0 {
            return None;
        }
        let line = format!(
            "shutting down: {} rows lost ({})",
            shutdown.lost_rows,
            shutdown.reasons.join("; ")
        );
        shutdown.lost_rows = 0;
        shutdown.reasons.clear();
        Some(line)
    }

    fn note_loss(&mut self, rows: u64, reason: String) {
        let Some(shutdown) = self.shutdown.as_mut() else {
            return;
        };
        if rows == 0 {
            return;
        }
        shutdown.lost_rows += rows;
        if !shutdown.reasons.contains(&reason) && shutdown.reasons.len() < MAX_LOSS_REASONS {
            shutdown.reasons.push(reason);
        }
    }

    /// An insert ended.
    pub fn complete(
        &mut self,
        batch: InsertBatch,
        result: InsertResult,
        now_ms: u64,
        jitter: f64,
    ) -> Outcome {
        let refreshable = self.tokens.refreshable();
        let outcome = self
            .outbox
            .complete(batch, result, now_ms, refreshable, jitter);
        if outcome.token_refused {
            self.tokens.invalidate();
        }
        self.note_outcome(&outcome);
        outcome
    }

    /// An insert Envoy refused to start: retried like a reset (lost during shutdown).
    pub fn give_back(&mut self, batch: InsertBatch, now_ms: u64) -> Outcome {
        let outcome = self.outbox.give_back(batch, now_ms);
        self.note_outcome(&outcome);
        outcome
    }

    fn note_outcome(&mut self, outcome: &Outcome) {
        if let Some(reason) = &outcome.shutdown_loss {
            self.note_loss(outcome.rows_lost_on_shutdown, reason.clone());
        }
    }

    /// A token fetch was answered.
    pub fn token_fetched(&mut self, status: u16, body: &[u8], now_ms: u64) -> Result<(), String> {
        self.tokens.fetched(status, body, now_ms)
    }

    /// A token fetch got no answer.
    pub fn token_failed(&mut self, now_ms: u64) -> String {
        self.tokens.failed(now_ms)
    }
}

/// `tabledata.insertAll` path; the ids are percent-encoded as path segments.
pub fn insert_path(config: &BigQuery) -> String {
    let seg = |s: &str| -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "/bigquery/v2/projects/{}/datasets/{}/tables/{}/insertAll",
        seg(&config.project_id),
        seg(&config.dataset_id),
        seg(&config.table_id)
    )
}

#[cfg(test)]
mod tests;
