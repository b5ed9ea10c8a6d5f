use super::*;
use serde_json::json;

#[test]
fn text_from_the_request_is_borrowed_not_copied() {
    let query = String::from("dl=https://shop.example.com/");
    let value = Value::text(query.get(3..).unwrap_or_default());
    assert!(matches!(&value, Value::String(Cow::Borrowed(_))));
    assert_eq!(value.as_str(), Some("https://shop.example.com/"));
}

#[test]
fn into_static_owns_every_string_and_key() {
    let text = String::from("Oslo");
    let mut address = Map::new();
    address.insert(text.as_str(), Value::text(&text));
    let value = Value::Array(vec![Value::Object(address)]).into_static();
    drop(text);
    assert_eq!(value, json!([{"Oslo": "Oslo"}]));
    let Some(Value::Object(map)) = value.as_array().and_then(|list| list.first()) else {
        panic!("not an array of one object")
    };
    assert!(map
        .iter()
        .all(|(_, v)| matches!(v, Value::String(Cow::Owned(_)))));
}

#[test]
fn a_map_keeps_unique_keys_in_first_write_order() {
    let mut map = Map::new();
    assert!(map.insert_if_absent("b", Value::from(true)));
    assert!(!map.insert_if_absent("b", Value::from(false)));
    assert_eq!(map.insert("a", Value::text("1")), None);
    assert_eq!(map.insert("b", Value::text("2")), Some(Value::Bool(true)));
    assert_eq!(map.keys().collect::<Vec<_>>(), ["b", "a"]);
    assert_eq!(
        map.get_or_insert_with("c", || Value::Null),
        Some(&mut Value::Null)
    );
    assert_eq!(
        map.get_or_insert_with("a", || Value::Null),
        Some(&mut Value::text("1"))
    );
    assert_eq!(map.remove("b"), Some(Value::text("2")));
    map.retain(|key, _| key != "c");
    assert_eq!(map.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(map.len(), 1);
    assert!(!map.is_empty());
}

#[test]
fn a_map_finds_every_key_whatever_its_length_and_no_other() {
    // Lengths 0 to 70: keys whose lengths share a bit of the length filter (3, 35, 67) as well
    // as lengths no key has.
    let keys: Vec<String> = (0..=70).step_by(4).map(|n| "k".repeat(n)).collect();
    let mut map = Map::new();
    for key in &keys {
        assert!(map.insert_if_absent(key.as_str(), Value::text(key)));
    }
    let converted = Map::from(serde_json::Map::from_iter(
        keys.iter().map(|k| (k.clone(), json!(k))),
    ));
    let owned = Value::Object(map.clone()).into_static();
    for n in 0..=72 {
        let key = "k".repeat(n);
        let expected = (n % 4 == 0 && n <= 70).then(|| Value::text(&key));
        assert_eq!(map.get(&key), expected.as_ref(), "{n}");
        assert_eq!(map.contains_key(&key), expected.is_some(), "{n}");
        assert_eq!(converted.get(&key), expected.as_ref(), "{n}");
        assert_eq!(owned.get(&key), expected.as_ref(), "{n}");
        assert_eq!(
            map.clone().get_mut(&key).is_some(),
            expected.is_some(),
            "{n}"
        );
    }
    // A removed key is gone; another of its length is still found.
    map.remove("kkkk");
    assert_eq!(map.get("kkkk"), None);
    assert!(map.insert_if_absent("abcd", Value::Null));
    assert_eq!(map.get("abcd"), Some(&Value::Null));
}

#[test]
fn objects_compare_as_maps_whatever_the_key_order() {
    let one: Map<'_> = [
        (Cow::Borrowed("a"), Value::from(true)),
        (Cow::Borrowed("b"), Value::Null),
    ]
    .into_iter()
    .collect();
    let other: Map<'_> = [
        (Cow::Borrowed("b"), Value::Null),
        (Cow::Borrowed("a"), Value::from(true)),
    ]
    .into_iter()
    .collect();
    assert_eq!(one, other);
    assert_eq!(Value::Object(one.clone()), json!({"b": null, "a": true}));
    assert_ne!(Value::Object(one), json!({"a": true}));
}

#[test]
fn a_json_value_converts_both_ways_unchanged() {
    let json = json!({
        "event_name": "purchase",
        "value": 19.99,
        "items": [{"item_id": "A", "quantity": 2}],
        "flag": false,
        "none": null
    });
    let value = Value::from(json.clone());
    assert_eq!(value, json);
    assert_eq!(json, value);
    assert_eq!(serde_json::Value::from(value.clone()), json);
    assert_eq!(value["items"][0]["item_id"], json!("A"));
    assert_eq!(value["items"][1], Value::Null);
    assert_eq!(value["missing"], Value::Null);
    assert_eq!(value.to_string(), json.to_string());
}

#[test]
fn the_accessors_read_as_serde_json_does() {
    assert_eq!(Value::from(json!(7)).as_u64(), Some(7));
    assert_eq!(Value::from(json!(-7)).as_i64(), Some(-7));
    assert_eq!(Value::from(json!(1.5)).as_f64(), Some(1.5));
    assert!(Value::from(json!(7)).is_u64() && !Value::from(json!(-7)).is_u64());
    assert!(Value::from(json!(1.5)).is_number());
    assert_eq!(Value::from(true).as_bool(), Some(true));
    assert!(Value::from(json!({})).is_object() && Value::Null.is_null());
    assert_eq!(Value::text("x").as_object(), None);
    assert_eq!(Value::text("x").get("x"), None);
    let mut v = Value::text("taken");
    assert_eq!(v.take(), Value::text("taken"));
    assert!(v.is_null());
}
