//! The `api` section: the Envoy cluster and callout target (`authority` and `path`, whose rules
//! live in `callout_target`), the call timeout, the retry policy with its queue bounds, and the
//! batching limits, each range-checked against the API's own limits.

use super::raw::RawApi;
use super::{as_usize, callout_target, in_range, non_empty, ConfigError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// How long after its first attempt a call may still be retried; 0 turns retries off.
    pub horizon_ms: u64,
    /// Optional cap on attempts, the first included (`None`: the horizon alone decides).
    pub max_attempts: Option<u32>,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// Bounds of the per-worker queue of calls waiting to be sent, in events and in bytes of
    /// encoded events.
    pub max_queued_events: usize,
    pub max_queued_bytes: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub max_events: usize,
    /// 0 turns cross-request batching off.
    pub max_delay_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    pub cluster: String,
    pub authority: String,
    pub path: String,
    pub timeout_ms: u64,
    pub retry: Retry,
    pub batch: Batch,
    /// Held mode: how long a shared batch of held requests stays open (`api.batch.
    /// held_window_ms`); 0 sends one call per request.
    pub held_window_ms: u64,
}

/// The API's own per-request event limit.
pub const API_MAX_EVENTS: u64 = 1000;
/// Longest retry horizon accepted: a day. Beyond it a worker would hold events for most of
/// the API's 7-day window in memory that a restart loses anyway.
pub const MAX_RETRY_HORIZON_MS: u64 = 86_400_000;
/// Upper bound of `api.batch.held_window_ms`: a held request waits up to this long before its
/// batch is even sent, so a longer window would only be a misconfiguration.
pub const MAX_HELD_WINDOW_MS: u64 = 1000;

pub(super) fn api(raw: RawApi) -> Result<Api, ConfigError> {
    let path = callout_target::api_path(raw.path)?;
    let r = raw.retry;
    let initial_backoff_ms = in_range(
        "api.retry.initial_backoff_ms",
        r.initial_backoff_ms,
        1,
        3_600_000,
    )?;
    let max_backoff_ms = in_range("api.retry.max_backoff_ms", r.max_backoff_ms, 1, 3_600_000)?;
    if max_backoff_ms < initial_backoff_ms {
        return Err(ConfigError::new(
            "api.retry.max_backoff_ms",
            format!("{max_backoff_ms} is smaller than initial_backoff_ms ({initial_backoff_ms})"),
        ));
    }
    Ok(Api {
        cluster: non_empty("api.cluster", raw.cluster)?,
        authority: callout_target::api_authority(raw.authority)?,
        path,
        timeout_ms: in_range("api.timeout_ms", raw.timeout_ms, 1, 300_000)?,
        retry: Retry {
            horizon_ms: in_range(
                "api.retry.horizon_ms",
                r.horizon_ms,
                0,
                MAX_RETRY_HORIZON_MS,
            )?,
            max_attempts: match r.max_attempts {
                None => None,
                Some(n) => Some(
                    u32::try_from(in_range("api.retry.max_attempts", n, 1, 1000)?).unwrap_or(1),
                ),
            },
            initial_backoff_ms,
            max_backoff_ms,
            // A queue must hold at least one whole call (up to the API's 1,000 events).
            max_queued_events: as_usize(in_range(
                "api.retry.max_queued_events",
                r.max_queued_events,
                API_MAX_EVENTS,
                1_000_000,
            )?),
            max_queued_bytes: as_usize(in_range(
                "api.retry.max_queued_bytes",
                r.max_queued_bytes,
                1024 * 1024,
                256 * 1024 * 1024,
            )?),
        },
        batch: Batch {
            max_events: as_usize(in_range(
                "api.batch.max_events",
                raw.batch.max_events,
                1,
                API_MAX_EVENTS,
            )?),
            max_delay_ms: in_range("api.batch.max_delay_ms", raw.batch.max_delay_ms, 0, 60_000)?,
        },
        held_window_ms: in_range(
            "api.batch.held_window_ms",
            raw.batch.held_window_ms,
            0,
            MAX_HELD_WINDOW_MS,
        )?,
    })
}
