//! Root context: one per plugin configuration per VM (one VM per Envoy worker). It reads the
//! plugin configuration and forwards every root callback to [`runtime::Root`], which decides
//! (timer, wake queue, callouts, shutdown); see there.

use super::host::{follow_host_log_level, Envoy};
use super::http::Http;
use crate::observe::console;
use crate::runtime;
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{BufferType, ContextType};

pub struct Root {
    context_id: u32,
    runtime: runtime::Root<Envoy>,
}

impl Root {
    pub fn new(context_id: u32) -> Root {
        Root {
            context_id,
            runtime: runtime::Root::new(context_id),
        }
    }
}

impl Context for Root {
    fn on_http_call_response(&mut self, token: u32, headers: usize, body: usize, _: usize) {
        self.runtime.on_answer(token, headers, body);
    }

    fn on_done(&mut self) -> bool {
        self.runtime.on_done()
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        console::enter_plugin(self.context_id);
        follow_host_log_level();
        // First, so that even a refused configuration's report says which build refused it.
        log::info!(
            "openai-capi-filter {} (build {})",
            env!("CARGO_PKG_VERSION"),
            env!("OPENAI_CAPI_BUILD")
        );
        let bytes = hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX)
            .ok()
            .flatten()
            .unwrap_or_default();
        self.runtime
            .configure(&bytes, &|name| std::env::var(name).ok(), Envoy::new)
    }

    fn on_queue_ready(&mut self, queue_id: u32) {
        self.runtime.on_queue_ready(queue_id);
    }

    fn on_tick(&mut self) {
        self.runtime.on_tick();
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        let shared = self.runtime.shared()?;
        Some(Box::new(Http(runtime::Request::new(context_id, shared))))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}
