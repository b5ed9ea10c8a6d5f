use super::*;
use crate::config::{Config, Format};
use crate::request::RequestFacts;
use crate::test_support::event_json as json;
use crate::test_support::{config, event as ev};

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
    let request = req();
    let mut random = || [9; 16];
    let mut scope = RequestScope::new(c, Format::Ga4, &request, NOW, &mut random);
    build(&mut scope, t, &ev(e), 0)
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
    let c = config(json!({"server_event_data": {"overrides": {"id": "{{event.order.number}}"}}}));
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
    let c = config(json!({"server_event_data": {"overrides": {"timestamp_ms": "{{event.ts}}"}}}));
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
    if let Some(map) = next_hit.as_object_mut() {
        map.insert("x-ga-request_count", json!(3));
    }
    assert_ne!(a, fallback_id(&ev(next_hit), 0, &mut no_nonce));
    let mut next_page = hit;
    if let Some(map) = next_page.as_object_mut() {
        map.insert("x-ga-page_id", json!(124));
    }
    assert_ne!(a, fallback_id(&ev(next_page), 0, &mut no_nonce));
}

#[test]
fn fallback_id_of_an_mp_event_is_its_client_and_event_time() {
    let day1 = json!({"client_id": "mp.1", "event_name": "generate_lead",
                      "timestamp_micros": 1_700_000_000_000_000u64});
    let mut day2 = day1.clone();
    if let Some(map) = day2.as_object_mut() {
        map.insert("timestamp_micros", json!(1_700_086_400_000_000u64));
    }
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
        HitIdentity::of(&hashed_texts(&e))
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
