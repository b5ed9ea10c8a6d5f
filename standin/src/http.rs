//! A small HTTP/1.1 server side: reads whole requests (Content-Length or chunked bodies, keep-alive,
//! pipelining, `Expect: 100-continue`) and writes complete responses in one write.

use std::io::{self, ErrorKind, Read, Write};

/// Largest request head (request line + headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest body accepted (far above 1,000 events).
const MAX_BODY: usize = 64 * 1024 * 1024;
/// Largest chunk-size or trailer line accepted.
const MAX_LINE: usize = 8 * 1024;

/// One request, read completely.
#[derive(Debug)]
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub version: String,
    /// Names lower-cased, values trimmed, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    fn header_tokens<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
    }

    /// Whether the connection stays open after answering this request.
    pub fn keep_alive(&self) -> bool {
        let close = self
            .header_tokens("connection")
            .any(|t| t.eq_ignore_ascii_case("close"));
        let keep = self
            .header_tokens("connection")
            .any(|t| t.eq_ignore_ascii_case("keep-alive"));
        if self.version == "HTTP/1.0" {
            keep && !close
        } else {
            !close
        }
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed the connection cleanly between requests.
    Closed,
    /// A socket error or a connection closed mid-request.
    Io(io::Error),
    /// Not valid HTTP/1.1: answer with this status and message, then close.
    Malformed(u16, String),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> ReadError {
        ReadError::Io(e)
    }
}

fn malformed(status: u16, what: impl Into<String>) -> ReadError {
    ReadError::Malformed(status, what.into())
}

/// The reading side of one connection, with bytes read ahead of the current request.
pub(crate) struct Conn<S> {
    pub stream: S,
    buf: Vec<u8>,
}

impl<S: Read + Write> Conn<S> {
    pub fn new(stream: S) -> Conn<S> {
        Conn {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    /// Reads more bytes into the buffer; returns how many (0 = end of stream).
    fn fill(&mut self) -> io::Result<usize> {
        let mut tmp = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut tmp) {
                Ok(n) => {
                    if let Some(chunk) = tmp.get(..n) {
                        self.buf.extend_from_slice(chunk);
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn fill_or_eof(&mut self) -> Result<(), ReadError> {
        if self.fill()? == 0 {
            return Err(ReadError::Io(io::Error::new(
                ErrorKind::UnexpectedEof,
                "connection closed in the middle of a request",
            )));
        }
        Ok(())
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        self.buf.drain(..n.min(self.buf.len())).collect()
    }

    /// One CRLF-terminated line, without the CRLF.
    fn read_line(&mut self) -> Result<Vec<u8>, ReadError> {
        loop {
            if let Some(i) = find(&self.buf, b"\r\n") {
                let mut line = self.take(i + 2);
                line.truncate(i);
                return Ok(line);
            }
            if self.buf.len() > MAX_LINE {
                return Err(malformed(400, "chunk line too long"));
            }
            self.fill_or_eof()?;
        }
    }

    fn read_exact_n(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        while self.buf.len() < n {
            self.fill_or_eof()?;
        }
        Ok(self.take(n))
    }

    /// Reads the next whole request, body included.
    pub fn read_request(&mut self) -> Result<Request, ReadError> {
        let head_end = loop {
            // Tolerate empty lines before a request line (RFC 9112 §2.2).
            while self.buf.starts_with(b"\r\n") {
                self.take(2);
            }
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(malformed(431, "request head larger than 64 KiB"));
            }
            if self.fill()? == 0 {
                return Err(if self.buf.is_empty() {
                    ReadError::Closed
                } else {
                    ReadError::Io(io::Error::new(
                        ErrorKind::UnexpectedEof,
                        "connection closed in the middle of a request head",
                    ))
                });
            }
        };
        let mut head = self.take(head_end + 4);
        head.truncate(head_end);
        let head = String::from_utf8_lossy(&head);
        let mut lines = head.split("\r\n");

        let request_line = lines.next().unwrap_or_default();
        let mut parts = request_line.split(' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed(400, format!("bad request line {request_line:?}")));
        };
        if method.is_empty()
            || !method.bytes().all(|b| b.is_ascii_alphabetic())
            || !version.starts_with("HTTP/1.")
        {
            return Err(malformed(400, format!("bad request line {request_line:?}")));
        }

        let mut headers = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                return Err(malformed(400, "obsolete header line folding"));
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(malformed(400, format!("bad header line {line:?}")));
            };
            if name.is_empty() || name.contains(|c: char| c.is_whitespace()) {
                return Err(malformed(400, format!("bad header name {name:?}")));
            }
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }

        let (path, query) = split_target(target);
        let mut request = Request {
            method: method.to_owned(),
            path,
            query,
            version: version.to_owned(),
            headers,
            body: Vec::new(),
        };
        request.body = self.read_body(&request)?;
        Ok(request)
    }

    fn read_body(&mut self, request: &Request) -> Result<Vec<u8>, ReadError> {
        let te: Vec<&str> = request.header_tokens("transfer-encoding").collect();
        let chunked = match te.last() {
            None => false,
            Some(t) if t.eq_ignore_ascii_case("chunked") => true,
            Some(t) => {
                return Err(malformed(
                    501,
                    format!("unsupported transfer-encoding {t:?}"),
                ))
            }
        };
        let length = if chunked {
            None
        } else {
            let mut length: Option<usize> = None;
            for value in request.header_tokens("content-length") {
                let n: usize = value
                    .parse()
                    .map_err(|_| malformed(400, format!("bad content-length {value:?}")))?;
                if length.is_some_and(|l| l != n) {
                    return Err(malformed(400, "conflicting content-length headers"));
                }
                length = Some(n);
            }
            Some(length.unwrap_or(0))
        };
        if length.is_some_and(|n| n > MAX_BODY) {
            return Err(malformed(413, "body larger than 64 MiB"));
        }

        let wants_continue = request
            .header_tokens("expect")
            .any(|t| t.eq_ignore_ascii_case("100-continue"));
        let needs_more = match length {
            Some(n) => self.buf.len() < n,
            None => true,
        };
        if wants_continue && needs_more && request.version == "HTTP/1.1" {
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }

        match length {
            Some(n) => self.read_exact_n(n),
            None => self.read_chunked(),
        }
    }

    fn read_chunked(&mut self) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line()?;
            let line = String::from_utf8_lossy(&line);
            let size_text = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| malformed(400, format!("bad chunk size {size_text:?}")))?;
            if size == 0 {
                // Trailer section, up to the empty line.
                while !self.read_line()?.is_empty() {}
                return Ok(body);
            }
            if body.len().saturating_add(size) > MAX_BODY {
                return Err(malformed(413, "body larger than 64 MiB"));
            }
            body.extend(self.read_exact_n(size)?);
            if !self.read_line()?.is_empty() {
                return Err(malformed(400, "chunk not followed by CRLF"));
            }
        }
    }
}

/// Splits an origin-form (or absolute-form) request target into path and query.
fn split_target(target: &str) -> (String, String) {
    let origin = match target.find("://") {
        Some(i) => {
            let after = target.get(i + 3..).unwrap_or_default();
            match after.find(['/', '?']) {
                Some(j) => after.get(j..).unwrap_or_default(),
                None => "/",
            }
        }
        None => target,
    };
    let origin = origin.split('#').next().unwrap_or_default();
    match origin.split_once('?') {
        Some((path, query)) => (path.to_owned(), query.to_owned()),
        None => (origin.to_owned(), String::new()),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A complete response.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub retry_after: Option<String>,
}

impl Response {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type: "application/json",
            body: body.into(),
            retry_after: None,
        }
    }

    /// `{"error":{"message":...}}`
    pub fn error(status: u16, message: &str) -> Response {
        let body = serde_json::json!({ "error": { "message": message } }).to_string();
        Response::json(status, body)
    }

    /// Writes the response in one write; `close` adds `Connection: close`.
    pub fn write_to(&self, out: &mut impl Write, close: bool) -> io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        if let Some(retry_after) = &self.retry_after {
            let clean: String = retry_after.chars().filter(|c| !c.is_control()).collect();
            head.push_str(&format!("retry-after: {clean}\r\n"));
        }
        if close {
            head.push_str("connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        out.write_all(&bytes)?;
        out.flush()
    }
}

/// Reason phrase of a status code.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests;
