//! A fake host for the runtime's unit tests: a settable clock, callouts that get increasing
//! tokens, the answer the next callback reads, and a record of every host call and log line.

use super::host::{HeaderPairs, Host};
use crate::observe::bigquery::Counter as BigQueryCounter;
use crate::observe::metrics::{Counter, Gauge, Histogram, MemoryMetrics, Metrics};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::time::Duration;

/// A host call the runtime made.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Dispatch { token: u32, cluster: String },
    ResumeCurrent,
    Resume(u32),
    Enter(u32),
    SetTick(Duration),
    Wake(u32),
    TakeWake(u32),
    Done,
}

pub struct FakeHost {
    pub now: Cell<u64>,
    pub metrics: MemoryMetrics,
    calls: RefCell<Vec<Call>>,
    pub logs: RefCell<Vec<(log::Level, String)>>,
    /// Bodies of the callouts sent, by token.
    pub bodies: RefCell<Vec<(u32, Vec<u8>)>>,
    next_token: Cell<u32>,
    /// Whether the host accepts callouts, timers and a wake queue.
    pub refuse_dispatch: Cell<bool>,
    pub refuse_tick: Cell<bool>,
    pub queue: Option<u32>,
    /// The running request's headers and body.
    pub request: RefCell<HeaderPairs>,
    pub body: RefCell<Vec<u8>>,
    /// The answer the next answer callback reads.
    pub answer: RefCell<HeaderPairs>,
    pub answer_body: RefCell<Vec<u8>>,
    pub response_headers: RefCell<Vec<(String, String)>>,
}

impl FakeHost {
    /// A host at `now` with a wake queue (held batching's usual set-up).
    pub fn at(now: u64) -> FakeHost {
        FakeHost {
            now: Cell::new(now),
            metrics: MemoryMetrics::default(),
            calls: RefCell::new(Vec::new()),
            logs: RefCell::new(Vec::new()),
            bodies: RefCell::new(Vec::new()),
            next_token: Cell::new(100),
            refuse_dispatch: Cell::new(false),
            refuse_tick: Cell::new(false),
            queue: Some(7),
            request: RefCell::new(Vec::new()),
            body: RefCell::new(Vec::new()),
            answer: RefCell::new(Vec::new()),
            answer_body: RefCell::new(Vec::new()),
            response_headers: RefCell::new(Vec::new()),
        }
    }

    /// The host calls made since the last look, which are then forgotten.
    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.borrow_mut())
    }

    /// The tokens of the callouts in `calls`.
    pub fn tokens(calls: &[Call]) -> Vec<u32> {
        calls
            .iter()
            .filter_map(|c| match c {
                Call::Dispatch { token, .. } => Some(*token),
                _ => None,
            })
            .collect()
    }

    /// Log lines at `level`.
    pub fn lines(&self, level: log::Level) -> Vec<String> {
        self.logs
            .borrow()
            .iter()
            .filter(|(l, _)| *l == level)
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// The next answer read is an HTTP answer with `status`.
    pub fn answer_with(&self, status: u16, body: &str) {
        *self.answer.borrow_mut() = vec![
            (":status".into(), status.to_string().into_bytes()),
            ("x-envoy-upstream-service-time".into(), b"3".to_vec()),
        ];
        *self.answer_body.borrow_mut() = body.as_bytes().to_vec();
    }

    fn note(&self, call: Call) {
        self.calls.borrow_mut().push(call);
    }
}

impl Metrics for FakeHost {
    fn add(&self, counter: Counter, by: u64) {
        self.metrics.add(counter, by);
    }
    fn adjust(&self, gauge: Gauge, delta: i64) {
        self.metrics.adjust(gauge, delta);
    }
    fn record(&self, histogram: Histogram, value: u64) {
        self.metrics.record(histogram, value);
    }
}

impl Host for FakeHost {
    fn now_ms(&self) -> u64 {
        self.now.get()
    }
    fn random16(&self) -> [u8; 16] {
        [9; 16]
    }
    fn log(&self, level: log::Level, message: fmt::Arguments<'_>) {
        self.logs.borrow_mut().push((level, message.to_string()));
    }
    fn logs_at(&self, _level: log::Level) -> bool {
        true
    }
    fn follow_log_level(&self) {}
    fn report_memory(&self) {}
    fn add_bigquery(&self, _counter: BigQueryCounter, _by: u64) {}
    fn dispatch(
        &self,
        cluster: &str,
        _headers: Vec<(&str, &str)>,
        body: Option<&[u8]>,
        _timeout: Duration,
    ) -> Result<u32, String> {
        if self.refuse_dispatch.get() {
            return Err("BadArgument".into());
        }
        let token = self.next_token.get();
        self.next_token.set(token + 1);
        self.bodies
            .borrow_mut()
            .push((token, body.unwrap_or_default().to_vec()));
        self.note(Call::Dispatch {
            token,
            cluster: cluster.into(),
        });
        Ok(token)
    }
    fn resume_current(&self) {
        self.note(Call::ResumeCurrent);
    }
    fn resume(&self, context_id: u32) {
        self.note(Call::Resume(context_id));
    }
    fn enter(&self, context_id: u32) {
        self.note(Call::Enter(context_id));
    }
    fn set_tick(&self, period: Duration) -> bool {
        if self.refuse_tick.get() {
            return false;
        }
        self.note(Call::SetTick(period));
        true
    }
    fn register_queue(&self, _name: &str) -> Result<u32, String> {
        self.queue.ok_or_else(|| "Unimplemented".to_string())
    }
    fn wake(&self, queue: u32) -> bool {
        self.note(Call::Wake(queue));
        true
    }
    fn take_wake(&self, queue: u32) {
        self.note(Call::TakeWake(queue));
    }
    fn done(&self) {
        self.note(Call::Done);
    }
    fn request_headers(&self) -> HeaderPairs {
        self.request.borrow().clone()
    }
    fn source_address(&self) -> Option<Vec<u8>> {
        Some(b"198.51.100.7:4444".to_vec())
    }
    fn request_body(&self, size: usize) -> Vec<u8> {
        let body = self.body.borrow();
        body.get(..size).unwrap_or(&body[..]).to_vec()
    }
    fn set_property(&self, _key: &str, _value: &[u8]) {}
    fn add_response_header(&self, name: &str, value: &str) {
        self.response_headers
            .borrow_mut()
            .push((name.into(), value.into()));
    }
    fn answer_headers(&self) -> HeaderPairs {
        self.answer.borrow().clone()
    }
    fn answer_header(&self, name: &str) -> Option<Vec<u8>> {
        self.answer
            .borrow()
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
    fn answer_body(&self, max: usize) -> Vec<u8> {
        let body = self.answer_body.borrow();
        body.get(..max).unwrap_or(&body[..]).to_vec()
    }
}
