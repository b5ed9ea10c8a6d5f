//! A bad configuration is refused by Envoy, with one log line naming the field.

use crate::harness::{Env, Options};
use serde_json::json;

#[test]
fn an_unknown_key_makes_envoy_refuse_the_config() {
    let log = Env::start_refused(Options {
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
    let log = Env::start_refused(Options {
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
    let log = Env::start_refused(Options {
        filter: json!({"pixel_id": "p", "api_key": {"env": "OPENAI_CAPI_KEY_UNSET"}}),
        ..Options::default()
    });
    assert!(log.contains("invalid configuration: api_key.env: environment variable OPENAI_CAPI_KEY_UNSET is not visible to the VM"), "{log}");
}

#[test]
fn a_listed_but_unset_host_env_key_is_not_blamed_on_vm_config() {
    let log = Env::start_refused(Options {
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
    let log = Env::start_refused(Options {
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
    let log = Env::start_refused(Options {
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
    let log = Env::start_refused(Options {
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
