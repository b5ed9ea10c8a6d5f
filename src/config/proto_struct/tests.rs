use super::*;
use prost_types::{ListValue, Struct, Value as PValue};
use serde_json::json;
use std::collections::BTreeMap;

fn pv(kind: Kind) -> PValue {
    PValue { kind: Some(kind) }
}

#[test]
fn a_struct_decodes_to_the_json_it_was_written_as() {
    let inner = Struct {
        fields: BTreeMap::from([("max_body_bytes".into(), pv(Kind::NumberValue(65536.0)))]),
    };
    let s = Struct {
        fields: BTreeMap::from([
            ("pixel_id".into(), pv(Kind::StringValue("px".into()))),
            ("optimistic".into(), pv(Kind::BoolValue(true))),
            ("collect".into(), pv(Kind::StructValue(inner))),
            ("ratio".into(), pv(Kind::NumberValue(1.5))),
            ("nothing".into(), pv(Kind::NullValue(0))),
            (
                "list".into(),
                pv(Kind::ListValue(ListValue {
                    values: vec![
                        pv(Kind::NumberValue(-3.0)),
                        pv(Kind::StringValue("x".into())),
                    ],
                })),
            ),
        ]),
    };
    let v = decode(&s.encode_to_vec()).unwrap();
    assert_eq!(
        v,
        json!({"pixel_id": "px", "optimistic": true, "collect": {"max_body_bytes": 65536},
               "ratio": 1.5, "nothing": null, "list": [-3, "x"]})
    );
    assert!(
        v["collect"]["max_body_bytes"].is_u64(),
        "whole numbers are integers"
    );
}

#[test]
fn json_text_and_garbage_are_not_a_struct() {
    assert_eq!(decode(br#"{"pixel_id":"px"}"#), None);
    assert_eq!(decode(b""), None);
    assert_eq!(decode(&[0x0a, 0xff, 0xff]), None);
    assert_eq!(decode(&[0x0a, 0x05, 0x0a]), None, "truncated");
}

#[test]
fn nesting_is_bounded() {
    let mut v = PValue {
        kind: Some(Kind::NullValue(0)),
    };
    for _ in 0..200 {
        v = PValue {
            kind: Some(Kind::ListValue(ListValue { values: vec![v] })),
        };
    }
    let s = Struct {
        fields: BTreeMap::from([("deep".into(), v)]),
    };
    assert_eq!(decode(&s.encode_to_vec()), None);
}

#[test]
fn huge_or_fractional_numbers_stay_doubles() {
    assert_eq!(number_value(1e300), json!(1e300));
    assert_eq!(number_value(0.25), json!(0.25));
    assert_eq!(number_value(f64::NAN), Value::Null);
}
