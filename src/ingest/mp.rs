//! GA4 Measurement Protocol (`POST /mp/collect?measurement_id=…&api_secret=…`, JSON body,
//! as Google documents it) → one event per `events[i]`. The sender is a server, so its
//! address and User-Agent are not the user's: `ip_override` / `user_agent` come only from the body.
//! This module owns that mapping (params at the top level, `user_properties` unwrapped,
//! `user_data` (Google's `sha256_*` keys and the raw email, phone, names and street) kept to three
//! values and three addresses, `consent` and `non_personalized_ads` to `consent_state` booleans,
//! `timestamp_micros` as an integer). The `api_secret` is never read, copied, or mentioned.

use serde_json::error::Category;
use serde_json::value::RawValue;
use serde_json::{Map as JsonMap, Value as Json};
use std::collections::BTreeMap;

use super::budget::for_each_element;
use super::{cap_json, form, note, parse_number, set_if_absent, Budget, Intake, Limits};
use crate::event::{EventData, Map, Value};
use crate::request::{Method, RequestFacts};

/// `user_data` keys copied: Google's hashes, and the raw email and phone that the tag hashes.
const USER_DATA_KEYS: [&str; 4] = [
    "sha256_email_address",
    "sha256_phone_number",
    "email_address",
    "phone_number",
];

/// Fields copied from each address of `user_data.address` (raw names and street are hashed by
/// the tag, like Google's `sha256_*`).
const ADDRESS_FIELDS: [&str; 10] = [
    "sha256_first_name",
    "sha256_last_name",
    "sha256_street",
    "first_name",
    "last_name",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
];

/// Values and addresses kept per `user_data` key: the Conversions API reads three per list.
const MAX_USER_DATA_VALUES: usize = 3;

/// Never copied into event data, wherever a sender puts it.
const SECRET_KEY: &str = "api_secret";

pub(super) fn ingest(request: &RequestFacts, body: &[u8], limits: &Limits, out: &mut Intake<'_>) {
    if request.method != Method::Post {
        out.reject("Measurement Protocol requests must be POST");
        return;
    }
    if body.trim_ascii().is_empty() {
        out.reject("Measurement Protocol request without a body");
        return;
    }
    // The top level only, with every value left as unparsed text: the events are parsed one at
    // a time below, each within the request's budget.
    let root = match serde_json::from_slice::<BTreeMap<String, &RawValue>>(body) {
        Ok(root) => root,
        Err(e) if e.classify() == Category::Data => {
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
    let Some(events) = root.get("events") else {
        out.reject("Measurement Protocol body has no `events` array");
        return;
    };
    let mut shared = Shared::from_request(request, &root, out.budget());
    let streamed = for_each_element(events, &mut |index, element| {
        if out.is_full(limits) {
            out.reject_over_cap(limits);
            return true;
        }
        let element = match out.budget().parse_json(element.get().as_bytes()) {
            Ok(Json::Object(element)) => element,
            Ok(_) => {
                out.reject_with(|| format!("events[{index}] is not an object"));
                return true;
            }
            Err(_) => {
                out.reject_over_cap(limits);
                return true;
            }
        };
        let Some(Json::String(name)) = element.get("name") else {
            out.reject_with(|| format!("events[{index}] has no string `name`"));
            return true;
        };
        let name = name.clone();
        let mut notes = Vec::new();
        let mut event = build_event(name, element, &mut shared, limits, &mut notes);
        out.notes(notes.into_iter().map(|n| format!("events[{index}]: {n}")));
        out.accept(&mut event, limits);
        shared.take_back(&mut event);
        true
    });
    if streamed.is_err() {
        out.reject("Measurement Protocol body has no `events` array");
    }
}

/// Request-level fields every event of the body inherits. The maps are lent to each event in
/// turn ([`Shared::lend`], [`Shared::take_back`]), never copied.
struct Shared {
    measurement_id: Option<String>,
    fields: Vec<(&'static str, Value<'static>)>,
    user_properties: Map<'static>,
    user_data: Map<'static>,
    consent: Map<'static>,
    timestamp_micros: Option<Value<'static>>,
    /// Which maps the current event holds.
    lent: [bool; 3],
}

impl Shared {
    fn from_request(
        request: &RequestFacts,
        root: &BTreeMap<String, &RawValue>,
        budget: &mut Budget,
    ) -> Shared {
        let mut field = |key: &str| {
            root.get(key)
                .and_then(|raw| budget.parse_json(raw.get().as_bytes()).ok())
        };
        let fields = ["client_id", "user_id", "ip_override", "user_agent"]
            .into_iter()
            .filter_map(|key| match field(key)? {
                Json::String(s) if !s.is_empty() => Some((key, Value::from(s))),
                Json::Number(n) if key != "ip_override" => Some((key, Value::from(n.to_string()))),
                _ => None,
            })
            .collect();
        Shared {
            measurement_id: measurement_id(&request.query),
            fields,
            user_properties: user_properties(field("user_properties")).into(),
            user_data: user_data(field("user_data").as_ref()).into(),
            consent: consent(
                field("consent").as_ref(),
                field("non_personalized_ads").as_ref(),
            )
            .into(),
            timestamp_micros: field("timestamp_micros")
                .as_ref()
                .and_then(integer)
                .map(Value::from),
            lent: [false; 3],
        }
    }
}

/// The keys under which the shared maps are lent to an event.
const LENT: [&str; 3] = ["x-ga-mp2-user_properties", "user_data", "consent_state"];

impl Shared {
    fn map_mut(&mut self, key: &str) -> Option<&mut Map<'static>> {
        match key {
            "x-ga-mp2-user_properties" => Some(&mut self.user_properties),
            "user_data" => Some(&mut self.user_data),
            "consent_state" => Some(&mut self.consent),
            _ => None,
        }
    }

    /// Moves each non-empty shared map into `event` where the event has none of its own;
    /// returns which were lent.
    fn lend(&mut self, event: &mut EventData<'static>) -> [bool; 3] {
        LENT.map(|key| {
            let Some(map) = self.map_mut(key) else {
                return false;
            };
            if map.is_empty() || !event.get(key).is_none_or(Value::is_null) {
                return false;
            }
            event.insert(key, Value::Object(std::mem::take(map)));
            true
        })
    }

    /// Takes back what [`Shared::lend`] lent once the event has been handed on. Event data is
    /// only read downstream, so what comes back is what was lent (less any value the caps
    /// removed, which they would remove from every event alike).
    fn take_back(&mut self, event: &mut EventData<'static>) {
        let lent = std::mem::take(&mut self.lent);
        for (key, was_lent) in LENT.into_iter().zip(lent) {
            if let (true, Some(Value::Object(map))) = (was_lent, event.remove(key)) {
                if let Some(slot) = self.map_mut(key) {
                    *slot = map;
                }
            }
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

/// One event from its element (moved in, not copied) and the shared fields: the small ones
/// copied, the maps lent (see [`Shared::lend`]).
fn build_event(
    name: String,
    mut element: JsonMap<String, Json>,
    shared: &mut Shared,
    limits: &Limits,
    notes: &mut Vec<String>,
) -> EventData<'static> {
    let mut event = EventData::new();
    if let Some(Json::Object(params)) = element.remove("params") {
        event.extend(
            params
                .into_iter()
                .filter(|(key, _)| key != SECRET_KEY)
                .map(|(key, value)| (key, Value::from(value))),
        );
    }
    event.insert("event_name", Value::from(name));
    // Params are the most specific source; request-level fields fill in.
    for (key, value) in &shared.fields {
        set_if_absent(&mut event, key, value.clone());
    }
    shared.lent = shared.lend(&mut event);
    let timestamp = match element.get("timestamp_micros") {
        Some(raw) => integer(raw).map(Value::from).or_else(|| {
            note(
                notes,
                "`timestamp_micros` is not an integer; ignored".to_owned(),
            );
            None
        }),
        None => None,
    }
    .or_else(|| shared.timestamp_micros.clone());
    if let Some(timestamp) = timestamp {
        event.insert("timestamp_micros", timestamp);
    }
    if let Some(id) = &shared.measurement_id {
        event.insert("x-ga-measurement_id", Value::from(id.clone()));
    }
    event.insert("x-ga-protocol_version", Value::text("2"));
    cap_json(&mut event, limits, notes);
    event
}

/// `{"name": {"value": v}}` → `{"name": v}`; an unwrapped value is taken as it is.
fn user_properties(raw: Option<Json>) -> JsonMap<String, Json> {
    let Some(Json::Object(props)) = raw else {
        return JsonMap::new();
    };
    props
        .into_iter()
        .filter(|(name, _)| name.as_str() != SECRET_KEY)
        .filter_map(|(name, prop)| {
            let value = match prop {
                Json::Object(mut wrapper) => wrapper.remove("value")?,
                other => other,
            };
            (!value.is_null()).then_some((name, value))
        })
        .collect()
}

/// [`USER_DATA_KEYS`] and the addresses of `user_data`, each a string (or number) or an array:
/// up to three values or addresses are kept, one as itself and several as an array (an array
/// of one is unwrapped, so `{{event.user_data.address.city}}` reads the common case).
fn user_data(raw: Option<&Json>) -> JsonMap<String, Json> {
    let mut out = JsonMap::new();
    let Some(Json::Object(raw)) = raw else {
        return out;
    };
    for key in USER_DATA_KEYS {
        if let Some(value) = raw.get(key).and_then(|v| first_values(v, scalar)) {
            out.insert(key.to_owned(), value);
        }
    }
    let address = |value: &Json| {
        let Json::Object(address) = value else {
            return None;
        };
        let fields: JsonMap<String, Json> = ADDRESS_FIELDS
            .iter()
            .filter_map(|key| Some(((*key).to_owned(), scalar(address.get(*key)?)?)))
            .collect();
        (!fields.is_empty()).then_some(Json::Object(fields))
    };
    if let Some(addresses) = raw.get("address").and_then(|v| first_values(v, address)) {
        out.insert("address".to_owned(), addresses);
    }
    out
}

/// A non-empty string or a number, copied.
fn scalar(value: &Json) -> Option<Json> {
    match value {
        Json::String(s) if !s.is_empty() => Some(value.clone()),
        Json::Number(_) => Some(value.clone()),
        _ => None,
    }
}

/// `keep` of a value, or of the first [`MAX_USER_DATA_VALUES`] elements of an array it keeps
/// (one unwrapped, several as an array).
fn first_values(value: &Json, keep: impl Fn(&Json) -> Option<Json>) -> Option<Json> {
    let Json::Array(list) = value else {
        return keep(value);
    };
    let mut kept: Vec<Json> = list
        .iter()
        .filter_map(&keep)
        .take(MAX_USER_DATA_VALUES)
        .collect();
    match kept.len() {
        0 => None,
        1 => kept.pop(),
        _ => Some(Json::Array(kept)),
    }
}

/// `consent.ad_user_data` / `ad_personalization`: `"GRANTED"` / `"DENIED"` (any case) → `true` /
/// `false` under `consent_state`. The legacy `non_personalized_ads: true` means
/// ad_personalization denied, unless `consent.ad_personalization` says otherwise.
fn consent(raw: Option<&Json>, non_personalized_ads: Option<&Json>) -> JsonMap<String, Json> {
    let mut state = consent_signals(raw);
    if non_personalized_ads == Some(&Json::Bool(true)) && !state.contains_key("ad_personalization")
    {
        state.insert("ad_personalization".to_owned(), Json::Bool(false));
    }
    state
}

fn consent_signals(raw: Option<&Json>) -> JsonMap<String, Json> {
    let Some(Json::Object(raw)) = raw else {
        return JsonMap::new();
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
            Some((key.to_owned(), Json::Bool(granted)))
        })
        .collect()
}

/// A JSON integer from an integer, an integral float, or a numeric string.
fn integer(raw: &Json) -> Option<Json> {
    let number = match raw {
        Json::Number(n) => Json::Number(n.clone()),
        Json::String(s) => Json::from(parse_number(s.trim())?),
        _ => return None,
    };
    let Json::Number(n) = number else {
        return None;
    };
    if n.is_i64() || n.is_u64() {
        return Some(Json::Number(n));
    }
    let f = n.as_f64()?;
    // Integral and inside i64: the cast is exact.
    #[allow(clippy::cast_possible_truncation)]
    let as_int = f as i64;
    (f.fract() == 0.0 && f.abs() < 9.0e18).then(|| Json::Number(as_int.into()))
}

#[cfg(test)]
mod tests;
