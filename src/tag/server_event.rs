//! Server event data: `id`, `timestamp_ms`, `source_url`, `action_source`, `opt_out`.
//!
//! Automap reads `event_id`/`eventId`, the MP `timestamp_micros` (else the receipt time) and
//! `page_location`; overrides beat automap when they resolve to something. Ids are trimmed, and
//! a blank one counts as absent at every source. When no id is found, `order_created` uses
//! `transaction_id` (or the data layer's `ecommerce.transaction_id`), and otherwise a fallback
//! id is derived from the hit's identity (see [`fallback_id`]): identical for a replayed copy of
//! the same hit, so the API deduplicates it, and different for every genuinely new event, so the
//! API's dedup never swallows a real conversion. `source_url` is the page URL in its parsed,
//! serialised form, without user info or fragment. The time window is *not* checked here: the
//! API measures it on receipt, so delivery checks it right before each dispatch.

use std::borrow::Cow;

use crate::config::ValueSource;
use crate::event::Value;
use crate::event::{at_most_chars, lookup, text, text_at, EventData};
use crate::model::{ActionSource, EventType, StandardType};
use crate::tag::validate::Invalid;
use crate::tag::RequestScope;
use xxhash_rust::xxh3::Xxh3;

/// Longest id we send; a longer automapped or overridden id is refused rather than cut, since a
/// cut id could collide with another event's.
pub const MAX_ID_CHARS: usize = 512;

/// The server-event fields of one event.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerFields {
    pub id: String,
    pub timestamp_ms: u64,
    pub source_url: Option<String>,
}

/// Builds id, timestamp and source_url. `index` is the event's position in its request;
/// `nonce` gives the request's random nonce, drawn only for a fallback id of a hit that carries
/// no identity of its own.
pub fn build(
    scope: &mut RequestScope<'_>,
    event_type: &EventType,
    event: &EventData,
    index: usize,
) -> Result<ServerFields, Invalid> {
    let (config, request, now_ms) = (scope.config, scope.request, scope.now_ms);
    let settings = &config.server_event_data;
    let overrides = &settings.overrides;
    let automap = settings.automap;

    let timestamp_ms = match ValueSource::resolve_optional(&overrides.timestamp_ms, event, request)
    {
        Some(v) => integer(&v).ok_or(Invalid::TimestampNotInteger)?,
        None if automap => event_time_ms(event).unwrap_or(now_ms),
        None => return Err(Invalid::MissingTimestamp),
    };

    // Borrowed where it can be: `page_location` is read, not copied, for each event.
    let overridden = ValueSource::resolve_optional(&overrides.source_url, event, request);
    let raw_source_url = overridden
        .as_deref()
        .and_then(text)
        .or_else(|| automap.then(|| text_at(event, "page_location")).flatten());
    // The API checks `source_url` whatever the action source; only `web` requires one.
    let web = config.action_source == ActionSource::Web;
    let source_url = match raw_source_url.as_deref().map(|raw| {
        scope
            .urls
            .source_url(raw)
            .ok_or(Invalid::SourceUrlNotAbsolute)
    }) {
        Some(Ok(url)) => Some(url),
        Some(Err(reason)) if web => return Err(reason),
        Some(Err(_)) => {
            log::debug!("source_url is not an absolute http(s) URL; left out");
            None
        }
        // `web` without one is refused by the tag, after the id and timestamp rules.
        None => None,
    };

    let id = ValueSource::resolve_optional(&overrides.id, event, request)
        .and_then(|v| id_text(&v))
        .or_else(|| automap.then(|| automapped_id(event, event_type)).flatten())
        .or_else(|| {
            settings
                .generate_missing_id
                .then(|| fallback_id(event, index, &mut || scope.nonce()))
        });
    let id = match id {
        Some(id) if at_most_chars(&id, MAX_ID_CHARS) => id,
        Some(_) => return Err(Invalid::IdTooLong),
        None => return Err(Invalid::MissingId),
    };

    Ok(ServerFields {
        id,
        timestamp_ms,
        source_url,
    })
}

/// A non-negative integer from a JSON integer or an integer string.
fn integer(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// MP's `timestamp_micros` (written by ingest), in milliseconds.
fn event_time_ms(event: &EventData) -> Option<u64> {
    lookup(event, "timestamp_micros")
        .and_then(integer)
        .map(|micros| micros / 1000)
}

/// An id as sent: the value's text without surrounding whitespace; `None` when blank, so a
/// blank source (`ep.event_id=%20`) falls through to the next one.
fn id_text(value: &Value) -> Option<String> {
    let text = text(value)?;
    let id = text.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// `event_id` | `eventId`; for `order_created`, `transaction_id` | `ecommerce.transaction_id`.
fn automapped_id(event: &EventData, event_type: &EventType) -> Option<String> {
    let at = |path: &str| lookup(event, path).and_then(id_text);
    at("event_id")
        .or_else(|| at("eventId"))
        .or_else(|| match event_type {
            EventType::Standard(StandardType::OrderCreated) => {
                at("transaction_id").or_else(|| at("ecommerce.transaction_id"))
            }
            _ => None,
        })
}

/// The hashed fields, in hashing order: first the keys that identify one hit (GA4's client id +
/// page-load id + hit sequence, MP's client id + event time, sGTM's per-event id), then what
/// tells two events of one hit apart. With the event's position they separate every event of a
/// hit while a replay of the same hit maps to the same id.
const HASHED_KEYS: [&str; 10] = [
    "client_id",
    "user_id",
    "x-ga-page_id",
    "x-ga-request_count",
    "timestamp_micros",
    "unique_event_id",
    "ga_session_id",
    "event_name",
    "page_location",
    "transaction_id",
];

/// Slots of [`HASHED_KEYS`] that, when present, make a hit identifiable across replays.
const PAGE_ID: usize = 2;
const REQUEST_COUNT: usize = 3;
const TIMESTAMP_MICROS: usize = 4;
const UNIQUE_EVENT_ID: usize = 5;

/// The position of `key` in [`HASHED_KEYS`]. A `match` on the key compiles to a switch on its
/// length and one comparison, so one walk over the event's keys finds all ten fields for less
/// than ten separate map lookups (each a chain of string comparisons).
fn hashed_slot(key: &str) -> Option<usize> {
    Some(match key {
        "client_id" => 0,
        "user_id" => 1,
        "x-ga-page_id" => 2,
        "x-ga-request_count" => 3,
        "timestamp_micros" => 4,
        "unique_event_id" => 5,
        "ga_session_id" => 6,
        "event_name" => 7,
        "page_location" => 8,
        "transaction_id" => 9,
        _ => return None,
    })
}

/// What makes a hit recognisable when it is sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitIdentity {
    /// sGTM's `unique_event_id` (a Data Client or server container relaying the event).
    UniqueEventId,
    /// GA4's page-load id `_p` with the hit sequence number `_s`: unique per hit of a page load.
    PageLoad,
    /// The Measurement Protocol's `timestamp_micros` (request or event level).
    EventTime,
    /// Nothing that survives a replay: each collection request is a new event.
    None,
}

impl HitIdentity {
    fn of(texts: &HashedTexts<'_>) -> HitIdentity {
        let has = |slot: usize| texts.get(slot).is_some_and(Option::is_some);
        if has(UNIQUE_EVENT_ID) {
            HitIdentity::UniqueEventId
        } else if has(PAGE_ID) && has(REQUEST_COUNT) {
            HitIdentity::PageLoad
        } else if has(TIMESTAMP_MICROS) {
            HitIdentity::EventTime
        } else {
            HitIdentity::None
        }
    }
}

/// The text of each [`HASHED_KEYS`] field the event has, in slot order.
type HashedTexts<'e> = [Option<Cow<'e, str>>; HASHED_KEYS.len()];

/// One walk over the event's keys finds all ten fields, and each value's text is made once:
/// a number's (`_p`, `_s`) is formatted into a new string, and both the identity and the hash
/// read it.
fn hashed_texts<'e>(event: &'e EventData<'_>) -> HashedTexts<'e> {
    let mut found: [Option<&Value>; HASHED_KEYS.len()] = [None; HASHED_KEYS.len()];
    for (key, value) in event {
        if let Some(slot) = hashed_slot(key).and_then(|i| found.get_mut(i)) {
            *slot = Some(value);
        }
    }
    found.map(|value| value.and_then(text))
}

/// 32 hex characters (128 bits) of XXH3-128 over the hit's identity.
///
/// Each field goes in as its length and bytes (an absent one as a marker), in a fixed order:
/// unambiguous without hashing the key names.
///
/// The id only has to be stable and spread out, not secret or collision-proof against a
/// crafted hit: a sender who wants to collide can already send any `event_id` it likes. So a
/// fast non-cryptographic 128-bit hash does the job; SHA-256 was the largest single cost of an
/// event without an id (~12k instructions, three compression blocks).
///
/// A hit without a [`HitIdentity`] (a GA4 hit without `_p`/`_s`, an MP request without
/// `timestamp_micros`, a Data-Client request) gives no way to tell a replay from a repeat: the
/// same `add_to_cart` from one client an hour later looks exactly alike. A deterministic id
/// would then make the API drop every repeat as a duplicate, losing real conversions, so the
/// request's random `nonce` is mixed in: each such collection request counts once, and only an
/// `event_id` can deduplicate its replays.
pub fn fallback_id(event: &EventData, index: usize, nonce: &mut dyn FnMut() -> [u8; 16]) -> String {
    let texts = hashed_texts(event);
    let mut hasher = Xxh3::new();
    for text in &texts {
        match text {
            Some(v) => {
                hasher.update(&u32::try_from(v.len()).unwrap_or(u32::MAX - 1).to_le_bytes());
                hasher.update(v.as_bytes());
            }
            None => hasher.update(&u32::MAX.to_le_bytes()),
        }
    }
    hasher.update(&(index as u64).to_le_bytes());
    if HitIdentity::of(&texts) == HitIdentity::None {
        hasher.update(&nonce());
    }
    crate::payload::hex_lower(&hasher.digest128().to_be_bytes())
}

#[cfg(test)]
mod tests;
