//! Request facts: what the tag logic may know about the collection request besides its events.
//!
//! The glue hands over raw header bytes and Envoy's resolved downstream address; this module
//! turns them into bounded, lossless-enough strings: the method and path that decide whether the
//! request is a collection request at all, the query, cookies (all `Cookie` headers, first value
//! wins), `User-Agent`, `Referer`, `:authority` and the hosts a proxy says the client addressed
//! (`X-Forwarded-Host`, `Forwarded: host=`), the trace id (`trace-id`, else Envoy's
//! `x-request-id`; at most [`MAX_TRACE_ID_BYTES`]), the scheme the client used, and the peer IP with its port
//! stripped. Non-UTF-8 header bytes never panic: they are decoded lossily, so a value with
//! invalid bytes carries U+FFFD and is later refused wherever it would be written out (cookies).

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

/// Longest header value kept; Envoy's own header limit is 60 KiB, we keep far less.
pub const MAX_HEADER_VALUE_BYTES: usize = 8192;
/// `:path` carries a whole GA4 GET hit (items included), so it may use Envoy's full header
/// budget; anything longer never reaches the filter.
pub const MAX_PATH_BYTES: usize = 64 * 1024;
/// Most headers kept for `{{header.…}}` references.
pub const MAX_HEADERS: usize = 128;
/// Longest trace id kept. Every log record, BigQuery row and queued call of the request
/// carries it, so a client must not be able to make it kilobytes long.
pub const MAX_TRACE_ID_BYTES: usize = 256;

/// HTTP methods a collection request may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Other,
}

/// Everything about the collection request except its body.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    pub method: Method,
    /// `:path` without the query.
    pub path: String,
    /// Raw query string, without the `?`.
    pub query: String,
    pub authority: Option<String>,
    /// First value of the first `X-Forwarded-Host` header, as sent (a proxy's claim of the host
    /// the client addressed; only believed when `cookie.trust_forwarded_host` is on).
    pub x_forwarded_host: Option<String>,
    /// `host=` of the first element of the first `Forwarded` header (RFC 7239), unquoted.
    pub forwarded_host: Option<String>,
    /// Envoy's trusted downstream address without the port (`source.address`).
    pub peer_ip: Option<String>,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
    pub content_type: Option<String>,
    /// The `trace-id` header, else `x-request-id` (which Envoy sets on every request), echoed
    /// in console logs so a log line can be matched with the access log; cut to
    /// [`MAX_TRACE_ID_BYTES`].
    pub trace_id: Option<String>,
    /// `http` or `https` as the client used it: `x-forwarded-proto` (set or sanitised by
    /// Envoy's connection manager), else `:scheme`.
    pub scheme: Option<String>,
    /// Cookie name/value pairs in header order; duplicates kept (first wins on lookup).
    pub cookies: Vec<(String, String)>,
    /// All headers, lower-case names, bounded (for `{{header.…}}` references).
    pub headers: Vec<(String, String)>,
}

impl RequestFacts {
    /// Builds the facts from header pairs as Envoy hands them over and the raw `source.address`
    /// property. Returns `None` when there is no `:path` (never the case for HTTP requests).
    pub fn from_headers(
        pairs: &[(String, Vec<u8>)],
        source_address: Option<&[u8]>,
    ) -> Option<Self> {
        let mut facts = RequestFacts {
            method: Method::Other,
            path: String::new(),
            query: String::new(),
            authority: None,
            x_forwarded_host: None,
            forwarded_host: None,
            peer_ip: source_address.and_then(parse_peer_ip),
            user_agent: None,
            referer: None,
            content_type: None,
            trace_id: None,
            scheme: None,
            cookies: Vec::new(),
            headers: Vec::new(),
        };
        let mut saw_path = false;
        let mut request_id = None;
        let mut pseudo_scheme = None;
        let mut saw_forwarded = false;
        for (name, raw) in pairs {
            let limit = if name == ":path" {
                MAX_PATH_BYTES
            } else {
                MAX_HEADER_VALUE_BYTES
            };
            let value = bounded_text(raw, limit);
            match name.as_str() {
                ":method" => {
                    facts.method = match value.as_ref() {
                        "GET" => Method::Get,
                        "POST" => Method::Post,
                        _ => Method::Other,
                    }
                }
                ":path" => {
                    saw_path = true;
                    let (path, query) = split_path(&value);
                    facts.path = path.to_owned();
                    facts.query = query.to_owned();
                }
                ":authority" => facts.authority = non_empty(&value),
                "x-forwarded-host" if facts.x_forwarded_host.is_none() => {
                    facts.x_forwarded_host = non_empty(value.split(',').next().unwrap_or_default())
                }
                "forwarded" if !saw_forwarded => {
                    saw_forwarded = true;
                    facts.forwarded_host = forwarded_host(&value);
                }
                "user-agent" if facts.user_agent.is_none() => facts.user_agent = non_empty(&value),
                "referer" if facts.referer.is_none() => facts.referer = non_empty(&value),
                "content-type" if facts.content_type.is_none() => {
                    facts.content_type = non_empty(&value)
                }
                "trace-id" if facts.trace_id.is_none() => facts.trace_id = non_empty(&value),
                "x-request-id" if request_id.is_none() => request_id = non_empty(&value),
                ":scheme" => pseudo_scheme = web_scheme(&value),
                "x-forwarded-proto" if facts.scheme.is_none() => facts.scheme = web_scheme(&value),
                "cookie" => parse_cookies(&value, &mut facts.cookies),
                _ => {}
            }
            if !name.starts_with(':') && facts.headers.len() < MAX_HEADERS {
                facts.headers.push((name.clone(), value.into_owned()));
            }
        }
        facts.trace_id = facts.trace_id.or(request_id).map(|mut id| {
            cut_at_char_boundary(&mut id, MAX_TRACE_ID_BYTES);
            id
        });
        facts.scheme = facts.scheme.or(pseudo_scheme);
        saw_path.then_some(facts)
    }

    /// Bytes of the request line and headers as kept here: with the body, the size a request's
    /// work budget is measured against.
    pub fn size_bytes(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(name, value)| name.len() + value.len())
            .sum();
        self.path.len()
            + self.query.len()
            + self.authority.as_ref().map_or(0, String::len)
            + headers
    }

    /// `scheme://authority/path` of the collection request as the client sent it (no query:
    /// it may carry user data), for logs.
    pub fn url(&self) -> String {
        format!(
            "{}://{}{}",
            self.scheme.as_deref().unwrap_or("http"),
            self.authority.as_deref().unwrap_or_default(),
            self.path
        )
    }

    /// First value of the cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// First value of the header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// First decoded value of the collection request's own query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<Cow<'_, str>> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v)
    }
}

fn bounded_text(raw: &[u8], limit: usize) -> Cow<'_, str> {
    let raw = raw.get(..limit).unwrap_or(raw);
    // The strict check first: it runs a word at a time over ASCII, where the lossy decoder's
    // chunk iterator costs several instructions per byte of a kilobyte-long `:path`. Both give
    // the same text for UTF-8 input.
    match std::str::from_utf8(raw) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(raw),
    }
}

/// `http` or `https` (first of a comma-separated list, any case); anything else is unknown.
fn web_scheme(value: &str) -> Option<String> {
    let first = value.split(',').next().unwrap_or_default().trim();
    ["http", "https"]
        .into_iter()
        .find(|s| first.eq_ignore_ascii_case(s))
        .map(str::to_owned)
}

/// Cuts `text` to at most `max` bytes, never inside a character.
fn cut_at_char_boundary(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

fn non_empty(value: &str) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Splits `:path` into path and query; a fragment (never sent by browsers) is dropped.
pub fn split_path(path: &str) -> (&str, &str) {
    let path = path.split('#').next().unwrap_or(path);
    match path.split_once('?') {
        Some((p, q)) => (p, q),
        None => (path, ""),
    }
}

/// The `host` parameter of the first element of a `Forwarded` header (RFC 7239 §4): elements
/// are separated by `,`, parameters by `;`, names are case-insensitive and a value is a token or
/// a quoted string (`host="shop.example.com:8443"`, `\` escaping the next character). A
/// separator inside quotes separates nothing. `None` when the first element names no host.
fn forwarded_host(header: &str) -> Option<String> {
    let mut in_quotes = false;
    let mut escaped = false;
    let mut start = 0;
    for (at, c) in header
        .char_indices()
        .chain(std::iter::once((header.len(), ',')))
    {
        if in_quotes {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_quotes = false,
                _ => {}
            }
            // An unterminated quote runs to the end: the element ends there.
            if at < header.len() {
                continue;
            }
        }
        match c {
            '"' => in_quotes = true,
            ';' | ',' => {
                let pair = header.get(start..at).unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    if name.trim().eq_ignore_ascii_case("host") {
                        return non_empty(&unquote(value.trim()));
                    }
                }
                if c == ',' {
                    return None;
                }
                start = at + 1;
            }
            _ => {}
        }
    }
    None
}

/// An RFC 7230 quoted string's content (`"a\"b"` → `a"b`); a token as it is.
fn unquote(value: &str) -> Cow<'_, str> {
    let Some(inner) = value.strip_prefix('"') else {
        return Cow::Borrowed(value);
    };
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' {
            chars.next().unwrap_or(c)
        } else {
            c
        });
    }
    Cow::Owned(out)
}

/// `source.address` is `ip:port` (IPv6 as `[ip]:port`); a bare IP is accepted too.
fn parse_peer_ip(raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr.ip().to_string());
    }
    text.parse::<IpAddr>().ok().map(|ip| ip.to_string())
}

/// RFC 6265 §5.4 style parsing: `name=value` pairs split on `;`, surrounding whitespace and a
/// pair of double quotes around the value removed. Pairs without `=` are ignored.
fn parse_cookies(header: &str, out: &mut Vec<(String, String)>) {
    for pair in header.split(';') {
        let Some((name, value)) = pair.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || out.len() >= MAX_HEADERS {
            continue;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        out.push((name.to_owned(), value.to_owned()));
    }
}

#[cfg(test)]
mod tests;
