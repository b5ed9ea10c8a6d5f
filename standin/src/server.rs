//! The servers: a listener thread plus one thread per connection, shared recording state, fault
//! decisions and the verbose printer.

use crate::dedup::Dedup;
use crate::google::{describe, Google, GoogleConfig, TableRow};
use crate::http::{reason, Conn, ReadError, Request, Response};
use crate::validate::{check_request, Verdict};
use crate::{Faults, RecordedRequest, StandinConfig};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What a server does with a request.
enum Mode {
    /// Validate as the Conversions API, apply faults.
    Api(StandinConfig),
    /// Record and answer 200 `ok`.
    Upstream,
    /// BigQuery insertAll, the metadata server and the OAuth token endpoint; faults apply.
    Google(Box<Google>),
}

#[derive(Default)]
struct State {
    requests: VecDeque<RecordedRequest>,
    record_limit: Option<usize>,
    faults: Faults,
    /// Requests seen since the last `set_faults` (for `fail_first` and `reset`).
    since_faults: usize,
    /// The API's dedup store (pixel + event name + id of every stored event).
    dedup: Dedup,
    /// Events dropped as duplicates since the last `clear`.
    duplicates: usize,
    /// `Faults::hold_answers`: the number the next held request takes (in recording order)...
    next_held: usize,
    /// ...and every held request whose number is below this one may answer.
    released_below: usize,
}

struct Shared {
    mode: Mode,
    state: Mutex<State>,
    recorded: Condvar,
    shutdown: AtomicBool,
    /// A clone of every open connection, so stopping can shut them down.
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Unix time in milliseconds.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A running server; dropping it stops it.
struct Server {
    shared: Arc<Shared>,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    fn start(mode: Mode, addr: SocketAddr) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            mode,
            state: Mutex::new(State::default()),
            recorded: Condvar::new(),
            shutdown: AtomicBool::new(false),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
        });
        let accept_shared = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name(format!("standin-accept-{}", addr.port()))
            .spawn(move || accept_loop(&listener, &accept_shared))?;
        Ok(Server {
            shared,
            addr,
            acceptor: Some(acceptor),
        })
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.state).requests.iter().cloned().collect()
    }

    fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let deadline = Instant::now() + timeout;
        let mut state = lock(&self.shared.state);
        while state.requests.len() < n {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            if left.is_zero() {
                break;
            }
            state = self
                .shared
                .recorded
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.requests.iter().cloned().collect()
    }

    /// Lets the `n` oldest held answers not yet let go answer (waiting now or still to come).
    fn release_answers(&self, n: usize) {
        let mut state = lock(&self.shared.state);
        state.released_below = state.released_below.saturating_add(n);
        drop(state);
        self.shared.recorded.notify_all();
    }

    fn set_faults(&self, faults: Faults) {
        let mut state = lock(&self.shared.state);
        state.faults = faults;
        state.since_faults = 0;
        drop(state);
        // Answers held under the old plan go if the new one does not hold.
        self.shared.recorded.notify_all();
    }

    fn clear(&self) {
        let mut state = lock(&self.shared.state);
        state.requests.clear();
        state.dedup.clear();
        state.duplicates = 0;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        // Wake the blocking accept() with a connection of our own.
        let woke = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok();
        // Shut down open connections; their threads see EOF and end on their own (detached).
        for (_, conn) in lock(&self.shared.conns).drain() {
            let _ = conn.shutdown(Shutdown::Both);
        }
        // Held answers end too, unanswered (their connections are shut). Taking the lock first
        // means no holder is between its check of `shutdown` and its wait.
        drop(lock(&self.shared.state));
        self.shared.recorded.notify_all();
        if let Some(acceptor) = self.acceptor.take() {
            if woke {
                let _ = acceptor.join();
            }
            // Otherwise the accept thread is left detached rather than risking a hang.
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    loop {
        let accepted = listener.accept();
        if shared.shutdown.load(Ordering::SeqCst) {
            return;
        }
        match accepted {
            Ok((stream, _)) => {
                let conn_shared = Arc::clone(shared);
                let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
                // If the thread cannot be spawned the stream is dropped (closed).
                let _ = thread::Builder::new()
                    .name(format!("standin-conn-{id}"))
                    .spawn(move || serve_connection(&conn_shared, stream, id));
            }
            // E.g. EMFILE or ECONNABORTED: back off briefly, keep serving.
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// What to do instead of (or as) the answer.
enum Action {
    Answer(Response),
    Reset,
}

fn serve_connection(shared: &Shared, stream: TcpStream, id: u64) {
    let _ = stream.set_nodelay(true);
    if let Ok(clone) = stream.try_clone() {
        lock(&shared.conns).insert(id, clone);
    }
    if shared.shutdown.load(Ordering::SeqCst) {
        lock(&shared.conns).remove(&id);
        return;
    }
    let mut conn = Conn::new(stream);
    loop {
        let request = match conn.read_request() {
            Ok(request) => request,
            Err(ReadError::Closed) => break,
            Err(ReadError::Io(e)) => {
                if verbose(shared) && e.kind() == io::ErrorKind::UnexpectedEof {
                    println!("!! connection {id}: {e}");
                }
                break;
            }
            Err(ReadError::Malformed(status, what)) => {
                if verbose(shared) {
                    println!("!! malformed HTTP request on connection {id}: {what} -> {status}");
                }
                let _ = Response::error(status, &format!("http: {what}"))
                    .write_to(&mut conn.stream, true);
                break;
            }
        };
        let keep_alive = request.keep_alive();
        match handle(shared, request) {
            Action::Answer(response) => {
                let close = !keep_alive || shared.shutdown.load(Ordering::SeqCst);
                if response.write_to(&mut conn.stream, close).is_err() || close {
                    break;
                }
            }
            Action::Reset => {
                // Close with SO_LINGER=0: the kernel sends RST instead of FIN. The registered
                // clone is closed first so this close is the last one.
                drop(lock(&shared.conns).remove(&id));
                let _ = socket2::SockRef::from(&conn.stream).set_linger(Some(Duration::ZERO));
                return;
            }
        }
    }
    drop(lock(&shared.conns).remove(&id));
    let _ = conn.stream.shutdown(Shutdown::Both);
}

fn verbose(shared: &Shared) -> bool {
    match &shared.mode {
        Mode::Api(config) => config.verbose,
        Mode::Google(google) => google.config.verbose,
        Mode::Upstream => false,
    }
}

fn handle(shared: &Shared, request: Request) -> Action {
    let received_at_ms = now_ms();
    let mut google_answer = None;
    let (verdict, json) = match &shared.mode {
        Mode::Api(config) => check_request(
            config,
            &request.method,
            &request.path,
            &request.query,
            &request.headers,
            &request.body,
            received_at_ms,
        ),
        Mode::Upstream => (
            Verdict {
                status: 200,
                message: String::new(),
                violations: Vec::new(),
            },
            serde_json::from_slice::<Value>(&request.body).ok(),
        ),
        Mode::Google(google) => {
            let (verdict, json, answer) = google.handle(
                &request.method,
                &request.path,
                &request.headers,
                &request.body,
                received_at_ms,
            );
            google_answer = Some(answer);
            (verdict, json)
        }
    };

    let (faults, index) = {
        let mut state = lock(&shared.state);
        let index = state.since_faults;
        state.since_faults = state.since_faults.saturating_add(1);
        (state.faults.clone(), index)
    };
    let (action, fault_note) = match &shared.mode {
        Mode::Upstream => (Action::Answer(Response::json(200, "ok")), None),
        Mode::Api(_) => decide(&faults, index, &verdict, json.as_ref(), None),
        Mode::Google(_) => decide(&faults, index, &verdict, json.as_ref(), google_answer),
    };
    let answered_status = match &action {
        Action::Answer(response) => response.status,
        Action::Reset => 0,
    };
    // Only a request the API itself accepted stores its events (a fault answers for it).
    let duplicates = match (&shared.mode, &json) {
        (Mode::Api(config), Some(body)) if fault_note.is_none() && answered_status == 200 => {
            let mut state = lock(&shared.state);
            let duplicates = state.dedup.admit(&config.pixel_id, body);
            state.duplicates = state.duplicates.saturating_add(duplicates.len());
            duplicates
        }
        _ => Vec::new(),
    };

    let record = RecordedRequest {
        method: request.method,
        path: request.path,
        query: request.query,
        headers: request.headers,
        body: request.body,
        json,
        answered_status,
        violations: verdict.violations,
        received_at_ms,
        duplicates,
    };
    match &shared.mode {
        Mode::Api(config) if config.verbose => {
            print_request(config, &record, &verdict.message, fault_note.as_deref());
        }
        Mode::Google(google) if google.config.verbose => {
            let mut out = describe(
                &record.method,
                &record.path,
                record.json.as_ref(),
                record.answered_status,
            );
            if let Some(fault) = &fault_note {
                out.push_str(&format!("   (fault injected: {fault})\n"));
            }
            let _ = io::stdout().lock().write_all(out.as_bytes());
        }
        _ => {}
    }
    let held = {
        let mut state = lock(&shared.state);
        let held = faults.hold_answers.then(|| {
            let number = state.next_held;
            state.next_held = number.saturating_add(1);
            number
        });
        if state.record_limit != Some(0) {
            state.requests.push_back(record);
        }
        if let Some(limit) = state.record_limit {
            while state.requests.len() > limit {
                state.requests.pop_front();
            }
        }
        held
    };
    shared.recorded.notify_all();

    if let Some(number) = held {
        wait_for_release(shared, number);
        // Released by the server stopping, not by the test: the answer ends unanswered. Without
        // this check a holder woken between the stop flag and the connections' shutdown still
        // wrote its answer (seen once in a loaded CI run).
        if shared.shutdown.load(Ordering::SeqCst) {
            return Action::Reset;
        }
    }
    if faults.delay_ms > 0 {
        thread::sleep(Duration::from_millis(faults.delay_ms));
    }
    action
}

/// Holds the answer of the `number`-th held request until the test released that many
/// (`release_answers`), the fault plan stops holding, or the server stops.
fn wait_for_release(shared: &Shared, number: usize) {
    let mut state = lock(&shared.state);
    while state.faults.hold_answers
        && number >= state.released_below
        && !shared.shutdown.load(Ordering::SeqCst)
    {
        state = shared
            .recorded
            .wait(state)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

/// Applies the fault plan. Precedence: reset, status, fail_first, reject_event_id,
/// non_json_body, validation.
fn decide(
    faults: &Faults,
    index: usize,
    verdict: &Verdict,
    body: Option<&Value>,
    answer: Option<Response>,
) -> (Action, Option<String>) {
    if faults.reset.is_some_and(|n| index < n) {
        return (Action::Reset, Some("connection reset".to_owned()));
    }
    let fault_status = faults.status.or(faults
        .fail_first
        .and_then(|(n, s)| (index < n).then_some(s)));
    if let Some(status) = fault_status {
        let mut response = if (200..300).contains(&status) {
            Response::json(status, "{}")
        } else {
            Response::error(status, &format!("injected fault: HTTP {status}"))
        };
        response.retry_after.clone_from(&faults.retry_after);
        return (Action::Answer(response), Some(format!("status {status}")));
    }
    if let Some(rejected) = &faults.reject_event_id {
        let events = body.and_then(|b| b.get("events")).and_then(Value::as_array);
        if let Some(i) = events
            .into_iter()
            .flatten()
            .position(|e| e.get("id").and_then(Value::as_str) == Some(rejected))
        {
            let message = format!("events[{i}].id: event {rejected:?} rejected (fault)");
            return (
                Action::Answer(Response::error(
                    faults.reject_status.unwrap_or(400),
                    &message,
                )),
                Some("reject_event_id".to_owned()),
            );
        }
    }
    if faults.non_json_body {
        let response = Response {
            status: 200,
            content_type: "text/html",
            body: b"<html>not json</html>".to_vec(),
            retry_after: None,
        };
        return (Action::Answer(response), Some("non-JSON body".to_owned()));
    }
    let response = match answer {
        Some(answer) => answer,
        None if verdict.status == 200 => match faults.large_body {
            Some(size) => Response::json(
                200,
                format!(r#"{{"padding":"{}"}}"#, "x".repeat(size.saturating_sub(14))),
            ),
            None => Response::json(200, "{}"),
        },
        None => Response::error(verdict.status, &verdict.message),
    };
    (Action::Answer(response), None)
}

/// Longest pretty-printed body shown in verbose mode (a 1,000-event batch would be ~15k lines).
const MAX_PRINTED_LINES: usize = 400;

/// `hh:mm:ss.mmm` (UTC) of a unix-milliseconds time.
pub(crate) fn utc_clock(unix_ms: u64) -> String {
    let ms_of_day = unix_ms % 86_400_000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}

/// Prints one request and its verdict, readably, as one block.
fn print_request(
    config: &StandinConfig,
    record: &RecordedRequest,
    message: &str,
    fault: Option<&str>,
) {
    let mut out = String::new();
    let target = if record.query.is_empty() {
        record.path.clone()
    } else {
        format!("{}?{}", record.path, record.query)
    };
    out.push_str(&format!(
        "── {} UTC  {} {}\n",
        utc_clock(record.received_at_ms),
        record.method,
        target
    ));
    let auth = match record.header("authorization") {
        None => "(missing)".to_owned(),
        Some(value) => {
            let matched = value == format!("Bearer {}", config.api_key);
            let shown = if value.starts_with("Bearer ") {
                "Bearer ***"
            } else {
                "*** (not a Bearer token)"
            };
            let verdict = if matched {
                "matches the API key"
            } else {
                "DOES NOT match the API key"
            };
            format!("{shown}  [{verdict}]")
        }
    };
    out.push_str(&format!("   authorization: {auth}\n"));
    out.push_str(&format!(
        "   content-type: {}\n",
        record.header("content-type").unwrap_or("(missing)")
    ));
    match &record.json {
        Some(json) => {
            let pretty = serde_json::to_string_pretty(json).unwrap_or_default();
            let total = pretty.lines().count();
            for line in pretty.lines().take(MAX_PRINTED_LINES) {
                out.push_str("   ");
                out.push_str(line);
                out.push('\n');
            }
            if total > MAX_PRINTED_LINES {
                out.push_str(&format!(
                    "   … {} more lines ({} events in all)\n",
                    total - MAX_PRINTED_LINES,
                    record.events().len()
                ));
            }
        }
        None if record.body.is_empty() => out.push_str("   (no body)\n"),
        None => {
            let text = String::from_utf8_lossy(&record.body);
            let shown: String = text.chars().take(4096).collect();
            out.push_str(&format!("   (body is not JSON) {shown}\n"));
        }
    }
    let status = record.answered_status;
    match fault {
        Some(fault) => out.push_str(&format!(
            "   -> fault injected: {fault}{}\n",
            if status == 0 {
                String::new()
            } else {
                format!(" ({status} {})", reason(status))
            }
        )),
        None => out.push_str(&format!("   -> {status} {}\n", reason(status))),
    }
    if fault.is_none() && status != 200 && status != 400 {
        out.push_str(&format!("      answered: {message}\n"));
    }
    if !record.violations.is_empty() {
        for violation in &record.violations {
            out.push_str(&format!("      - {violation}\n"));
        }
    }
    if !record.duplicates.is_empty() {
        out.push_str(&format!(
            "      dropped as duplicates of earlier events (first event wins): {}\n",
            record.duplicates.join(", ")
        ));
    }
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    let _ = lock.write_all(out.as_bytes());
    let _ = lock.flush();
}

/// The Conversions API stand-in. Dropping it stops the server.
pub struct Standin {
    server: Server,
}

impl Standin {
    /// Binds `<config.listen>:<config.port>` (port 0 = ephemeral) and starts serving.
    pub fn start(config: StandinConfig) -> io::Result<Standin> {
        let addr = SocketAddr::new(config.listen, config.port);
        Ok(Standin {
            server: Server::start(Mode::Api(config), addr)?,
        })
    }

    /// The bound address (`0.0.0.0:<port>` when listening on every interface).
    pub fn local_addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.server.addr.port()
    }

    /// `http://<host>:<port><path>?pid=<pixel id>`, the URL a client on this machine should
    /// post to (`127.0.0.1` when listening on every interface).
    pub fn url(&self) -> String {
        let ip = self.server.addr.ip();
        let host = if ip.is_unspecified() {
            Ipv4Addr::LOCALHOST.into()
        } else {
            ip
        };
        match &self.server.shared.mode {
            Mode::Api(config) => format!(
                "http://{}{}?pid={}",
                SocketAddr::new(host, self.port()),
                config.path,
                url::form_urlencoded::byte_serialize(config.pixel_id.as_bytes())
                    .collect::<String>()
            ),
            Mode::Upstream | Mode::Google(_) => format!("http://127.0.0.1:{}/", self.port()),
        }
    }

    /// All requests recorded so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }

    /// Returns as soon as at least `n` requests are recorded, or whatever is recorded when
    /// `timeout` passes.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        self.server.wait_for_requests(n, timeout)
    }

    /// Forgets the recorded requests and the stored event ids (the fault plan and its counter
    /// are kept).
    pub fn clear(&self) {
        self.server.clear();
    }

    /// Events dropped as duplicates (same pixel, event name and id as an event stored before)
    /// since the start or the last [`Standin::clear`]: conversions the real API would not count.
    pub fn duplicates(&self) -> usize {
        lock(&self.server.shared.state).duplicates
    }

    /// Replaces the fault plan and restarts the "first N requests" counter used by
    /// `fail_first` and `reset` (one counter for both: request k since this call is the k-th).
    /// A plan that does not hold answers lets every held one go.
    pub fn set_faults(&self, faults: Faults) {
        self.server.set_faults(faults);
    }

    /// Under [`Faults::hold_answers`]: lets the `n` oldest held answers not let go yet answer, in
    /// the order their requests were recorded (whether waiting now or still to arrive);
    /// `usize::MAX` lets all go, now and later.
    pub fn release_answers(&self, n: usize) {
        self.server.release_answers(n);
    }

    /// Keeps at most `limit` recorded requests (the newest); `None` (the default) keeps all.
    /// For long benchmark runs, where recording every request would grow without bound.
    pub fn set_record_limit(&self, limit: Option<usize>) {
        let mut state = lock(&self.server.shared.state);
        state.record_limit = limit;
        if let Some(limit) = limit {
            while state.requests.len() > limit {
                state.requests.pop_front();
            }
        }
    }
}

/// A generic upstream that records every request and answers 200 `ok` after reading it fully; no
/// validation, no faults. Dropping it stops the server.
pub struct Upstream {
    server: Server,
}

impl Upstream {
    /// Binds an ephemeral port on 127.0.0.1 and starts serving.
    pub fn start() -> io::Result<Upstream> {
        Upstream::start_on(0)
    }

    /// Binds `port` on 127.0.0.1 (0 = any) and starts serving.
    pub fn start_on(port: u16) -> io::Result<Upstream> {
        Ok(Upstream {
            server: Server::start(Mode::Upstream, (Ipv4Addr::LOCALHOST, port).into())?,
        })
    }

    /// Keeps at most `limit` records (the oldest are dropped); `Some(0)` records nothing.
    pub fn set_record_limit(&self, limit: Option<usize>) {
        lock(&self.server.shared.state).record_limit = limit;
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.server.addr.port()
    }

    /// All requests recorded so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }

    /// Returns as soon as at least `n` requests are recorded, or whatever is recorded when
    /// `timeout` passes.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        self.server.wait_for_requests(n, timeout)
    }

    /// Forgets the recorded requests.
    pub fn clear(&self) {
        self.server.clear();
    }
}

/// The Google stand-in (BigQuery insertAll, metadata server, OAuth token endpoint; see
/// [`GoogleConfig`]). Dropping it stops the server.
pub struct GoogleStandin {
    server: Server,
}

impl GoogleStandin {
    /// Binds `127.0.0.1:<config.port>` (0 = ephemeral) and starts serving.
    pub fn start(config: GoogleConfig) -> io::Result<GoogleStandin> {
        let port = config.port;
        let google = Google::new(config).map_err(io::Error::other)?;
        Ok(GoogleStandin {
            server: Server::start(
                Mode::Google(Box::new(google)),
                (Ipv4Addr::LOCALHOST, port).into(),
            )?,
        })
    }

    fn google(&self) -> Option<&Google> {
        match &self.server.shared.mode {
            Mode::Google(google) => Some(google),
            _ => None,
        }
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.server.addr.port()
    }

    /// All requests recorded so far (inserts and token fetches), in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }

    /// Returns as soon as at least `n` requests are recorded, or when `timeout` passes.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        self.server.wait_for_requests(n, timeout)
    }

    /// The rows stored in the table, in insertion order.
    pub fn rows(&self) -> Vec<TableRow> {
        self.google().map(Google::rows).unwrap_or_default()
    }

    /// Every token the metadata server or the token endpoint issued.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.google().map(Google::issued_tokens).unwrap_or_default()
    }

    /// Revokes every token issued so far: inserts carrying one get `401`.
    pub fn revoke_tokens(&self) {
        if let Some(google) = self.google() {
            google.revoke_tokens();
        }
    }

    /// Fault: refuse (in `insertErrors`) every row whose JSON text contains `needle`.
    pub fn reject_rows_containing(&self, needle: Option<String>) {
        if let Some(google) = self.google() {
            google.reject_rows_containing(needle);
        }
    }

    /// Replaces the fault plan (`status`, `fail_first`, `reset`, `delay_ms`, `hold_answers`
    /// apply).
    pub fn set_faults(&self, faults: Faults) {
        self.server.set_faults(faults);
    }

    /// Under [`Faults::hold_answers`]: lets `n` held answers go (see
    /// [`Standin::release_answers`]).
    pub fn release_answers(&self, n: usize) {
        self.server.release_answers(n);
    }

    /// Forgets the recorded requests (not the table).
    pub fn clear(&self) {
        self.server.clear();
    }
}
