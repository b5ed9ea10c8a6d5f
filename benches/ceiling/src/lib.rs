//! Ceiling filter for `make bench`: on a `/g/collect` request it reads `:path` and adds one
//! `Set-Cookie` to the response; nothing else, no callout. Like the real filter it holds the
//! request headers until a POST body has arrived (its PluginConfig sets
//! `allow_on_headers_stop_iteration`), so the route answers a whole request, not one whose body
//! is still coming. Envoy still creates a context and enters the VM for each callback, which is
//! the cost no filter can avoid. On the host the crate is empty (it exists only as a `.wasm`).
//!
//! With the plugin configuration `reads` it also makes the host calls the real filter cannot do
//! without on a collection hit, and nothing else: the whole request header map in one read
//! (user agent, cookies, forwarding headers), the peer address (`source.address`, the user's IP),
//! a POST's body, and both cookies on the response. `make bench-instructions` counts it as the
//! *reads* row: what any filter with the real one's inputs and outputs costs before it decides
//! anything.

#![cfg(target_arch = "wasm32")]

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

const OBREF: &str = "__obref=0b6e1c1e-8a3d-4f9e-9d51-2f1a7c6b9e10; Domain=example.com; Path=/; Max-Age=31536000; Secure; SameSite=Lax";
const OPPREF: &str = "__oppref=gAAAAABnXz-clickref_0123456789abcdef; Domain=example.com; Path=/; Max-Age=7776000; Secure; SameSite=Lax";

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_root_context(|_| Box::new(Root { reads: false }));
}}

struct Root {
    reads: bool,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        self.reads = self.get_plugin_configuration().as_deref() == Some(b"reads".as_slice());
        true
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Hit {
            reads: self.reads,
            collect: false,
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Hit {
    reads: bool,
    collect: bool,
}

fn is_collect(path: &[u8]) -> bool {
    path.starts_with(b"/g/collect")
}

impl Context for Hit {}

impl HttpContext for Hit {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        self.collect = if self.reads {
            let headers = self.get_http_request_headers_bytes();
            let collect = headers
                .iter()
                .any(|(name, value)| name == ":path" && is_collect(value));
            if collect {
                let _peer = self.get_property(vec!["source", "address"]);
            }
            collect
        } else {
            self.get_http_request_header_bytes(":path")
                .is_some_and(|p| is_collect(&p))
        };
        if self.collect && !end_of_stream {
            Action::Pause
        } else {
            Action::Continue
        }
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if !self.collect {
            return Action::Continue;
        }
        if !end_of_stream {
            return Action::Pause;
        }
        if self.reads {
            let _body = self.get_http_request_body(0, body_size);
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if self.collect {
            self.add_http_response_header("set-cookie", OBREF);
            if self.reads {
                self.add_http_response_header("set-cookie", OPPREF);
            }
        }
        Action::Continue
    }
}
