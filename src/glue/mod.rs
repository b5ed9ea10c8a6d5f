//! Glue: the only code that talks to Envoy. The proxy-wasm contexts forward each callback to the
//! runtime (`crate::runtime`), which makes every decision; `host` implements the runtime's
//! `Host` trait with hostcalls (clock, randomness, callouts, resuming requests, the timer and
//! wake queue, metrics, reading headers, bodies and answers). `root` is the root context, `http`
//! one HTTP context.
//!
//! Panics: wasm32 only has `panic = "abort"`, so a panic traps the VM. The hook installed here
//! logs the panic message at critical level first, so the Envoy log says what happened; the
//! shipped configs use `failure_policy: FAIL_OPEN` so that traffic keeps flowing (see README).

mod host;
mod http;
mod root;

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
