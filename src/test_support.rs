//! Helpers shared by the unit tests: a valid configuration with overrides, event data from a
//! JSON literal, and the console records a piece of code writes.

use crate::config::Config;
use crate::config::{AccessToken, BigQuery, Secret};
use crate::event::EventData;
use crate::observe::bigquery::{BigQueryLog, Insert};
use crate::observe::console::{self, Record};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// The console records `run` writes, as JSON, caught through the tap of a test plugin (as
/// BigQuery logging would see them).
pub fn records_of(run: impl FnOnce()) -> Vec<Value> {
    const TEST_PLUGIN: console::PluginId = 1;
    let lines = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&lines);
    console::enter_plugin(TEST_PLUGIN);
    console::set_tap(
        TEST_PLUGIN,
        Some(Box::new(move |r: &Record<'_>| {
            sink.borrow_mut().push(r.to_line());
        })),
    );
    run();
    console::set_tap(TEST_PLUGIN, None);
    let lines = lines.borrow();
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
        .collect()
}

/// `{"pixel_id": "px", "api_key": "k"}` deep-merged with `extra`, parsed and validated.
pub fn config(extra: impl Into<Value>) -> Config {
    let extra = extra.into();
    let mut v = json!({"pixel_id": "px", "api_key": "k"});
    merge(&mut v, extra);
    match Config::from_json(v.to_string().as_bytes(), &|_| None) {
        Ok(c) => c,
        Err(e) => panic!("test configuration refused: {e}"),
    }
}

/// Event data from a JSON object literal.
pub fn event(v: impl Into<Value>) -> EventData<'static> {
    match v.into() {
        Value::Object(map) => map.into(),
        other => panic!("event data must be an object, got {other}"),
    }
}

/// `json!` for event values: the literal as an [`crate::event::Value`], so tests of code that
/// reads event data write their values as JSON.
macro_rules! event_json {
    ($($json:tt)+) => {
        $crate::event::Value::from(serde_json::json!($($json)+))
    };
}
pub(crate) use event_json;

/// Deep merge: objects merge key by key, anything else replaces.
pub fn merge(base: &mut Value, extra: Value) {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        for (k, v) in e {
            match (b.get_mut(&k), v) {
                (Some(existing @ Value::Object(_)), v @ Value::Object(_)) => merge(existing, v),
                (_, v) => {
                    b.insert(k, v);
                }
            }
        }
    }
}

/// The BigQuery inserts (literal token) holding a row for every console record `run` writes,
/// each logged at `now`, taken once their batch delay has passed.
pub fn bigquery_inserts_of(now: u64, run: impl FnOnce()) -> Vec<Insert> {
    const TEST_PLUGIN: console::PluginId = 1;
    let config = BigQuery {
        project_id: "my-project".into(),
        dataset_id: "capi_logs".into(),
        table_id: "events".into(),
        cluster: "bigquery".into(),
        access_token: AccessToken::Static(Secret::new("lit".into())),
    };
    let log = Rc::new(RefCell::new(BigQueryLog::new(&config, "p".into())));
    let sink = Rc::clone(&log);
    console::enter_plugin(TEST_PLUGIN);
    console::set_tap(
        TEST_PLUGIN,
        Some(Box::new(move |r: &Record<'_>| {
            sink.borrow_mut().push(r, now);
        })),
    );
    run();
    console::set_tap(TEST_PLUGIN, None);
    let inserts = log.borrow_mut().take_due(now + 1000);
    inserts
}
