//! Pre-hashed user fields: what a value under a `sha256_*` key may be, and which hashes the API
//! cannot use.
//!
//! A hash is sent as lowercase hex. Senders write SHA-256 in three forms: 64 hex characters,
//! base64url without padding (gtag's `em` parameter, decoded by ingest), and standard base64
//! with padding, 44 characters (Stape's Data Tag). This module decodes all three; anything else
//! under a `sha256_*` key is dropped with a reason and never hashed again (hashing a hash gives
//! a value that matches nobody). It also owns the rule for Google's phone hashes: Google hashes
//! E.164 *with* the `+`, OpenAI digits only, and a hash cannot be re-normalised, so a
//! `user_data.sha256_phone_number` (GA4 `em` `pn`, Measurement Protocol) is never sent.

use crate::payload::{hex_lower, Sha256Hex};
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use std::fmt;

/// Why an automapped user field was not sent; [`FieldSkip::code`] is its stable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldSkip {
    /// A phone hash in Google's format (`user_data.sha256_phone_number`): it hashes `+` too.
    GooglePhoneHash,
    /// A value under a `sha256_*` key that is not a SHA-256 in hex or base64.
    NotASha256 { field: &'static str },
}

impl FieldSkip {
    /// Stable snake_case name, for metric labels and log filters.
    pub fn code(self) -> &'static str {
        match self {
            FieldSkip::GooglePhoneHash => "google_phone_hash",
            FieldSkip::NotASha256 { .. } => "not_a_sha256",
        }
    }
}

impl fmt::Display for FieldSkip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldSkip::GooglePhoneHash => f.write_str(
                "phone: user_data.sha256_phone_number is Google's hash of E.164 with '+', which \
                 OpenAI cannot match; send the raw phone or set user_data.overrides.phone",
            ),
            FieldSkip::NotASha256 { field } => write!(
                f,
                "{field}: the sha256_ value is neither 64 hex characters nor base64 of 32 bytes; \
                 not sent, and not hashed again"
            ),
        }
    }
}

/// A SHA-256 digest written as 64 hex characters (either case), or as base64 of its 32 bytes in
/// either alphabet, padded or not. `None` for anything else.
pub fn decode(value: &str) -> Option<Sha256Hex> {
    let value = value.trim();
    if let Some(hex) = Sha256Hex::from_hex(value) {
        return Some(hex);
    }
    let unpadded = value.strip_suffix('=').unwrap_or(value);
    if unpadded.len() != 43 {
        return None;
    }
    // 43 characters decode to 32 bytes; the spare room keeps the decoder's own bound check from
    // refusing a buffer that is exactly full. `+`/`/` mean standard base64, `-`/`_` base64url.
    let mut digest = [0u8; 48];
    let engine = if unpadded.contains(['-', '_']) {
        &URL_SAFE_NO_PAD
    } else {
        &STANDARD_NO_PAD
    };
    let len = engine.decode_slice(unpadded, &mut digest).ok()?;
    let digest = digest.get(..len).filter(|d| d.len() == 32)?;
    Sha256Hex::from_hex(&hex_lower(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "bc4795ee8be72a7a92a83a67b1ad3de72cc8013906871a9e9f3ed884d7c4a4f5";
    const B64URL: &str = "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpPU";
    /// The same digest as Stape's Data Tag writes it: standard base64, padded (44 characters).
    const B64: &str = "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpPU=";

    #[test]
    fn data_tag_base64_sha256_is_decoded_to_hex() {
        assert_eq!(B64.len(), 44);
        assert_eq!(decode(B64).unwrap().as_str(), HEX);
        assert_eq!(decode(B64URL).unwrap().as_str(), HEX);
        assert_eq!(decode(&HEX.to_uppercase()).unwrap().as_str(), HEX);
        // A digest whose base64 holds `+` and `/` (standard alphabet).
        let bytes: Vec<u8> = (0..32u8).map(|i| 0xfb ^ i).collect();
        let std = base64::engine::general_purpose::STANDARD.encode(&bytes);
        assert!(std.contains('+') || std.contains('/'), "{std}");
        assert_eq!(decode(&std).unwrap().as_str(), hex_lower(&bytes));
        let url = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(decode(&url).unwrap().as_str(), hex_lower(&bytes));
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
            "",
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn skip_reasons_have_stable_codes() {
        assert_eq!(FieldSkip::GooglePhoneHash.code(), "google_phone_hash");
        assert_eq!(
            FieldSkip::NotASha256 { field: "email" }.code(),
            "not_a_sha256"
        );
        let text = FieldSkip::NotASha256 { field: "email" }.to_string();
        assert!(text.starts_with("email:"), "{text}");
    }
}
