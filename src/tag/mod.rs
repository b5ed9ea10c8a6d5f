//! Tag logic: what Stape's "OpenAI Ads Conversions API" tag does to one event, as pure
//! functions.
//!
//! [`process`] runs the steps in the tag's order — trigger → consent → event name → server
//! event data → click/browser ids → user data → event parameters → validation — and returns
//! either a skip, an invalid event with the rule it broke, or an [`ApiEvent`] ready to send.
//! Cookie values travel with invalid events too: like Stape, a hit that passed consent refreshes
//! `__oppref`/`__obref` even when the conversion itself cannot be sent.

pub mod amount;
pub mod click_id;
pub mod consent;
pub mod event_name;
pub mod event_params;
pub mod prehashed;
pub mod server_event;
pub mod trigger;
pub mod user_data;
pub mod validate;

use crate::config::{Config, EventNameSetup};
use crate::event::{text_at, EventData};
use crate::payload::{ActionSource, ApiEvent};
use crate::request::RequestFacts;
use consent::Decision;
use event_name::EventType;
use validate::Invalid;

/// Why an event was not considered at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// `trigger` did not fire (or a GTM preview hit).
    Trigger,
    /// ad_storage not granted in `required` consent mode.
    Consent,
}

/// The `__oppref` / `__obref` values an event asks the response to (re)write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CookieValues {
    pub oppref: Option<String>,
    pub obref: Option<String>,
}

/// The result of the tag for one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Skipped(Skip),
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
    /// Source of 16 random bytes (browser ids).
    pub random: &'a mut dyn FnMut() -> [u8; 16],
    /// A browser id minted for this request, shared by all its events (one browser).
    minted_obref: Option<String>,
    /// User fields [`process`] left out for a reason worth counting; the caller drains it.
    pub field_skips: Vec<prehashed::FieldSkip>,
}

impl<'a> RequestScope<'a> {
    pub fn new(
        config: &'a Config,
        request: &'a RequestFacts,
        now_ms: u64,
        random: &'a mut dyn FnMut() -> [u8; 16],
    ) -> RequestScope<'a> {
        RequestScope {
            config,
            request,
            now_ms,
            random,
            minted_obref: None,
            field_skips: Vec::new(),
        }
    }

    fn mint_obref(&mut self) -> String {
        if let Some(id) = &self.minted_obref {
            return id.clone();
        }
        let id = click_id::new_browser_id((self.random)());
        self.minted_obref = Some(id.clone());
        id
    }
}

/// Runs the tag for the event at position `index` of its request.
pub fn process(scope: &mut RequestScope<'_>, event: &EventData, index: usize) -> Outcome {
    let config = scope.config;
    let request = scope.request;
    let incoming_name = text_at(event, "event_name");

    if !trigger::fires(&config.trigger, incoming_name.as_deref()) {
        return Outcome::Skipped(Skip::Trigger);
    }
    let strip_identifiers = match consent::decide(&config.consent, event, request) {
        Decision::Send { strip_identifiers } => strip_identifiers,
        Decision::Denied => return Outcome::Skipped(Skip::Consent),
        Decision::Preview => return Outcome::Skipped(Skip::Trigger),
    };

    let oppref = click_id::resolve_oppref(config, event, request);
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
    let cookies = CookieValues {
        oppref: oppref.clone(),
        obref: user.obref.clone(),
    };
    let invalid = |name: Option<String>, reason: Invalid| Outcome::Invalid {
        name,
        reason,
        cookies: cookies.clone(),
    };

    let event_type = match &config.event_name {
        EventNameSetup::Fixed(t) => t.clone(),
        EventNameSetup::Inherit => match incoming_name.as_deref() {
            None => return invalid(None, Invalid::MissingEventName),
            Some(name) => match EventType::inherit(name) {
                Ok(t) => t,
                Err(e) => return invalid(Some(name.to_owned()), Invalid::EventName(e)),
            },
        },
    };
    let name = Some(event_type.display_name().to_owned());
    // A fixed app type under another action source is refused at configure time.
    if event_type.is_app_event() && config.action_source != ActionSource::MobileApp {
        return invalid(name, Invalid::AppEventNeedsMobileApp);
    }

    let server = match server_event::build(config, &event_type, event, request, index, scope.now_ms)
    {
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
        opt_out: config.server_event_data.opt_out,
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
