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
mod tests;
