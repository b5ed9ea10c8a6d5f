//! BigQuery rows: a console [`Record`] with Stape's snake_case column names.
//!
//! Rows are built from the very records console logging writes, through the record's own
//! serialization, so whatever a record leaves out (the API key, raw user data) or redacts is
//! absent from the table too, and a field added to records later gets its column. JSON-valued
//! columns (`request_body`, `response_headers`, `response_body`) are stringified, as Stape's
//! tag did; `timestamp` is Unix milliseconds. The table schema shipped in
//! `docs/bigquery-schema.json` lists exactly these columns. A row is at most [`MAX_ROW_BYTES`]:
//! beyond that its longest columns are cut, each ending with a marker that says so.

use crate::observe::console::Record;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Longest row: whatever a record holds, its row costs at most this much of an insert.
pub const MAX_ROW_BYTES: usize = 64 * 1024;

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
    let text = serde_json::to_string(&row).unwrap_or_default();
    if text.len() <= MAX_ROW_BYTES {
        return text;
    }
    fit(&mut row, text.len());
    serde_json::to_string(&row).unwrap_or_default()
}

/// Cuts the longest string columns of a row written as `written` bytes so it fits in
/// [`MAX_ROW_BYTES`]: every column longer than a common cap is cut to that cap (measured as
/// written, escapes included), with [`cut_marker`] in its last bytes. Short columns stay whole.
fn fit(row: &mut Map<String, Value>, written: usize) {
    let mut lengths: Vec<usize> = row
        .values()
        .filter_map(Value::as_str)
        .map(escaped_len)
        .collect();
    let strings: usize = lengths.iter().sum();
    let room = MAX_ROW_BYTES.saturating_sub(written.saturating_sub(strings));
    // The largest cap under which the columns fit: short columns take what they need, the
    // long ones share the rest equally.
    lengths.sort_unstable();
    let mut cap = usize::MAX;
    let mut used = 0;
    for (i, len) in lengths.iter().enumerate() {
        let left = lengths.len() - i;
        if used + len * left > room {
            cap = room.saturating_sub(used) / left;
            break;
        }
        used += len;
    }
    for value in row.values_mut() {
        if let Value::String(text) = value {
            if escaped_len(text) > cap {
                *text = cut(text, cap);
            }
        }
    }
}

/// `text` cut to a prefix that, with the marker after it, takes at most `cap` bytes as written.
fn cut(text: &str, cap: usize) -> String {
    let marker = cut_marker(text.len());
    let budget = cap.saturating_sub(escaped_len(&marker));
    let mut end = 0;
    let mut size = 0;
    for (at, c) in text.char_indices() {
        size += escaped_char_len(c);
        if size > budget {
            break;
        }
        end = at + c.len_utf8();
    }
    format!("{}{marker}", text.get(..end).unwrap_or_default())
}

/// What a cut column ends with: JSON text stops being valid JSON there, which the marker says.
fn cut_marker(original_len: usize) -> String {
    format!("…[cut: {original_len} bytes in all]")
}

/// Bytes a string takes inside a JSON string literal (serde_json's escapes).
fn escaped_len(text: &str) -> usize {
    text.chars().map(escaped_char_len).sum()
}

fn escaped_char_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if u32::from(c) < 0x20 => 6,
        c => c.len_utf8(),
    }
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
