//! BigQuery logging in real Envoy against the Google stand-in: rows for every API request and
//! response, all three credential kinds, and the guarantee that a failing BigQuery never
//! touches delivery. Secrets (the API key, tokens, the private key) and raw user data must
//! never reach an insert body or the log.

use crate::harness::{Env, Options, API_KEY};
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
    Env::start(Options {
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
    })
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
    let env = env(
        &google,
        json!({"service_account_key": {"env": "GOOGLE_KEY"}}),
        google.port(),
        "debug",
    );
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
    let s = env.stats();
    assert_eq!(
        (s["bigquery_rows_sent"], s["bigquery_rows_failed"]),
        (4, 0),
        "{s:?}"
    );
}
