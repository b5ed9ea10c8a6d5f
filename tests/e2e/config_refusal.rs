//! A bad configuration is refused by Envoy, with one log line naming the field, and
//! `make check-config` prints that same line for the same configuration.

use crate::harness::{ConfigForm, Env, Options};
use serde_json::{json, Value};

/// Starts Envoy with a configuration the filter must refuse and returns Envoy's log, after
/// checking that one of its lines ends with what check-config says of the same configuration.
fn refused(options: Options) -> String {
    let expected = check_config_line(&options);
    let log = Env::start_refused(options);
    assert!(
        log.lines().any(|line| line.ends_with(&expected)),
        "check-config says:\n{expected}\nEnvoy logged:\n{log}"
    );
    log
}

/// check-config's refusal line for the PluginConfig the harness writes: the same
/// `configuration` and `vm_config.environment_variables`, and Envoy's environment (this
/// process's, which Envoy inherits).
fn check_config_line(options: &Options) -> String {
    let configuration = match options.config_form {
        ConfigForm::JsonString => json!({
            "@type": "type.googleapis.com/google.protobuf.StringValue",
            "value": options.filter.to_string(),
        }),
        ConfigForm::Struct => json!({
            "@type": "type.googleapis.com/google.protobuf.Struct",
            "value": options.filter,
        }),
    };
    let key_values: serde_json::Map<String, Value> = options
        .env
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let plugin = json!({
        "name": "openai_capi",
        "configuration": configuration,
        "vm_config": {"environment_variables": {
            "host_env_keys": options.host_env_keys,
            "key_values": key_values,
        }},
    });
    let verdicts =
        capi_check_config::check(&plugin.to_string(), &|name| std::env::var(name).ok()).unwrap();
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    verdicts[0]
        .result
        .clone()
        .expect_err("check-config must refuse what Envoy refuses")
}

#[test]
fn an_unknown_key_makes_envoy_refuse_the_config() {
    let log = refused(Options {
        filter: json!({"pixel_id": "p", "api_key": "k", "colour": "blue"}),
        ..Options::default()
    });
    assert!(
        log.contains("invalid configuration: colour: unknown field `colour`"),
        "{log}"
    );
}

#[test]
fn an_empty_pixel_id_makes_envoy_refuse_the_config() {
    let log = refused(Options {
        filter: json!({"pixel_id": "", "api_key": "k"}),
        ..Options::default()
    });
    assert!(
        log.contains("invalid configuration: pixel_id: must not be empty"),
        "{log}"
    );
}

#[test]
fn a_missing_api_key_env_var_names_the_field_and_never_prints_a_key() {
    let log = refused(Options {
        filter: json!({"pixel_id": "p", "api_key": {"env": "OPENAI_CAPI_KEY_UNSET"}}),
        ..Options::default()
    });
    assert!(log.contains("invalid configuration: api_key.env: environment variable OPENAI_CAPI_KEY_UNSET is not visible to the VM"), "{log}");
}

#[test]
fn a_listed_but_unset_host_env_key_is_not_blamed_on_vm_config() {
    let log = refused(Options {
        filter: json!({"pixel_id": "p", "api_key": {"env": "OPENAI_CAPI_KEY_NOT_IN_ENVOY_ENV"}}),
        host_env_keys: vec!["OPENAI_CAPI_KEY_NOT_IN_ENVOY_ENV"],
        ..Options::default()
    });
    assert!(
        log.contains("it must be set in Envoy's environment"),
        "{log}"
    );
    assert!(!log.contains("(list it in vm_config"), "{log}");
}

#[test]
fn a_placeholder_pixel_id_is_refused() {
    let log = refused(Options {
        filter: json!({"pixel_id": "REPLACE_WITH_PIXEL_ID", "api_key": "k"}),
        ..Options::default()
    });
    assert!(
        log.contains("invalid configuration: pixel_id: \"REPLACE_WITH_PIXEL_ID\" is a placeholder"),
        "{log}"
    );
}

#[test]
fn a_parse_error_names_line_and_column() {
    let log = refused(Options {
        // The harness hands the configuration over as one line of JSON text.
        filter: json!({"pixel_id": "p", "api_key": "k", "collect": {"max_body_bytes": -1}}),
        ..Options::default()
    });
    assert!(
        log.contains("invalid configuration: collect.max_body_bytes: invalid value")
            && log.contains("(line 1, column"),
        "{log}"
    );
}

#[test]
fn the_default_build_refuses_a_service_account_key_and_says_which_build_signs() {
    let log = refused(Options {
        filter: json!({"pixel_id": "p", "api_key": "k", "logging": {"bigquery": {
            "project_id": "p", "dataset_id": "d", "table_id": "t", "cluster": "bigquery",
            "access_token": {"service_account_key": {"env": "GOOGLE_KEY"}}}}}),
        env: vec![("GOOGLE_KEY".into(), "{}".into())],
        ..Options::default()
    });
    assert!(
        log.contains(
            "invalid configuration: logging.bigquery.access_token.service_account_key: this \
             build has no service-account signing (RSA is left out to keep the .wasm small): \
             build with `make build FEATURES=service-account`"
        ),
        "{log}"
    );
}

#[test]
fn a_native_yaml_config_is_refused_by_field_without_a_text_position() {
    let log = refused(Options {
        filter: json!({"pixel_id": "p", "api_key": "k", "collect": {"max_body_bytes": -1}}),
        config_form: ConfigForm::Struct,
        ..Options::default()
    });
    let line = log
        .lines()
        .find(|line| line.contains("invalid configuration: collect.max_body_bytes"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(!line.contains("(line "), "{line}");
}
