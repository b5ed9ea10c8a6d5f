use super::*;
use crate::model::StandardType;
use serde_json::{json, Value};

pub(super) fn page_view() -> ApiEvent {
    ApiEvent {
        id: "e1".into(),
        event_type: EventType::Standard(StandardType::PageViewed),
        custom_event_name: None,
        timestamp_ms: 1_700_000_000_000,
        action_source: ActionSource::Web,
        source_url: Some("https://shop.example.com/".into()),
        oppref: None,
        opt_out: None,
        user: User::default(),
        data: Data::new(DataShape::Contents),
    }
}

#[test]
fn event_serialises_with_api_field_names_and_omits_empty_parts() {
    let encoded = Encoder::default().encode(page_view()).unwrap();
    let v: Value = serde_json::from_str(&encoded.json).unwrap();
    assert_eq!(
        v,
        json!({"id": "e1", "type": "page_viewed", "timestamp_ms": 1_700_000_000_000u64,
               "action_source": "web", "source_url": "https://shop.example.com/",
               "data": {"type": "contents"}})
    );
}

#[test]
fn encoded_event_is_named_by_its_standard_type_or_its_custom_name() {
    let standard = Encoder::default().encode(page_view()).unwrap();
    assert_eq!(standard.name, "page_viewed");
    // A standard type's name is a constant: the event holds no string for it.
    assert!(matches!(standard.name, Cow::Borrowed(_)));
    assert_eq!(
        standard.heap_bytes(),
        standard.json.capacity() + standard.id.capacity()
    );

    let custom_type = EventType::inherit("newsletter_signup").unwrap();
    let custom = Encoder::default()
        .encode(ApiEvent {
            custom_event_name: custom_type.custom_name().map(|n| n.as_str().to_owned()),
            event_type: custom_type,
            ..page_view()
        })
        .unwrap();
    assert_eq!(custom.name, "newsletter_signup");
    assert_eq!(custom.id, "e1");
}

#[test]
fn body_joins_encoded_events() {
    let e = Encoder::default().encode(page_view()).unwrap();
    let body = RequestBody {
        validate_only: true,
        integration_source: Some("acme".into()),
    }
    .encode(&[e.clone(), e]);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["validate_only"], json!(true));
    assert_eq!(v["integration_source"], json!("acme"));
    assert_eq!(v["events"].as_array().unwrap().len(), 2);
}

#[test]
fn body_is_allocated_once_at_its_final_size() {
    let e = Encoder::default().encode(page_view()).unwrap();
    for (validate_only, integration_source) in [
        (false, None),
        (true, None),
        (false, Some("acme \"quoted\" \u{e9}".to_owned())),
    ] {
        let settings = RequestBody {
            validate_only,
            integration_source,
        };
        for events in [vec![], vec![e.clone()], vec![e.clone(); 100]] {
            let body = settings.encode(&events);
            assert!(serde_json::from_slice::<Value>(&body).is_ok());
            // Two bytes of slack at most: `true` is one shorter than `false`, and there
            // is one separator fewer than events.
            assert!(
                body.capacity() - body.len() <= 2,
                "{} events: capacity {} for {} bytes",
                events.len(),
                body.capacity(),
                body.len()
            );
        }
    }
}

#[test]
fn sha256_hex_forms() {
    assert_eq!(
        Sha256Hex::digest("user@example.com").as_str(),
        "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"
    );
    let upper = "B4C9A289323B21A01C3E940F150EB9B8C542587F1ABFD8F0E1CC1FFC5E475514";
    assert_eq!(
        Sha256Hex::from_hex(upper).unwrap().as_str(),
        upper.to_ascii_lowercase()
    );
    assert!(Sha256Hex::from_hex("xyz").is_none());
    assert!(Sha256Hex::from_hex(&"g".repeat(64)).is_none());
}
