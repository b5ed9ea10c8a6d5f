//! Every shipped and documented configuration gets the same verdict from `config.schema.json`
//! (what editors and CI see) and from the filter's own parser (what Envoy runs).
//!
//! Sources: the filter configuration inside every Envoy config under `envoy/` (JSON string or
//! native YAML Struct), the Istio `pluginConfig`, the JSON and YAML examples of README.md and docs/, and the fixtures
//! under `tests/fixtures/config/{valid,invalid}`. Shipped templates carry `REPLACE_WITH_…`
//! placeholders: as shipped both must refuse them, and once filled in both must accept them.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use openai_capi_filter::config::Config;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every page under docs/, with their names.
fn documents() -> Vec<(String, String)> {
    let mut names = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.strip_prefix(root()).unwrap().display().to_string(), text)
        })
        .collect()
}

fn validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("config.schema.json")).unwrap())
            .unwrap();
    jsonschema::validator_for(&schema).expect("config.schema.json is a valid JSON Schema")
}

/// Any `{"env": NAME}` is set, as it would be in a deployment.
fn env(_: &str) -> Option<String> {
    Some("env-supplied-key".into())
}

/// Both verdicts for one configuration: (schema accepts, filter accepts, filter's message).
fn verdicts(validator: &jsonschema::Validator, config: &Value) -> (bool, bool, String) {
    let schema_ok = validator.is_valid(config);
    let parsed = Config::from_json(config.to_string().as_bytes(), &env);
    let message = match &parsed {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    };
    (schema_ok, parsed.is_ok(), message)
}

fn assert_same_verdict(validator: &jsonschema::Validator, name: &str, config: &Value) -> bool {
    let (schema_ok, filter_ok, message) = verdicts(validator, config);
    let schema_errors: Vec<String> = validator
        .iter_errors(config)
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        schema_ok, filter_ok,
        "{name}: schema says {schema_ok} ({schema_errors:?}), filter says {filter_ok} ({message})"
    );
    filter_ok
}

/// The filter configuration of every wasm filter in an Envoy file or of an Istio WasmPlugin, as
/// `make check-config` finds them.
fn plugin_configs(path: &Path) -> Vec<Value> {
    capi_check_config::plugin_configs(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .into_iter()
        .map(|plugin| plugin.value.expect("a shipped configuration is JSON"))
        .collect()
}

/// Replaces template placeholders with plausible values.
fn filled_in(config: &Value) -> Value {
    let mut text = config
        .to_string()
        .replace("REPLACE_WITH_PIXEL_ID", "2atj5meVpvtJ5kCtqhG3yX");
    // Any other `REPLACE_WITH_<NAME>` becomes a plausible lower-case value.
    while let Some(at) = text.find("REPLACE_WITH_") {
        let end = text[at..]
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .map_or(text.len(), |n| at + n);
        let value = text[at + "REPLACE_WITH_".len()..end].to_ascii_lowercase();
        text.replace_range(at..end, &format!("filled-{value}"));
    }
    serde_json::from_str(&text).unwrap()
}

/// A shipped config: valid as is, or a template refused as is and valid once filled in.
fn check_shipped(validator: &jsonschema::Validator, name: &str, config: &Value) {
    let ok = assert_same_verdict(validator, name, config);
    if !ok {
        let (_, _, message) = verdicts(validator, config);
        assert!(
            message.contains("placeholder"),
            "{name} is refused for something other than a placeholder: {message}"
        );
        assert!(
            assert_same_verdict(
                validator,
                &format!("{name} (filled in)"),
                &filled_in(config)
            ),
            "{name} filled in must be valid"
        );
    }
}

#[test]
fn shipped_envoy_configs_get_the_same_verdict_from_schema_and_filter() {
    let validator = validator();
    let mut count = 0;
    for file in [
        "envoy/envoy.yaml",
        "envoy/production.yaml",
        "envoy/docker/envoy.yaml",
    ] {
        let configs = plugin_configs(&root().join(file));
        assert!(
            !configs.is_empty(),
            "{file} has no wasm filter configuration"
        );
        for config in configs {
            check_shipped(&validator, file, &config);
            count += 1;
        }
    }
    assert!(count >= 3);
}

#[test]
fn istio_plugin_config_gets_the_same_verdict_from_schema_and_filter() {
    let validator = validator();
    let configs = plugin_configs(&root().join("envoy/istio/wasmplugin.yaml"));
    assert_eq!(configs.len(), 1);
    check_shipped(&validator, "istio pluginConfig", &configs[0]);
}

#[test]
fn documented_json_examples_get_the_same_verdict_from_schema_and_filter() {
    let validator = validator();
    let mut count = 0;
    for (name, text) in documents() {
        for block in text.split("```json\n").skip(1) {
            let body = block.split("```").next().unwrap().trim();
            // A fragment (object members) is shown inside the minimal configuration.
            let config: Value = serde_json::from_str(body).unwrap_or_else(|_| {
                serde_json::from_str(&format!(r#"{{"pixel_id": "px", "api_key": "k", {body}}}"#))
                    .unwrap_or_else(|e| {
                        panic!("{name}: json block is neither a config nor a fragment: {e}\n{body}")
                    })
            });
            assert!(
                assert_same_verdict(&validator, &name, &config),
                "{name}: example must be valid: {body}"
            );
            count += 1;
        }
    }
    assert!(count >= 2, "JSON examples found: {count}");
}

#[test]
fn documented_yaml_struct_examples_get_the_same_verdict_from_schema_and_filter() {
    let validator = validator();
    let mut count = 0;
    for (name, text) in documents() {
        for block in text.split("```yaml\n").skip(1) {
            let body = block.split("```").next().unwrap();
            if !body.contains("google.protobuf.Struct") {
                continue;
            }
            let yaml: Value = serde_norway::from_str(body).unwrap();
            let config = &yaml["configuration"]["value"];
            assert!(
                assert_same_verdict(&validator, &name, config),
                "{name}: YAML example must be valid: {body}"
            );
            count += 1;
        }
    }
    assert!(count >= 1, "Struct examples found: {count}");
}

/// The README quick start's filter config: refused as pasted (its pixel id is a placeholder),
/// accepted once the placeholder is filled in, by both.
#[test]
fn readme_quick_start_config_gets_the_same_verdict_from_schema_and_filter() {
    let validator = validator();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("```yaml\n# quick start: http filter\n")
        .expect("README: the quick start's http filter block");
    let block = &readme[start + "```yaml\n".len()..];
    let block = &block[..block.find("```").unwrap()];
    let yaml: Value = serde_norway::from_str(block).unwrap();
    let text = yaml[0]["typed_config"]["config"]["configuration"]["value"]
        .as_str()
        .expect("a StringValue configuration");
    let config: Value = serde_json::from_str(text).unwrap();
    check_shipped(&validator, "README quick start", &config);
}

#[test]
fn fixtures_get_the_expected_verdict_from_schema_and_filter() {
    let validator = validator();
    for (dir, expect_valid) in [("valid", true), ("invalid", false)] {
        let path = root().join("tests/fixtures/config").join(dir);
        let mut files: Vec<_> = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(files.len() >= 3, "{}", path.display());
        for file in files {
            let config: Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let name = file.display().to_string();
            assert_eq!(
                assert_same_verdict(&validator, &name, &config),
                expect_valid,
                "{name}"
            );
        }
    }
}

#[test]
fn the_schema_offers_editors_every_top_level_key_with_its_default() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("config.schema.json")).unwrap())
            .unwrap();
    let properties = schema["properties"].as_object().unwrap();
    for key in [
        "pixel_id",
        "api_key",
        "collect",
        "api",
        "logging",
        "metric_prefix",
    ] {
        assert!(properties.contains_key(key), "{key}");
    }
    assert_eq!(properties["metric_prefix"]["default"], json!("openai_capi"));
    assert_eq!(schema["additionalProperties"], json!(false));
}
