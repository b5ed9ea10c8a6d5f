//! Access tokens for BigQuery: a configured literal, the GCE/GKE metadata server, or a
//! service-account key exchanged at Google's token endpoint.
//!
//! [`Tokens`] is the per-VM cache. A fetched token is used until five minutes before it
//! expires; at most one fetch is in flight; a failed fetch backs off before the next one so a
//! broken metadata server is not hammered, and a token that would expire within
//! [`MIN_TOKEN_LIFETIME_S`] counts as a failed fetch (refetching it at once would loop); a `401` from BigQuery discards the cached token so the
//! next insert fetches a fresh one. It is pure: the runtime performs the [`TokenFetch`] callouts
//! and reports their answers. Tokens are [`Secret`]s and never appear in logs or errors.

use crate::config::service_account::ServiceAccountKey;
use crate::config::Secret;
use serde::Deserialize;

/// Where tokens come from.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenSource {
    Static(Secret),
    /// The metadata server, through this Envoy cluster.
    Metadata {
        cluster: String,
    },
    /// A service-account key; the exchange goes to the key's `token_uri` through this cluster.
    ServiceAccount {
        key: Box<ServiceAccountKey>,
        cluster: String,
    },
}

pub const METADATA_AUTHORITY: &str = "metadata.google.internal";
pub const METADATA_PATH: &str = "/computeMetadata/v1/instance/service-accounts/default/token";
/// A token is refreshed this long before Google says it expires.
const REFRESH_MARGIN_MS: u64 = 5 * 60 * 1000;
/// Shortest `expires_in` accepted. Google's tokens live an hour; one that expires sooner than
/// this is a broken or hostile endpoint, and caching it for half its life would refetch it in
/// a tight loop.
pub const MIN_TOKEN_LIFETIME_S: u64 = 60;
const FIRST_BACKOFF_MS: u64 = 1000;
const MAX_BACKOFF_MS: u64 = 60_000;
/// Longest token response read.
pub const MAX_TOKEN_RESPONSE: usize = 16 * 1024;

/// One token callout for the runtime to make.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenFetch {
    pub cluster: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

#[derive(Debug)]
struct Cached {
    token: Secret,
    refresh_at_ms: u64,
}

/// The per-VM token cache.
#[derive(Debug)]
pub struct Tokens {
    source: TokenSource,
    cached: Option<Cached>,
    fetching: bool,
    failures: u32,
    next_fetch_ms: u64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

impl Tokens {
    pub fn new(source: TokenSource) -> Tokens {
        Tokens {
            source,
            cached: None,
            fetching: false,
            failures: 0,
            next_fetch_ms: 0,
        }
    }

    /// The token to send now, if one is valid.
    pub fn current(&self, now_ms: u64) -> Option<&Secret> {
        match &self.source {
            TokenSource::Static(token) => Some(token),
            _ => self
                .cached
                .as_ref()
                .filter(|c| now_ms < c.refresh_at_ms)
                .map(|c| &c.token),
        }
    }

    /// Whether a fetch is in flight.
    pub fn is_fetching(&self) -> bool {
        self.fetching
    }

    /// A fetch to start now, when there is no valid token, none in flight and no backoff
    /// pending. The caller must report its outcome with [`Tokens::fetched`] or
    /// [`Tokens::failed`].
    pub fn fetch(&mut self, now_ms: u64, now_s: u64) -> Option<TokenFetch> {
        if self.fetching || self.current(now_ms).is_some() || now_ms < self.next_fetch_ms {
            return None;
        }
        let fetch = match &self.source {
            TokenSource::Static(_) => return None,
            TokenSource::Metadata { cluster } => TokenFetch {
                cluster: cluster.clone(),
                headers: vec![
                    (":method", "GET".to_owned()),
                    (":path", METADATA_PATH.to_owned()),
                    (":authority", METADATA_AUTHORITY.to_owned()),
                    ("metadata-flavor", "Google".to_owned()),
                ],
                body: None,
            },
            TokenSource::ServiceAccount { key, cluster } => TokenFetch {
                cluster: cluster.clone(),
                headers: vec![
                    (":method", "POST".to_owned()),
                    (":path", key.token_uri.path.clone()),
                    (":authority", key.token_uri.authority.clone()),
                    (
                        "content-type",
                        "application/x-www-form-urlencoded".to_owned(),
                    ),
                ],
                body: Some(key.grant_body(now_s).into_bytes()),
            },
        };
        self.fetching = true;
        Some(fetch)
    }

    /// As [`Tokens::fetch`], whatever the backoff: the plugin is shutting down, and this one
    /// attempt is the last chance of the rows waiting for a token.
    pub fn fetch_now(&mut self, now_ms: u64, now_s: u64) -> Option<TokenFetch> {
        self.next_fetch_ms = 0;
        self.fetch(now_ms, now_s)
    }

    /// A token endpoint answered `status` with `body`. Returns the reason when no token could
    /// be taken from it (the caller counts and logs it; the reason never quotes the body).
    pub fn fetched(&mut self, status: u16, body: &[u8], now_ms: u64) -> Result<(), String> {
        self.fetching = false;
        if status != 200 {
            return Err(self.back_off(format!("token endpoint answered HTTP {status}"), now_ms));
        }
        let parsed: TokenResponse = match serde_json::from_slice(body) {
            Ok(p) => p,
            Err(_) => {
                return Err(self.back_off(
                    "token response is not JSON with access_token and expires_in".to_owned(),
                    now_ms,
                ))
            }
        };
        let token = parsed.access_token.trim();
        if token.is_empty() || token.chars().any(|c| c.is_control() || !c.is_ascii()) {
            return Err(self.back_off(
                "token response holds an unusable access_token".to_owned(),
                now_ms,
            ));
        }
        if parsed.expires_in < MIN_TOKEN_LIFETIME_S {
            return Err(self.back_off(
                format!(
                    "token lifetime (expires_in) of {} s is below the {MIN_TOKEN_LIFETIME_S} s \
                     minimum",
                    parsed.expires_in
                ),
                now_ms,
            ));
        }
        let lifetime_ms = parsed.expires_in.saturating_mul(1000);
        let usable_ms = if lifetime_ms > 2 * REFRESH_MARGIN_MS {
            lifetime_ms - REFRESH_MARGIN_MS
        } else {
            lifetime_ms / 2
        };
        self.cached = Some(Cached {
            token: Secret::new(token.to_owned()),
            refresh_at_ms: now_ms.saturating_add(usable_ms),
        });
        self.failures = 0;
        self.next_fetch_ms = 0;
        Ok(())
    }

    /// The fetch got no answer (reset, timeout, refused dispatch).
    pub fn failed(&mut self, now_ms: u64) -> String {
        self.fetching = false;
        self.back_off("token endpoint unreachable".to_owned(), now_ms)
    }

    /// BigQuery refused the token: drop it so the next insert fetches a new one. A static token
    /// cannot be refreshed.
    pub fn invalidate(&mut self) {
        self.cached = None;
    }

    /// Whether the source can yield a new token after a `401`.
    pub fn refreshable(&self) -> bool {
        !matches!(self.source, TokenSource::Static(_))
    }

    fn back_off(&mut self, reason: String, now_ms: u64) -> String {
        let shift = self.failures.min(6);
        self.failures = self.failures.saturating_add(1);
        self.next_fetch_ms = now_ms.saturating_add((FIRST_BACKOFF_MS << shift).min(MAX_BACKOFF_MS));
        reason
    }
}

#[cfg(test)]
mod tests;
