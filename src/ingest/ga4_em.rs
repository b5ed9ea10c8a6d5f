//! Enhanced-conversions user data carried in the GA4 `em` parameter (gtag.js user-provided
//! data): `tv.1~em.<hash>~pn.<hash>~fn0.<hash>~ln0.<hash>~sa0.<hash>~ct0.<city>~rg0.<region>~
//! pc0.<postal>~co0.<country>`. This module decodes it into `user_data.*` the way CAPI mappers read
//! it: hashes as lowercase hex (gtag sends 64-char hex or 43-char unpadded base64url), plain
//! address fields as text, address 0 only, first `em`/`pn` only, error codes (`e<digits>`)
//! ignored. Values already present from event parameters are never overwritten.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use super::scan::split_ascii;
use super::{form, note};
use crate::event::EventData;

/// Field → (key below `user_data`, hashed?).
const FIELDS: &[(&str, &[&str], bool)] = &[
    ("em", &["sha256_email_address"], true),
    ("pn", &["sha256_phone_number"], true),
    ("fn0", &["address", "sha256_first_name"], true),
    ("ln0", &["address", "sha256_last_name"], true),
    ("sa0", &["address", "sha256_street"], true),
    ("ct0", &["address", "city"], false),
    ("rg0", &["address", "region"], false),
    ("pc0", &["address", "postal_code"], false),
    ("co0", &["address", "country"], false),
];

/// Decodes `raw` into `event.user_data`, with a note for anything skipped.
pub(super) fn decode_into(raw: &str, event: &mut EventData, notes: &mut Vec<String>) {
    let mut tokens = split_ascii(raw, b'~');
    if tokens.next() != Some("tv.1") {
        note(
            notes,
            "parameter `em` lacks the `tv.1` prefix; not decoded".to_owned(),
        );
        return;
    }
    let mut found: Vec<(&[&str], String)> = Vec::new();
    for token in tokens {
        let Some(dot) = token.bytes().position(|b| b == b'.') else {
            continue;
        };
        // A dot is ASCII: both cuts are character boundaries.
        let (field, value) = (
            token.get(..dot).unwrap_or_default(),
            token.get(dot + 1..).unwrap_or_default(),
        );
        let Some((_, path, hashed)) = FIELDS.iter().find(|(f, _, _)| *f == field) else {
            continue;
        };
        if found.iter().any(|(p, _)| p == path) || value.is_empty() {
            continue;
        }
        if is_error_code(value) {
            note(
                notes,
                format!("`em` field `{field}` carries an error code; ignored"),
            );
            continue;
        }
        let decoded = if *hashed {
            hash_hex(value)
        } else {
            // Plain fields are URI-encoded inside `em` (`ct0.bad%20wenigstadt`).
            Some(form::decode(value.as_bytes(), false).unwrap_or_else(|_| value.to_owned()))
        };
        match decoded {
            Some(text) => found.push((path, text)),
            None => note(
                notes,
                format!("`em` field `{field}` is not a SHA-256 hash; ignored"),
            ),
        }
    }
    if found.is_empty() {
        note(notes, "parameter `em` carries no user data".to_owned());
        return;
    }
    let user_data = event.get_or_insert_with("user_data", || Value::Object(Map::new()));
    let Some(Value::Object(user_data)) = user_data else {
        note(
            notes,
            "`user_data` is not an object; `em` not decoded".to_owned(),
        );
        return;
    };
    for (path, text) in found {
        write_if_absent(user_data, path, text, notes);
    }
}

fn write_if_absent(
    user_data: &mut Map<String, Value>,
    path: &[&str],
    text: String,
    notes: &mut Vec<String>,
) {
    let (target, key) = match path {
        [key] => (user_data, *key),
        [parent, key] => {
            let entry = user_data
                .entry((*parent).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            match entry {
                Value::Object(map) => (map, *key),
                // An address sent as an array by event params: write into its first element.
                Value::Array(list) => match list.first_mut() {
                    Some(Value::Object(map)) => (map, *key),
                    _ => {
                        note(
                            notes,
                            format!("`user_data.{parent}` has no object to extend"),
                        );
                        return;
                    }
                },
                _ => {
                    note(notes, format!("`user_data.{parent}` is not an object"));
                    return;
                }
            }
        }
        _ => return,
    };
    target
        .entry(key.to_owned())
        .or_insert_with(|| Value::String(text));
}

/// `e<digits>`: gtag's marker for a field whose normalisation failed.
fn is_error_code(value: &str) -> bool {
    value
        .strip_prefix('e')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Lowercase hex of a SHA-256 digest sent as 64 hex characters or as 43 characters of unpadded
/// base64url (a trailing `=` is tolerated, and so is the standard alphabet).
fn hash_hex(value: &str) -> Option<String> {
    if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(value.to_ascii_lowercase());
    }
    let unpadded = value.trim_end_matches('=');
    if unpadded.len() != 43 {
        return None;
    }
    // The standard alphabet's `+` and `/` mapped to base64url's, on the stack.
    let mut url_safe = [0u8; 43];
    for (to, from) in url_safe.iter_mut().zip(unpadded.bytes()) {
        *to = match from {
            b'+' => b'-',
            b'/' => b'_',
            other => other,
        };
    }
    // 43 characters decode to 32 bytes; the spare room keeps the decoder's own bound check
    // from refusing a buffer that is exactly full.
    let mut digest = [0u8; 48];
    let len = URL_SAFE_NO_PAD.decode_slice(url_safe, &mut digest).ok()?;
    let digest = digest.get(..len)?;
    (digest.len() == 32).then(|| crate::payload::hex_lower(digest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HEX: &str = "bc4795ee8be72a7a92a83a67b1ad3de72cc8013906871a9e9f3ed884d7c4a4f5";
    const B64: &str = "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpPU";

    fn decode(raw: &str) -> (Value, Vec<String>) {
        let mut event = EventData::new();
        let mut notes = Vec::new();
        decode_into(raw, &mut event, &mut notes);
        (Value::from(event), notes)
    }

    #[test]
    fn base64url_and_hex_hashes_become_the_same_lowercase_hex() {
        assert_eq!(hash_hex(B64).as_deref(), Some(HEX));
        assert_eq!(hash_hex(&HEX.to_uppercase()).as_deref(), Some(HEX));
        assert_eq!(hash_hex(&format!("{B64}=")).as_deref(), Some(HEX));
        assert_eq!(hash_hex("abc"), None);
        assert_eq!(hash_hex(&"z".repeat(64)), None);
        assert_eq!(hash_hex(&"!".repeat(43)), None);
    }

    #[test]
    fn full_bundle_in_any_order() {
        let (got, notes) = decode(&format!(
            "tv.1~co0.DE~em.{B64}~pn.{HEX}~fn0.{HEX}~ln0.{B64}~sa0.{HEX}~ct0.bad%20wenigstadt\
             ~rg0.by~pc0.11234~em.{}~fn1.{HEX}",
            "a".repeat(64)
        ));
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(
            got,
            json!({"user_data": {
                "sha256_email_address": HEX, "sha256_phone_number": HEX,
                "address": {"sha256_first_name": HEX, "sha256_last_name": HEX,
                            "sha256_street": HEX, "city": "bad wenigstadt", "region": "by",
                            "postal_code": "11234", "country": "DE"}
            }})
        );
    }

    #[test]
    fn stubs_missing_prefix_error_codes_and_bad_hashes() {
        let (got, notes) = decode("tv.1");
        assert_eq!(got, json!({}));
        assert_eq!(notes, vec!["parameter `em` carries no user data"]);

        let (got, notes) = decode(&format!("em.{HEX}"));
        assert_eq!(got, json!({}));
        assert!(notes[0].contains("lacks the `tv.1` prefix"));

        let (got, notes) = decode(&format!("tv.1~ec.e3~em.e12~pn.{B64}"));
        assert_eq!(got, json!({"user_data": {"sha256_phone_number": HEX}}));
        assert_eq!(
            notes,
            vec!["`em` field `em` carries an error code; ignored"]
        );

        let (got, notes) = decode("tv.1~em.not-a-hash~co0.NO");
        assert_eq!(got, json!({"user_data": {"address": {"country": "NO"}}}));
        assert_eq!(
            notes,
            vec!["`em` field `em` is not a SHA-256 hash; ignored"]
        );
    }

    #[test]
    fn never_overwrites_user_data_from_event_params() {
        let mut event = EventData::new();
        event.insert(
            "user_data".to_owned(),
            json!({"sha256_email_address": "first", "address": [{"city": "Oslo"}]}),
        );
        let mut notes = Vec::new();
        decode_into(
            &format!("tv.1~em.{HEX}~ct0.bergen~co0.NO"),
            &mut event,
            &mut notes,
        );
        assert_eq!(
            Value::from(event),
            json!({"user_data": {"sha256_email_address": "first",
                                 "address": [{"city": "Oslo", "country": "NO"}]}})
        );
    }
}
