//! HTTP context: one per request the filter sees. Every callback goes to
//! [`runtime::Request`], which decides; the host calls it makes go through [`Envoy`].

use super::host::Envoy;
use crate::runtime::{self, Flow};
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::Action;

pub struct Http(pub runtime::Request<Envoy>);

fn action(flow: Flow) -> Action {
    match flow {
        Flow::Continue => Action::Continue,
        Flow::Pause => Action::Pause,
    }
}

impl Context for Http {
    fn on_http_call_response(&mut self, token: u32, headers: usize, body: usize, _: usize) {
        self.0.on_answer(token, headers, body);
    }

    fn on_done(&mut self) -> bool {
        self.0.on_done()
    }
}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        action(self.0.on_headers(end_of_stream))
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        action(self.0.on_body(body_size, end_of_stream))
    }

    fn on_http_request_trailers(&mut self, _num_trailers: usize) -> Action {
        action(self.0.on_trailers())
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        action(self.0.on_response_headers())
    }
}
