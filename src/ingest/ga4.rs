//! GA4 web hits (`/g/collect`, protocol v2) → event data, as the sGTM GA4 client builds it
//! (research/ga4-collection.md §1–§2). The query carries the parameters every event of the request
//! shares; a POST body carries one event per line whose parameters replace the query's; no lines
//! means one event from the query. This module owns that batching and the parameter → key table;
//! items (`pr1…`) are decoded in `ga4_items` and user-provided data (`em`) in `ga4_em`.

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashSet;

use super::form::{self, FormError, Pair};
use super::{
    ga4_em, ga4_items, insert_new, insert_path, number_or_text, path_segments, quoted,
    too_long_note, Ingested, Limits, PathError,
};
use crate::event::EventData;
use crate::request::{Method, RequestFacts};

/// Parses a GA4 hit whose shared parameters are `query` (the request's own query, or the one a
/// Stape loader parameter decoded to).
pub(super) fn ingest(
    request: &RequestFacts,
    query: &str,
    body: &[u8],
    limits: &Limits,
    out: &mut Ingested,
) {
    // The query reached us through a lossy UTF-8 conversion of the `:path` header; U+FFFD marks
    // bytes that were not UTF-8 there.
    let shared = if query.contains('\u{FFFD}') {
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
                let mut notes = Vec::new();
                let event = build_event(pairs, request, limits, &mut notes);
                out.notes
                    .extend(notes.into_iter().map(|n| format!("query: {n}")));
                out.accept(event, limits);
            }
            Err(e) => out.reject(format!("query: {e}")),
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
                out.reject(format!("line {number}: the shared query is invalid: {e}"));
                continue;
            }
        };
        match form::parse_pairs_borrowed(line, true) {
            Ok(own) => {
                let merged = merge(shared, own);
                let mut notes = Vec::new();
                let event = build_event(merged, request, limits, &mut notes);
                out.notes
                    .extend(notes.into_iter().map(|n| format!("line {number}: {n}")));
                out.accept(event, limits);
            }
            Err(e) => out.reject(format!("line {number}: {e}")),
        }
    }
}

/// The query's pairs minus the names the line carries, then the line's pairs: the line wins per
/// name (d8a's receiver merges the same way).
fn merge<'a>(shared: &[Pair<'a>], own: Vec<Pair<'a>>) -> Vec<Pair<'a>> {
    let overridden: HashSet<&str> = own.iter().map(|(k, _)| k.as_ref()).collect();
    let mut merged: Vec<Pair<'a>> = shared
        .iter()
        .filter(|(k, _)| !overridden.contains(k.as_ref()))
        .cloned()
        .collect();
    merged.extend(own);
    merged
}

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

/// Builds one event from its merged parameters and the request facts.
fn build_event(
    mut pairs: Vec<Pair<'_>>,
    request: &RequestFacts,
    limits: &Limits,
    notes: &mut Vec<String>,
) -> EventData {
    let mut event = EventData::new();
    // Parameters handled after the first pass, by index into `pairs`. Sized for the worst case
    // up front: growing them item by item costs more than the unused room.
    let mut event_params = Vec::with_capacity(pairs.len());
    let mut item_indices = Vec::with_capacity(pairs.len());
    let mut em = None;
    let mut system = Map::new();
    let mut sst = Map::new();
    let mut user_properties = Map::new();

    // Values filed at once are moved out of `pairs` (no copy per parameter); deferred ones
    // stay in place and are read in the second pass.
    for (i, (name, value)) in pairs.iter_mut().enumerate() {
        if value.len() > limits.max_value_bytes {
            notes.push(too_long_note(name, limits));
            continue;
        }
        match classify(name, value) {
            Slot::Text(key) => put(&mut event, key, owned(value)),
            Slot::Number(key) => put(&mut event, key, number_or_text(name, value, notes)),
            Slot::EventParam { numeric, .. } => event_params.push((i, numeric)),
            Slot::UserProperty {
                name: prop,
                numeric,
            } => {
                let value = if numeric {
                    number_or_text(name, value, notes)
                } else {
                    owned(value)
                };
                user_properties.entry(prop.to_owned()).or_insert(value);
            }
            Slot::Item(index) => item_indices.push((index, i)),
            Slot::System("ee") => {
                system.insert("ee".to_owned(), Value::Bool(true));
            }
            Slot::System(flag) => {
                system.insert(flag.to_owned(), owned(value));
            }
            Slot::Sst(key) => {
                sst.insert(key.to_owned(), owned(value));
            }
            Slot::Internal(key) => put(&mut event, joined("x-ga-", key), owned(value)),
            Slot::Unknown => put(&mut event, joined("x-ga-mp2-", name), owned(value)),
            Slot::Skip => {}
            Slot::Em => {
                put(
                    &mut event,
                    "x-ga-em",
                    Value::String(value.as_ref().to_owned()),
                );
                em = Some(i);
            }
        }
    }
    let pair = |i: usize| pairs.get(i).map(|(n, v)| (n.as_ref(), v.as_ref()));
    let mut items = Vec::with_capacity(item_indices.len());
    items.extend(
        item_indices
            .into_iter()
            .filter_map(|(index, i)| pair(i).map(|(n, v)| (index, n, v))),
    );
    let event_params = event_params.into_iter().filter_map(|(i, numeric)| {
        let (name, value) = pair(i)?;
        let Slot::EventParam { path, .. } = classify(name, value) else {
            return None;
        };
        Some((name, path, value, numeric))
    });
    let em = em.and_then(pair).map(|(_, v)| v);

    put_object(&mut event, "x-ga-system_properties", system);
    put_object(&mut event, "x-sst-system_properties", sst);
    put_object(&mut event, "x-ga-mp2-user_properties", user_properties);
    if !items.is_empty() {
        let items = ga4_items::decode_all(items, limits, notes);
        put(&mut event, "items", Value::Array(items));
    }
    // Named parameters first, so `cu` beats an `ep.currency` of the same hit.
    for (name, path, value, numeric) in event_params {
        put_event_param(&mut event, name, path, value, numeric, limits, notes);
    }
    if let Some(em) = em {
        ga4_em::decode_into(em, &mut event, notes);
    }
    // The browser is the sender: its address and User-Agent are the user's.
    if let Some(ip) = &request.peer_ip {
        event.insert("ip_override".to_owned(), Value::String(ip.clone()));
    }
    if let Some(ua) = &request.user_agent {
        event.insert("user_agent".to_owned(), Value::String(ua.clone()));
    }
    event
}

/// A parameter value moved into event data (copied only when it still borrows the request).
fn owned(value: &mut Cow<'_, str>) -> Value {
    Value::String(std::mem::take(value).into_owned())
}

/// Writes a top-level key unless an earlier parameter already did.
fn put(event: &mut EventData, key: impl Into<String>, value: Value) {
    event.entry(key).or_insert(value);
}

/// `prefix` + `name` as a key, built in place (no `format!`, and the map takes the string).
fn joined(prefix: &str, name: &str) -> String {
    let mut key = String::with_capacity(prefix.len() + name.len());
    key.push_str(prefix);
    key.push_str(name);
    key
}

fn put_object(event: &mut EventData, key: &str, map: Map<String, Value>) {
    if !map.is_empty() {
        put(event, key, Value::Object(map));
    }
}

/// `ep.X` / `epn.X` at the top level; dotted names become nested objects so
/// `ep.user_data.email_address` reads back as `user_data.email_address`.
fn put_event_param(
    event: &mut EventData,
    name: &str,
    path: &str,
    value: &str,
    numeric: bool,
    limits: &Limits,
    notes: &mut Vec<String>,
) {
    let value = if numeric {
        number_or_text(name, value, notes)
    } else {
        Value::String(value.to_owned())
    };
    let result = match path_segments(path) {
        Some(segments) => insert_path(event, &segments, value, limits.max_items),
        None => insert_new(event, path, value),
    };
    match result {
        Ok(()) => {}
        Err(PathError::Conflict) => notes.push(format!(
            "parameter {} ignored: its key already holds a value",
            quoted(name)
        )),
        Err(PathError::IndexTooLarge) => notes.push(format!(
            "parameter {} ignored: array index above {}",
            quoted(name),
            limits.max_items
        )),
    }
}

#[cfg(test)]
#[path = "ga4_tests.rs"]
mod tests;
