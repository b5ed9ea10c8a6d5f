//! User data: the event's matching data, `events[].user`.
//!
//! Owns where each user field comes from (automapped event-data keys, then configured overrides),
//! how many values each list keeps, the API's normalisation rules (email, phone, names, external
//! id) and the SHA-256 step, and the format rules of the raw fields (country, city, region, postal
//! code, IP, user agent, obref). Which pre-hashed values may be sent, per field and source, is
//! [`prehashed::judge`]'s rule. Hashed fields can only leave this module as [`Sha256Hex`]; raw
//! email, phone, name and external id values are never returned or logged — drop messages name
//! the field, never the value.
//!
//! Each list keeps up to [`MAX_LIST_VALUES`] distinct valid values, first seen first (the API reads
//! the first three): an override that yields a valid value wins its field entirely; else the
//! automapped sources in order, an array contributing its elements. At most [`MAX_CANDIDATES`]
//! values are examined per field, so a long array costs no more than a short one.
//!
//! Choices beyond what Stape's tag does: an override whose values all fail the field's format (an
//! IP that does not parse, a 5-digit phone) counts as resolving to nothing, so the automapped
//! values stay; `external_id_sha256` beats `external_id` when both resolve; city and region are
//! truncated to the API's 128 characters rather than dropped; an IP is sent in its canonical text
//! form, and an IPv4-mapped IPv6 address (`::ffff:203.0.113.7`) as the IPv4 address.

use crate::config::{UserData, ValueSource};
use crate::event::{at_most_chars, step, trim, EventData};
use crate::event::{Map, Value};
use crate::payload::{Sha256Hex, User};
use crate::request::RequestFacts;
use crate::tag::prehashed::{self, FieldSkip, HashedField, Origin, Verdict};
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

/// The API reads the first three valid, unique values of each list.
pub const MAX_LIST_VALUES: usize = 3;
/// Values examined per field, valid or not; the rest of a long array is never looked at.
pub const MAX_CANDIDATES: usize = 8;

/// Where an automapped value is: a top-level key, or a key of `user_data`.
#[derive(Clone, Copy)]
enum Key {
    Top(&'static str),
    UserData(&'static str),
}

/// Automapped email sources, in order: the plain keys, then Google's hash key.
const EMAIL_SOURCES: [(Key, Origin); 5] = [
    (Key::Top("email"), Origin::Plain),
    (Key::Top("email_address"), Origin::Plain),
    (Key::UserData("email"), Origin::Plain),
    (Key::UserData("email_address"), Origin::Plain),
    (Key::UserData("sha256_email_address"), Origin::Google),
];
/// Automapped phone sources, in order.
const PHONE_SOURCES: [(Key, Origin); 5] = [
    (Key::Top("phone"), Origin::Plain),
    (Key::Top("phone_number"), Origin::Plain),
    (Key::UserData("phone"), Origin::Plain),
    (Key::UserData("phone_number"), Origin::Plain),
    (Key::UserData("sha256_phone_number"), Origin::Google),
];
const EXTERNAL_ID_SOURCES: [(Key, Origin); 1] = [(Key::Top("user_id"), Origin::Plain)];
/// Name keys within each address, in order.
const FIRST_NAME_KEYS: [(&str, Origin); 2] = [
    ("first_name", Origin::Plain),
    ("sha256_first_name", Origin::Google),
];
const LAST_NAME_KEYS: [(&str, Origin); 2] = [
    ("last_name", Origin::Plain),
    ("sha256_last_name", Origin::Google),
];

/// The API caps cities and regions at 128 characters.
pub const MAX_CITY_CHARS: usize = 128;
/// The API's postal-code limit.
pub const MAX_POSTAL_CODE_CHARS: usize = 32;

/// Builds `events[].user`. `strip_identifiers`: ad_user_data explicitly denied → no
/// email/phone/name/external-id hashes (geo, ip, ua, obref stay). `obref` is the automapped
/// browser id the caller resolved (click_id module); an `obref` override beats it, and the
/// result is the one value both the payload and the `__obref` cookie use.
///
/// Values of hashed fields that are not sent for a reason the user can act on (a Google phone
/// hash, an MD5, a `sha256_*` value that is not a hash, …) are appended to `skipped`, one per
/// value.
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
    let over = resolver(event, request);
    // The top-level keys are found in one walk over the event; the `user_data.…` keys below
    // read from `user_data`.
    let top = if automap {
        TopLevel::find(event)
    } else {
        TopLevel::default()
    };
    let user_data = top.get("user_data");
    let auto = |key: Key| -> Option<&Value> {
        match key {
            Key::Top(key) => top.get(key),
            Key::UserData(key) => step(user_data?, key),
        }
    };
    let sources = |list: &'static [(Key, Origin)]| {
        list.iter()
            .filter_map(move |(key, origin)| Some((auto(*key)?, *origin)))
    };
    let addresses = user_data.map(addresses).unwrap_or_default();
    let in_addresses = |keys: &'static [(&'static str, Origin)]| {
        addresses.into_iter().flatten().flat_map(move |address| {
            keys.iter()
                .filter_map(move |(key, origin)| Some((address.get(key)?, *origin)))
        })
    };

    let mut user = User::default();
    if !strip_identifiers {
        use HashedField::{Email, ExternalId, FirstName, LastName, Phone};
        user.emails_sha256 = hashed(Email, over(&o.email), sources(&EMAIL_SOURCES), skipped);
        user.phone_numbers_sha256 = hashed(Phone, over(&o.phone), sources(&PHONE_SOURCES), skipped);
        user.first_names_sha256 = hashed(
            FirstName,
            over(&o.first_name),
            in_addresses(&FIRST_NAME_KEYS),
            skipped,
        );
        user.last_names_sha256 = hashed(
            LastName,
            over(&o.last_name),
            in_addresses(&LAST_NAME_KEYS),
            skipped,
        );
        // A non-hash `external_id_sha256` is hashed like `external_id`: judge says `Raw`.
        let external_override = over(&o.external_id_sha256).or_else(|| over(&o.external_id));
        user.external_ids_sha256 = hashed(
            ExternalId,
            external_override,
            sources(&EXTERNAL_ID_SOURCES),
            skipped,
        );
    }

    // The raw geo lists: each from the override, else from the addresses in order.
    let geo =
        |key: &'static str, over: Option<Cow<'_, Value>>, parse: fn(&str) -> Option<String>| {
            let automapped = addresses
                .into_iter()
                .flatten()
                .filter_map(move |address| Some((address.get(key)?, Origin::Plain)));
            fill(key, over, automapped, |raw, _| valid(key, parse(raw)))
        };
    user.cities = geo("city", over(&o.city), city_or_region);
    user.regions = geo("region", over(&o.region), city_or_region);
    user.postal_codes = geo("postal_code", over(&o.postal_code), postal_code);
    user.countries = geo("country", over(&o.country), country);
    let text_of = |value: Option<Cow<'_, Value>>| -> Option<Cow<'static, str>> {
        let value = value?;
        scalar_text(&value).map(|text| Cow::Owned(text.into_owned()))
    };
    let auto_text = |key: &'static str| auto(Key::Top(key)).and_then(scalar_text);
    user.ip_address = pick(
        "ip_address",
        text_of(over(&o.ip_address)),
        auto_text("ip_override"),
        |raw| ip_address(&raw),
    );
    user.user_agent = pick(
        "user_agent",
        text_of(over(&o.user_agent)),
        auto_text("user_agent"),
        |raw| non_blank(&raw),
    );
    user.obref = pick(
        "obref",
        text_of(over(&o.obref)),
        obref.map(Cow::Owned),
        opaque_ref,
    );
    user
}

/// An override's value for one event, or `None` when it is not configured or resolves to nothing.
fn resolver<'a>(
    event: &'a EventData<'a>,
    request: &'a RequestFacts,
) -> impl Fn(&'a Option<ValueSource>) -> Option<Cow<'a, Value<'a>>> {
    move |source| ValueSource::resolve_optional(source, event, request)
}

/// One list of `events[].user`: an override's values if one of them is valid; else the
/// automapped values in source order. Each list is bounded by [`List`].
fn fill<'v, T: PartialEq>(
    field: &str,
    override_value: Option<Cow<'_, Value<'_>>>,
    automapped: impl Iterator<Item = (&'v Value<'v>, Origin)>,
    mut parse: impl FnMut(&str, Origin) -> Option<T>,
) -> Vec<T> {
    if let Some(value) = override_value {
        let mut list = List::default();
        list.offer(&value, |raw| parse(raw, Origin::Override));
        if !list.values.is_empty() {
            return list.values;
        }
        log::debug!("user_data: override for {field} has no valid value; ignored");
    }
    let mut list = List::default();
    let mut automapped = automapped;
    while !list.is_full() {
        let Some((value, origin)) = automapped.next() else {
            break;
        };
        list.offer(value, |raw| parse(raw, origin));
    }
    list.values
}

/// A hashed field's list: [`fill`] with [`hash_value`].
fn hashed<'v>(
    field: HashedField,
    override_value: Option<Cow<'_, Value<'_>>>,
    automapped: impl Iterator<Item = (&'v Value<'v>, Origin)>,
    skipped: &mut Vec<FieldSkip>,
) -> Vec<Sha256Hex> {
    fill(field.name(), override_value, automapped, |raw, origin| {
        hash_value(field, origin, raw, skipped)
    })
}

/// A list being filled: distinct values in first-seen order, at most [`MAX_LIST_VALUES`] kept
/// and [`MAX_CANDIDATES`] distinct texts examined.
struct List<'t, T> {
    values: Vec<T>,
    /// The string texts examined so far. A text seen again (the Data Client copies `email` into
    /// `user_data.email_address`) is neither hashed nor counted a second time. Numbers are not
    /// remembered: they are never dropped with a reason, and hash to the same value.
    seen: [&'t str; MAX_CANDIDATES],
    examined: usize,
}

impl<T> Default for List<'_, T> {
    fn default() -> Self {
        List {
            values: Vec::new(),
            seen: [""; MAX_CANDIDATES],
            examined: 0,
        }
    }
}

impl<'t, T: PartialEq> List<'t, T> {
    fn is_full(&self) -> bool {
        self.values.len() >= MAX_LIST_VALUES || self.examined >= MAX_CANDIDATES
    }

    /// Offers the texts of `value` (a scalar, or an array's elements) until the list is full.
    fn offer(&mut self, value: &'t Value, mut parse: impl FnMut(&str) -> Option<T>) {
        for text in texts(value) {
            if self.is_full() {
                return;
            }
            if let Cow::Borrowed(text) = text {
                if self
                    .seen
                    .get(..self.examined)
                    .is_some_and(|seen| seen.contains(&text))
                {
                    continue;
                }
                if let Some(slot) = self.seen.get_mut(self.examined) {
                    *slot = text;
                }
            }
            self.examined += 1;
            if let Some(parsed) = parse(&text) {
                if !self.values.contains(&parsed) {
                    // Most lists hold one value: sized for it, where a first push reserves four.
                    if self.values.is_empty() {
                        self.values.reserve_exact(1);
                    }
                    self.values.push(parsed);
                }
            }
        }
    }
}

/// The texts a value carries, trimmed (every field's rule trims): a non-blank string, a number,
/// or those among the first [`MAX_CANDIDATES`] elements of an array (sGTM carries both
/// `"a@b.c"` and `["a@b.c"]`).
fn texts<'a>(value: &'a Value<'_>) -> impl Iterator<Item = Cow<'a, str>> {
    let items = match value {
        Value::Array(list) => list.as_slice(),
        other => std::slice::from_ref(other),
    };
    items
        .iter()
        .take(MAX_CANDIDATES)
        .filter_map(|item| match item {
            Value::String(text) => Some(Cow::Borrowed(trim(text))).filter(|t| !t.is_empty()),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            _ => None,
        })
}

/// One value of a hashed field, by [`prehashed::judge`]'s rule: a SHA-256 it passes, the hash of
/// raw text after the field's normalisation, or nothing (a skip is recorded with its reason).
fn hash_value(
    field: HashedField,
    origin: Origin,
    raw: &str,
    skipped: &mut Vec<FieldSkip>,
) -> Option<Sha256Hex> {
    match prehashed::judge(field, origin, raw) {
        Verdict::Pass(hash) => Some(hash),
        Verdict::Skip(reason) => {
            skipped.push(FieldSkip { field, reason });
            None
        }
        Verdict::Raw => valid(
            field.name(),
            normalise(field, raw).map(|n| Sha256Hex::digest(&n)),
        ),
    }
}

/// The field's normalisation before SHA-256.
fn normalise(field: HashedField, raw: &str) -> Option<String> {
    match field {
        HashedField::Email => normalize_email(raw),
        HashedField::Phone => normalize_phone(raw),
        HashedField::FirstName | HashedField::LastName => normalize_name(raw),
        HashedField::ExternalId => normalize_external_id(raw),
    }
}

/// `parsed`, with a debug line naming the field (values may be personal data) when it failed.
fn valid<T>(field: &str, parsed: Option<T>) -> Option<T> {
    if parsed.is_none() {
        log::debug!("user_data: a value of {field} has an invalid format; dropped");
    }
    parsed
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
struct TopLevel<'a>([Option<&'a Value<'a>>; TOP_LEVEL_KEYS.len()]);

impl<'a> TopLevel<'a> {
    fn find(event: &'a EventData<'a>) -> Self {
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
    fn get(&self, key: &str) -> Option<&'a Value<'a>> {
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

/// The text of a scalar that can carry a user field: a non-blank string, a number, or the first
/// element of an array (sGTM carries both `"a@b.c"` and `["a@b.c"]`). Booleans, objects and
/// `null` carry nothing.
pub(crate) fn scalar_text<'a>(value: &'a Value<'_>) -> Option<Cow<'a, str>> {
    match value {
        Value::String(s) if !trim(s).is_empty() => Some(Cow::Borrowed(s.as_ref())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Array(list) => list.first().and_then(scalar_text),
        _ => None,
    }
}

/// A single-value field: a usable override beats the automapped value; a value failing the
/// field's format is dropped with a debug line that names the field only.
/// `parse` takes the text itself, so a value that is already an owned string (the browser id
/// the caller resolved) is kept, not copied.
fn pick<T>(
    field: &str,
    override_value: Option<Cow<'_, str>>,
    automapped: Option<Cow<'_, str>>,
    parse: impl Fn(Cow<'_, str>) -> Option<T>,
) -> Option<T> {
    if let Some(raw) = override_value {
        if let Some(parsed) = parse(raw) {
            return Some(parsed);
        }
        log::debug!("user_data: override for {field} has an invalid format; ignored");
    }
    valid(field, parse(automapped?))
}

/// Up to [`MAX_LIST_VALUES`] addresses of `user_data.address` (given `user_data`): the object
/// itself, elements 0–2 of an array, or keys `"0"`–`"2"` of an array-like object (some tag
/// templates produce those).
fn addresses<'a>(user_data: &'a Value<'a>) -> [Option<&'a Map<'a>>; MAX_LIST_VALUES] {
    let mut found = [None; MAX_LIST_VALUES];
    match step(user_data, "address") {
        Some(Value::Array(list)) => {
            for (slot, address) in found.iter_mut().zip(list) {
                *slot = address.as_object();
            }
        }
        Some(Value::Object(map)) if matches!(map.get("0"), Some(Value::Object(_))) => {
            for (slot, key) in found.iter_mut().zip(["0", "1", "2"]) {
                *slot = map.get(key).and_then(Value::as_object);
            }
        }
        Some(Value::Object(map)) => {
            if let Some(slot) = found.first_mut() {
                *slot = Some(map);
            }
        }
        _ => {}
    }
    found
}

/// An opaque reference (`obref`): passed through unchanged, but never blank or absurdly long.
fn opaque_ref(raw: Cow<'_, str>) -> Option<String> {
    (!raw.trim().is_empty() && at_most_chars(&raw, crate::tag::click_id::MAX_REF_CHARS))
        .then(|| raw.into_owned())
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
/// `ip:port` form is accepted with the port removed. An IPv4-mapped IPv6 address
/// (`::ffff:203.0.113.7`, as dual-stack sockets report IPv4 peers) is the IPv4 address.
fn ip_address(raw: &str) -> Option<String> {
    let first = raw.split(',').next()?.trim();
    let ip = match first.parse::<IpAddr>() {
        // The IPv4 parser takes only the dotted-decimal form without leading zeros, which is
        // exactly how it prints: the text is kept, saving a formatting pass per event.
        Ok(IpAddr::V4(_)) => return Some(first.to_owned()),
        Ok(ip) => ip,
        Err(_) => first.parse::<SocketAddr>().ok()?.ip(),
    };
    Some(match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    })
}

#[cfg(test)]
mod tests;
