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
    assert!(log.contains("invalid configuration: api_key.env: environment variable OPENAI_CAPI_KEY_UNSET is not set"), "{log}");
}
