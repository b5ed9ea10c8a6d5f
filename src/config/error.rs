//! Configuration errors: which field, why, and for a JSON parse error where in the text.
//!
//! The runtime logs one as a single line (`invalid configuration: <field>: <reason> (line L,
//! column C)`) and refuses the configuration, so the message must name what to fix.

use std::fmt;

/// A configuration problem: the dotted field path, why it is wrong, and for a JSON parse
/// error where in the text it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub field: String,
    pub reason: String,
    pub position: Option<TextPosition>,
}

/// 1-based line and column in the JSON text of the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextPosition {
    pub line: usize,
    pub column: usize,
}

impl ConfigError {
    pub(super) fn new(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            field: field.into(),
            reason: reason.into(),
            position: None,
        }
    }

    pub(super) fn from_serde(path: String, error: &serde_json::Error) -> ConfigError {
        let field = if path.is_empty() || path == "." || path == "?" {
            "(top level)".to_owned()
        } else {
            path
        };
        ConfigError {
            position: (error.line() > 0).then(|| TextPosition {
                line: error.line(),
                column: error.column(),
            }),
            ..ConfigError::new(field, strip_position(&error.to_string()))
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}: {}", self.field, self.reason)?;
        match self.position {
            Some(at) => write!(f, " (line {}, column {})", at.line, at.column),
            None => Ok(()),
        }
    }
}

/// serde_json appends " at line 1 column 5"; [`ConfigError::position`] carries it instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message.get(..at).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}
