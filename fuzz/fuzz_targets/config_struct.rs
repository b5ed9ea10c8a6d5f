//! The configuration as Envoy hands it over: any bytes through
//! `Config::from_plugin_configuration`, which decodes a protobuf `google.protobuf.Struct`
//! (native YAML; the seeds are the `config` seeds so encoded) or else reads JSON text. The VM
//! environment holds an API key and a service-account key; a refusal must say something and
//! never echo either.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::config::Config;

const API_KEY: &str = "sk-from-env-0123";
const KEY_JSON: &str = include_str!("../../tests/fixtures/google/test-service-account.json");

/// A line from the middle of the test key's PEM body.
fn key_line() -> &'static str {
    KEY_JSON
        .split("\\n")
        .nth(5)
        .expect("the test key has PEM lines")
}

fn contains(data: &[u8], needle: &str) -> bool {
    data.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fuzz_target!(|data: &[u8]| {
    let env = |name: &str| match name {
        "KEY" => Some(API_KEY.to_owned()),
        "GOOGLE_KEY" => Some(KEY_JSON.to_owned()),
        _ => None,
    };
    if let Err(e) = Config::from_plugin_configuration(data, &env) {
        let message = e.to_string();
        assert!(!message.is_empty());
        for secret in [API_KEY, key_line()] {
            assert!(
                contains(data, secret) || !message.contains(secret),
                "{message}"
            );
        }
    }
});
