//! The filter configurations a file holds, as Envoy would hand them to the filter, and the
//! filter's own verdict on each.
//!
//! A file may be the filter configuration itself (JSON, or the native YAML form), an Envoy
//! configuration with the wasm filter's `PluginConfig` inside (YAML or JSON; every one found is
//! checked), or an Istio `WasmPlugin` (its `pluginConfig`). Each configuration reaches
//! [`Config::from_plugin_configuration`] as the bytes Envoy would pass: a `StringValue`'s text as
//! written (so line and column point into it), a `Struct` protobuf-encoded, an Istio
//! `pluginConfig` as the JSON text istiod sends. `{"env": NAME}` secrets resolve as the VM
//! would see them: from `vm_config.environment_variables` (Istio: `vmConfig.env`) when the
//! file has it, from the process environment otherwise.
//!
//! `tests/config_examples.rs` reads the shipped configurations through [`plugin_configs`] too,
//! so the schema check and `make check-config` find the same configurations.

use openai_capi_filter::config::Config;
use openai_capi_filter::observe::redact::Escaped;
use prost::Message;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const STRING_VALUE: &str = "type.googleapis.com/google.protobuf.StringValue";
const STRUCT: &str = "type.googleapis.com/google.protobuf.Struct";

/// One filter configuration found in a file.
#[derive(Debug, Clone)]
pub struct PluginConfig {
    /// Where it is: the path to it inside the file (empty for a bare configuration).
    pub location: String,
    /// What Envoy passes to `on_configure`.
    pub bytes: Vec<u8>,
    /// The configuration as a JSON value (what the schema sees); `None` when the text is not
    /// JSON.
    pub value: Option<Value>,
    /// Which environment variables the VM sees.
    pub vm_env: VmEnv,
}

/// The environment a filter VM sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmEnv {
    /// No `vm_config` in the file: every variable of the environment given to [`check`].
    Process,
    /// Only what `vm_config` lists: values given inline, and names read from the environment
    /// (Envoy's `host_env_keys`, Istio's `valueFrom: HOST`).
    Listed {
        inline: BTreeMap<String, String>,
        from_host: Vec<String>,
    },
}

impl VmEnv {
    /// `name` as the VM reads it, `host` being Envoy's (here: this process's) environment.
    pub fn get(&self, name: &str, host: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        match self {
            VmEnv::Process => host(name),
            VmEnv::Listed { inline, from_host } => inline.get(name).cloned().or_else(|| {
                from_host
                    .iter()
                    .any(|key| key == name)
                    .then(|| host(name))
                    .flatten()
            }),
        }
    }
}

/// The filter's verdict on one configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub location: String,
    /// `Err` holds the line Envoy logs when the filter refuses the configuration.
    pub result: Result<(), String>,
}

/// The filter's verdict on every configuration `text` holds; `Err` when the text is neither
/// JSON nor YAML, or an Envoy file's wasm filter has a configuration type the filter cannot
/// read.
pub fn check(text: &str, host: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Verdict>, String> {
    Ok(plugin_configs(text)?
        .into_iter()
        .map(|plugin| {
            let env = |name: &str| plugin.vm_env.get(name, host);
            let result = Config::from_plugin_configuration(&plugin.bytes, &env)
                .map(|_| ())
                // As the glue logs it: field names and values come from the configuration as
                // written, so they are escaped into one line.
                .map_err(|e| Escaped(&e.to_string()).to_string());
            Verdict {
                location: plugin.location,
                result,
            }
        })
        .collect())
}

/// Every filter configuration in `text` (see the module documentation for the forms).
pub fn plugin_configs(text: &str) -> Result<Vec<PluginConfig>, String> {
    let documents = match serde_json::from_str::<Value>(text) {
        Ok(value) => vec![value],
        // Meant as JSON (YAML would accept some broken JSON, such as a trailing comma): the
        // filter's own parse error says where it breaks.
        Err(_) if text.trim_start().starts_with(['{', '[']) => {
            return Ok(vec![bare_json(text, None)])
        }
        Err(json_error) => match yaml_documents(text) {
            Ok(documents) => documents,
            Err(yaml_error) => {
                return Err(format!(
                    "neither JSON ({json_error}) nor YAML ({yaml_error})"
                ))
            }
        },
    };
    let istio: Vec<&Value> = documents
        .iter()
        .filter(|doc| doc.get("kind") == Some(&Value::from("WasmPlugin")))
        .collect();
    if !istio.is_empty() {
        return Ok(istio.into_iter().map(istio_plugin).collect());
    }
    let mut found = Vec::new();
    for (n, doc) in documents.iter().enumerate() {
        let prefix = if documents.len() > 1 {
            format!("document {}: ", n + 1)
        } else {
            String::new()
        };
        find_envoy_plugins(doc, &prefix, None, &mut found)?;
    }
    if !found.is_empty() {
        return Ok(found);
    }
    // The filter configuration itself.
    match documents.as_slice() {
        [_] if serde_json::from_str::<Value>(text).is_ok() => Ok(vec![bare_json(text, None)]),
        [value] => Ok(vec![native_yaml(String::new(), value, VmEnv::Process)]),
        _ => Err(format!(
            "{} YAML documents and no wasm filter configuration among them",
            documents.len()
        )),
    }
}

fn yaml_documents(text: &str) -> Result<Vec<Value>, String> {
    serde_norway::Deserializer::from_str(text)
        .map(|doc| serde::Deserialize::deserialize(doc).map_err(|e| e.to_string()))
        .collect()
}

fn bare_json(text: &str, vm_env: Option<VmEnv>) -> PluginConfig {
    PluginConfig {
        location: String::new(),
        bytes: text.as_bytes().to_vec(),
        value: serde_json::from_str(text).ok(),
        vm_env: vm_env.unwrap_or(VmEnv::Process),
    }
}

/// A configuration in the native YAML form: Envoy passes the `Struct`'s protobuf encoding.
fn native_yaml(location: String, value: &Value, vm_env: VmEnv) -> PluginConfig {
    let bytes = match value {
        Value::Object(map) => to_struct(map).encode_to_vec(),
        // Envoy refuses a Struct that is not a mapping before the filter sees it; the filter
        // refuses the same text as JSON.
        other => other.to_string().into_bytes(),
    };
    PluginConfig {
        location,
        bytes,
        value: Some(value.clone()),
        vm_env,
    }
}

/// istiod sends `pluginConfig` as JSON text in a `StringValue`.
fn istio_plugin(doc: &Value) -> PluginConfig {
    let name = doc
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("(unnamed)");
    let config = doc
        .pointer("/spec/pluginConfig")
        .cloned()
        .unwrap_or(Value::Null);
    let mut inline = BTreeMap::new();
    let mut from_host = Vec::new();
    for var in doc
        .pointer("/spec/vmConfig/env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(var_name) = var.get("name").and_then(Value::as_str) else {
            continue;
        };
        if var.get("valueFrom").and_then(Value::as_str) == Some("HOST") {
            from_host.push(var_name.to_owned());
        } else {
            let value = var.get("value").and_then(Value::as_str).unwrap_or("");
            inline.insert(var_name.to_owned(), value.to_owned());
        }
    }
    let text = if config.is_null() {
        String::new()
    } else {
        config.to_string()
    };
    PluginConfig {
        location: format!("WasmPlugin {name}, spec.pluginConfig"),
        bytes: text.into_bytes(),
        value: Some(config),
        vm_env: VmEnv::Listed { inline, from_host },
    }
}

/// Envoy's `PluginConfig` messages: a mapping with `vm_config`, or with a `configuration` of a
/// type the filter reads (a snippet without its `vm_config`). `listener` is the name of the
/// listener they are in, if any.
fn find_envoy_plugins(
    node: &Value,
    path: &str,
    listener: Option<&str>,
    found: &mut Vec<PluginConfig>,
) -> Result<(), String> {
    match node {
        Value::Object(map) => {
            let listener = match map.get("name").and_then(Value::as_str) {
                Some(name) if map.contains_key("filter_chains") => Some(name),
                _ => listener,
            };
            let typed_configuration = map
                .get("configuration")
                .and_then(|c| c.get("@type"))
                .and_then(Value::as_str)
                .is_some_and(|t| t == STRING_VALUE || t == STRUCT);
            if map.contains_key("vm_config") || typed_configuration {
                found.push(envoy_plugin(map, path, listener)?);
                return Ok(());
            }
            for (key, value) in map {
                find_envoy_plugins(value, &join(path, key), listener, found)?;
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                find_envoy_plugins(item, &format!("{path}[{i}]"), listener, found)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() || path.ends_with(": ") {
        format!("{path}{key}")
    } else {
        format!("{path}.{key}")
    }
}

fn envoy_plugin(
    map: &Map<String, Value>,
    path: &str,
    listener: Option<&str>,
) -> Result<PluginConfig, String> {
    // Names when the file has them (a listener holds one wasm filter of a given name), else
    // the path to the PluginConfig.
    let location = match (listener, map.get("name").and_then(Value::as_str)) {
        (Some(listener), Some(name)) => format!("listener {listener}, wasm filter {name}"),
        (None, Some(name)) => format!("{path} (wasm filter {name})"),
        (_, None) => path.to_owned(),
    };
    let vm_env = match map
        .get("vm_config")
        .and_then(|vm| vm.get("environment_variables"))
    {
        Some(vars) => VmEnv::Listed {
            inline: vars
                .get("key_values")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect(),
            from_host: vars
                .get("host_env_keys")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        },
        None if map.contains_key("vm_config") => VmEnv::Listed {
            inline: BTreeMap::new(),
            from_host: Vec::new(),
        },
        None => VmEnv::Process,
    };
    let Some(configuration) = map.get("configuration") else {
        // Envoy passes an empty configuration.
        return Ok(PluginConfig {
            location,
            bytes: Vec::new(),
            value: None,
            vm_env,
        });
    };
    let kind = configuration
        .get("@type")
        .and_then(Value::as_str)
        .unwrap_or("");
    let value = configuration.get("value").unwrap_or(&Value::Null);
    match kind {
        STRING_VALUE => {
            let text = value.as_str().unwrap_or("");
            Ok(PluginConfig {
                location,
                ..bare_json(text, Some(vm_env))
            })
        }
        STRUCT => Ok(native_yaml(location, value, vm_env)),
        other => Err(format!(
            "{location}: configuration type {other:?} is not one the filter reads (use \
             {STRING_VALUE} or {STRUCT})"
        )),
    }
}

fn to_struct(map: &Map<String, Value>) -> prost_types::Struct {
    prost_types::Struct {
        fields: map.iter().map(|(k, v)| (k.clone(), to_proto(v))).collect(),
    }
}

fn to_proto(value: &Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match value {
        Value::Null => Kind::NullValue(0),
        Value::Bool(b) => Kind::BoolValue(*b),
        // A Struct holds every number as a double, as Envoy's YAML loader writes it.
        Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Kind::StringValue(s.clone()),
        Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.iter().map(to_proto).collect(),
        }),
        Value::Object(map) => Kind::StructValue(to_struct(map)),
    };
    prost_types::Value { kind: Some(kind) }
}
