//! `monitoring/` stays true to what the filter exports: the Grafana dashboard parses, every
//! panel has queries, and every `openai_capi_*` name and label in the dashboard and the alert
//! rules is one the filter defines (`observe::metrics`). promtool checks the rules' syntax and
//! behaviour separately (`make monitoring`).

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use openai_capi_filter::observe::metrics::{
    Counter, Gauge, Histogram, DEFAULT_PREFIX, TAG_REGEXES,
};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

fn monitoring(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("monitoring")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every Prometheus series name the filter exports under the default prefix.
fn exported_names() -> HashSet<String> {
    let mut names = HashSet::new();
    let mut add = |family: &str| names.insert(format!("{DEFAULT_PREFIX}_{family}"));
    Counter::ALL.iter().for_each(|c| {
        add(c.family());
    });
    Gauge::ALL.iter().for_each(|g| {
        add(g.family());
    });
    for h in Histogram::ALL {
        for suffix in ["_bucket", "_sum", "_count"] {
            add(&format!("{}{suffix}", h.family()));
        }
    }
    names
}

/// (family, label key, label value) of every labelled series.
fn exported_labels() -> HashSet<(String, String, String)> {
    Counter::ALL
        .iter()
        .filter_map(|c| {
            let (key, value) = c.label()?;
            Some((
                format!("{DEFAULT_PREFIX}_{}", c.family()),
                key.to_owned(),
                value.to_owned(),
            ))
        })
        .collect()
}

/// The `openai_capi_*` names in a query, with the `key="value"` matchers of their selector.
fn references(query: &str) -> Vec<(String, Vec<(String, String)>)> {
    let prefix = format!("{DEFAULT_PREFIX}_");
    let mut out = Vec::new();
    let mut rest = query;
    while let Some(start) = rest.find(&prefix) {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let name = tail[..end].to_owned();
        let mut matchers = Vec::new();
        if let Some(selector) = tail[end..].strip_prefix('{') {
            let body = &selector[..selector.find('}').unwrap()];
            for m in body.split(',').filter(|m| !m.trim().is_empty()) {
                let (k, v) = m.split_once('=').unwrap();
                matchers.push((k.trim().to_owned(), v.trim().trim_matches('"').to_owned()));
            }
        }
        out.push((name, matchers));
        rest = &tail[end..];
    }
    out
}

/// The labels of each `by (…)` clause, with the expression it aggregates (the parenthesised
/// group after it; empty in the postfix form `sum(…) by (…)`).
fn groupings(query: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = query;
    while let Some(at) = rest.find("by (") {
        let after = &rest[at + "by (".len()..];
        let close = after.find(')').unwrap();
        let tail = after[close + 1..].trim_start();
        let mut inner = "";
        if tail.starts_with('(') {
            let mut depth = 0;
            for (i, c) in tail.char_indices() {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                if depth == 0 {
                    inner = &tail[1..i];
                    break;
                }
            }
        }
        for label in after[..close].split(',').filter(|l| !l.trim().is_empty()) {
            out.push((label.trim().to_owned(), inner.to_owned()));
        }
        rest = &after[close + 1..];
    }
    out
}

fn check_query(where_: &str, query: &str) -> usize {
    let names = exported_names();
    let labels = exported_labels();
    let label_keys: HashSet<&str> = TAG_REGEXES.iter().map(|(k, _)| *k).collect();
    let refs = references(query);
    for (name, matchers) in &refs {
        assert!(
            names.contains(name),
            "{where_}: {name} is not exported by the filter"
        );
        for (key, value) in matchers {
            if key == "instance" || key == "le" {
                continue;
            }
            assert!(
                label_keys.contains(key.as_str()),
                "{where_}: label {key} is never set"
            );
            let family = name.trim_end_matches("_bucket");
            assert!(
                labels.contains(&(family.to_owned(), key.clone(), value.clone())),
                "{where_}: {name}{{{key}=\"{value}\"}} is not a series the filter exports"
            );
        }
    }
    for (key, inner) in groupings(query) {
        if key == "instance" || key == "le" {
            continue;
        }
        assert!(
            label_keys.contains(key.as_str()),
            "{where_}: grouped by {key}, a label never set"
        );
        for (name, _) in references(&inner) {
            assert!(
                labels.iter().any(|(f, k, _)| *f == name && *k == key),
                "{where_}: {name} has no {key} label to group by"
            );
        }
    }
    refs.len()
}

#[test]
fn the_dashboard_queries_only_series_the_filter_exports() {
    let dashboard: Value = serde_json::from_str(&monitoring("grafana-dashboard.json")).unwrap();
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    assert!(
        variables
            .iter()
            .any(|v| v["name"] == "prefix" && v["query"] == DEFAULT_PREFIX),
        "the prefix variable defaults to the default metric_prefix"
    );
    let panels = dashboard["panels"].as_array().unwrap();
    let mut used = BTreeSet::new();
    let mut ids = HashSet::new();
    for panel in panels {
        let title = panel["title"].as_str().unwrap();
        assert!(
            ids.insert(panel["id"].as_u64().unwrap()),
            "duplicate id: {title}"
        );
        assert!(
            panel["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{title}: describe the panel"
        );
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{title}: no query");
        for target in targets {
            // The dashboard's `prefix` variable stands for metric_prefix.
            let expr = target["expr"]
                .as_str()
                .unwrap()
                .replace("${prefix}", DEFAULT_PREFIX);
            let expr = expr.as_str();
            assert!(
                check_query(title, expr) > 0,
                "{title}: {expr} uses no filter series"
            );
            for (name, _) in references(expr) {
                used.insert(
                    name.trim_end_matches("_bucket")
                        .trim_end_matches("_sum")
                        .trim_end_matches("_count")
                        .to_owned(),
                );
            }
        }
    }
    // What the dashboard promises to show.
    for family in [
        "events_received",
        "events_sent",
        "events_sent_match_keys",
        "events_invalid",
        "events_skipped",
        "api_responses",
        "api_latency_ms",
        "retry_queue_depth",
        "vm_memory_bytes",
    ] {
        assert!(
            used.contains(&format!("{DEFAULT_PREFIX}_{family}")),
            "dashboard lacks {family}: {used:?}"
        );
    }
}

#[test]
fn the_alert_rules_query_only_series_the_filter_exports() {
    let rules: Value = serde_norway::from_str(&monitoring("alerts.yaml")).unwrap();
    let mut alerts = BTreeSet::new();
    for group in rules["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            let name = rule["alert"].as_str().unwrap();
            let expr = rule["expr"].as_str().unwrap();
            assert!(check_query(name, expr) > 0, "{name}: no filter series");
            alerts.insert(name.to_owned());
        }
    }
    assert_eq!(
        alerts.into_iter().collect::<Vec<_>>(),
        [
            "OpenAICapiApi4xxRatio",
            "OpenAICapiEventsFailing",
            "OpenAICapiNoEventsSent",
            "OpenAICapiRetryQueueDropped"
        ]
    );
}

#[test]
fn a_query_naming_a_missing_series_or_label_is_caught() {
    let caught = |q: &str| std::panic::catch_unwind(|| check_query("probe", q)).is_err();
    assert!(caught("rate(openai_capi_events_lost[5m])"));
    assert!(caught(
        "rate(openai_capi_events_invalid{reason=\"bogus\"}[5m])"
    ));
    assert!(caught("rate(openai_capi_events_sent{colour=\"red\"}[5m])"));
    assert!(!caught(
        "rate(openai_capi_events_skipped{reason=\"consent_missing\"}[5m])"
    ));
    assert!(caught(
        "sum by (match_key) (rate(openai_capi_events_sent[5m]))"
    ));
    assert!(caught(
        "sum by (colour) (rate(openai_capi_events_sent[5m]))"
    ));
    assert!(!caught(
        "sum by (match_key) (rate(openai_capi_events_sent_match_keys[5m]))"
    ));
}

#[test]
fn shipped_envoy_configs_extract_every_label_the_filter_writes() {
    for file in [
        "envoy/envoy.yaml",
        "envoy/production.yaml",
        "envoy/docker/envoy.yaml",
    ] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(file);
        let yaml: Value = serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let tags: Vec<(String, String)> = yaml["stats_config"]["stats_tags"]
            .as_array()
            .unwrap_or_else(|| panic!("{file}: no stats_config.stats_tags"))
            .iter()
            .map(|t| {
                (
                    t["tag_name"].as_str().unwrap().to_owned(),
                    t["regex"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = TAG_REGEXES
            .iter()
            .map(|(k, r)| (k.to_string(), r.to_string()))
            .collect();
        assert_eq!(tags, expected, "{file}");
    }
}

#[test]
fn the_documented_stats_tags_block_extracts_every_label_the_filter_writes() {
    let readme = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/operations.md"),
    )
    .unwrap();
    let start = readme
        .find("```yaml\nstats_config:\n")
        .expect("docs/operations.md: a stats_config block");
    let block = &readme[start + "```yaml\n".len()..];
    let block = &block[..block.find("```").unwrap()];
    let yaml: Value = serde_norway::from_str(block).unwrap();
    let tags: Vec<(&str, &str)> = yaml["stats_config"]["stats_tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tag_name"].as_str().unwrap(),
                t["regex"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(tags, TAG_REGEXES);
}
