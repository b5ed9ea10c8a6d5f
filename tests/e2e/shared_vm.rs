//! Two plugin instances in one VM. Envoy shares a VM between plugins whose `vm_config` is the
//! same (two listeners, two pixels), so everything the filter keeps per plugin (timers, queues,
//! the BigQuery log sink and its table, metric ids) must belong to that plugin's root context,
//! never to the VM. Here plugin A logs to BigQuery and plugin B does not; each must deliver its
//! own events, and only A's records may become rows.

use crate::harness::{Env, Options};
use capi_standin::{GoogleConfig, GoogleStandin};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const TOKEN: &str = "ya29.shared-vm-token";
const WAIT: Duration = Duration::from_secs(10);

fn hit(site: &str, s: usize) -> String {
    format!(
        "/g/collect?v=2&cid=1.2&_p=77&_s={s}&en=page_view&dl=https%3A%2F%2F{site}.example.com%2F"
    )
}

/// Envoy with plugin A (default metric prefix, BigQuery on) on the main listener and plugin B
/// (prefix `shop_b`, no BigQuery) on the second, both `optimistic` as given.
fn two_plugins(google: &GoogleStandin, optimistic: bool) -> Env {
    let api = json!({"timeout_ms": 1000, "batch": {"max_delay_ms": 50}});
    Env::start(Options {
        filter: json!({
            "optimistic": optimistic,
            "api": api,
            "logging": {"console": "off", "bigquery": {
                "project_id": "capi-test", "dataset_id": "capi_logs", "table_id": "events",
                "cluster": "bigquery", "access_token": TOKEN}},
        }),
        second_plugin: Some(json!({
            "optimistic": optimistic,
            "api": api,
            "metric_prefix": "shop_b",
        })),
        clusters: vec![("bigquery".into(), google.port())],
        ..Options::default()
    })
}

/// The `source_url`s of every event the API received.
fn delivered_sites(env: &Env) -> Vec<String> {
    env.api
        .requests()
        .iter()
        .flat_map(|r| r.events())
        .filter_map(|e| e["source_url"].as_str().map(str::to_owned))
        .collect()
}

fn wait_for_site(env: &Env, site: &str) -> bool {
    let url = format!("https://{site}.example.com/");
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if delivered_sites(env).contains(&url) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn rows(google: &GoogleStandin) -> Vec<Value> {
    google.rows().into_iter().map(|r| r.json).collect()
}

fn each_plugin_delivers_its_own_events_and_rows(optimistic: bool) {
    let google = GoogleStandin::start(GoogleConfig {
        static_token: Some(TOKEN.to_owned()),
        ..GoogleConfig::default()
    })
    .unwrap();
    let env = two_plugins(&google, optimistic);
    // B first: its records must not reach A's BigQuery sink, nor arm A's timer for it.
    assert_eq!(env.get_second(&hit("b", 1), &[]).status, 204);
    assert!(wait_for_site(&env, "b"), "plugin B delivers its event");
    assert_eq!(env.get(&hit("a", 2), &[]).status, 204);
    assert!(
        wait_for_site(&env, "a"),
        "plugin A delivers its event after B logged: {:?}\n{}",
        delivered_sites(&env),
        env.log()
    );
    // B again, then A again: both keep working.
    env.get_second(&hit("b", 3), &[]);
    env.get(&hit("a", 4), &[]);
    let deadline = Instant::now() + WAIT;
    while delivered_sites(&env).len() < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        delivered_sites(&env).len(),
        4,
        "{:?}",
        delivered_sites(&env)
    );
    assert_eq!(env.wait_stat("events_sent", 2, WAIT), 2, "A's own counter");
    let deadline = Instant::now() + WAIT;
    let b_sent = loop {
        let sent = env
            .stats_of("shop_b")
            .get("events_sent")
            .copied()
            .unwrap_or(0);
        if sent >= 2 || Instant::now() > deadline {
            break sent;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(b_sent, 2, "B's own counter");
    // A's requests and responses become rows; none of B's do.
    let deadline = Instant::now() + WAIT;
    while rows(&google).len() < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let rows = rows(&google);
    let text = serde_json::to_string(&rows).unwrap();
    assert!(text.contains("a.example.com"), "A's rows: {text}");
    assert!(
        !text.contains("b.example.com"),
        "plugin B has no BigQuery logging, yet its records became rows: {text}"
    );
    env.assert_no_crash();
}

#[test]
fn two_optimistic_plugins_in_one_vm_each_deliver_their_own_events_and_rows() {
    each_plugin_delivers_its_own_events_and_rows(true);
}

#[test]
fn two_held_plugins_in_one_vm_each_deliver_their_own_events_and_rows() {
    each_plugin_delivers_its_own_events_and_rows(false);
}
