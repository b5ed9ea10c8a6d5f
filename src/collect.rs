//! Collect: one collection request through the whole core — ingest, the tag for each event,
//! encoding, and the cookies for the response.
//!
//! This is the single entry point the glue calls once it has the request's headers and body;
//! it returns the encoded events to deliver and the `Set-Cookie` values to add, and reports
//! every count through [`Metrics`]. Dropped events are logged at debug with their reason, so a
//! user can see why a conversion did not leave.

use crate::config::{Config, Format};
use crate::event::text_at;
use crate::ingest::{self, Limits};
use crate::observe::console::{self, Record};
use crate::observe::metrics::{Counter, Metrics};
use crate::observe::redact::Escaped;
use crate::payload::{encode_event, EncodedEvent};
use crate::request::RequestFacts;
use crate::response::{cookie, domain};
use crate::tag::{self, CookieValues, Outcome, RequestScope, Skip};
use std::borrow::Cow;

/// What the glue does with a collection request after the core has seen it.
#[derive(Debug, Default, PartialEq)]
pub struct Collected {
    /// Events to deliver, encoded once.
    pub events: Vec<EncodedEvent>,
    /// `Set-Cookie` header values for the response.
    pub set_cookies: Vec<String>,
}

/// Runs the core for one collection request of `format` with `body` (already bounded).
pub fn collect(
    config: &Config,
    format: Format,
    request: &RequestFacts,
    body: &[u8],
    now_ms: u64,
    random: &mut dyn FnMut() -> [u8; 16],
    metrics: &dyn Metrics,
) -> Collected {
    metrics.add(Counter::CollectRequests, 1);
    let ingested = ingest::ingest(
        format,
        request,
        body,
        &Limits::new(config.collect.max_events_per_request),
    );
    metrics.add(
        Counter::EventsReceived,
        (ingested.events.len() + ingested.rejected.len()) as u64,
    );
    metrics.add(Counter::EventsInvalid, ingested.rejected.len() as u64);
    for rejection in &ingested.rejected {
        log::debug!("collection input dropped: {}", Escaped(&rejection.reason));
    }
    for note in &ingested.notes {
        log::debug!("collection input: {}", Escaped(note));
    }

    let mut collected = Collected::default();
    let mut cookie_source: Option<(CookieValues, Option<Cow<'_, str>>)> = None;
    let mut scope = RequestScope::new(config, request, now_ms, random);
    for (index, event) in ingested.events.iter().enumerate() {
        let page_location = || text_at(event, "page_location");
        let outcome = tag::process(&mut scope, event, index);
        for skip in scope.field_skips.drain(..) {
            metrics.add(Counter::UserFieldsSkipped, 1);
            log::debug!("user field not sent ({}): {skip}", skip.code());
        }
        match outcome {
            Outcome::Skipped(Skip::Trigger) => metrics.add(Counter::EventsSkippedTrigger, 1),
            Outcome::Skipped(Skip::Consent) => metrics.add(Counter::EventsSkippedConsent, 1),
            Outcome::Invalid {
                name,
                reason,
                cookies,
            } => {
                metrics.add(Counter::EventsInvalid, 1);
                let code = reason.code();
                let reason = reason.to_string();
                console::emit(
                    config.logging.console,
                    &Record {
                        event_name: name.as_deref(),
                        trace_id: request.trace_id.as_deref(),
                        ..Record::message("Event not sent: invalid", Some(&reason))
                    },
                );
                log::debug!(
                    "event {} dropped ({code}): {}",
                    Escaped(name.as_deref().unwrap_or("(unnamed)")),
                    Escaped(&reason)
                );
                remember_cookies(&mut cookie_source, cookies, page_location);
            }
            Outcome::Ready {
                event: api_event,
                cookies,
            } => {
                match encode_event(&api_event) {
                    Some(encoded) => collected.events.push(encoded),
                    None => metrics.add(Counter::EventsInvalid, 1),
                }
                remember_cookies(&mut cookie_source, cookies, page_location);
            }
        }
    }
    if let Some((values, page)) = cookie_source {
        collected.set_cookies = set_cookies(config, request, &values, page.as_deref());
    }
    collected
}

/// The first event that yields a cookie value decides the cookies (a request comes from one
/// browser, so its events agree); its page decides the cookie domain.
fn remember_cookies<'a>(
    slot: &mut Option<(CookieValues, Option<Cow<'a, str>>)>,
    values: CookieValues,
    page_location: impl FnOnce() -> Option<Cow<'a, str>>,
) {
    match slot {
        None if values != CookieValues::default() => *slot = Some((values, page_location())),
        Some((existing, _)) => {
            if existing.oppref.is_none() {
                existing.oppref = values.oppref;
            }
            if existing.obref.is_none() {
                existing.obref = values.obref;
            }
        }
        None => {}
    }
}

fn set_cookies(
    config: &Config,
    request: &RequestFacts,
    values: &CookieValues,
    page_location: Option<&str>,
) -> Vec<String> {
    let domain = domain::cookie_domain(
        &config.cookie.domain,
        page_location,
        request.referer.as_deref(),
        request.authority.as_deref(),
    );
    let mut out = Vec::with_capacity(2);
    let wanted = [
        (
            "__oppref",
            values.oppref.as_deref(),
            &config.click_id_cookie,
        ),
        (
            "__obref",
            values.obref.as_deref(),
            &config.browser_id_cookie,
        ),
    ];
    for (name, value, setting) in wanted {
        let Some(value) = value.filter(|_| setting.enabled) else {
            continue;
        };
        match cookie::set_cookie(name, value, setting, &config.cookie, domain.as_deref()) {
            Some(header) => out.push(header),
            None => log::debug!("{name} not written: value has characters a cookie cannot carry"),
        }
    }
    out
}

#[cfg(test)]
mod tests;
