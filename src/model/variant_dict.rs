//! `variant_dict`: the API types it as an object of string values (`{"size": "m"}`). A literal
//! one in the configuration is checked with the same rule the tag applies to event data.

use crate::event::Value;
use std::collections::BTreeMap;

/// The object's entries when every value is a string, else `None`.
pub fn variant_dict(value: &Value<'_>) -> Option<BTreeMap<String, String>> {
    let Value::Object(dict) = value else {
        return None;
    };
    dict.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Some((k.to_owned(), s.to_string())),
            _ => None,
        })
        .collect()
}
