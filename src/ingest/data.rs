//! Stape Data Tag → Data Client requests (`/data`, as Stape's Data Tag template sends them). A GET carries
//! the event in its query (plus `dtcd`, a raw JSON object, and `dtdc`, a base64 JSON object); a
//! POST carries a JSON object (one event), a JSON array of objects (several events), or a
//! form-encoded body with dotted names. Query keys are merged first and body keys win. This module
//! owns those encodings and the Data Client's aliases (`eventName` → `event_name`, flat `email`
//! → `user_data.email_address`, …), each applied only when the canonical key is missing.

use serde_json::value::RawValue;

use super::budget::{for_each_element, JsonError};
use super::ga4_loader::decode_base64;
use super::scan::has_replacement_char;
use super::{
    cap_json, form, insert_path, note, path_segments, set_if_absent, too_long_note, Budget, Intake,
    Limits,
};
use crate::event::{lookup, text, EventData, Map, Value};
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

/// Keys that come from the peer unless the sender is trusted with them.
const PEER_FACTS: &[&str] = &["ip_override", "user_agent"];

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

pub(super) fn ingest(request: &RequestFacts, body: &[u8], limits: &Limits, out: &mut Intake<'_>) {
    let is_get = request.method == Method::Get;
    let mut query_notes = Vec::new();
    let mut query = match query_event(
        &request.query,
        is_get,
        limits,
        out.budget(),
        &mut query_notes,
    ) {
        Ok(query) => query,
        Err(reason) => {
            out.reject(reason);
            return;
        }
    };
    out.notes(query_notes.into_iter().map(|n| format!("query: {n}")));
    let body = if is_get { &[][..] } else { body.trim_ascii() };
    if body.is_empty() {
        emit(&mut query, 0, Map::new(), request, limits, out);
    } else if is_form(request) {
        let mut notes = Vec::new();
        let parsed = form_body(body, limits, out.budget(), &mut notes);
        out.notes(notes.into_iter().map(|n| format!("body: {n}")));
        match parsed {
            Ok(map) => emit(&mut query, 0, map, request, limits, out),
            Err(reason) => out.reject(reason),
        }
    } else {
        json_bodies(body, &mut query, request, limits, out);
    }
}

/// The event of body object `own` (number `index` in the body) over the query's keys, handed
/// on. The query's values are lent to the event and taken back once it has been handed on, so
/// a query under a thousand body objects is never copied.
fn emit(
    query: &mut EventData<'static>,
    index: usize,
    own: Map<'static>,
    request: &RequestFacts,
    limits: &Limits,
    out: &mut Intake<'_>,
) {
    if out.is_full(limits) {
        out.reject_over_cap(limits);
        return;
    }
    let mut event = EventData::from(own);
    let lent: Vec<String> = query
        .keys()
        .filter(|key| !event.contains_key(key))
        .map(str::to_owned)
        .collect();
    for key in &lent {
        if let Some(value) = query.remove(key) {
            event.insert(key.clone(), value);
        }
    }
    if event.is_empty() {
        out.reject("request carries no event data");
        return;
    }
    let mut notes = Vec::new();
    normalize(&mut event, request, limits);
    cap_json(&mut event, limits, &mut notes);
    out.notes(notes.into_iter().map(|n| format!("event {index}: {n}")));
    out.accept(&mut event, limits);
    // Event data is only read downstream, and the query's values are strings that normalize
    // never replaces (except the peer's IP and User-Agent, the same for every event), so what
    // comes back is what was lent, less what the caps removed from every event alike.
    for key in lent {
        if let Some(value) = event.remove(&key) {
            query.insert(key, value);
        }
    }
}

/// The query as event data: values as strings, `dtcd` / `dtdc` expanded on GET.
fn query_event(
    query: &str,
    is_get: bool,
    limits: &Limits,
    budget: &mut Budget,
    notes: &mut Vec<String>,
) -> Result<EventData<'static>, String> {
    if has_replacement_char(query) {
        return Err("query is not valid UTF-8".to_owned());
    }
    let pairs = form::parse_pairs(query.as_bytes(), false).map_err(|e| format!("query: {e}"))?;
    let mut event = EventData::new();
    let mut expanded = Vec::new();
    for (name, value) in pairs {
        if value.len() > limits.max_value_bytes {
            note(notes, too_long_note(&name, limits));
            continue;
        }
        match name.as_str() {
            "dtcd" if is_get => {
                expanded.push(parse_object(value.as_bytes(), "dtcd", budget)?);
            }
            "dtdc" if is_get => {
                let json = decode_base64(&value).ok_or("`dtdc` is not valid base64")?;
                expanded.push(parse_object(&json, "dtdc", budget)?);
            }
            _ => {
                event.insert(name, Value::from(value));
            }
        }
    }
    for object in expanded {
        for (key, value) in object {
            event.insert(key, Value::from(value));
        }
    }
    Ok(event)
}

fn parse_object(
    json: &[u8],
    name: &str,
    budget: &mut Budget,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    match budget.parse_json(json) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("`{name}` is not a JSON object")),
        Err(JsonError::Syntax) => Err(format!("`{name}` is not valid JSON")),
        Err(JsonError::Budget) => Err(format!("`{name}` exceeds the work budget")),
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
    budget: &mut Budget,
    notes: &mut Vec<String>,
) -> Result<Map<'static>, String> {
    let pairs = form::parse_pairs(body, true).map_err(|e| format!("body: {e}"))?;
    let mut map = Map::new();
    for (name, value) in pairs {
        if value.len() > limits.max_value_bytes {
            note(notes, too_long_note(&name, limits));
            continue;
        }
        let value = match budget.parse_json(value.as_bytes()) {
            Ok(parsed) => Value::from(parsed),
            Err(JsonError::Syntax) => Value::from(value),
            Err(JsonError::Budget) => return Err("body: exceeds the work budget".to_owned()),
        };
        let result = match path_segments(&name) {
            Some(segments) => {
                // Owned keys: the decoded names do not outlive this loop.
                let segments: Vec<String> = segments.into_iter().map(str::to_owned).collect();
                insert_path(&mut map, &segments, value, limits.max_items, budget)
            }
            None => {
                map.insert(name.clone(), value);
                Ok(())
            }
        };
        if let Err(e) = result {
            note(notes, e.note(&name, limits));
        }
    }
    Ok(map)
}

/// A JSON body: an object is one event, an array of objects several (parsed and handed on one
/// at a time); anything else is rejected. Non-object array elements are rejected one by one.
/// Each event's notes name its index in the body.
fn json_bodies(
    body: &[u8],
    query: &mut EventData<'static>,
    request: &RequestFacts,
    limits: &Limits,
    out: &mut Intake<'_>,
) {
    let raw = match serde_json::from_slice::<&RawValue>(body) {
        Ok(raw) => raw,
        Err(e) => {
            out.reject(format!(
                "body is not valid JSON ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ));
            return;
        }
    };
    match raw.get().as_bytes().first() {
        Some(b'{') => match out.budget().parse_json(raw.get().as_bytes()) {
            Ok(serde_json::Value::Object(map)) => emit(query, 0, map.into(), request, limits, out),
            _ => out.reject_over_cap(limits),
        },
        Some(b'[') => {
            // Already checked to be JSON, so only an array can reach here.
            let _ = for_each_element(raw, &mut |index, element| {
                if out.is_full(limits) {
                    out.reject_over_cap(limits);
                    return true;
                }
                match out.budget().parse_json(element.get().as_bytes()) {
                    Ok(serde_json::Value::Object(map)) => {
                        emit(query, index, map.into(), request, limits, out)
                    }
                    Ok(_) => {
                        out.reject_with(|| format!("body element {index} is not a JSON object"))
                    }
                    Err(_) => out.reject_over_cap(limits),
                }
                true
            });
        }
        _ => out.reject("body is neither a JSON object nor an array of objects"),
    }
}

/// The Data Client's aliases and request facts, each only where the canonical key is missing.
/// The IP and User-Agent are the peer's unless the config trusts the sender's own (as Stape's
/// Data Client does): by default a browser cannot claim another address or agent.
fn normalize(event: &mut EventData<'static>, request: &RequestFacts, limits: &Limits) {
    let trust_sender = limits.trust_client_ip_and_user_agent;
    for (canonical, aliases) in ALIASES {
        if !trust_sender && PEER_FACTS.contains(canonical) {
            continue;
        }
        if let Some(value) = first_present(event, aliases) {
            set_if_absent(event, canonical, value);
        }
    }
    if let Some(dcid) = request.cookie("_dcid") {
        set_if_absent(event, "client_id", Value::from(dcid.to_owned()));
    }
    let peer = [
        ("ip_override", request.peer_ip.as_ref()),
        ("user_agent", request.user_agent.as_ref()),
    ];
    for (key, fact) in peer {
        match fact {
            Some(fact) if trust_sender => set_if_absent(event, key, Value::from(fact.clone())),
            Some(fact) => {
                event.insert(key, Value::from(fact.clone()));
            }
            None if trust_sender => {}
            None => {
                event.remove(key);
            }
        }
    }
    if let Some(currency) = lookup(event, "items.0.currency").filter(|v| text(v).is_some()) {
        let currency = currency.clone();
        set_if_absent(event, "currency", currency);
    }
    if event.get("user_data").is_none_or(Value::is_null) {
        let user_data = flat_user_data(event);
        if !user_data.is_empty() {
            event.insert("user_data", Value::Object(user_data));
        }
    }
}

fn flat_user_data(event: &EventData<'static>) -> Map<'static> {
    let mut user_data = Map::new();
    for (path, aliases) in USER_DATA_ALIASES {
        if let Some(value) = first_present(event, aliases) {
            // Fixed, distinct paths into a fresh map: a conflict cannot occur.
            insert_path(&mut user_data, path, value, 1, &mut Budget::for_request(0)).ok();
        }
    }
    user_data
}

/// The first alias holding a non-empty value.
fn first_present<'a>(event: &EventData<'a>, aliases: &[&str]) -> Option<Value<'a>> {
    aliases
        .iter()
        .filter_map(|alias| event.get(alias))
        .find(|v| match v {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            _ => true,
        })
        .cloned()
}

#[cfg(test)]
mod tests;
