//! Set-Cookie values for `__oppref` and `__obref`.
//!
//! Both cookies are re-written on every qualifying hit so their expiry slides, as in Stape.
//! Values are written verbatim only if every byte is an RFC 6265 cookie-octet: a value carrying
//! `;`, `,`, whitespace, quotes, CR/LF or non-ASCII would otherwise inject attributes or break
//! the header, so it is refused (the caller logs it) rather than escaped into something else.

use crate::config::{CookieAttributes, CookieSetting};

/// `Name=value; Domain=…; Path=/; Max-Age=…; Secure; SameSite=…[; HttpOnly]`, or `None` when the
/// value is not a valid cookie value.
pub fn set_cookie(
    name: &str,
    value: &str,
    setting: &CookieSetting,
    attributes: &CookieAttributes,
    domain: Option<&str>,
) -> Option<String> {
    if value.is_empty() || !value.bytes().all(is_cookie_octet) {
        return None;
    }
    // Built by appending into one buffer sized for the usual attributes: `format!` and a
    // `to_string` for the number would cost more than the rest of this function.
    let mut out = String::with_capacity(name.len() + value.len() + 96);
    out.push_str(name);
    out.push('=');
    out.push_str(value);
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

/// RFC 6265 §4.1.1: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E.
/// Appends `n` in decimal, in one copy.
fn push_decimal(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

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
        // Fernet-style tokens (base64url with '=' padding) are fine.
        assert!(set_cookie(
            "__oppref",
            "gAAAAABn_x-Y==",
            &THIRTY,
            &attrs(SameSite::Lax, false),
            None
        )
        .is_some());
    }
}
