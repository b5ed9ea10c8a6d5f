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
mod tests;
