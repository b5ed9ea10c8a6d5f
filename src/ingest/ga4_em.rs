//! Enhanced-conversions user data carried in the GA4 `em` parameter (gtag.js user-provided
//! data): `tv.1~em.<hash>~pn.<hash>~fn0.<hash>~ln0.<hash>~sa0.<hash>~ct0.<city>~rg0.<region>~
//! pc0.<postal>~co0.<country>`. This module decodes it into `user_data.*` the way CAPI mappers read
//! it: hashes as lowercase hex (gtag sends 64-char hex or 43-char unpadded base64url), plain
//! address fields as text, error codes (`e<digits>`) ignored. `em` and `pn` may repeat and
//! addresses are numbered: up to three distinct emails and phones (one as a string, several as an
//! array) and addresses 0–2 (one as an object, several as an array) are kept, the first value of
//! a repeated address field wins, and the rest is ignored. Values already present from event
//! parameters are never overwritten.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::scan::split_ascii;
use super::{form, note};
use crate::event::{EventData, Map, Value};

/// Emails, phones and addresses kept: the Conversions API reads three values per list.
const MAX_VALUES: usize = 3;

/// Address field code (before its index) → (key below `user_data.address`, hashed?).
const ADDRESS_FIELDS: [(&str, &str, bool); 7] = [
    ("fn", "sha256_first_name", true),
    ("ln", "sha256_last_name", true),
    ("sa", "sha256_street", true),
    ("ct", "city", false),
    ("rg", "region", false),
    ("pc", "postal_code", false),
    ("co", "country", false),
];

/// What one `em` value decodes to, before it is written into `user_data`.
#[derive(Default)]
struct Found {
    emails: Vec<String>,
    phones: Vec<String>,
    addresses: [Map<'static>; MAX_VALUES],
}

impl Found {
    fn is_empty(&self) -> bool {
        self.emails.is_empty() && self.phones.is_empty() && self.addresses.iter().all(Map::is_empty)
    }
}

/// Where a token's value goes.
enum Target {
    Email,
    Phone,
    Address {
        index: usize,
        key: &'static str,
        hashed: bool,
    },
}

/// The target of field `field` (`em`, `pn`, `fn0`, `ct12`, …); `None` for any other field and
/// for addresses past the third.
fn target(field: &str) -> Option<Target> {
    match field {
        "em" => return Some(Target::Email),
        "pn" => return Some(Target::Phone),
        _ => {}
    }
    let code = field.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = field.get(code.len()..)?;
    if !(1..=2).contains(&digits.len()) {
        return None;
    }
    let (_, key, hashed) = ADDRESS_FIELDS.iter().find(|(c, _, _)| *c == code)?;
    let index = digits.parse::<usize>().ok().filter(|i| *i < MAX_VALUES)?;
    Some(Target::Address {
        index,
        key,
        hashed: *hashed,
    })
}

/// Decodes `raw` into `event.user_data`, with a note for anything skipped.
pub(super) fn decode_into(raw: &str, event: &mut EventData<'_>, notes: &mut Vec<String>) {
    let mut tokens = split_ascii(raw, b'~');
    if tokens.next() != Some("tv.1") {
        note(
            notes,
            "parameter `em` lacks the `tv.1` prefix; not decoded".to_owned(),
        );
        return;
    }
    let mut found = Found::default();
    for token in tokens {
        let Some(dot) = token.bytes().position(|b| b == b'.') else {
            continue;
        };
        // A dot is ASCII: both cuts are character boundaries.
        let (field, value) = (
            token.get(..dot).unwrap_or_default(),
            token.get(dot + 1..).unwrap_or_default(),
        );
        let Some(target) = target(field) else {
            continue;
        };
        // Past three emails or phones, and a repeated address field, are ignored.
        let hashed = match &target {
            Target::Email if found.emails.len() >= MAX_VALUES => continue,
            Target::Phone if found.phones.len() >= MAX_VALUES => continue,
            Target::Email | Target::Phone => true,
            Target::Address { index, key, hashed } => {
                if found
                    .addresses
                    .get(*index)
                    .is_none_or(|a| a.contains_key(key))
                {
                    continue;
                }
                *hashed
            }
        };
        if value.is_empty() {
            continue;
        }
        // `field` matched a known code above: it is safe to name in a note.
        if is_error_code(value) {
            note(
                notes,
                format!("`em` field `{field}` carries an error code; ignored"),
            );
            continue;
        }
        let decoded = if hashed {
            hash_hex(value)
        } else {
            // Plain fields are URI-encoded inside `em` (`ct0.bad%20wenigstadt`).
            Some(form::decode(value.as_bytes(), false).unwrap_or_else(|_| value.to_owned()))
        };
        let Some(text) = decoded else {
            note(
                notes,
                format!("`em` field `{field}` is not a SHA-256 hash; ignored"),
            );
            continue;
        };
        match target {
            Target::Email => push_distinct(&mut found.emails, text),
            Target::Phone => push_distinct(&mut found.phones, text),
            Target::Address { index, key, .. } => {
                if let Some(address) = found.addresses.get_mut(index) {
                    address.insert(key, Value::from(text));
                }
            }
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
    for (key, values) in [
        ("sha256_email_address", found.emails),
        ("sha256_phone_number", found.phones),
    ] {
        if let Some(value) = one_or_many(values, Value::from) {
            user_data.insert_if_absent(key, value);
        }
    }
    merge_addresses(user_data, found.addresses, notes);
}

fn push_distinct(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// One value as itself, several as an array, none as nothing.
fn one_or_many<T>(mut values: Vec<T>, to_value: fn(T) -> Value<'static>) -> Option<Value<'static>> {
    match values.len() {
        0 => None,
        1 => values.pop().map(to_value),
        _ => Some(Value::Array(values.into_iter().map(to_value).collect())),
    }
}

/// Writes the decoded addresses into `user_data.address`, index by index, never replacing a
/// value the event parameters set. An address object from the parameters is address 0; it
/// becomes the first element of an array when `em` carries more addresses.
fn merge_addresses(
    user_data: &mut Map<'_>,
    found: [Map<'static>; MAX_VALUES],
    notes: &mut Vec<String>,
) {
    // Addresses up to the last one `em` filled; an empty one before it keeps its index.
    let Some(count) = found
        .iter()
        .rposition(|a| !a.is_empty())
        .map(|last| last + 1)
    else {
        return;
    };
    let mut found = found.into_iter().take(count);
    if !user_data.contains_key("address") {
        let value = match (found.next(), count) {
            (Some(only), 1) => Value::Object(only),
            (first, _) => Value::Array(first.into_iter().chain(found).map(Value::Object).collect()),
        };
        user_data.insert("address", value);
        return;
    }
    let Some(existing) = user_data.get_mut("address") else {
        return;
    };
    if let (Value::Object(_), true) = (&existing, count > 1) {
        let first = existing.take();
        *existing = Value::Array(vec![first]);
    }
    match existing {
        // One address: several made the object an array above.
        Value::Object(map) => {
            if let Some(address) = found.next() {
                fill_absent(map, address);
            }
        }
        Value::Array(list) => {
            for (index, address) in found.enumerate() {
                let len = list.len();
                match list.get_mut(index) {
                    Some(Value::Object(map)) => fill_absent(map, address),
                    None if index == len => list.push(Value::Object(address)),
                    _ => note(
                        notes,
                        format!("`user_data.address` has no object {index} to extend"),
                    ),
                }
            }
        }
        _ => note(notes, "`user_data.address` is not an object".to_owned()),
    }
}

fn fill_absent<'a>(target: &mut Map<'a>, from: Map<'a>) {
    for (key, value) in from {
        target.insert_if_absent(key, value);
    }
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
mod tests;
