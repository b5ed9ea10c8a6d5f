//! BigQuery rows: a console [`Record`] with Stape's snake_case column names.
//!
//! Rows are built from the very records console logging writes, so whatever a record leaves
//! out (the API key, raw user data) or redacts is absent from the table too. JSON-valued
//! columns (`request_body`, `response_headers`, `response_body`) are stringified, as Stape's
//! tag did; `timestamp` is Unix milliseconds. The table schema shipped in
//! `docs/bigquery-schema.json` lists exactly these columns.

use crate::observe::console::{Record, RecordType};
use serde::Serialize;

/// One row's `json` object, in the column order of the shipped schema.
#[derive(Debug, Serialize)]
struct Row<'a> {
    timestamp: u64,
    tag_name: &'a str,
    #[serde(rename = "type")]
    kind: RecordType,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_body: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_body: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// The row's JSON object text for a record written at `now_ms`.
pub fn row_json(record: &Record<'_>, now_ms: u64) -> String {
    let row = Row {
        timestamp: now_ms,
        tag_name: record.name,
        kind: record.kind,
        trace_id: record.trace_id,
        event_name: record.event_name,
        request_method: record.request_method,
        request_url: record.request_url,
        request_body: record.request_body.map(|b| b.get()),
        response_status_code: record.response_status_code,
        response_body: record.response_body,
        message: record.message,
        reason: record.reason,
    };
    serde_json::to_string(&row).unwrap_or_default()
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
    use serde_json::value::RawValue;
    use serde_json::Value;

    #[test]
    fn request_record_becomes_a_row_with_stapes_column_names_and_a_stringified_body() {
        let body = RawValue::from_string(r#"{"events":[{"type":"page_viewed"}]}"#.into()).unwrap();
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
                "tag_name": "OpenAIConversionsAPI",
                "type": "Request",
                "trace_id": "t-1",
                "event_name": "page_viewed",
                "request_method": "POST",
                "request_url": "https://bzr.openai.com/v1/events?pid=px",
                "request_body": "{\"events\":[{\"type\":\"page_viewed\"}]}",
            })
        );
    }

    #[test]
    fn response_and_message_records_keep_status_body_message_and_reason() {
        let record = Record {
            response_status_code: Some(200),
            response_body: Some("{}"),
            ..Record::new(RecordType::Response)
        };
        let row: Value = serde_json::from_str(&row_json(&record, 5)).unwrap();
        assert_eq!(row["type"], "Response");
        assert_eq!(row["response_status_code"], 200);
        assert_eq!(row["response_body"], "{}");
        let record = Record::message("Event not sent: invalid", Some("event id is required"));
        let row: Value = serde_json::from_str(&row_json(&record, 5)).unwrap();
        assert_eq!(row["type"], "Message");
        assert_eq!(row["message"], "Event not sent: invalid");
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
        let body = RawValue::from_string("{}".into()).unwrap();
        let full = Record {
            event_name: Some("e"),
            request_method: Some("POST"),
            request_url: Some("u"),
            request_body: Some(&body),
            response_status_code: Some(1),
            response_body: Some("b"),
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
