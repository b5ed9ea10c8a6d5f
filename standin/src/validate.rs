//! The validator: checks a request exactly as strictly as the Conversions API documents (v4
//! schema of Sept 2026), and stricter where the docs leave room, so that a bug in what the filter
//! sends shows up here rather than in production.
//!
//! Every violation is one string `"<path>: <what is wrong>"`, where `<path>` is a JSON-path-like
//! location (`events[0].user.emails_sha256[0]`) or a request part (`authorization`, `pid`,
//! `content-type`, `method`, `path`, `body`). All violations are reported, not only the first.

use crate::StandinConfig;
use serde_json::{Map, Value};
use std::fmt::Display;
use std::net::IpAddr;

/// Every event type the API accepts in `events[].type`.
pub const EVENT_TYPES: [&str; 13] = [
    "appointment_scheduled",
    "checkout_started",
    "contents_viewed",
    "custom",
    "items_added",
    "lead_created",
    "order_created",
    "page_viewed",
    "registration_completed",
    "subscription_created",
    "trial_started",
    "app_installed",
    "app_opened",
];

/// Every value the API accepts in `events[].action_source`.
pub const ACTION_SOURCES: [&str; 7] = [
    "web",
    "mobile_app",
    "offline",
    "physical_store",
    "phone_call",
    "email",
    "other",
];

/// Active ISO 4217 codes (list one, 2025 amendment), without the codes whose minor unit is
/// "N.A." (metals, `XDR`, `XSU`, `XUA`, `XBA`…`XBD`, `XTS`, `XXX`): an integer amount in minor
/// units cannot be expressed in them. Crypto tickers, `EURO`, `US$` and withdrawn codes (`ANG`,
/// `HRK`) are refused, as the real API refuses a code it does not know.
pub const ISO_4217: [&str; 165] = [
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
    "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK",
    "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD",
    "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD",
    "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT",
    "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK",
    "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
    "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP",
    "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS",
    "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST",
    "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

/// Oldest accepted `timestamp_ms`, relative to the server clock at receipt.
pub const MAX_AGE_MS: i128 = 7 * 24 * 60 * 60 * 1000;
/// Furthest accepted `timestamp_ms` into the future.
pub const MAX_FUTURE_MS: i128 = 10 * 60 * 1000;
/// Events per request.
pub const MAX_EVENTS: usize = 1000;

// `oppcref` was removed from the v4 docs on purpose and is therefore not accepted.
const EVENT_KEYS: [&str; 10] = [
    "id",
    "type",
    "custom_event_name",
    "timestamp_ms",
    "action_source",
    "source_url",
    "oppref",
    "opt_out",
    "user",
    "data",
];
const HASH_LISTS: [&str; 5] = [
    "emails_sha256",
    "phone_numbers_sha256",
    "external_ids_sha256",
    "first_names_sha256",
    "last_names_sha256",
];

/// The `data.type` shape an event type must carry.
pub fn data_shape(event_type: &str) -> Option<&'static str> {
    Some(match event_type {
        "page_viewed" | "contents_viewed" | "items_added" | "checkout_started"
        | "order_created" => "contents",
        "lead_created"
        | "registration_completed"
        | "appointment_scheduled"
        | "app_installed"
        | "app_opened" => "customer_action",
        "subscription_created" | "trial_started" => "plan_enrollment",
        "custom" => "custom",
        _ => return None,
    })
}

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
                check_event(&mut v, &format!("events[{i}]"), event, now);
            }
        }
        Some(other) => v.push(
            "events",
            format!("must be an array of events (got {})", kind(other)),
        ),
    }
    v.0
}

#[derive(Default)]
struct Violations(Vec<String>);

impl Violations {
    fn push(&mut self, path: &str, what: impl Display) {
        self.0.push(format!("{path}: {what}"));
    }

    fn missing(&mut self, path: &str) {
        self.push(path, "Missing required field");
    }

    fn unknown(&mut self, path: &str) {
        self.push(path, "unknown field");
    }

    fn boolean(&mut self, path: &str, value: &Value) {
        if !value.is_boolean() {
            self.push(path, format!("must be a boolean (got {})", kind(value)));
        }
    }

    /// A string; returns it when it is one.
    fn string<'a>(&mut self, path: &str, value: &'a Value) -> Option<&'a str> {
        match value {
            Value::String(s) => Some(s),
            other => {
                self.push(path, format!("must be a string (got {})", kind(other)));
                None
            }
        }
    }

    fn non_empty_string(&mut self, path: &str, value: &Value) {
        if let Some(s) = self.string(path, value) {
            if s.is_empty() {
                self.push(path, "must not be empty");
            }
        }
    }

    fn non_blank_string(&mut self, path: &str, value: &Value) {
        if let Some(s) = self.string(path, value) {
            if s.trim().is_empty() {
                self.push(path, "must not be empty or blank");
            }
        }
    }

    fn integer(&mut self, path: &str, value: &Value) -> Option<i128> {
        match value {
            Value::Number(n) => {
                let int = n
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from));
                if int.is_none() {
                    self.push(path, format!("must be an integer, not a float (got {n})"));
                }
                int
            }
            other => {
                self.push(path, format!("must be an integer (got {})", kind(other)));
                None
            }
        }
    }

    /// A non-empty array of strings, each checked with `check` (which returns what is wrong).
    fn string_list(&mut self, path: &str, value: &Value, check: fn(&str) -> Option<String>) {
        let Value::Array(items) = value else {
            self.push(
                path,
                format!("must be an array of strings (got {})", kind(value)),
            );
            return;
        };
        if items.is_empty() {
            self.push(path, "must not be an empty array (omit the field instead)");
        }
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            if let Some(s) = self.string(&item_path, item) {
                if let Some(what) = check(s) {
                    self.push(&item_path, what);
                }
            }
        }
    }
}

/// JSON kind of a value, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
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

fn check_event(v: &mut Violations, p: &str, event: &Value, now_ms: i128) {
    let Some(ev) = event.as_object() else {
        v.push(p, format!("must be an object (got {})", kind(event)));
        return;
    };
    for key in ev.keys() {
        if !EVENT_KEYS.contains(&key.as_str()) {
            v.unknown(&format!("{p}.{key}"));
        }
    }

    match ev.get("id") {
        None => v.missing(&format!("{p}.id")),
        Some(id) => v.non_empty_string(&format!("{p}.id"), id),
    }

    let event_type = match ev.get("type") {
        None => {
            v.missing(&format!("{p}.type"));
            None
        }
        Some(t) => match v.string(&format!("{p}.type"), t) {
            Some(t) if EVENT_TYPES.contains(&t) => Some(t),
            Some(t) => {
                v.push(
                    &format!("{p}.type"),
                    format!(
                        "unknown event type {t:?} (expected one of {})",
                        EVENT_TYPES.join(", ")
                    ),
                );
                None
            }
            None => None,
        },
    };

    let name_path = format!("{p}.custom_event_name");
    match (event_type, ev.get("custom_event_name")) {
        (Some("custom"), None) => v.push(&name_path, "required when type is custom"),
        (Some(t), Some(_)) if t != "custom" => v.push(
            &name_path,
            format!("only allowed when type is custom (type is {t})"),
        ),
        (_, Some(name)) => {
            if let Some(name) = v.string(&name_path, name) {
                if let Some(what) = custom_name_problem(name) {
                    v.push(&name_path, what);
                }
            }
        }
        _ => {}
    }

    let ts_path = format!("{p}.timestamp_ms");
    match ev.get("timestamp_ms") {
        None => v.missing(&ts_path),
        Some(ts) => {
            if let Some(ts) = v.integer(&ts_path, ts) {
                if ts < now_ms - MAX_AGE_MS {
                    v.push(
                        &ts_path,
                        format!("{ts} is more than 7 days in the past (server time {now_ms})"),
                    );
                } else if ts > now_ms + MAX_FUTURE_MS {
                    v.push(
                        &ts_path,
                        format!(
                            "{ts} is more than 10 minutes in the future (server time {now_ms})"
                        ),
                    );
                }
            }
        }
    }

    let as_path = format!("{p}.action_source");
    let action_source = match ev.get("action_source") {
        None => {
            v.missing(&as_path);
            None
        }
        Some(a) => match v.string(&as_path, a) {
            Some(a) if ACTION_SOURCES.contains(&a) => Some(a),
            Some(a) => {
                v.push(
                    &as_path,
                    format!(
                        "unknown action source {a:?} (expected one of {})",
                        ACTION_SOURCES.join(", ")
                    ),
                );
                None
            }
            None => None,
        },
    };
    if let Some(t @ ("app_installed" | "app_opened")) = event_type {
        if action_source.is_some_and(|a| a != "mobile_app") {
            v.push(&as_path, format!("must be mobile_app for {t} events"));
        }
    }

    let url_path = format!("{p}.source_url");
    match ev.get("source_url") {
        None if action_source == Some("web") => {
            v.push(&url_path, "required when action_source is web")
        }
        None => {}
        Some(u) => {
            if let Some(u) = v.string(&url_path, u) {
                if let Some(what) = url_problem(u) {
                    v.push(&url_path, what);
                }
            }
        }
    }

    if let Some(oppref) = ev.get("oppref") {
        v.non_empty_string(&format!("{p}.oppref"), oppref);
    }
    if let Some(opt_out) = ev.get("opt_out") {
        v.boolean(&format!("{p}.opt_out"), opt_out);
    }
    if let Some(user) = ev.get("user") {
        check_user(v, &format!("{p}.user"), user);
    }
    match ev.get("data") {
        None => v.missing(&format!("{p}.data")),
        Some(data) => check_data(v, &format!("{p}.data"), data, event_type),
    }
}

fn custom_name_problem(name: &str) -> Option<String> {
    let len = name.chars().count();
    if !(1..=64).contains(&len) {
        return Some(format!("must be 1 to 64 characters (got {len})"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Some(format!(
            "may only contain letters, digits, '_' and '-' (got {name:?})"
        ));
    }
    let alnum_ends = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum_ends {
        return Some(format!(
            "must start and end with a letter or digit (got {name:?})"
        ));
    }
    let lower = name.to_ascii_lowercase();
    if EVENT_TYPES.contains(&lower.as_str()) {
        return Some(format!(
            "must not equal a standard event type (got {name:?}; send type {lower} instead)"
        ));
    }
    None
}

fn url_problem(raw: &str) -> Option<String> {
    if raw.is_empty() {
        return Some("must not be empty".to_owned());
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!("must not contain whitespace (got {raw:?})"));
    }
    let lower = raw.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Some(format!(
            "must be an absolute http(s) URL with scheme and host (got {raw:?})"
        ));
    }
    match url::Url::parse(raw) {
        Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => None,
        Ok(_) => Some(format!("must have a host (got {raw:?})")),
        Err(e) => Some(format!("not a valid URL: {e} (got {raw:?})")),
    }
}

fn check_user(v: &mut Violations, p: &str, user: &Value) {
    let Some(obj) = user.as_object() else {
        v.push(p, format!("must be an object (got {})", kind(user)));
        return;
    };
    if obj.is_empty() {
        v.push(p, "must not be an empty object (omit it instead)");
    }
    for (key, value) in obj {
        let path = format!("{p}.{key}");
        match key.as_str() {
            k if HASH_LISTS.contains(&k) => v.string_list(&path, value, hash_problem),
            "countries" => v.string_list(&path, value, country_problem),
            "cities" | "regions" => v.string_list(&path, value, place_problem),
            "postal_codes" => v.string_list(&path, value, postal_problem),
            "obref" | "user_agent" => v.non_blank_string(&path, value),
            "ip_address" => {
                if let Some(ip) = v.string(&path, value) {
                    if ip.parse::<IpAddr>().is_err() {
                        v.push(
                            &path,
                            format!("must be an IPv4 or IPv6 address (got {ip:?})"),
                        );
                    }
                }
            }
            "android_advertising_id" => {
                if let Some(id) = v.string(&path, value) {
                    if !is_uuid(id) {
                        v.push(&path, format!("must be a UUID (got {id:?})"));
                    }
                }
            }
            legacy => match legacy_replacement(legacy) {
                Some(plural) => v.push(
                    &path,
                    format!("unknown field (legacy singular field; the v4 schema uses {plural})"),
                ),
                None => v.unknown(&path),
            },
        }
    }
}

fn legacy_replacement(key: &str) -> Option<&'static str> {
    Some(match key {
        "email_sha256" => "emails_sha256",
        "phone_number_sha256" => "phone_numbers_sha256",
        "external_id_sha256" => "external_ids_sha256",
        "first_name_sha256" => "first_names_sha256",
        "last_name_sha256" => "last_names_sha256",
        "country" => "countries",
        "city" => "cities",
        "region" => "regions",
        "zip_code" | "postal_code" => "postal_codes",
        _ => return None,
    })
}

fn hash_problem(s: &str) -> Option<String> {
    let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (!ok).then(|| "must be lowercase 64-char hex".to_owned())
}

fn country_problem(s: &str) -> Option<String> {
    let ok = s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase());
    (!ok).then(|| format!("must be a 2-letter uppercase ISO 3166-1 code (got {s:?})"))
}

fn place_problem(s: &str) -> Option<String> {
    if s.trim().is_empty() {
        return Some("must not be empty or blank".to_owned());
    }
    let len = s.chars().count();
    (len > 128).then(|| format!("must be at most 128 characters (got {len})"))
}

fn postal_problem(s: &str) -> Option<String> {
    let len = s.chars().count();
    if !(1..=32).contains(&len) {
        return Some(format!("must be 1 to 32 characters (got {len})"));
    }
    if s.trim().is_empty() {
        return Some("must not be blank".to_owned());
    }
    let ok = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    (!ok).then(|| format!("may only contain letters, digits, spaces and hyphens (got {s:?})"))
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_currency(s: &str) -> bool {
    ISO_4217.binary_search(&s).is_ok()
}

fn check_currency(v: &mut Violations, path: &str, value: &Value) {
    if let Some(c) = v.string(path, value) {
        if !is_currency(c) {
            v.push(
                path,
                format!("must be an active uppercase ISO 4217 code (got {c:?})"),
            );
        }
    }
}

fn check_data(v: &mut Violations, p: &str, data: &Value, event_type: Option<&str>) {
    let Some(obj) = data.as_object() else {
        v.push(p, format!("must be an object (got {})", kind(data)));
        return;
    };
    let expected = event_type.and_then(data_shape);
    let type_path = format!("{p}.type");
    let given = match obj.get("type") {
        None => {
            v.missing(&type_path);
            None
        }
        Some(t) => v.string(&type_path, t),
    };
    match (given, expected, event_type) {
        (Some(g), Some(e), Some(t)) if g != e => v.push(
            &type_path,
            format!("must be {e:?} for {t} events (got {g:?})"),
        ),
        (Some(g), None, _) if !["contents", "customer_action", "plan_enrollment", "custom"].contains(&g) => v.push(
            &type_path,
            format!("unknown data type {g:?} (expected contents, customer_action, plan_enrollment or custom)"),
        ),
        _ => {}
    }
    // Which shape's key rules apply: the event type's, else the one data.type names.
    let shape = expected.or(given);

    let amount = obj.get("amount");
    if let Some(a) = amount {
        v.integer(&format!("{p}.amount"), a);
    }
    let currency = obj.get("currency");
    match currency {
        Some(c) => check_currency(v, &format!("{p}.currency"), c),
        None if amount.is_some() => {
            v.push(&format!("{p}.currency"), "required when amount is present")
        }
        None => {}
    }
    let event_currency = currency.is_some();

    for (key, value) in obj {
        let path = format!("{p}.{key}");
        match key.as_str() {
            "type" | "amount" | "currency" => {}
            "contents" => {
                if shape == Some("customer_action") {
                    v.push(&path, "not allowed on customer_action data");
                } else {
                    check_contents(v, &path, value, event_currency);
                }
            }
            "plan_id" => match shape {
                Some("plan_enrollment" | "custom") => {
                    v.string(&path, value);
                }
                Some(s) => v.push(
                    &path,
                    format!("only allowed on plan_enrollment and custom data (data is {s})"),
                ),
                None => {}
            },
            _ => match shape {
                Some("custom") | None => {}
                Some(s) => v.push(
                    &path,
                    format!("unknown field (custom properties are only allowed on custom data; data is {s})"),
                ),
            },
        }
    }
}

fn check_contents(v: &mut Violations, p: &str, value: &Value, event_currency: bool) {
    let Value::Array(items) = value else {
        v.push(
            p,
            format!("must be an array of content items (got {})", kind(value)),
        );
        return;
    };
    if items.is_empty() {
        v.push(p, "must not be an empty array (omit the field instead)");
    }
    for (i, item) in items.iter().enumerate() {
        let ip = format!("{p}[{i}]");
        let Some(obj) = item.as_object() else {
            v.push(&ip, format!("must be an object (got {})", kind(item)));
            continue;
        };
        for (key, val) in obj {
            let path = format!("{ip}.{key}");
            match key.as_str() {
                "id" | "name" | "group_id" => {
                    v.string(&path, val);
                }
                "content_type" => v.non_empty_string(&path, val),
                "quantity" | "amount" => {
                    v.integer(&path, val);
                }
                "currency" => check_currency(v, &path, val),
                "variant_dict" => check_variant_dict(v, &path, val),
                _ => v.unknown(&path),
            }
        }
        if !obj.contains_key("content_type") {
            v.push(
                &format!("{ip}.content_type"),
                "Missing required field (send e.g. \"product\")",
            );
        }
        if obj.contains_key("amount") && !obj.contains_key("currency") && !event_currency {
            v.push(
                &format!("{ip}.currency"),
                "required when amount is present (on the item or on data)",
            );
        }
    }
}

fn check_variant_dict(v: &mut Violations, p: &str, value: &Value) {
    let Some(obj): Option<&Map<String, Value>> = value.as_object() else {
        v.push(
            p,
            format!("must be an object of string values (got {})", kind(value)),
        );
        return;
    };
    for (key, val) in obj {
        v.string(&format!("{p}.{key}"), val);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_790_000_000_000;
    const DAY: u64 = 24 * 60 * 60 * 1000;

    /// The v4 example of section 6 of the API doc, timestamps set to "now".
    fn example() -> Value {
        json!({
          "validate_only": false,
          "integration_source": "acme_envoy_capi",
          "events": [
            {
              "id": "order_100045",
              "type": "order_created",
              "timestamp_ms": NOW,
              "action_source": "web",
              "source_url": "https://shop.example.com/checkout/confirmation",
              "oppref": "<raw value from ?oppref= or the __oppref cookie>",
              "opt_out": false,
              "user": {
                "obref": "123e4567-e89b-42d3-a456-426614174000",
                "emails_sha256": ["86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d"],
                "phone_numbers_sha256": ["758fbf68945f21c416814c539ab578876c8d98fb69e6da692def92cd52417fe0"],
                "external_ids_sha256": ["e1c1fb4e69054c57bb29fcbf15ee24b728882bfc2008367e81c29745be049aca"],
                "first_names_sha256": ["81f8f6dde88365f3928796ec7aa53f72820b06db8664f5fe76a7eb13e24546a2"],
                "last_names_sha256": ["799ef92a11af918e3fb741df42934f3b568ed2d93ac1df74f1b8d41a27932a6f"],
                "countries": ["US"],
                "regions": ["California"],
                "cities": ["San Francisco"],
                "postal_codes": ["94107"],
                "ip_address": "203.0.113.1",
                "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)"
              },
              "data": {
                "type": "contents",
                "amount": 5198,
                "currency": "USD",
                "contents": [
                  { "id": "sku_123", "name": "Starter bundle", "content_type": "product",
                    "quantity": 2, "amount": 2599, "currency": "USD" }
                ]
              }
            },
            {
              "id": "lead_77",
              "type": "custom",
              "custom_event_name": "quote_requested",
              "timestamp_ms": NOW + 5000,
              "action_source": "web",
              "source_url": "https://shop.example.com/quote",
              "data": { "type": "custom", "plan_id": "enterprise", "tier": "gold" }
            }
          ]
        })
    }

    /// Violations of the example after `change`.
    fn after(change: impl FnOnce(&mut Value)) -> Vec<String> {
        let mut body = example();
        change(&mut body);
        validate_body(&body, NOW)
    }

    fn ev0(body: &mut Value) -> &mut Value {
        &mut body["events"][0]
    }

    fn remove(value: &mut Value, key: &str) {
        value.as_object_mut().unwrap().remove(key);
    }

    /// Asserts exactly one violation, starting with `path: ` and containing `what`.
    #[track_caller]
    fn assert_one(violations: &[String], path: &str, what: &str) {
        assert_eq!(
            violations.len(),
            1,
            "expected one violation, got {violations:#?}"
        );
        let v = &violations[0];
        assert!(
            v.starts_with(&format!("{path}: ")) && v.contains(what),
            "expected `{path}: …{what}…`, got {v:?}"
        );
    }

    #[test]
    fn the_v4_example_passes() {
        assert_eq!(validate_body(&example(), NOW), Vec::<String>::new());
    }

    #[test]
    fn a_minimal_event_passes() {
        let body = json!({"events": [{
            "id": "e1", "type": "page_viewed", "timestamp_ms": NOW,
            "action_source": "offline", "data": {"type": "contents"}
        }]});
        assert_eq!(validate_body(&body, NOW), Vec::<String>::new());
    }

    #[test]
    fn body_must_be_an_object() {
        assert_one(&validate_body(&json!([]), NOW), "body", "JSON object");
    }

    #[test]
    fn unknown_top_level_key() {
        assert_one(&after(|b| b["pid"] = json!("x")), "pid", "unknown field");
    }

    #[test]
    fn validate_only_must_be_bool() {
        assert_one(
            &after(|b| b["validate_only"] = json!("true")),
            "validate_only",
            "boolean",
        );
    }

    #[test]
    fn integration_source_rules() {
        assert!(after(|b| b["integration_source"] = json!("  Acme.Envoy-1_x ")).is_empty());
        assert_one(
            &after(|b| b["integration_source"] = json!("-acme")),
            "integration_source",
            "start",
        );
        assert_one(
            &after(|b| b["integration_source"] = json!("acme envoy")),
            "integration_source",
            "may only contain",
        );
        assert_one(
            &after(|b| b["integration_source"] = json!("a".repeat(65))),
            "integration_source",
            "1 to 64",
        );
        assert_one(
            &after(|b| b["integration_source"] = json!("   ")),
            "integration_source",
            "1 to 64",
        );
        assert_one(
            &after(|b| b["integration_source"] = json!(7)),
            "integration_source",
            "string",
        );
    }

    #[test]
    fn events_required_and_sized() {
        assert_one(
            &after(|b| remove(b, "events")),
            "events",
            "Missing required field",
        );
        assert_one(&after(|b| b["events"] = json!([])), "events", "1 to 1000");
        assert_one(&after(|b| b["events"] = json!({})), "events", "array");
        let many = after(|b| {
            let e = b["events"][1].clone();
            b["events"] = Value::Array(vec![e; 1001]);
        });
        assert_one(&many, "events", "got 1001");
        let thousand = after(|b| {
            let e = b["events"][1].clone();
            b["events"] = Value::Array(vec![e; 1000]);
        });
        assert!(thousand.is_empty());
    }

    #[test]
    fn event_must_be_object() {
        assert_one(
            &after(|b| b["events"][1] = json!("x")),
            "events[1]",
            "object",
        );
    }

    #[test]
    fn unknown_event_keys() {
        assert_one(
            &after(|b| ev0(b)["event_name"] = json!("x")),
            "events[0].event_name",
            "unknown field",
        );
        assert_one(
            &after(|b| ev0(b)["oppcref"] = json!("x")),
            "events[0].oppcref",
            "unknown field",
        );
    }

    #[test]
    fn id_rules() {
        assert_one(
            &after(|b| remove(ev0(b), "id")),
            "events[0].id",
            "Missing required field",
        );
        assert_one(
            &after(|b| ev0(b)["id"] = json!("")),
            "events[0].id",
            "empty",
        );
        assert_one(
            &after(|b| ev0(b)["id"] = json!(5)),
            "events[0].id",
            "string",
        );
    }

    #[test]
    fn type_rules() {
        assert_one(
            &after(|b| remove(ev0(b), "type")),
            "events[0].type",
            "Missing required field",
        );
        // The data shape no longer has an expected type, so only the type is reported.
        assert_one(
            &after(|b| ev0(b)["type"] = json!("purchase")),
            "events[0].type",
            "unknown event type",
        );
        for t in EVENT_TYPES {
            assert!(data_shape(t).is_some(), "{t}");
        }
    }

    #[test]
    fn custom_event_name_rules() {
        assert_one(
            &after(|b| remove(&mut b["events"][1], "custom_event_name")),
            "events[1].custom_event_name",
            "required when type is custom",
        );
        assert_one(
            &after(|b| ev0(b)["custom_event_name"] = json!("x")),
            "events[0].custom_event_name",
            "only allowed when type is custom",
        );
        assert!(
            after(|b| b["events"][1]["custom_event_name"] = json!("Quote-Requested_2")).is_empty()
        );
        for (bad, what) in [
            ("-quote", "start and end"),
            ("quote_", "start and end"),
            ("quote requested", "may only contain"),
            ("quöte", "may only contain"),
            ("", "1 to 64"),
            (&"q".repeat(65), "1 to 64"),
            ("Order_Created", "standard event type"),
            ("custom", "standard event type"),
        ] {
            assert_one(
                &after(|b| b["events"][1]["custom_event_name"] = json!(bad)),
                "events[1].custom_event_name",
                what,
            );
        }
    }

    #[test]
    fn timestamp_rules() {
        let ts = "events[0].timestamp_ms";
        assert_one(
            &after(|b| remove(ev0(b), "timestamp_ms")),
            ts,
            "Missing required field",
        );
        assert_one(
            &after(|b| ev0(b)["timestamp_ms"] = json!(NOW.to_string())),
            ts,
            "integer",
        );
        assert_one(
            &after(|b| ev0(b)["timestamp_ms"] = json!(NOW as f64)),
            ts,
            "not a float",
        );
        assert_one(
            &after(|b| ev0(b)["timestamp_ms"] = json!(NOW - 7 * DAY - 1)),
            ts,
            "7 days in the past",
        );
        assert_one(
            &after(|b| ev0(b)["timestamp_ms"] = json!(NOW + 600_001)),
            ts,
            "10 minutes in the future",
        );
        assert_one(
            &after(|b| ev0(b)["timestamp_ms"] = json!(-1)),
            ts,
            "7 days in the past",
        );
        assert!(after(|b| ev0(b)["timestamp_ms"] = json!(NOW - 7 * DAY)).is_empty());
        assert!(after(|b| ev0(b)["timestamp_ms"] = json!(NOW + 600_000)).is_empty());
    }

    #[test]
    fn action_source_rules() {
        let p = "events[0].action_source";
        // Without action_source the web-only source_url rule does not apply.
        assert_one(
            &after(|b| remove(ev0(b), "action_source")),
            p,
            "Missing required field",
        );
        assert_one(
            &after(|b| ev0(b)["action_source"] = json!("website")),
            p,
            "unknown action source",
        );
        let app = |t: &str, source: &str| {
            json!({"events": [{
                "id": "a1", "type": t, "timestamp_ms": NOW, "action_source": source,
                "data": {"type": "customer_action"}
            }]})
        };
        assert!(validate_body(&app("app_installed", "mobile_app"), NOW).is_empty());
        assert!(validate_body(&app("app_opened", "mobile_app"), NOW).is_empty());
        assert_one(
            &validate_body(&app("app_opened", "other"), NOW),
            p,
            "must be mobile_app",
        );
    }

    #[test]
    fn source_url_rules() {
        let p = "events[0].source_url";
        assert_one(
            &after(|b| remove(ev0(b), "source_url")),
            p,
            "required when action_source is web",
        );
        assert!(after(|b| {
            remove(ev0(b), "source_url");
            ev0(b)["action_source"] = json!("email");
        })
        .is_empty());
        for bad in [
            "shop.example.com/checkout",
            "ftp://shop.example.com/x",
            "https://",
            "https:shop.example.com",
            "https://shop example.com/",
            "",
            "/checkout",
        ] {
            assert_one(&after(|b| ev0(b)["source_url"] = json!(bad)), p, "");
        }
        // Still checked when not required.
        assert_one(
            &after(|b| {
                ev0(b)["action_source"] = json!("offline");
                ev0(b)["source_url"] = json!("nope");
            }),
            p,
            "absolute",
        );
        assert!(after(|b| ev0(b)["source_url"] = json!("HTTP://shop.example.com:8080")).is_empty());
    }

    #[test]
    fn oppref_and_opt_out() {
        assert_one(
            &after(|b| ev0(b)["oppref"] = json!("")),
            "events[0].oppref",
            "empty",
        );
        assert_one(
            &after(|b| ev0(b)["oppref"] = json!(null)),
            "events[0].oppref",
            "string",
        );
        assert_one(
            &after(|b| ev0(b)["opt_out"] = json!("false")),
            "events[0].opt_out",
            "boolean",
        );
    }

    #[test]
    fn user_hash_lists() {
        for field in HASH_LISTS {
            let p = format!("events[0].user.{field}");
            let set = |v: Value| after(|b| ev0(b)["user"][field] = v);
            assert_one(
                &set(json!([
                    "B4C9A289323B21A01C3E940F150EB9B8C542587F1ABFD8F0E1CC1FFC5E475514"
                ])),
                &format!("{p}[0]"),
                "must be lowercase 64-char hex",
            );
            assert_one(
                &set(json!([
                    "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e47551"
                ])),
                &format!("{p}[0]"),
                "must be lowercase 64-char hex",
            );
            assert_one(
                &set(json!(["user@example.com"])),
                &format!("{p}[0]"),
                "must be lowercase 64-char hex",
            );
            assert_one(&set(json!([])), &p, "empty array");
            assert_one(
                &set(json!(
                    "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"
                )),
                &p,
                "array",
            );
            assert_one(&set(json!([1])), &format!("{p}[0]"), "string");
        }
        let two = after(|b| {
            ev0(b)["user"]["emails_sha256"] = json!([
                "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514",
                "NOT-HEX"
            ])
        });
        assert_one(&two, "events[0].user.emails_sha256[1]", "hex");
    }

    #[test]
    fn user_raw_fields() {
        let set = |field: &str, v: Value| after(|b| ev0(b)["user"][field] = v);
        assert_one(
            &set("countries", json!(["us"])),
            "events[0].user.countries[0]",
            "2-letter uppercase",
        );
        assert_one(
            &set("countries", json!(["USA"])),
            "events[0].user.countries[0]",
            "2-letter uppercase",
        );
        assert_one(
            &set("countries", json!([])),
            "events[0].user.countries",
            "empty array",
        );
        assert_one(
            &set("cities", json!([""])),
            "events[0].user.cities[0]",
            "empty",
        );
        assert_one(
            &set("cities", json!(["x".repeat(129)])),
            "events[0].user.cities[0]",
            "128",
        );
        assert!(set("cities", json!(["é".repeat(128)])).is_empty());
        assert_one(
            &set("regions", json!(["  "])),
            "events[0].user.regions[0]",
            "blank",
        );
        assert_one(
            &set("regions", json!([])),
            "events[0].user.regions",
            "empty array",
        );
        assert_one(
            &set("postal_codes", json!(["941_07"])),
            "events[0].user.postal_codes[0]",
            "letters, digits",
        );
        assert_one(
            &set("postal_codes", json!(["1".repeat(33)])),
            "events[0].user.postal_codes[0]",
            "1 to 32",
        );
        assert!(set("postal_codes", json!(["SW1A 1AA", "12345-6789"])).is_empty());
        assert_one(&set("obref", json!(" ")), "events[0].user.obref", "blank");
        assert_one(
            &set("ip_address", json!("999.1.1.1")),
            "events[0].user.ip_address",
            "IPv4 or IPv6",
        );
        assert!(set("ip_address", json!("2001:db8::1")).is_empty());
        assert_one(
            &set("user_agent", json!("")),
            "events[0].user.user_agent",
            "empty",
        );
        assert_one(
            &set("android_advertising_id", json!("not-a-uuid")),
            "events[0].user.android_advertising_id",
            "UUID",
        );
        assert!(set(
            "android_advertising_id",
            json!("38400000-8cf0-11bd-b23e-10b96e40000d")
        )
        .is_empty());
    }

    #[test]
    fn user_unknown_and_legacy_fields() {
        for legacy in [
            "email_sha256",
            "external_id_sha256",
            "city",
            "zip_code",
            "country",
            "phone_number_sha256",
        ] {
            let p = format!("events[0].user.{legacy}");
            assert_one(
                &after(|b| ev0(b)["user"][legacy] = json!("x")),
                &p,
                "legacy singular field",
            );
        }
        assert_one(
            &after(|b| ev0(b)["user"]["date_of_births_sha256"] = json!([])),
            "events[0].user.date_of_births_sha256",
            "unknown field",
        );
        assert_one(
            &after(|b| ev0(b)["user"] = json!({})),
            "events[0].user",
            "empty object",
        );
        assert_one(
            &after(|b| ev0(b)["user"] = json!([])),
            "events[0].user",
            "object",
        );
    }

    #[test]
    fn data_type_rules() {
        assert_one(
            &after(|b| remove(ev0(b), "data")),
            "events[0].data",
            "Missing required field",
        );
        assert_one(
            &after(|b| ev0(b)["data"] = json!("contents")),
            "events[0].data",
            "object",
        );
        assert_one(
            &after(|b| remove(&mut ev0(b)["data"], "type")),
            "events[0].data.type",
            "Missing required field",
        );
        assert_one(
            &after(|b| ev0(b)["data"]["type"] = json!("customer_action")),
            "events[0].data.type",
            "must be \"contents\" for order_created",
        );
        let shaped = |t: &str, shape: &str| {
            json!({"events": [{
                "id": "x", "type": t, "timestamp_ms": NOW, "action_source": "other",
                "custom_event_name": if t == "custom" { json!("my_event") } else { Value::Null },
                "data": {"type": shape}
            }]})
        };
        for t in EVENT_TYPES {
            let shape = data_shape(t).unwrap();
            let mut body = shaped(t, shape);
            if t != "custom" {
                remove(&mut body["events"][0], "custom_event_name");
            }
            if t.starts_with("app_") {
                body["events"][0]["action_source"] = json!("mobile_app");
            }
            assert!(validate_body(&body, NOW).is_empty(), "{t}");
        }
    }

    #[test]
    fn money_rules() {
        let p = "events[0].data";
        assert_one(
            &after(|b| ev0(b)["data"]["amount"] = json!(51.98)),
            &format!("{p}.amount"),
            "not a float",
        );
        assert_one(
            &after(|b| ev0(b)["data"]["amount"] = json!(5198.0)),
            &format!("{p}.amount"),
            "not a float",
        );
        assert_one(
            &after(|b| ev0(b)["data"]["amount"] = json!("5198")),
            &format!("{p}.amount"),
            "integer",
        );
        assert_one(
            &after(|b| ev0(b)["data"]["currency"] = json!("usd")),
            &format!("{p}.currency"),
            "active uppercase ISO 4217",
        );
        assert_one(
            &after(|b| ev0(b)["data"]["currency"] = json!("USDT")),
            &format!("{p}.currency"),
            "active uppercase ISO 4217",
        );
        for not_iso in ["BTC", "EUR0", "US$", "ANG", "XAU", "XTS", "ABC"] {
            assert_one(
                &after(|b| ev0(b)["data"]["currency"] = json!(not_iso)),
                &format!("{p}.currency"),
                "active uppercase ISO 4217",
            );
        }
        assert!(
            ISO_4217.windows(2).all(|w| w[0] < w[1]),
            "sorted for binary search"
        );
        assert_one(
            &after(|b| remove(&mut ev0(b)["data"], "currency")),
            &format!("{p}.currency"),
            "required when amount is present",
        );
    }

    #[test]
    fn shape_specific_keys() {
        let lead = |data: Value| {
            json!({"events": [{
                "id": "l", "type": "lead_created", "timestamp_ms": NOW, "action_source": "web",
                "source_url": "https://a.example/", "data": data
            }]})
        };
        assert_one(
            &validate_body(
                &lead(
                    json!({"type": "customer_action", "contents": [{"content_type": "product"}]}),
                ),
                NOW,
            ),
            "events[0].data.contents",
            "not allowed on customer_action",
        );
        assert_one(
            &validate_body(
                &lead(json!({"type": "customer_action", "plan_id": "p"})),
                NOW,
            ),
            "events[0].data.plan_id",
            "only allowed on plan_enrollment and custom",
        );
        assert!(validate_body(
            &lead(json!({"type": "customer_action", "amount": 100, "currency": "EUR"})),
            NOW
        )
        .is_empty());
        assert_one(
            &after(|b| ev0(b)["data"]["tier"] = json!("gold")),
            "events[0].data.tier",
            "custom properties are only allowed on custom data",
        );
        assert_one(
            &after(|b| ev0(b)["data"]["plan_id"] = json!("p")),
            "events[0].data.plan_id",
            "only allowed on plan_enrollment and custom",
        );
        let plan = |data: Value| {
            json!({"events": [{
                "id": "s", "type": "subscription_created", "timestamp_ms": NOW,
                "action_source": "email", "data": data
            }]})
        };
        assert!(validate_body(&plan(json!({"type": "plan_enrollment", "plan_id": "pro", "amount": 999, "currency": "USD",
            "contents": [{"id": "pro", "content_type": "plan"}]})), NOW).is_empty());
        assert_one(
            &validate_body(&plan(json!({"type": "plan_enrollment", "plan_id": 3})), NOW),
            "events[0].data.plan_id",
            "string",
        );
        // Custom data takes any extra keys with any JSON values.
        assert!(after(|b| {
            b["events"][1]["data"]["extra"] = json!({"nested": [1, null, true]});
            b["events"][1]["data"]["nothing"] = Value::Null;
        })
        .is_empty());
    }

    #[test]
    fn content_item_rules() {
        let item = "events[0].data.contents[0]";
        let set = |key: &str, v: Value| after(|b| ev0(b)["data"]["contents"][0][key] = v);
        assert_one(
            &after(|b| remove(&mut ev0(b)["data"]["contents"][0], "content_type")),
            &format!("{item}.content_type"),
            "Missing required field",
        );
        assert_one(
            &set("content_type", json!("")),
            &format!("{item}.content_type"),
            "empty",
        );
        assert_one(
            &set("quantity", json!("2")),
            &format!("{item}.quantity"),
            "integer",
        );
        assert_one(
            &set("quantity", json!(2.0)),
            &format!("{item}.quantity"),
            "not a float",
        );
        assert_one(
            &set("amount", json!(25.99)),
            &format!("{item}.amount"),
            "not a float",
        );
        assert_one(
            &set("currency", json!("eur")),
            &format!("{item}.currency"),
            "active uppercase ISO 4217",
        );
        assert_one(
            &set("price", json!(1)),
            &format!("{item}.price"),
            "unknown field",
        );
        assert_one(
            &set("variant_dict", json!("size=m")),
            &format!("{item}.variant_dict"),
            "object",
        );
        assert_one(
            &set("variant_dict", json!({"size": 3})),
            &format!("{item}.variant_dict.size"),
            "string",
        );
        assert!(set("variant_dict", json!({"size": "medium", "color": "red"})).is_empty());
        assert!(set("group_id", json!("bundle")).is_empty());
        assert_one(
            &set("group_id", json!(1)),
            &format!("{item}.group_id"),
            "string",
        );
        // Item amount: the event-level currency covers it ...
        assert!(after(|b| remove(&mut ev0(b)["data"]["contents"][0], "currency")).is_empty());
        // ... but with neither, the item's currency is reported (and the event's, for its amount).
        let none = after(|b| {
            remove(&mut ev0(b)["data"], "amount");
            remove(&mut ev0(b)["data"], "currency");
            remove(&mut ev0(b)["data"]["contents"][0], "currency");
        });
        assert_one(
            &none,
            &format!("{item}.currency"),
            "required when amount is present",
        );
        assert_one(
            &after(|b| ev0(b)["data"]["contents"] = json!([])),
            "events[0].data.contents",
            "empty array",
        );
        assert_one(
            &after(|b| ev0(b)["data"]["contents"] = json!({})),
            "events[0].data.contents",
            "array",
        );
        assert_one(
            &after(|b| ev0(b)["data"]["contents"] = json!(["sku"])),
            item,
            "object",
        );
    }

    #[test]
    fn all_violations_are_reported() {
        let v = after(|b| {
            ev0(b)["user"]["emails_sha256"] = json!(["UPPER"]);
            ev0(b)["data"]["amount"] = json!(1.5);
            b["events"][1]["custom_event_name"] = json!("page_viewed");
        });
        assert_eq!(v.len(), 3, "{v:#?}");
    }

    fn headers(auth: &str, ct: &str) -> Vec<(String, String)> {
        vec![
            ("authorization".to_owned(), auth.to_owned()),
            ("content-type".to_owned(), ct.to_owned()),
        ]
    }

    fn check(
        method: &str,
        path: &str,
        query: &str,
        h: &[(String, String)],
        body: &[u8],
    ) -> Verdict {
        check_request(&StandinConfig::default(), method, path, query, h, body, NOW).0
    }

    #[test]
    fn request_level_rules() {
        let body = example().to_string();
        let body = body.as_bytes();
        let good = headers("Bearer test-api-key", "application/json");
        let ok = check("POST", "/v1/events", "pid=test-pixel", &good, body);
        assert_eq!((ok.status, ok.violations.len()), (200, 0), "{ok:?}");
        assert!(check(
            "POST",
            "/v1/events",
            "pid=test-pixel",
            &headers("Bearer test-api-key", "application/json; charset=utf-8"),
            body
        )
        .violations
        .is_empty());
        // Percent-encoded pid.
        assert_eq!(
            check("POST", "/v1/events", "x=1&pid=test%2Dpixel", &good, body).status,
            200
        );

        let v = check("GET", "/v1/events", "pid=test-pixel", &good, b"");
        assert_eq!(v.status, 405);
        assert!(v.message.starts_with("method: "), "{v:?}");
        let v = check("POST", "/v1/event", "pid=test-pixel", &good, body);
        assert_eq!(v.status, 404);
        assert!(v.message.starts_with("path: "), "{v:?}");

        for auth in [
            "Bearer wrong",
            "bearer test-api-key",
            "test-api-key",
            "Bearer  test-api-key",
        ] {
            let v = check(
                "POST",
                "/v1/events",
                "pid=test-pixel",
                &headers(auth, "application/json"),
                body,
            );
            assert_eq!(v.status, 401, "{auth}");
            assert_eq!(v.message, "Missing or invalid Authorization");
        }
        let no_auth = vec![("content-type".to_owned(), "application/json".to_owned())];
        let v = check("POST", "/v1/events", "pid=test-pixel", &no_auth, body);
        assert_eq!(
            (v.status, v.message.as_str()),
            (401, "Missing or invalid Authorization")
        );

        for query in [
            "",
            "pid=other",
            "pid=test-pixel&pid=test-pixel",
            "pixel=test-pixel",
        ] {
            let v = check("POST", "/v1/events", query, &good, body);
            assert_eq!(v.status, 400, "{query}");
            assert!(v.message.starts_with("pid: "), "{v:?}");
        }
        let v = check(
            "POST",
            "/v1/events",
            "pid=test-pixel",
            &headers("Bearer test-api-key", "text/plain"),
            body,
        );
        assert_eq!(v.status, 400);
        assert!(v.message.starts_with("content-type: "), "{v:?}");

        let v = check("POST", "/v1/events", "pid=test-pixel", &good, b"{not json");
        assert_eq!(v.status, 400);
        assert!(v.message.starts_with("body: not valid JSON"), "{v:?}");
        let v = check("POST", "/v1/events", "pid=test-pixel", &good, b"");
        assert!(v.message.starts_with("body: empty"), "{v:?}");

        // Several violations: all recorded, joined with "; " in the message.
        let v = check(
            "POST",
            "/v1/events",
            "pid=x",
            &headers("Bearer test-api-key", "text/plain"),
            b"{\"events\":[]}",
        );
        assert_eq!(v.violations.len(), 3, "{v:?}");
        assert_eq!(v.message, v.violations.join("; "));
    }
}
