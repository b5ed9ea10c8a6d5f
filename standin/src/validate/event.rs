//! One event of `events[]`: its closed set of keys, `id`, `type` and `custom_event_name`, the
//! `timestamp_ms` window, `action_source` (with `mobile_app` for app events), `source_url`,
//! `oppref` and `opt_out`. The event's `user` and `data` objects are checked in `user` and
//! `data`.

use super::data::check_data;
use super::user::check_user;
use super::violations::{kind, Violations};
use serde_json::Value;

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

/// Oldest accepted `timestamp_ms`, relative to the server clock at receipt.
pub const MAX_AGE_MS: i128 = 7 * 24 * 60 * 60 * 1000;
/// Furthest accepted `timestamp_ms` into the future.
pub const MAX_FUTURE_MS: i128 = 10 * 60 * 1000;

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

pub(super) fn check_event(v: &mut Violations, p: &str, event: &Value, now_ms: i128) {
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
