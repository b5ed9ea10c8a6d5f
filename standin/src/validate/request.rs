//! The request around the body: method, path, `pid` query parameter, `Authorization` and
//! `Content-Type`, checked in the API's order of precedence (405, 404, 401, then 400 for
//! everything else, the body's violations included), and the [`Verdict`] with the message the
//! API would answer.

use super::validate_body;
use super::violations::Violations;
use crate::StandinConfig;
use serde_json::Value;

/// The outcome of checking one HTTP request against the API contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// 200, or 405 (method), 404 (path), 401 (authorization), 400 (anything else), in that order
    /// of precedence.
    pub status: u16,
    /// The error message the API would answer with (`""` for 200).
    pub message: String,
    /// Every violation found, request-level ones first.
    pub violations: Vec<String>,
}

/// Checks a whole request: method, path, `pid`, `Authorization`, `Content-Type` and the body.
/// Returns the verdict and the body parsed as JSON (if it parses).
pub fn check_request(
    config: &StandinConfig,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
    now_ms: u64,
) -> (Verdict, Option<Value>) {
    let mut v = Violations::default();
    let mut status = 0u16;

    if method != "POST" {
        v.push("method", format!("must be POST (got {method})"));
        status = 405;
    }
    if path != config.path {
        v.push(
            "path",
            format!("no such endpoint {path:?} (expected {:?})", config.path),
        );
        if status == 0 {
            status = 404;
        }
    }

    let auth: Vec<&str> = header_values(headers, "authorization");
    let expected_auth = format!("Bearer {}", config.api_key);
    if !(auth.len() == 1 && auth.first() == Some(&expected_auth.as_str())) {
        v.push("authorization", "Missing or invalid Authorization");
        if status == 0 {
            status = 401;
        }
    }

    let pids: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "pid")
        .map(|(_, val)| val.into_owned())
        .collect();
    match pids.as_slice() {
        [] => v.push("pid", "missing query parameter (the pixel id)"),
        [pid] if *pid == config.pixel_id => {}
        [pid] => v.push(
            "pid",
            format!("{pid:?} is not the pixel id this API key is for"),
        ),
        _ => v.push("pid", "given more than once"),
    }

    let content_types = header_values(headers, "content-type");
    match content_types.as_slice() {
        [ct] if ct.to_ascii_lowercase().starts_with("application/json") => {}
        [ct] => v.push(
            "content-type",
            format!("must be application/json (got {ct:?})"),
        ),
        [] => v.push("content-type", "missing (must be application/json)"),
        _ => v.push("content-type", "given more than once"),
    }

    let json = match serde_json::from_slice::<Value>(body) {
        Ok(json) => {
            v.0.extend(validate_body(&json, now_ms));
            Some(json)
        }
        Err(_) if body.is_empty() => {
            v.push("body", "empty (must be a JSON object with events)");
            None
        }
        Err(e) => {
            v.push("body", format!("not valid JSON ({e})"));
            None
        }
    };

    if status == 0 && !v.0.is_empty() {
        status = 400;
    }
    let message = match status {
        0 => String::new(),
        401 => "Missing or invalid Authorization".to_owned(),
        405 => {
            v.0.iter()
                .find(|m| m.starts_with("method:"))
                .cloned()
                .unwrap_or_default()
        }
        404 => {
            v.0.iter()
                .find(|m| m.starts_with("path:"))
                .cloned()
                .unwrap_or_default()
        }
        _ => v.0.join("; "),
    };
    let verdict = Verdict {
        status: if status == 0 { 200 } else { status },
        message,
        violations: v.0,
    };
    (verdict, json)
}

fn header_values<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}
