//! The callout target: `api.authority` and `api.path`, which become the `:authority` and
//! `:path` pseudo-headers of every API call. They are checked here so that no configured value
//! can end a header, add one, or change the request line: a bad one is refused with the field,
//! the value (quoted) and an example of a valid one.

use super::{non_empty, ConfigError};

/// `api.authority`: it becomes the callout's `:authority` header, so it must be a host name
/// (letters, digits, `.`, `-`, `_`) or a bracketed IPv6 address, with an optional port, and
/// nothing that could end the header or change the request: no scheme, path, user info,
/// whitespace or control characters.
pub(super) fn api_authority(raw: String) -> Result<String, ConfigError> {
    // Checked before trimming: a trailing CR/LF is a broken value, not padding.
    let has_control = raw.chars().any(char::is_control);
    let authority = non_empty("api.authority", raw)?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port))
            if !host.ends_with(':') && (!host.contains(':') || host.ends_with(']')) =>
        {
            (host, Some(port))
        }
        _ => (authority.as_str(), None),
    };
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        }
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    if host_ok && port_ok && !has_control {
        Ok(authority)
    } else {
        Err(ConfigError::new(
            "api.authority",
            format!(
                "{authority:?} must be a host name with an optional port, e.g. \"bzr.openai.com\" or \"api.internal:8443\" (no scheme, path, spaces or control characters)"
            ),
        ))
    }
}

/// `api.path`: it goes into the callout's `:path` header, so it must be an absolute path of
/// URL path characters (RFC 3986 `pchar` and `/`, `%` only as a `%XX` escape): no query or
/// fragment (the filter appends `?pid=`), whitespace, control or non-ASCII characters.
pub(super) fn api_path(raw: String) -> Result<String, ConfigError> {
    let has_control = raw.chars().any(char::is_control);
    let path = non_empty("api.path", raw)?;
    let bytes = path.as_bytes();
    let escapes_ok = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    let chars_ok = bytes.iter().copied().all(crate::url_path::is_path_byte);
    if path.starts_with('/') && chars_ok && escapes_ok && !has_control {
        Ok(path)
    } else {
        Err(ConfigError::new(
            "api.path",
            format!(
                "{path:?} must be an absolute path without query, e.g. \"/v1/events\" (no spaces, control or non-ASCII characters; percent-encode anything else as %XX)"
            ),
        ))
    }
}
