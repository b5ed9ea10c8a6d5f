//! Collect: one collection request through the whole core — ingest, the tag for each event,
//! encoding, and the cookies for the response.
//!
//! This is the single entry point the glue calls once it has the request's headers and body;
//! it returns the encoded events to deliver and the `Set-Cookie` values to add, and reports
//! every count through [`Metrics`]. Events are tagged and encoded one at a time as ingest builds
//! them, within the request's work [`Budget`], so a request's memory stays proportional to its
//! size. Dropped events are logged at debug with their reason, so a user can see why a
//! conversion did not leave; a request that exceeds its budget is counted
//! (`work_budget_exceeded`) and logged at warn. Log records (and so BigQuery rows) are bounded
//! per request too: the first [`MAX_INVALID_RECORDS`] invalid events get a record each, the
//! rest share one summary record ([`InvalidRecords`]).

use crate::config::{Config, Format};
use crate::event::text_at;
use crate::ingest::{self, Budget, Limits, Resource};
use crate::observe::console::{
    self, PluginId, Record, INVALID_EVENT_MESSAGE, INVALID_EVENT_MESSAGE_PREFIX,
};
use crate::observe::loss;
use crate::observe::metrics::{Counter, Metrics};
use crate::observe::redact::Escaped;
use crate::payload::{EncodedEvent, Encoder};
use crate::request::RequestFacts;
use crate::response::{cookie, domain};
use crate::tag::{self, CookieValues, Outcome, RequestScope};
use std::borrow::Cow;
use std::cell::Cell;

/// Invalid events of one request that get a log record (and BigQuery row) of their own; the
/// rest share one summary record, so a request cannot write a row per event.
pub const MAX_INVALID_RECORDS: usize = 5;
/// Distinct event names a summary record lists, and the longest name it keeps.
const MAX_SUMMARY_NAMES: usize = 10;
const MAX_SUMMARY_NAME_BYTES: usize = 64;

/// What the glue does with a collection request after the core has seen it.
#[derive(Debug, Default, PartialEq)]
pub struct Collected {
    /// Events to deliver, encoded once.
    pub events: Vec<EncodedEvent>,
    /// `Set-Cookie` header values for the response.
    pub set_cookies: Vec<String>,
    /// The request's event counts, for the access log.
    pub summary: Summary,
}

/// What happened to one collection request's events: `sent` were handed to delivery,
/// `skipped` were not selected (trigger, consent), `invalid` were dropped as unusable.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub received: usize,
    pub sent: usize,
    pub skipped: usize,
    pub invalid: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "received={} sent={} skipped={} invalid={}",
            self.received, self.sent, self.skipped, self.invalid
        )
    }
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
    let mut collected = Collected::default();
    let mut cookie_source: Option<(CookieValues, Option<String>)> = None;
    let mut scope = RequestScope::new(config, format, request, now_ms, random);
    let mut budget = Budget::for_request(request.size_bytes().saturating_add(body.len()));
    let mut index = 0;
    let mut skipped = 0;
    let mut invalid = 0;
    let mut invalid_records = InvalidRecords::default();
    let mut encoder = Encoder::default();
    // Each event is tagged and encoded as soon as it is built, and its data dropped before the
    // next one is built.
    let report = ingest::ingest_each(
        format,
        request,
        body,
        &Limits {
            trust_client_ip_and_user_agent: config.collect.trust_client_ip_and_user_agent,
            ..Limits::new(config.collect.max_events_per_request)
        },
        &mut budget,
        &mut |event, budget| {
            let outcome = tag::process(&mut scope, event, index);
            index += 1;
            for skip in scope.field_skips.drain(..) {
                metrics.add(skip.reason.counter(), 1);
                log::debug!("user field not sent ({}): {skip}", skip.code());
            }
            let page_location = || text_at(event, "page_location").map(Cow::into_owned);
            match outcome {
                Outcome::Skipped { skip, cookies } => {
                    skipped += 1;
                    metrics.add(skip.counter(), 1);
                    log::debug!(
                        "event {} skipped ({}): {}",
                        Escaped(
                            text_at(event, "event_name")
                                .as_deref()
                                .unwrap_or("(unnamed)")
                        ),
                        skip.code(),
                        skip.explanation()
                    );
                    remember_cookies(&mut cookie_source, cookies, page_location);
                }
                Outcome::Invalid {
                    name,
                    reason,
                    cookies,
                } => {
                    invalid += 1;
                    metrics.add(reason.counter(), 1);
                    let code = reason.code();
                    let reason = reason.to_string();
                    if invalid_records.admit(name.as_deref(), code) {
                        // Built only for an invalid event: valid traffic never pays for it.
                        let request_url = request.url();
                        console::emit(
                            config.logging.console,
                            &Record {
                                event_name: name.as_deref(),
                                request_url: Some(&request_url),
                                trace_id: request.trace_id.as_deref(),
                                ..Record::message(INVALID_EVENT_MESSAGE, Some(&reason))
                            },
                        );
                    }
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
                    match encoder.encode(*api_event) {
                        Some(encoded) => {
                            if !keep(encoded, budget, &mut collected.events, metrics) {
                                invalid += 1;
                            }
                        }
                        None => {
                            invalid += 1;
                            metrics.add(Counter::EventsInvalidEncoding, 1);
                        }
                    }
                    remember_cookies(&mut cookie_source, cookies, page_location);
                }
            }
        },
    );
    invalid_records.emit_summary(config, request);
    metrics.add(
        Counter::EventsReceived,
        (report.accepted + report.rejected) as u64,
    );
    metrics.add(Counter::EventsInvalidInput, report.rejected as u64);
    for reason in &report.reasons {
        log::debug!("collection input dropped: {}", Escaped(reason));
    }
    for note in &report.notes {
        log::debug!("collection input: {}", Escaped(note));
    }
    if report.notes_dropped > 0 {
        log::debug!("collection input: {} more remarks", report.notes_dropped);
    }
    if let Some(resource) = budget.exceeded() {
        metrics.add(Counter::WorkBudgetExceeded, 1);
        if let Some(line) = budget_warning(resource, report.rejected, now_ms) {
            log::warn!("{line}");
        }
    }
    collected.summary = Summary {
        received: report.accepted + report.rejected,
        sent: collected.events.len(),
        skipped,
        invalid: invalid + report.rejected,
    };
    // A Measurement Protocol sender is a server: it keeps no cookies, so none are set.
    if let Some((values, page)) = cookie_source.filter(|_| format.from_browser()) {
        collected.set_cookies = set_cookies(config, request, &values, page.as_deref());
    }
    collected
}

/// Which invalid events of a request get a record of their own, and the tally of the rest for
/// their summary record.
#[derive(Debug, Default)]
struct InvalidRecords {
    written: usize,
    /// Invalid events past the first [`MAX_INVALID_RECORDS`].
    more: usize,
    /// Their rules (`Invalid::code`) with counts, in the order first seen.
    reasons: Vec<(&'static str, usize)>,
    /// Their distinct names (cut), at most [`MAX_SUMMARY_NAMES`].
    names: Vec<String>,
    names_left_out: bool,
}

impl InvalidRecords {
    /// Whether this invalid event gets a record of its own; if not, it is tallied.
    fn admit(&mut self, name: Option<&str>, code: &'static str) -> bool {
        if self.written < MAX_INVALID_RECORDS {
            self.written += 1;
            return true;
        }
        self.more += 1;
        match self.reasons.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => self.reasons.push((code, 1)),
        }
        let name = cut_name(name.unwrap_or("(unnamed)"));
        if !self.names.iter().any(|n| *n == name) {
            if self.names.len() < MAX_SUMMARY_NAMES {
                self.names.push(name.into_owned());
            } else {
                self.names_left_out = true;
            }
        }
        false
    }

    /// The one record for the invalid events that had none, if there were any.
    fn emit_summary(&self, config: &Config, request: &RequestFacts) {
        if self.more == 0 {
            return;
        }
        let message = format!(
            "{} {} more event(s) not sent: invalid",
            INVALID_EVENT_MESSAGE_PREFIX, self.more
        );
        let reason = self
            .reasons
            .iter()
            .map(|(code, n)| format!("{code}: {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut names = self.names.join(", ");
        if self.names_left_out {
            names.push_str(", …");
        }
        let request_url = request.url();
        console::emit(
            config.logging.console,
            &Record {
                event_name: Some(&names),
                request_url: Some(&request_url),
                trace_id: request.trace_id.as_deref(),
                ..Record::message(&message, Some(&reason))
            },
        );
    }
}

/// An event name for a summary record: at most [`MAX_SUMMARY_NAME_BYTES`], then `…`.
fn cut_name(name: &str) -> Cow<'_, str> {
    if name.len() <= MAX_SUMMARY_NAME_BYTES {
        return Cow::Borrowed(name);
    }
    let mut end = MAX_SUMMARY_NAME_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", name.get(..end).unwrap_or_default()))
}

/// Most plugins whose budget warnings are throttled apart (a reload gives a plugin a new root
/// context; past this many, the slot used longest ago is taken over). A fixed table: the
/// throttle never allocates, so a request over budget leaves no memory behind.
const MAX_THROTTLED_PLUGINS: usize = 8;

/// One plugin's budget-warning throttle: when it last logged a request over its work budget,
/// and how many more went over since then without a line of their own.
#[derive(Clone, Copy)]
struct BudgetWarnings {
    plugin: Option<PluginId>,
    last_ms: u64,
    unreported: u64,
}

thread_local! {
    /// Per plugin sharing this VM.
    static BUDGET_WARNINGS: Cell<[Option<BudgetWarnings>; MAX_THROTTLED_PLUGINS]> =
        const { Cell::new([None; MAX_THROTTLED_PLUGINS]) };
}

/// The warn line for a request that ran out of its work budget, at most one per
/// [`loss::WINDOW_MS`] per plugin (a flood of hostile requests must not flood the log); the
/// line counts the requests it stood in for.
fn budget_warning(resource: Resource, dropped: usize, now_ms: u64) -> Option<String> {
    let plugin = console::current_plugin();
    let mut table = BUDGET_WARNINGS.get();
    let slot = table
        .iter()
        .position(|w| w.is_some_and(|w| w.plugin == plugin))
        .or_else(|| table.iter().position(Option::is_none))
        .or_else(|| {
            // Every slot taken: the plugin that warned longest ago gives up its slot.
            table
                .iter()
                .enumerate()
                .min_by_key(|(_, w)| w.map_or(0, |w| w.last_ms))
                .map(|(at, _)| at)
        })?;
    let entry = table.get_mut(slot)?;
    let line = match entry {
        Some(w) if w.plugin == plugin && now_ms.saturating_sub(w.last_ms) < loss::WINDOW_MS => {
            w.unreported = w.unreported.saturating_add(1);
            None
        }
        _ => {
            let unreported = entry
                .filter(|w| w.plugin == plugin)
                .map_or(0, |w| w.unreported);
            *entry = Some(BudgetWarnings {
                plugin,
                last_ms: now_ms,
                unreported: 0,
            });
            Some(format!(
                "collection request exceeded its work budget ({resource}): {dropped} of its \
                 events or lines dropped; {unreported} more requests over budget since the last \
                 such line"
            ))
        }
    };
    BUDGET_WARNINGS.set(table);
    line
}

/// Keeps an encoded event for delivery while the request's budget allows; past it the event is
/// dropped and counted as invalid (the summary after the intake logs why). Says whether it was
/// kept.
fn keep(
    encoded: EncodedEvent,
    budget: &mut Budget,
    events: &mut Vec<EncodedEvent>,
    metrics: &dyn Metrics,
) -> bool {
    // Kept until delivery, and charged at what it holds: its text is exactly its size (the
    // encoder copies it out of its scratch buffer), plus twice its own size for the room a
    // growing list keeps.
    let held = encoded.heap_bytes() + 2 * std::mem::size_of::<EncodedEvent>();
    match budget.charge(Resource::KeptBytes, held) {
        Ok(()) => {
            events.push(encoded);
            true
        }
        Err(_) => {
            metrics.add(Counter::EventsInvalidInput, 1);
            false
        }
    }
}

/// The first event that yields a cookie value decides the cookies (a request comes from one
/// browser, so its events agree); its page decides the cookie domain.
fn remember_cookies(
    slot: &mut Option<(CookieValues, Option<String>)>,
    values: CookieValues,
    page_location: impl FnOnce() -> Option<String>,
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
        domain::request_host(config.cookie.trust_forwarded_host, request),
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
