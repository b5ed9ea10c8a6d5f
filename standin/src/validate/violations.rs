//! How violations are collected: [`Violations`] gathers every `"<path>: <what is wrong>"` message
//! of a request, with the checks of JSON kinds (boolean, string, integer, list of strings) that
//! every part of the body shares, so each message about a type reads the same.

use serde_json::Value;
use std::fmt::Display;

#[derive(Default)]
pub(super) struct Violations(pub(super) Vec<String>);

impl Violations {
    pub(super) fn push(&mut self, path: &str, what: impl Display) {
        self.0.push(format!("{path}: {what}"));
    }

    pub(super) fn missing(&mut self, path: &str) {
        self.push(path, "Missing required field");
    }

    pub(super) fn unknown(&mut self, path: &str) {
        self.push(path, "unknown field");
    }

    pub(super) fn boolean(&mut self, path: &str, value: &Value) {
        if !value.is_boolean() {
            self.push(path, format!("must be a boolean (got {})", kind(value)));
        }
    }

    /// A string; returns it when it is one.
    pub(super) fn string<'a>(&mut self, path: &str, value: &'a Value) -> Option<&'a str> {
        match value {
            Value::String(s) => Some(s),
            other => {
                self.push(path, format!("must be a string (got {})", kind(other)));
                None
            }
        }
    }

    pub(super) fn non_empty_string(&mut self, path: &str, value: &Value) {
        if let Some(s) = self.string(path, value) {
            if s.is_empty() {
                self.push(path, "must not be empty");
            }
        }
    }

    pub(super) fn non_blank_string(&mut self, path: &str, value: &Value) {
        if let Some(s) = self.string(path, value) {
            if s.trim().is_empty() {
                self.push(path, "must not be empty or blank");
            }
        }
    }

    pub(super) fn integer(&mut self, path: &str, value: &Value) -> Option<i128> {
        match value {
            Value::Number(n) => {
                let int = n
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from));
                if int.is_none() {
                    self.push(path, format!("must be an integer, not a float (got {n})"));
                }
                int
            }
            other => {
                self.push(path, format!("must be an integer (got {})", kind(other)));
                None
            }
        }
    }

    /// A non-empty array of strings, each checked with `check` (which returns what is wrong).
    pub(super) fn string_list(
        &mut self,
        path: &str,
        value: &Value,
        check: fn(&str) -> Option<String>,
    ) {
        let Value::Array(items) = value else {
            self.push(
                path,
                format!("must be an array of strings (got {})", kind(value)),
            );
            return;
        };
        if items.is_empty() {
            self.push(path, "must not be an empty array (omit the field instead)");
        }
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            if let Some(s) = self.string(&item_path, item) {
                if let Some(what) = check(s) {
                    self.push(&item_path, what);
                }
            }
        }
    }
}

/// JSON kind of a value, for messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
