//! Watching the filter: labelled Prometheus series, the metric prefix, the per-request summary
//! in the access log, the trace id and scheme in logs, the run-time log level, and the
//! configuration written as native YAML (a protobuf Struct).

use crate::harness::{ConfigForm, Env, Options};
use serde_json::json;
use std::time::{Duration, Instant};

const GOOD: &str = "/g/collect?v=2&cid=1.2&_p=5&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F";
/// An inherited event name that breaks the custom-name rule: invalid, reason event_name.
const BAD_NAME: &str =
    "/g/collect?v=2&cid=1.2&_p=6&en=gtm.dom&dl=https%3A%2F%2Fshop.example.com%2F";

fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<String>) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn reasons_and_status_classes_are_prometheus_labels() {
    let env = Env::start(Options {
        filter: json!({"consent": {"mode": "required"}}),
        ..Options::default()
    });
    env.get(&format!("{GOOD}&gcs=G111"), &[]);
    env.get(&format!("{BAD_NAME}&gcs=G111"), &[]);
    env.get(&format!("{GOOD}&gcs=G100"), &[]);
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);
    let stats = env.stats();
    assert_eq!(
        stats.get("events_invalid.reason.event_name"),
        Some(&1),
        "{stats:?}"
    );
    assert_eq!(
        stats.get("events_skipped.reason.consent_denied"),
        Some(&1),
        "{stats:?}"
    );
    let text = env.prometheus();
    for needle in [
        "openai_capi_events_invalid{reason=\"event_name\"} 1",
        "openai_capi_events_skipped{reason=\"consent_denied\"} 1",
        "openai_capi_events_skipped{reason=\"consent_missing\"} 0",
        "openai_capi_events_skipped{reason=\"excluded\"} 0",
        "openai_capi_api_responses{status_class=\"2xx\"} 1",
        "openai_capi_api_responses{status_class=\"4xx\"} 0",
        "# TYPE openai_capi_events_invalid counter",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    // The README's grep shows only the filter's series: none of Envoy's own stats (cluster
    // `openai_capi`, listener `ingress`) start with the prefix.
    let ours: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("openai_capi_"))
        .collect();
    assert!(ours.len() > 20, "{ours:?}");
    assert!(text.contains("envoy_cluster_upstream_rq_total{envoy_cluster_name=\"openai_capi\"}"));
    env.assert_no_crash();
}

#[test]
fn metric_prefix_keeps_two_plugin_instances_apart() {
    let env = Env::start(Options {
        filter: json!({"metric_prefix": "shop_b"}),
        ..Options::default()
    });
    env.get(GOOD, &[]);
    let text = wait_until("shop_b_events_sent", Duration::from_secs(5), || {
        let t = env.prometheus();
        t.contains("shop_b_events_sent{} 1").then_some(t)
    });
    assert!(
        !text.lines().any(|l| l.starts_with("openai_capi_")),
        "nothing under the default prefix:\n{text}"
    );
}

#[test]
fn the_access_log_shows_the_request_summary_and_the_trace_id_is_x_request_id() {
    let env = Env::start(Options {
        filter: json!({"logging": {"console": "always"}}),
        ..Options::default()
    });
    env.get(GOOD, &[("x-request-id", "rid-e2e-1")]);
    env.get(BAD_NAME, &[]);
    env.get("/other/page", &[]);
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);
    let log = wait_until("three access log lines", Duration::from_secs(15), || {
        let log = env.access_log();
        (log.lines().count() >= 3).then_some(log)
    });
    let lines: Vec<&str> = log.lines().collect();
    assert!(
        lines[0].starts_with("/g/collect?")
            && lines[0].ends_with("summary=received=1 sent=1 skipped=0 invalid=0"),
        "{log}"
    );
    assert!(
        lines[1].ends_with("summary=received=1 sent=0 skipped=0 invalid=1"),
        "{log}"
    );
    assert!(
        lines[2].starts_with("/other/page") && lines[2].ends_with("summary=-"),
        "{log}"
    );
    // With no trace-id header the console records carry Envoy's request id.
    let rid = lines[1]
        .split(' ')
        .find_map(|f| f.strip_prefix("rid="))
        .unwrap();
    assert!(!rid.is_empty() && rid != "-", "{log}");
    let envoy_log = env.log();
    let record = envoy_log
        .lines()
        .find(|l| l.contains(&format!("\"TraceId\":\"{rid}\"")))
        .unwrap_or_else(|| panic!("no record carries x-request-id {rid}:\n{envoy_log}"));
    // The collection request's URL with the scheme the client used (plain HTTP here).
    assert!(
        record.contains("\"Type\":\"Message\"")
            && record.contains("\"Name\":\"OpenAIEventsAPITag\"")
            && record.contains("\"Message\":\"🛑 [ERROR] Request was not sent.\"")
            && record.contains("\"RequestUrl\":\"http://")
            && record.contains("/g/collect\""),
        "{record}"
    );
}

#[test]
fn logs_show_the_scheme_the_client_used() {
    let env = Env::start(Options::default());
    env.get(GOOD, &[("Host", "shop.example.com")]);
    env.get(
        GOOD,
        &[("Host", "tls.example.com"), ("x-forwarded-proto", "https")],
    );
    env.wait_stat("events_sent", 2, Duration::from_secs(5));
    let log = env.log();
    assert!(
        log.contains("collection request http://shop.example.com/g/collect"),
        "{log}"
    );
    assert!(
        log.contains("collection request https://tls.example.com/g/collect"),
        "{log}"
    );
}

#[test]
fn the_log_level_follows_envoy_at_run_time() {
    let env = Env::start(Options {
        wasm_log_level: "info",
        ..Options::default()
    });
    env.get(GOOD, &[("Host", "before.example.com")]);
    env.wait_stat("events_sent", 1, Duration::from_secs(5));
    assert!(!env.log().contains("collection request"), "{}", env.log());
    let r = env.admin("POST", "/logging?wasm=debug");
    assert_eq!(r.status, 200);
    env.get(GOOD, &[("Host", "after.example.com")]);
    env.wait_stat("events_sent", 2, Duration::from_secs(5));
    let log = env.log();
    assert!(
        log.contains("collection request http://after.example.com/g/collect"),
        "debug on without a restart:\n{log}"
    );
    assert!(!log.contains("before.example.com"), "{log}");
}

#[test]
fn a_native_yaml_struct_configuration_works_like_the_json_string() {
    let env = Env::start(Options {
        config_form: ConfigForm::Struct,
        filter: json!({"collect": {"max_events_per_request": 5}, "consent": {"mode": "optional"}}),
        ..Options::default()
    });
    env.get(GOOD, &[]);
    let calls = env.api.wait_for_requests(1, Duration::from_secs(5));
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].answered_status, 200);
    assert_eq!(env.stat("events_sent"), 1);
    env.assert_no_crash();
}

#[test]
fn a_bad_struct_configuration_is_refused_naming_the_field() {
    let log = Env::start_refused(Options {
        config_form: ConfigForm::Struct,
        filter: json!({"pixel_id": "p", "api_key": "k", "collect": {"max_body_bytes": "big"}}),
        ..Options::default()
    });
    assert!(
        log.contains("invalid configuration: collect.max_body_bytes: invalid type"),
        "{log}"
    );
}
