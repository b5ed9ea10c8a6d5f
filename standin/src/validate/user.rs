//! `events[].user`: only the v4 plural fields, each with its format (lowercase SHA-256 hex for
//! the hash lists, ISO 3166-1 countries, bounded places and postal codes, an IP address, a UUID
//! advertising id), and a pointer to the plural name when a legacy singular field is sent.

use super::violations::{kind, Violations};
use serde_json::Value;
use std::net::IpAddr;

pub(super) const HASH_LISTS: [&str; 5] = [
    "emails_sha256",
    "phone_numbers_sha256",
    "external_ids_sha256",
    "first_names_sha256",
    "last_names_sha256",
];

pub(super) fn check_user(v: &mut Violations, p: &str, user: &Value) {
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
