//! Console records to BigQuery rows. The input's first byte holds the record type (bits 0-1)
//! and full bodies (bit 2); its lines are the event name, the request URL, the trace id, the
//! message, the reason, a response header value, and the rest the API request body (also its
//! answer). Whatever they hold, a row is one JSON object of the shipped table's columns with
//! the record's timestamp, bounded by the size of what it was built from, and without full
//! bodies it holds none of the personal values planted in the request body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::observe::bigquery::rows::{row_json, COLUMNS};
use openai_capi_filter::observe::console::{Record, RecordType};
use openai_capi_filter::observe::redact::{
    LoggedRequestBody, LoggedResponseBody, LoggedResponseHeaders,
};
use openai_capi_filter_fuzz::{plant_personal_data, planted_in};
use serde_json::Value;

const NOW_MS: u64 = 1_800_000_000_123;

fn check_row(record: &Record<'_>, inputs: usize) -> Value {
    let row = row_json(record, NOW_MS);
    // Every byte may be escaped (`\u0000`, 6 bytes), and a JSON-valued column is escaped
    // once more as a string: 8 times the inputs, plus the fixed columns.
    assert!(
        row.len() <= 8 * inputs + 1024,
        "a row of {} bytes from {inputs} bytes",
        row.len()
    );
    let value: Value = serde_json::from_str(&row).expect("a row is JSON");
    let object = value.as_object().expect("a row is a JSON object");
    assert_eq!(object.get("timestamp"), Some(&Value::from(NOW_MS)));
    for column in object.keys() {
        assert!(
            COLUMNS.contains(&column.as_str()),
            "column {column} is not in the table"
        );
    }
    value
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let kind = match flags & 3 {
        0 => RecordType::Request,
        1 => RecordType::Response,
        _ => RecordType::Message,
    };
    let full = flags & 4 != 0;
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.splitn(7, '\n');
    let mut next = || lines.next().filter(|l| !l.is_empty());
    let (event_name, url, trace_id, message, reason, header) =
        (next(), next(), next(), next(), next(), next());
    let body = next().unwrap_or("").as_bytes();
    let request_body = LoggedRequestBody::new(body, full);
    let response_body = LoggedResponseBody::new(body, full);
    let headers =
        header.and_then(|h| LoggedResponseHeaders::new(&[("x-fuzz".to_owned(), h.to_owned())]));
    let record = Record {
        event_name,
        request_method: Some("POST"),
        request_url: url,
        request_body: request_body.as_ref(),
        response_status_code: Some(200),
        response_headers: headers.as_ref(),
        response_body: response_body.as_ref(),
        message,
        reason,
        trace_id,
        ..Record::new(kind)
    };
    check_row(&record, rest.len());

    if let Some(planted) = plant_personal_data(body) {
        let logged = LoggedRequestBody::new(&planted, false).expect("a planted body is JSON");
        let record = Record {
            request_body: Some(&logged),
            ..Record::new(RecordType::Request)
        };
        let row = check_row(&record, planted.len());
        assert_eq!(planted_in(&row.to_string()), None, "{row}");
    }
});
