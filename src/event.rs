//! Event data: the seam between ingest and tag logic.
//!
//! Every ingest format (GA4 hits, Measurement Protocol, Data-Client JSON) produces *event data*,
//! the JSON object server-side GTM calls "common event data" (`event_name`, `page_location`,
//! `client_id`, `user_data.*`, `items[]`, `x-ga-*`, …). The tag logic reads only this object plus
//! the request facts, which is what makes it testable without Envoy. This module owns that
//! object's representation ([`EventData`], a flat list of top-level keys) and the read helpers:
//! dotted-path lookup and the non-empty text rule the tag uses everywhere.

mod value;

pub use value::{Map, Value};

use std::borrow::Cow;

/// One event's data, keyed as in sGTM's common event data: the top-level keys in the order they
/// were first written, each with its value. `'a` is the request its text borrows from.
///
/// A flat list rather than a tree (see [`Map`]): an event has a few dozen top-level keys,
/// built once, read a few dozen times and dropped, and most keys are fixed names
/// (`event_name`, `page_location`, …) kept as `&'static str` without an allocation, while the
/// values of a GA4 hit borrow the hit's own text. Keys are unique: every writer checks for the
/// key first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventData<'a> {
    entries: Map<'a>,
}

/// A top-level key: a fixed name, or one built from (or borrowed from) a parameter name.
pub type Key<'a> = Cow<'a, str>;

impl<'a> EventData<'a> {
    pub fn new() -> EventData<'a> {
        EventData::default()
    }

    pub fn with_capacity(keys: usize) -> EventData<'a> {
        EventData {
            entries: Map::with_capacity(keys),
        }
    }

    /// The same event owning all of its text.
    pub fn into_static(self) -> EventData<'static> {
        match Value::Object(self.entries).into_static() {
            Value::Object(entries) => EventData { entries },
            _ => EventData::default(),
        }
    }
}

/// The top level is a [`Map`]: `get`, `insert_if_absent`, `iter`, … as on any object.
impl<'a> std::ops::Deref for EventData<'a> {
    type Target = Map<'a>;

    fn deref(&self) -> &Map<'a> {
        &self.entries
    }
}

impl std::ops::DerefMut for EventData<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.entries
    }
}

/// `event["key"]`: the value, or `null` for a missing key.
impl<'a> std::ops::Index<&str> for EventData<'a> {
    type Output = Value<'a>;

    fn index(&self, key: &str) -> &Value<'a> {
        static NULL: Value<'static> = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

impl<'e, 'a> IntoIterator for &'e EventData<'a> {
    type Item = (&'e str, &'e Value<'a>);
    type IntoIter = <&'e Map<'a> as IntoIterator>::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        (&self.entries).into_iter()
    }
}

/// The event data of a JSON object (a Data-Client body, a test literal).
impl From<serde_json::Map<String, serde_json::Value>> for EventData<'static> {
    fn from(map: serde_json::Map<String, serde_json::Value>) -> EventData<'static> {
        EventData {
            entries: Map::from(map),
        }
    }
}

/// The event data of an object of event values.
impl<'a> From<Map<'a>> for EventData<'a> {
    fn from(entries: Map<'a>) -> EventData<'a> {
        EventData { entries }
    }
}

/// The event data as a JSON object.
impl From<EventData<'_>> for serde_json::Value {
    fn from(event: EventData<'_>) -> serde_json::Value {
        serde_json::Value::Object(event.entries.into())
    }
}

/// The event data as an object value.
impl<'a> From<EventData<'a>> for Value<'a> {
    fn from(event: EventData<'a>) -> Value<'a> {
        Value::Object(event.entries)
    }
}

/// Writes every pair, a later value replacing an earlier one (as `Map::extend` does).
impl<'a> Extend<(String, Value<'a>)> for EventData<'a> {
    fn extend<I: IntoIterator<Item = (String, Value<'a>)>>(&mut self, pairs: I) {
        for (key, value) in pairs {
            self.insert(key, value);
        }
    }
}

/// The value at a dotted path such as `user_data.address.city` or `items.0.price`.
/// Numeric segments index arrays. Keys that themselves contain dots (`x-ga-mp2-…` never do,
/// but `common_cookie.__oppref` is a path) are looked up segment by segment.
pub fn lookup<'e, 'a>(data: &'e EventData<'a>, path: &str) -> Option<&'e Value<'a>> {
    let (first, rest) = split_segment(path);
    let current = data.get(first)?;
    match rest {
        Some(rest) => lookup_below(current, rest),
        None => Some(current),
    }
}

/// [`lookup`] of a dotted path below `value` (`address.0.city` below `user_data`), for callers
/// that look up several paths below the same value.
pub fn lookup_below<'e, 'a>(value: &'e Value<'a>, path: &str) -> Option<&'e Value<'a>> {
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
pub fn step<'e, 'a>(value: &'e Value<'a>, segment: &str) -> Option<&'e Value<'a>> {
    match value {
        Value::Object(map) => map.get(segment),
        Value::Array(list) => list.get(segment.parse::<usize>().ok()?),
        _ => None,
    }
}

/// Whether `text` has at most `max` characters (the limits on ids and click references count
/// characters). Bytes first: no more bytes than `max` means no more characters either, and
/// counting characters is a scan of its own (several instructions a byte in wasm).
pub fn at_most_chars(text: &str, max: usize) -> bool {
    text.len() <= max || text.chars().count() <= max
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
pub fn text<'e>(value: &'e Value<'_>) -> Option<Cow<'e, str>> {
    match value {
        Value::String(s) if !s.is_empty() => Some(Cow::Borrowed(s.as_ref())),
        Value::Number(n) => Some(Cow::Owned(number_text(n))),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Array(list) => list.first().and_then(text),
        _ => None,
    }
}

/// A number's JSON text, as its `Display` writes it. Integers are written straight into a
/// string of their size: every event without an `event_id` reads `_p` and `_s` as text for its
/// fallback id, and `Display` through `to_string` grew an empty string twice for each.
fn number_text(n: &serde_json::Number) -> String {
    let mut digits = itoa::Buffer::new();
    if let Some(u) = n.as_u64() {
        digits.format(u).to_owned()
    } else if let Some(i) = n.as_i64() {
        digits.format(i).to_owned()
    } else {
        n.to_string()
    }
}

/// Text at a single path (see [`text`]).
pub fn text_at<'e>(data: &'e EventData<'_>, path: &str) -> Option<Cow<'e, str>> {
    lookup(data, path).and_then(text)
}

#[cfg(test)]
mod tests;
