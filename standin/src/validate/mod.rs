//! The validator: checks a request exactly as strictly as the Conversions API documents (v4
//! schema of Sept 2026), and stricter where the docs leave room, so that a bug in what the filter
//! sends shows up here rather than in production.
//!
//! Every violation is one string `"<path>: <what is wrong>"`, where `<path>` is a JSON-path-like
//! location (`events[0].user.emails_sha256[0]`) or a request part (`authorization`, `pid`,
//! `content-type`, `method`, `path`, `body`). All violations are reported, not only the first.
//!
//! This module checks the body's envelope (`validate_only`, `integration_source`, the `events`
//! array); each other part has a module named after it: `request` (method, path, `pid`, headers,
//! the [`Verdict`]), `event` (one event's own fields), `user` (`events[].user`), `data`
//! (`events[].data`: shapes, money, contents) and `violations` (how violations are collected).

mod data;
mod event;
mod request;
#[cfg(test)]
mod tests;
mod user;
mod violations;

pub use data::{data_shape, ISO_4217};
pub use event::{ACTION_SOURCES, EVENT_TYPES, MAX_AGE_MS, MAX_FUTURE_MS};
pub use request::{check_request, Verdict};
use serde_json::Value;
use violations::{kind, Violations};

/// Events per request.
pub const MAX_EVENTS: usize = 1000;

/// Validates a request body (already parsed as JSON) against the v4 schema. `now_ms` is the
/// server clock at receipt (unix milliseconds), used for the timestamp window. Returns every
/// violation; empty means valid.
pub fn validate_body(body: &Value, now_ms: u64) -> Vec<String> {
    let mut v = Violations::default();
    let Some(obj) = body.as_object() else {
        v.push(
            "body",
            format!("must be a JSON object (got {})", kind(body)),
        );
        return v.0;
    };
    for (key, value) in obj {
        match key.as_str() {
            "validate_only" => v.boolean(key, value),
            "integration_source" => check_integration_source(&mut v, value),
            "events" => {}
            _ => v.unknown(key),
        }
    }
    match obj.get("events") {
        None => v.push("events", "Missing required field"),
        Some(Value::Array(events)) => {
            if events.is_empty() || events.len() > MAX_EVENTS {
                v.push(
                    "events",
                    format!("must hold 1 to {MAX_EVENTS} events (got {})", events.len()),
                );
            }
            let now = i128::from(now_ms);
            for (i, event) in events.iter().enumerate() {
                event::check_event(&mut v, &format!("events[{i}]"), event, now);
            }
        }
        Some(other) => v.push(
            "events",
            format!("must be an array of events (got {})", kind(other)),
        ),
    }
    v.0
}

fn check_integration_source(v: &mut Violations, value: &Value) {
    let path = "integration_source";
    let Some(raw) = v.string(path, value) else {
        return;
    };
    let s = raw.trim().to_lowercase();
    let len = s.chars().count();
    if !(1..=64).contains(&len) {
        v.push(path, format!("must be 1 to 64 characters (got {len})"));
    }
    if s.chars().next().is_some_and(|c| !c.is_ascii_alphanumeric()) {
        v.push(path, "must start with a letter or digit");
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        v.push(
            path,
            format!("may only contain letters, digits, '.', '_' and '-' (got {raw:?})"),
        );
    }
}
