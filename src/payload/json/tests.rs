use super::*;
use crate::model::ActionSource;
use crate::model::{DataShape, EventType, StandardType};
use crate::payload::Sha256Hex;

fn content(i: i64) -> Content {
    Content {
        id: Some(format!("SKU-{i}")),
        name: Some(format!("Näme \"{i}\"\t\\ \u{1}\u{7f} ✓")),
        content_type: "product".into(),
        quantity: Some(i),
        amount: Some(-i * 1999),
        currency: Some("EUR".into()),
        group_id: Some("G".into()),
        variant_dict: Some(
            [("size", "m"), ("n\"", "\u{1}✓")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into(),
        ),
    }
}

fn full() -> ApiEvent {
    ApiEvent {
        id: "e1\n".into(),
        event_type: EventType::from_name("My_Event").unwrap(),
        custom_event_name: Some("my_event".into()),
        timestamp_ms: u64::MAX,
        action_source: ActionSource::PhysicalStore,
        source_url: Some("https://shop.example.com/p?q=\"1\"&x=</script>".into()),
        oppref: Some("gAAAAABn-x_Y==".into()),
        opt_out: Some(false),
        user: User {
            obref: Some("0b6e1c1e-8a3d-4f9e-9d51-2f1a7c6b9e10".into()),
            emails_sha256: vec![Sha256Hex::digest("a"), Sha256Hex::digest("b")],
            phone_numbers_sha256: vec![Sha256Hex::digest("c")],
            external_ids_sha256: vec![Sha256Hex::digest("d")],
            first_names_sha256: vec![Sha256Hex::digest("e")],
            last_names_sha256: vec![Sha256Hex::digest("f")],
            countries: vec!["DE".into()],
            regions: vec!["Bayern".into(), "B\\Y".into()],
            cities: vec!["Köln".into()],
            postal_codes: vec!["10115".into()],
            ip_address: Some("2001:db8::1".into()),
            user_agent: Some("Mozilla/5.0 (X11; \"Linux\")".into()),
        },
        data: Data {
            shape: DataShape::Custom,
            amount: Some(i64::MIN),
            currency: Some("USD".into()),
            contents: Some((0..3).map(content).collect()),
            plan_id: Some("gold".into()),
        },
    }
}

fn same_as_serde(event: &ApiEvent) {
    assert_eq!(
        event_json(event, &mut String::new()).unwrap(),
        serde_json::to_string(event).unwrap()
    );
}

#[test]
fn every_field_is_written_as_serde_json_writes_it() {
    same_as_serde(&full());
    let mut sparse = full();
    sparse.event_type = EventType::Standard(StandardType::PageViewed);
    sparse.custom_event_name = None;
    sparse.timestamp_ms = 0;
    sparse.source_url = None;
    sparse.oppref = None;
    sparse.opt_out = Some(true);
    sparse.user = User::default();
    sparse.data = Data::new(DataShape::Contents);
    same_as_serde(&sparse);
    sparse.opt_out = None;
    sparse.user.user_agent = Some(String::new());
    sparse.data.contents = Some(Vec::new());
    sparse.data.amount = Some(0);
    same_as_serde(&sparse);
    for action_source in [
        ActionSource::Web,
        ActionSource::MobileApp,
        ActionSource::Offline,
        ActionSource::PhysicalStore,
        ActionSource::PhoneCall,
        ActionSource::Email,
        ActionSource::Other,
    ] {
        sparse.action_source = action_source;
        same_as_serde(&sparse);
    }
    for shape in [
        DataShape::Contents,
        DataShape::CustomerAction,
        DataShape::PlanEnrollment,
        DataShape::Custom,
    ] {
        sparse.data.shape = shape;
        same_as_serde(&sparse);
    }
    for t in StandardType::ALL {
        sparse.event_type = EventType::Standard(t);
        same_as_serde(&sparse);
    }
}

#[test]
fn every_escape_is_found_at_every_position() {
    for len in 1..20 {
        for at in 0..len {
            for special in (0u8..0x20).chain([b'"', b'\\']) {
                let mut bytes = vec![b'a'; len];
                bytes[at] = special;
                assert!(needs_escape(&bytes), "{len} {at} {special}");
                let text = String::from_utf8(bytes).unwrap();
                let mut json = Json {
                    buf: String::new(),
                    ok: true,
                };
                json.string(&text);
                assert_eq!(json.buf, serde_json::to_string(&text).unwrap());
            }
        }
        for plain in [b' ', b'!', b'#', b'[', b']', 0x7f, 0xc3] {
            assert!(!needs_escape(&vec![plain; len]), "{len} {plain}");
        }
    }
}

#[test]
fn integers() {
    for n in [0, 9, 10, 1_800_000_000_000, u64::MAX] {
        let mut out = String::new();
        push_u64(&mut out, n);
        assert_eq!(out, n.to_string());
    }
}

#[test]
fn each_event_text_is_its_own_string_of_exactly_its_size() {
    // Written one after another through one scratch buffer: a long event, then a short one,
    // then the long one again, each text whole and exactly as long as it needs.
    let long = full();
    let mut short = full();
    short.user = User::default();
    short.data = Data::new(DataShape::Contents);
    let mut scratch = String::new();
    for event in [&long, &short, &long] {
        let text = event_json(event, &mut scratch).unwrap();
        assert_eq!(text, serde_json::to_string(event).unwrap());
        assert_eq!(text.capacity(), text.len());
    }
    // The buffer is kept for the next event, grown once to the longest.
    assert!(scratch.capacity() >= event_json(&long, &mut String::new()).unwrap().len());
}
