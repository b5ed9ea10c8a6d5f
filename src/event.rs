//! Event data: the seam between ingest and tag logic.
//!
//! Every ingest format (GA4 hits, Measurement Protocol, Data-Client JSON) produces *event data*,
//! the JSON object server-side GTM calls "common event data" (`event_name`, `page_location`,
//! `client_id`, `user_data.*`, `items[]`, `x-ga-*`, …). The tag logic reads only this object plus
//! the request facts, which is what makes it testable without Envoy. This module owns that
//! object's representation ([`EventData`], a flat list of top-level keys) and the read helpers:
//! dotted-path lookup and the non-empty text rule the tag uses everywhere.

use serde_json::{Map, Value};
use std::borrow::Cow;

/// One event's data, keyed as in sGTM's common event data: the top-level keys in the order they
/// were first written, each with its JSON value (nested objects stay `serde_json` maps).
///
/// A flat list rather than a `BTreeMap<String, Value>`: an event has a few dozen top-level
/// keys, built once, read a few dozen times and dropped, and most keys are fixed names
/// (`event_name`, `page_location`, …) kept as `&'static str` without an allocation. A lookup
/// compares lengths first and bytes only for a key of the same length, which for this size
/// is cheaper than a tree's chain of string comparisons, and nothing is rebalanced or freed
/// node by node. Keys are unique: every writer checks for the key first.
#[derive(Debug, Clone, Default)]
pub struct EventData {
    entries: Vec<(Key, Value)>,
}

/// A top-level key: a fixed name, or one built from a parameter name.
pub type Key = Cow<'static, str>;

/// What indexing a missing key yields, as indexing a missing key of a `Value` does.
static NULL: Value = Value::Null;

impl EventData {
    pub fn new() -> EventData {
        EventData::default()
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k.as_ref() == key)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key` to `value`, returning the value it replaces (it keeps its place).
    pub fn insert(&mut self, key: impl Into<Key>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// Sets `key` to `value` unless it already holds one; `false` (and `value` dropped) then.
    pub fn insert_if_absent(&mut self, key: impl Into<Key>, value: Value) -> bool {
        let key = key.into();
        if self.contains_key(&key) {
            return false;
        }
        self.entries.push((key, value));
        true
    }

    /// The value at `key`, first set to `make()` when the key is absent. (Always `Some`; an
    /// `Option` only because the slot is found by index.)
    pub fn get_or_insert_with(
        &mut self,
        key: &str,
        make: impl FnOnce() -> Value,
    ) -> Option<&mut Value> {
        let at = match self.position(key) {
            Some(at) => at,
            None => {
                self.entries.push((Cow::Owned(key.to_owned()), make()));
                self.entries.len().checked_sub(1)?
            }
        };
        self.entries.get_mut(at).map(|(_, value)| value)
    }

    /// Removes `key`, returning its value; the other keys keep their order.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let at = self.position(key)?;
        Some(self.entries.remove(at).1)
    }

    /// Keeps only the keys for which `keep` says so.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// The keys, in the order they were first written.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_ref())
    }

    /// The keys and values, in the order the keys were first written.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Equal when they hold the same keys with equal values, in any order (as maps compare).
impl PartialEq for EventData {
    fn eq(&self, other: &EventData) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

/// `event["key"]`: the value, or `null` for a missing key.
impl std::ops::Index<&str> for EventData {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

impl<'a> IntoIterator for &'a EventData {
    type Item = (&'a str, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Key, Value)>,
        fn(&'a (Key, Value)) -> (&'a str, &'a Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

/// The event data of a JSON object (a Data-Client body, a test literal).
impl From<Map<String, Value>> for EventData {
    fn from(map: Map<String, Value>) -> EventData {
        EventData {
            entries: map.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect(),
        }
    }
}

/// The event data as a JSON object.
impl From<EventData> for Value {
    fn from(event: EventData) -> Value {
        Value::Object(
            event
                .entries
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v))
                .collect(),
        )
    }
}

/// Writes every pair, a later value replacing an earlier one (as `Map::extend` does).
impl Extend<(String, Value)> for EventData {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, pairs: I) {
        for (key, value) in pairs {
            self.insert(key, value);
        }
    }
}

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
mod tests;
