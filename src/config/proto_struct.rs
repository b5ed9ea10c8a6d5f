//! The configuration as Envoy hands it over when it is written as native YAML.
//!
//! A `google.protobuf.Struct` in `PluginConfig.configuration` reaches the filter as the Struct's
//! protobuf encoding (Envoy unwraps only `StringValue`/`BytesValue` to their text); this module
//! decodes it with `prost-types` into the same JSON value a JSON string would give. Struct
//! numbers are doubles, so whole numbers become JSON integers again: the configuration's counts
//! and durations are integers.

use prost::Message;
use prost_types::value::Kind;
use serde_json::{Map, Number, Value};

/// Largest whole number a double holds exactly (2^53).
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// The JSON value of a protobuf-encoded Struct, or `None` when `bytes` is not one. Nesting is
/// bounded by prost's recursion limit.
pub fn decode(bytes: &[u8]) -> Option<Value> {
    // A non-empty Struct starts with field 1 (`fields`), length-delimited: tag byte 0x0a.
    if bytes.first() != Some(&0x0a) {
        return None;
    }
    prost_types::Struct::decode(bytes).ok().map(object)
}

fn object(s: prost_types::Struct) -> Value {
    Value::Object(
        s.fields
            .into_iter()
            .map(|(k, v)| (k, value(v)))
            .collect::<Map<String, Value>>(),
    )
}

fn value(v: prost_types::Value) -> Value {
    match v.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(b),
        Some(Kind::StringValue(s)) => Value::String(s),
        Some(Kind::NumberValue(n)) => number_value(n),
        Some(Kind::StructValue(s)) => object(s),
        Some(Kind::ListValue(l)) => Value::Array(l.values.into_iter().map(value).collect()),
    }
}

fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() <= MAX_EXACT_INTEGER {
        // Exact: |n| ≤ 2^53 and whole, so the cast loses nothing.
        #[allow(clippy::cast_possible_truncation)]
        let i = n as i64;
        return Value::Number(Number::from(i));
    }
    Number::from_f64(n).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
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
}
