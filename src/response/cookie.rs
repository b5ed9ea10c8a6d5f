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
    // byte of a ~100-byte click id, where the range comparisons cost several. Two 64-bit words,
    // not one `u128`: wasm has no 128-bit shift, and each would be a call into a helper.
    const fn mask(from: u8) -> u64 {
        let mut mask = 0u64;
        let mut bit = 0;
        while bit < 64 {
            if matches!(from + bit, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E) {
                mask |= 1 << bit;
            }
            bit += 1;
        }
        mask
    }
    const LOW: u64 = mask(0);
    const HIGH: u64 = mask(64);
    match b {
        0..=63 => LOW >> b & 1 == 1,
        64..=127 => HIGH >> (b - 64) & 1 == 1,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
