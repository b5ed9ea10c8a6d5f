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

use crate::config::{Config, ValueSource};
use crate::event::{lookup, text, text_at, EventData};
use crate::payload::ActionSource;
use crate::request::RequestFacts;
use crate::tag::event_name::{EventType, StandardType};
use crate::tag::validate::Invalid;
use serde_json::Value;
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
    config: &Config,
    event_type: &EventType,
    event: &EventData,
    request: &RequestFacts,
    index: usize,
    now_ms: u64,
    nonce: &mut dyn FnMut() -> [u8; 16],
) -> Result<ServerFields, Invalid> {
    let settings = &config.server_event_data;
    let overrides = &settings.overrides;
    let automap = settings.automap;

    let timestamp_ms = match resolve(&overrides.timestamp_ms, event, request) {
        Some(v) => integer(&v).ok_or(Invalid::TimestampNotInteger)?,
        None if automap => event_time_ms(event).unwrap_or(now_ms),
        None => return Err(Invalid::MissingTimestamp),
    };

    let raw_source_url = resolve(&overrides.source_url, event, request)
        .and_then(|v| text(&v).map(|t| t.into_owned()))
        .or_else(|| {
            automap
                .then(|| text_at(event, "page_location").map(|t| t.into_owned()))
                .flatten()
        });
    // The API checks `source_url` whatever the action source; only `web` requires one.
    let web = config.action_source == ActionSource::Web;
    let source_url = match raw_source_url.as_deref().map(source_url) {
        Some(Ok(url)) => Some(url),
        Some(Err(reason)) if web => return Err(reason),
        Some(Err(_)) => {
            log::debug!("source_url is not an absolute http(s) URL; left out");
            None
        }
        // `web` without one is refused by the tag, after the id and timestamp rules.
        None => None,
    };

    let id = resolve(&overrides.id, event, request)
        .and_then(|v| id_text(&v))
        .or_else(|| automap.then(|| automapped_id(event, event_type)).flatten())
        .or_else(|| {
            settings
                .generate_missing_id
                .then(|| fallback_id(event, index, nonce))
        });
    let id = match id {
        Some(id) if id.chars().count() <= MAX_ID_CHARS => id,
        Some(_) => return Err(Invalid::IdTooLong),
        None => return Err(Invalid::MissingId),
    };

    Ok(ServerFields {
        id,
        timestamp_ms,
        source_url,
    })
}

fn resolve<'a>(
    source: &'a Option<ValueSource>,
    event: &'a EventData,
    request: &'a RequestFacts,
) -> Option<Value> {
    source
        .as_ref()?
        .resolve(event, request)
        .map(|v| v.into_owned())
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
    fn of(found: &[Option<&Value>; HASHED_KEYS.len()]) -> HitIdentity {
        let has = |slot: usize| found.get(slot).copied().flatten().and_then(text).is_some();
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
    let mut found: [Option<&Value>; HASHED_KEYS.len()] = [None; HASHED_KEYS.len()];
    for (key, value) in event {
        if let Some(slot) = hashed_slot(key).and_then(|i| found.get_mut(i)) {
            *slot = Some(value);
        }
    }
    let mut hasher = Xxh3::new();
    for value in &found {
        match value.and_then(text) {
            Some(v) => {
                hasher.update(&u32::try_from(v.len()).unwrap_or(u32::MAX - 1).to_le_bytes());
                hasher.update(v.as_bytes());
            }
            None => hasher.update(&u32::MAX.to_le_bytes()),
        }
    }
    hasher.update(&(index as u64).to_le_bytes());
    if HitIdentity::of(&found) == HitIdentity::None {
        hasher.update(&nonce());
    }
    crate::payload::hex_lower(&hasher.digest128().to_be_bytes())
}

/// `source_url` as the API wants it: an absolute http(s) URL with a host, without raw
/// whitespace or control characters, in its parsed, serialised form (`HTTP://Shop.Example` →
/// `http://shop.example/`, non-ASCII percent-encoded), so the API never sees a form it might
/// read differently. User info (`user:password@`) and the fragment are removed: credentials
/// must never leave the gateway, and a fragment is client-side state the API has no use for.
pub fn source_url(raw: &str) -> Result<String, Invalid> {
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::SourceUrlNotAbsolute);
    }
    if is_serialised_form(raw) {
        return Ok(raw.to_owned());
    }
    match url::Url::parse(raw) {
        Ok(mut u)
            if matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some_and(|h| !h.is_empty()) =>
        {
            // Neither can fail on an http(s) URL with a host.
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_fragment(None);
            Ok(u.into())
        }
        _ => Err(Invalid::SourceUrlNotAbsolute),
    }
}

/// Whether `url` already is what `url::Url` would serialise it to, read without a parse (which
/// costs several thousand instructions per event): a plain http(s) host (see
/// `plain_http_host`), a path, and after it only characters the parser keeps as they are: no
/// dot segments to resolve, no backslash, nothing it percent-encodes. Any other form is parsed.
fn is_serialised_form(url: &str) -> bool {
    let Some(host) = crate::response::domain::plain_http_host(url) else {
        return false;
    };
    let scheme_len = if url.starts_with("https://") { 8 } else { 7 };
    let Some(rest) = url.get(scheme_len + host.len()..) else {
        return false;
    };
    rest.starts_with('/')
        && !rest.contains("/.")
        && !rest.contains("%2e")
        && !rest.contains("%2E")
        // `'` is percent-encoded by the parser in a query, and `?` starts one.
        && rest
            .bytes()
            .all(|b| (crate::url_path::is_path_byte(b) && b != b'\'') || b == b'?')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{config, event as ev};
    use serde_json::json;

    fn req() -> RequestFacts {
        RequestFacts::from_headers(
            &[
                (":path".into(), b"/g/collect?oid=Q-1".to_vec()),
                ("x-order".into(), b"H-9".to_vec()),
            ],
            None,
        )
        .unwrap()
    }

    const NOW: u64 = 1_747_945_830_456;
    fn page_viewed() -> EventType {
        EventType::Standard(StandardType::PageViewed)
    }

    /// A request nonce that is never drawn: the hit must carry an identity.
    fn no_nonce() -> [u8; 16] {
        panic!("this hit has an identity of its own; no nonce may be drawn")
    }

    fn build_with(c: &Config, t: &EventType, e: Value) -> Result<ServerFields, Invalid> {
        build(c, t, &ev(e), &req(), 0, NOW, &mut || [9; 16])
    }

    /// The fallback id of `hit` at position `index`, with request nonce `nonce`.
    fn fallback(hit: &Value, index: usize, nonce: u8) -> String {
        fallback_id(&ev(hit.clone()), index, &mut || [nonce; 16])
    }

    #[test]
    fn fallback_id_finds_every_hashed_key_in_its_slot() {
        for (i, key) in HASHED_KEYS.iter().enumerate() {
            assert_eq!(hashed_slot(key), Some(i), "{key}");
        }
        assert_eq!(hashed_slot("event_id"), None);
    }

    #[test]
    fn fallback_id_hashes_the_same_fields_as_a_lookup_per_key() {
        // The walk over the event's keys must read what a lookup of each key would read,
        // numbers and arrays included, so ids stay what the field list says.
        let e = ev(json!({
            "client_id": "1.2", "x-ga-page_id": 77, "ga_session_id": [12, 13],
            "event_name": "page_view", "page_location": "https://a.example/", "other": "x",
            "user_id": "", "transaction_id": true
        }));
        let mut reference = Xxh3::new();
        for key in HASHED_KEYS {
            match text_at(&e, key) {
                Some(v) => {
                    reference.update(&u32::try_from(v.len()).unwrap().to_le_bytes());
                    reference.update(v.as_bytes());
                }
                None => reference.update(&u32::MAX.to_le_bytes()),
            }
        }
        reference.update(&3u64.to_le_bytes());
        reference.update(&[5u8; 16]);
        let expected = crate::payload::hex_lower(&reference.digest128().to_be_bytes());
        assert_eq!(fallback_id(&e, 3, &mut || [5; 16]), expected);
        assert_eq!(expected.len(), 32);
    }

    #[test]
    fn stape_11_automap_timestamp_source_url_and_id() {
        let f = build_with(
            &config(json!({})),
            &page_viewed(),
            json!({"page_location": "https://example.com/test", "event_id": "evt-abc-123"}),
        )
        .unwrap();
        assert_eq!(
            f,
            ServerFields {
                id: "evt-abc-123".into(),
                timestamp_ms: NOW,
                source_url: Some("https://example.com/test".into())
            }
        );
    }

    #[test]
    fn stape_12_event_id_falls_back_to_eventid() {
        let f = build_with(
            &config(json!({})),
            &page_viewed(),
            json!({"eventId": "fallback-id-456"}),
        )
        .unwrap();
        assert_eq!(f.id, "fallback-id-456");
    }

    #[test]
    fn stape_13_overrides_beat_automap() {
        let c = config(json!({"server_event_data": {"overrides": {
            "timestamp_ms": 9999, "source_url": "https://manual.example.com/", "id": "manual-event-id"}}}));
        let f = build_with(
            &c,
            &page_viewed(),
            json!({"event_id": "e", "page_location": "https://example.com"}),
        )
        .unwrap();
        assert_eq!(
            f,
            ServerFields {
                id: "manual-event-id".into(),
                timestamp_ms: 9999,
                source_url: Some("https://manual.example.com/".into())
            }
        );
    }

    #[test]
    fn references_resolve_from_event_header_and_query_and_empty_ones_leave_automap() {
        let c = config(json!({"server_event_data": {"overrides": {"id": "{{header.x-order}}"}}}));
        assert_eq!(
            build_with(&c, &page_viewed(), json!({"event_id": "e"}))
                .unwrap()
                .id,
            "H-9"
        );
        let c = config(json!({"server_event_data": {"overrides": {"id": "{{query.oid}}"}}}));
        assert_eq!(build_with(&c, &page_viewed(), json!({})).unwrap().id, "Q-1");
        let c =
            config(json!({"server_event_data": {"overrides": {"id": "{{event.order.number}}"}}}));
        assert_eq!(
            build_with(&c, &page_viewed(), json!({"order": {"number": 42}}))
                .unwrap()
                .id,
            "42"
        );
        assert_eq!(
            build_with(&c, &page_viewed(), json!({"event_id": "auto", "order": {}}))
                .unwrap()
                .id,
            "auto"
        );
    }

    #[test]
    fn mp_timestamp_micros_is_the_event_time() {
        let f = build_with(
            &config(json!({})),
            &page_viewed(),
            json!({"timestamp_micros": 1_700_000_000_123_456u64}),
        )
        .unwrap();
        assert_eq!(f.timestamp_ms, 1_700_000_000_123);
    }

    #[test]
    fn timestamp_override_must_be_an_integer() {
        let c =
            config(json!({"server_event_data": {"overrides": {"timestamp_ms": "{{event.ts}}"}}}));
        assert_eq!(
            build_with(&c, &page_viewed(), json!({"ts": "1700000000000"}))
                .unwrap()
                .timestamp_ms,
            1_700_000_000_000
        );
        assert_eq!(
            build_with(&c, &page_viewed(), json!({"ts": "soon"})),
            Err(Invalid::TimestampNotInteger)
        );
        assert_eq!(
            build_with(&c, &page_viewed(), json!({"ts": 1.5})),
            Err(Invalid::TimestampNotInteger)
        );
    }

    #[test]
    fn stape_37d_no_automap_and_no_timestamp_is_invalid() {
        let c = config(
            json!({"server_event_data": {"automap": false, "overrides": {"id": "x", "source_url": "https://e.com"}}}),
        );
        assert_eq!(
            build_with(&c, &page_viewed(), json!({})),
            Err(Invalid::MissingTimestamp)
        );
    }

    #[test]
    fn order_created_uses_transaction_id_when_there_is_no_event_id() {
        let order = EventType::Standard(StandardType::OrderCreated);
        let c = config(json!({}));
        assert_eq!(
            build_with(&c, &order, json!({"transaction_id": "T-1001"}))
                .unwrap()
                .id,
            "T-1001"
        );
        assert_eq!(
            build_with(
                &c,
                &order,
                json!({"transaction_id": "T-1", "event_id": "E-1"})
            )
            .unwrap()
            .id,
            "E-1"
        );
        assert_ne!(
            build_with(
                &c,
                &page_viewed(),
                json!({"transaction_id": "T-1", "client_id": "c"})
            )
            .unwrap()
            .id,
            "T-1"
        );
    }

    #[test]
    fn fallback_id_of_a_ga4_hit_is_its_page_load_and_hit_sequence() {
        let hit = json!({"client_id": "1.2", "x-ga-page_id": 123, "x-ga-request_count": 2,
                         "event_name": "page_view"});
        let a = fallback_id(&ev(hit.clone()), 0, &mut no_nonce);
        assert_eq!(
            a,
            fallback_id(&ev(hit.clone()), 0, &mut no_nonce),
            "a replay gets the same id"
        );
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(
            a,
            fallback_id(&ev(hit.clone()), 1, &mut no_nonce),
            "two lines differ"
        );
        let mut next_hit = hit.clone();
        next_hit["x-ga-request_count"] = json!(3);
        assert_ne!(a, fallback_id(&ev(next_hit), 0, &mut no_nonce));
        let mut next_page = hit;
        next_page["x-ga-page_id"] = json!(124);
        assert_ne!(a, fallback_id(&ev(next_page), 0, &mut no_nonce));
    }

    #[test]
    fn fallback_id_of_an_mp_event_is_its_client_and_event_time() {
        let day1 = json!({"client_id": "mp.1", "event_name": "generate_lead",
                          "timestamp_micros": 1_700_000_000_000_000u64});
        let mut day2 = day1.clone();
        day2["timestamp_micros"] = json!(1_700_086_400_000_000u64);
        let a = fallback_id(&ev(day1.clone()), 0, &mut no_nonce);
        assert_eq!(
            a,
            fallback_id(&ev(day1), 0, &mut no_nonce),
            "a replay gets the same id"
        );
        assert_ne!(
            a,
            fallback_id(&ev(day2), 0, &mut no_nonce),
            "the next day's lead differs"
        );
    }

    #[test]
    fn fallback_id_of_an_sgtm_event_is_its_unique_event_id() {
        let e = json!({"client_id": "c", "unique_event_id": "1700000000000_123456789",
                       "event_name": "add_to_cart"});
        assert_eq!(
            fallback_id(&ev(e.clone()), 0, &mut no_nonce),
            fallback_id(&ev(e), 0, &mut no_nonce)
        );
    }

    #[test]
    fn fallback_id_differs_for_mp_events_on_two_days_without_timestamp_micros() {
        // The same lead from the same client, sent in two requests: nothing tells them apart
        // but the request, so each request's nonce does.
        let lead = json!({"client_id": "mp.1", "event_name": "generate_lead"});
        assert_ne!(fallback(&lead, 0, 1), fallback(&lead, 0, 2));
        assert_eq!(fallback(&lead, 0, 1), fallback(&lead, 0, 1));
    }

    #[test]
    fn fallback_id_differs_for_data_client_add_to_cart_an_hour_apart() {
        let add = json!({"client_id": "dcid.1.1700000000000.1", "event_name": "add_to_cart",
                         "page_location": "https://shop.example/p/1"});
        assert_ne!(fallback(&add, 0, 1), fallback(&add, 0, 2));
    }

    #[test]
    fn fallback_id_differs_for_ga4_hits_without_page_load_id() {
        // Same client, session and hit number on two page loads of one session: without `_p`
        // the hits are indistinguishable, so they must not share an id.
        let hit = json!({"client_id": "1.2", "ga_session_id": "1700000000",
                         "x-ga-request_count": 1, "event_name": "page_view",
                         "page_location": "https://shop.example/"});
        assert_ne!(fallback(&hit, 0, 1), fallback(&hit, 0, 2));
        // Two events of one such request still differ from each other.
        assert_ne!(fallback(&hit, 0, 1), fallback(&hit, 1, 1));
    }

    #[test]
    fn hit_identity_prefers_unique_event_id_then_page_load_then_event_time() {
        let identity = |e: Value| {
            let e = ev(e);
            let mut found: [Option<&Value>; HASHED_KEYS.len()] = [None; HASHED_KEYS.len()];
            for (key, value) in &e {
                if let Some(slot) = hashed_slot(key).and_then(|i| found.get_mut(i)) {
                    *slot = Some(value);
                }
            }
            HitIdentity::of(&found)
        };
        assert_eq!(
            identity(json!({"unique_event_id": "u", "x-ga-page_id": 1, "x-ga-request_count": 1})),
            HitIdentity::UniqueEventId
        );
        assert_eq!(
            identity(json!({"x-ga-page_id": 1, "x-ga-request_count": 1, "timestamp_micros": 5})),
            HitIdentity::PageLoad
        );
        assert_eq!(identity(json!({"x-ga-page_id": 1})), HitIdentity::None);
        assert_eq!(
            identity(json!({"timestamp_micros": 5})),
            HitIdentity::EventTime
        );
        assert_eq!(identity(json!({"unique_event_id": ""})), HitIdentity::None);
        assert_eq!(identity(json!({"client_id": "1.2"})), HitIdentity::None);
    }

    #[test]
    fn blank_automapped_id_falls_through_to_the_next_source() {
        let c = config(json!({}));
        // `ep.event_id=%20`: blank, so eventId is used.
        let f = build_with(
            &c,
            &page_viewed(),
            json!({"event_id": " ", "eventId": "E-2"}),
        );
        assert_eq!(f.unwrap().id, "E-2");
        // Blank everywhere: the fallback id, never "too long".
        let f = build_with(
            &c,
            &page_viewed(),
            json!({"event_id": "\t", "client_id": "1.2"}),
        );
        assert_eq!(f.unwrap().id.len(), 32);
        let order = EventType::Standard(StandardType::OrderCreated);
        let f = build_with(
            &c,
            &order,
            json!({"event_id": "", "transaction_id": " T-7 "}),
        );
        assert_eq!(f.unwrap().id, "T-7", "ids are trimmed");
        // Without a fallback, a blank id is a missing id, not a long one.
        let strict = config(json!({"server_event_data": {"generate_missing_id": false}}));
        assert_eq!(
            build_with(&strict, &page_viewed(), json!({"event_id": "  "})),
            Err(Invalid::MissingId)
        );
        let blank_override =
            config(json!({"server_event_data": {"overrides": {"id": "{{event.order_ref}}"}}}));
        assert_eq!(
            build_with(
                &blank_override,
                &page_viewed(),
                json!({"order_ref": " ", "event_id": "E"})
            )
            .unwrap()
            .id,
            "E"
        );
    }

    #[test]
    fn ecommerce_transaction_id_is_the_id_of_an_order_without_a_top_level_one() {
        let order = EventType::Standard(StandardType::OrderCreated);
        let c = config(json!({}));
        let data_layer = json!({"ecommerce": {"transaction_id": "T-55", "value": 10}});
        assert_eq!(build_with(&c, &order, data_layer).unwrap().id, "T-55");
        let both = json!({"transaction_id": "T-1", "ecommerce": {"transaction_id": "T-55"}});
        assert_eq!(build_with(&c, &order, both).unwrap().id, "T-1");
        let not_an_order = json!({"ecommerce": {"transaction_id": "T-55"}, "client_id": "c"});
        assert_ne!(
            build_with(&c, &page_viewed(), not_an_order).unwrap().id,
            "T-55"
        );
    }

    #[test]
    fn missing_id_without_fallback_is_invalid() {
        let c = config(json!({"server_event_data": {"generate_missing_id": false}}));
        assert_eq!(
            build_with(&c, &page_viewed(), json!({})),
            Err(Invalid::MissingId)
        );
        let c = config(json!({}));
        assert_eq!(
            build_with(&c, &page_viewed(), json!({"event_id": "x".repeat(513)})),
            Err(Invalid::IdTooLong)
        );
    }

    #[test]
    fn source_url_drops_credentials_and_fragment() {
        for (raw, sent) in [
            (
                "https://user:pw@shop.example.com/checkout?step=2#payment",
                "https://shop.example.com/checkout?step=2",
            ),
            (
                "https://admin@shop.example.com/",
                "https://shop.example.com/",
            ),
            ("https://shop.example.com/#top", "https://shop.example.com/"),
            ("https://shop.example.com/a#", "https://shop.example.com/a"),
        ] {
            assert_eq!(source_url(raw).as_deref(), Ok(sent), "{raw}");
        }
    }

    #[test]
    fn source_url_must_be_absolute_http_with_a_host() {
        assert_eq!(
            source_url("https://shop.example.com/a?b=c").as_deref(),
            Ok("https://shop.example.com/a?b=c")
        );
        assert!(source_url("http://localhost:8080/").is_ok());
        for bad in [
            "/relative",
            "shop.example.com",
            "ftp://e.com/",
            "https://",
            "javascript:alert(1)",
            "",
            "//shop.example.com/x",
        ] {
            assert_eq!(source_url(bad), Err(Invalid::SourceUrlNotAbsolute), "{bad}");
        }
    }

    #[test]
    fn source_url_rejects_raw_whitespace_and_control_characters() {
        for bad in [
            "https://shop.example.com/a b",
            " https://shop.example.com/",
            "https://shop.example.com/\n",
            "https://shop.example.com/\t",
            "https://shop.example.com/\u{7f}",
            "https://shop.example.com/\u{a0}",
        ] {
            assert_eq!(
                source_url(bad),
                Err(Invalid::SourceUrlNotAbsolute),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn source_url_is_sent_in_its_parsed_serialised_form() {
        for (raw, sent) in [
            ("HTTPS://Shop.Example.COM", "https://shop.example.com/"),
            ("https://shop.example.com", "https://shop.example.com/"),
            (
                "https://shop.example.com/a/../b",
                "https://shop.example.com/b",
            ),
            (
                "https://shop.example.com/caf\u{e9}",
                "https://shop.example.com/caf%C3%A9",
            ),
            ("https://bücher.example/", "https://xn--bcher-kva.example/"),
            (
                "https://shop.example.com/\"q\"",
                "https://shop.example.com/%22q%22",
            ),
            ("http://shop.example.com:80/x", "http://shop.example.com/x"),
        ] {
            assert_eq!(source_url(raw).as_deref(), Ok(sent), "{raw}");
        }
    }

    #[test]
    fn source_url_shortcut_agrees_with_the_parser() {
        for raw in [
            "https://shop.example.com/",
            "https://shop.example.com/p?q=1&r=a%20b",
            "http://a-b.example.org/x/y;z=1?o=p:q@r!$(*)+,~",
            "https://shop.example.com/.hidden",
            "https://shop.example.com/%2e%2e/x",
            "https://shop.example.com/a'b",
        ] {
            let parsed: String = url::Url::parse(raw).unwrap().into();
            assert_eq!(source_url(raw).unwrap(), parsed, "{raw}");
        }
    }

    #[test]
    fn source_url_invalid_under_web_fails_and_elsewhere_is_left_out() {
        let relative = json!({"page_location": "/checkout", "event_id": "e"});
        assert_eq!(
            build_with(&config(json!({})), &page_viewed(), relative.clone()),
            Err(Invalid::SourceUrlNotAbsolute)
        );
        let offline = config(json!({"action_source": "offline"}));
        let f = build_with(&offline, &page_viewed(), relative).unwrap();
        assert_eq!(f.source_url, None);
        let f = build_with(
            &offline,
            &page_viewed(),
            json!({"page_location": "https://Shop.example.com", "event_id": "e"}),
        )
        .unwrap();
        assert_eq!(f.source_url.as_deref(), Some("https://shop.example.com/"));
    }
}
