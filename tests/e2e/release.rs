//! What a platform team needs to know which build runs: the version line at start-up.

use crate::harness::{Env, Options};

#[test]
fn the_filter_logs_its_version_and_build_at_configure() {
    let env = Env::start(Options {
        wasm_log_level: "info",
        ..Options::default()
    });
    let expected = format!(
        "openai-capi-filter {} (build {})",
        env!("CARGO_PKG_VERSION"),
        env!("OPENAI_CAPI_BUILD")
    );
    let log = env.log();
    assert!(log.contains(&expected), "no {expected:?} in:\n{log}");
    // A build with a git checkout names its commit.
    assert_ne!(env!("OPENAI_CAPI_BUILD"), "unknown");
}
