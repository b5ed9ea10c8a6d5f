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
use std::cell::{Cell, RefCell};

/// Something else that wants every record (BigQuery logging), whatever the console level.
pub type Tap = Box<dyn Fn(&Record<'_>)>;

/// A plugin instance, by the id of its root context. Envoy runs every plugin whose `vm_config`
/// is the same in one VM, so a VM may serve several plugins (two listeners, two pixels): the
/// record sinks below belong to a plugin, never to the VM.
pub type PluginId = u32;

thread_local! {
    // Per VM thread: the plugin whose callback is running, set by the runtime on every entry.
    static CURRENT: Cell<Option<PluginId>> = const { Cell::new(None) };
    // Per VM thread: each plugin's tap, installed by the runtime when its `logging.bigquery` is
    // configured.
    static TAPS: RefCell<Vec<(PluginId, Tap)>> = const { RefCell::new(Vec::new()) };
}

/// Marks `plugin` as the one whose callback runs now: its records go to its own tap only. The
/// glue calls this first thing in every callback of a root or HTTP context.
pub fn enter_plugin(plugin: PluginId) {
    CURRENT.with(|c| c.set(Some(plugin)));
}

/// The plugin whose callback runs now, if the runtime said so.
pub fn current_plugin() -> Option<PluginId> {
    CURRENT.with(Cell::get)
}

/// Installs (or with `None` removes) `plugin`'s record tap.
pub fn set_tap(plugin: PluginId, tap: Option<Tap>) {
    TAPS.with(|t| {
        let Ok(mut taps) = t.try_borrow_mut() else {
            return;
        };
        taps.retain(|(p, _)| *p != plugin);
        if let Some(tap) = tap {
            taps.push((plugin, tap));
        }
    });
}

/// Hands a record to the current plugin's tap, if it has one. Records logged outside [`emit`]
/// (warn-level failures) go through here too.
pub fn tap(record: &Record<'_>) {
    let Some(plugin) = current_plugin() else {
        return;
    };
    TAPS.with(|t| {
        if let Ok(taps) = t.try_borrow() {
            if let Some((_, tap)) = taps.iter().find(|(p, _)| *p == plugin) {
                tap(record);
            }
        }
    });
}

/// Whether a record would go anywhere: the console at its level, or the current plugin's tap.
/// Lets callers skip building records nobody reads.
pub fn wanted(mode: ConsoleLogging) -> bool {
    level(mode).is_some_and(|l| log::log_enabled!(l)) || has_tap()
}

fn has_tap() -> bool {
    let Some(plugin) = current_plugin() else {
        return false;
    };
    TAPS.with(|t| {
        t.try_borrow()
            .is_ok_and(|taps| taps.iter().any(|(p, _)| *p == plugin))
    })
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
mod tests;
