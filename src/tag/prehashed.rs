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
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};

    const HEX: &str = "bc4795ee8be72a7a92a83a67b1ad3de72cc8013906871a9e9f3ed884d7c4a4f5";
    const B64URL: &str = "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpPU";
    /// The same digest as Stape's Data Tag writes it: standard base64, padded (44 characters).
    const B64: &str = "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpPU=";
    /// MD5 and SHA-1 of "a@b.co".
    const MD5: &str = "b33a54a5a598e6d3356166652048ada9";
    const SHA1: &str = "22a9ae647493aaf5ebcefae33a1ecf69f684285f";

    #[test]
    fn data_tag_base64_sha256_is_decoded_to_hex() {
        assert_eq!(B64.len(), 44);
        assert_eq!(decode(B64).unwrap().as_str(), HEX);
        assert_eq!(decode(B64URL).unwrap().as_str(), HEX);
        assert_eq!(decode(&HEX.to_uppercase()).unwrap().as_str(), HEX);
        // A digest whose base64 holds `+` and `/` (standard alphabet).
        let bytes: Vec<u8> = (0..32u8).map(|i| 0xfb ^ i).collect();
        let std = STANDARD.encode(&bytes);
        assert!(std.contains('+') || std.contains('/'), "{std}");
        assert_eq!(decode(&std).unwrap().as_str(), hex_lower(&bytes));
        let url = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(decode(&url).unwrap().as_str(), hex_lower(&bytes));
        assert_eq!(
            decode(&URL_SAFE.encode(&bytes)).unwrap().as_str(),
            hex_lower(&bytes)
        );
    }

    #[test]
    fn invalid_sha256_values_are_not_hashes() {
        for bad in [
            "a@b.co",
            "+49301234567",
            &HEX[..63],
            &format!("{HEX}0"),
            "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpP",
            "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpPU==",
            "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEp!U",
            "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNf+p_U",
            MD5,
            "",
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn md5_and_sha1_digests_are_recognised_in_hex_and_base64() {
        let md5 = hex::decode(MD5).unwrap();
        let sha1 = hex::decode(SHA1).unwrap();
        for digest in [
            MD5.to_owned(),
            MD5.to_uppercase(),
            SHA1.to_owned(),
            STANDARD.encode(&md5),
            STANDARD_NO_PAD.encode(&md5),
            URL_SAFE_NO_PAD.encode(&sha1),
            STANDARD.encode(&sha1),
            format!(" {MD5} "),
        ] {
            assert!(is_other_digest(&digest), "{digest}");
        }
        for not in [
            HEX,
            B64,
            "a@b.co",
            "+1 (415) 555-2671",
            "4155552671",
            "Wolfeschlegelsteinhaus",
            "12345678-1234-1234-1234-123456789012",
            &MD5[..31],
            &format!("{}=", STANDARD_NO_PAD.encode(&md5)),
        ] {
            assert!(!is_other_digest(not), "{not}");
        }
    }

    fn verdicts(origin: Origin, value: &str) -> [Verdict; 5] {
        [
            HashedField::Email,
            HashedField::Phone,
            HashedField::FirstName,
            HashedField::LastName,
            HashedField::ExternalId,
        ]
        .map(|field| judge(field, origin, value))
    }

    #[test]
    fn an_override_sha256_is_passed_through_for_every_field() {
        let pass = Verdict::Pass(Sha256Hex::from_hex(HEX).unwrap());
        for value in [HEX, B64, B64URL] {
            assert_eq!(
                verdicts(Origin::Override, value),
                [(); 5].map(|()| pass.clone())
            );
        }
    }

    #[test]
    fn a_sha256_under_a_plain_key_is_passed_for_email_and_external_id_only() {
        let pass = Verdict::Pass(Sha256Hex::from_hex(HEX).unwrap());
        assert_eq!(
            verdicts(Origin::Plain, B64),
            [
                pass.clone(),
                Verdict::Skip(SkipReason::HashedPhone),
                Verdict::Skip(SkipReason::HashedName),
                Verdict::Skip(SkipReason::HashedName),
                pass,
            ]
        );
    }

    #[test]
    fn google_hashes_are_passed_for_email_only() {
        let pass = Verdict::Pass(Sha256Hex::from_hex(HEX).unwrap());
        let [email, phone, first, last, _] = verdicts(Origin::Google, HEX);
        assert_eq!(email, pass);
        assert_eq!(phone, Verdict::Skip(SkipReason::GooglePhoneHash));
        assert_eq!(first, Verdict::Skip(SkipReason::GoogleNameHash));
        assert_eq!(last, Verdict::Skip(SkipReason::GoogleNameHash));
        let not_a_hash = Verdict::Skip(SkipReason::NotASha256);
        assert_eq!(
            verdicts(Origin::Google, "a@b.co")[..4],
            [(); 4].map(|()| not_a_hash.clone())
        );
    }

    #[test]
    fn other_digests_are_dropped_except_as_external_ids() {
        let other = Verdict::Skip(SkipReason::OtherDigest);
        for origin in [Origin::Plain, Origin::Override] {
            assert_eq!(
                verdicts(origin, MD5),
                [
                    other.clone(),
                    other.clone(),
                    other.clone(),
                    other.clone(),
                    Verdict::Raw
                ],
                "{origin:?}"
            );
        }
        assert_eq!(
            verdicts(Origin::Plain, "a@b.co"),
            [(); 5].map(|()| Verdict::Raw)
        );
    }

    #[test]
    fn skip_reasons_have_stable_codes_and_series() {
        let all = [
            (SkipReason::GooglePhoneHash, "google_phone_hash"),
            (SkipReason::GoogleNameHash, "google_name_hash"),
            (SkipReason::HashedPhone, "hashed_phone"),
            (SkipReason::HashedName, "hashed_name"),
            (SkipReason::OtherDigest, "other_digest"),
            (SkipReason::NotASha256, "not_a_sha256"),
        ];
        for (reason, code) in all {
            assert_eq!(reason.code(), code);
            assert_eq!(
                reason.counter().name(),
                format!("user_fields_skipped.reason.{code}")
            );
            let text = FieldSkip {
                field: HashedField::FirstName,
                reason,
            }
            .to_string();
            assert!(text.starts_with("first_name:"), "{text}");
        }
    }
}
