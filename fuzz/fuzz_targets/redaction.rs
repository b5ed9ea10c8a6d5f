//! Log redaction and escaping. The input's first byte holds the flags (bit 0: full bodies),
//! the rest is an API request body; it is also the API's answer, an event name and a response
//! header value. Whatever the body: a logged request body is JSON whenever the body was; with
//! full bodies it is the body exactly as sent; without, it holds none of the personal values
//! planted in every event (IP, user agent, geo, URL query, fragment and user info). A console
//! line is one line of JSON that decodes to the values it was given; an answer's summary
//! without full bodies says nothing of its content; IPs become networks.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::observe::console::{Record, RecordType};
use openai_capi_filter::observe::redact::{
    redact_ip, response_summary, url_without_query, LoggedRequestBody, LoggedResponseBody,
    LoggedResponseHeaders, REDACTED,
};
use openai_capi_filter_fuzz::{plant_personal_data, planted_in};
use serde_json::Value;

/// What a log line must never hold raw: line breaks and the characters that forge or hide text.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn request_body(body: &[u8], full: bool) {
    let is_json = serde_json::from_slice::<Value>(body).is_ok();
    let logged = LoggedRequestBody::new(body, full);
    if let Some(logged) = &logged {
        // JSON text (a number out of f64's range is JSON, though no `Value` holds it).
        serde_json::from_str::<Box<serde_json::value::RawValue>>(logged.get())
            .expect("a logged body is JSON");
        if full {
            assert_eq!(
                logged.get().as_bytes(),
                body.trim_ascii(),
                "full bodies are exactly as sent (but for surrounding whitespace)"
            );
        }
    }
    if is_json {
        assert!(logged.is_some(), "a JSON body was not logged");
    }
    if let Some(planted) = plant_personal_data(body) {
        let logged = LoggedRequestBody::new(&planted, false).expect("a planted body is JSON");
        assert_eq!(planted_in(logged.get()), None, "{}", logged.get());
        let record = Record {
            request_body: Some(&logged),
            ..Record::new(RecordType::Request)
        };
        assert_eq!(planted_in(&record.to_line()), None);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let full = flags & 1 == 1;
    request_body(body, full);

    // A record of request-derived text, the answer and its headers: one line of JSON.
    let text = String::from_utf8_lossy(body);
    let answer = LoggedResponseBody::new(body, full);
    let headers = LoggedResponseHeaders::new(&[("x-fuzz".to_owned(), text.to_string())]);
    let record = Record {
        event_name: Some(&text),
        request_url: Some(&text),
        response_status_code: Some(200),
        response_headers: headers.as_ref(),
        response_body: answer.as_ref(),
        trace_id: Some(&text),
        ..Record::new(RecordType::Response)
    };
    let line = record.to_line();
    assert!(!line.chars().any(unsafe_char), "{line:?}");
    let decoded: Value = serde_json::from_str(&line).expect("a console line is JSON");
    assert_eq!(decoded["EventName"].as_str(), Some(&*text));
    if !full {
        assert!(
            decoded.get("ResponseBody").is_none(),
            "an answer logged without full bodies"
        );
    }

    // An answer's summary: escaped; without full bodies it depends on the body's size alone.
    let summary = response_summary(503, body, full);
    assert!(!summary.chars().any(unsafe_char), "{summary:?}");
    if !full {
        assert_eq!(
            summary,
            response_summary(503, &vec![b'x'; body.len()], false)
        );
    }

    // IPs to their network, URLs without query, fragment or user info.
    let ip = redact_ip(&text);
    assert!(
        ip == REDACTED
            || ip
                .split_once('/')
                .is_some_and(|(net, bits)| net.parse::<std::net::IpAddr>().is_ok()
                    && (bits == "24" || bits == "48")),
        "{ip}"
    );
    let url = url_without_query(&text);
    assert!(!url.contains(['?', '#']), "{url}");
    if let Some(scheme) = url.find("://") {
        let authority = url[scheme + 3..].split('/').next().unwrap_or("");
        assert!(!authority.contains('@'), "{url}");
    }
});
