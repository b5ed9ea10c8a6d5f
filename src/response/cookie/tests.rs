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
        set_cookie(
            "__oppref",
            "my-click-id",
            &THIRTY,
            &attrs(SameSite::Lax, false),
            Some("example.com")
        )
        .unwrap(),
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
    let stape: String = utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string();
    assert_eq!(read_value(&stape), value);
}

#[test]
fn cookie_octets_are_exactly_rfc_6265s_ranges() {
    for b in 0..=u8::MAX {
        let rfc = matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
        assert_eq!(is_cookie_octet(b), rfc, "byte {b:#04x}");
    }
}
