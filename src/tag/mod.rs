//! Tag logic: what Stape's "OpenAI Ads Conversions API" tag does to one event, as pure
//! functions.
//!
//! [`process`] runs the steps in the tag's order — trigger → consent → event name → server
//! event data → click/browser ids → user data → event parameters → validation — and returns
//! either a skip with its reason, an invalid event with the rule it broke, or an [`ApiEvent`]
//! ready to send. Cookie values travel with every outcome that passed consent: a hit refreshes
//! `__oppref`/`__obref` even when its conversion cannot be sent (like Stape) and, unless
//! `trigger.refresh_cookies` is off, even when the trigger skips it, so a landing `page_view`
//! keeps its click id for the purchase that follows.

pub mod amount;
pub mod click_id;
pub mod consent;
pub mod event_params;
pub mod opt_out;
pub mod page_urls;
pub mod prehashed;
pub mod server_event;
pub mod trigger;
pub mod user_data;
pub mod validate;

use crate::config::{Config, EventNameSetup, Format};
use crate::event::{text_at, EventData};
use crate::model::ActionSource;
use crate::model::EventType;
use crate::observe::metrics::Counter;
use crate::payload::ApiEvent;
use crate::request::RequestFacts;
use consent::Decision;
use page_urls::PageUrls;
use validate::Invalid;

/// Why an event was not sent at all: the trigger did not select it, or consent refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// `trigger.exclude_event_names` lists the event (by default GA4's automatic events).
    Excluded,
    /// `trigger.event_names` is set and does not list the event.
    NotInTrigger,
    /// The event's GA4 stream is not in `collect.measurement_ids`.
    MeasurementId,
    /// A GTM preview hit (`https://gtm-msr.appspot.com/`), skipped as in Stape.
    GtmPreview,
    /// `consent.mode: required` and the hit denies ad_storage (or, without any ad_storage
    /// signal, ad_user_data).
    ConsentDenied,
    /// `consent.mode: required` and the hit carries no consent signal at all.
    ConsentMissing,
}

impl Skip {
    /// Stable snake_case name: the `reason` label of `events_skipped` and the log's code.
    pub fn code(self) -> &'static str {
        match self {
            Skip::Excluded => "excluded",
            Skip::NotInTrigger => "not_in_trigger",
            Skip::MeasurementId => "measurement_id",
            Skip::GtmPreview => "gtm_preview",
            Skip::ConsentDenied => "consent_denied",
            Skip::ConsentMissing => "consent_missing",
        }
    }

    /// The counter this skip adds to.
    pub fn counter(self) -> Counter {
        match self {
            Skip::Excluded => Counter::EventsSkippedExcluded,
            Skip::NotInTrigger => Counter::EventsSkippedNotInTrigger,
            Skip::MeasurementId => Counter::EventsSkippedMeasurementId,
            Skip::GtmPreview => Counter::EventsSkippedGtmPreview,
            Skip::ConsentDenied => Counter::EventsSkippedConsentDenied,
            Skip::ConsentMissing => Counter::EventsSkippedConsentMissing,
        }
    }

    /// What the user can check or change, for the debug line that reports the skip.
    pub fn explanation(self) -> &'static str {
        match self {
            Skip::Excluded => "trigger.exclude_event_names lists it (by default GA4's automatic events)",
            Skip::NotInTrigger => "trigger.event_names does not list it",
            Skip::MeasurementId => "its GA4 stream (tid / measurement_id) is not in collect.measurement_ids",
            Skip::GtmPreview => "a GTM preview hit (https://gtm-msr.appspot.com/)",
            Skip::ConsentDenied => {
                "consent.mode is \"required\" and the hit denies ad_storage (gcs, gcd, consent_state; \
                 for Measurement Protocol: consent.ad_user_data)"
            }
            Skip::ConsentMissing => {
                "consent.mode is \"required\" and the hit carries no consent signal (gcs, gcd, \
                 consent_state; for Measurement Protocol: consent.ad_user_data)"
            }
        }
    }
}

impl From<consent::Refusal> for Skip {
    fn from(refusal: consent::Refusal) -> Skip {
        match refusal {
            consent::Refusal::Denied => Skip::ConsentDenied,
            consent::Refusal::NoSignal => Skip::ConsentMissing,
        }
    }
}

/// The `__oppref` / `__obref` values an event asks the response to (re)write: none once an
/// earlier event of the same request yielded both (the first value of each is the one written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CookieValues {
    pub oppref: Option<String>,
    pub obref: Option<String>,
}

/// The result of the tag for one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Skipped {
        skip: Skip,
        cookies: CookieValues,
    },
    Invalid {
        name: Option<String>,
        reason: Invalid,
        cookies: CookieValues,
    },
    Ready {
        event: Box<ApiEvent>,
        cookies: CookieValues,
    },
}

/// What stays the same for every event of one collection request.
pub struct RequestScope<'a> {
    pub config: &'a Config,
    pub request: &'a RequestFacts,
    pub now_ms: u64,
    /// Source of 16 random bytes (browser ids, the request nonce).
    pub random: &'a mut dyn FnMut() -> [u8; 16],
    /// Whether a missing browser id may be minted: only for a browser, which keeps the cookie
    /// (GA4 and Data-Client hits on the web; not a Measurement Protocol server, not app traffic).
    mints_browser_id: bool,
    /// A browser id minted for this request, shared by all its events (one browser).
    minted_obref: Option<String>,
    /// This request's random nonce, drawn the first time an event needs it (see
    /// [`server_event::fallback_id`]) and shared by all its events.
    nonce: Option<[u8; 16]>,
    /// Whether an earlier event of this request already yielded both cookie values. The first
    /// value of each decides the response's cookies (one request, one browser), so a later
    /// skipped event need not resolve them again.
    cookies_known: bool,
    /// User fields [`process`] left out for a reason worth counting; the caller drains it.
    pub field_skips: Vec<prehashed::FieldSkip>,
    /// The page URL the request's events share, read once.
    urls: PageUrls,
}

impl<'a> RequestScope<'a> {
    pub fn new(
        config: &'a Config,
        format: Format,
        request: &'a RequestFacts,
        now_ms: u64,
        random: &'a mut dyn FnMut() -> [u8; 16],
    ) -> RequestScope<'a> {
        RequestScope {
            config,
            request,
            now_ms,
            random,
            mints_browser_id: format.from_browser()
                && config.action_source != ActionSource::MobileApp,
            minted_obref: None,
            nonce: None,
            cookies_known: false,
            field_skips: Vec::new(),
            urls: PageUrls::default(),
        }
    }

    fn mint_obref(&mut self) -> Option<String> {
        if !self.mints_browser_id {
            return None;
        }
        if let Some(id) = &self.minted_obref {
            return Some(id.clone());
        }
        let id = click_id::new_browser_id((self.random)());
        self.minted_obref = Some(id.clone());
        Some(id)
    }

    /// Notes the cookie values an outcome carries (see `cookies_known`).
    fn saw_cookies(&mut self, cookies: &CookieValues) {
        self.cookies_known |= cookies.oppref.is_some() && cookies.obref.is_some();
    }

    fn nonce(&mut self) -> [u8; 16] {
        *self.nonce.get_or_insert_with(|| (self.random)())
    }
}

/// Runs the tag for the event at position `index` of its request.
pub fn process(scope: &mut RequestScope<'_>, event: &EventData, index: usize) -> Outcome {
    let config = scope.config;
    let request = scope.request;
    let incoming_name = text_at(event, "event_name");

    let triggered = trigger::check(
        &config.trigger,
        config.collect.measurement_ids.as_deref(),
        event,
        incoming_name.as_deref(),
    );
    let skipped = |skip: Skip| Outcome::Skipped {
        skip,
        cookies: CookieValues::default(),
    };
    let strip_identifiers = match consent::decide(&config.consent, event, request) {
        Decision::Send { strip_identifiers } => strip_identifiers,
        // The trigger comes first: its reason is the one reported.
        Decision::Denied(refusal) => return skipped(triggered.err().unwrap_or(refusal.into())),
        Decision::Preview => return skipped(triggered.err().unwrap_or(Skip::GtmPreview)),
    };
    if let Err(skip) = triggered {
        if !config.trigger.refresh_cookies || scope.cookies_known {
            return skipped(skip);
        }
        let obref = click_id::resolve_obref(config, event, request, &mut || scope.mint_obref());
        let cookies = CookieValues {
            oppref: click_id::resolve_oppref(config, event, request, &mut scope.urls),
            obref: click_id::browser_id(config, event, request, obref),
        };
        scope.saw_cookies(&cookies);
        return Outcome::Skipped { skip, cookies };
    }

    let oppref = click_id::resolve_oppref(config, event, request, &mut scope.urls);
    let automapped_obref =
        click_id::resolve_obref(config, event, request, &mut || scope.mint_obref());
    // User data comes first: its browser id (override or automapped) is also the cookie's.
    let user = user_data::build_user(
        &config.user_data,
        event,
        request,
        strip_identifiers,
        automapped_obref,
        &mut scope.field_skips,
    );
    // The first value of each cookie decides the response's, so once an earlier event of the
    // request yielded both, a later one carries none instead of copies of each.
    let cookies = if scope.cookies_known {
        CookieValues::default()
    } else {
        CookieValues {
            oppref: oppref.clone(),
            obref: user.obref.clone(),
        }
    };
    scope.saw_cookies(&cookies);
    // The name is copied only for an event that turns out invalid.
    let invalid = |name: Option<&str>, reason: Invalid| Outcome::Invalid {
        name: name.map(str::to_owned),
        reason,
        cookies: cookies.clone(),
    };

    let event_type = match &config.event_name {
        EventNameSetup::Fixed(t) => t.clone(),
        EventNameSetup::Inherit => match incoming_name.as_deref() {
            None => return invalid(None, Invalid::MissingEventName),
            Some(name) => match EventType::inherit(name) {
                Ok(t) => t,
                Err(e) => return invalid(Some(name), Invalid::EventName(e)),
            },
        },
    };
    let name = Some(event_type.display_name());
    // A fixed app type under another action source is refused at configure time.
    if event_type.is_app_event() && config.action_source != ActionSource::MobileApp {
        return invalid(name, Invalid::AppEventNeedsMobileApp);
    }

    let server = match server_event::build(scope, &event_type, event, index) {
        Ok(s) => s,
        Err(reason) => return invalid(name, reason),
    };
    if server.source_url.is_none() && config.action_source == ActionSource::Web {
        return invalid(name, Invalid::MissingSourceUrl);
    }
    if let Err(reason) = validate::check_window(server.timestamp_ms, scope.now_ms) {
        return invalid(name, reason);
    }

    let data = match event_params::build_data(&config.event_parameters, &event_type, event, request)
    {
        Ok(d) => d,
        Err(reason) => return invalid(name, reason),
    };

    let event = ApiEvent {
        id: server.id,
        custom_event_name: event_type.custom_name().map(|n| n.as_str().to_owned()),
        event_type,
        timestamp_ms: server.timestamp_ms,
        action_source: config.action_source,
        source_url: server.source_url,
        oppref,
        opt_out: opt_out::resolve(config.server_event_data.opt_out.as_ref(), event, request),
        user,
        data,
    };
    Outcome::Ready {
        event: Box::new(event),
        cookies,
    }
}

#[cfg(test)]
mod tests;
