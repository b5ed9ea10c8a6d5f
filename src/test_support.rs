//! Helpers shared by the unit tests: a valid configuration with overrides, and event data from
//! a JSON literal.

use crate::config::Config;
use crate::event::EventData;
use serde_json::{json, Value};

/// `{"pixel_id": "px", "api_key": "k"}` deep-merged with `extra`, parsed and validated.
pub fn config(extra: Value) -> Config {
    let mut v = json!({"pixel_id": "px", "api_key": "k"});
    merge(&mut v, extra);
    match Config::from_json(v.to_string().as_bytes(), &|_| None) {
        Ok(c) => c,
        Err(e) => panic!("test configuration refused: {e}"),
    }
}

/// Event data from a JSON object literal.
pub fn event(v: Value) -> EventData {
    match v {
        Value::Object(map) => map.into(),
        other => panic!("event data must be an object, got {other}"),
    }
}

/// Deep merge: objects merge key by key, anything else replaces.
pub fn merge(base: &mut Value, extra: Value) {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        for (k, v) in e {
            match (b.get_mut(&k), v) {
                (Some(existing @ Value::Object(_)), v @ Value::Object(_)) => merge(existing, v),
                (_, v) => {
                    b.insert(k, v);
                }
            }
        }
    }
}
