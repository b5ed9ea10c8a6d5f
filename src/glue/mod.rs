//! Glue: the only code that talks to Envoy. It moves bytes between the proxy-wasm host and the
//! pure core and performs the HTTP callouts the core asks for; it decides nothing itself.
//!
//! `root` owns the configuration and the per-VM delivery state (batches, retry queue, in-flight
//! callouts) and drives it from the timer; `http` handles one collection request; `held` lets
//! held requests share the root's callouts; `host` implements the core's traits (metrics,
//! clock, randomness) with hostcalls.
//!
//! Panics: wasm32 only has `panic = "abort"`, so a panic traps the VM. The hook installed here
//! logs the panic message at critical level first, so the Envoy log says what happened; the
//! shipped configs use `failure_policy: FAIL_OPEN` so that traffic keeps flowing (see README).

mod bigquery;
mod held;
mod host;
mod http;
mod root;
mod shared;

use proxy_wasm::types::LogLevel;

proxy_wasm::main! {{
    // Installs the `log` bridge to Envoy's log and the SDK's panic hook; the level is narrowed
    // to Envoy's own in `on_configure`.
    proxy_wasm::set_log_level(LogLevel::Info);
    std::panic::set_hook(Box::new(|info| {
        let _ = proxy_wasm::hostcalls::log(
            LogLevel::Critical,
            &format!("openai-capi-filter panicked, the VM will trap: {info}"),
        );
    }));
    proxy_wasm::set_root_context(|context_id| Box::new(root::Root::new(context_id)));
}}
