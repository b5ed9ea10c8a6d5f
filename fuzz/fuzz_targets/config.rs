//! Configuration parsing: any bytes as the plugin configuration. A refusal must name a field
//! and never echo the API key.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::config::Config;

fuzz_target!(|data: &[u8]| {
    let env = |name: &str| (name == "KEY").then(|| "sk-from-env-0123".to_owned());
    if let Err(e) = Config::from_json(data, &env) {
        let message = e.to_string();
        assert!(!message.is_empty());
        assert!(!message.contains("sk-from-env-0123"), "{message}");
    }
});
