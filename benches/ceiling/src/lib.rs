//! Ceiling filter for `make bench`: on a `/g/collect` request it reads `:path` and adds one
//! `Set-Cookie` to the response; nothing else, no callout. Like the real filter it holds the
//! request headers until a POST body has arrived (its PluginConfig sets
//! `allow_on_headers_stop_iteration`), so the route answers a whole request, not one whose body
//! is still coming. Envoy still creates a context and enters the VM for each callback, which is
//! the cost no filter can avoid. On the host the crate is empty (it exists only as a `.wasm`).

#![cfg(target_arch = "wasm32")]

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

const COOKIE: &str = "__obref=0b6e1c1e-8a3d-4f9e-9d51-2f1a7c6b9e10; Domain=example.com; Path=/; Max-Age=31536000; Secure; SameSite=Lax";

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_root_context(|_| Box::new(Root));
}}

struct Root;

impl Context for Root {}

impl RootContext for Root {
    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Hit { collect: false }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Hit {
    collect: bool,
}

impl Context for Hit {}

impl HttpContext for Hit {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        self.collect = self
            .get_http_request_header_bytes(":path")
            .is_some_and(|p| p.starts_with(b"/g/collect"));
        if self.collect && !end_of_stream {
            Action::Pause
        } else {
            Action::Continue
        }
    }

    fn on_http_request_body(&mut self, _body_size: usize, end_of_stream: bool) -> Action {
        if self.collect && !end_of_stream {
            Action::Pause
        } else {
            Action::Continue
        }
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if self.collect {
            self.add_http_response_header("set-cookie", COOKIE);
        }
        Action::Continue
    }
}
