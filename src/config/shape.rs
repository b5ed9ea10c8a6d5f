//! Shape: the configuration's objects must be written as objects.
//!
//! serde's derive also reads a struct from an array of its field values in declaration order,
//! so `["px", "key"]` would configure a pixel id and an API key. Nobody writes that on purpose,
//! the schema refuses it, and a field reordering would silently change its meaning, so the
//! filter refuses an array anywhere except the fields that are lists, and inside free-form
//! override values.

use super::ConfigError;
use serde_json::Value;

/// Dotted paths of the fields that are lists. `config::schema` checks this against the
/// generated schema, so a new list field fails a test until it is added here.
pub const LIST_FIELDS: [&str; 4] = [
    "collect.endpoints",
    "collect.measurement_ids",
    "trigger.event_names",
    "trigger.exclude_event_names",
];

/// Refuses an array written where the configuration expects an object or a scalar.
pub fn refuse_positional_objects(value: &Value, path: &str) -> Result<(), ConfigError> {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "overrides" {
                    continue;
                }
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                refuse_positional_objects(child, &child_path)?;
            }
            Ok(())
        }
        Value::Array(items) if LIST_FIELDS.contains(&path) => {
            for (i, item) in items.iter().enumerate() {
                if item.is_array() {
                    return Err(ConfigError::new(
                        format!("{path}[{i}]"),
                        "must not be an array",
                    ));
                }
                refuse_positional_objects(item, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        Value::Array(_) => Err(ConfigError::new(
            if path.is_empty() { "(top level)" } else { path },
            "must not be an array: write an object (or a single value)",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
