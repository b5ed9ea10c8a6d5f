//! Console logging: one JSON object per line, in the format of Stape's tag logs and with its
//! values (`Name` [`TAG_NAME`], `Pixel ID: …` messages, its failure and validation wording).
//!
//! Records carry `Name`, `Type` (`Request` | `Response` | `Message`), `EventName`, the request or
//! response fields, `Message`, `Reason` and `TraceId`. `logging.console` picks the level: `debug`
//! writes at Envoy's debug level (visible only when the wasm component logs at debug), `always`
//! at info, `off` never. What goes in is already safe when the record is built, whichever sink
//! writes it: bodies can only be [`LoggedRequestBody`] / [`LoggedResponseBody`] values, redacted
//! by `logging.full_bodies` (see [`super::redact`]), request bodies hold hashed user data only,
//! the authorization header is never part of a record, and a line never holds a raw line break.

use super::redact::{self, LoggedRequestBody, LoggedResponseBody, LoggedResponseHeaders};
use crate::config::ConsoleLogging;
use serde::Serialize;
use std::cell::RefCell;

/// Something else that wants every record (BigQuery logging), whatever the console level.
pub type Tap = Box<dyn Fn(&Record<'_>)>;

thread_local! {
    // One per VM thread: the glue installs it when `logging.bigquery` is configured.
    static TAP: RefCell<Option<Tap>> = const { RefCell::new(None) };
}

/// Installs (or with `None` removes) the record tap.
pub fn set_tap(tap: Option<Tap>) {
    TAP.with(|t| *t.borrow_mut() = tap);
}

/// Hands a record to the tap, if one is installed. Records logged outside [`emit`] (warn-level
/// failures) go through here too.
pub fn tap(record: &Record<'_>) {
    TAP.with(|t| {
        if let Ok(tap) = t.try_borrow() {
            if let Some(tap) = tap.as_ref() {
                tap(record);
            }
        }
    });
}

/// Whether a record would go anywhere: the console at its level, or the tap. Lets callers skip
/// building records nobody reads.
pub fn wanted(mode: ConsoleLogging) -> bool {
    level(mode).is_some_and(|l| log::log_enabled!(l)) || TAP.with(|t| t.borrow().is_some())
}

/// Stape's tag name, so log filters and BigQuery queries written for Stape's rows keep working.
pub const TAG_NAME: &str = "OpenAIEventsAPITag";

/// The `Message` of the record for an event that is not sent because it is invalid (its rule
/// in `Reason`): the wording of Stape's current tag for its validation failures.
pub const INVALID_EVENT_MESSAGE: &str = "🛑 [ERROR] Request was not sent.";
/// How that message and the summary of a request's further invalid events start, so one
/// filter finds both.
pub const INVALID_EVENT_MESSAGE_PREFIX: &str = "🛑 [ERROR]";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RecordType {
    Request,
    Response,
    Message,
}

/// One console record. Empty fields are omitted.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Record<'a> {
    pub name: &'static str,
    #[serde(rename = "Type")]
    pub kind: RecordType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_url: Option<&'a str>,
    /// The API request body, embedded as JSON (redacted unless full bodies are on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<&'a LoggedRequestBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_headers: Option<&'a LoggedResponseHeaders>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<&'a LoggedResponseBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<&'a str>,
}

impl<'a> Record<'a> {
    pub fn new(kind: RecordType) -> Record<'a> {
        Record {
            name: TAG_NAME,
            kind,
            event_name: None,
            request_method: None,
            request_url: None,
            request_body: None,
            response_status_code: None,
            response_headers: None,
            response_body: None,
            message: None,
            reason: None,
            trace_id: None,
        }
    }

    pub fn message(message: &'a str, reason: Option<&'a str>) -> Record<'a> {
        Record {
            message: Some(message),
            reason,
            ..Record::new(RecordType::Message)
        }
    }

    /// The JSON line, with no raw line break or control character even inside a value.
    pub fn to_line(&self) -> String {
        redact::json_line(serde_json::to_string(self).unwrap_or_default())
    }
}

/// The log level a console mode writes at, `None` when off.
pub fn level(mode: ConsoleLogging) -> Option<log::Level> {
    match mode {
        ConsoleLogging::Off => None,
        ConsoleLogging::Debug => Some(log::Level::Debug),
        ConsoleLogging::Always => Some(log::Level::Info),
    }
}

/// Writes a record through the `log` facade (the glue forwards it to Envoy's log), and hands it
/// to the tap.
pub fn emit(mode: ConsoleLogging, record: &Record<'_>) {
    tap(record);
    if let Some(level) = level(mode) {
        if log::log_enabled!(level) {
            log::log!(level, "{}", record.to_line());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_record_embeds_the_body_as_json() {
        let body = LoggedRequestBody::new(br#"{"events":[]}"#, false).unwrap();
        let r = Record {
            event_name: Some("page_viewed"),
            request_method: Some("POST"),
            request_url: Some("https://bzr.openai.com/v1/events?pid=px"),
            request_body: Some(&body),
            trace_id: Some("t-1"),
            ..Record::new(RecordType::Request)
        };
        assert_eq!(
            r.to_line(),
            r#"{"Name":"OpenAIEventsAPITag","Type":"Request","EventName":"page_viewed","RequestMethod":"POST","RequestUrl":"https://bzr.openai.com/v1/events?pid=px","RequestBody":{"events":[]},"TraceId":"t-1"}"#
        );
    }

    #[test]
    fn message_record_and_levels() {
        let r = Record::message("Event dropped", Some("event id is required"));
        assert_eq!(
            r.to_line(),
            r#"{"Name":"OpenAIEventsAPITag","Type":"Message","Message":"Event dropped","Reason":"event id is required"}"#
        );
        assert_eq!(level(ConsoleLogging::Off), None);
        assert_eq!(level(ConsoleLogging::Debug), Some(log::Level::Debug));
        assert_eq!(level(ConsoleLogging::Always), Some(log::Level::Info));
    }

    #[test]
    fn the_tap_sees_every_record_even_with_the_console_off() {
        use std::rc::Rc;
        let seen = Rc::new(RefCell::new(Vec::new()));
        assert!(!wanted(ConsoleLogging::Off));
        let sink = Rc::clone(&seen);
        set_tap(Some(Box::new(move |r: &Record<'_>| {
            sink.borrow_mut().push(r.to_line());
        })));
        assert!(wanted(ConsoleLogging::Off));
        emit(ConsoleLogging::Off, &Record::message("m", None));
        tap(&Record::message("n", None));
        set_tap(None);
        emit(ConsoleLogging::Off, &Record::message("o", None));
        assert_eq!(seen.borrow().len(), 2);
        assert!(seen.borrow()[1].contains("\"n\""));
    }

    #[test]
    fn a_record_line_never_holds_a_raw_line_break() {
        let name = "page_view\r\n{\"Name\":\"forged\"}\u{2028}x";
        let line = Record {
            event_name: Some(name),
            ..Record::message(INVALID_EVENT_MESSAGE, Some(name))
        }
        .to_line();
        assert!(!line.contains(['\r', '\n', '\u{2028}']), "{line}");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["EventName"], name);
    }
}
