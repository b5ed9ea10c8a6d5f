//! GA4 web hits (`/g/collect`, protocol v2) → event data, as the sGTM GA4 client builds it
//! (the GA4 v2 protocol as gtag.js sends it). The query carries the parameters every event of the request
//! shares; a POST body carries one event per line whose parameters replace the query's; no lines
//! means one event from the query. This module owns that batching and the parameter → key table;
//! items (`pr1…`) are decoded in `ga4_items` and user-provided data (`em`) in `ga4_em`.

use std::collections::HashSet;

use super::budget::ENTRY_COST;
use super::form::{self, FormError, Pair};
use super::scan::has_replacement_char;
use super::{
    ga4_em, ga4_items, insert_new, insert_path, note, number_or_text, path_segments, too_long_note,
    Budget, Intake, Limits, Resource,
};
use crate::event::{EventData, Key, Map, Value};
use crate::request::{Method, RequestFacts};

/// Parses a GA4 hit whose shared parameters are `query` (the request's own query, or the one a
/// Stape loader parameter decoded to). The query is parsed once and shared by reference: each
/// line's event is built from it and the line, handed on, and dropped before the next line.
pub(super) fn ingest(
    request: &RequestFacts,
    query: &str,
    body: &[u8],
    limits: &Limits,
    out: &mut Intake<'_>,
) {
    // The query reached us through a lossy UTF-8 conversion of the `:path` header; U+FFFD marks
    // bytes that were not UTF-8 there.
    let shared = if has_replacement_char(query) {
        Err(FormError::NotUtf8 { param: None })
    } else {
        form::parse_query(query)
    };
    let body = if request.method == Method::Get {
        &[][..]
    } else {
        body
    };
    let mut lines = body
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_ascii()))
        .filter(|(_, line)| !line.is_empty())
        .peekable();

    if lines.peek().is_none() {
        match shared {
            Ok(pairs) if pairs.is_empty() => out.reject("request carries no GA4 parameters"),
            Ok(pairs) => {
                let merged: Vec<(&str, &str)> = pairs.iter().map(as_strs).collect();
                emit(&merged, request, limits, out, Place::Query);
            }
            Err(e) => out.reject(format!("{}: {e}", Place::Query)),
        }
        return;
    }

    for (number, line) in lines {
        if out.is_full(limits) {
            // Not parsed at all: a flood of lines costs one comparison each.
            out.reject_over_cap(limits);
            continue;
        }
        let shared = match &shared {
            Ok(pairs) => pairs,
            Err(e) => {
                out.reject_with(|| {
                    format!("{}: the shared query is invalid: {e}", Place::Line(number))
                });
                continue;
            }
        };
        match form::parse_pairs_borrowed(line, true) {
            Ok(own) => {
                let merged = merge(shared, &own);
                emit(&merged, request, limits, out, Place::Line(number));
            }
            Err(e) => out.reject_with(|| format!("{}: {e}", Place::Line(number))),
        }
    }
}

fn as_strs<'p>((name, value): &'p Pair<'_>) -> (&'p str, &'p str) {
    (name.as_ref(), value.as_ref())
}

/// Where an event's parameters came from, named in its notes and rejections.
#[derive(Clone, Copy)]
enum Place {
    Query,
    /// A body line, numbered from 1.
    Line(usize),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Query => f.write_str("query"),
            Place::Line(number) => write!(f, "line {number}"),
        }
    }
}

/// Builds the event of `merged` parameters (from `place`: the query or a line) within the
/// request's budget and hands it on. The place is written only into a note, so a line without
/// notes costs no formatting.
fn emit(
    merged: &[(&str, &str)],
    request: &RequestFacts,
    limits: &Limits,
    out: &mut Intake<'_>,
    place: Place,
) {
    if out.budget().charge(Resource::Params, merged.len()).is_err() {
        out.reject_over_cap(limits);
        return;
    }
    let mut notes = Vec::new();
    let built = build_event(merged, request, limits, out.budget(), &mut notes);
    out.notes(notes.into_iter().map(|n| format!("{place}: {n}")));
    match built {
        Some(mut event) => out.accept(&mut event, limits),
        None => out.reject_over_cap(limits),
    }
}

/// The query's pairs minus the names the line carries, then the line's pairs: the line wins per
/// name (d8a's receiver merges the same way). Borrowed from both, nothing copied.
fn merge<'p>(shared: &'p [Pair<'_>], own: &'p [Pair<'_>]) -> Vec<(&'p str, &'p str)> {
    let mut merged: Vec<(&str, &str)> = Vec::with_capacity(shared.len() + own.len());
    if own.len() <= FEW_LINE_PAIRS {
        // A real line has a handful of pairs: comparing each shared name with them (lengths
        // first) is cheaper than hashing every name of both into a set.
        merged.extend(
            shared
                .iter()
                .filter(|(k, _)| !own.iter().any(|(o, _)| o == k))
                .map(as_strs),
        );
    } else {
        let overridden: HashSet<&str> = own.iter().map(|(k, _)| k.as_ref()).collect();
        merged.extend(
            shared
                .iter()
                .filter(|(k, _)| !overridden.contains(k.as_ref()))
                .map(as_strs),
        );
    }
    merged.extend(own.iter().map(as_strs));
    merged
}

/// Most pairs of a body line whose names are compared one by one in [`merge`]; a longer line
/// (a hostile one may carry a thousand) gets a hash set, so the merge never goes quadratic.
const FEW_LINE_PAIRS: usize = 16;

/// How one parameter is filed.
enum Slot<'a> {
    /// A named top-level key, as text.
    Text(&'static str),
    /// A named top-level key, as a number.
    Number(&'static str),
    /// `ep.X` (text) or `epn.X` (number), possibly a dotted path.
    EventParam { path: &'a str, numeric: bool },
    /// `up.X` / `upn.X`.
    UserProperty { name: &'a str, numeric: bool },
    /// `pr<N>`.
    Item(u32),
    /// `_ss`, `_ee`, …
    System(&'a str),
    /// `sst.*`.
    Sst(&'a str),
    /// `x-ga-<name>`.
    Internal(&'a str),
    /// `x-ga-mp2-<name>`.
    Unknown,
    /// `dr` with an empty value: no referrer.
    Skip,
    /// `em`: kept raw as `x-ga-em` and decoded into `user_data`.
    Em,
}

fn classify<'a>(name: &'a str, value: &str) -> Slot<'a> {
    // Items and event parameters are most of a hit; no name below has one of their prefixes,
    // so trying the prefixes first decides the same and skips the long list of names for them.
    if let Some(slot) = classify_prefixed(name) {
        return slot;
    }
    match name {
        "en" => Slot::Text("event_name"),
        "cid" => Slot::Text("client_id"),
        "uid" => Slot::Text("user_id"),
        "dl" => Slot::Text("page_location"),
        "dr" if value.is_empty() => Slot::Skip,
        "dr" => Slot::Text("page_referrer"),
        "dt" => Slot::Text("page_title"),
        "ul" => Slot::Text("language"),
        "sr" => Slot::Text("screen_resolution"),
        "cu" => Slot::Text("currency"),
        "sid" => Slot::Text("ga_session_id"),
        "sct" => Slot::Number("ga_session_number"),
        "_et" => Slot::Number("engagement_time_msec"),
        "gcs" => Slot::Text("x-ga-gcs"),
        "gcd" => Slot::Text("x-ga-gcd"),
        "tid" => Slot::Text("x-ga-measurement_id"),
        "v" => Slot::Text("x-ga-protocol_version"),
        "gtm" => Slot::Text("x-ga-gtm_version"),
        "_p" => Slot::Number("x-ga-page_id"),
        "_s" => Slot::Number("x-ga-request_count"),
        "tfd" => Slot::Number("x-ga-tfd"),
        "em" => Slot::Em,
        // System flags: they land in `x-ga-system_properties` without their leading underscore.
        "_ss" | "_fv" | "_nsi" | "_c" | "_ee" | "_dbg" | "_z" | "_eu" | "_tu" | "_fid" => {
            Slot::System(name.get(1..).unwrap_or(name))
        }
        // Parameters the GA4 client files under a named `x-ga-<name>` key (other unknown names
        // get `x-ga-mp2-`); `tfd` is one of them, filed as a number above.
        "gcu" | "dma" | "dma_cps" | "npa" | "ecid" | "gdid" | "did" | "edid" | "pscdl" | "ur"
        | "are" => Slot::Internal(name),
        _ => Slot::Unknown,
    }
}

fn classify_prefixed(name: &str) -> Option<Slot<'_>> {
    let prefixed = |prefix: &str| name.strip_prefix(prefix).filter(|rest| !rest.is_empty());
    let slot = if let Some(path) = prefixed("ep.") {
        Slot::EventParam {
            path,
            numeric: false,
        }
    } else if let Some(path) = prefixed("epn.") {
        Slot::EventParam {
            path,
            numeric: true,
        }
    } else if let Some(name) = prefixed("up.") {
        Slot::UserProperty {
            name,
            numeric: false,
        }
    } else if let Some(name) = prefixed("upn.") {
        Slot::UserProperty {
            name,
            numeric: true,
        }
    } else if let Some(name) = prefixed("sst.") {
        Slot::Sst(name)
    } else if let Some(index) = prefixed("pr").and_then(item_index) {
        Slot::Item(index)
    } else {
        return None;
    };
    Some(slot)
}

/// `1` … `999999999` from `pr<N>`.
fn item_index(digits: &str) -> Option<u32> {
    let canonical = digits.len() <= 9 && digits.bytes().all(|b| b.is_ascii_digit());
    canonical.then(|| digits.parse().ok()).flatten()
}

/// Builds one event from its merged parameters and the request facts, or `None` when its data
/// would exceed the request's budget.
fn build_event<'p>(
    pairs: &[(&'p str, &'p str)],
    request: &'p RequestFacts,
    limits: &Limits,
    budget: &mut Budget,
    notes: &mut Vec<String>,
) -> Option<EventData<'p>> {
    let cost = pairs
        .iter()
        .map(|(n, v)| n.len() + v.len() + ENTRY_COST)
        .fold(0, usize::saturating_add);
    budget.charge(Resource::EventBytes, cost).ok()?;
    // Sized from the pair count (plus the keys added at the end): growing from empty cost six
    // reallocations per event. Items and event parameters go below one key each, so a hit
    // with many of them reserves more than it uses; the cap bounds that for a hostile one.
    let mut event = EventData::with_capacity((pairs.len() + 4).min(KEYS_UP_FRONT));
    // Parameters handled after the first pass.
    let mut event_params = Vec::new();
    let mut items = Vec::new();
    let mut em = None;
    let mut system = Map::new();
    let mut sst = Map::new();
    let mut user_properties = Map::new();

    // Every name comes once (the form parser keeps the first of each, and a line's merge takes
    // each name from the line or the query), and [`classify`] files distinct names under
    // distinct keys, none of them a key written after this loop except
    // `x-ga-mp2-user_properties`: so this loop appends without looking for each key first.
    for &(name, value) in pairs {
        if value.len() > limits.max_value_bytes {
            note(notes, too_long_note(name, limits));
            continue;
        }
        match classify(name, value) {
            Slot::Text(key) => event.push_distinct(key, Value::text(value)),
            Slot::Number(key) => event.push_distinct(key, number_or_text(name, value, notes)),
            Slot::EventParam { path, numeric } => event_params.push(EventParam {
                name,
                path,
                value,
                numeric,
            }),
            Slot::UserProperty {
                name: prop,
                numeric,
            } => {
                let value = if numeric {
                    number_or_text(name, value, notes)
                } else {
                    Value::text(value)
                };
                user_properties.insert_if_absent(prop, value);
            }
            Slot::Item(index) => items.push((index, name, value)),
            Slot::System("ee") => {
                system.insert("ee", Value::Bool(true));
            }
            Slot::System(flag) => {
                system.insert(flag, Value::text(value));
            }
            Slot::Sst(key) => {
                sst.insert(key, Value::text(value));
            }
            Slot::Internal(key) => event.push_distinct(joined("x-ga-", key), Value::text(value)),
            Slot::Unknown => event.push_distinct(joined("x-ga-mp2-", name), Value::text(value)),
            Slot::Skip => {}
            Slot::Em => {
                event.push_distinct("x-ga-em", Value::text(value));
                em = Some(value);
            }
        }
    }

    put_object(&mut event, "x-ga-system_properties", system);
    put_object(&mut event, "x-sst-system_properties", sst);
    put_object(&mut event, "x-ga-mp2-user_properties", user_properties);
    if !items.is_empty() {
        let items = ga4_items::decode_all(items, limits, notes);
        put(&mut event, "items", Value::Array(items));
    }
    // Named parameters first, so `cu` beats an `ep.currency` of the same hit.
    for param in event_params {
        put_event_param(&mut event, param, limits, budget, notes);
    }
    if let Some(em) = em {
        ga4_em::decode_into(em, &mut event, notes);
    }
    // The browser is the sender: its address and User-Agent are the user's.
    if let Some(ip) = &request.peer_ip {
        event.insert("ip_override", Value::text(ip));
    }
    if let Some(ua) = &request.user_agent {
        event.insert("user_agent", Value::text(ua));
    }
    Some(event)
}

/// The most top-level keys [`build_event`] makes room for at once (a real hit has 20 to 40).
const KEYS_UP_FRONT: usize = 64;

/// Writes a top-level key unless an earlier parameter already did.
fn put<'p>(event: &mut EventData<'p>, key: impl Into<Key<'p>>, value: Value<'p>) {
    event.insert_if_absent(key, value);
}

/// `prefix` + `name` as a key, built in place (no `format!`, and the map takes the string).
fn joined(prefix: &str, name: &str) -> String {
    let mut key = String::with_capacity(prefix.len() + name.len());
    key.push_str(prefix);
    key.push_str(name);
    key
}

fn put_object<'p>(event: &mut EventData<'p>, key: &'static str, map: Map<'p>) {
    if !map.is_empty() {
        put(event, key, Value::Object(map));
    }
}

/// One `ep.X` / `epn.X` parameter: its name, the path after the prefix, its value, and whether
/// it is numeric (`epn.`).
struct EventParam<'a> {
    name: &'a str,
    path: &'a str,
    value: &'a str,
    numeric: bool,
}

/// `ep.X` / `epn.X` at the top level; dotted names become nested objects so
/// `ep.user_data.email_address` reads back as `user_data.email_address`.
fn put_event_param<'p>(
    event: &mut EventData<'p>,
    param: EventParam<'p>,
    limits: &Limits,
    budget: &mut Budget,
    notes: &mut Vec<String>,
) {
    let EventParam {
        name,
        path,
        value,
        numeric,
    } = param;
    let value = if numeric {
        number_or_text(name, value, notes)
    } else {
        Value::text(value)
    };
    let result = if path.contains('.') {
        match path_segments(path) {
            Some(segments) => insert_path(event, &segments, value, limits.max_items, budget),
            None => insert_new(event, path, value),
        }
    } else {
        // One segment, as most names are: the same rules without building a list for it.
        insert_path(event, &[path], value, limits.max_items, budget)
    };
    if let Err(e) = result {
        note(notes, e.note(name, limits));
    }
}

#[cfg(test)]
mod tests;
