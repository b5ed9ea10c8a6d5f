//! HTTP context: one per request the filter sees (routes that disable the filter never create
//! one). Anything that is not a collection request passes after one read of its headers. A
//! collection request is read (headers, then a bounded body), handed to the core, and
//! continued: at once in optimistic mode (its events join the root's batch), or in held mode
//! after the first API attempt for its events answers or times out — the attempt of a batch
//! shared with the worker's other held requests (`glue::held`), or with `held_window_ms: 0`
//! its own callout. The response gets the cookies.

use super::held;
use super::host;
use super::shared::{without_body, Shared};
use crate::collect::collect;
use crate::config::Format;
use crate::delivery::retry::CallResult;
use crate::delivery::{Call, Dispatch};
use crate::observe::console;
use crate::observe::metrics::{Counter, Metrics};
use crate::observe::redact::Escaped;
use crate::request::{split_path, RequestFacts};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, BufferType, MapType};
use std::rc::Rc;

enum State {
    /// Not a collection request, or already handled.
    Passthrough,
    /// Collecting the body of a collection request.
    ReadingBody {
        format: Format,
        facts: Box<RequestFacts>,
        seen: usize,
    },
    /// Held in a batch shared with other requests: the root resumes it.
    Batched,
    /// Held: waiting for the first attempt of its own API call.
    Waiting {
        token: u32,
        dispatch: Dispatch,
        sent_at_ms: u64,
    },
}

pub struct Http {
    context_id: u32,
    shared: Rc<Shared>,
    state: State,
    set_cookies: Vec<String>,
}

impl Http {
    pub fn new(context_id: u32, shared: Rc<Shared>) -> Http {
        Http {
            context_id,
            shared,
            state: State::Passthrough,
            set_cookies: Vec::new(),
        }
    }

    /// Runs the core and starts delivery. Returns whether the request must stay paused.
    fn handle(&mut self, format: Format, facts: &RequestFacts, body: &[u8]) -> bool {
        let shared = Rc::clone(&self.shared);
        let now = host::now_ms();
        let collected = collect(
            &shared.config,
            format,
            facts,
            body,
            now,
            &mut host::random16,
            &shared.metrics,
        );
        self.set_cookies = collected.set_cookies;
        shared.metrics.report_memory();
        let summary = collected.summary.to_string();
        // Host, path and trace id come from the request: escaped, so they cannot forge a line.
        log::debug!(
            "collection request {} (trace {}): {summary}",
            Escaped(&facts.url()),
            Escaped(facts.trace_id.as_deref().unwrap_or("-"))
        );
        // Filter state `wasm.<prefix>.summary`, for %FILTER_STATE(…:PLAIN)% in access logs.
        let _ =
            hostcalls::set_property(vec![shared.summary_key.as_str()], Some(summary.as_bytes()));
        if collected.events.is_empty() {
            return false;
        }
        if shared.config.optimistic {
            shared.delivery.borrow_mut().enqueue(
                collected.events,
                facts.trace_id.clone(),
                now,
                &shared.metrics,
            );
            shared.arm_tick();
            return false;
        }
        if shared.held.borrow().enabled() {
            let hold = held::join(
                &shared,
                self.context_id,
                collected.events,
                facts.trace_id.clone(),
                now,
            );
            if hold {
                self.state = State::Batched;
            }
            return hold;
        }
        let call = Call::new(collected.events, facts.trace_id.clone());
        let Some(dispatch) = shared.delivery.borrow().prepare(call, now, &shared.metrics) else {
            return false;
        };
        match shared.dispatch(&dispatch) {
            Some(token) => {
                self.state = State::Waiting {
                    token,
                    dispatch: without_body(dispatch),
                    sent_at_ms: now,
                };
                true
            }
            None => {
                shared.complete(dispatch, CallResult::Reset, None);
                false
            }
        }
    }

    /// Finishes body reading with what was buffered (end of stream or trailers).
    fn finish_body(&mut self, body_size: usize) -> Action {
        let State::ReadingBody { format, facts, .. } =
            std::mem::replace(&mut self.state, State::Passthrough)
        else {
            return Action::Continue;
        };
        let body = hostcalls::get_buffer(BufferType::HttpRequestBody, 0, body_size)
            .ok()
            .flatten()
            .unwrap_or_default();
        if self.handle(format, &facts, &body) {
            Action::Pause
        } else {
            Action::Continue
        }
    }

    /// The response started while the collection body was still unread: a `direct_response`
    /// route answered before the body arrived (the filter was not holding the headers), and
    /// the events in it are lost. Counted, and said once a minute at warn level.
    fn body_unread(&mut self) {
        self.state = State::Passthrough;
        self.shared.unwatch_body(self.context_id);
        self.shared.metrics.add(Counter::CollectRequests, 1);
        self.shared.metrics.add(Counter::BodiesUnread, 1);
        let admitted = self.shared.unread_bodies.borrow_mut().admit(host::now_ms());
        if let Some(held_back) = admitted {
            log::warn!(
                "a collection request's response started before its body was read, so its events \
                 are lost ({held_back} more since the last warning). The route answers before the \
                 body arrives (direct_response): set allow_on_headers_stop_iteration: true in both \
                 Envoy's PluginConfig and the filter's collect config (Envoy >= 1.35), or route the \
                 collection path to an upstream"
            );
        }
    }
}

impl Context for Http {
    fn on_http_call_response(
        &mut self,
        token_id: u32,
        num_headers: usize,
        body_size: usize,
        _num_trailers: usize,
    ) {
        console::enter_plugin(self.shared.root_id);
        // Only this stream's own held call is answered here (the SDK routes by token).
        if !matches!(self.state, State::Waiting { token, .. } if token == token_id) {
            return;
        }
        let State::Waiting {
            dispatch,
            sent_at_ms,
            ..
        } = std::mem::replace(&mut self.state, State::Passthrough)
        else {
            return;
        };
        host::follow_host_log_level();
        let result = host::call_result(num_headers, body_size);
        self.shared.complete(dispatch, result, Some(sent_at_ms));
        let _ = hostcalls::resume_http_request();
    }

    fn on_done(&mut self) -> bool {
        console::enter_plugin(self.shared.root_id);
        self.shared.unwatch_body(self.context_id);
        if matches!(self.state, State::Batched) {
            // The batch is the root's: it is still sent; only nobody resumes this request.
            self.shared.held.borrow_mut().leave(self.context_id);
        }
        // The client left while a held call was in flight: its answer will never reach this
        // context, so the root sends it again (the API deduplicates on the event id).
        if let State::Waiting { dispatch, .. } =
            std::mem::replace(&mut self.state, State::Passthrough)
        {
            log::debug!(
                "request {} ended before the API answered; re-queued",
                self.context_id
            );
            self.shared.delivery.borrow_mut().requeue(
                dispatch.call,
                host::now_ms(),
                &self.shared.metrics,
            );
            self.shared.arm_tick();
        }
        true
    }
}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        // One read of the whole header map: a collection request needs most of it, and a
        // separate `:path` lookup first cost a host call and a re-entry into the VM per hit.
        // Other traffic pays for the larger read; routes without collection paths should not
        // run the filter at all (see the shipped configs).
        let pairs = hostcalls::get_map_bytes(MapType::HttpRequestHeaders).unwrap_or_default();
        let Some((_, path)) = pairs.iter().find(|(name, _)| name == ":path") else {
            return Action::Continue;
        };
        let path = String::from_utf8_lossy(path);
        let Some(format) = self
            .shared
            .config
            .collect
            .endpoint_format(split_path(&path).0)
        else {
            return Action::Continue;
        };
        // A VM may serve several plugins: this request's records are this plugin's.
        console::enter_plugin(self.shared.root_id);
        // Per request, not per configure: `POST /logging?wasm=debug` takes effect at once.
        host::follow_host_log_level();
        let source = hostcalls::get_property(vec!["source", "address"])
            .ok()
            .flatten();
        let Some(facts) = RequestFacts::from_headers(&pairs, source.as_deref()) else {
            return Action::Continue;
        };
        if !matches!(
            facts.method,
            crate::request::Method::Get | crate::request::Method::Post
        ) {
            return Action::Continue;
        }
        if end_of_stream {
            return if self.handle(format, &facts, &[]) {
                Action::Pause
            } else {
                Action::Continue
            };
        }
        // A body follows. Holding the headers while reading it is only possible when Envoy
        // passes StopIteration through (allow_on_headers_stop_iteration); otherwise Pause would
        // stop body callbacks too and the request would hang.
        let hold = self.shared.config.collect.allow_on_headers_stop_iteration;
        self.state = State::ReadingBody {
            format,
            facts: Box::new(facts),
            seen: 0,
        };
        if hold {
            self.shared.watch_body(self.context_id);
            Action::Pause
        } else {
            Action::Continue
        }
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        let State::ReadingBody { seen, .. } = &mut self.state else {
            return Action::Continue;
        };
        console::enter_plugin(self.shared.root_id);
        *seen = body_size;
        self.shared.unwatch_body(self.context_id);
        if body_size > self.shared.config.collect.max_body_bytes {
            // Too large to parse: the request goes on untouched, its events are not read.
            self.shared.metrics.add(Counter::CollectRequests, 1);
            self.shared.metrics.add(Counter::BodiesTooLarge, 1);
            log::debug!(
                "collection body over collect.max_body_bytes ({} bytes); events not read",
                self.shared.config.collect.max_body_bytes
            );
            self.state = State::Passthrough;
            return Action::Continue;
        }
        if !end_of_stream {
            // Buffer: Envoy calls again with the total size so far.
            return Action::Pause;
        }
        self.finish_body(body_size)
    }

    fn on_http_request_trailers(&mut self, _num_trailers: usize) -> Action {
        // With trailers the body callback never sees end_of_stream.
        let State::ReadingBody { seen, .. } = self.state else {
            return Action::Continue;
        };
        console::enter_plugin(self.shared.root_id);
        self.finish_body(seen)
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if matches!(self.state, State::ReadingBody { .. }) {
            console::enter_plugin(self.shared.root_id);
            self.body_unread();
        }
        for cookie in std::mem::take(&mut self.set_cookies) {
            let _ = hostcalls::add_map_value(MapType::HttpResponseHeaders, "set-cookie", &cookie);
        }
        Action::Continue
    }
}
