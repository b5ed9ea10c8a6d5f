//! Override values: the filter's stand-in for GTM variables.
//!
//! A configured override is either a JSON literal or a string that is exactly one reference
//! `{{source.path}}` to the event data, a request header, a cookie or the collection request's
//! own query. Resolution happens per event; a reference that finds nothing (or an empty string)
//! resolves to `None`, which leaves the automapped value in place.

use crate::event::Value;
use crate::event::{lookup, EventData};
use crate::request::RequestFacts;
use serde_json::Value as Json;
use std::borrow::Cow;

/// Where an override's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueSource {
    /// A literal from the configuration: it owns its text.
    Literal(Value<'static>),
    Event(String),
    Header(String),
    Cookie(String),
    Query(String),
}

impl ValueSource {
    /// Parses a configured value. Strings mentioning `{{` or `}}` must be exactly one
    /// well-formed reference; anything else is an error message naming the problem.
    pub fn parse(value: Json) -> Result<ValueSource, String> {
        let Json::String(text) = &value else {
            return Ok(ValueSource::Literal(value.into()));
        };
        if !text.contains("{{") && !text.contains("}}") {
            return Ok(ValueSource::Literal(value.into()));
        }
        let inner = text
            .strip_prefix("{{")
            .and_then(|t| t.strip_suffix("}}"))
            .filter(|t| !t.contains("{{") && !t.contains("}}"))
            .ok_or_else(|| {
                format!(
                    "{text:?} is not exactly one reference like \"{{{{event.transaction_id}}}}\""
                )
            })?
            .trim();
        let (source, path) = inner.split_once('.').ok_or_else(|| {
            format!("reference {text:?} needs a source and a name, e.g. {{{{header.x-order-id}}}}")
        })?;
        if path.is_empty() || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("reference {text:?} has an empty or malformed name"));
        }
        match source {
            "event" => {
                if path.split('.').any(str::is_empty) {
                    return Err(format!("reference {text:?} has an empty path segment"));
                }
                Ok(ValueSource::Event(path.to_owned()))
            }
            "header" => Ok(ValueSource::Header(path.to_ascii_lowercase())),
            "cookie" => Ok(ValueSource::Cookie(path.to_owned())),
            "query" => Ok(ValueSource::Query(path.to_owned())),
            other => Err(format!(
                "reference {text:?} uses unknown source {other:?}; use event, header, cookie or query"
            )),
        }
    }

    /// The value for one event, or `None` when the reference finds nothing or an empty string.
    pub fn resolve<'a>(
        &'a self,
        event: &'a EventData<'a>,
        request: &'a RequestFacts,
    ) -> Option<Cow<'a, Value<'a>>> {
        let found = match self {
            ValueSource::Literal(v) => Cow::Borrowed(v),
            ValueSource::Event(path) => Cow::Borrowed(lookup(event, path)?),
            ValueSource::Header(name) => Cow::Owned(Value::text(request.header(name)?)),
            ValueSource::Cookie(name) => Cow::Owned(Value::text(request.cookie(name)?)),
            ValueSource::Query(name) => Cow::Owned(Value::String(request.query_param(name)?)),
        };
        match found.as_ref() {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            _ => Some(found),
        }
    }

    /// [`ValueSource::resolve`] of a source that may not be configured at all.
    pub fn resolve_optional<'a>(
        source: &'a Option<ValueSource>,
        event: &'a EventData<'a>,
        request: &'a RequestFacts,
    ) -> Option<Cow<'a, Value<'a>>> {
        source.as_ref()?.resolve(event, request)
    }

    /// The literal, when this is one (used to type-check literals at configure time).
    pub fn literal(&self) -> Option<&Value<'static>> {
        match self {
            ValueSource::Literal(v) => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
