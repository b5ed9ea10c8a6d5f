use super::*;
use crate::test_support::event as data;
use crate::test_support::event_json as json;

#[test]
fn lookup_walks_objects_and_arrays() {
    let d = data(json!({"user_data": {"address": [{"city": "Oslo"}]}, "items": [{"price": 1.5}]}));
    assert_eq!(lookup(&d, "user_data.address.0.city"), Some(&json!("Oslo")));
    assert_eq!(lookup(&d, "items.0.price"), Some(&json!(1.5)));
    assert_eq!(lookup(&d, "items.1.price"), None);
    assert_eq!(lookup(&d, "user_data.nope"), None);
    assert_eq!(lookup(&d, "user_data."), None);
    assert_eq!(lookup(&d, "user_data"), d.get("user_data"));
    let address = json!({"address": {"": 1}});
    assert_eq!(lookup_below(&address, "address."), Some(&json!(1)));
    assert_eq!(lookup_below(&address, ""), None);
}

#[test]
fn event_data_is_a_map_of_unique_keys_in_write_order() {
    let mut e = EventData::new();
    assert!(e.insert_if_absent("event_name", json!("a")));
    assert!(!e.insert_if_absent("event_name", json!("b")));
    assert_eq!(e.insert("client_id".to_owned(), json!("1")), None);
    assert_eq!(e.insert("event_name", json!("c")), Some(json!("a")));
    assert_eq!(e.keys().collect::<Vec<_>>(), ["event_name", "client_id"]);
    assert_eq!(e["event_name"], json!("c"));
    assert_eq!(e["missing"], Value::Null);
    assert_eq!(
        e.get_or_insert_with("user_data", || json!({})),
        Some(&mut json!({}))
    );
    assert_eq!(
        e.get_or_insert_with("client_id", || json!(0)),
        Some(&mut json!("1"))
    );
    assert_eq!(e.remove("event_name"), Some(json!("c")));
    assert_eq!(e.keys().collect::<Vec<_>>(), ["client_id", "user_data"]);
    e.extend([("client_id".to_owned(), json!("2"))]);
    assert_eq!(e.len(), 2);
    // Compared as maps: the same keys and values in another order are equal.
    let same = data(json!({"user_data": {}, "client_id": "2"}));
    assert_eq!(e, same);
    assert_ne!(e, data(json!({"user_data": {}, "client_id": "3"})));
    assert_eq!(Value::from(e), json!({"client_id": "2", "user_data": {}}));
}

#[test]
fn trim_is_str_trim() {
    for t in [
        "",
        " ",
        "a",
        " a",
        "a ",
        "\u{a0}a",
        "a\u{2003}",
        "\u{b}x\u{b}",
        "é",
        "!~",
        "a b",
    ] {
        assert_eq!(trim(t), t.trim(), "{t:?}");
    }
}

#[test]
fn text_of_scalars_and_first_array_element() {
    assert_eq!(text(&json!("a")).as_deref(), Some("a"));
    assert_eq!(text(&json!("")), None);
    assert_eq!(text(&json!(12.5)).as_deref(), Some("12.5"));
    assert_eq!(text(&json!(true)).as_deref(), Some("true"));
    assert_eq!(text(&json!(["x@y.z", "b"])).as_deref(), Some("x@y.z"));
    assert_eq!(text(&json!({"a": 1})), None);
    assert_eq!(text(&Value::Null), None);
}

#[test]
fn text_of_a_number_is_its_json_text() {
    for n in [
        json!(0),
        json!(1_700_000_000_123u64),
        json!(u64::MAX),
        json!(-42),
        json!(i64::MIN),
        json!(12.5),
        json!(-0.001),
        json!(1e21),
    ] {
        let expected = n.to_string();
        assert_eq!(text(&n).as_deref(), Some(expected.as_str()));
    }
}

#[test]
fn at_most_chars_counts_characters_not_bytes() {
    assert!(at_most_chars("abc", 3));
    assert!(!at_most_chars("abcd", 3));
    // Four characters in eight bytes: within a limit of four, over a limit of three.
    assert!(at_most_chars("éééé", 4));
    assert!(!at_most_chars("éééé", 3));
    assert!(at_most_chars("", 0));
}
