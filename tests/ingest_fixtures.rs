//! Replays the captured collection requests under `tests/fixtures/ingest/` through `ingest` and
//! compares the event data with the `.expected.json` beside each one.
//!
//! A fixture is three files: `<name>.http` (the request as captured: `METHOD target`, header
//! lines, a blank line, then the body bytes exactly), `<name>.expected.json` and
//! `<name>.source.md` (where the capture was found). Expected events are subsets: every key listed
//! must be present with an equal value (objects compared recursively, arrays element by element
//! with equal length), and keys named in `"$absent"` must be missing.

// A test crate: its helpers panic on a broken fixture by design, but clippy only exempts
// `#[test]` functions themselves (clippy.toml's `allow-*-in-tests`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use openai_capi_filter::config::Format;
use openai_capi_filter::ingest::{ingest, Ingested, Limits};
use openai_capi_filter::request::RequestFacts;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

const FIXTURES: &str = "tests/fixtures/ingest";

struct Fixture {
    name: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    expected: Value,
}

fn fixtures() -> Vec<Fixture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES);
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|f| f.strip_suffix(".http").map(str::to_owned))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let raw = fs::read(dir.join(format!("{name}.http"))).unwrap();
            let (headers, body) = parse_http(&raw);
            let expected_path = dir.join(format!("{name}.expected.json"));
            let expected = serde_json::from_slice(&fs::read(&expected_path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
            assert!(
                source_of(&dir, &name).exists(),
                "{name}: missing .source.md"
            );
            Fixture {
                name,
                headers,
                body,
                expected,
            }
        })
        .collect()
}

fn source_of(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.source.md"))
}

/// `METHOD target\nname: value\n…\n\nbody` → Envoy-style header pairs and the body bytes.
fn parse_http(raw: &[u8]) -> (Vec<(String, Vec<u8>)>, Vec<u8>) {
    let split = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("blank line after the headers");
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let body = raw[split + 2..].to_vec();
    let mut lines = head.lines();
    let (method, target) = lines.next().unwrap().split_once(' ').unwrap();
    let mut headers = vec![
        (":method".to_owned(), method.as_bytes().to_vec()),
        (":path".to_owned(), target.as_bytes().to_vec()),
    ];
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        let name = match name.trim().to_ascii_lowercase() {
            host if host == "host" => ":authority".to_owned(),
            other => other,
        };
        headers.push((name, value.trim().as_bytes().to_vec()));
    }
    (headers, body)
}

fn format_of(name: &str) -> Format {
    match name {
        "ga4" => Format::Ga4,
        "ga4_loader" => Format::Ga4Loader,
        "mp" => Format::Mp,
        "data" => Format::Data,
        other => panic!("unknown format {other}"),
    }
}

fn run(fixture: &Fixture) -> Ingested {
    let expected = &fixture.expected;
    let address = expected["source_address"].as_str().unwrap();
    let facts = RequestFacts::from_headers(&fixture.headers, Some(address.as_bytes())).unwrap();
    let format = format_of(expected["format"].as_str().unwrap());
    ingest(format, &facts, &fixture.body, &Limits::new(50))
}

/// Checks `expected ⊆ actual`, collecting every mismatch with its path.
fn subset(expected: &Value, actual: Option<&Value>, path: &str, errors: &mut Vec<String>) {
    let Some(actual) = actual else {
        errors.push(format!("{path}: missing"));
        return;
    };
    match (expected, actual) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, value) in want {
                if key == "$absent" {
                    for absent in value.as_array().unwrap() {
                        let absent = absent.as_str().unwrap();
                        if got.contains_key(absent) {
                            errors.push(format!("{path}.{absent}: should be absent"));
                        }
                    }
                } else {
                    subset(value, got.get(key), &format!("{path}.{key}"), errors);
                }
            }
        }
        (Value::Array(want), Value::Array(got)) => {
            if want.len() != got.len() {
                errors.push(format!(
                    "{path}: {} elements, expected {}",
                    got.len(),
                    want.len()
                ));
            }
            for (i, (w, g)) in want.iter().zip(got).enumerate() {
                subset(w, Some(g), &format!("{path}[{i}]"), errors);
            }
        }
        (want, got) if want == got => {}
        (want, got) => errors.push(format!("{path}: {got}, expected {want}")),
    }
}

#[test]
fn every_fixture_produces_its_expected_event_data() {
    let all = fixtures();
    assert!(all.len() >= 12, "fixtures went missing: {}", all.len());
    let mut failures = Vec::new();
    for fixture in &all {
        let out = run(fixture);
        let expected = &fixture.expected;
        let mut errors = Vec::new();
        let reasons: Vec<&str> = out.rejected.iter().map(|r| r.reason.as_str()).collect();
        let want_reasons: Vec<&str> = expected["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        if reasons != want_reasons {
            errors.push(format!("rejected {reasons:?}, expected {want_reasons:?}"));
        }
        if let Some(notes) = expected.get("notes") {
            let want: Vec<&str> = notes
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
                .collect();
            if out.notes != want {
                errors.push(format!("notes {:?}, expected {want:?}", out.notes));
            }
        }
        let actual = Value::Array(out.events.into_iter().map(Value::from).collect());
        subset(&expected["events"], Some(&actual), "events", &mut errors);
        if !errors.is_empty() {
            failures.push(format!("{}:\n  {}", fixture.name, errors.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_real_ga4_captures_cover_the_required_shapes() {
    let all = fixtures();
    let ga4: Vec<&Fixture> = all
        .iter()
        .filter(|f| f.expected["format"].as_str().unwrap().starts_with("ga4"))
        .collect();
    assert!(ga4.len() >= 5);
    let batched = ga4
        .iter()
        .filter(|f| f.expected["events"].as_array().unwrap().len() > 1)
        .count();
    let loader = ga4
        .iter()
        .filter(|f| f.expected["format"] == "ga4_loader")
        .count();
    let events: Vec<&Value> = ga4
        .iter()
        .flat_map(|f| f.expected["events"].as_array().unwrap())
        .collect();
    let purchase_with_items = events.iter().any(|e| {
        e["event_name"] == "purchase" && e["items"].as_array().is_some_and(|i| !i.is_empty())
    });
    let em = events
        .iter()
        .any(|e| e.get("x-ga-em").is_some() && e.get("user_data").is_some());
    assert!(batched >= 2 && loader >= 2 && purchase_with_items && em);
}

#[test]
fn the_measurement_protocol_secret_never_reaches_the_output() {
    for fixture in fixtures() {
        let path = fixture
            .headers
            .iter()
            .find(|(k, _)| k == ":path")
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap();
        let Some(secret) = path
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("api_secret="))
        else {
            continue;
        };
        let out = run(&fixture);
        assert!(!out.events.is_empty());
        assert!(!format!("{out:?}").contains(secret), "{}", fixture.name);
    }
}
