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

#[cfg(test)]
mod tests;
