//! The page URL: the form `source_url` is sent in, and the cheap read of a plain http(s) host
//! that both `source_url` and the cookie domain use before falling back to a full URL parse.

/// `source_url` as the API wants it, `None` for a URL it cannot be: an absolute http(s) URL
/// with a host, without raw whitespace or control characters, in its parsed, serialised form
/// (`HTTP://Shop.Example` → `http://shop.example/`, non-ASCII percent-encoded), so the API
/// never sees a form it might read differently. User info (`user:password@`) and the fragment are removed: credentials
/// must never leave the gateway, and a fragment is client-side state the API has no use for.
pub fn source_url(raw: &str) -> Option<String> {
    if has_space_or_control(raw) {
        return None;
    }
    if is_serialised_form(raw) {
        return Some(raw.to_owned());
    }
    match url::Url::parse(raw) {
        Ok(mut u)
            if matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some_and(|h| !h.is_empty()) =>
        {
            // Neither can fail on an http(s) URL with a host.
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_fragment(None);
            Some(u.into())
        }
        _ => None,
    }
}

/// Whether `url` already is what `url::Url` would serialise it to, read without a parse (which
/// costs several thousand instructions per event): a plain http(s) host (see
/// `plain_http_host`), a path, and after it only characters the parser keeps as they are: no
/// dot segments to resolve, no backslash, nothing it percent-encodes. Any other form is parsed.
fn is_serialised_form(url: &str) -> bool {
    let Some(host) = plain_http_host(url) else {
        return false;
    };
    let scheme_len = if url.starts_with("https://") { 8 } else { 7 };
    let Some(rest) = url.get(scheme_len + host.len()..) else {
        return false;
    };
    if !rest.starts_with('/') {
        return false;
    }
    // One pass: in wasm, without SIMD, each substring search is a scan of its own.
    let bytes = rest.as_bytes();
    let mut prev = 0u8;
    for (at, &b) in bytes.iter().enumerate() {
        // `'` is percent-encoded by the parser in a query, and `?` starts one.
        let kept = (crate::url_path::is_path_byte(b) && b != b'\'') || b == b'?';
        let dot_segment = b == b'.' && prev == b'/';
        let encoded_dot =
            b == b'%' && matches!(bytes.get(at + 1..at + 3), Some([b'2', b'e' | b'E']));
        if !kept || dot_segment || encoded_dot {
            return false;
        }
        prev = b;
    }
    true
}

/// Raw whitespace or a control character anywhere in `raw`. ASCII text (nearly every page URL)
/// is checked byte by byte: its only whitespace that is not a control character is the space.
fn has_space_or_control(raw: &str) -> bool {
    if raw.is_ascii() {
        raw.bytes().any(|b| b == b' ' || b.is_ascii_control())
    } else {
        raw.chars().any(|c| c.is_whitespace() || c.is_control())
    }
}

/// The host of an `http`/`https` URL in the plain form nearly every page URL has, read without
/// a full URL parse: lowercase scheme, no user info or port, and a host of non-empty labels of
/// lowercase ASCII letters, digits and `-`, none starting with `xn--` (punycode, which the URL
/// parser validates), the last one letters only (a host ending in a number is an IPv4 address to
/// the parser). For such a URL `url::Url::parse` always succeeds, with exactly this host as a
/// domain; the page URL is checked and read per event (as `source_url`, and here), and a full
/// parse costs several thousand instructions. `None` for any other form: the caller parses.
pub fn plain_http_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let host = rest.get(..end)?;
    let plain_label = |label: &[u8]| {
        !label.is_empty()
            && !label.starts_with(b"xn--")
            && label
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
    };
    let mut labels = host.as_bytes().split(|b| *b == b'.');
    let last = labels.next_back()?;
    let plain =
        plain_label(last) && last.iter().all(u8::is_ascii_lowercase) && labels.all(plain_label);
    plain.then_some(host)
}

#[cfg(test)]
mod tests;
