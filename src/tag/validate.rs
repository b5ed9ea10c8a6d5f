//! Validation: why an event cannot be sent.
//!
//! Each variant is one rule; its `Display` is the reason logged when the event is dropped and
//! counted in `events_invalid`. Rules that the configuration already guarantees (pixel id and
//! action source present) have no variant: an invalid config never reaches this point.

use crate::tag::event_name::NameError;
use std::fmt;

/// Window the API accepts for `timestamp_ms`, relative to the time it receives the event.
pub const MAX_AGE_MS: u64 = 7 * 24 * 3600 * 1000;
pub const MAX_FUTURE_MS: u64 = 10 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// No `event_name` when the setup inherits it.
    MissingEventName,
    /// The inherited name breaks the custom-name rule.
    EventName(NameError),
    /// No `id` from automap or override, and no fallback generated.
    MissingId,
    /// An `id` longer than we send (cutting it could make two events collide).
    IdTooLong,
    /// No `timestamp_ms`: server-event automap off and no override.
    MissingTimestamp,
    /// `action_source` is `web` but there is no `source_url`.
    MissingSourceUrl,
    /// `source_url` is not an absolute http(s) URL.
    SourceUrlNotAbsolute,
    /// `timestamp_ms` override did not resolve to a non-negative integer.
    TimestampNotInteger,
    /// `timestamp_ms` is older than 7 days or more than 10 minutes ahead at dispatch.
    TimestampOutOfWindow { timestamp_ms: u64, now_ms: u64 },
    /// A content item has no non-empty string `content_type`.
    ContentTypeMissing { index: usize },
    /// A content item is not an object (manual `contents` override).
    ContentNotObject { index: usize },
    /// The `contents` override is not an array.
    ContentsNotArray,
    /// A content item's `quantity` is not an integer.
    QuantityNotInteger { index: usize },
    /// `data.amount` is set without `data.currency`.
    CurrencyMissingForAmount,
    /// A content item has an `amount` but neither it nor the event has a currency.
    ItemCurrencyMissing { index: usize },
    /// An amount that is not an integer in minor units (or not convertible to one).
    AmountNotInteger { field: &'static str },
    /// A currency that is not three ASCII letters.
    CurrencyInvalid,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::MissingEventName => f.write_str("event name is required"),
            Invalid::EventName(e) => write!(f, "invalid event name: {e}"),
            Invalid::MissingId => f.write_str("event id is required"),
            Invalid::IdTooLong => f.write_str("event id is longer than 512 characters"),
            Invalid::MissingTimestamp => f.write_str("timestamp_ms is required"),
            Invalid::MissingSourceUrl => {
                f.write_str("source_url is required when action_source is web")
            }
            Invalid::SourceUrlNotAbsolute => {
                f.write_str("source_url must be an absolute http(s) URL with a host")
            }
            Invalid::TimestampNotInteger => f.write_str("timestamp_ms must be an integer"),
            Invalid::TimestampOutOfWindow { timestamp_ms, now_ms } => write!(
                f,
                "timestamp_ms {timestamp_ms} is outside [now - 7 days, now + 10 minutes] (now {now_ms})"
            ),
            Invalid::ContentTypeMissing { index } => {
                write!(f, "contents[{index}] must have content_type as a non-empty string")
            }
            Invalid::ContentNotObject { index } => write!(f, "contents[{index}] is not an object"),
            Invalid::ContentsNotArray => f.write_str("contents must be an array of objects"),
            Invalid::QuantityNotInteger { index } => {
                write!(f, "contents[{index}].quantity must be an integer")
            }
            Invalid::CurrencyMissingForAmount => f.write_str("currency must be set when amount is set"),
            Invalid::ItemCurrencyMissing { index } => write!(
                f,
                "contents[{index}] has an amount but no currency at event or item level"
            ),
            Invalid::AmountNotInteger { field } => {
                write!(f, "{field} must be an integer amount in minor units")
            }
            Invalid::CurrencyInvalid => f.write_str("currency must be a 3-letter ISO 4217 code"),
        }
    }
}

/// The dispatch-time window check: the API measures the window when it receives the event.
pub fn check_window(timestamp_ms: u64, now_ms: u64) -> Result<(), Invalid> {
    let too_old = timestamp_ms.saturating_add(MAX_AGE_MS) < now_ms;
    let too_new = timestamp_ms > now_ms.saturating_add(MAX_FUTURE_MS);
    if too_old || too_new {
        Err(Invalid::TimestampOutOfWindow {
            timestamp_ms,
            now_ms,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_seven_days_back_and_ten_minutes_ahead() {
        let now = 1_800_000_000_000;
        assert!(check_window(now, now).is_ok());
        assert!(check_window(now - MAX_AGE_MS, now).is_ok());
        assert!(check_window(now - MAX_AGE_MS - 1, now).is_err());
        assert!(check_window(now + MAX_FUTURE_MS, now).is_ok());
        assert!(check_window(now + MAX_FUTURE_MS + 1, now).is_err());
        assert!(check_window(0, now).is_err());
    }
}
