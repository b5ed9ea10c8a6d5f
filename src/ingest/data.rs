//! Stape Data Tag → Data Client requests (`/data`; research/ga4-collection.md §5). A GET carries
//! the event in its query (plus `dtcd`, a raw JSON object, and `dtdc`, a base64 JSON object); a
//! POST carries a JSON object (one event), a JSON array of objects (several events), or a
//! form-encoded body with dotted names. Query keys are merged first and body keys win. This module
//! owns those encodings and the Data Client's aliases (`eventName` → `event_name`, flat `email`
//! → `user_data.email_address`, …), each applied only when the canonical key is missing.

use serde_json::{Map, Value};

use super::ga4_loader::decode_base64;
use super::{
    cap_json, form, insert_path, path_segments, quoted, set_if_absent, too_long_note, Ingested,
    Limits, PathError,
};
use crate::event::{lookup, text, EventData};
use crate::request::{Method, RequestFacts};

/// Canonical key ← aliases, first present wins (Data Client normalisation).
const ALIASES: &[(&str, &[&str])] = &[
    ("event_name", &["eventName", "event", "e_n"]),
    ("client_id", &["data_client_id", "_dcid"]),
    ("ip_override", &["ip", "ipOverride"]),
    ("user_agent", &["userAgent"]),
    ("page_location", &["pageLocation", "url", "href"]),
    ("page_referrer", &["pageReferrer", "referrer", "urlref"]),
    ("page_hostname", &["pageHostname", "hostname"]),
    ("user_id", &["userId"]),
    ("value", &["e_v"]),
];

/// `user_data` path ← flat aliases, used only when no `user_data` object was sent.
const USER_DATA_ALIASES: &[(&[&str], &[&str])] = &[
    (
        &["email_address"],
        &["userEmail", "email_address", "email", "mail"],
    ),
    (
        &["phone_number"],
        &["userPhoneNumber", "phone_number", "phoneNumber", "phone"],
    ),
    (
        &["address", "first_name"],
        &["userFirstName", "first_name", "firstName"],
    ),
    (
        &["address", "last_name"],
        &[
            "userLastName",
            "last_name",
            "lastName",
            "surname",
            "family_name",
            "familyName",
        ],
    ),
    (&["address", "street"], &["street"]),
    (&["address", "city"], &["city"]),
    (&["address", "region"], &["region", "state"]),
    (
        &["address", "postal_code"],
        &["postal_code", "postalCode", "zip"],
    ),
    (&["address", "country"], &["country"]),
];

pub(super) fn ingest(request: &RequestFacts, body: &[u8], limits: &Limits, out: &mut Ingested) {
    let is_get = request.method == Method::Get;
    let mut query_notes = Vec::new();
    let query = match query_event(&request.query, is_get, limits, &mut query_notes) {
        Ok(query) => query,
        Err(reason) => {
            out.reject(reason);
            return;
        }
    };
    out.notes
        .extend(query_notes.into_iter().map(|n| format!("query: {n}")));
    let body = if is_get { &[][..] } else { body.trim_ascii() };
    let bodies = if body.is_empty() {
        vec![(0, Map::new())]
    } else if is_form(request) {
        let mut notes = Vec::new();
        let parsed = form_body(body, limits, &mut notes);
        out.notes
            .extend(notes.into_iter().map(|n| format!("body: {n}")));
        match parsed {
            Ok(map) => vec![(0, map)],
            Err(reason) => {
                out.reject(reason);
                return;
            }
        }
    } else {
        match json_bodies(body, out) {
            Some(bodies) => bodies,
            None => return,
        }
    };
    for (index, own) in bodies {
        if out.is_full(limits) {
            out.reject_over_cap(limits);
            continue;
        }
        let mut event = query.clone();
        event.extend(own);
        if event.is_empty() {
            out.reject("request carries no event data");
            continue;
        }
        let mut notes = Vec::new();
        normalize(&mut event, request);
        cap_json(&mut event, limits, &mut notes);
        out.notes
            .extend(notes.into_iter().map(|n| format!("event {index}: {n}")));
        out.accept(event, limits);
    }
}

/// The query as event data: values as strings, `dtcd` / `dtdc` expanded on GET.
fn query_event(
    query: &str,
    is_get: bool,
    limits: &Limits,
    notes: &mut Vec<String>,
) -> Result<EventData, String> {
    if query.contains('\u{FFFD}') {
        return Err("query is not valid UTF-8".to_owned());
    }
    let pairs = form::parse_pairs(query.as_bytes(), false).map_err(|e| format!("query: {e}"))?;
    let mut event = EventData::new();
    let mut expanded = Vec::new();
    for (name, value) in pairs {
        if value.len() > limits.max_value_bytes {
            notes.push(too_long_note(&name, limits));
            continue;
        }
        match name.as_str() {
            "dtcd" if is_get => expanded.push(parse_object(value.as_bytes(), "dtcd")?),
            "dtdc" if is_get => {
                let json = decode_base64(&value).ok_or("`dtdc` is not valid base64")?;
                expanded.push(parse_object(&json, "dtdc")?);
            }
            _ => {
                event.insert(name, Value::String(value));
            }
        }
    }
    for object in expanded {
        event.extend(object);
    }
    Ok(event)
}

fn parse_object(json: &[u8], name: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("`{name}` is not a JSON object")),
        Err(_) => Err(format!("`{name}` is not valid JSON")),
    }
}

fn is_form(request: &RequestFacts) -> bool {
    request.content_type.as_deref().is_some_and(|ct| {
        ct.to_ascii_lowercase()
            .contains("application/x-www-form-urlencoded")
    })
}

/// A form body: dotted names expanded (`items.0.item_id` → `items[0].item_id`), values
/// JSON-parsed when they parse (`19.99` → number), else kept as text.
fn form_body(
    body: &[u8],
    limits: &Limits,
    notes: &mut Vec<String>,
) -> Result<Map<String, Value>, String> {
    let pairs = form::parse_pairs(body, true).map_err(|e| format!("body: {e}"))?;
    let mut map = Map::new();
    for (name, value) in pairs {
        if value.len() > limits.max_value_bytes {
            notes.push(too_long_note(&name, limits));
            continue;
        }
        let value = serde_json::from_str::<Value>(&value).unwrap_or(Value::String(value));
        let result = match path_segments(&name) {
            Some(segments) => insert_path(&mut map, &segments, value, limits.max_items),
            None => {
                map.insert(name.clone(), value);
                Ok(())
            }
        };
        match result {
            Ok(()) => {}
            Err(PathError::Conflict) => notes.push(format!(
                "parameter {} ignored: its key already holds a value",
                quoted(&name)
            )),
            Err(PathError::IndexTooLarge) => notes.push(format!(
                "parameter {} ignored: array index above {}",
                quoted(&name),
                limits.max_items
            )),
        }
    }
    Ok(map)
}

/// A JSON body: an object is one event, an array of objects several; anything else is rejected.
/// Non-object array elements are rejected one by one (and hold no place in the event order).
/// Each object comes with its index in the body, which notes name.
fn json_bodies(body: &[u8], out: &mut Ingested) -> Option<Vec<(usize, Map<String, Value>)>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(vec![(0, map)]),
        Ok(Value::Array(list)) => Some(
            list.into_iter()
                .enumerate()
                .filter_map(|(index, element)| match element {
                    Value::Object(map) => Some((index, map)),
                    _ => {
                        out.reject(format!("body element {index} is not a JSON object"));
                        None
                    }
                })
                .collect(),
        ),
        Ok(_) => {
            out.reject("body is neither a JSON object nor an array of objects");
            None
        }
        Err(e) => {
            out.reject(format!(
                "body is not valid JSON ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ));
            None
        }
    }
}

/// The Data Client's aliases and request facts, each only where the canonical key is missing.
fn normalize(event: &mut EventData, request: &RequestFacts) {
    for (canonical, aliases) in ALIASES {
        if let Some(value) = first_present(event, aliases) {
            set_if_absent(event, canonical, value);
        }
    }
    if let Some(dcid) = request.cookie("_dcid") {
        set_if_absent(event, "client_id", Value::String(dcid.to_owned()));
    }
    if let Some(ip) = &request.peer_ip {
        set_if_absent(event, "ip_override", Value::String(ip.clone()));
    }
    if let Some(ua) = &request.user_agent {
        set_if_absent(event, "user_agent", Value::String(ua.clone()));
    }
    if let Some(currency) = lookup(event, "items.0.currency").filter(|v| text(v).is_some()) {
        let currency = currency.clone();
        set_if_absent(event, "currency", currency);
    }
    if event.get("user_data").is_none_or(Value::is_null) {
        let user_data = flat_user_data(event);
        if !user_data.is_empty() {
            event.insert("user_data".to_owned(), Value::Object(user_data));
        }
    }
}

fn flat_user_data(event: &EventData) -> Map<String, Value> {
    let mut user_data = Map::new();
    for (path, aliases) in USER_DATA_ALIASES {
        if let Some(value) = first_present(event, aliases) {
            // Fixed, distinct paths into a fresh map: a conflict cannot occur.
            insert_path(&mut user_data, path, value, 1).ok();
        }
    }
    user_data
}

/// The first alias holding a non-empty value.
fn first_present(event: &EventData, aliases: &[&str]) -> Option<Value> {
    aliases
        .iter()
        .filter_map(|alias| event.get(*alias))
        .find(|v| match v {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            _ => true,
        })
        .cloned()
}

#[cfg(test)]
#[path = "data_tests.rs"]
mod tests;
