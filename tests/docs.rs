//! The documentation says only what is true of this build: README.md and every page under
//! docs/ are read here, and every fenced snippet in them must be checked by some test; every
//! metric name they (and `monitoring/`) mention must be one the filter exports, in one of the
//! forms Envoy shows it; every configuration error they quote must be the filter's real
//! message; the Stape field table must name existing keys and every field of the tag; links
//! must resolve. What a test cannot run here (a registry push, a Kubernetes cluster, BigQuery)
//! is listed by name in [`COMMANDS`] with what checks it instead.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use openai_capi_filter::config::Config;
use openai_capi_filter::observe::bigquery::Counter as BigQueryCounter;
use openai_capi_filter::observe::metrics::{Counter, Gauge, Histogram, DEFAULT_PREFIX};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// README.md and every Markdown page under docs/, as (path, text).
fn documents() -> Vec<(String, String)> {
    let mut paths: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| format!("docs/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    paths.sort();
    paths.insert(0, "README.md".into());
    paths.into_iter().map(|p| (p.clone(), read(&p))).collect()
}

/// A fenced block of a document.
struct Block {
    at: String,
    lang: String,
    body: String,
}

/// Every fenced block, also those indented inside a list item (the indent is removed).
fn blocks(doc: &str, text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let trimmed = line.trim_start();
        let Some(lang) = trimmed.strip_prefix("```") else {
            continue;
        };
        let indent = line.len() - trimmed.len();
        let mut body = String::new();
        for (_, inner) in lines.by_ref() {
            if inner.trim_start() == "```" {
                break;
            }
            body.push_str(inner.get(indent..).unwrap_or(inner.trim_start()));
            body.push('\n');
        }
        out.push(Block {
            at: format!("{doc}:{}", n + 1),
            lang: lang.trim().to_owned(),
            body,
        });
    }
    out
}

fn all_blocks() -> Vec<Block> {
    documents()
        .iter()
        .flat_map(|(doc, text)| blocks(doc, text))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Shell commands.

/// How a documented command is checked.
enum Check {
    /// A Makefile target the command runs; CI runs it (`make ci`).
    Target(&'static str),
    /// Run by a test: the file that runs it, and the text in that file that shows it does.
    RunBy(&'static str, &'static str),
    /// Cannot run here; what checks it instead, and the text in that file that shows it does.
    Instead(&'static str, &'static str, &'static str),
}

/// Every shell command in README.md and docs/, by the text it starts with.
const COMMANDS: &[(&str, Check)] = &[
    ("make run", Check::Target("run")),
    ("make test", Check::Target("test")),
    ("make dist", Check::Target("dist")),
    ("make", Check::Target("help")),
    (
        "curl -i 'http://127.0.0.1:10000/g/collect?v=2&tid=G-DEMO&cid=555.666&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F%3Foppref%3Ddemo-click-1' -H 'Host: shop.example.com'",
        Check::RunBy(
            "scripts/test-run-local.sh",
            "-H 'Host: shop.example.com' \\\n  \"http://127.0.0.1:$ENVOY_PORT/g/collect?v=2&tid=G-DEMO&cid=555.666&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F%3Foppref%3Ddemo-click-1\"",
        ),
    ),
    (
        "curl -s http://127.0.0.1:9901/stats/prometheus | grep '^openai_capi_'",
        Check::RunBy("tests/e2e/observe.rs", "l.starts_with(\"openai_capi_\")"),
    ),
    (
        "curl -s localhost:9901/stats/prometheus | grep '^openai_capi_'",
        Check::RunBy("tests/e2e/observe.rs", "l.starts_with(\"openai_capi_\")"),
    ),
    (
        "curl -s -o /dev/null -w '%{http_code}\\n' 'http://127.0.0.1:10000/g/collect?",
        Check::RunBy("tests/e2e/docs.rs", "snippet(readme, \"sh\", \"check\")"),
    ),
    (
        "curl -s http://127.0.0.1:9901/stats | grep -E",
        Check::RunBy("tests/e2e/docs.rs", "snippet(readme, \"sh\", \"check\")"),
    ),
    (
        "skopeo copy --preserve-digests oci:dist/oci:0.1.0 docker://",
        Check::Instead(
            "a registry push; the same copy to a directory and back keeps the digest",
            "scripts/test-dist.sh",
            "skopeo copy -q --preserve-digests \"oci:$image\"",
        ),
    ),
    (
        "docker compose -f envoy/docker-compose.yaml up --build",
        Check::Instead(
            "a Docker engine; the compose file's links are checked without one",
            "Makefile",
            "compose-check:",
        ),
    ),
    (
        "docker compose -f envoy/docker-compose.yaml logs capi-standin",
        Check::Instead(
            "a Docker engine; the stand-in's service name is checked",
            "scripts/check-compose.py",
            "capi-standin",
        ),
    ),
    (
        "curl -i 'http://127.0.0.1:10000/g/collect?v=2&cid=1.2&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F%3Foppref%3Ddemo' -H 'Host: shop.example.com'",
        Check::Instead(
            "a Docker engine; the same request runs against the compose file's Envoy config",
            "tests/e2e/shipped_configs.rs",
            "envoy/docker/envoy.yaml",
        ),
    ),
    (
        "kubectl -n istio-system create secret generic openai-capi",
        Check::Instead(
            "a Kubernetes cluster; the Secret's name and key are the ones the patch reads",
            "envoy/istio/gateway-patch.yaml",
            "secretKeyRef: {name: openai-capi, key: api-key}",
        ),
    ),
    (
        "kubectl apply -f envoy/istio/wasmplugin.yaml",
        Check::Instead(
            "a Kubernetes cluster; the pluginConfig gets the filter's own validation",
            "tests/config_examples.rs",
            "envoy/istio/wasmplugin.yaml",
        ),
    ),
    (
        "kubectl -n istio-system patch deployment istio-ingressgateway --patch-file envoy/istio/gateway-patch.yaml",
        Check::Instead(
            "a Kubernetes cluster; the documented snippets are parts of this file",
            "envoy/istio/gateway-patch.yaml",
            "name: istio-proxy",
        ),
    ),
    (
        "bq mk --dataset",
        Check::Instead(
            "BigQuery; the dataset is the one the shipped configs log to",
            "envoy/production.yaml",
            "\"dataset_id\": \"capi_logs\"",
        ),
    ),
    (
        "bq mk --table YOUR_PROJECT:capi_logs.events docs/bigquery-schema.json",
        Check::Instead(
            "BigQuery; the schema file agrees with the SQL and the rows the filter writes",
            "tests/docs.rs",
            "fn the_sql_table_is_the_schema_file",
        ),
    ),
];

/// The commands of a `sh` block: comments dropped, continuation lines joined.
fn commands(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in body.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        // A trailing comment after two spaces (`make run    # …`).
        let line = match line.find("  #") {
            Some(at) => line[..at].trim_end(),
            None => line,
        };
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head.trim_end());
                current.push(' ');
            }
            None => {
                current.push_str(line);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out
}

fn makefile_has_target(target: &str) -> bool {
    read("Makefile")
        .lines()
        .any(|l| l.starts_with(&format!("{target}:")))
}

/// The longest matching prefix wins, so `make` does not swallow `make test`.
fn check_of(command: &str) -> Option<&'static Check> {
    COMMANDS
        .iter()
        // A `make …` entry names exactly one command; the others start a family of them.
        .filter(|(prefix, _)| {
            command == *prefix || (command.starts_with(prefix) && !prefix.starts_with("make"))
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, check)| check)
}

#[test]
fn every_documented_command_is_run_or_checked_by_a_test() {
    let mut not_runnable = Vec::new();
    let mut missing_targets = Vec::new();
    let mut seen = 0;
    for block in all_blocks().iter().filter(|b| b.lang == "sh") {
        for command in commands(&block.body) {
            seen += 1;
            let check = check_of(&command).unwrap_or_else(|| {
                panic!(
                    "{}: `{command}` is run by no test: run it in one and list it in COMMANDS",
                    block.at
                )
            });
            match check {
                Check::Target(target) => {
                    if !makefile_has_target(target) {
                        missing_targets.push(format!("{}: make {target}", block.at));
                    }
                }
                Check::RunBy(file, needle) => assert!(
                    read(file).contains(needle),
                    "{}: `{command}` is said to be run by {file}, which no longer shows {needle:?}",
                    block.at
                ),
                Check::Instead(why, file, needle) => {
                    assert!(
                        read(file).contains(needle),
                        "{}: `{command}`: {file} no longer shows {needle:?}",
                        block.at
                    );
                    not_runnable.push(format!("{command}  (needs {why})"));
                }
            }
        }
    }
    assert!(seen >= 15, "shell commands found: {seen}");
    // Not a failure of the docs: the Makefile is someone else's to change. Said loudly instead.
    for target in &missing_targets {
        eprintln!("documented Makefile target not (yet) defined: {target}");
    }
    for command in &not_runnable {
        eprintln!("not run here: {command}");
    }
}

// ---------------------------------------------------------------------------------------------
// YAML snippets.

/// Whether `part` is contained in `whole`: every key of a mapping with a contained value, every
/// element of a list contained in some element, equal scalars.
fn contained(part: &Value, whole: &Value) -> bool {
    match (part, whole) {
        (Value::Object(p), Value::Object(w)) => p
            .iter()
            .all(|(k, v)| w.get(k).is_some_and(|wv| contained(v, wv))),
        (Value::Array(p), Value::Array(w)) => {
            p.iter().all(|pv| w.iter().any(|wv| contained(pv, wv)))
        }
        _ => part == whole,
    }
}

/// Whether `part` is contained somewhere inside `whole`.
fn somewhere(part: &Value, whole: &Value) -> bool {
    if contained(part, whole) {
        return true;
    }
    match whole {
        Value::Object(w) => w.values().any(|v| somewhere(part, v)),
        Value::Array(w) => w.iter().any(|v| somewhere(part, v)),
        _ => false,
    }
}

/// Every YAML document shipped under envoy/ (the Envoy configs `make validate` loads, the
/// Istio objects).
fn shipped_yaml() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut dirs = vec![root().join("envoy")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).unwrap();
                for doc in serde_norway::Deserializer::from_str(&text) {
                    let doc: Value = serde::Deserialize::deserialize(doc)
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    out.push((
                        path.strip_prefix(root()).unwrap().display().to_string(),
                        doc,
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn every_yaml_snippet_is_run_validated_or_part_of_a_shipped_file() {
    let shipped = shipped_yaml();
    let mut count = 0;
    for block in all_blocks().iter().filter(|b| b.lang == "yaml") {
        count += 1;
        let value: Value = serde_norway::from_str(&block.body)
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}\n{}", block.at, block.body));
        if block.body.starts_with("# quick start: ") {
            // Run in Envoy with the curl next to them (tests/e2e/docs.rs) and, fetched by URL
            // from the `make dist` output, by scripts/test-dist.sh.
            continue;
        }
        if block.body.contains("google.protobuf.Struct") {
            continue; // tests/config_examples.rs: schema and filter verdicts
        }
        if block.body.starts_with("stats_config:") {
            continue; // tests/monitoring.rs: equals the filter's TAG_REGEXES
        }
        if value.get("virtual_hosts").is_some() {
            // The many-routes variant, run in Envoy by tests/e2e/shipped_configs.rs
            // (a_virtual_host_that_disables_the_filter_still_collects_on_the_route_that_enables_it).
            let host = &value["virtual_hosts"][0];
            let off = &host["typed_per_filter_config"]["openai_capi"];
            assert_eq!(off["disabled"], Value::Bool(true), "{}", block.at);
            let on = host["routes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["match"]["path"] == "/g/collect")
                .expect("a collection route");
            assert_eq!(
                on["typed_per_filter_config"]["openai_capi"]["config"],
                serde_json::json!({}),
                "{}",
                block.at
            );
            assert!(read("tests/e2e/shipped_configs.rs").contains("config: {}"));
            continue;
        }
        assert!(
            shipped.iter().any(|(_, doc)| somewhere(&value, doc)),
            "{}: this YAML is neither checked by a test nor part of a shipped file under envoy/:\n{}",
            block.at,
            block.body
        );
    }
    assert!(count >= 8, "YAML snippets found: {count}");
}

#[test]
fn every_block_has_a_known_language() {
    for block in all_blocks() {
        assert!(
            ["sh", "yaml", "json", "sql", "text"].contains(&block.lang.as_str()),
            "{}: a fenced block needs a language (sh, yaml, json, sql, or text for diagrams and \
             quoted log lines), found {:?}",
            block.at,
            block.lang
        );
    }
}

// ---------------------------------------------------------------------------------------------
// BigQuery.

#[test]
fn the_sql_table_is_the_schema_file() {
    let schema: Vec<Value> = serde_json::from_str(&read("docs/bigquery-schema.json")).unwrap();
    let sql = all_blocks()
        .into_iter()
        .find(|b| b.lang == "sql")
        .expect("an SQL block");
    let create = &sql.body[sql.body.find("CREATE TABLE").expect("CREATE TABLE")..];
    let columns = &create[create.find('(').unwrap() + 1..create.find(");").unwrap()];
    let from_sql: Vec<(String, String, bool)> = columns
        .split(',')
        .map(|c| {
            let words: Vec<&str> = c.split_whitespace().collect();
            let kind = match words[1] {
                "INT64" => "INTEGER",
                other => other,
            };
            (words[0].to_owned(), kind.to_owned(), c.contains("NOT NULL"))
        })
        .collect();
    let from_file: Vec<(String, String, bool)> = schema
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["type"].as_str().unwrap().to_owned(),
                f["mode"] == "REQUIRED",
            )
        })
        .collect();
    assert_eq!(from_sql, from_file, "{}", sql.at);
    // Both create the dataset the shipped configs log to.
    let sh = all_blocks()
        .into_iter()
        .find(|b| b.lang == "sh" && b.body.contains("bq mk --dataset"))
        .expect("a bq mk --dataset command");
    assert!(sh.body.contains(":capi_logs\n"), "{}", sh.at);
    assert!(sql.body.contains("CREATE SCHEMA `YOUR_PROJECT.capi_logs`"));
}

// ---------------------------------------------------------------------------------------------
// Metric names.

/// Every way a series of the filter may be written: the family (`events_skipped`), with its
/// label key or label (`events_skipped{reason}`, `events_skipped{reason="consent_denied"}`),
/// the Envoy stat (`events_skipped.reason.consent_denied`), the Prometheus name without
/// `stats_tags` (`events_skipped_reason_consent_denied`), a histogram's series; each also with
/// the default prefix (`openai_capi_…`, `openai_capi.…`, `wasmcustom.openai_capi.…`).
fn metric_forms() -> HashSet<String> {
    let mut bare = HashSet::new();
    for c in Counter::ALL {
        bare.insert(c.family().to_owned());
        if let Some((key, value)) = c.label() {
            bare.insert(format!("{}{{{key}}}", c.family()));
            bare.insert(format!("{}{{{key}=\"{value}\"}}", c.family()));
            bare.insert(format!("{}.{key}.{value}", c.family()));
            bare.insert(format!("{}_{key}_{value}", c.family()));
        }
    }
    for g in Gauge::ALL {
        bare.insert(g.family().to_owned());
    }
    for c in BigQueryCounter::ALL {
        bare.insert(c.name().to_owned());
    }
    for h in Histogram::ALL {
        bare.insert(h.family().to_owned());
        for suffix in ["_bucket", "_sum", "_count"] {
            bare.insert(format!("{}{suffix}", h.family()));
        }
    }
    let mut all = bare.clone();
    for name in &bare {
        if !name.contains('.') {
            all.insert(format!("{DEFAULT_PREFIX}_{name}"));
        }
        if !name.contains('{') {
            all.insert(format!("{DEFAULT_PREFIX}.{name}"));
            all.insert(format!("wasmcustom.{DEFAULT_PREFIX}.{name}"));
        }
    }
    all
}

/// The leading words of every family: a token that starts like a metric is checked as one.
fn metric_stems() -> BTreeSet<String> {
    let families = Counter::ALL
        .iter()
        .map(|c| c.family())
        .chain(Gauge::ALL.iter().map(|g| g.family()))
        .chain(Histogram::ALL.iter().map(|h| h.family()))
        .chain(BigQueryCounter::ALL.iter().map(|c| c.name()));
    families
        .map(|f| {
            let words: Vec<&str> = f.split('_').collect();
            // `events_sent` → `events_`; `api_requests` → `api_requests`: `api_` alone would
            // catch `api_key`, `user_` would catch `user_agent`.
            if words[0] == "events" || words[0] == "bodies" || words[0] == "bigquery" {
                format!("{}_", words[0])
            } else {
                format!("{}_{}", words[0], words[1])
            }
        })
        .collect()
}

/// The text without its fenced blocks.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The `code spans` of a Markdown text, outside fenced blocks.
fn code_spans(text: &str) -> Vec<String> {
    prose(text)
        .split('`')
        .skip(1)
        .step_by(2)
        // A span may wrap across source lines; it reads as one line.
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Names that start like a series but are not one.
const NOT_METRICS: &[&str] = &[
    "openai_capi_wasm", // the cluster the quick start fetches the .wasm from
    "bigquery_rows",    // a fuzz target
];

/// What a span names when it looks like a metric: the span without a trailing `{…}` of
/// documentation-only label lists (`events_invalid{reason}` stays whole), else None.
fn metric_like(span: &str, stems: &BTreeSet<String>) -> Option<String> {
    let bare = span
        .trim_start_matches("wasmcustom.")
        .trim_start_matches(&format!("{DEFAULT_PREFIX}."))
        .trim_start_matches(&format!("{DEFAULT_PREFIX}_"));
    let name_end = bare
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(bare.len());
    let name = &bare[..name_end];
    if name.is_empty() || span.contains([' ', '<', '*']) || NOT_METRICS.contains(&span) {
        return None;
    }
    if span.contains(".wasm") || span.starts_with("openai_capi_filter") {
        return None; // the release files
    }
    let prefixed = bare.len() != span.len();
    (prefixed || stems.iter().any(|s| name.starts_with(s.as_str()))).then(|| span.to_owned())
}

#[test]
fn every_metric_name_in_the_docs_and_monitoring_is_one_the_filter_exports() {
    let forms = metric_forms();
    let stems = metric_stems();
    let mut sources = documents();
    sources.push(("CHANGELOG.md".into(), read("CHANGELOG.md")));
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (doc, text) in &sources {
        for span in code_spans(text) {
            let Some(name) = metric_like(&span, &stems) else {
                continue;
            };
            checked += 1;
            if !forms.contains(&name) {
                wrong.push(format!("{doc}: `{name}`"));
            }
        }
    }
    // monitoring/: the descriptions a reader sees in Grafana and in an alert's annotations
    // (their queries are checked by tests/monitoring.rs).
    for file in [
        "monitoring/alerts.yaml",
        "monitoring/grafana-dashboard.json",
    ] {
        let text = read(file);
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
            if let Some(name) = metric_like(word.trim_matches('.'), &stems) {
                checked += 1;
                if !forms.contains(&name) {
                    wrong.push(format!("{file}: {name}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "not a name the filter exports (see src/observe/metrics.rs):\n{}",
        wrong.join("\n")
    );
    assert!(checked > 100, "metric names checked: {checked}");
}

#[test]
fn a_wrong_metric_name_is_caught() {
    let forms = metric_forms();
    let stems = metric_stems();
    for wrong in [
        "events_skipped_consent",
        "api_responses_4xx",
        "openai_capi_events_skipped{reason=\"consent\"}",
        "events_skipped.reason.consent",
        "bigquery_rows_lost",
    ] {
        let name = metric_like(wrong, &stems).expect(wrong);
        assert!(!forms.contains(&name), "{wrong}");
    }
    for right in [
        "events_skipped{reason=\"consent_missing\"}",
        "api_responses.status_class.4xx",
        "wasmcustom.openai_capi.events_skipped.reason.consent_denied",
        "openai_capi_api_latency_ms_bucket",
        "bigquery_rows_lost_on_shutdown",
    ] {
        assert!(
            forms.contains(&metric_like(right, &stems).unwrap()),
            "{right}"
        );
    }
    assert_eq!(metric_like("api_key", &stems), None);
    assert_eq!(metric_like("user_agent", &stems), None);
}

/// The list of every series in both forms, as docs/operations.md holds it.
fn series_table() -> String {
    let p = DEFAULT_PREFIX;
    let mut out = String::from(
        "| Envoy `/stats` | Prometheus `/stats/prometheus` (with the shipped `stats_tags`) | type |\n|---|---|---|\n",
    );
    let mut row = |stat: String, prom: String, kind: &str| {
        out.push_str(&format!(
            "| `wasmcustom.{p}.{stat}` | `{p}_{prom}` | {kind} |\n"
        ));
    };
    for c in Counter::ALL {
        let prom = match c.label() {
            Some((key, value)) => format!("{}{{{key}=\"{value}\"}}", c.family()),
            None => c.family().to_owned(),
        };
        row(c.name(), prom, "counter");
    }
    for c in BigQueryCounter::ALL {
        row(c.name().to_owned(), c.name().to_owned(), "counter");
    }
    for g in Gauge::ALL {
        row(g.family().to_owned(), g.family().to_owned(), "gauge");
    }
    for h in Histogram::ALL {
        let f = h.family();
        row(
            f.to_owned(),
            format!("{f}_bucket`, `{p}_{f}_sum`, `{p}_{f}_count"),
            "histogram",
        );
    }
    out
}

#[test]
fn the_series_list_is_every_series_in_both_forms() {
    const START: &str = "<!-- series: generated by tests/docs.rs from src/observe/metrics.rs (UPDATE_DOCS=1 regenerates it) -->\n";
    const END: &str = "<!-- end of series -->";
    let path = root().join("docs/operations.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc.find(START).expect("start marker") + START.len();
    let end = doc.find(END).expect("end marker");
    let expected = format!("{}{}{}", &doc[..start], series_table(), &doc[end..]);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    assert!(
        doc == expected,
        "docs/operations.md's series list is stale: run UPDATE_DOCS=1 cargo test --test docs"
    );
}

// ---------------------------------------------------------------------------------------------
// Quoted configuration errors.

/// A configuration that produces each quoted error, with the environment it sees.
const QUOTED_ERRORS: &[(&str, &str, bool)] = &[
    (
        "invalid configuration: collect.max_body_bytes: 0 is out of range 1..=1048576",
        r#"{"pixel_id": "p", "api_key": "k", "collect": {"max_body_bytes": 0}}"#,
        true,
    ),
    (
        "invalid configuration: api_key.env: environment variable OPENAI_CAPI_KEY is not visible to the VM:",
        r#"{"pixel_id": "p", "api_key": {"env": "OPENAI_CAPI_KEY"}}"#,
        false,
    ),
    (
        "invalid type: string \"big\", expected u64 (line 4, column 37)",
        "{\n  \"pixel_id\": \"p\",\n  \"api_key\": \"k\",\n  \"collect\": {\"max_body_bytes\": \"big\"}\n}",
        true,
    ),
];

fn real_error(config: &str, env_set: bool) -> String {
    let env = move |_: &str| env_set.then(|| "set".to_owned());
    match Config::from_plugin_configuration(config.as_bytes(), &env) {
        Ok(_) => panic!("accepted: {config}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_quoted_configuration_error_is_the_real_message() {
    let mut found = 0;
    for (doc, text) in documents() {
        for span in code_spans(&text) {
            let quote = span
                .trim_start_matches('…')
                .trim_end_matches('…')
                .trim()
                .to_owned();
            let is_error =
                quote.starts_with("invalid configuration: ") || quote.starts_with("invalid type: ");
            // `invalid configuration: <field>: <reason>` describes the form, not a message.
            if !is_error || quote.contains('<') {
                continue;
            }
            found += 1;
            let (_, config, env_set) = QUOTED_ERRORS
                .iter()
                .find(|(q, _, _)| *q == quote)
                .unwrap_or_else(|| {
                    panic!("{doc}: `{quote}` is quoted but no test produces it: add it to QUOTED_ERRORS")
                });
            let real = real_error(config, *env_set);
            assert!(
                real.contains(&quote),
                "{doc} quotes `{quote}`; the filter says `{real}`"
            );
        }
    }
    assert!(found >= 3, "quoted configuration errors found: {found}");
}

// ---------------------------------------------------------------------------------------------
// The Stape field table.

/// Every field of Stape's "OpenAI Ads Conversions API" tag (its template's parameter names,
/// labels left out), including the logging fields its first releases had.
const STAPE_FIELDS: &[&str] = &[
    "pixelId",
    "apiKey",
    "eventNameSetup",
    "eventNameStandard",
    "eventNameCustom",
    "actionSource",
    "validateOnly",
    "useOptimisticScenario",
    "adStorageConsent",
    "setClickIdCookie",
    "cookieExpiration",
    "setBrowserIdCookie",
    "cookieExpirationBrowserId",
    "cookieDomain",
    "cookieSameSite",
    "cookieHttpOnly",
    "optOut",
    "autoMapServerEventDataParameters",
    "serverEventDataParametersList",
    "autoMapUserDataParameters",
    "userDataParametersList",
    "autoMapEventParameters",
    "itemIdKey",
    "eventParametersList",
    "logType",
    "bigQueryLogType",
    "logBigQueryProjectId",
    "logBigQueryDatasetId",
    "logBigQueryTableId",
];

/// Dotted paths of every property of config.schema.json, through `$ref`s and `Option`s.
fn schema_keys() -> BTreeSet<String> {
    fn walk(schema: &Value, node: &Value, path: &str, out: &mut BTreeSet<String>) {
        let node = match node.get("$ref").and_then(Value::as_str) {
            Some(r) => schema.pointer(r.trim_start_matches('#')).unwrap(),
            None => node,
        };
        for branch in node
            .get("anyOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(schema, branch, path, out);
        }
        for (key, sub) in node
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let child = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            out.insert(child.clone());
            walk(schema, sub, &child, out);
        }
    }
    let schema: Value = serde_json::from_str(&read("config.schema.json")).unwrap();
    let mut out = BTreeSet::new();
    walk(&schema, &schema, "", &mut out);
    out
}

#[test]
fn the_stape_table_maps_every_tag_field_to_an_existing_key() {
    let doc = read("docs/configuration.md");
    let start = doc
        .find("<!-- stape fields: start -->")
        .expect("start marker");
    let end = doc.find("<!-- stape fields: end -->").expect("end marker");
    let keys = schema_keys();
    let mut fields = Vec::new();
    for row in doc[start..end].lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let field = code_spans(cells[1]).remove(0);
        let key = code_spans(cells[2]).remove(0);
        assert!(keys.contains(&key), "{field}: `{key}` is not a config key");
        fields.push(field);
    }
    let mut expected: Vec<String> = STAPE_FIELDS.iter().map(|s| s.to_string()).collect();
    expected.sort();
    fields.sort();
    assert_eq!(
        fields, expected,
        "the table must list every field of the tag, once"
    );
}

// ---------------------------------------------------------------------------------------------
// Shape and links.

#[test]
fn the_readme_stays_short() {
    let lines = read("README.md").lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines; move detail to docs/"
    );
}

/// GitHub's anchor for a heading.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> HashSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| anchor(l.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_relative_link_resolves() {
    let mut count = 0;
    for (doc, text) in documents() {
        let base = Path::new(&doc).parent().unwrap().to_path_buf();
        for (at, _) in text.match_indices("](") {
            let rest = &text[at + 2..];
            let target = &rest[..rest.find(')').unwrap()];
            if target.starts_with("http") {
                continue;
            }
            count += 1;
            let (file, fragment) = match target.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (target, None),
            };
            let path = if file.is_empty() {
                PathBuf::from(&doc)
            } else {
                base.join(file)
            };
            let full = root().join(&path);
            assert!(full.exists(), "{doc}: link to {target}: no such file");
            if let Some(fragment) = fragment {
                let target_text = std::fs::read_to_string(&full).unwrap();
                assert!(
                    anchors(&target_text).contains(fragment),
                    "{doc}: link to {target}: no such heading"
                );
            }
        }
    }
    assert!(count >= 20, "links found: {count}");
}

// ---------------------------------------------------------------------------------------------
// Quoted log lines.

/// Words that mark a code span as a quoted log line or record text of the filter.
const LOG_MARKERS: &[&str] = &[
    "(root context",
    "event(s)",
    "rows lost",
    "events lost (",
    "work budget (",
    "flush complete",
    "collection request ",
    " skipped (",
    " dropped (",
    "Pixel ID",
    "[ERROR]",
    "not logged",
    "before sending",
    "queue full",
];

/// Every `.rs` file under src/, with Rust's string continuations (`\` + newline + indent)
/// joined, so a message split over source lines reads as it is logged.
fn source_text() -> String {
    let mut out = String::new();
    let mut dirs = vec![root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut lines = text.split("\\\n");
                out.push_str(lines.next().unwrap_or_default());
                for rest in lines {
                    out.push_str(rest.trim_start());
                }
                out.push('\n');
            }
        }
    }
    out
}

/// The fixed parts of a quoted line: the text between `<placeholders>`, `{…}`, `…`, numbers,
/// parentheses and `: ` (where the filter composes one line from several formats).
fn fixed_parts(quote: &str) -> Vec<String> {
    let quote = quote.replace(": ", "\u{1}");
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0;
    for c in quote.chars() {
        match c {
            '<' | '{' => {
                depth += 1;
                parts.push(std::mem::take(&mut current));
            }
            '>' | '}' if depth > 0 => depth -= 1,
            '…' | '(' | ')' | '\u{1}' if depth == 0 => parts.push(std::mem::take(&mut current)),
            _ if depth == 0 && c.is_ascii_digit() => parts.push(std::mem::take(&mut current)),
            _ if depth == 0 => current.push(c),
            _ => {}
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| p.chars().filter(|c| c.is_alphabetic()).count() >= 4)
        .collect()
}

/// Quoted lines that an e2e test finds in Envoy's log exactly as the docs quote them.
const RUNTIME_CHECKED: &[(&str, &str)] = &[(
    "event page_view skipped (consent_missing)",
    "tests/e2e/conversions.rs",
)];

/// The start an e2e test looks the quoted line up by.
fn q_of(span: &str) -> &str {
    RUNTIME_CHECKED
        .iter()
        .find(|(q, _)| span.starts_with(q))
        .map_or(span, |(q, _)| q)
}

#[test]
fn every_quoted_log_line_is_written_by_the_filter() {
    let source = source_text();
    let mut found = 0;
    let mut missing = Vec::new();
    for (doc, text) in documents() {
        let mut spans = code_spans(&text);
        // Quoted lines in ```text blocks (e.g. a debug line) count too; diagrams and trees
        // (aligned with runs of spaces) do not.
        for block in blocks(&doc, &text).iter().filter(|b| b.lang == "text") {
            spans.extend(
                block
                    .body
                    .lines()
                    .filter(|l| !l.contains("  "))
                    .map(str::to_owned),
            );
        }
        for span in spans {
            if !LOG_MARKERS.iter().any(|m| span.contains(m)) {
                continue;
            }
            if let Some((_, test)) = RUNTIME_CHECKED.iter().find(|(q, _)| span.starts_with(q)) {
                // Compared with Envoy's log, word for word, by an e2e test.
                assert!(read(test).contains(q_of(&span)), "{doc}: {test}");
                found += 1;
                continue;
            }
            found += 1;
            for part in fixed_parts(&span) {
                if !source.contains(&part) {
                    missing.push(format!("{doc}: `{span}`: {part:?}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "quoted, but the filter writes no such text:\n{}",
        missing.join("\n")
    );
    assert!(found >= 10, "quoted log lines found: {found}");
}

#[test]
fn a_misquoted_log_line_is_caught() {
    let source = source_text();
    let real = "root context <n>: <N> event(s) in <M> call(s) handed to Envoy at shutdown, not confirmed yet; …";
    assert!(fixed_parts(real).iter().all(|p| source.contains(p)));
    let wrong = "root context <n>: <N> event(s) in <M> call(s) given to Envoy at shutdown";
    assert!(!fixed_parts(wrong).iter().all(|p| source.contains(p)));
}

// ---------------------------------------------------------------------------------------------
// Make targets and repository paths named in the prose.

#[test]
fn every_make_target_named_in_the_docs_exists() {
    let mut named = BTreeSet::new();
    for (doc, text) in documents() {
        let mut spans = code_spans(&text);
        for block in blocks(&doc, &text).iter().filter(|b| b.lang == "sh") {
            spans.extend(commands(&block.body));
        }
        for span in spans {
            if let Some(rest) = span.strip_prefix("make ") {
                let target = rest.split_whitespace().next().unwrap_or_default();
                if !target.contains('=') && !target.is_empty() {
                    named.insert((target.to_owned(), doc.clone()));
                }
            }
        }
    }
    assert!(named.len() >= 10, "make targets named: {named:?}");
    let mut missing = Vec::new();
    for (target, doc) in &named {
        if !makefile_has_target(target) {
            missing.push(format!("{doc}: make {target}"));
        }
    }
    assert!(
        missing.is_empty(),
        "no such Makefile target:\n{}",
        missing.join("\n")
    );
}

/// Top-level directories whose paths the docs name.
const TREE: &[&str] = &[
    "src/",
    "envoy/",
    "scripts/",
    "tests/",
    "docs/",
    "monitoring/",
    "fuzz/",
    "standin/",
    "benches/",
    "examples/",
    "data/",
];

#[test]
fn every_repository_path_named_in_the_docs_exists() {
    let mut checked = 0;
    let mut missing = Vec::new();
    for (doc, text) in documents() {
        let mut spans = code_spans(&text);
        for block in blocks(&doc, &text).iter().filter(|b| b.lang == "text") {
            // The repository layout tree: the first word of each line.
            spans.extend(
                block
                    .body
                    .lines()
                    .filter_map(|l| l.split_whitespace().next())
                    .map(str::to_owned),
            );
        }
        for span in spans {
            let path = span.split_whitespace().next().unwrap_or_default();
            let path = path.trim_end_matches([',', ':', ';']);
            if !TREE.iter().any(|t| path.starts_with(t)) || path.contains(['<', '*', '{', '…']) {
                continue;
            }
            checked += 1;
            if !root().join(path).exists() {
                missing.push(format!("{doc}: {path}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the docs name paths that do not exist (moved? update the docs):\n{}",
        missing.join("\n")
    );
    assert!(checked >= 20, "paths checked: {checked}");
}
