//! Shared test helpers and tests of the format-independent parts: limits, numbers, dotted paths,
//! value caps, and properties every format must keep (no panic, no secret in the output).

use super::*;
use crate::test_support::event_json as json;

/// Request facts as the glue would build them.
pub(super) fn facts(method: &str, path: &str, headers: &[(&str, &str)]) -> RequestFacts {
    let mut pairs = vec![
        (":method".to_owned(), method.as_bytes().to_vec()),
        (":path".to_owned(), path.as_bytes().to_vec()),
    ];
    pairs.extend(
        headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec())),
    );
    RequestFacts::from_headers(&pairs, Some(b"198.51.100.7:40000")).unwrap()
}

pub(super) fn run(format: Format, method: &str, path: &str, body: &[u8]) -> Ingested {
    ingest(
        format,
        &facts(method, path, &[("user-agent", "Mozilla/5.0 test")]),
        body,
        &Limits::new(50),
    )
}

pub(super) fn obj(value: Value) -> EventData {
    match value {
        Value::Object(map) => map.into(),
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn limits_defaults() {
    assert_eq!(
        Limits::new(7),
        Limits {
            max_events_per_request: 7,
            max_items: 200,
            max_value_bytes: 8192,
            trust_client_ip_and_user_agent: false
        }
    );
}

#[test]
fn numbers_keep_integers_and_decimal_text() {
    assert_eq!(parse_number("1590"), Some(json!(1590)));
    assert_eq!(parse_number("-3"), Some(json!(-3)));
    assert_eq!(parse_number("19.99").unwrap().to_string(), "19.99");
    assert_eq!(parse_number("72.05").unwrap().to_string(), "72.05");
    assert_eq!(parse_number("1e3"), Some(json!(1000.0)));
    assert_eq!(parse_number(".5"), Some(json!(0.5)));
    assert_eq!(parse_number("18446744073709551615"), Some(json!(u64::MAX)));
    for bad in [
        "", "-", ".", "abc", "1,5", " 1", "1 ", "+1", "0x10", "inf", "NaN", "1e", "1e+", "--1",
        "1.2.3",
    ] {
        assert_eq!(parse_number(bad), None, "{bad:?}");
    }
    assert_eq!(parse_number(&format!("1{}", "0".repeat(400))), None);
}

#[test]
fn plain_digits_read_as_the_integer_str_parse_reads() {
    for text in [
        "0",
        "007",
        "1700000000123",
        "9999999999999999999",
        "0000000000000000001",
        "10000000000000000000",
    ] {
        let expected: u64 = text.parse().unwrap();
        assert_eq!(parse_number(text), Some(json!(expected)), "{text:?}");
        assert!(
            parse_number(text).unwrap().is_u64(),
            "{text:?} stays an integer"
        );
    }
    // Past 19 digits the general path decides: the largest u64, then a float.
    assert_eq!(
        parse_number("18446744073709551616"),
        Some(json!(1.8446744073709552e19))
    );
}

#[test]
fn dotted_paths_build_objects_and_arrays_and_keep_the_first_value() {
    let mut map = Map::new();
    let budget = &mut Budget::for_request(1000);
    let mut put = |map: &mut Map<'static>, path: &[&'static str], value: Value<'static>| {
        insert_path(map, path, value, 200, budget)
    };
    put(&mut map, &["user_data", "email_address"], json!("a@b.c")).unwrap();
    put(
        &mut map,
        &["user_data", "address", "0", "city"],
        json!("Oslo"),
    )
    .unwrap();
    put(&mut map, &["items", "0", "item_id"], json!("A")).unwrap();
    put(&mut map, &["items", "1", "item_id"], json!("B")).unwrap();
    put(&mut map, &["items", "0", "price"], json!(1)).unwrap();
    assert_eq!(
        put(&mut map, &["user_data", "email_address"], json!("x")),
        Err(PathError::Conflict)
    );
    assert_eq!(
        put(
            &mut map,
            &["user_data", "email_address", "deep"],
            json!("x")
        ),
        Err(PathError::Conflict)
    );
    assert_eq!(
        put(&mut map, &["big", "5000", "x"], json!(1)),
        Err(PathError::IndexTooLarge)
    );
    assert_eq!(
        Value::Object(map),
        json!({
            "user_data": {"email_address": "a@b.c", "address": [{"city": "Oslo"}]},
            "items": [{"item_id": "A", "price": 1}, {"item_id": "B"}]
        })
    );
    assert_eq!(path_segments("a..b"), None);
    assert_eq!(path_segments("a.b"), Some(vec!["a", "b"]));
    assert_eq!(index_segment("007"), None);
    assert_eq!(index_segment("0"), Some(0));
}

// Before the fix, `items.199.x` allocated an array of 199 nulls and the value: a key of a dozen
// bytes cost 6 KB of heap.
#[test]
fn indexed_keys_only_append_so_no_array_holds_empty_slots() {
    let mut map = Map::new();
    let budget = &mut Budget::for_request(1000);
    assert_eq!(
        insert_path(&mut map, &["items", "199", "x"], json!(1), 200, budget),
        Err(PathError::IndexSkipsAhead)
    );
    assert_eq!(map.get("items"), None, "no empty container is left behind");
    insert_path(&mut map, &["items", "0", "x"], json!(1), 200, budget).unwrap();
    assert_eq!(
        insert_path(&mut map, &["items", "2", "x"], json!(1), 200, budget),
        Err(PathError::IndexSkipsAhead)
    );
    assert_eq!(Value::Object(map), json!({"items": [{"x": 1}]}));
}

#[test]
fn array_slots_are_charged_to_the_request_budget() {
    let mut map = Map::new();
    let budget = &mut Budget::for_request(0);
    let mut written = 0;
    let result = loop {
        let index = (written % 200).to_string();
        let name = format!("a{}", written / 200);
        match insert_path(&mut map, &[name, index], json!(1), 200, budget) {
            Ok(()) => written += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(result, PathError::Budget);
    assert_eq!(written, 4096);
    assert_eq!(budget.exceeded(), Some(Resource::ArraySlots));
}

#[test]
fn json_caps_drop_long_strings_and_extra_items() {
    let mut limits = Limits::new(5);
    limits.max_items = 2;
    limits.max_value_bytes = 4;
    let mut event = obj(json!({
        "short": "abc", "long": "abcdef",
        "nested": {"ok": 1, "bad": "xxxxxxxx"},
        "items": [{"item_id": "1"}, {"item_id": "2"}, {"item_id": "3"}]
    }));
    let mut notes = Vec::new();
    cap_json(&mut event, &limits, &mut notes);
    assert_eq!(
        Value::from(event),
        json!({"short": "abc", "nested": {"ok": 1},
               "items": [{"item_id": "1"}, {"item_id": "2"}]})
    );
    assert_eq!(notes.len(), 3);
    assert!(notes
        .iter()
        .all(|n| !n.contains("abcdef") && !n.contains("xxxx")));
}

#[test]
fn quoted_names_are_bounded_and_clean() {
    assert_eq!(quoted("dl"), "`dl`");
    let long = quoted(&"n".repeat(100));
    assert!(long.ends_with("…`") && long.chars().count() < 70);
    assert_eq!(quoted("a\nb"), "`ab`");
}

#[test]
fn event_cap_applies_to_every_format() {
    let limits = Limits::new(1);
    let body = br#"[{"event":"a"},{"event":"b"}]"#;
    let out = ingest(Format::Data, &facts("POST", "/data", &[]), body, &limits);
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.rejected[0].reason, "more than 1 events in one request");

    let zero = Limits::new(0);
    let out = ingest(
        Format::Ga4,
        &facts("GET", "/g/collect?en=x", &[]),
        b"",
        &zero,
    );
    assert_eq!((out.events.len(), out.rejected.len()), (0, 1));
}

/// Deterministic pseudo-random bytes (xorshift), so the test needs no extra crate.
fn noise(seed: u64, len: usize, alphabet: &[u8]) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let pick = (state % (alphabet.len() as u64 + 64)) as usize;
            alphabet.get(pick).copied().unwrap_or((state >> 8) as u8)
        })
        .collect()
}

#[test]
fn no_input_panics_any_format() {
    let alphabet: &[u8] = b"=&%~.+\n\r{}[]\":,0123456789abcdefAF_ epnprtv";
    let formats = [Format::Ga4, Format::Ga4Loader, Format::Mp, Format::Data];
    for seed in 1..400u64 {
        let body = noise(seed, (seed as usize * 7) % 600, alphabet);
        let query = String::from_utf8_lossy(&noise(seed * 31, 80, alphabet))
            .replace(['\n', '\r', '#', ' '], "");
        for format in formats {
            for method in ["GET", "POST"] {
                for ct in ["text/plain", "application/x-www-form-urlencoded"] {
                    let request = facts(method, &format!("/x?{query}"), &[("content-type", ct)]);
                    let out = ingest(format, &request, &body, &Limits::new(50));
                    assert!(out.events.len() <= 50);
                }
            }
        }
    }
}

#[test]
fn the_api_secret_appears_nowhere() {
    const SECRET: &str = "s3cr3t-Api_K3y";
    let path = format!("/mp/collect?measurement_id=G-1&api_secret={SECRET}");
    let bodies: Vec<Vec<u8>> = vec![
        format!(
            r#"{{"client_id":"1.2","api_secret":"{SECRET}","user_properties":{{"api_secret":{{"value":"{SECRET}"}}}},
               "events":[{{"name":"purchase","params":{{"api_secret":"{SECRET}","value":1}}}},
                         {{"nope":1}},"x"]}}"#
        )
        .into_bytes(),
        b"{not json".to_vec(),
        b"[]".to_vec(),
        br#"{"events":1}"#.to_vec(),
        Vec::new(),
    ];
    for body in &bodies {
        for method in ["POST", "GET"] {
            let out = ingest(
                Format::Mp,
                &facts(method, &path, &[]),
                body,
                &Limits::new(50),
            );
            let all = format!("{:?}", out);
            assert!(!all.contains(SECRET), "{all}");
        }
    }
    // A secret in the query of other formats is the sender's business, but MP must never echo it
    // even when the query itself is broken.
    let broken = format!("/mp/collect?api_secret={SECRET}%zz&measurement_id=G-1");
    let out = ingest(
        Format::Mp,
        &facts("POST", &broken, &[]),
        br#"{"events":[{"name":"a"}]}"#,
        &Limits::new(5),
    );
    assert!(!format!("{out:?}").contains(SECRET));
    assert_eq!(out.events[0]["x-ga-measurement_id"], json!("G-1"));
}
