//! One HTTP context's decisions: one per request the filter sees (routes that disable the
//! filter never create one). Anything that is not a collection request passes after one read
//! of its headers. A collection request is read (headers, then a bounded body), handed to the
//! core, and continued: at once in optimistic mode (its events join the root's batch), or in
//! held mode after the first API attempt for its events answers or times out — the attempt of a
//! batch shared with the worker's other held requests (`runtime::held`), or with
//! `held_window_ms: 0` its own callout. The response gets the cookies.

use super::answer::call_result;
use super::held;
use super::host::Host;
use super::shared::{without_body, Shared};
use crate::collect::collect;
use crate::config::Format;
use crate::delivery::retry::CallResult;
use crate::delivery::{Call, Dispatch};
use crate::observe::console;
use crate::observe::metrics::Counter;
use crate::observe::redact::Escaped;
use crate::request::{split_path, Method, RequestFacts};
use log::Level;
use std::rc::Rc;

/// What the host does with the request after a callback: the runtime's `Action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Pause,
}

impl Flow {
    fn paused_if(pause: bool) -> Flow {
        if pause {
            Flow::Pause
        } else {
            Flow::Continue
        }
    }
}

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

pub struct Request<H: Host> {
    context_id: u32,
    shared: Rc<Shared<H>>,
    state: State,
    set_cookies: Vec<String>,
}

impl<H: Host> Request<H> {
    pub fn new(context_id: u32, shared: Rc<Shared<H>>) -> Request<H> {
        Request {
            context_id,
            shared,
            state: State::Passthrough,
            set_cookies: Vec::new(),
        }
    }

    /// Runs the core and starts delivery. Returns whether the request must stay paused.
    fn handle(&mut self, format: Format, facts: &RequestFacts, body: &[u8]) -> bool {
        let shared = Rc::clone(&self.shared);
        let host = &shared.host;
        let now = host.now_ms();
        let collected = collect(
            &shared.config,
            format,
            facts,
            body,
            now,
            &mut || host.random16(),
            host,
        );
        self.set_cookies = collected.set_cookies;
        host.report_memory();
        let summary = collected.summary.to_string();
        // Host, path and trace id come from the request: escaped, so they cannot forge a line.
        // Asked first: the URL is built only for a line that is written.
        if host.logs_at(Level::Debug) {
            host.log(
                Level::Debug,
                format_args!(
                    "collection request {} (trace {}): {summary}",
                    Escaped(&facts.url()),
                    Escaped(facts.trace_id.as_deref().unwrap_or("-"))
                ),
            );
        }
        // Filter state `wasm.<prefix>.summary`, for %FILTER_STATE(…:PLAIN)% in access logs.
        host.set_property(&shared.summary_key, summary.as_bytes());
        if collected.events.is_empty() {
            return false;
        }
        if shared.config.optimistic {
            shared.delivery.borrow_mut().enqueue(
                collected.events,
                facts.trace_id.clone(),
                now,
                host,
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
        let Some(dispatch) = shared.delivery.borrow().prepare(call, now, host) else {
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
    fn finish_body(&mut self, body_size: usize) -> Flow {
        let State::ReadingBody { format, facts, .. } =
            std::mem::replace(&mut self.state, State::Passthrough)
        else {
            return Flow::Continue;
        };
        let body = self.shared.host.request_body(body_size);
        Flow::paused_if(self.handle(format, &facts, &body))
    }

    /// The response started while the collection body was still unread: a `direct_response`
    /// route answered before the body arrived (the filter was not holding the headers), and
    /// the events in it are lost. Counted, and said once a minute at warn level.
    fn body_unread(&mut self) {
        let shared = &self.shared;
        self.state = State::Passthrough;
        shared.unwatch_body(self.context_id);
        shared.host.add(Counter::CollectRequests, 1);
        shared.host.add(Counter::BodiesUnread, 1);
        let admitted = shared
            .unread_bodies
            .borrow_mut()
            .admit(shared.host.now_ms());
        if let Some(held_back) = admitted {
            shared.host.log(
                Level::Warn,
                format_args!(
                    "a collection request's response started before its body was read, so its \
                     events are lost ({held_back} more since the last warning). The route answers \
                     before the body arrives (direct_response): set \
                     allow_on_headers_stop_iteration: true in both Envoy's PluginConfig and the \
                     filter's collect config (Envoy >= 1.35), or route the collection path to an \
                     upstream"
                ),
            );
        }
    }

    /// `on_http_call_response` of the stream. Only this stream's own held call is answered here
    /// (the SDK routes by token); it continues once the first attempt ended.
    pub fn on_answer(&mut self, token_id: u32, num_headers: usize, body_size: usize) {
        console::enter_plugin(self.shared.root_id);
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
        let shared = &self.shared;
        shared.host.follow_log_level();
        let result = call_result(&shared.host, num_headers, body_size);
        shared.complete(dispatch, result, Some(sent_at_ms));
        shared.host.resume_current();
    }

    /// `on_done` of the stream: the request ended, whatever it was waiting for.
    pub fn on_done(&mut self) -> bool {
        let shared = &self.shared;
        console::enter_plugin(shared.root_id);
        shared.unwatch_body(self.context_id);
        if matches!(self.state, State::Batched) {
            // The batch is the root's: it is still sent; only nobody resumes this request.
            shared.held.borrow_mut().leave(self.context_id);
        }
        // The client left while a held call was in flight: its answer will never reach this
        // context, so the root sends it again (the API deduplicates on the event id).
        if let State::Waiting { dispatch, .. } =
            std::mem::replace(&mut self.state, State::Passthrough)
        {
            shared.host.log(
                Level::Debug,
                format_args!(
                    "request {} ended before the API answered; re-queued",
                    self.context_id
                ),
            );
            shared
                .delivery
                .borrow_mut()
                .requeue(dispatch.call, shared.host.now_ms(), &shared.host);
            shared.arm_tick();
        }
        true
    }

    /// `on_http_request_headers`.
    pub fn on_headers(&mut self, end_of_stream: bool) -> Flow {
        let shared = Rc::clone(&self.shared);
        // One read of the whole header map: a collection request needs most of it, and a
        // separate `:path` lookup first cost a host call and a re-entry into the VM per hit.
        // Other traffic pays for the larger read; routes without collection paths should not
        // run the filter at all (see the shipped configs).
        let pairs = shared.host.request_headers();
        let Some((_, path)) = pairs.iter().find(|(name, _)| name == ":path") else {
            return Flow::Continue;
        };
        let path = String::from_utf8_lossy(path);
        let Some(format) = shared.config.collect.endpoint_format(split_path(&path).0) else {
            return Flow::Continue;
        };
        // A VM may serve several plugins: this request's records are this plugin's.
        console::enter_plugin(shared.root_id);
        // Per request, not per configure: `POST /logging?wasm=debug` takes effect at once.
        shared.host.follow_log_level();
        let source = shared.host.source_address();
        let Some(facts) = RequestFacts::from_headers(&pairs, source.as_deref()) else {
            return Flow::Continue;
        };
        if !matches!(facts.method, Method::Get | Method::Post) {
            return Flow::Continue;
        }
        if end_of_stream {
            return Flow::paused_if(self.handle(format, &facts, &[]));
        }
        // A body follows. Holding the headers while reading it is only possible when Envoy
        // passes StopIteration through (allow_on_headers_stop_iteration); otherwise Pause would
        // stop body callbacks too and the request would hang.
        let hold = shared.config.collect.allow_on_headers_stop_iteration;
        self.state = State::ReadingBody {
            format,
            facts: Box::new(facts),
            seen: 0,
        };
        if hold {
            shared.watch_body(self.context_id);
        }
        Flow::paused_if(hold)
    }

    /// `on_http_request_body`: `body_size` is the total buffered so far.
    pub fn on_body(&mut self, body_size: usize, end_of_stream: bool) -> Flow {
        let State::ReadingBody { seen, .. } = &mut self.state else {
            return Flow::Continue;
        };
        let shared = &self.shared;
        console::enter_plugin(shared.root_id);
        *seen = body_size;
        shared.unwatch_body(self.context_id);
        if body_size > shared.config.collect.max_body_bytes {
            // Too large to parse: the request goes on untouched, its events are not read.
            shared.host.add(Counter::CollectRequests, 1);
            shared.host.add(Counter::BodiesTooLarge, 1);
            shared.host.log(
                Level::Debug,
                format_args!(
                    "collection body over collect.max_body_bytes ({} bytes); events not read",
                    shared.config.collect.max_body_bytes
                ),
            );
            self.state = State::Passthrough;
            return Flow::Continue;
        }
        if !end_of_stream {
            // Buffer: Envoy calls again with the total size so far.
            return Flow::Pause;
        }
        self.finish_body(body_size)
    }

    /// `on_http_request_trailers`: with trailers the body callback never sees end_of_stream.
    pub fn on_trailers(&mut self) -> Flow {
        let State::ReadingBody { seen, .. } = self.state else {
            return Flow::Continue;
        };
        console::enter_plugin(self.shared.root_id);
        self.finish_body(seen)
    }

    /// `on_http_response_headers`: the cookies go on the response.
    pub fn on_response_headers(&mut self) -> Flow {
        if matches!(self.state, State::ReadingBody { .. }) {
            console::enter_plugin(self.shared.root_id);
            self.body_unread();
        }
        for cookie in std::mem::take(&mut self.set_cookies) {
            self.shared.host.add_response_header("set-cookie", &cookie);
        }
        Flow::Continue
    }
}
