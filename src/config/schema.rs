//! `config.schema.json`: the JSON Schema editors and CI check configurations against.
//!
//! Generated from the raw config types (a test-only `schemars` derive, so the `.wasm` carries
//! none of it), then tightened with the closed sets and ranges that [`super::Config`] enforces,
//! taken from the same constants. The checked-in file must equal the generated one: a field
//! added to the raw types without regenerating (`make schema`) fails
//! `checked_in_schema_is_generated_from_the_config_types`.

use super::raw::RawConfig;
use super::{
    API_MAX_EVENTS, MAX_BODY_BYTES_LIMIT, MAX_COOKIE_DAYS, MAX_HELD_WINDOW_MS, MAX_RETRY_HORIZON_MS,
};
use crate::model::ActionSource;
use crate::model::StandardType;
use serde_json::{json, Value};

pub const SCHEMA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config.schema.json");

/// The configuration reference, whose key table is generated from the schema below.
pub const REFERENCE_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/configuration.md");
/// The lines that enclose the generated table in [`REFERENCE_FILE`].
pub const REFERENCE_START: &str =
    "<!-- generated from config.schema.json by `make schema`: do not edit by hand -->";
pub const REFERENCE_END: &str = "<!-- end of generated table -->";

/// A constraint the semantic checks apply, added at a JSON pointer of the generated schema.
fn constraints() -> Vec<(&'static str, Value)> {
    let standard: Vec<&str> = StandardType::ALL.iter().map(|t| t.as_str()).collect();
    let action_sources: Vec<&str> = ActionSource::ALL.iter().map(|a| a.as_str()).collect();
    // Template markers refused as values (see placeholder.rs).
    let no_placeholder = json!({"pattern": "REPLACE_WITH|REPLACE_ME|^<.*>$|^\\$\\{.*\\}$"});
    let non_empty = json!({"minLength": 1, "pattern": "\\S", "not": no_placeholder});
    vec![
        ("/properties/pixel_id", non_empty.clone()),
        ("/$defs/RawSecret/anyOf/0", non_empty.clone()),
        ("/properties/action_source", json!({"enum": action_sources})),
        (
            "/properties/metric_prefix",
            json!({"pattern": "^[a-z][a-z0-9_]{0,63}$"}),
        ),
        (
            "/properties/integration_source",
            json!({"pattern": "^\\s*[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\s*$", "not": no_placeholder}),
        ),
        (
            "/$defs/RawEventName/properties/setup",
            json!({"enum": ["inherit", "standard", "custom"]}),
        ),
        (
            "/$defs/RawEventName/properties/standard",
            json!({"enum": standard}),
        ),
        (
            "/$defs/RawEndpoint/properties/format",
            json!({"enum": ["ga4", "ga4_loader", "mp", "data"]}),
        ),
        (
            "/$defs/RawEndpoint/properties/path",
            json!({"pattern": "^/[^?#\\s]*$"}),
        ),
        (
            "/$defs/RawCollect/properties/endpoints",
            json!({"minItems": 1}),
        ),
        (
            "/$defs/RawCollect/properties/max_body_bytes",
            json!({"minimum": 1, "maximum": MAX_BODY_BYTES_LIMIT}),
        ),
        (
            "/$defs/RawCollect/properties/max_events_per_request",
            json!({"minimum": 1, "maximum": API_MAX_EVENTS}),
        ),
        (
            "/$defs/RawCollect/properties/measurement_ids",
            json!({"minItems": 1, "uniqueItems": true,
                   "items": {"type": "string", "pattern": "^\\s*[^\\s]{1,64}\\s*$"}}),
        ),
        (
            "/$defs/RawServerEventData/properties/opt_out",
            json!({"anyOf": [
                {"type": "null"},
                {"type": "boolean"},
                {"const": crate::config::OPT_OUT_FROM_HIT},
                {"type": "string", "pattern": "^\\{\\{\\s*(event|header|cookie|query)\\.[^{}\\s]+\\s*\\}\\}$"}
            ]}),
        ),
        (
            "/$defs/RawConsent/properties/mode",
            json!({"enum": ["optional", "required"]}),
        ),
        (
            "/$defs/RawCookieSetting/properties/expiration_days",
            json!({"minimum": 1, "maximum": MAX_COOKIE_DAYS}),
        ),
        (
            "/$defs/RawCookie/properties/same_site",
            json!({"enum": ["lax", "strict", "none", "Lax", "Strict", "None"]}),
        ),
        (
            "/$defs/RawEventParameters/properties/item_id_key",
            non_empty.clone(),
        ),
        ("/$defs/RawApi/properties/cluster", non_empty.clone()),
        ("/$defs/RawApi/properties/authority", non_empty.clone()),
        (
            "/$defs/RawApi/properties/path",
            json!({"pattern": "^\\s*/[^?#]*$"}),
        ),
        (
            "/$defs/RawApi/properties/timeout_ms",
            json!({"minimum": 1, "maximum": 300_000}),
        ),
        (
            "/$defs/RawRetry/properties/horizon_ms",
            json!({"minimum": 0, "maximum": MAX_RETRY_HORIZON_MS}),
        ),
        (
            "/$defs/RawRetry/properties/max_attempts",
            json!({"minimum": 1, "maximum": 1000}),
        ),
        (
            "/$defs/RawRetry/properties/initial_backoff_ms",
            json!({"minimum": 1, "maximum": 3_600_000}),
        ),
        (
            "/$defs/RawRetry/properties/max_backoff_ms",
            json!({"minimum": 1, "maximum": 3_600_000}),
        ),
        (
            "/$defs/RawRetry/properties/max_queued_events",
            json!({"minimum": API_MAX_EVENTS, "maximum": 1_000_000}),
        ),
        (
            "/$defs/RawRetry/properties/max_queued_bytes",
            json!({"minimum": 1024 * 1024, "maximum": 256 * 1024 * 1024}),
        ),
        (
            "/$defs/RawBatch/properties/max_events",
            json!({"minimum": 1, "maximum": API_MAX_EVENTS}),
        ),
        (
            "/$defs/RawBatch/properties/max_delay_ms",
            json!({"minimum": 0, "maximum": 60_000}),
        ),
        (
            "/$defs/RawBatch/properties/held_window_ms",
            json!({"minimum": 0, "maximum": MAX_HELD_WINDOW_MS}),
        ),
        (
            "/$defs/RawLogging/properties/console",
            json!({"enum": ["off", "debug", "always"]}),
        ),
    ]
}

/// The schema as it must be checked in.
pub fn generate() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema =
        serde_json::to_value(generator.into_root_schema_for::<RawConfig>()).unwrap_or_default();
    if let Some(root) = schema.as_object_mut() {
        root.insert(
            "title".into(),
            json!("openai-capi-filter plugin configuration"),
        );
        root.insert(
            "description".into(),
            json!("The JSON (or YAML Struct) in the Envoy/Istio plugin configuration of the openai-capi-filter wasm filter."),
        );
    }
    for (pointer, extra) in constraints() {
        let Some(Value::Object(target)) = schema.pointer_mut(pointer) else {
            // A renamed or removed field: the constraint table must follow.
            return json!({"error": format!("constraint target {pointer} not in the generated schema")});
        };
        if let Value::Object(extra) = extra {
            target.extend(extra);
        }
    }
    schema
}

/// The node a `$ref` points to, else the node itself.
fn resolve<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => schema
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or(node),
        None => node,
    }
}

/// The object schema of a property (through `$ref` and an `Option`'s `anyOf`), if it has fields.
fn object_of<'a>(schema: &'a Value, node: &'a Value) -> Option<&'a Value> {
    let node = resolve(schema, node);
    if node.get("properties").is_some() {
        return Some(node);
    }
    // Only an `Option` of an object: a secret's `{"env": …}` branch is one value, not fields.
    let branches = node.get("anyOf")?.as_array()?;
    let null = json!({"type": "null"});
    let mut objects = branches
        .iter()
        .filter(|branch| **branch != null)
        .map(|branch| resolve(schema, branch));
    let object = objects.next()?;
    match (object.get("properties"), objects.next()) {
        (Some(_), None) => Some(object),
        _ => None,
    }
}

/// One row of the reference: dotted key, default as shown, description.
pub struct ReferenceRow {
    pub key: String,
    pub default: String,
    pub description: Option<String>,
}

/// Every configuration key in schema order: each documented property, and every leaf whether
/// documented or not (a test requires them all to be). `overrides` maps are one row each.
pub fn reference_rows(schema: &Value) -> Vec<ReferenceRow> {
    fn walk(
        schema: &Value,
        object: &Value,
        parent_default: Option<&Value>,
        path: &str,
        out: &mut Vec<ReferenceRow>,
    ) {
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let Some(properties) = object.get("properties").and_then(Value::as_object) else {
            return;
        };
        for (name, node) in properties {
            let key = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            let default = node
                .get("default")
                .or_else(|| parent_default.and_then(|d| d.get(name)));
            let child = if name == "overrides" {
                None
            } else {
                object_of(schema, node)
            };
            let description = node
                .get("description")
                .and_then(Value::as_str)
                .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "));
            if description.is_some() || child.is_none() {
                let shown = if required.contains(&name.as_str()) {
                    "— (required)".to_owned()
                } else {
                    match default {
                        Some(Value::Null) => "`null`".to_owned(),
                        // An object, a map or a list whose default the description gives.
                        None => "—".to_owned(),
                        Some(value) => {
                            let text = value.to_string();
                            // Long lists are spelled out in the description instead.
                            if text.len() > 24 {
                                "see meaning".to_owned()
                            } else {
                                format!("`{text}`")
                            }
                        }
                    }
                };
                out.push(ReferenceRow {
                    key: key.clone(),
                    default: shown,
                    description,
                });
            }
            if let Some(child) = child {
                walk(schema, child, default, &key, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(schema, schema, None, "", &mut out);
    out
}

/// The Markdown table of every key, as [`REFERENCE_FILE`] must hold it between its markers.
pub fn reference_table(schema: &Value) -> String {
    let mut table = String::from("| key | default | meaning |\n|---|---|---|\n");
    for row in reference_rows(schema) {
        let description = row.description.unwrap_or_default().replace('|', "\\|");
        table.push_str(&format!(
            "| `{}` | {} | {description} |\n",
            row.key, row.default
        ));
    }
    table
}

#[cfg(test)]
mod tests;
