use super::*;
use std::io::Cursor;

/// An in-memory stream: reads from `input`, collects writes.
struct Mem {
    input: Cursor<Vec<u8>>,
    output: Vec<u8>,
}

impl Read for Mem {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // At most 7 bytes at a time, to exercise partial reads.
        let n = buf.len().min(7);
        self.input.read(&mut buf[..n])
    }
}

impl Write for Mem {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn conn(input: &str) -> Conn<Mem> {
    Conn::new(Mem {
        input: Cursor::new(input.as_bytes().to_vec()),
        output: Vec::new(),
    })
}

#[test]
fn reads_pipelined_requests_with_length_and_chunked_bodies() {
    let mut c = conn(
        "POST /v1/events?pid=a%20b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\
             \r\nPOST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
             3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n",
    );
    let first = c.read_request().unwrap();
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/v1/events");
    assert_eq!(first.query, "pid=a%20b");
    assert_eq!(first.headers[0], ("host".to_owned(), "x".to_owned()));
    assert_eq!(first.body, b"hello");
    assert!(first.keep_alive());
    let second = c.read_request().unwrap();
    assert_eq!(second.path, "/x");
    assert_eq!(second.body, b"abcde");
    assert!(!second.keep_alive());
    assert!(matches!(c.read_request(), Err(ReadError::Closed)));
}

#[test]
fn answers_expect_100_continue() {
    let mut c = conn(
        "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 26\r\n\r\nabcdefghijklmnopqrstuvwxyz",
    );
    let r = c.read_request().unwrap();
    assert_eq!(r.body, b"abcdefghijklmnopqrstuvwxyz");
    assert_eq!(c.stream.output, b"HTTP/1.1 100 Continue\r\n\r\n");
}

#[test]
fn rejects_malformed_requests() {
    for bad in [
        "GARBAGE\r\n\r\n",
        "POST / HTTP/1.1\r\nno colon\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ] {
        assert!(
            matches!(conn(bad).read_request(), Err(ReadError::Malformed(..))),
            "{bad:?}"
        );
    }
    assert!(matches!(
        conn("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc").read_request(),
        Err(ReadError::Io(_))
    ));
}

#[test]
fn http10_closes_unless_keep_alive() {
    let r = conn("GET / HTTP/1.0\r\n\r\n").read_request().unwrap();
    assert!(!r.keep_alive());
    let r = conn("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .read_request()
        .unwrap();
    assert!(r.keep_alive());
}

#[test]
fn absolute_form_target() {
    assert_eq!(
        split_target("http://h:1/v1/events?pid=p"),
        ("/v1/events".to_owned(), "pid=p".to_owned())
    );
    assert_eq!(split_target("http://h"), ("/".to_owned(), String::new()));
}
