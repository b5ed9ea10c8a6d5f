//! Event values: JSON values whose strings may borrow from the request.
//!
//! An event's text mostly comes straight from the hit (`dl=…`, `pr1=idSKU~nm…`), lives for one
//! event and is then dropped. [`Value`] is the JSON value of event data with strings that are
//! either borrowed from the request (`Cow::Borrowed`, no allocation) or owned where decoding
//! changed them (a percent-escape, a JSON escape). Objects are [`Map`]s: small lists of keys in
//! write order, whose fixed keys (`item_id`, `city`, …) are `&'static str` and cost nothing.
//! The API follows `serde_json::Value` (`as_str`, `as_object`, `get`, …) so the tag reads it the
//! same way, and a JSON value converts into it (and back) for the JSON formats and tests.

use serde_json::Number;
use std::borrow::Cow;

/// A JSON value of event data; `'a` is the request whose text its strings may borrow.
#[derive(Debug, Clone, Default)]
pub enum Value<'a> {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Map<'a>),
}

/// A JSON object of event data: keys unique, in the order they were first written.
///
/// A list rather than a tree: event objects have a handful of keys (an item, an address), are
/// built once, read a few times and dropped. A lookup compares lengths first and bytes only
/// for a key of the same length, nothing is rebalanced, and the whole object is one block.
///
/// Most lookups are for keys the event does not have (the tag tries `event_id`, `eventId`,
/// `timestamp_micros`, a dozen user-data spellings …), and `insert` looks for each new key
/// first. `lengths` has bit `len % 32` set for each key ever written, so a key whose length no
/// key has is known absent without walking the list.
#[derive(Debug, Clone, Default)]
pub struct Map<'a> {
    entries: Vec<(Cow<'a, str>, Value<'a>)>,
    lengths: u32,
}

/// The bit of [`Map::lengths`] for a key of `len` bytes.
fn length_bit(len: usize) -> u32 {
    1 << (len % 32)
}

/// What indexing a missing key yields, as indexing a missing key of a `Value` does.
static NULL: Value<'static> = Value::Null;

impl<'a> Value<'a> {
    /// A string value borrowed from the request (or any text that outlives the event).
    pub fn text(text: &'a str) -> Value<'a> {
        Value::String(Cow::Borrowed(text))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_))
    }

    pub fn is_u64(&self) -> bool {
        matches!(self, Value::Number(n) if n.is_u64())
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Value<'a>>> {
        match self {
            Value::Array(list) => Some(list),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Map<'a>> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut Map<'a>> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// The value at `key` of an object; `None` for a missing key or a value that is not one.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.as_object()?.get(key)
    }

    /// Takes the value out, leaving `null`.
    pub fn take(&mut self) -> Value<'a> {
        std::mem::take(self)
    }

    /// The same value owning all of its text: for values kept beyond the request.
    pub fn into_static(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Number(n) => Value::Number(n),
            Value::String(s) => Value::String(Cow::Owned(s.into_owned())),
            Value::Array(list) => Value::Array(list.into_iter().map(Value::into_static).collect()),
            Value::Object(map) => Value::Object(map.into_static()),
        }
    }
}

impl<'a> Map<'a> {
    pub fn new() -> Map<'a> {
        Map::default()
    }

    pub fn with_capacity(keys: usize) -> Map<'a> {
        Map {
            entries: Vec::with_capacity(keys),
            ..Map::default()
        }
    }

    /// Whether a key of this length may be present (see `lengths`).
    fn may_hold(&self, key: &str) -> bool {
        self.lengths & length_bit(key.len()) != 0
    }

    /// Appends a key known to be absent.
    fn push(&mut self, key: Cow<'a, str>, value: Value<'a>) {
        self.lengths |= length_bit(key.len());
        self.entries.push((key, value));
    }

    fn position(&self, key: &str) -> Option<usize> {
        if !self.may_hold(key) {
            return None;
        }
        self.entries.iter().position(|(k, _)| k.as_ref() == key)
    }

    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        if !self.may_hold(key) {
            return None;
        }
        self.entries
            .iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value<'a>> {
        if !self.may_hold(key) {
            return None;
        }
        self.entries
            .iter_mut()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key` to `value`, returning the value it replaces (it keeps its place).
    pub fn insert(&mut self, key: impl Into<Cow<'a, str>>, value: Value<'a>) -> Option<Value<'a>> {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => {
                self.push(key, value);
                None
            }
        }
    }

    /// Sets `key` to `value` unless it already holds one; `false` (and `value` dropped) then.
    pub fn insert_if_absent(&mut self, key: impl Into<Cow<'a, str>>, value: Value<'a>) -> bool {
        let key = key.into();
        if self.contains_key(&key) {
            return false;
        }
        self.push(key, value);
        true
    }

    /// Appends `key`, which the caller knows is not in the map yet: a writer of keys that are
    /// distinct by construction need not look for each one first. (Checked in debug builds,
    /// so the tests and fuzzers hold the caller to it.)
    pub fn push_distinct(&mut self, key: impl Into<Cow<'a, str>>, value: Value<'a>) {
        let key = key.into();
        debug_assert!(!self.contains_key(&key), "key {key:?} written twice");
        self.push(key, value);
    }

    /// The value at `key`, first set to `make()` when the key is absent. (Always `Some`; an
    /// `Option` only because the slot is found by index.)
    pub fn get_or_insert_with(
        &mut self,
        key: impl Into<Cow<'a, str>>,
        make: impl FnOnce() -> Value<'a>,
    ) -> Option<&mut Value<'a>> {
        let key = key.into();
        let at = match self.position(&key) {
            Some(at) => at,
            None => {
                self.push(key, make());
                self.entries.len().checked_sub(1)?
            }
        };
        self.entries.get_mut(at).map(|(_, value)| value)
    }

    /// Removes `key`, returning its value; the other keys keep their order.
    pub fn remove(&mut self, key: &str) -> Option<Value<'a>> {
        let at = self.position(key)?;
        Some(self.entries.remove(at).1)
    }

    /// Keeps only the keys for which `keep` says so.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Value<'a>) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// The keys, in the order they were first written.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_ref())
    }

    /// The values, in the order their keys were first written.
    pub fn values(&self) -> impl Iterator<Item = &Value<'a>> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The keys and values, in the order the keys were first written.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value<'a>)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn into_static(self) -> Map<'static> {
        Map {
            entries: self
                .entries
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_static()))
                .collect(),
            lengths: self.lengths,
        }
    }
}

impl<'a> IntoIterator for Map<'a> {
    type Item = (Cow<'a, str>, Value<'a>);
    type IntoIter = std::vec::IntoIter<(Cow<'a, str>, Value<'a>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'e, 'a> IntoIterator for &'e Map<'a> {
    type Item = (&'e str, &'e Value<'a>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'e, (Cow<'a, str>, Value<'a>)>,
        fn(&'e (Cow<'a, str>, Value<'a>)) -> (&'e str, &'e Value<'a>),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

impl<'a> FromIterator<(Cow<'a, str>, Value<'a>)> for Map<'a> {
    /// Later pairs replace earlier ones of the same key (as `serde_json::Map` collects).
    fn from_iter<I: IntoIterator<Item = (Cow<'a, str>, Value<'a>)>>(pairs: I) -> Map<'a> {
        let mut map = Map::new();
        for (key, value) in pairs {
            map.insert(key, value);
        }
        map
    }
}

/// Equal when they hold the same keys with equal values, in any order (as JSON objects compare).
impl PartialEq for Map<'_> {
    fn eq(&self, other: &Map<'_>) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl PartialEq for Value<'_> {
    fn eq(&self, other: &Value<'_>) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

/// The value as JSON text (for error messages about configured literals).
impl std::fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| std::fmt::Error)?;
        f.write_str(&text)
    }
}

/// Serialised as the JSON it stands for.
impl serde::Serialize for Value<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => serde::Serialize::serialize(n, serializer),
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(list) => serializer.collect_seq(list),
            Value::Object(map) => serializer.collect_map(map.iter()),
        }
    }
}

/// `value["key"]`: the value at an object's key, or `null`.
impl<'a> std::ops::Index<&str> for Value<'a> {
    type Output = Value<'a>;

    fn index(&self, key: &str) -> &Value<'a> {
        self.get(key).unwrap_or(&NULL)
    }
}

/// `value[i]`: the element at an array's index, or `null`.
impl<'a> std::ops::Index<usize> for Value<'a> {
    type Output = Value<'a>;

    fn index(&self, index: usize) -> &Value<'a> {
        self.as_array()
            .and_then(|list| list.get(index))
            .unwrap_or(&NULL)
    }
}

/// A JSON value as event data (a Data-Client or MP body, a configured literal, a test literal):
/// its strings move over, nothing is copied.
impl From<serde_json::Value> for Value<'static> {
    fn from(value: serde_json::Value) -> Value<'static> {
        match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(Cow::Owned(s)),
            serde_json::Value::Array(list) => {
                Value::Array(list.into_iter().map(Value::from).collect())
            }
            serde_json::Value::Object(map) => Value::Object(Map::from(map)),
        }
    }
}

impl From<serde_json::Map<String, serde_json::Value>> for Map<'static> {
    fn from(map: serde_json::Map<String, serde_json::Value>) -> Map<'static> {
        let mut object = Map::new();
        // The keys of a JSON object are unique already.
        for (key, value) in map {
            object.push(Cow::Owned(key), Value::from(value));
        }
        object
    }
}

/// The value as JSON (for tools and tests that compare event data with JSON).
impl From<Value<'_>> for serde_json::Value {
    fn from(value: Value<'_>) -> serde_json::Value {
        match value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(b),
            Value::Number(n) => serde_json::Value::Number(n),
            Value::String(s) => serde_json::Value::String(s.into_owned()),
            Value::Array(list) => {
                serde_json::Value::Array(list.into_iter().map(serde_json::Value::from).collect())
            }
            Value::Object(map) => serde_json::Value::Object(map.into()),
        }
    }
}

impl From<Map<'_>> for serde_json::Map<String, serde_json::Value> {
    fn from(map: Map<'_>) -> serde_json::Map<String, serde_json::Value> {
        map.entries
            .into_iter()
            .map(|(k, v)| (k.into_owned(), serde_json::Value::from(v)))
            .collect()
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(text: &'a str) -> Value<'a> {
        Value::text(text)
    }
}

impl From<String> for Value<'_> {
    fn from(text: String) -> Self {
        Value::String(Cow::Owned(text))
    }
}

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// Compared with a JSON value as if converted to one (tests compare event data with `json!`).
impl PartialEq<serde_json::Value> for Value<'_> {
    fn eq(&self, other: &serde_json::Value) -> bool {
        match (self, other) {
            (Value::Null, serde_json::Value::Null) => true,
            (Value::Bool(a), serde_json::Value::Bool(b)) => a == b,
            (Value::Number(a), serde_json::Value::Number(b)) => a == b,
            (Value::String(a), serde_json::Value::String(b)) => a == b,
            (Value::Array(a), serde_json::Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a == b)
            }
            (Value::Object(a), serde_json::Value::Object(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v == w))
            }
            _ => false,
        }
    }
}

impl PartialEq<Value<'_>> for serde_json::Value {
    fn eq(&self, other: &Value<'_>) -> bool {
        other == self
    }
}

#[cfg(test)]
mod tests;
