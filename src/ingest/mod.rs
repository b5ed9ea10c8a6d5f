//! Ingest: one collection request (facts + bounded body) → GTM-style event data, one event at
//! a time.
//!
//! This module owns the interface the orchestrator calls ([`ingest_each`], which hands each
//! event on as soon as it is built), the limits every format shares ([`Limits`], and the work
//! [`Budget`] of a request), and the helpers that keep output bounded and typed the same way in
//! every format: the per-request event cap, the per-value byte cap, the cap on reasons and
//! notes, number parsing, and the dotted-path writer that turns `user_data.address.city` into
//! nested objects. The wire formats live in their
//! own modules: [`form`] (strict `k=v&…` decoding), `ga4` (+ `ga4_items`, `ga4_em`, `ga4_loader`),
//! `mp` and `data`. Nothing here panics on any input, and no reason or note ever carries a raw
//! parameter value (only parameter names), so they are safe to log at debug level.

pub mod budget;
mod data;
mod form;
mod ga4;
mod ga4_em;
mod ga4_items;
mod ga4_loader;
mod mp;
mod scan;

pub use budget::{Budget, Resource};

use crate::config::Format;
use crate::event::{EventData, Key, Map, Value};
use crate::request::RequestFacts;
use serde_json::Number;

/// Default most items kept per event (GA4 allows `pr1` … `pr200`).
pub const DEFAULT_MAX_ITEMS: usize = 200;
/// Default longest single value kept, in bytes.
pub const DEFAULT_MAX_VALUE_BYTES: usize = 8192;
/// Longest parameter name accepted; longer names are garbage, not GA4 parameters.
const MAX_NAME_BYTES: usize = 256;
/// Longest parameter name quoted in a note or reason.
const MAX_QUOTED_NAME_CHARS: usize = 64;

/// Bounds applied while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Events beyond this count are rejected, one [`Rejection`] each.
    pub max_events_per_request: usize,
    /// Items beyond this count are cut (with a note).
    pub max_items: usize,
    /// Values longer than this are dropped (with a note).
    pub max_value_bytes: usize,
    /// Data-Client requests: whether an IP and User-Agent in the request's own data beat the
    /// peer's (`collect.trust_client_ip_and_user_agent`).
    pub trust_client_ip_and_user_agent: bool,
}

impl Limits {
    pub fn new(max_events_per_request: usize) -> Limits {
        Limits {
            max_events_per_request,
            max_items: DEFAULT_MAX_ITEMS,
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
            trust_client_ip_and_user_agent: false,
        }
    }
}

/// Most rejection reasons and notes kept per request for the debug log; later ones are only
/// counted (a flood of bad lines must not become a flood of strings).
pub const MAX_REPORTED: usize = 32;

/// What the intake of one collection request dropped, for counting and the debug log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Events handed on.
    pub accepted: usize,
    /// Events or lines dropped.
    pub rejected: usize,
    /// Why, for the first [`MAX_REPORTED`] of them. Names parameters, never their values.
    pub reasons: Vec<String>,
    /// Remarks about dropped parts of kept events, the first [`MAX_REPORTED`].
    pub notes: Vec<String>,
    /// Remarks beyond those.
    pub notes_dropped: usize,
}

/// Where a format hands each event as soon as it is built, so a request never holds more than
/// one event's data: the receiver tags and encodes it before the next one is built. The event
/// is lent, not given: a format takes back the parts its events share (MP `user_properties`,
/// the Data-Client query) and lends them to the next event instead of copying them.
pub struct Intake<'a> {
    receive: &'a mut dyn FnMut(&mut EventData<'_>, &mut Budget),
    budget: &'a mut Budget,
    report: Report,
}

impl Intake<'_> {
    /// Hands `event` on unless the request already holds the most events allowed or has spent
    /// its budget.
    fn accept(&mut self, event: &mut EventData<'_>, limits: &Limits) {
        if self.is_full(limits) {
            self.reject_over_cap(limits);
        } else {
            self.report.accepted += 1;
            (self.receive)(event, self.budget);
        }
    }

    /// No further event can be accepted: the event cap is reached or the budget is spent.
    fn is_full(&self, limits: &Limits) -> bool {
        self.report.accepted >= limits.max_events_per_request || self.budget.exceeded().is_some()
    }

    /// Rejects an event that came after the intake was full, naming why.
    fn reject_over_cap(&mut self, limits: &Limits) {
        match self.budget.exceeded() {
            Some(resource) => self.reject_with(|| format!("work budget exceeded ({resource})")),
            None => self.reject_with(|| {
                format!(
                    "more than {} events in one request",
                    limits.max_events_per_request
                )
            }),
        }
    }

    fn reject(&mut self, reason: impl Into<String>) {
        let reason = reason.into();
        self.reject_with(|| reason);
    }

    /// Counts a rejection; its reason is only built while it will be kept.
    fn reject_with(&mut self, reason: impl FnOnce() -> String) {
        self.report.rejected += 1;
        if self.report.reasons.len() < MAX_REPORTED {
            self.report.reasons.push(reason());
        }
    }

    fn notes(&mut self, notes: impl IntoIterator<Item = String>) {
        for note in notes {
            if self.report.notes.len() < MAX_REPORTED {
                self.report.notes.push(note);
            } else {
                self.report.notes_dropped += 1;
            }
        }
    }

    fn budget(&mut self) -> &mut Budget {
        self.budget
    }
}

/// Parses one collection request of the given format and hands each event to `receive` as soon
/// as it is built. Never panics; malformed parts become rejections or notes, and work beyond
/// `budget` ends the intake (see [`budget`]).
pub fn ingest_each(
    format: Format,
    request: &RequestFacts,
    body: &[u8],
    limits: &Limits,
    budget: &mut Budget,
    receive: &mut dyn FnMut(&mut EventData<'_>, &mut Budget),
) -> Report {
    let mut out = Intake {
        receive,
        budget,
        report: Report::default(),
    };
    match format {
        Format::Ga4 => ga4::ingest(request, &request.query, body, limits, &mut out),
        Format::Ga4Loader => ga4_loader::ingest(request, body, limits, &mut out),
        Format::Mp => mp::ingest(request, body, limits, &mut out),
        Format::Data => data::ingest(request, body, limits, &mut out),
    }
    out.report
}

/// Every event of one collection request at once, with what was dropped: for tests and tools
/// that look at event data rather than tag it. Same budget as a request through the filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ingested {
    /// Events in request order; the position is the event's line index downstream.
    pub events: Vec<EventData<'static>>,
    /// One per dropped event or line (the first [`MAX_REPORTED`]).
    pub rejected: Vec<Rejection>,
    /// Debug remarks about dropped parts of kept events.
    pub notes: Vec<String>,
}

/// Why an event (or a body line) was dropped. Names parameters, never their values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: String,
}

/// [`ingest_each`], collected.
pub fn ingest(format: Format, request: &RequestFacts, body: &[u8], limits: &Limits) -> Ingested {
    let mut budget = Budget::for_request(request.size_bytes().saturating_add(body.len()));
    let mut events = Vec::new();
    let report = ingest_each(
        format,
        request,
        body,
        limits,
        &mut budget,
        &mut |event, _| events.push(EventData::clone(event).into_static()),
    );
    Ingested {
        events,
        rejected: report
            .reasons
            .into_iter()
            .map(|reason| Rejection { reason })
            .collect(),
        notes: report.notes,
    }
}

/// Adds a note about one event while it has fewer than [`MAX_REPORTED`]: a hostile hit with a
/// thousand odd parameters must not turn into a thousand strings.
fn note(notes: &mut Vec<String>, note: String) {
    if notes.len() < MAX_REPORTED {
        notes.push(note);
    }
}

/// A parameter name fit for a log line: bounded, without control characters.
fn quoted(name: &str) -> String {
    let mut shown: String = name
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_QUOTED_NAME_CHARS)
        .collect();
    if name.chars().count() > MAX_QUOTED_NAME_CHARS {
        shown.push('…');
    }
    format!("`{shown}`")
}

/// The note for a value dropped by the byte cap.
fn too_long_note(name: &str, limits: &Limits) -> String {
    format!(
        "parameter {} dropped: value longer than {} bytes",
        quoted(name),
        limits.max_value_bytes
    )
}

/// A decimal number in JSON form, or `None` when `text` is not one. Integers stay integers (so
/// `1590` is not written as `1590.0`); decimals go through `f64`, whose shortest round-trip text
/// is what serde_json prints, so `19.99` stays `19.99` for the exact minor-unit arithmetic later.
fn parse_number(text: &str) -> Option<Value<'static>> {
    if let Some(n) = short_unsigned(text) {
        return Some(Value::Number(n.into()));
    }
    match looks_numeric(text)? {
        Numeric::Integer => {
            if let Ok(n) = text.parse::<i64>() {
                return Some(Value::Number(n.into()));
            }
            if let Ok(n) = text.parse::<u64>() {
                return Some(Value::Number(n.into()));
            }
        }
        // Integer parsing would fail on the `.` or exponent anyway.
        Numeric::Decimal => {}
    }
    let f = text.parse::<f64>().ok()?;
    Number::from_f64(f).map(Value::Number)
}

/// `text` as a number when it is 1 to 19 digits and nothing else (a counter, an id, a
/// quantity: most numeric parameters), read in one pass: 19 digits cannot overflow a `u64`.
/// Leading zeros read as `str::parse` reads them (`007` is 7).
fn short_unsigned(text: &str) -> Option<u64> {
    let digits = text.as_bytes();
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, d| {
        d.is_ascii_digit()
            .then(|| n.wrapping_mul(10).wrapping_add(u64::from(d - b'0')))
    })
}

/// The two forms [`looks_numeric`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numeric {
    /// `-?digits`
    Integer,
    /// With a fraction or an exponent.
    Decimal,
}

/// `-?digits(.digits)?([eE][+-]?digits)?` (also `.5` and `5.`): what a JS `Number()` of a form
/// value yields a finite number for, without `Infinity`, hex or whitespace.
fn looks_numeric(text: &str) -> Option<Numeric> {
    // On bytes: every character that can pass is ASCII (and byte searches are cheaper than
    // `char` ones for these short values).
    let text = text.as_bytes();
    let body = text.strip_prefix(b"-").unwrap_or(text);
    let (mantissa, exponent) = match body.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(at) => (body.get(..at).unwrap_or_default(), body.get(at + 1..)),
        None => (body, None),
    };
    let (int, frac) = match mantissa.iter().position(|b| *b == b'.') {
        Some(at) => (
            mantissa.get(..at).unwrap_or_default(),
            mantissa.get(at + 1..),
        ),
        None => (mantissa, None),
    };
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let mantissa_ok = all_digits(int)
        && frac.is_none_or(all_digits)
        && !(int.is_empty() && frac.is_none_or(<[u8]>::is_empty));
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e
            .strip_prefix(b"+")
            .or_else(|| e.strip_prefix(b"-"))
            .unwrap_or(e);
        !digits.is_empty() && all_digits(digits)
    });
    let form = if frac.is_none() && exponent.is_none() {
        Numeric::Integer
    } else {
        Numeric::Decimal
    };
    (mantissa_ok && exponent_ok).then_some(form)
}

/// A number when `text` is numeric, else the text itself plus a note naming the parameter.
fn number_or_text<'a>(name: &str, text: &'a str, notes: &mut Vec<String>) -> Value<'a> {
    parse_number(text).unwrap_or_else(|| {
        note(notes, not_a_number_note(name));
        Value::text(text)
    })
}

fn not_a_number_note(name: &str) -> String {
    format!("parameter {} is not a number; kept as text", quoted(name))
}

/// Why a dotted write did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathError {
    /// The path, or a prefix of it, already holds a value; the first value is kept.
    Conflict,
    /// An array index at or above the item limit.
    IndexTooLarge,
    /// An array index past the end of its array: arrays only grow by one element at a time, so
    /// `items.199.x` cannot allocate 199 empty slots before it.
    IndexSkipsAhead,
    /// The request's budget of array slots is spent.
    Budget,
}

impl PathError {
    /// The note for parameter `name` that could not be written.
    fn note(self, name: &str, limits: &Limits) -> String {
        match self {
            PathError::Conflict => format!(
                "parameter {} ignored: its key already holds a value",
                quoted(name)
            ),
            PathError::IndexTooLarge => format!(
                "parameter {} ignored: array index above {}",
                quoted(name),
                limits.max_items
            ),
            PathError::IndexSkipsAhead => format!(
                "parameter {} ignored: array index skips past the end of its array",
                quoted(name)
            ),
            PathError::Budget => format!(
                "parameter {} ignored: the request's array slots are spent",
                quoted(name)
            ),
        }
    }
}

/// Writes `value` at `segments` below `map`, creating objects for name segments and arrays for
/// index segments (`0`…), so `items.0.item_id` and `user_data.address.city` read back with
/// [`crate::event::lookup`] and `address` arrays look like the ones other formats send. An
/// existing value is never overwritten: the first one wins. An index may address an existing
/// element or append one (senders write `items.0…` before `items.1…`); every appended slot is
/// charged to `budget`.
fn insert_path<'a, S: Segment<'a>>(
    map: &mut Map<'a>,
    segments: &[S],
    value: Value<'a>,
    max_index: usize,
    budget: &mut Budget,
) -> Result<(), PathError> {
    // Checked up front so a failed write never leaves an empty container behind.
    if segments
        .iter()
        .any(|s| index_segment(s.as_ref()).is_some_and(|i| i >= max_index))
    {
        return Err(PathError::IndexTooLarge);
    }
    let Some((first, rest)) = segments.split_first() else {
        return Err(PathError::Conflict);
    };
    if let Some(next) = rest.first() {
        // An index segment right below a new container can only be 0.
        if !map.contains_key(first.as_ref()) && index_segment(next.as_ref()).is_some_and(|i| i > 0)
        {
            return Err(PathError::IndexSkipsAhead);
        }
    }
    match rest.first() {
        None => insert_new(map, first.clone(), value),
        Some(next) => {
            let child = map
                .get_or_insert_with(first.clone(), || empty_container(next.as_ref()))
                .ok_or(PathError::Conflict)?;
            insert_value(child, rest, value, budget)
        }
    }
}

fn insert_value<'a, S: Segment<'a>>(
    container: &mut Value<'a>,
    segments: &[S],
    value: Value<'a>,
    budget: &mut Budget,
) -> Result<(), PathError> {
    let Some((first, rest)) = segments.split_first() else {
        return Err(PathError::Conflict);
    };
    let slot = match container {
        Value::Object(map) => match rest.first() {
            None => return insert_new(map, first.clone(), value),
            Some(next) => map
                .get_or_insert_with(first.clone(), || empty_container(next.as_ref()))
                .ok_or(PathError::Conflict)?,
        },
        Value::Array(list) => {
            let index = index_segment(first.as_ref()).ok_or(PathError::Conflict)?;
            if index > list.len() {
                return Err(PathError::IndexSkipsAhead);
            }
            if index == list.len() {
                budget
                    .charge(Resource::ArraySlots, 1)
                    .map_err(|_| PathError::Budget)?;
                list.push(Value::Null);
            }
            let slot = list.get_mut(index).ok_or(PathError::Conflict)?;
            match rest.first() {
                None if !slot.is_null() => return Err(PathError::Conflict),
                None => {
                    *slot = value;
                    return Ok(());
                }
                Some(next) => {
                    if slot.is_null() {
                        *slot = empty_container(next.as_ref());
                    }
                    slot
                }
            }
        }
        _ => return Err(PathError::Conflict),
    };
    insert_value(slot, rest, value, budget)
}

/// A segment of a dotted path: text borrowed from the request (GA4, whose keys then borrow it
/// too) or owned (names decoded from a Data-Client form body).
trait Segment<'a>: AsRef<str> + Clone + Into<Key<'a>> {}

impl<'a, S: AsRef<str> + Clone + Into<Key<'a>>> Segment<'a> for S {}

/// Writes `key` unless it already holds a value (the first value wins).
fn insert_new<'a>(
    map: &mut Map<'a>,
    key: impl Into<Key<'a>>,
    value: Value<'a>,
) -> Result<(), PathError> {
    if map.insert_if_absent(key, value) {
        Ok(())
    } else {
        Err(PathError::Conflict)
    }
}

fn empty_container<'a>(next_segment: &str) -> Value<'a> {
    if index_segment(next_segment).is_some() {
        Value::Array(Vec::new())
    } else {
        Value::Object(Map::new())
    }
}

/// `0`, `1`, … `9999` (no leading zeros): an array index in a dotted path.
fn index_segment(segment: &str) -> Option<usize> {
    let canonical = segment.len() <= 4
        && segment.bytes().all(|b| b.is_ascii_digit())
        && (segment == "0" || !segment.starts_with('0'));
    if canonical {
        segment.parse().ok()
    } else {
        None
    }
}

/// Splits a dotted name into segments, or `None` when a segment is empty (`a..b`, `a.`), which
/// cannot be a path.
fn path_segments(name: &str) -> Option<Vec<&str>> {
    let segments: Vec<&str> = scan::split_ascii(name, b'.').collect();
    segments.iter().all(|s| !s.is_empty()).then_some(segments)
}

/// Drops strings longer than the value cap anywhere in `value` and cuts `items` arrays to the
/// item cap: the JSON formats' counterpart of the per-parameter cap of the form formats.
fn cap_json(event: &mut EventData<'_>, limits: &Limits, notes: &mut Vec<String>) {
    if let Some(Value::Array(items)) = event.get_mut("items") {
        cap_items(items, limits, notes);
    }
    event.retain(|key, value| keep_capped(key, value, limits, notes));
}

fn cap_items(items: &mut Vec<Value<'_>>, limits: &Limits, notes: &mut Vec<String>) {
    if items.len() > limits.max_items {
        note(
            notes,
            format!(
                "{} items beyond the limit of {} dropped",
                items.len() - limits.max_items,
                limits.max_items
            ),
        );
        items.truncate(limits.max_items);
    }
}

/// Whether `value` (named `key`) stays; long strings inside it are removed on the way.
fn keep_capped(key: &str, value: &mut Value<'_>, limits: &Limits, notes: &mut Vec<String>) -> bool {
    match value {
        Value::String(s) if s.len() > limits.max_value_bytes => {
            note(notes, too_long_note(key, limits));
            false
        }
        Value::Object(map) => {
            map.retain(|k, v| keep_capped(k, v, limits, notes));
            true
        }
        Value::Array(list) => {
            list.retain_mut(|v| keep_capped(key, v, limits, notes));
            true
        }
        _ => true,
    }
}

/// Sets `key` unless it already holds a value: params the sender wrote win over defaults.
fn set_if_absent<'a>(event: &mut EventData<'a>, key: &'a str, value: Value<'a>) {
    if event.get(key).is_none_or(Value::is_null) {
        event.insert(key, value);
    }
}

#[cfg(test)]
mod tests;
