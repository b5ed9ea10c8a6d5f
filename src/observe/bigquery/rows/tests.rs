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
fn a_row_is_at_most_64_kib_and_a_cut_field_says_so() {
    // The body of a 1,000-event call, as full_bodies logs it: about 190 KB of JSON text.
    let events: Vec<Value> = (0..1000)
        .map(|i| {
            serde_json::json!({"id": format!("e-{i:04}"), "type": "page_viewed",
                                    "data": {"note": "x".repeat(150)}})
        })
        .collect();
    let text = serde_json::json!({ "events": events }).to_string();
    let body = LoggedRequestBody::new(text.as_bytes(), true).unwrap();
    let names = vec!["page_viewed"; 1000].join(",");
    let record = Record {
        event_name: Some(&names),
        request_body: Some(&body),
        trace_id: Some("t-1"),
        ..Record::new(RecordType::Request)
    };
    let row_text = row_json(&record, 1);
    assert!(row_text.len() <= MAX_ROW_BYTES, "{} bytes", row_text.len());
    let row: Value = serde_json::from_str(&row_text).unwrap();
    let cut = row["request_body"].as_str().unwrap();
    assert!(
        cut.starts_with(r#"{"events":[{"data":{"note":"xxx"#),
        "{cut:.80}"
    );
    assert!(
        cut.ends_with(&format!("…[cut: {} bytes in all]", text.len())),
        "{}",
        &cut[cut.len() - 60..]
    );
    // Fields that fit are whole: the cut is taken from the longest.
    assert_eq!(row["event_name"], names.as_str());
    assert_eq!(row["trace_id"], "t-1");
}

#[test]
fn two_long_fields_share_the_room_and_quotes_count_at_their_escaped_size() {
    let quotes = "\"".repeat(60_000);
    let reason = "r".repeat(60_000);
    let record = Record {
        event_name: Some(&quotes),
        reason: Some(&reason),
        ..Record::new(RecordType::Message)
    };
    let row_text = row_json(&record, 1);
    assert!(row_text.len() <= MAX_ROW_BYTES, "{} bytes", row_text.len());
    assert!(
        row_text.len() > MAX_ROW_BYTES - 100,
        "{} bytes",
        row_text.len()
    );
    let row: Value = serde_json::from_str(&row_text).unwrap();
    let (name, reason) = (
        row["event_name"].as_str().unwrap(),
        row["reason"].as_str().unwrap(),
    );
    assert!(name.ends_with("…[cut: 60000 bytes in all]"));
    assert!(reason.ends_with("…[cut: 60000 bytes in all]"));
    // Each gets about half the row, measured as written (a quote takes two bytes).
    let (n, r) = (name.len() * 2, reason.len());
    assert!(n.abs_diff(r) < 100, "{n} vs {r}");
    // A small row is left alone.
    let small = Record::message("m", Some("r"));
    assert!(!row_json(&small, 1).contains("cut:"));
}

#[test]
fn every_row_key_is_a_column_of_the_shipped_schema() {
    let schema: Value =
        serde_json::from_str(include_str!("../../../../docs/bigquery-schema.json")).unwrap();
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
