//! Validation: why an event cannot be sent, one variant per rule of the API contract.
//!
//! Each variant is one rule; its `Display` is the reason logged when the event is dropped and
//! counted in `events_invalid`, and [`Invalid::code`] its stable snake_case name (a metric
//! label). Rules that the configuration already guarantees (pixel id and
//! action source present) have no variant: an invalid config never reaches this point.

use crate::model::NameError;
use crate::observe::metrics::Counter;
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
    /// `source_url` is not an absolute http(s) URL with a host, or holds raw whitespace or
    /// control characters.
    SourceUrlNotAbsolute,
    /// `app_installed` / `app_opened` under an action source other than `mobile_app`.
    AppEventNeedsMobileApp,
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
    /// A currency that is not an active ISO 4217 code.
    CurrencyInvalid,
    /// A content item's `variant_dict` is not an object of string values.
    VariantDictNotStrings { index: usize },
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
            Invalid::SourceUrlNotAbsolute => f.write_str(
                "source_url must be an absolute http(s) URL with a host and no whitespace or control characters",
            ),
            Invalid::AppEventNeedsMobileApp => {
                f.write_str("app_installed and app_opened events need action_source mobile_app")
            }
            Invalid::TimestampNotInteger => f.write_str("timestamp_ms must be an integer"),
            Invalid::TimestampOutOfWindow { timestamp_ms, now_ms } => write!(
                f,
                "timestamp_ms {timestamp_ms} is outside [now - 7 days, now + 10 minutes], less a 60 s safety margin at each edge (now {now_ms})"
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
            Invalid::VariantDictNotStrings { index } => write!(
                f,
                "contents[{index}].variant_dict must be an object of string values"
            ),
            Invalid::CurrencyInvalid => f.write_str("currency must be an active ISO 4217 code"),
        }
    }
}

impl Invalid {
    /// The `events_invalid` series (by reason) this rule is counted in.
    pub fn counter(&self) -> Counter {
        match self {
            Invalid::MissingEventName | Invalid::EventName(_) => Counter::EventsInvalidEventName,
            Invalid::MissingId | Invalid::IdTooLong => Counter::EventsInvalidId,
            Invalid::MissingTimestamp
            | Invalid::TimestampNotInteger
            | Invalid::TimestampOutOfWindow { .. } => Counter::EventsInvalidTimestamp,
            Invalid::MissingSourceUrl | Invalid::SourceUrlNotAbsolute => {
                Counter::EventsInvalidSourceUrl
            }
            Invalid::AppEventNeedsMobileApp => Counter::EventsInvalidActionSource,
            Invalid::ContentTypeMissing { .. }
            | Invalid::ContentNotObject { .. }
            | Invalid::ContentsNotArray
            | Invalid::QuantityNotInteger { .. }
            | Invalid::VariantDictNotStrings { .. } => Counter::EventsInvalidContents,
            Invalid::AmountNotInteger { .. } => Counter::EventsInvalidAmount,
            Invalid::CurrencyMissingForAmount
            | Invalid::ItemCurrencyMissing { .. }
            | Invalid::CurrencyInvalid => Counter::EventsInvalidCurrency,
        }
    }

    /// The rule's stable snake_case name, for metric labels and log filters.
    pub fn code(&self) -> &'static str {
        match self {
            Invalid::MissingEventName => "missing_event_name",
            Invalid::EventName(_) => "invalid_event_name",
            Invalid::MissingId => "missing_id",
            Invalid::IdTooLong => "id_too_long",
            Invalid::MissingTimestamp => "missing_timestamp",
            Invalid::MissingSourceUrl => "missing_source_url",
            Invalid::SourceUrlNotAbsolute => "invalid_source_url",
            Invalid::AppEventNeedsMobileApp => "app_event_needs_mobile_app",
            Invalid::TimestampNotInteger => "timestamp_not_integer",
            Invalid::TimestampOutOfWindow { .. } => "timestamp_out_of_window",
            Invalid::ContentTypeMissing { .. } => "content_type_missing",
            Invalid::ContentNotObject { .. } => "content_not_object",
            Invalid::ContentsNotArray => "contents_not_array",
            Invalid::QuantityNotInteger { .. } => "quantity_not_integer",
            Invalid::CurrencyMissingForAmount => "currency_missing_for_amount",
            Invalid::ItemCurrencyMissing { .. } => "item_currency_missing",
            Invalid::AmountNotInteger { .. } => "amount_not_integer",
            Invalid::CurrencyInvalid => "invalid_currency",
            Invalid::VariantDictNotStrings { .. } => "variant_dict_not_strings",
        }
    }
}

/// Room kept inside both edges of the window at dispatch: the API measures the window when the
/// event arrives, and clock skew between this host and the API, plus the time a call spends in
/// flight or in a queue, must not push an edge event out (and fail its whole batch).
pub const WINDOW_MARGIN_MS: u64 = 60_000;

/// The dispatch-time window check: the API measures the window when it receives the event, so
/// an event is sent only while it is at least [`WINDOW_MARGIN_MS`] inside both edges.
pub fn check_window(timestamp_ms: u64, now_ms: u64) -> Result<(), Invalid> {
    let too_old = timestamp_ms.saturating_add(MAX_AGE_MS - WINDOW_MARGIN_MS) < now_ms;
    let too_new = timestamp_ms > now_ms.saturating_add(MAX_FUTURE_MS - WINDOW_MARGIN_MS);
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
mod tests;
