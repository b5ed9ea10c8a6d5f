//! BigQuery logging in real Envoy against the Google stand-in: rows for every API request and
//! response, all three credential kinds, and the guarantee that a failing BigQuery never
//! touches delivery; bounds against hostile input (a request of invalid events, a token that
//! expires at once, a 200 that is not insertAll's answer) and reloads that wait for the rows
//! on the wire (`LdsEnv` of `lossless`). Secrets (the API key, tokens, the private key) and raw user data must
//! never reach an insert body or the log.

use crate::harness::{Build, Env, Options, API_KEY};
use crate::lossless::{hit, wait_reload_applied, LdsEnv};
use capi_standin::{
    Faults, GoogleConfig, GoogleStandin, RecordedRequest, METADATA_TOKEN_PATH, OAUTH_TOKEN_PATH,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const KEY_JSON: &str = include_str!("../fixtures/google/test-service-account.json");
const PUBLIC_KEY: &str = include_str!("../fixtures/google/test-service-account.pub.pem");
const LITERAL_TOKEN: &str = "ya29.literal-e2e-token";
const RAW_EMAIL: &str = "Jane.Doe@Example.com";

const PAGE_VIEW: &str =
    "/g/collect?v=2&cid=11.22&_p=1&_s=1&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F";

fn purchase_body(order: &str) -> String {
    json!({
        "event_name": "purchase",
        "transaction_id": order,
        "value": 12.5,
        "currency": "USD",
        "email": RAW_EMAIL,
        "page_location": "https://shop.example.com/checkout",
    })
    .to_string()
}

fn google(static_token: Option<&str>) -> GoogleStandin {
    let email = serde_json::from_str::<Value>(KEY_JSON).unwrap()["client_email"]
        .as_str()
        .unwrap()
        .to_owned();
    GoogleStandin::start(GoogleConfig {
        static_token: static_token.map(str::to_owned),
        service_account: Some((email, PUBLIC_KEY.to_owned())),
        ..GoogleConfig::default()
    })
    .unwrap()
}

/// Envoy with BigQuery logging into `capi-test.capi_logs.events` via the stand-in; `bigquery`
/// is the BigQuery cluster's port (the stand-in's unless testing an unreachable one).
fn env(google: &GoogleStandin, token: Value, bigquery: u16, console: &str) -> Env {
    Env::start(options(google, token, bigquery, console))
}

fn options(google: &GoogleStandin, token: Value, bigquery: u16, console: &str) -> Options {
    Options {
        filter: json!({
            "api": {"timeout_ms": 1000},
            "logging": {"console": console, "bigquery": {
                "project_id": "capi-test", "dataset_id": "capi_logs", "table_id": "events",
                "cluster": "bigquery", "access_token": token}},
        }),
        env: vec![("GOOGLE_KEY".into(), KEY_JSON.into())],
        clusters: vec![
            ("bigquery".into(), bigquery),
            ("gcp_metadata".into(), google.port()),
            ("google_oauth2".into(), google.port()),
        ],
        ..Options::default()
    }
}

fn inserts(google: &GoogleStandin) -> Vec<RecordedRequest> {
    google
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/insertAll"))
        .collect()
}

fn wait_rows(google: &GoogleStandin, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows: Vec<Value> = google.rows().into_iter().map(|r| r.json).collect();
        if rows.len() >= n || Instant::now() > deadline {
            return rows;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn has_row(rows: &[Value], kind: &str, event: &str) -> bool {
    rows.iter()
        .any(|r| r["type"] == kind && r["event_name"].as_str().is_some_and(|e| e.contains(event)))
}

/// Neither the API key, a token, the private key nor the raw e-mail in any insert or the log.
fn assert_no_secrets(env: &Env, google: &GoogleStandin) {
    let log = env.log();
    let key: Value = serde_json::from_str(KEY_JSON).unwrap();
    let private = key["private_key"].as_str().unwrap();
    let key_middle = private.lines().nth(5).unwrap();
    let mut secrets = vec![
        API_KEY.to_owned(),
        RAW_EMAIL.to_owned(),
        RAW_EMAIL.to_lowercase(),
        key_middle.to_owned(),
        LITERAL_TOKEN.to_owned(),
    ];
    secrets.extend(google.issued_tokens());
    for request in inserts(google) {
        let body = String::from_utf8_lossy(&request.body);
        for secret in &secrets {
            assert!(
                !body.contains(secret.as_str()),
                "insert body holds a secret {secret:?}: {body}"
            );
        }
    }
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "Envoy log holds a secret {secret:?}"
        );
    }
    assert!(
        !log.contains("PRIVATE KEY"),
        "Envoy log mentions the private key"
    );
}

#[test]
fn page_view_and_purchase_become_request_and_response_rows_with_one_metadata_token() {
    let google = google(None);
    let env = env(
        &google,
        json!({"gcp_metadata": {"cluster": "gcp_metadata"}}),
        google.port(),
        "always",
    );
    // Three rounds more than a second apart: several inserts, one token.
    for round in 0..3 {
        assert_eq!(
            env.get(PAGE_VIEW, &[("trace-id", "trace-e2e-1")]).status,
            204
        );
        let body = purchase_body(&format!("ORDER-{round}"));
        assert_eq!(
            env.post(
                "/data",
                &[("content-type", "application/json")],
                body.as_bytes()
            )
            .status,
            204
        );
        assert!(wait_rows(&google, (round + 1) * 4).len() >= (round + 1) * 4);
        std::thread::sleep(Duration::from_millis(1100));
    }
    let rows = wait_rows(&google, 12);
    for (kind, event) in [
        ("Request", "page_viewed"),
        ("Response", "page_viewed"),
        ("Request", "order_created"),
        ("Response", "order_created"),
    ] {
        assert!(
            has_row(&rows, kind, event),
            "no {kind} row for {event}: {rows:#?}"
        );
    }
    let request = rows.iter().find(|r| r["type"] == "Request").unwrap();
    assert_eq!(request["tag_name"], "OpenAIEventsAPITag");
    assert_eq!(request["message"], "Pixel ID: e2e-pixel");
    assert_eq!(request["request_method"], "POST");
    assert!(request["request_url"]
        .as_str()
        .unwrap()
        .contains("pid=e2e-pixel"));
    let body: Value = serde_json::from_str(request["request_body"].as_str().unwrap()).unwrap();
    assert!(
        body["events"].is_array(),
        "request_body is the stringified API body"
    );
    assert!(rows.iter().any(|r| r["trace_id"] == "trace-e2e-1"));
    let response = rows.iter().find(|r| r["type"] == "Response").unwrap();
    assert_eq!(response["response_status_code"], 200);
    assert!(response["timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    // The API's answer headers, as JSON text: the stand-in answers JSON.
    let headers: Value = serde_json::from_str(
        response["response_headers"]
            .as_str()
            .expect("response_headers"),
    )
    .expect("response_headers is JSON text");
    assert!(
        headers["content-type"]
            .as_str()
            .is_some_and(|v| v.starts_with("application/json")),
        "{headers}"
    );
    assert!(headers.get(":status").is_none());
    // The purchase row carries the hashed e-mail, never the raw one.
    let purchase = rows
        .iter()
        .find(|r| r["type"] == "Request" && r["event_name"] == "order_created")
        .unwrap();
    assert!(purchase["request_body"]
        .as_str()
        .unwrap()
        .contains("emails_sha256"));

    let metadata_fetches = google
        .requests()
        .iter()
        .filter(|r| r.path == METADATA_TOKEN_PATH)
        .count();
    assert_eq!(metadata_fetches, 1, "one token fetch serves every insert");
    let inserts = inserts(&google);
    assert!(inserts.len() >= 3, "{} inserts", inserts.len());
    let token = &google.issued_tokens()[0];
    for insert in &inserts {
        assert_eq!(insert.answered_status, 200, "{:?}", insert.violations);
        assert_eq!(
            insert.header("authorization"),
            Some(format!("Bearer {token}").as_str())
        );
    }
    let ids: std::collections::HashSet<String> = inserts
        .iter()
        .flat_map(|i| i.json.as_ref().unwrap()["rows"].as_array().unwrap().clone())
        .map(|r| r["insertId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), rows.len(), "one unique insertId per row");
    assert_eq!(
        env.wait_stat(
            "bigquery_rows_sent",
            rows.len() as u64,
            Duration::from_secs(5)
        ),
        rows.len() as u64
    );
    let s = env.stats();
    assert_eq!(
        (
            s["events_sent"],
            s["bigquery_rows_failed"],
            s["bigquery_token_errors"]
        ),
        (6, 0, 0),
        "{s:?}"
    );
    assert_no_secrets(&env, &google);
    env.assert_no_crash();
}

#[test]
fn a_service_account_key_is_exchanged_with_a_verified_jwt() {
    let google = google(None);
    let env = Env::start(Options {
        build: Build::ServiceAccount,
        ..options(
            &google,
            json!({"service_account_key": {"env": "GOOGLE_KEY"}}),
            google.port(),
            "debug",
        )
    });
    assert_eq!(env.get(PAGE_VIEW, &[]).status, 204);
    let body = purchase_body("ORDER-SA");
    assert_eq!(
        env.post(
            "/data",
            &[("content-type", "application/json")],
            body.as_bytes()
        )
        .status,
        204
    );
    let rows = wait_rows(&google, 4);
    assert!(
        has_row(&rows, "Request", "page_viewed") && has_row(&rows, "Response", "order_created"),
        "{rows:#?}"
    );
    let grants: Vec<RecordedRequest> = google
        .requests()
        .into_iter()
        .filter(|r| r.path == OAUTH_TOKEN_PATH)
        .collect();
    assert_eq!(grants.len(), 1);
    assert_eq!(
        grants[0].answered_status, 200,
        "JWT refused: {:?}",
        grants[0].violations
    );
    assert_eq!(grants[0].header("host"), Some("oauth2.googleapis.com"));
    let token = google.issued_tokens().pop().unwrap();
    assert!(token.starts_with("ya29.sa-"));
    assert!(inserts(&google)
        .iter()
        .all(|i| i.header("authorization") == Some(format!("Bearer {token}").as_str())));
    assert_no_secrets(&env, &google);
    env.assert_no_crash();
}

#[test]
fn a_literal_token_is_sent_as_is_even_with_console_logging_off() {
    let google = google(Some(LITERAL_TOKEN));
    let env = env(&google, json!(LITERAL_TOKEN), google.port(), "off");
    assert_eq!(env.get(PAGE_VIEW, &[]).status, 204);
    let rows = wait_rows(&google, 2);
    assert!(
        has_row(&rows, "Request", "page_viewed") && has_row(&rows, "Response", "page_viewed"),
        "{rows:#?}"
    );
    assert!(
        google
            .requests()
            .iter()
            .all(|r| r.path.ends_with("/insertAll")),
        "no token fetch for a literal token"
    );
    assert_no_secrets(&env, &google);
}

/// Sends `n` held-mode hits (hit counters from `first`, so each event id differs), each
/// answered normally.
fn held_hits(env: &Env, first: usize, n: usize) {
    for i in first..first + n {
        let hit = PAGE_VIEW.replace("_s=1", &format!("_s={}", i + 10));
        assert_eq!(env.get(&hit, &[]).status, 204);
    }
}

#[test]
fn bigquery_answering_503_leaves_delivery_untouched_and_counts_failed_rows() {
    let google = google(Some(LITERAL_TOKEN));
    google.set_faults(Faults {
        status: Some(503),
        ..Faults::default()
    });
    let env = env(&google, json!(LITERAL_TOKEN), google.port(), "off");
    held_hits(&env, 0, 5);
    assert_eq!(env.wait_stat("events_sent", 5, Duration::from_secs(5)), 5);
    assert_eq!(
        env.api.requests().len(),
        5,
        "every hit delivered once, no retries"
    );
    // 10 rows (request + response per hit), three attempts each batch, then counted.
    assert_eq!(
        env.wait_stat("bigquery_rows_failed", 10, Duration::from_secs(15)),
        10
    );
    let attempts = inserts(&google);
    assert!(attempts.len() >= 3, "retried: {} attempts", attempts.len());
    let s = env.stats();
    assert_eq!(
        (s["bigquery_rows_sent"], s["events_failed"]),
        (0, 0),
        "{s:?}"
    );
    env.assert_no_crash();
}

#[test]
fn bigquery_unreachable_leaves_delivery_untouched_and_counts_failed_rows() {
    let google = google(Some(LITERAL_TOKEN));
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = env(&google, json!(LITERAL_TOKEN), closed, "off");
    held_hits(&env, 0, 5);
    assert_eq!(env.wait_stat("events_sent", 5, Duration::from_secs(5)), 5);
    assert_eq!(
        env.wait_stat("bigquery_rows_failed", 10, Duration::from_secs(15)),
        10
    );
    assert_eq!(env.stat("events_failed"), 0);
    env.assert_no_crash();
}

#[test]
fn a_row_refused_in_insert_errors_is_counted_as_failed() {
    let google = google(Some(LITERAL_TOKEN));
    google.reject_rows_containing(Some("\"Request\"".into()));
    let env = env(&google, json!(LITERAL_TOKEN), google.port(), "off");
    assert_eq!(env.get(PAGE_VIEW, &[]).status, 204);
    assert_eq!(
        env.wait_stat("bigquery_rows_failed", 1, Duration::from_secs(5)),
        1
    );
    assert_eq!(
        env.wait_stat("bigquery_rows_sent", 1, Duration::from_secs(5)),
        1
    );
    let rows = wait_rows(&google, 1);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["type"], "Response");
    let answer = inserts(&google)[0].answered_status;
    assert_eq!(answer, 200);
    assert!(env.log().contains("insertErrors"), "the refusal is logged");
}

#[test]
fn held_hits_are_answered_while_bigquery_has_not_answered_an_insert() {
    let google = google(Some(LITERAL_TOKEN));
    // BigQuery answers nothing until the hits below are done.
    google.set_faults(Faults {
        hold_answers: true,
        ..Faults::default()
    });
    let env = env(&google, json!(LITERAL_TOKEN), google.port(), "off");
    held_hits(&env, 0, 2);
    // The rows of the first hits are on the wire, unanswered, while the later hits are held
    // and answered.
    assert_eq!(
        google.wait_for_requests(1, Duration::from_secs(10)).len(),
        1
    );
    held_hits(&env, 2, 4);
    assert_eq!(env.wait_stat("events_sent", 6, Duration::from_secs(5)), 6);
    google.release_answers(usize::MAX);
    // The held inserts do land: 12 rows, each stored once.
    assert_eq!(
        env.wait_stat("bigquery_rows_sent", 12, Duration::from_secs(15)),
        12
    );
    assert_eq!(google.rows().len(), 12);
    env.assert_no_crash();
}

#[test]
fn a_revoked_metadata_token_is_refreshed_once_and_the_rows_still_land() {
    let google = google(None);
    let env = env(
        &google,
        json!({"gcp_metadata": {"cluster": "gcp_metadata"}}),
        google.port(),
        "off",
    );
    assert_eq!(env.get(PAGE_VIEW, &[]).status, 204);
    assert_eq!(wait_rows(&google, 2).len(), 2);
    google.revoke_tokens();
    let hit = PAGE_VIEW.replace("_s=1", "_s=2");
    assert_eq!(env.get(&hit, &[]).status, 204);
    assert_eq!(
        wait_rows(&google, 4).len(),
        4,
        "rows sent again with a new token"
    );
    let statuses: Vec<u16> = inserts(&google).iter().map(|i| i.answered_status).collect();
    assert_eq!(statuses, [200, 401, 200]);
    let fetches = google
        .requests()
        .iter()
        .filter(|r| r.path == METADATA_TOKEN_PATH)
        .count();
    assert_eq!(fetches, 2, "one fetch at start, one after the 401");
    // The stand-in holds the rows once it has read the insert; the filter counts them when the
    // answer reaches it, a moment later on a loaded machine.
    assert_eq!(
        env.wait_stat("bigquery_rows_sent", 4, Duration::from_secs(5)),
        4
    );
    let s = env.stats();
    assert_eq!(
        (s["bigquery_rows_sent"], s["bigquery_rows_failed"]),
        (4, 0),
        "{s:?}"
    );
}

/// Waits until the counter has not moved for 1.5 s (and is above zero, or `timeout` passed),
/// for outcomes whose final count the test does not know in advance.
fn settled_stat(env: &Env, name: &str, timeout: Duration) -> u64 {
    let deadline = Instant::now() + timeout;
    let mut last = env.stat(name);
    let mut since = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = env.stat(name);
        if now != last {
            (last, since) = (now, Instant::now());
        } else if (last > 0 && since.elapsed() >= Duration::from_millis(1500))
            || Instant::now() > deadline
        {
            return last;
        }
    }
}

#[test]
fn one_request_of_invalid_events_writes_a_few_bounded_rows() {
    // The scenario: one ~29 KB request of 500 invalid events with an 8 KiB trace id.
    let google = google(Some(LITERAL_TOKEN));
    let env = Env::start(Options {
        filter: json!({
            "collect": {"max_events_per_request": 1000},
            "logging": {"console": "off", "bigquery": {
                "project_id": "capi-test", "dataset_id": "capi_logs", "table_id": "events",
                "cluster": "bigquery", "access_token": LITERAL_TOKEN}},
        }),
        clusters: vec![("bigquery".into(), google.port())],
        ..Options::default()
    });
    let body: String = (0..500)
        .map(|i| format!("en=not%20a%20valid%20name%20{i:04}&ep.note=padding-pad&_et=1\n"))
        .collect();
    let trace = "t".repeat(8192);
    assert!(body.len() > 28_000, "{}", body.len());
    let r = env.post(
        "/g/collect?v=2&cid=1.2&_p=9&dl=https%3A%2F%2Fshop.example.com%2F",
        &[("trace-id", trace.as_str())],
        body.as_bytes(),
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        env.wait_stat("events_invalid", 500, Duration::from_secs(5)),
        500
    );
    let sent = settled_stat(&env, "bigquery_rows_sent", Duration::from_secs(20));
    let rows: Vec<Value> = google.rows().into_iter().map(|r| r.json).collect();
    let insert_bytes: usize = inserts(&google).iter().map(|i| i.body.len()).sum();
    eprintln!(
        "one {}-byte request of 500 invalid events, 8 KiB trace id: {} rows, {insert_bytes} insert bytes",
        body.len(),
        rows.len()
    );
    assert_eq!(sent as usize, rows.len());
    assert_eq!(rows.len(), 6, "5 invalid-event rows and one summary row");
    for row in &rows {
        let trace_id = row["trace_id"].as_str().unwrap();
        assert!(
            trace_id.len() <= 256,
            "trace id of {} bytes",
            trace_id.len()
        );
    }
    let summary = &rows[5];
    assert_eq!(
        summary["message"],
        "🛑 [ERROR] 495 more event(s) not sent: invalid"
    );
    assert!(
        summary["reason"]
            .as_str()
            .unwrap()
            .contains("invalid_event_name: 495"),
        "{summary}"
    );
    assert!(insert_bytes < 16 * 1024, "{insert_bytes} insert bytes");
    env.assert_no_crash();
}

#[test]
fn a_token_that_expires_at_once_is_an_error_retried_with_backoff() {
    let email = serde_json::from_str::<Value>(KEY_JSON).unwrap()["client_email"]
        .as_str()
        .unwrap()
        .to_owned();
    let google = GoogleStandin::start(GoogleConfig {
        service_account: Some((email, PUBLIC_KEY.to_owned())),
        token_lifetime_s: 0,
        ..GoogleConfig::default()
    })
    .unwrap();
    let env = env(
        &google,
        json!({"gcp_metadata": {"cluster": "gcp_metadata"}}),
        google.port(),
        "off",
    );
    assert_eq!(env.get(PAGE_VIEW, &[]).status, 204);
    let fetches = || {
        google
            .requests()
            .iter()
            .filter(|r| r.path == METADATA_TOKEN_PATH)
            .count()
    };
    // A second fetch proves the retry; the backoff (1 s, 2 s, 4 s, …) bounds how many follow
    // in the next few seconds.
    let deadline = Instant::now() + Duration::from_secs(15);
    while fetches() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(3));
    let fetches = fetches();
    // The answer to the latest fetch may still be on its way to the filter.
    let errors = env.wait_stat(
        "bigquery_token_errors",
        fetches as u64,
        Duration::from_secs(10),
    );
    eprintln!("token expiring at once: {fetches} metadata fetches, {errors} token errors");
    assert!((2..=6).contains(&fetches), "{fetches} metadata fetches");
    assert!(
        errors as usize >= fetches,
        "every fetch counted as an error"
    );
    assert!(
        env.log().contains("lifetime"),
        "the short lifetime is named in the log"
    );
    assert_eq!(env.stat("bigquery_rows_sent"), 0);
    assert_no_secrets(&env, &google);
}

#[test]
fn a_200_that_is_not_json_does_not_count_its_rows_as_sent() {
    let google = google(Some(LITERAL_TOKEN));
    google.set_faults(Faults {
        non_json_body: true,
        ..Faults::default()
    });
    let env = env(&google, json!(LITERAL_TOKEN), google.port(), "off");
    assert_eq!(env.get(PAGE_VIEW, &[]).status, 204);
    // Two rows (request, response), three attempts, then counted as failed.
    env.wait_stat("bigquery_rows_failed", 2, Duration::from_secs(15));
    let s = (
        env.stat("bigquery_rows_sent"),
        env.stat("bigquery_rows_failed"),
    );
    eprintln!("insert answered 200 <html>: (sent, failed) = {s:?}");
    assert_eq!(s, (0, 2));
    assert_eq!(inserts(&google).len(), 3, "retried like a failed attempt");
    assert!(
        env.log()
            .lines()
            .any(|l| l.contains("[warning]") && l.contains("not JSON")),
        "the unreadable answer is logged at warn"
    );
}

/// Filter configuration for the reload tests: BigQuery with the literal token, held delivery.
fn reload_filter(timeout_ms: u64) -> Value {
    json!({
        "api": {"timeout_ms": timeout_ms},
        "logging": {"console": "off", "bigquery": {
            "project_id": "capi-test", "dataset_id": "capi_logs", "table_id": "events",
            "cluster": "bigquery", "access_token": LITERAL_TOKEN}},
    })
}

/// Sends 20 hits (40 rows), waits until their first insert is on the wire, then reloads the
/// configuration and waits until the old listener has drained (the old root got `on_done`).
fn reload_with_inserts_in_flight(env: &LdsEnv, google: &GoogleStandin) {
    for i in 0..20 {
        assert_eq!(env.get(&hit("bq-reload", i)).status, 204);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while inserts(google).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!inserts(google).is_empty(), "no insert left: {}", env.log());
    env.write_listener(&reload_filter(1500));
    wait_reload_applied(env);
}

#[test]
fn rows_in_flight_at_a_reload_are_waited_for_and_counted() {
    let google = google(Some(LITERAL_TOKEN));
    // Slow enough that the reload happens while the insert is on the wire, within its 10 s
    // timeout.
    google.set_faults(Faults {
        delay_ms: 8000,
        ..Faults::default()
    });
    let env = LdsEnv::start_with_clusters(&reload_filter(1000), 1, &[("bigquery", google.port())]);
    reload_with_inserts_in_flight(&env, &google);
    env.wait_stat("bigquery_rows_sent", 40);
    let s = (
        env.stat("bigquery_rows_sent"),
        env.stat("bigquery_rows_lost_on_shutdown"),
    );
    eprintln!("reload with 40 rows pending: (sent, lost on shutdown) = {s:?}");
    assert_eq!(s, (40, 0), "{}", env.log());
    assert_eq!(google.rows().len(), 40);
    let log = env.log();
    let complete = log.find("shutdown flush complete").expect("done reached");
    assert!(
        !log[complete..].contains("BigQuery logging"),
        "nothing about BigQuery after done: {log}"
    );
}

#[test]
fn rows_that_fail_during_a_reload_count_as_lost_on_shutdown_with_one_warn_line() {
    let google = google(Some(LITERAL_TOKEN));
    google.set_faults(Faults {
        status: Some(503),
        delay_ms: 8000,
        ..Faults::default()
    });
    let env = LdsEnv::start_with_clusters(&reload_filter(1000), 1, &[("bigquery", google.port())]);
    reload_with_inserts_in_flight(&env, &google);
    env.wait_stat("bigquery_rows_lost_on_shutdown", 40);
    let s = (
        env.stat("bigquery_rows_lost_on_shutdown"),
        env.stat("bigquery_rows_failed"),
        env.stat("bigquery_rows_sent"),
    );
    eprintln!("reload with 40 rows pending, BigQuery answering 503: (lost on shutdown, failed, sent) = {s:?}");
    assert_eq!(s, (40, 40, 0), "{}", env.log());
    let ids: Vec<String> = inserts(&google)
        .iter()
        .flat_map(|i| i.json.as_ref().unwrap()["rows"].as_array().unwrap().clone())
        .map(|r| r["insertId"].as_str().unwrap().to_owned())
        .collect();
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(
        (ids.len(), distinct.len()),
        (40, 40),
        "each row sent once: no retry during shutdown"
    );
    let log = env.log();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("[warning]") && l.contains("BigQuery logging") && l.contains("lost"))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    eprintln!("{}", lines[0]);
    assert!(
        lines[0].contains("40 rows") && lines[0].contains("HTTP 503"),
        "{}",
        lines[0]
    );
    assert!(
        log.contains("shutdown flush complete"),
        "done reached: {log}"
    );
}
