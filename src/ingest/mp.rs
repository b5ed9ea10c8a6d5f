//! GA4 Measurement Protocol (`POST /mp/collect?measurement_id=…&api_secret=…`, JSON body;
//! research/ga4-collection.md §4) → one event per `events[i]`. The sender is a server, so its
//! address and User-Agent are not the user's: `ip_override` / `user_agent` come only from the body.
//! This module owns that mapping (params at the top level, `user_properties` unwrapped, hashed
//! `user_data` arrays reduced to element 0, `consent` to booleans, `timestamp_micros` as an
//! integer). The `api_secret` is never read, copied, or mentioned.

use serde_json::{Map, Value};

use super::{cap_json, form, parse_number, set_if_absent, Ingested, Limits};
use crate::event::EventData;
use crate::request::{Method, RequestFacts};

/// Address fields copied from `user_data.address[0]`.
const ADDRESS_FIELDS: &[&str] = &[
    "sha256_first_name",
    "sha256_last_name",
    "sha256_street",
    "city",
    "region",
    "postal_code",
    "country",
];

/// Never copied into event data, wherever a sender puts it.
const SECRET_KEY: &str = "api_secret";

pub(super) fn ingest(request: &RequestFacts, body: &[u8], limits: &Limits, out: &mut Ingested) {
    if request.method != Method::Post {
        out.reject("Measurement Protocol requests must be POST");
        return;
    }
    if body.trim_ascii().is_empty() {
        out.reject("Measurement Protocol request without a body");
        return;
    }
    let root = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(root)) => root,
        Ok(_) => {
            out.reject("Measurement Protocol body is not a JSON object");
            return;
        }
        Err(e) => {
            out.reject(format!(
                "Measurement Protocol body is not valid JSON ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ));
            return;
        }
    };
    let Some(Value::Array(events)) = root.get("events") else {
        out.reject("Measurement Protocol body has no `events` array");
        return;
    };
    let shared = Shared::from_request(request, &root);
    for (index, element) in events.iter().enumerate() {
        if out.is_full(limits) {
            out.reject_over_cap(limits);
            continue;
        }
        let Value::Object(element) = element else {
            out.reject(format!("events[{index}] is not an object"));
            continue;
        };
        let Some(Value::String(name)) = element.get("name") else {
            out.reject(format!("events[{index}] has no string `name`"));
            continue;
        };
        let mut notes = Vec::new();
        let event = build_event(name, element, &shared, limits, &mut notes);
        out.notes
            .extend(notes.into_iter().map(|n| format!("events[{index}]: {n}")));
        out.accept(event, limits);
    }
}

/// Request-level fields every event of the body inherits.
struct Shared {
    measurement_id: Option<String>,
    fields: Vec<(&'static str, Value)>,
    user_properties: Map<String, Value>,
    user_data: Map<String, Value>,
    consent: Map<String, Value>,
    timestamp_micros: Option<Value>,
}

impl Shared {
    fn from_request(request: &RequestFacts, root: &Map<String, Value>) -> Shared {
        let fields = ["client_id", "user_id", "ip_override", "user_agent"]
            .into_iter()
            .filter_map(|key| match root.get(key) {
                Some(Value::String(s)) if !s.is_empty() => Some((key, Value::String(s.clone()))),
                Some(Value::Number(n)) if key != "ip_override" => {
                    Some((key, Value::String(n.to_string())))
                }
                _ => None,
            })
            .collect();
        Shared {
            measurement_id: measurement_id(&request.query),
            fields,
            user_properties: user_properties(root.get("user_properties")),
            user_data: user_data(root.get("user_data")),
            consent: consent(root.get("consent")),
            timestamp_micros: root.get("timestamp_micros").and_then(integer),
        }
    }
}

/// `measurement_id` from the query. Only that parameter is looked at, so nothing else of the
/// query (the secret in particular) can end up anywhere.
fn measurement_id(query: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|segment| segment.split_once('='))
        .find(|(name, _)| *name == "measurement_id")
        .and_then(|(_, value)| form::decode(value.as_bytes(), true).ok())
        .filter(|id| !id.is_empty())
}

fn build_event(
    name: &str,
    element: &Map<String, Value>,
    shared: &Shared,
    limits: &Limits,
    notes: &mut Vec<String>,
) -> EventData {
    let mut event = EventData::new();
    if let Some(Value::Object(params)) = element.get("params") {
        for (key, value) in params {
            if key != SECRET_KEY {
                event.insert(key.clone(), value.clone());
            }
        }
    }
    event.insert("event_name".to_owned(), Value::String(name.to_owned()));
    // Params are the most specific source; request-level fields fill in.
    for (key, value) in &shared.fields {
        set_if_absent(&mut event, key, value.clone());
    }
    if !shared.user_properties.is_empty() {
        set_if_absent(
            &mut event,
            "x-ga-mp2-user_properties",
            Value::Object(shared.user_properties.clone()),
        );
    }
    if !shared.user_data.is_empty() {
        set_if_absent(
            &mut event,
            "user_data",
            Value::Object(shared.user_data.clone()),
        );
    }
    if !shared.consent.is_empty() {
        set_if_absent(
            &mut event,
            "consent_state",
            Value::Object(shared.consent.clone()),
        );
    }
    let timestamp = match element.get("timestamp_micros") {
        Some(raw) => integer(raw).or_else(|| {
            notes.push("`timestamp_micros` is not an integer; ignored".to_owned());
            None
        }),
        None => None,
    }
    .or_else(|| shared.timestamp_micros.clone());
    if let Some(timestamp) = timestamp {
        event.insert("timestamp_micros".to_owned(), timestamp);
    }
    if let Some(id) = &shared.measurement_id {
        event.insert("x-ga-measurement_id".to_owned(), Value::String(id.clone()));
    }
    event.insert(
        "x-ga-protocol_version".to_owned(),
        Value::String("2".to_owned()),
    );
    cap_json(&mut event, limits, notes);
    event
}

/// `{"name": {"value": v}}` → `{"name": v}`; an unwrapped value is taken as it is.
fn user_properties(raw: Option<&Value>) -> Map<String, Value> {
    let Some(Value::Object(props)) = raw else {
        return Map::new();
    };
    props
        .iter()
        .filter(|(name, _)| name.as_str() != SECRET_KEY)
        .filter_map(|(name, prop)| {
            let value = match prop {
                Value::Object(wrapper) => wrapper.get("value")?.clone(),
                other => other.clone(),
            };
            (!value.is_null()).then(|| (name.clone(), value))
        })
        .collect()
}

/// Element 0 of the hashed arrays (a bare string is accepted too) and of `address`.
fn user_data(raw: Option<&Value>) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(Value::Object(raw)) = raw else {
        return out;
    };
    for key in ["sha256_email_address", "sha256_phone_number"] {
        if let Some(value) = raw.get(key).and_then(first_string) {
            out.insert(key.to_owned(), Value::String(value));
        }
    }
    let address = match raw.get("address") {
        Some(Value::Array(list)) => list.first(),
        other => other,
    };
    if let Some(Value::Object(address)) = address {
        let fields: Map<String, Value> = ADDRESS_FIELDS
            .iter()
            .filter_map(|key| match address.get(*key) {
                Some(v @ (Value::String(_) | Value::Number(_))) => {
                    Some(((*key).to_owned(), v.clone()))
                }
                _ => None,
            })
            .collect();
        if !fields.is_empty() {
            out.insert("address".to_owned(), Value::Object(fields));
        }
    }
    out
}

fn first_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Array(list) => list.first().and_then(first_string),
        _ => None,
    }
}

/// `"GRANTED"` / `"DENIED"` (any case) → `true` / `false`.
fn consent(raw: Option<&Value>) -> Map<String, Value> {
    let Some(Value::Object(raw)) = raw else {
        return Map::new();
    };
    ["ad_user_data", "ad_personalization"]
        .into_iter()
        .filter_map(|key| {
            let text = raw.get(key)?.as_str()?;
            let granted = if text.eq_ignore_ascii_case("granted") {
                true
            } else if text.eq_ignore_ascii_case("denied") {
                false
            } else {
                return None;
            };
            Some((key.to_owned(), Value::Bool(granted)))
        })
        .collect()
}

/// A JSON integer from an integer, an integral float, or a numeric string.
fn integer(raw: &Value) -> Option<Value> {
    let number = match raw {
        Value::Number(n) => Value::Number(n.clone()),
        Value::String(s) => parse_number(s.trim())?,
        _ => return None,
    };
    let Value::Number(n) = number else {
        return None;
    };
    if n.is_i64() || n.is_u64() {
        return Some(Value::Number(n));
    }
    let f = n.as_f64()?;
    // Integral and inside i64: the cast is exact.
    #[allow(clippy::cast_possible_truncation)]
    let as_int = f as i64;
    (f.fract() == 0.0 && f.abs() < 9.0e18).then(|| Value::Number(as_int.into()))
}

#[cfg(test)]
#[path = "mp_tests.rs"]
mod tests;
