//! BigQuery rows: a console [`Record`] with Stape's snake_case column names.
//!
//! Rows are built from the very records console logging writes, through the record's own
//! serialization, so whatever a record leaves out (the API key, raw user data) or redacts is
//! absent from the table too, and a field added to records later gets its column. JSON-valued
//! columns (`request_body`, `response_headers`, `response_body`) are stringified, as Stape's
//! tag did; `timestamp` is Unix milliseconds. The table schema shipped in
//! `docs/bigquery-schema.json` lists exactly these columns.

use crate::observe::console::Record;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The row's JSON object text for a record written at `now_ms`.
///
/// The record is taken through its own serialization, so a row holds exactly what a console
/// line holds (after whatever redaction the record applies), under Stape's column names:
/// `Name` becomes `tag_name`, every other PascalCase key its snake_case form.
pub fn row_json(record: &Record<'_>, now_ms: u64) -> String {
    // Each field keeps its exact JSON text (a request body stays byte for byte the one sent).
    let Ok(text) = serde_json::to_string(record) else {
        return String::new();
    };
    let Ok(fields) = serde_json::from_str::<BTreeMap<String, Box<RawValue>>>(&text) else {
        return String::new();
    };
    let mut row = Map::new();
    row.insert("timestamp".to_owned(), Value::from(now_ms));
    for (key, raw) in fields {
        let column = if key == "Name" {
            "tag_name".to_owned()
        } else {
            snake_case(&key)
        };
        let json = raw.get();
        let value = if json.starts_with('{') || json.starts_with('[') {
            // JSON-valued columns are STRING columns holding JSON text, as Stape stored them.
            Value::String(json.to_owned())
        } else {
            serde_json::from_str(json).unwrap_or(Value::Null)
        };
        row.insert(column, value);
    }
    Value::Object(row).to_string()
}

fn snake_case(pascal: &str) -> String {
    let mut out = String::with_capacity(pascal.len() + 4);
    for (i, c) in pascal.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Column names of the shipped table schema, in order.
pub const COLUMNS: [&str; 13] = [
    "timestamp",
    "tag_name",
    "type",
    "trace_id",
    "event_name",
    "request_method",
    "request_url",
    "request_body",
    "response_status_code",
    "response_headers",
    "response_body",
    "message",
    "reason",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::console::{RecordType, INVALID_EVENT_MESSAGE};
    use crate::observe::redact::{LoggedRequestBody, LoggedResponseBody};

    #[test]
    fn request_record_becomes_a_row_with_stapes_column_names_and_a_stringified_body() {
        let body = LoggedRequestBody::new(
            br#"{"validate_only":false,"events":[{"type":"page_viewed"}]}"#,
            true,
        )
        .unwrap();
        let record = Record {
            event_name: Some("page_viewed"),
            request_method: Some("POST"),
            request_url: Some("https://bzr.openai.com/v1/events?pid=px"),
            request_body: Some(&body),
            trace_id: Some("t-1"),
            ..Record::new(RecordType::Request)
        };
        let row: Value = serde_json::from_str(&row_json(&record, 1_700_000_000_123)).unwrap();
        assert_eq!(
            row,
            serde_json::json!({
                "timestamp": 1_700_000_000_123u64,
                "tag_name": "OpenAIEventsAPITag",
                "type": "Request",
                "trace_id": "t-1",
                "event_name": "page_viewed",
                "request_method": "POST",
                "request_url": "https://bzr.openai.com/v1/events?pid=px",
                "request_body": "{\"validate_only\":false,\"events\":[{\"type\":\"page_viewed\"}]}",
            })
        );
    }

    #[test]
    fn response_and_message_records_keep_status_body_message_and_reason() {
        let answer = LoggedResponseBody::new(b"{}", true).unwrap();
        let record = Record {
            response_status_code: Some(200),
            response_body: Some(&answer),
            ..Record::new(RecordType::Response)
        };
        let row: Value = serde_json::from_str(&row_json(&record, 5)).unwrap();
        assert_eq!(row["type"], "Response");
        assert_eq!(row["response_status_code"], 200);
        assert_eq!(row["response_body"], "{}");
        let record = Record::message(INVALID_EVENT_MESSAGE, Some("event id is required"));
        let row: Value = serde_json::from_str(&row_json(&record, 5)).unwrap();
        assert_eq!(row["type"], "Message");
        assert_eq!(row["message"], "🛑 [ERROR] Request was not sent.");
        assert_eq!(row["reason"], "event id is required");
    }

    #[test]
    fn every_row_key_is_a_column_of_the_shipped_schema() {
        let schema: Value =
            serde_json::from_str(include_str!("../../../docs/bigquery-schema.json")).unwrap();
        let names: Vec<&str> = schema
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, COLUMNS);
        let body = LoggedRequestBody::new(b"{}", true).unwrap();
        let answer = LoggedResponseBody::new(b"b", true).unwrap();
        let full = Record {
            event_name: Some("e"),
            request_method: Some("POST"),
            request_url: Some("u"),
            request_body: Some(&body),
            response_status_code: Some(1),
            response_body: Some(&answer),
            message: Some("m"),
            reason: Some("r"),
            trace_id: Some("t"),
            ..Record::new(RecordType::Request)
        };
        let row: Value = serde_json::from_str(&row_json(&full, 1)).unwrap();
        for key in row.as_object().unwrap().keys() {
            assert!(COLUMNS.contains(&key.as_str()), "{key}");
        }
    }
}
