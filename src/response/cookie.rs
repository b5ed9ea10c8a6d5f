//! `__oppref` and `__obref` cookie values: how they are written (`Set-Cookie`) and read.
//!
//! Both cookies are re-written on every qualifying hit so their expiry slides, as in Stape.
//! Stape's tag writes them URI-encoded (`encodeURIComponent`: `=` becomes `%3D`) and decodes on
//! read, so a site migrating from sGTM has cookies with `%` escapes. The rule here, which both
//! tags read back to the same value:
//! - **read**: a value that contains `%` is percent-decoded (an invalid escape stays as it is;
//!   a result that is not UTF-8 leaves the value raw);
//! - **write**: the value verbatim when every byte is an RFC 6265 cookie-octet, with `%` itself
//!   written as `%25`, so a literal `%` survives the round trip through either reader. A value
//!   carrying `;`, `,`, whitespace, quotes, CR/LF or non-ASCII would otherwise inject attributes
//!   or break the header, so it is refused (the caller logs it) rather than escaped into
//!   something a reader might take apart.

use crate::config::{CookieAttributes, CookieSetting};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use std::borrow::Cow;

/// Bytes a cookie value cannot carry verbatim (RFC 6265 §4.1.1: everything but %x21 / %x23-2B /
/// %x2D-3A / %x3C-5B / %x5D-7E), plus `%` itself so that reading back decodes to the original.
/// Non-ASCII bytes are always encoded.
const NOT_COOKIE_OCTET: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b',')
    .add(b';')
    .add(b'\\')
    .add(b'%');

/// A cookie value as both tags read it: percent-decoded when it holds a `%`.
pub fn read_value(raw: &str) -> Cow<'_, str> {
    if !raw.contains('%') {
        return Cow::Borrowed(raw);
    }
    match percent_decode_str(raw).decode_utf8() {
        Ok(decoded) => decoded,
        Err(_) => Cow::Borrowed(raw),
    }
}

/// `Name=value; Domain=…; Path=/; Max-Age=…; Secure; SameSite=…[; HttpOnly]`, or `None` when the
/// value is empty or not a valid cookie value (see the module comment).
pub fn set_cookie(
    name: &str,
    value: &str,
    setting: &CookieSetting,
    attributes: &CookieAttributes,
    domain: Option<&str>,
) -> Option<String> {
    if value.is_empty() || !value.bytes().all(|b| b == b'%' || is_cookie_octet(b)) {
        return None;
    }
    // Built by appending into one buffer sized for the usual attributes: `format!` and a
    // `to_string` for the number would cost more than the rest of this function.
    let mut out = String::with_capacity(name.len() + value.len() + 96);
    out.push_str(name);
    out.push('=');
    // Only `%` is left to encode here: every other byte is a cookie-octet. Without one (the
    // usual click id and browser id) the value is copied whole instead of piece by piece.
    if value.contains('%') {
        out.extend(utf8_percent_encode(value, NOT_COOKIE_OCTET));
    } else {
        out.push_str(value);
    }
    if let Some(d) = domain {
        out.push_str("; Domain=");
        out.push_str(d);
    }
    out.push_str("; Path=/; Max-Age=");
    push_decimal(&mut out, setting.max_age_seconds());
    out.push_str("; Secure; SameSite=");
    out.push_str(attributes.same_site.attribute());
    if attributes.http_only {
        out.push_str("; HttpOnly");
    }
    Some(out)
}

/// Appends `n` in decimal, in one copy.
fn push_decimal(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// RFC 6265 §4.1.1: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E.
fn is_cookie_octet(b: u8) -> bool {
    // One bit per ASCII byte, built from the ranges at compile time: a shift and a test per
    // byte of a ~100-byte click id, where the range comparisons cost several.
    const OCTETS: u128 = {
        let mut mask = 0u128;
        let mut b = 0;
        while b < 128 {
            if matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E) {
                mask |= 1 << b;
            }
            b += 1;
        }
        mask
    };
    b < 128 && OCTETS >> b & 1 == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CookieDomain, SameSite};

    fn attrs(same_site: SameSite, http_only: bool) -> CookieAttributes {
        CookieAttributes {
            domain: CookieDomain::Auto,
            same_site,
            http_only,
            trust_forwarded_host: false,
        }
    }

    const THIRTY: CookieSetting = CookieSetting {
        enabled: true,
        expiration_days: 30,
    };

    #[test]
    fn stape_15_click_id_cookie_with_default_attributes() {
        assert_eq!(
            set_cookie("__oppref", "my-click-id", &THIRTY, &attrs(SameSite::Lax, false), Some("example.com")).unwrap(),
            "__oppref=my-click-id; Domain=example.com; Path=/; Max-Age=2592000; Secure; SameSite=Lax"
        );
    }

    #[test]
    fn stape_17_same_site_strict_http_only_and_seven_days() {
        let seven = CookieSetting {
            enabled: true,
            expiration_days: 7,
        };
        assert_eq!(
            set_cookie("__oppref", "click-id", &seven, &attrs(SameSite::Strict, true), Some("example.com")).unwrap(),
            "__oppref=click-id; Domain=example.com; Path=/; Max-Age=604800; Secure; SameSite=Strict; HttpOnly"
        );
    }

    #[test]
    fn stape_20_browser_id_cookie_lifetimes() {
        let year = CookieSetting {
            enabled: true,
            expiration_days: 365,
        };
        let c = set_cookie(
            "__obref",
            "my-browser-id",
            &year,
            &attrs(SameSite::Lax, false),
            None,
        )
        .unwrap();
        assert_eq!(
            c,
            "__obref=my-browser-id; Path=/; Max-Age=31536000; Secure; SameSite=Lax"
        );
        let ninety = CookieSetting {
            enabled: true,
            expiration_days: 90,
        };
        assert!(
            set_cookie("__obref", "x", &ninety, &attrs(SameSite::None, false), None)
                .unwrap()
                .contains("Max-Age=7776000")
        );
    }

    #[test]
    fn decimals() {
        for n in [0, 7, 10, 604_800, 31_536_000, u64::MAX] {
            let mut out = String::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn values_outside_cookie_octets_are_never_written() {
        for bad in [
            "a;Domain=evil.com",
            "a\r\nSet-Cookie: x=y",
            "a b",
            "a,b",
            "\"q\"",
            "back\\slash",
            "é",
            "",
        ] {
            assert_eq!(
                set_cookie("__oppref", bad, &THIRTY, &attrs(SameSite::Lax, false), None),
                None,
                "{bad:?}"
            );
        }
        // Fernet-style tokens (base64url with '=' padding) are written as they are.
        let header = set_cookie(
            "__oppref",
            "gAAAAABn_x-Y==",
            &THIRTY,
            &attrs(SameSite::Lax, false),
            None,
        )
        .unwrap();
        assert!(header.starts_with("__oppref=gAAAAABn_x-Y==;"), "{header}");
    }

    #[test]
    fn stape_encoded_cookies_a_literal_percent_is_written_as_25_and_reads_back() {
        let header = set_cookie(
            "__oppref",
            "100%off",
            &THIRTY,
            &attrs(SameSite::Lax, false),
            None,
        )
        .unwrap();
        assert!(header.starts_with("__oppref=100%25off;"), "{header}");
        assert_eq!(read_value("100%25off"), "100%off");
    }

    #[test]
    fn stape_encoded_cookies_are_percent_decoded_on_read() {
        // Stape writes with encodeURIComponent.
        assert_eq!(read_value("gAAAAABn_x-Y%3D%3D"), "gAAAAABn_x-Y==");
        assert_eq!(read_value("a%2Bb%2Fc"), "a+b/c");
        assert_eq!(read_value("plain-id"), "plain-id");
        assert!(matches!(read_value("plain-id"), Cow::Borrowed(_)));
        // Invalid escapes stay; bytes that are not UTF-8 leave the raw value.
        assert_eq!(read_value("50%zz"), "50%zz");
        assert_eq!(read_value("x%FFy"), "x%FFy");
        // What Stape writes for a value, this filter reads; what this filter writes, Stape's
        // decodeURIComponent reads back to the same value.
        let value = "tok=en/+ é";
        let stape: String =
            utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string();
        assert_eq!(read_value(&stape), value);
    }
}
