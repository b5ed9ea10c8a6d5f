//! End-to-end harness: the built `.wasm` in a real Envoy, next to the API stand-in.
//!
//! Each [`Env`] starts its own Envoy (ephemeral ports, generated config, hot restart off) with
//! the filter, an API stand-in for the `openai_capi` cluster and an upstream recorder for
//! routed collection paths. It fails loudly — never skips — when Envoy or the `.wasm` is
//! missing, and dumps the Envoy log when a test fails.

use capi_standin::{RecordedRequest, Standin, StandinConfig, Upstream};
use capi_test_support::envoy;
use openai_capi_filter::observe::metrics::TAG_REGEXES;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const API_KEY: &str = "e2e-secret-key";
pub const PIXEL_ID: &str = "e2e-pixel";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Envoy binary: `$ENVOY_BIN`, else the one `make envoy` installs.
pub fn envoy_bin() -> PathBuf {
    let path = std::env::var_os("ENVOY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".tools/envoy/envoy/_bin/envoy"));
    assert!(
        path.is_file(),
        "Envoy binary not found at {}: run `make envoy` (or set ENVOY_BIN). End-to-end tests never skip.",
        path.display()
    );
    path
}

/// The filter: `$FILTER_WASM`, else the release build.
pub fn wasm_path() -> PathBuf {
    built_wasm(
        "FILTER_WASM",
        "target/wasm32-wasip1/release/openai_capi_filter.wasm",
        "make build",
    )
}

/// The filter built with the `service-account` feature: `$FILTER_WASM_SA`, else the release
/// build under `target/service-account`.
pub fn service_account_wasm_path() -> PathBuf {
    built_wasm(
        "FILTER_WASM_SA",
        "target/service-account/wasm32-wasip1/release/openai_capi_filter.wasm",
        "make build-service-account",
    )
}

fn built_wasm(var: &str, default: &str, make: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(default));
    assert!(
        path.is_file(),
        "filter not found at {}: run `{make}` first. End-to-end tests never skip.",
        path.display()
    );
    path
}

/// Envoy on `config` as every test runs it: one worker, no hot restart, warnings and up.
/// A new empty directory for one Envoy's files (config, log, access log). Named by a
/// process-wide sequence, not by a port: two tests of this process could be handed the same
/// free port one after the other, and the second would truncate the first one's log.
pub fn scratch_dir(kind: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("capi-{kind}-{}-{seq}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn envoy_command(config: &std::path::Path) -> Command {
    let mut command = Command::new(envoy_bin());
    command.arg("-c").arg(config).args([
        "--concurrency",
        "1",
        "--disable-hot-restart",
        "-l",
        "warning",
    ]);
    command
}

/// Waits until the Envoy `child` answers on its admin and main ports; `Err` with its log when
/// it exited during start-up or was not ready after 30 s.
fn wait_ready(
    child: &mut std::process::Child,
    admin: u16,
    port: u16,
    log_path: &std::path::Path,
) -> Result<(), String> {
    let log = || std::fs::read_to_string(log_path).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "Envoy exited during start-up ({status}):\n{}",
                log()
            ));
        }
        if let Ok(r) = try_request(
            admin,
            b"GET /ready HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n",
        ) {
            if r.status == 200 && TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("Envoy not ready after 30 s:\n{}", log()))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How collection paths are answered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    /// Envoy answers with `direct_response` 204 (needs allow_on_headers_stop_iteration).
    DirectResponse,
    /// Routed to the upstream recorder.
    Upstream,
}

/// Options for one environment.
pub struct Options {
    /// Filter configuration; `pixel_id`, `api_key` and `api.cluster` defaults are filled in.
    pub filter: Value,
    pub shape: Shape,
    /// PluginConfig.allow_on_headers_stop_iteration.
    pub allow_on_headers_stop_iteration: bool,
    /// Extra `vm_config.environment_variables.key_values`.
    pub env: Vec<(String, String)>,
    /// `vm_config.environment_variables.host_env_keys`.
    pub host_env_keys: Vec<&'static str>,
    pub wasm_log_level: &'static str,
    /// The API cluster's port; `None` = the stand-in.
    pub api_port: Option<u16>,
    /// More loopback clusters: (name, port).
    pub clusters: Vec<(String, u16)>,
    /// How the filter configuration is written in the PluginConfig.
    pub config_form: ConfigForm,
    /// A second plugin: its filter configuration, on a second listener whose wasm filter has the
    /// same `vm_config`, so Envoy runs both plugins in one VM per worker (see
    /// [`Env::second_port`]). `pixel_id`, `api_key` and the stop-iteration flag are filled in.
    pub second_plugin: Option<Value>,
    /// Which build of the filter Envoy loads.
    pub build: Build,
}

/// The filter builds an environment can load.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub enum Build {
    /// The default build (`make build`).
    #[default]
    Default,
    /// With the `service-account` feature (`make build-service-account`).
    ServiceAccount,
}

/// The two ways Envoy's `PluginConfig.configuration` can carry the filter configuration.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ConfigForm {
    /// A `google.protobuf.StringValue` holding JSON text.
    JsonString,
    /// A `google.protobuf.Struct` written as native YAML.
    Struct,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            filter: json!({}),
            shape: Shape::DirectResponse,
            allow_on_headers_stop_iteration: true,
            env: Vec::new(),
            host_env_keys: Vec::new(),
            wasm_log_level: "debug",
            api_port: None,
            config_form: ConfigForm::JsonString,
            clusters: Vec::new(),
            second_plugin: None,
            build: Build::Default,
        }
    }
}

pub struct Env {
    pub api: Standin,
    pub upstream: Upstream,
    pub port: u16,
    /// The second plugin's listener, with [`Options::second_plugin`].
    pub second_port: Option<u16>,
    pub admin: u16,
    envoy: Child,
    log_path: PathBuf,
    dir: PathBuf,
}

/// Access log line format of every environment: the path and the filter's per-request summary.
pub const ACCESS_LOG_FORMAT: &str =
    "%REQ(:PATH)% rid=%REQ(X-REQUEST-ID)% summary=%FILTER_STATE(wasm.openai_capi.summary:PLAIN)%";

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The `Set-Cookie` line for cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

impl Env {
    pub fn start(options: Options) -> Env {
        let api = Standin::start(StandinConfig {
            api_key: API_KEY.into(),
            pixel_id: PIXEL_ID.into(),
            ..StandinConfig::default()
        })
        .expect("start API stand-in");
        let complete = |filter: &Value| {
            let mut filter = filter.clone();
            let obj = filter.as_object_mut().expect("filter config is an object");
            obj.entry("pixel_id").or_insert(json!(PIXEL_ID));
            obj.entry("api_key").or_insert(json!(API_KEY));
            if options.allow_on_headers_stop_iteration {
                let collect = obj.entry("collect").or_insert(json!({}));
                collect
                    .as_object_mut()
                    .unwrap()
                    .entry("allow_on_headers_stop_iteration")
                    .or_insert(json!(true));
            }
            filter
        };
        let filter = complete(&options.filter);
        let second = options
            .second_plugin
            .as_ref()
            .map(|f| (free_port(), complete(f)));
        let mut env = Env::launch(
            api,
            options.wasm_log_level,
            &[],
            |port, admin, api_port, upstream_port, dir| {
                envoy_yaml(
                    &options,
                    &filter,
                    second.as_ref().map(|(port, f)| (*port, f)),
                    port,
                    admin,
                    options.api_port.unwrap_or(api_port),
                    upstream_port,
                    dir,
                )
            },
        );
        env.second_port = second.map(|(port, _)| port);
        env
    }

    /// Starts Envoy with a configuration written by `yaml(port, admin, api_port,
    /// upstream_port, dir)` (`dir` holds its files, e.g. the access log), next to `api` and a fresh upstream recorder; `host_env` is set in
    /// Envoy's own environment (for `host_env_keys`).
    pub fn launch(
        api: Standin,
        wasm_log_level: &str,
        host_env: &[(&str, &str)],
        yaml: impl Fn(u16, u16, u16, u16, &std::path::Path) -> String,
    ) -> Env {
        let upstream = Upstream::start().expect("start upstream recorder");
        // A port picked free may be taken by another process before Envoy binds it (other test
        // suites run beside this one): Envoy then exits at start-up, and a new pair is picked.
        for attempt in 1..=3 {
            let port = free_port();
            let admin = free_port();
            let dir = scratch_dir("e2e");
            let text = yaml(port, admin, api.port(), upstream.port(), &dir);
            let config_path = dir.join("envoy.yaml");
            std::fs::write(&config_path, text).unwrap();
            let log_path = dir.join("envoy.log");
            let log = std::fs::File::create(&log_path).unwrap();
            let mut envoy = envoy_command(&config_path)
                .arg("--component-log-level")
                .arg(format!("wasm:{wasm_log_level}"))
                .envs(host_env.iter().copied())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("spawn envoy");
            match wait_ready(&mut envoy, admin, port, &log_path) {
                Ok(()) => {
                    return Env {
                        api,
                        upstream,
                        port,
                        second_port: None,
                        admin,
                        envoy,
                        log_path,
                        dir,
                    }
                }
                Err(log) if attempt < 3 && log.contains("Address already in use") => {
                    eprintln!("Envoy could not bind its ports (attempt {attempt}); new ports");
                    let _ = envoy.kill();
                    let _ = envoy.wait();
                }
                Err(log) => {
                    let _ = envoy.kill();
                    let _ = envoy.wait();
                    panic!("{log}");
                }
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// Starts Envoy with a configuration the filter must refuse; returns Envoy's log once it
    /// has exited (it must exit non-zero within 30 s).
    pub fn start_refused(options: Options) -> String {
        let port = free_port();
        let admin = free_port();
        let dir = scratch_dir("e2e-refused");
        let yaml = envoy_yaml(
            &options,
            &options.filter,
            None,
            port,
            admin,
            free_port(),
            free_port(),
            &dir,
        );
        let config_path = dir.join("envoy.yaml");
        std::fs::write(&config_path, yaml).unwrap();
        let output = envoy_command(&config_path).output().expect("run envoy");
        let log = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            !output.status.success(),
            "Envoy accepted a configuration the filter must refuse:\n{log}"
        );
        let _ = std::fs::remove_dir_all(&dir);
        log
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The access log written so far (see [`ACCESS_LOG_FORMAT`]).
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("access.log")).unwrap_or_default()
    }

    /// Sends an admin request (e.g. `POST /logging?wasm=debug`) and returns the response.
    pub fn admin(&self, method: &str, path: &str) -> Response {
        try_request(self.admin, &build(method, path, &[("host", "admin")], None))
            .unwrap_or_else(|e| panic!("admin request failed: {e}"))
    }

    /// Sends raw bytes to the listener (anything, including invalid HTTP bytes).
    pub fn raw(&self, request: &[u8]) -> Response {
        try_request(self.port, request)
            .unwrap_or_else(|e| panic!("request failed: {e}\n{}", self.log()))
    }

    pub fn get(&self, path_and_query: &str, headers: &[(&str, &str)]) -> Response {
        self.raw(&build("GET", path_and_query, headers, None))
    }

    /// A GET on the second plugin's listener ([`Options::second_plugin`]).
    pub fn get_second(&self, path_and_query: &str, headers: &[(&str, &str)]) -> Response {
        let port = self.second_port.expect("Options::second_plugin is set");
        try_request(port, &build("GET", path_and_query, headers, None))
            .unwrap_or_else(|e| panic!("request failed: {e}\n{}", self.log()))
    }

    pub fn post(&self, path_and_query: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        self.raw(&build("POST", path_and_query, headers, Some(body)))
    }

    /// A GET on its own connection and thread. Joining gives the response and whether `moment`
    /// had passed when it arrived (see [`Moment`]).
    pub fn get_in_background(
        &self,
        path_and_query: &str,
        moment: &Moment,
    ) -> std::thread::JoinHandle<(Response, bool)> {
        let (port, moment) = (self.port, moment.clone());
        let request = build("GET", path_and_query, &[], None);
        std::thread::spawn(move || {
            let response = try_request(port, &request).unwrap();
            (response, moment.passed())
        })
    }

    /// `openai_capi.*` counters and gauges from `/stats`, without the prefix. Envoy 1.40 lists
    /// wasm-defined stats as `wasmcustom.openai_capi.<name>` in this text output.
    ///
    /// A labelled series `<family>.<key>.<value>` is listed under that name, under
    /// `<family>_<value>` (`events_skipped_consent_denied`, `api_responses_4xx`), and adds to the
    /// family total `<family>` (`events_invalid` = every reason).
    pub fn stats(&self) -> HashMap<String, u64> {
        self.stats_of("openai_capi")
    }

    /// [`Env::stats`] of the plugin whose `metric_prefix` is `prefix`.
    pub fn stats_of(&self, prefix: &str) -> HashMap<String, u64> {
        let request = format!(
            "GET /stats?filter={prefix} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n"
        );
        let r = try_request(self.admin, request.as_bytes()).unwrap();
        let dotted = format!("{prefix}.");
        let mut stats = HashMap::new();
        for line in String::from_utf8_lossy(&r.body).lines() {
            let Some((name, value)) = line.split_once(": ") else {
                continue;
            };
            let Some(name) = name
                .strip_prefix("wasmcustom.")
                .unwrap_or(name)
                .strip_prefix(dotted.as_str())
            else {
                continue;
            };
            let Ok(value) = value.trim().parse::<u64>() else {
                continue;
            };
            if let [family, _key, label] = name.split('.').collect::<Vec<_>>()[..] {
                *stats.entry(family.to_owned()).or_default() += value;
                stats.insert(format!("{family}_{label}"), value);
            }
            stats.insert(name.to_owned(), value);
        }
        stats
    }

    /// The first `n` API calls, waited for, each checked accepted (200) by the strict stand-in.
    pub fn accepted_calls(&self, n: usize) -> Vec<RecordedRequest> {
        let calls = self.api.wait_for_requests(n, Duration::from_secs(10));
        assert_eq!(calls.len(), n, "API calls");
        for call in &calls {
            assert_eq!(
                call.answered_status, 200,
                "stand-in violations: {:?}",
                call.violations
            );
        }
        calls
    }

    /// The events of the first `n` API calls, in order (see [`Env::accepted_calls`]).
    pub fn events_of_calls(&self, n: usize) -> Vec<Value> {
        self.accepted_calls(n)
            .iter()
            .flat_map(RecordedRequest::events)
            .collect()
    }

    /// The single event of the single API call.
    pub fn only_event(&self) -> Value {
        let events = self.events_of_calls(1);
        assert_eq!(events.len(), 1, "one event: {events:?}");
        events[0].clone()
    }

    pub fn stat(&self, name: &str) -> u64 {
        self.stats().get(name).copied().unwrap_or(0)
    }

    /// Waits until counter `name` reaches `at_least` (counters are flushed by Envoy at once).
    pub fn wait_stat(&self, name: &str, at_least: u64, timeout: Duration) -> u64 {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.stat(name);
            if v >= at_least || Instant::now() > deadline {
                return v;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The raw `/stats/prometheus` text.
    pub fn prometheus(&self) -> String {
        let r = try_request(
            self.admin,
            b"GET /stats/prometheus HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
        String::from_utf8_lossy(&r.body).into_owned()
    }

    /// Panics with the Envoy log if the filter crashed the VM.
    pub fn assert_no_crash(&self) {
        let log = self.log();
        for needle in [
            "panicked",
            "Uncaught RuntimeError",
            "wasm_fail_stream",
            "Wasm VM failed",
        ] {
            assert!(
                !log.contains(needle),
                "Envoy log shows a VM failure ({needle}):\n{log}"
            );
        }
    }
}

/// A moment the test marks, such as "the API's answers are released" (with the stand-in's
/// `Faults::hold_answers`), so a test proves an order of events instead of timing them: a
/// response that arrived before the mark could not have waited for what the mark releases, and
/// one that arrived after it did not come before. A loaded machine changes neither.
#[derive(Clone, Default)]
pub struct Moment(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Moment {
    pub fn mark(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn passed(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = self.envoy.kill();
        let _ = self.envoy.wait();
        if std::thread::panicking() {
            eprintln!(
                "---- Envoy log ({}) ----\n{}",
                self.log_path.display(),
                self.log()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

pub fn build(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
    let mut has_host = false;
    for (k, v) in headers {
        has_host |= k.eq_ignore_ascii_case("host");
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    if !has_host {
        out.extend_from_slice(b"Host: shop.example.com\r\n");
    }
    if let Some(b) = body {
        out.extend_from_slice(format!("Content-Length: {}\r\n", b.len()).as_bytes());
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    if let Some(b) = body {
        out.extend_from_slice(b);
    }
    out
}

/// One request on a fresh connection; reads until the response is complete (by its length
/// or chunked framing) or the server closes, so `elapsed` is the time to the whole response.
pub fn try_request(port: u16, request: &[u8]) -> std::io::Result<Response> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.write_all(request)?;
    read_response(&mut stream, started)
}

/// Reads one whole response from `stream` (see [`try_request`]), waiting at most 20 s for each
/// read; `elapsed` counts from `started`.
pub fn read_response(stream: &mut TcpStream, started: Instant) -> std::io::Result<Response> {
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        if response_complete(&raw) {
            break;
        }
        match stream.read(&mut buf)? {
            0 => break,
            n => raw.extend_from_slice(&buf[..n]),
        }
    }
    parse_response(&raw, started.elapsed()).ok_or_else(|| {
        std::io::Error::other(format!(
            "unparseable response: {:?}",
            String::from_utf8_lossy(&raw)
        ))
    })
}

fn response_complete(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let body = &raw[end + 4..];
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if status == 204 || status == 304 || (100..200).contains(&status) {
        return true;
    }
    if head.contains("transfer-encoding: chunked") {
        return body.ends_with(b"0\r\n\r\n");
    }
    match head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        Some(len) => body.len() >= len,
        None => false,
    }
}

fn parse_response(raw: &[u8], elapsed: Duration) -> Option<Response> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Some(Response {
        status,
        headers,
        body,
        elapsed,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..pos]).unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = pos + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

/// The Envoy configuration of an environment: the main listener with the filter (and, for
/// [`Options::second_plugin`], a second listener whose filter shares the first one's
/// `vm_config`, so both plugins run in one VM), the API, upstream and extra clusters.
#[allow(clippy::too_many_arguments)]
fn envoy_yaml(
    options: &Options,
    filter: &Value,
    second: Option<(u16, &Value)>,
    port: u16,
    admin: u16,
    api_port: u16,
    upstream_port: u16,
    dir: &std::path::Path,
) -> String {
    let stats_tags: Vec<Value> = TAG_REGEXES
        .iter()
        .map(|(tag, regex)| json!({"tag_name": tag, "regex": regex}))
        .collect();
    let mut clusters = vec![
        ("openai_capi".to_owned(), api_port),
        ("upstream".to_owned(), upstream_port),
    ];
    clusters.extend(options.clusters.iter().cloned());
    let mut listeners = listener_yaml(options, "main", port, filter, &dir.join("access.log"));
    if let Some((second_port, second_filter)) = second {
        listeners.push_str(&listener_yaml(
            options,
            "second",
            second_port,
            second_filter,
            &dir.join("access-second.log"),
        ));
    }
    envoy::fill(
        envoy::BOOTSTRAP,
        &[
            ("admin_port", &admin.to_string()),
            ("stats_tags", &Value::from(stats_tags).to_string()),
            ("dynamic_resources", ""),
            ("listeners", &listeners),
            ("clusters", &clusters_yaml(&clusters)),
        ],
    )
}

/// Loopback clusters, (name, port) each, as the `${clusters}` block of the bootstrap.
pub fn clusters_yaml(clusters: &[(String, u16)]) -> String {
    clusters
        .iter()
        .map(|(name, port)| {
            envoy::fill(
                envoy::CLUSTER,
                &[("name", name.as_str()), ("port", &port.to_string())],
            )
        })
        .collect()
}

/// One listener with the filter configured as `filter`. Every listener's filter has the same
/// `vm_config` (code, environment), which is what makes Envoy share one VM between them.
fn listener_yaml(
    options: &Options,
    name: &str,
    port: u16,
    filter: &Value,
    access_log: &std::path::Path,
) -> String {
    let collect_route = match options.shape {
        Shape::DirectResponse => {
            json!({"match": {"prefix": "/"}, "direct_response": {"status": 204}})
        }
        Shape::Upstream => json!({"match": {"prefix": "/"}, "route": {"cluster": "upstream"}}),
    };
    let routes = json!([
        {"match": {"prefix": "/other"}, "route": {"cluster": "upstream"}},
        collect_route,
    ]);
    let access_log = json!([{
        "name": "envoy.access_loggers.file",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
            "path": access_log,
            "log_format": {"text_format_source": {"inline_string": format!("{ACCESS_LOG_FORMAT}\n")}},
        },
    }]);
    let env_values: serde_json::Map<String, Value> = options
        .env
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let configuration = match options.config_form {
        ConfigForm::JsonString => json!({
            "@type": "type.googleapis.com/google.protobuf.StringValue",
            "value": filter.to_string(),
        }),
        ConfigForm::Struct => {
            json!({"@type": "type.googleapis.com/google.protobuf.Struct", "value": filter})
        }
    };
    let wasm_filter = envoy::fill(
        envoy::WASM_FILTER,
        &[
            ("root_id", "openai_capi"),
            (
                "allow_on_headers_stop_iteration",
                &options.allow_on_headers_stop_iteration.to_string(),
            ),
            ("configuration", &configuration.to_string()),
            (
                "wasm",
                &Value::from(
                    match options.build {
                        Build::Default => wasm_path(),
                        Build::ServiceAccount => service_account_wasm_path(),
                    }
                    .display()
                    .to_string(),
                )
                .to_string(),
            ),
            (
                "environment_variables",
                &json!({"host_env_keys": options.host_env_keys, "key_values": env_values})
                    .to_string(),
            ),
        ],
    );
    let stat_prefix = if name == "main" {
        "ingress".to_owned()
    } else {
        format!("ingress_{name}")
    };
    envoy::fill(
        envoy::LISTENER,
        &[
            ("name", name),
            ("resource_type", ""),
            ("port", &port.to_string()),
            ("stat_prefix", &stat_prefix),
            ("access_log", &access_log.to_string()),
            ("routes", &routes.to_string()),
            ("http_filters", &wasm_filter),
        ],
    )
}
