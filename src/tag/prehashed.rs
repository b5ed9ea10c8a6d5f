//! Pre-hashed user fields: which digests a hashed user field may carry, and which of them the
//! API can match.
//!
//! A hash is sent as lowercase hex. Senders write SHA-256 in three forms: 64 hex characters,
//! base64url without padding (gtag's `em` parameter, decoded by ingest), and standard base64
//! with padding, 44 characters (Stape's Data Tag). [`decode`] reads all three; a SHA-256 is never
//! hashed again (a hash of a hash matches nobody).
//!
//! [`judge`] owns the rule per field and per place a value was found ([`Origin`]): a SHA-256 is
//! passed through only where its normalisation is known to be the API's. Google's phone hashes
//! keep the `+` of E.164 and its name hashes keep inner spaces and drop digits, where OpenAI
//! hashes digits only and removes all whitespace; a hash under a plain phone or name key (Stape's
//! Data Tag) has no known normalisation at all. Those are dropped with a [`SkipReason`], and so
//! is anything that looks like an MD5 or SHA-1 digest under an email, phone or name key (it can
//! match nobody and must not be hashed as if it were an address). An override is the user's
//! word: its SHA-256 is passed through for every field.

use crate::observe::metrics::Counter;
use crate::payload::{hex_lower, Sha256Hex};
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use std::fmt;

/// A hashed user field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashedField {
    Email,
    Phone,
    FirstName,
    LastName,
    ExternalId,
}

impl HashedField {
    /// The field's name in logs and in `user_data.overrides`.
    pub fn name(self) -> &'static str {
        match self {
            HashedField::Email => "email",
            HashedField::Phone => "phone",
            HashedField::FirstName => "first_name",
            HashedField::LastName => "last_name",
            HashedField::ExternalId => "external_id",
        }
    }
}

impl fmt::Display for HashedField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a value of a hashed field was found; it decides what a SHA-256 there means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `user_data.overrides.*`: whoever configured it vouches for a hash's normalisation.
    Override,
    /// A plain key (`email`, `user_data.phone_number`, `user_data.address.first_name`,
    /// `user_id`): raw text, or a hash of unknown normalisation (Stape's Data Tag).
    Plain,
    /// One of Google's `sha256_*` keys (GA4 `em`, Measurement Protocol, event parameters):
    /// a SHA-256 of Google's normalisation, or nothing usable.
    Google,
}

/// Why a value of a user field was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A Google phone hash: it hashes E.164 with the `+`.
    GooglePhoneHash,
    /// A Google name hash: inner spaces kept, digits dropped.
    GoogleNameHash,
    /// A SHA-256 under a plain phone key: its normalisation is unknown.
    HashedPhone,
    /// A SHA-256 under a plain name key: its normalisation is unknown.
    HashedName,
    /// An MD5 or SHA-1 digest (hex or base64): it matches nobody.
    OtherDigest,
    /// A value under a `sha256_*` key that is not a SHA-256 in hex or base64.
    NotASha256,
}

impl SkipReason {
    /// Stable snake_case name: the `reason` label of `user_fields_skipped`.
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::GooglePhoneHash => "google_phone_hash",
            SkipReason::GoogleNameHash => "google_name_hash",
            SkipReason::HashedPhone => "hashed_phone",
            SkipReason::HashedName => "hashed_name",
            SkipReason::OtherDigest => "other_digest",
            SkipReason::NotASha256 => "not_a_sha256",
        }
    }

    /// The `user_fields_skipped` series this reason is counted in.
    pub fn counter(self) -> Counter {
        match self {
            SkipReason::GooglePhoneHash => Counter::UserFieldsSkippedGooglePhoneHash,
            SkipReason::GoogleNameHash => Counter::UserFieldsSkippedGoogleNameHash,
            SkipReason::HashedPhone => Counter::UserFieldsSkippedHashedPhone,
            SkipReason::HashedName => Counter::UserFieldsSkippedHashedName,
            SkipReason::OtherDigest => Counter::UserFieldsSkippedOtherDigest,
            SkipReason::NotASha256 => Counter::UserFieldsSkippedNotASha256,
        }
    }
}

/// One value of a user field left out of an event (the event itself is sent). Names the field,
/// never the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSkip {
    pub field: HashedField,
    pub reason: SkipReason,
}

impl FieldSkip {
    /// Stable snake_case name of the reason, for metric labels and log filters.
    pub fn code(self) -> &'static str {
        self.reason.code()
    }
}

impl fmt::Display for FieldSkip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = self.field;
        match self.reason {
            SkipReason::GooglePhoneHash => write!(
                f,
                "{field}: a Google phone hash (E.164 with '+') cannot match OpenAI's digits-only \
                 hash; send the raw phone or set user_data.overrides.phone"
            ),
            SkipReason::GoogleNameHash => write!(
                f,
                "{field}: a Google name hash (inner spaces kept, digits dropped) cannot match \
                 OpenAI's normalisation; send the raw name or set user_data.overrides.{field}"
            ),
            SkipReason::HashedPhone => write!(
                f,
                "{field}: a SHA-256 under a plain phone key has an unknown normalisation (OpenAI \
                 hashes the digits only, without '+'); send the raw phone or set \
                 user_data.overrides.phone"
            ),
            SkipReason::HashedName => write!(
                f,
                "{field}: a SHA-256 under a plain name key has an unknown normalisation (OpenAI \
                 removes all whitespace and ASCII punctuation); send the raw name or set \
                 user_data.overrides.{field}"
            ),
            SkipReason::OtherDigest => write!(
                f,
                "{field}: the value looks like an MD5 or SHA-1 digest, which matches nobody; \
                 not sent, and not hashed as if it were raw"
            ),
            SkipReason::NotASha256 => write!(
                f,
                "{field}: the sha256_ value is neither 64 hex characters nor base64 of 32 bytes; \
                 not sent, and not hashed again"
            ),
        }
    }
}

/// What to do with one value of a hashed field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A SHA-256 to send as it is.
    Pass(Sha256Hex),
    /// Raw text: normalise, then hash.
    Raw,
    /// Not sent.
    Skip(SkipReason),
}

/// The rule for one value of `field` found at `origin`.
pub fn judge(field: HashedField, origin: Origin, value: &str) -> Verdict {
    use HashedField::{Email, ExternalId, Phone};
    let passed = matches!(
        (origin, field),
        (Origin::Override, _) | (_, Email | ExternalId)
    );
    if passed {
        if let Some(hash) = decode(value) {
            return Verdict::Pass(hash);
        }
    } else if is_sha256(value) {
        // Recognised without decoding: a hash that is not sent costs no allocation.
        // Phones and names from Google's keys or plain keys: their normalisation is not the API's.
        return Verdict::Skip(match (origin, field) {
            (Origin::Google, Phone) => SkipReason::GooglePhoneHash,
            (Origin::Google, _) => SkipReason::GoogleNameHash,
            (_, Phone) => SkipReason::HashedPhone,
            _ => SkipReason::HashedName,
        });
    }
    match origin {
        Origin::Google => Verdict::Skip(SkipReason::NotASha256),
        // A 32-hex user id is usually a UUID without its hyphens: ids are never digests.
        _ if field != ExternalId && is_other_digest(value) => {
            Verdict::Skip(SkipReason::OtherDigest)
        }
        _ => Verdict::Raw,
    }
}

/// A SHA-256 digest written as 64 hex characters (either case), or as base64 of its 32 bytes in
/// either alphabet, padded or not. `None` for anything else.
pub fn decode(value: &str) -> Option<Sha256Hex> {
    let value = value.trim();
    if let Some(hex) = Sha256Hex::from_hex(value) {
        return Some(hex);
    }
    // Most values are raw text of another length: no decoder runs for them.
    if !(43..=44).contains(&value.len()) {
        return None;
    }
    let mut digest = [0u8; BASE64_BUFFER];
    let digest = base64_bytes(value, &mut digest).filter(|d| d.len() == 32)?;
    Sha256Hex::from_hex(&hex_lower(digest))
}

/// [`decode`] would find a SHA-256 (without building its hex).
fn is_sha256(value: &str) -> bool {
    let value = value.trim();
    match value.len() {
        64 => value.bytes().all(|b| b.is_ascii_hexdigit()),
        43 | 44 => {
            let mut digest = [0u8; BASE64_BUFFER];
            base64_bytes(value, &mut digest).is_some_and(|d| d.len() == 32)
        }
        _ => false,
    }
}

/// An MD5 or SHA-1 digest: 32 or 40 hex characters, or base64 of 16 or 20 bytes (22 or 27
/// characters, 24 or 28 padded), in either alphabet.
pub fn is_other_digest(value: &str) -> bool {
    let value = value.trim();
    match value.len() {
        32 | 40 => value.bytes().all(|b| b.is_ascii_hexdigit()),
        22 | 24 | 27 | 28 => {
            let mut bytes = [0u8; BASE64_BUFFER];
            base64_bytes(value, &mut bytes).is_some_and(|b| matches!(b.len(), 16 | 20))
        }
        _ => false,
    }
}

/// Room for the bytes of 44 base64 characters, with spare: the decoder's own bound check
/// refuses a buffer that is exactly full.
const BASE64_BUFFER: usize = 48;

/// The bytes of base64 text in either alphabet (`+`/`/` standard, `-`/`_` base64url), with the
/// padding that completes its last group or none. Trailing bits must be zero, so one digest has
/// one text per alphabet and padding.
fn base64_bytes<'b>(value: &str, buffer: &'b mut [u8; BASE64_BUFFER]) -> Option<&'b [u8]> {
    let unpadded = value.trim_end_matches('=');
    let padding = value.len() - unpadded.len();
    if padding > 2 || (padding > 0 && value.len() % 4 != 0) || unpadded.len() > 44 {
        return None;
    }
    let engine = if unpadded.contains(['-', '_']) {
        &URL_SAFE_NO_PAD
    } else {
        &STANDARD_NO_PAD
    };
    let len = engine.decode_slice(unpadded, buffer).ok()?;
    buffer.get(..len)
}

#[cfg(test)]
mod tests;
