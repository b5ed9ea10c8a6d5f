//! Event data: the seam between ingest and tag logic.
//!
//! Every ingest format (GA4 hits, Measurement Protocol, Data-Client JSON) produces *event data*,
//! the JSON object server-side GTM calls "common event data" (`event_name`, `page_location`,
//! `client_id`, `user_data.*`, `items[]`, `x-ga-*`, …). The tag logic reads only this object plus
//! the request facts, which is what makes it testable without Envoy. This module owns the
//! read helpers: dotted-path lookup and the non-empty text rule the tag uses everywhere.

use serde_json::{Map, Value};
use std::borrow::Cow;

/// One event's data, keyed as in sGTM's common event data.
pub type EventData = Map<String, Value>;

/// The value at a dotted path such as `user_data.address.city` or `items.0.price`.
/// Numeric segments index arrays. Keys that themselves contain dots (`x-ga-mp2-…` never do,
/// but `common_cookie.__oppref` is a path) are looked up segment by segment.
pub fn lookup<'a>(data: &'a EventData, path: &str) -> Option<&'a Value> {
    let (first, rest) = split_segment(path);
    let current = data.get(first)?;
    match rest {
        Some(rest) => lookup_below(current, rest),
        None => Some(current),
    }
}

/// [`lookup`] of a dotted path below `value` (`address.0.city` below `user_data`), for callers
/// that look up several paths below the same value.
pub fn lookup_below<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = value;
    let mut rest = Some(path);
    while let Some(path) = rest {
        let (segment, next) = split_segment(path);
        current = step(current, segment)?;
        rest = next;
    }
    Some(current)
}

/// The first segment of a dotted path and the rest after its dot, as `str::split('.')` would cut
/// it (a byte search: the tag looks up dozens of short paths per event, most without a dot).
fn split_segment(path: &str) -> (&str, Option<&str>) {
    match path.bytes().position(|b| b == b'.') {
        // A dot is ASCII, so both cuts are character boundaries.
        Some(at) => (path.get(..at).unwrap_or(path), path.get(at + 1..)),
        None => (path, None),
    }
}

/// One step of a path below a value: an object key, or an array index.
pub fn step<'a>(value: &'a Value, segment: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map.get(segment),
        Value::Array(list) => list.get(segment.parse::<usize>().ok()?),
        _ => None,
    }
}

/// `text.trim()`, with the common case (a printable ASCII character at both ends, so nothing to
/// trim) answered from the two end bytes: `str::trim` decodes both ends through a generic
/// character search, and the tag trims dozens of values per event.
pub fn trim(text: &str) -> &str {
    let plain = |b: Option<&u8>| b.is_some_and(|b| (b'!'..=b'~').contains(b));
    if plain(text.as_bytes().first()) && plain(text.as_bytes().last()) {
        text
    } else {
        text.trim()
    }
}

/// The text of a scalar, if it is non-empty: strings as they are, numbers in their JSON form,
/// booleans as `true`/`false`. An array yields the text of its first element (sGTM event data
/// carries both `"a@b.c"` and `["a@b.c"]` for the same field). Objects and `null` yield nothing.
pub fn text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) if !s.is_empty() => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Array(list) => list.first().and_then(text),
        _ => None,
    }
}

/// Text at a single path (see [`text`]).
pub fn text_at<'a>(data: &'a EventData, path: &str) -> Option<Cow<'a, str>> {
    lookup(data, path).and_then(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::event as data;
    use serde_json::json;

    #[test]
    fn lookup_walks_objects_and_arrays() {
        let d =
            data(json!({"user_data": {"address": [{"city": "Oslo"}]}, "items": [{"price": 1.5}]}));
        assert_eq!(lookup(&d, "user_data.address.0.city"), Some(&json!("Oslo")));
        assert_eq!(lookup(&d, "items.0.price"), Some(&json!(1.5)));
        assert_eq!(lookup(&d, "items.1.price"), None);
        assert_eq!(lookup(&d, "user_data.nope"), None);
        assert_eq!(lookup(&d, "user_data."), None);
        assert_eq!(lookup(&d, "user_data"), d.get("user_data"));
        let address = json!({"address": {"": 1}});
        assert_eq!(lookup_below(&address, "address."), Some(&json!(1)));
        assert_eq!(lookup_below(&address, ""), None);
    }

    #[test]
    fn trim_is_str_trim() {
        for t in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{a0}a",
            "a\u{2003}",
            "\u{b}x\u{b}",
            "é",
            "!~",
            "a b",
        ] {
            assert_eq!(trim(t), t.trim(), "{t:?}");
        }
    }

    #[test]
    fn text_of_scalars_and_first_array_element() {
        assert_eq!(text(&json!("a")).as_deref(), Some("a"));
        assert_eq!(text(&json!("")), None);
        assert_eq!(text(&json!(12.5)).as_deref(), Some("12.5"));
        assert_eq!(text(&json!(true)).as_deref(), Some("true"));
        assert_eq!(text(&json!(["x@y.z", "b"])).as_deref(), Some("x@y.z"));
        assert_eq!(text(&json!({"a": 1})), None);
        assert_eq!(text(&Value::Null), None);
    }
}
