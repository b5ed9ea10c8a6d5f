//! Redaction and escaping: what a request-derived value may look like once it is in a log.
//!
//! Two jobs, one place. **Escaping** ([`Escaped`], [`json_line`]): a value from a
//! request (an event name, a parameter key, a header) must never start a new log line, forge
//! an entry or drive a terminal, so control characters, Unicode line and paragraph separators
//! and bidirectional controls are written as visible escapes. Every log line that carries a
//! request-derived value goes through this. **Redaction** ([`LoggedRequestBody`],
//! [`LoggedResponseBody`], [`redact_ip`], [`url_without_query`]): personal data a request
//! carries is cut down before it reaches a log record — IPs to their /24 (IPv4) or /48 (IPv6)
//! network, URLs without query, fragment or user info, user agent and geo replaced by a marker
//! — and the API's answers are left out, unless `logging.full_bodies` asks for bodies exactly
//! as sent and received. The logged-body types can only be built through this policy, so no
//! sink (console, BigQuery) can receive an unredacted body by mistake.

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Replaces a redacted personal value in a logged body.
pub const REDACTED: &str = "[redacted]";
/// Longest response body kept in a log line when full bodies are on.
pub const MAX_LOGGED_BODY: usize = 1024;

/// Whether `c` must not appear raw in a log line: C0 and C1 controls and DEL (CR, LF, ESC, NEL
/// …), the Unicode line and paragraph separators, and the bidirectional controls that can make
/// a line display differently from what it holds.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// A request-derived value for a plain log line: `\n`, `\r`, `\t` and `\u{…}` stand in for the
/// characters [`needs_escape`] names; everything else is written unchanged, without copying.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some((at, c)) = rest.char_indices().find(|(_, c)| needs_escape(*c)) {
            f.write_str(rest.get(..at).unwrap_or(""))?;
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                other => write!(f, "\\u{{{:x}}}", u32::from(other))?,
            }
            rest = rest.get(at + c.len_utf8()..).unwrap_or("");
        }
        f.write_str(rest)
    }
}

/// A serialised JSON log line made safe for line-oriented logs. serde_json already escapes
/// C0 controls inside strings but writes DEL, C1 controls, U+2028/U+2029 and bidi controls
/// raw; they can only occur inside strings, where `\uXXXX` is the same value, so the JSON
/// still decodes to exactly what was serialised.
pub fn json_line(line: String) -> String {
    if !line.chars().any(needs_escape) {
        return line;
    }
    let mut out = String::with_capacity(line.len() + 16);
    for c in line.chars() {
        if needs_escape(c) {
            // Every such character is in the Basic Multilingual Plane: four hex digits.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// The network an IP address belongs to, for logs: `203.0.113.0/24`, `2001:db8:85a3::/48`
/// (an IPv4-mapped IPv6 address counts as IPv4). Anything that does not parse is
/// [`REDACTED`] as a whole.
pub fn redact_ip(ip: &str) -> String {
    match ip.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => ipv4_network(v4),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => ipv4_network(v4),
            None => {
                let [a, b, c, ..] = v6.segments();
                format!("{}/48", Ipv6Addr::new(a, b, c, 0, 0, 0, 0, 0))
            }
        },
        Err(_) => REDACTED.to_owned(),
    }
}

fn ipv4_network(ip: Ipv4Addr) -> String {
    let [a, b, c, _] = ip.octets();
    format!("{}/24", Ipv4Addr::new(a, b, c, 0))
}

/// A URL for logs: without query and fragment (they carry click ids, emails, tokens), and
/// without user info (`https://user:pass@host/` → `https://host/`).
pub fn url_without_query(url: &str) -> Cow<'_, str> {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let url = url.get(..end).unwrap_or(url);
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return Cow::Borrowed(url);
    };
    let authority_end = url
        .get(scheme_end..)
        .and_then(|rest| rest.find('/'))
        .map_or(url.len(), |i| scheme_end + i);
    match url
        .get(scheme_end..authority_end)
        .and_then(|authority| authority.rfind('@'))
    {
        Some(at) => Cow::Owned(format!(
            "{}{}",
            url.get(..scheme_end).unwrap_or(""),
            url.get(scheme_end + at + 1..).unwrap_or("")
        )),
        None => Cow::Borrowed(url),
    }
}

/// An API request body as a log record may show it (`RequestBody`). Built only by
/// [`LoggedRequestBody::new`], which redacts unless full bodies are on.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct LoggedRequestBody(Box<RawValue>);

impl LoggedRequestBody {
    /// The body as JSON for a record. With `full` it is the body exactly as sent. Otherwise, in
    /// each event: `source_url` loses query, fragment and user info; `user.ip_address` becomes
    /// its network; `user.user_agent`, `user.cities`, `user.regions`, `user.postal_codes` and
    /// `user.countries` become [`REDACTED`]. Hashed user data, ids and event data stay.
    /// `None` if the body is not JSON (the filter always sends JSON).
    pub fn new(body: &[u8], full: bool) -> Option<LoggedRequestBody> {
        let text = std::str::from_utf8(body).ok()?;
        if full {
            return RawValue::from_string(text.to_owned())
                .ok()
                .map(LoggedRequestBody);
        }
        let mut value: Value = serde_json::from_str(text).ok()?;
        if let Some(events) = value.get_mut("events").and_then(Value::as_array_mut) {
            events.iter_mut().for_each(redact_event);
        }
        serde_json::value::to_raw_value(&value)
            .ok()
            .map(LoggedRequestBody)
    }

    pub fn get(&self) -> &str {
        self.0.get()
    }
}

fn redact_event(event: &mut Value) {
    if let Some(url) = event.get_mut("source_url") {
        if let Some(text) = url.as_str() {
            *url = Value::String(url_without_query(text).into_owned());
        }
    }
    let Some(user) = event.get_mut("user").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(ip) = user.get_mut("ip_address") {
        *ip = Value::String(ip.as_str().map_or_else(|| REDACTED.to_owned(), redact_ip));
    }
    if let Some(agent) = user.get_mut("user_agent") {
        *agent = Value::String(REDACTED.to_owned());
    }
    for geo in ["cities", "regions", "postal_codes", "countries"] {
        if let Some(Value::Array(values)) = user.get_mut(geo) {
            values.fill(Value::String(REDACTED.to_owned()));
        }
    }
}

/// The API's answer as a log may show it (`ResponseBody`, warn lines). Built only by
/// [`LoggedResponseBody::new`]: the answer can echo what was sent, so it is kept only when
/// full bodies are on, then cut to [`MAX_LOGGED_BODY`] bytes on a character boundary (lossy
/// UTF-8, `…` when cut).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct LoggedResponseBody(String);

impl LoggedResponseBody {
    pub fn new(body: &[u8], full: bool) -> Option<LoggedResponseBody> {
        if !full || body.is_empty() {
            return None;
        }
        let text = String::from_utf8_lossy(body);
        if text.len() <= MAX_LOGGED_BODY {
            return Some(LoggedResponseBody(text.into_owned()));
        }
        let mut end = MAX_LOGGED_BODY;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Some(LoggedResponseBody(format!(
            "{}…",
            text.get(..end).unwrap_or("")
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Most response headers a record keeps, and the longest value: an answer cannot grow a record
/// without bound.
pub const MAX_LOGGED_HEADERS: usize = 32;
pub const MAX_LOGGED_HEADER_VALUE: usize = 256;

/// The API's response headers as a record carries them (`ResponseHeaders`, a JSON object, as
/// Stape's tag logged them). Pseudo-headers and `set-cookie` are left out (a cookie is no
/// business of a log); at most [`MAX_LOGGED_HEADERS`] headers, values cut to
/// [`MAX_LOGGED_HEADER_VALUE`] bytes. Header names and values are the API's, not the user's,
/// so they are kept whatever `logging.full_bodies` says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoggedResponseHeaders(Vec<(String, String)>);

impl LoggedResponseHeaders {
    pub fn new(headers: &[(String, String)]) -> Option<LoggedResponseHeaders> {
        let kept: Vec<(String, String)> = headers
            .iter()
            .filter(|(name, _)| !name.starts_with(':') && !name.eq_ignore_ascii_case("set-cookie"))
            .take(MAX_LOGGED_HEADERS)
            .map(|(name, value)| {
                let mut end = value.len().min(MAX_LOGGED_HEADER_VALUE);
                while !value.is_char_boundary(end) {
                    end -= 1;
                }
                (
                    name.to_ascii_lowercase(),
                    value.get(..end).unwrap_or_default().to_owned(),
                )
            })
            .collect();
        (!kept.is_empty()).then_some(LoggedResponseHeaders(kept))
    }
}

impl Serialize for LoggedResponseHeaders {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// How a warn or info line describes an API answer: the body (escaped) when full bodies are
/// on, else only its size and how to see it.
pub fn response_summary(status: u16, body: &[u8], full: bool) -> String {
    match LoggedResponseBody::new(body, full) {
        Some(logged) => format!("HTTP {status}: {}", Escaped(logged.as_str())),
        None if body.is_empty() => format!("HTTP {status}"),
        None => format!(
            "HTTP {status} (response body of {} bytes not logged; set logging.full_bodies to see it)",
            body.len()
        ),
    }
}

#[cfg(test)]
mod tests;
