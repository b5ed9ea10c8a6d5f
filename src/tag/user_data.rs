//! User data: the event's matching data, `events[].user`.
//!
//! Owns where each user field comes from (automapped event-data keys, then configured overrides),
//! the API's normalisation rules (email, phone, names, external id) and the SHA-256 step, and the
//! format rules of the raw fields (country, city, region, postal code, IP, user agent, obref).
//! Hashed fields can only leave this module as [`Sha256Hex`]; raw email, phone, name and external
//! id values are never returned or logged — drop messages name the field, never the value.
//!
//! Choices beyond what Stape's tag does: an override whose value fails its field's format (an IP that
//! does not parse, a 5-digit phone) counts as resolving to nothing, so the automapped value stays;
//! `external_id_sha256` beats `external_id` when both resolve; city and region are truncated to
//! the API's 128 characters rather than dropped; an IP is sent in its canonical text form.

use crate::config::{UserData, ValueSource};
use crate::event::{lookup, lookup_below, step, trim, EventData};
use crate::payload::{Sha256Hex, User};
use crate::request::RequestFacts;
use crate::tag::prehashed::{self, FieldSkip};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

/// Raw email keys, in order; `user_data.sha256_email_address` comes after them.
const EMAIL_KEYS: [&str; 4] = [
    "email",
    "email_address",
    "user_data.email",
    "user_data.email_address",
];
const EMAIL_HASH_KEY: &str = "user_data.sha256_email_address";
/// Raw phone keys; `user_data.sha256_phone_number` (Google's hash) comes after them.
const PHONE_KEYS: [&str; 4] = [
    "phone",
    "phone_number",
    "user_data.phone",
    "user_data.phone_number",
];
const PHONE_HASH_KEY: &str = "user_data.sha256_phone_number";

/// The API caps cities and regions at 128 characters.
pub const MAX_CITY_CHARS: usize = 128;
/// The API's postal-code limit.
pub const MAX_POSTAL_CODE_CHARS: usize = 32;

/// Builds `events[].user`. `strip_identifiers`: ad_user_data explicitly denied → no
/// email/phone/name/external-id hashes (geo, ip, ua, obref stay). `obref` is the automapped
/// browser id the caller resolved (click_id module); an `obref` override beats it, and the
/// result is the one value both the payload and the `__obref` cookie use.
///
/// Automapped fields that are not sent for a reason the user can act on (a Google phone hash,
/// a `sha256_*` value that is not a hash) are appended to `skipped`.
pub fn build_user(
    config: &UserData,
    event: &EventData,
    request: &RequestFacts,
    strip_identifiers: bool,
    obref: Option<String>,
    skipped: &mut Vec<FieldSkip>,
) -> User {
    let o = &config.overrides;
    let automap = config.automap;
    let over = |source: &Option<ValueSource>| resolve_text(source, event, request);
    // The top-level keys are found in one walk over the event; the `user_data.…` keys below
    // read from `user_data`.
    let top = if automap {
        TopLevel::find(event)
    } else {
        TopLevel::default()
    };
    let user_data = top.get("user_data");
    let auto = |paths: &[&str]| -> Option<Cow<'_, str>> {
        if !automap {
            return None;
        }
        paths.iter().find_map(|path| {
            let value = match path.strip_prefix("user_data.") {
                Some(below) => lookup_below(user_data?, below),
                None if TopLevel::slot(path).is_some() => top.get(path),
                None => lookup(event, path),
            };
            value.and_then(scalar_text)
        })
    };
    let address = user_data.and_then(address);
    let from_address = |keys: &[&str]| -> Option<Cow<'_, str>> {
        let address = address?;
        keys.iter()
            .find_map(|key| address.get(*key).and_then(scalar_text))
    };

    let mut user = User::default();
    if !strip_identifiers {
        let email = |raw: &str| hash_field(raw, normalize_email);
        let phone = |raw: &str| hash_field(raw, normalize_phone);
        let name = |raw: &str| hash_field(raw, normalize_name);
        let external_id = |raw: &str| hash_field(raw, normalize_external_id);
        let email_auto = auto(&EMAIL_KEYS)
            .map(Automapped::Raw)
            .or_else(|| auto(&[EMAIL_HASH_KEY]).map(Automapped::Hash));
        user.emails_sha256 = pick_hashed("email", over(&o.email), email_auto, email, skipped)
            .into_iter()
            .collect();
        let phone_auto = auto(&PHONE_KEYS).map(Automapped::Raw).or_else(|| {
            auto(&[PHONE_HASH_KEY]).map(|_| Automapped::Unusable(FieldSkip::GooglePhoneHash))
        });
        user.phone_numbers_sha256 =
            pick_hashed("phone", over(&o.phone), phone_auto, phone, skipped)
                .into_iter()
                .collect();
        let address_name = |raw: &str, hashed: &str| {
            from_address(&[raw])
                .map(Automapped::Raw)
                .or_else(|| from_address(&[hashed]).map(Automapped::Hash))
        };
        user.first_names_sha256 = pick_hashed(
            "first_name",
            over(&o.first_name),
            address_name("first_name", "sha256_first_name"),
            name,
            skipped,
        )
        .into_iter()
        .collect();
        user.last_names_sha256 = pick_hashed(
            "last_name",
            over(&o.last_name),
            address_name("last_name", "sha256_last_name"),
            name,
            skipped,
        )
        .into_iter()
        .collect();
        // A non-hex `external_id_sha256` is hashed like `external_id`: hash_field does exactly that.
        let external_override = over(&o.external_id_sha256).or_else(|| over(&o.external_id));
        user.external_ids_sha256 = pick(
            "external_id",
            external_override,
            auto(&["user_id"]),
            external_id,
        )
        .into_iter()
        .collect();
    }

    user.cities = pick(
        "city",
        over(&o.city),
        from_address(&["city"]),
        city_or_region,
    )
    .into_iter()
    .collect();
    user.regions = pick(
        "region",
        over(&o.region),
        from_address(&["region"]),
        city_or_region,
    )
    .into_iter()
    .collect();
    user.postal_codes = pick(
        "postal_code",
        over(&o.postal_code),
        from_address(&["postal_code"]),
        postal_code,
    )
    .into_iter()
    .collect();
    user.countries = pick(
        "country",
        over(&o.country),
        from_address(&["country"]),
        country,
    )
    .into_iter()
    .collect();
    user.ip_address = pick(
        "ip_address",
        over(&o.ip_address),
        auto(&["ip_override"]),
        ip_address,
    );
    user.user_agent = pick(
        "user_agent",
        over(&o.user_agent),
        auto(&["user_agent"]),
        non_blank,
    );
    user.obref = pick("obref", over(&o.obref), obref.map(Cow::Owned), opaque_ref);
    user
}

/// The top-level event keys user data reads, in [`TopLevel`] slot order.
const TOP_LEVEL_KEYS: [&str; 8] = [
    "email",
    "email_address",
    "phone",
    "phone_number",
    "user_id",
    "ip_override",
    "user_agent",
    "user_data",
];

/// The values of [`TOP_LEVEL_KEYS`] in one event, found in one walk over its keys: a `match` on
/// a key is a switch on its length and one comparison, where each map lookup is a chain of
/// string comparisons, and user data reads eight top-level keys per event.
#[derive(Default)]
struct TopLevel<'a>([Option<&'a Value>; TOP_LEVEL_KEYS.len()]);

impl<'a> TopLevel<'a> {
    fn find(event: &'a EventData) -> Self {
        let mut found = Self::default();
        for (key, value) in event {
            if let Some(slot) = Self::slot(key).and_then(|i| found.0.get_mut(i)) {
                *slot = Some(value);
            }
        }
        found
    }

    fn slot(key: &str) -> Option<usize> {
        Some(match key {
            "email" => 0,
            "email_address" => 1,
            "phone" => 2,
            "phone_number" => 3,
            "user_id" => 4,
            "ip_override" => 5,
            "user_agent" => 6,
            "user_data" => 7,
            _ => return None,
        })
    }

    /// The value at a top-level key that has a slot (`None` for any other key).
    fn get(&self, key: &str) -> Option<&'a Value> {
        Self::slot(key).and_then(|i| self.0.get(i).copied().flatten())
    }
}

/// Email: trim, then Unicode lowercase. `None` when nothing is left.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    (!email.is_empty()).then_some(email)
}

/// Phone: drop whitespace and `( ) . -`, then one leading `+`, then leading zeros; the rest must
/// be 8–15 ASCII digits (country code included, no `+`).
pub fn normalize_phone(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '(' | ')' | '.' | '-')))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    let digits = digits.trim_start_matches('0');
    ((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.to_owned())
}

/// Names: Unicode lowercase, all whitespace and ASCII punctuation removed, every other character
/// kept (no accent stripping, no Unicode normal form applied: the input's form is hashed).
pub fn normalize_name(raw: &str) -> Option<String> {
    let name: String = raw
        .to_lowercase()
        .chars()
        .filter(|c| !(c.is_whitespace() || c.is_ascii_punctuation()))
        .collect();
    (!name.is_empty()).then_some(name)
}

/// External id: trimmed, case and every other character kept (the API rule; Stape lowercases).
pub fn normalize_external_id(raw: &str) -> Option<String> {
    let id = raw.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// Hash a field: a value that already is 64 hex chars → [`Sha256Hex::from_hex`] (lowercased,
/// never re-hashed); else normalise, then [`Sha256Hex::digest`]. `None` when normalisation fails.
pub fn hash_field(raw: &str, normalise: fn(&str) -> Option<String>) -> Option<Sha256Hex> {
    Sha256Hex::from_hex(trim(raw)).or_else(|| normalise(raw).map(|n| Sha256Hex::digest(&n)))
}

/// The text of a scalar that can carry a user field: a non-blank string, a number, or the first
/// element of an array (sGTM carries both `"a@b.c"` and `["a@b.c"]`). Booleans, objects and
/// `null` carry nothing.
pub(crate) fn scalar_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) if !trim(s).is_empty() => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Array(list) => list.first().and_then(scalar_text),
        _ => None,
    }
}

/// An override's value as text, or `None` when it is not configured or resolves to nothing.
fn resolve_text(
    source: &Option<ValueSource>,
    event: &EventData,
    request: &RequestFacts,
) -> Option<Cow<'static, str>> {
    let value = source.as_ref()?.resolve(event, request)?;
    scalar_text(&value).map(|text| Cow::Owned(text.into_owned()))
}

/// One field: a usable override beats the automapped value; a value failing the field's format
/// is dropped with a debug line that names the field only (values may be personal data).
fn pick<T>(
    field: &str,
    override_value: Option<Cow<'_, str>>,
    automapped: Option<Cow<'_, str>>,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    if let Some(raw) = override_value {
        if let Some(parsed) = parse(&raw) {
            return Some(parsed);
        }
        log::debug!("user_data: override for {field} has an invalid format; ignored");
    }
    let raw = automapped?;
    let parsed = parse(&raw);
    if parsed.is_none() {
        log::debug!("user_data: {field} has an invalid format; dropped");
    }
    parsed
}

/// Where an automapped hashed field came from.
enum Automapped<'a> {
    /// A raw (or already 64-hex) value: normalised and hashed.
    Raw(Cow<'a, str>),
    /// A value under a `sha256_*` key: decoded as a hash, never hashed again.
    Hash(Cow<'a, str>),
    /// Present, but never usable.
    Unusable(FieldSkip),
}

/// [`pick`] for a hashed field: a usable override beats the automapped value; an automapped
/// value that cannot be sent is recorded in `skipped`.
fn pick_hashed(
    field: &'static str,
    override_value: Option<Cow<'_, str>>,
    automapped: Option<Automapped<'_>>,
    hash: impl Fn(&str) -> Option<Sha256Hex>,
    skipped: &mut Vec<FieldSkip>,
) -> Option<Sha256Hex> {
    if let Some(raw) = override_value {
        if let Some(hashed) = hash(&raw) {
            return Some(hashed);
        }
        log::debug!("user_data: override for {field} has an invalid format; ignored");
    }
    match automapped? {
        Automapped::Raw(raw) => pick(field, None, Some(raw), hash),
        Automapped::Hash(value) => {
            let decoded = prehashed::decode(&value);
            if decoded.is_none() {
                skipped.push(FieldSkip::NotASha256 { field });
            }
            decoded
        }
        Automapped::Unusable(reason) => {
            skipped.push(reason);
            None
        }
    }
}

/// `user_data.address` (given `user_data`) as an object: the object itself, element 0 of an
/// array, or the object under key `"0"` (array-like objects some tag templates produce).
fn address(user_data: &Value) -> Option<&Map<String, Value>> {
    let address = match step(user_data, "address")? {
        Value::Array(list) => list.first()?,
        other => other,
    };
    let map = address.as_object()?;
    match map.get("0") {
        Some(Value::Object(inner)) => Some(inner),
        _ => Some(map),
    }
}

/// An opaque reference (`obref`): passed through unchanged, but never blank or absurdly long.
fn opaque_ref(raw: &str) -> Option<String> {
    (!raw.trim().is_empty() && raw.chars().count() <= crate::tag::click_id::MAX_REF_CHARS)
        .then(|| raw.to_owned())
}

fn non_blank(raw: &str) -> Option<String> {
    let value = raw.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn city_or_region(raw: &str) -> Option<String> {
    let value = raw.trim();
    (!value.is_empty()).then(|| value.chars().take(MAX_CITY_CHARS).collect())
}

fn postal_code(raw: &str) -> Option<String> {
    let value = raw.trim();
    let ok = (1..=MAX_POSTAL_CODE_CHARS).contains(&value.chars().count())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    ok.then(|| value.to_owned())
}

fn country(raw: &str) -> Option<String> {
    let value = raw.trim();
    (value.len() == 2 && value.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| value.to_ascii_uppercase())
}

/// The first element of a comma-separated list (proxies append), as an IPv4/IPv6 address; an
/// `ip:port` form is accepted with the port removed.
fn ip_address(raw: &str) -> Option<String> {
    let first = raw.split(',').next()?.trim();
    match first.parse::<IpAddr>() {
        // The IPv4 parser takes only the dotted-decimal form without leading zeros, which is
        // exactly how it prints: the text is kept, saving a formatting pass per event.
        Ok(IpAddr::V4(_)) => return Some(first.to_owned()),
        Ok(ip) => return Some(ip.to_string()),
        Err(_) => {}
    }
    first
        .parse::<SocketAddr>()
        .ok()
        .map(|addr| addr.ip().to_string())
}

#[cfg(test)]
mod tests;
