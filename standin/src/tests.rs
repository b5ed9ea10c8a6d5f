//! Server tests: raw HTTP over TcpStream against a running stand-in / upstream.

use super::*;
use serde_json::json;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(5);

fn now() -> u64 {
    server::now_ms()
}

fn event_body(email_hash: &str) -> String {
    json!({
        "integration_source": "openai-capi-filter",
        "events": [{
            "id": "ev-1",
            "type": "order_created",
            "timestamp_ms": now(),
            "action_source": "web",
            "source_url": "https://shop.example.com/thanks",
            "user": { "emails_sha256": [email_hash] },
            "data": { "type": "contents", "amount": 1299, "currency": "EUR" }
        }]
    })
    .to_string()
}

const HASH: &str = "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514";

fn valid_body() -> String {
    event_body(HASH)
}

fn post(body: &str, auth: &str, extra_headers: &str) -> String {
    format!(
        "POST /v1/events?pid=test-pixel HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n{extra_headers}\r\n{body}",
        body.len()
    )
}

fn valid_post() -> String {
    post(&valid_body(), "Bearer test-api-key", "")
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(T)).unwrap();
    stream
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn error_message(&self) -> String {
        let v: serde_json::Value = serde_json::from_str(&self.body).unwrap();
        v["error"]["message"].as_str().unwrap().to_owned()
    }
}

/// Reads one response (byte by byte for the head, so nothing of a later response is consumed).
fn read_response(stream: &mut TcpStream) -> io::Result<Resp> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "eof in head"));
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let mut lines = head.trim_end().split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body)?;
    Ok(Resp {
        status,
        headers,
        body: String::from_utf8(body).unwrap(),
    })
}

fn exchange(stream: &mut TcpStream, request: &str) -> Resp {
    stream.write_all(request.as_bytes()).unwrap();
    read_response(stream).unwrap()
}

fn standin() -> Standin {
    Standin::start(StandinConfig::default()).unwrap()
}

#[test]
fn keep_alive_two_requests_on_one_connection_are_recorded() {
    let s = standin();
    let mut c = connect(s.port());
    let r1 = exchange(&mut c, &valid_post());
    assert_eq!((r1.status, r1.body.as_str()), (200, "{}"));
    assert_eq!(r1.header("content-type"), Some("application/json"));
    assert_eq!(r1.header("connection"), None);

    let r2 = exchange(
        &mut c,
        &post(&event_body("NOT-A-HASH"), "Bearer test-api-key", ""),
    );
    assert_eq!(r2.status, 400);
    assert_eq!(
        r2.error_message(),
        "events[0].user.emails_sha256[0]: must be lowercase 64-char hex"
    );

    let recorded = s.requests();
    assert_eq!(recorded.len(), 2);
    let first = &recorded[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/v1/events");
    assert_eq!(first.query, "pid=test-pixel");
    assert_eq!(first.header("Authorization"), Some("Bearer test-api-key"));
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert!(first
        .headers
        .iter()
        .all(|(n, _)| *n == n.to_ascii_lowercase()));
    assert_eq!(first.events().len(), 1);
    assert_eq!(first.events()[0]["id"], "ev-1");
    assert_eq!(
        first.json.as_ref().unwrap()["integration_source"],
        "openai-capi-filter"
    );
    assert_eq!(first.answered_status, 200);
    assert!(first.violations.is_empty());
    assert!(first.received_at_ms.abs_diff(now()) < 60_000);
    assert_eq!(recorded[1].answered_status, 400);
    assert_eq!(recorded[1].violations.len(), 1);
}

#[test]
fn recorded_body_is_the_exact_bytes_sent() {
    let s = standin();
    let mut c = connect(s.port());
    let body = valid_body();
    exchange(&mut c, &post(&body, "Bearer test-api-key", ""));
    assert_eq!(s.requests()[0].body, body.as_bytes());
}

#[test]
fn connection_close_is_honoured() {
    let s = standin();
    let mut c = connect(s.port());
    let r = exchange(
        &mut c,
        &post(
            &valid_body(),
            "Bearer test-api-key",
            "Connection: close\r\n",
        ),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), Some("close"));
    let mut rest = Vec::new();
    assert_eq!(c.read_to_end(&mut rest).unwrap(), 0);
}

#[test]
fn chunked_request_body_is_read_whole() {
    let s = standin();
    let mut c = connect(s.port());
    let body = valid_body();
    let (a, b) = body.split_at(body.len() / 2);
    let request = format!(
        "POST /v1/events?pid=test-pixel HTTP/1.1\r\nAuthorization: Bearer test-api-key\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    );
    let r = exchange(&mut c, &request);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(s.requests()[0].body, body.as_bytes());
    // The connection is still usable.
    assert_eq!(exchange(&mut c, &valid_post()).status, 200);
}

#[test]
fn wrong_key_gets_401() {
    let s = standin();
    let mut c = connect(s.port());
    let r = exchange(&mut c, &post(&valid_body(), "Bearer sk-wrong", ""));
    assert_eq!(r.status, 401);
    assert_eq!(r.error_message(), "Missing or invalid Authorization");
    let no_auth = format!(
        "POST /v1/events?pid=test-pixel HTTP/1.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{}",
        valid_body().len(),
        valid_body()
    );
    assert_eq!(exchange(&mut c, &no_auth).status, 401);
    assert_eq!(s.requests()[0].answered_status, 401);
}

#[test]
fn wrong_method_path_and_pid() {
    let s = standin();
    let mut c = connect(s.port());
    let get =
        "GET /v1/events?pid=test-pixel HTTP/1.1\r\nAuthorization: Bearer test-api-key\r\n\r\n";
    assert_eq!(exchange(&mut c, get).status, 405);
    let body = valid_body();
    let wrong_path = post(&body, "Bearer test-api-key", "").replacen("/v1/events", "/v2/events", 1);
    assert_eq!(exchange(&mut c, &wrong_path).status, 404);
    let wrong_pid = valid_post().replacen("pid=test-pixel", "pid=other", 1);
    let r = exchange(&mut c, &wrong_pid);
    assert_eq!(r.status, 400);
    assert!(r.error_message().starts_with("pid: "), "{r:?}");
}

#[test]
fn fault_status_with_retry_after_still_validates() {
    let s = standin();
    s.set_faults(Faults {
        status: Some(503),
        retry_after: Some("7".to_owned()),
        ..Faults::default()
    });
    let mut c = connect(s.port());
    let r = exchange(&mut c, &valid_post());
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert!(r.error_message().contains("503"));
    let bad = exchange(&mut c, &post(&event_body("x"), "Bearer test-api-key", ""));
    assert_eq!(bad.status, 503);
    let recorded = s.requests();
    assert_eq!(recorded[0].answered_status, 503);
    assert!(recorded[0].violations.is_empty());
    assert_eq!(recorded[1].answered_status, 503);
    assert_eq!(recorded[1].violations.len(), 1);
}

#[test]
fn fail_first_then_success_and_set_faults_resets_the_counter() {
    let s = standin();
    s.set_faults(Faults {
        fail_first: Some((2, 500)),
        ..Faults::default()
    });
    let mut c = connect(s.port());
    let statuses: Vec<u16> = (0..3)
        .map(|_| exchange(&mut c, &valid_post()).status)
        .collect();
    assert_eq!(statuses, [500, 500, 200]);
    s.set_faults(Faults {
        fail_first: Some((1, 429)),
        retry_after: Some("1".to_owned()),
        ..Faults::default()
    });
    let first = exchange(&mut c, &valid_post());
    assert_eq!(
        (first.status, first.header("retry-after")),
        (429, Some("1"))
    );
    let second = exchange(&mut c, &valid_post());
    assert_eq!((second.status, second.header("retry-after")), (200, None));
    // After fail_first is used up, invalid requests get the normal 400.
    assert_eq!(
        exchange(&mut c, &post(&event_body("x"), "Bearer test-api-key", "")).status,
        400
    );
    s.set_faults(Faults::default());
    assert_eq!(exchange(&mut c, &valid_post()).status, 200);
}

#[test]
fn delay_holds_the_answer_but_records_first() {
    let s = standin();
    s.set_faults(Faults {
        delay_ms: 300,
        ..Faults::default()
    });
    let mut c = connect(s.port());
    let started = Instant::now();
    c.write_all(valid_post().as_bytes()).unwrap();
    assert_eq!(s.wait_for_requests(1, T).len(), 1);
    let r = read_response(&mut c).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.status, 200);
}

#[test]
fn reset_gives_the_client_a_connection_error() {
    let s = standin();
    s.set_faults(Faults {
        reset: Some(1),
        ..Faults::default()
    });
    let mut c = connect(s.port());
    c.write_all(valid_post().as_bytes()).unwrap();
    let mut buf = [0u8; 64];
    let read = c.read(&mut buf);
    assert!(
        matches!(&read, Err(e) if e.kind() == io::ErrorKind::ConnectionReset),
        "expected RST, got {read:?}"
    );
    assert_eq!(s.requests()[0].answered_status, 0);
    assert!(s.requests()[0].violations.is_empty());
    // Only the first request: a new connection is answered.
    let mut c2 = connect(s.port());
    assert_eq!(exchange(&mut c2, &valid_post()).status, 200);

    s.set_faults(Faults {
        reset: Some(usize::MAX),
        ..Faults::default()
    });
    for _ in 0..2 {
        let mut c = connect(s.port());
        c.write_all(valid_post().as_bytes()).unwrap();
        assert!(read_response(&mut c).is_err());
    }
    assert_eq!(s.requests().len(), 4);
}

#[test]
fn non_json_body_fault() {
    let s = standin();
    s.set_faults(Faults {
        non_json_body: true,
        ..Faults::default()
    });
    let mut c = connect(s.port());
    let r = exchange(&mut c, &valid_post());
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.body, "<html>not json</html>");
}

#[test]
fn large_body_fault_pads_a_valid_answer() {
    let s = standin();
    s.set_faults(Faults {
        large_body: Some(100_000),
        ..Faults::default()
    });
    let mut c = connect(s.port());
    let r = exchange(&mut c, &valid_post());
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 100_000);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(json["padding"].is_string());
}

#[test]
fn wait_for_requests_times_out_and_clear_forgets() {
    let s = standin();
    let started = Instant::now();
    assert!(s
        .wait_for_requests(1, Duration::from_millis(100))
        .is_empty());
    assert!(started.elapsed() >= Duration::from_millis(100));
    let mut c = connect(s.port());
    exchange(&mut c, &valid_post());
    exchange(&mut c, &valid_post());
    assert_eq!(s.wait_for_requests(2, T).len(), 2);
    s.clear();
    assert!(s.requests().is_empty());
    exchange(&mut c, &valid_post());
    assert_eq!(s.requests().len(), 1);
}

#[test]
fn record_limit_keeps_the_newest() {
    let s = standin();
    s.set_record_limit(Some(1));
    let mut c = connect(s.port());
    exchange(&mut c, &valid_post());
    exchange(&mut c, &post(&event_body("x"), "Bearer test-api-key", ""));
    let recorded = s.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].answered_status, 400);
}

#[test]
fn malformed_http_gets_400_and_close() {
    let s = standin();
    let mut c = connect(s.port());
    let r = exchange(&mut c, "NONSENSE\r\n\r\n");
    assert_eq!(r.status, 400);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(s.requests().is_empty());
}

#[test]
fn concurrent_connections() {
    let s = standin();
    let port = s.port();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = connect(port);
                (0..10).all(|_| exchange(&mut c, &valid_post()).status == 200)
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap());
    }
    assert_eq!(s.requests().len(), 80);
}

#[test]
fn dropping_the_server_ends_held_answers_and_idle_connections_without_hanging() {
    let s = standin();
    let port = s.port();
    let mut idle = connect(port);
    exchange(&mut idle, &valid_post());
    s.set_faults(Faults {
        hold_answers: true,
        ..Faults::default()
    });
    let mut busy = connect(port);
    busy.write_all(valid_post().as_bytes()).unwrap();
    s.wait_for_requests(2, T);
    // The drop must return although an answer is held and never released; a hang shows as a
    // missed event here, whatever the machine's load.
    let (dropped, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(s);
        let _ = dropped.send(());
    });
    done.recv_timeout(Duration::from_secs(30))
        .expect("dropping the server returned");
    let mut buf = [0u8; 16];
    // The held request ended unanswered, and the idle keep-alive connection was shut down.
    assert!(matches!(busy.read(&mut buf), Ok(0) | Err(_)));
    assert!(matches!(idle.read(&mut buf), Ok(0) | Err(_)));
    // Nothing listens any more.
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

/// Sends a valid request on a new connection from another thread; the thread returns the
/// answer's status and whether `released` was already set when the answer arrived.
fn answered_after(
    port: u16,
    released: &std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(u16, bool)> {
    let released = std::sync::Arc::clone(released);
    std::thread::spawn(move || {
        let mut c = connect(port);
        c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let status = exchange(&mut c, &valid_post()).status;
        (status, released.load(std::sync::atomic::Ordering::SeqCst))
    })
}

#[test]
fn a_held_answer_goes_only_once_the_test_releases_it() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let s = standin();
    s.set_faults(Faults {
        hold_answers: true,
        ..Faults::default()
    });
    let released = std::sync::Arc::new(AtomicBool::new(false));
    let client = answered_after(s.port(), &released);
    assert_eq!(s.wait_for_requests(1, T).len(), 1, "recorded while held");
    released.store(true, Ordering::SeqCst);
    s.release_answers(1);
    assert_eq!(
        client.join().unwrap(),
        (200, true),
        "answered after release"
    );
    // A release given before a request arrives is kept for it.
    s.release_answers(1);
    let mut c = connect(s.port());
    assert_eq!(exchange(&mut c, &valid_post()).status, 200);
}

#[test]
fn held_answers_are_released_oldest_first() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let s = standin();
    s.set_faults(Faults {
        hold_answers: true,
        ..Faults::default()
    });
    let (first_released, second_released) = (
        std::sync::Arc::new(AtomicBool::new(false)),
        std::sync::Arc::new(AtomicBool::new(false)),
    );
    let first = answered_after(s.port(), &first_released);
    s.wait_for_requests(1, T);
    let second = answered_after(s.port(), &second_released);
    s.wait_for_requests(2, T);
    first_released.store(true, Ordering::SeqCst);
    s.release_answers(1);
    assert_eq!(first.join().unwrap(), (200, true));
    second_released.store(true, Ordering::SeqCst);
    s.release_answers(1);
    assert_eq!(
        second.join().unwrap(),
        (200, true),
        "the second waited for the second release"
    );
}

#[test]
fn a_plan_that_stops_holding_lets_every_held_answer_go() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let s = standin();
    s.set_faults(Faults {
        hold_answers: true,
        ..Faults::default()
    });
    let released = std::sync::Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|_| answered_after(s.port(), &released))
        .collect();
    assert_eq!(s.wait_for_requests(3, T).len(), 3);
    released.store(true, Ordering::SeqCst);
    s.set_faults(Faults::default());
    for client in clients {
        assert_eq!(client.join().unwrap(), (200, true));
    }
}

#[test]
fn verbose_mode_serves_normally() {
    let s = Standin::start(StandinConfig {
        verbose: true,
        ..StandinConfig::default()
    })
    .unwrap();
    let mut c = connect(s.port());
    assert_eq!(exchange(&mut c, &valid_post()).status, 200);
    assert_eq!(exchange(&mut c, &post("{}", "Bearer nope", "")).status, 401);
    s.set_faults(Faults {
        reset: Some(1),
        ..Faults::default()
    });
    c.write_all(valid_post().as_bytes()).unwrap();
    assert!(read_response(&mut c).is_err());
}

#[test]
fn listens_on_every_interface_when_asked() {
    let s = Standin::start(StandinConfig {
        listen: std::net::Ipv4Addr::UNSPECIFIED.into(),
        ..StandinConfig::default()
    })
    .unwrap();
    assert!(s.local_addr().ip().is_unspecified());
    // The URL names an address a local client can use, not 0.0.0.0.
    assert!(s
        .url()
        .starts_with(&format!("http://127.0.0.1:{}/", s.port())));
    let mut c = connect(s.port());
    assert_eq!(exchange(&mut c, &valid_post()).status, 200);
}

#[test]
fn custom_config_and_url() {
    let s = Standin::start(StandinConfig {
        api_key: "k".to_owned(),
        pixel_id: "px 1".to_owned(),
        path: "/custom".to_owned(),
        ..StandinConfig::default()
    })
    .unwrap();
    assert_eq!(
        s.url(),
        format!("http://127.0.0.1:{}/custom?pid=px+1", s.port())
    );
    let mut c = connect(s.port());
    let request = post(&valid_body(), "Bearer k", "").replacen(
        "/v1/events?pid=test-pixel",
        "/custom?pid=px%201",
        1,
    );
    let r = exchange(&mut c, &request);
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn upstream_records_everything_and_answers_ok() {
    let u = Upstream::start().unwrap();
    let mut c = connect(u.port());
    let body = "v=2&tid=G-1&en=purchase";
    let r = exchange(
        &mut c,
        &format!(
            "POST /g/collect?v=2&en=page_view HTTP/1.1\r\nHost: shop\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    let r = exchange(&mut c, "GET /anything HTTP/1.1\r\nHost: shop\r\n\r\n");
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
    let recorded = u.wait_for_requests(2, T);
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].path, "/g/collect");
    assert_eq!(recorded[0].query, "v=2&en=page_view");
    assert_eq!(recorded[0].header("host"), Some("shop"));
    assert_eq!(recorded[0].body, body.as_bytes());
    assert!(recorded[0].json.is_none());
    assert!(recorded[0].violations.is_empty());
    assert_eq!(recorded[0].answered_status, 200);
    assert_eq!(recorded[1].method, "GET");
    u.clear();
    assert!(u.requests().is_empty());
}

#[test]
fn verbose_clock_is_utc_time_of_day() {
    assert_eq!(
        server::utc_clock(86_400_000 * 3 + 3_723_004),
        "01:02:03.004"
    );
}

#[test]
fn reject_event_id_fails_only_bodies_carrying_that_event() {
    let s = standin();
    s.set_faults(Faults {
        reject_event_id: Some("ev-1".to_owned()),
        ..Faults::default()
    });
    let mut c = connect(s.port());
    let r = exchange(&mut c, &valid_post());
    assert_eq!(r.status, 400);
    assert!(r.error_message().contains("events[0].id"), "{r:?}");
    s.set_faults(Faults {
        reject_event_id: Some("other".to_owned()),
        ..Faults::default()
    });
    assert_eq!(exchange(&mut c, &valid_post()).status, 200);
    s.set_faults(Faults {
        reject_event_id: Some("ev-1".to_owned()),
        reject_status: Some(422),
        ..Faults::default()
    });
    assert_eq!(exchange(&mut c, &valid_post()).status, 422);
}
