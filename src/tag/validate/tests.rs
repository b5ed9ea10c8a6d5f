use super::*;

#[test]
fn window_is_seven_days_back_and_ten_minutes_ahead_less_the_margin() {
    let now = 1_800_000_000_000;
    let back = MAX_AGE_MS - WINDOW_MARGIN_MS;
    let ahead = MAX_FUTURE_MS - WINDOW_MARGIN_MS;
    assert!(check_window(now, now).is_ok());
    assert!(check_window(now - back, now).is_ok());
    assert!(check_window(now - back - 1, now).is_err());
    assert!(check_window(now + ahead, now).is_ok());
    assert!(check_window(now + ahead + 1, now).is_err());
    assert!(check_window(0, now).is_err());
}

#[test]
fn each_rule_counts_under_its_reason() {
    assert_eq!(
        Invalid::MissingSourceUrl.counter(),
        Counter::EventsInvalidSourceUrl
    );
    assert_eq!(
        Invalid::TimestampOutOfWindow {
            timestamp_ms: 0,
            now_ms: 1
        }
        .counter(),
        Counter::EventsInvalidTimestamp
    );
    assert_eq!(
        Invalid::QuantityNotInteger { index: 0 }.counter(),
        Counter::EventsInvalidContents
    );
    assert_eq!(
        Invalid::CurrencyInvalid.counter(),
        Counter::EventsInvalidCurrency
    );
    assert_eq!(Invalid::MissingId.counter(), Counter::EventsInvalidId);
}

#[test]
fn window_margin_keeps_edge_events_out() {
    let now = 1_800_000_000_000;
    assert_eq!(WINDOW_MARGIN_MS, 60_000);
    // 30 s before the API's own edges: the API would still take them on receipt, but skew
    // or queueing could push them out, so they are not sent.
    assert!(check_window(now - MAX_AGE_MS + 30_000, now).is_err());
    assert!(check_window(now + MAX_FUTURE_MS - 30_000, now).is_err());
    assert!(check_window(now - MAX_AGE_MS + 61_000, now).is_ok());
    assert!(check_window(now + MAX_FUTURE_MS - 61_000, now).is_ok());
}

#[test]
fn every_rule_has_a_distinct_snake_case_code() {
    let all = [
        Invalid::MissingEventName,
        Invalid::MissingId,
        Invalid::IdTooLong,
        Invalid::MissingTimestamp,
        Invalid::MissingSourceUrl,
        Invalid::SourceUrlNotAbsolute,
        Invalid::AppEventNeedsMobileApp,
        Invalid::TimestampNotInteger,
        Invalid::TimestampOutOfWindow {
            timestamp_ms: 0,
            now_ms: 0,
        },
        Invalid::ContentTypeMissing { index: 0 },
        Invalid::ContentNotObject { index: 0 },
        Invalid::ContentsNotArray,
        Invalid::QuantityNotInteger { index: 0 },
        Invalid::CurrencyMissingForAmount,
        Invalid::ItemCurrencyMissing { index: 0 },
        Invalid::AmountNotInteger { field: "amount" },
        Invalid::CurrencyInvalid,
        Invalid::VariantDictNotStrings { index: 0 },
    ];
    let mut codes: Vec<&str> = all.iter().map(Invalid::code).collect();
    assert!(codes
        .iter()
        .all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
}
