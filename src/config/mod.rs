//! Configuration: the plugin's JSON config, parsed and validated once per `on_configure`.
//!
//! The whole configuration schema lives here as types that cannot hold an invalid value: enums for
//! every closed set, a [`Secret`] that never prints, override values already parsed into
//! [`ValueSource`]s, numbers range-checked. A bad config yields one [`ConfigError`] naming the
//! field and the reason; the runtime logs it and returns `false`, so Envoy refuses the config.
//!
//! This module holds [`Config`] itself, the parse entry points and the top-level fields
//! (`pixel_id`, `event_name`, `action_source`, `consent`, `integration_source`,
//! `metric_prefix`). Each section's types and rules live in the module named after it:
//! `secret` (`api_key` and other credentials), `collect` (`collect`, `trigger`), `cookie`,
//! `event_data` (`server_event_data`, `user_data`, `event_parameters` and their overrides),
//! `api` (with `callout_target` for `api.authority` and `api.path`) and `logging` (with
//! BigQuery). `raw` is the config as written, with its defaults.

mod api;
mod callout_target;
mod collect;
mod cookie;
mod error;
mod event_data;
mod logging;
mod placeholder;
mod proto_struct;
mod raw;
#[cfg(test)]
mod schema;
mod secret;
pub mod service_account;
mod shape;
pub mod value_source;

use crate::model::ActionSource;
use crate::model::{EventType, StandardType};
pub use api::{Api, Batch, Retry, API_MAX_EVENTS, MAX_HELD_WINDOW_MS, MAX_RETRY_HORIZON_MS};
pub use collect::{Collect, Endpoint, Format, Trigger, MAX_BODY_BYTES_LIMIT};
pub use cookie::{CookieAttributes, CookieDomain, CookieSetting, SameSite, MAX_COOKIE_DAYS};
pub use error::{ConfigError, TextPosition};
pub use event_data::{
    EventParameters, OptOut, ParamOverrides, ServerEventData, ServerOverrides, UserData,
    UserOverrides, OPT_OUT_FROM_HIT,
};
pub use logging::{AccessToken, BigQuery, ConsoleLogging, Logging};
use placeholder::refuse_placeholder;
use raw::*;
pub use secret::Secret;
use serde_json::Value;
pub use value_source::ValueSource;

/// Default first segment of every stat name (`metric_prefix`).
pub const DEFAULT_METRIC_PREFIX: &str = "openai_capi";

/// How the OpenAI event type is chosen (Stape's "Event Name Setup Method").
#[derive(Debug, Clone, PartialEq)]
pub enum EventNameSetup {
    /// Every event is sent as this type.
    Fixed(EventType),
    /// The incoming `event_name`, mapped from GA4 names where one matches.
    Inherit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentMode {
    Optional,
    Required,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    pub mode: ConsentMode,
    pub user_data_requires_ad_user_data: bool,
}

/// The validated plugin configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub pixel_id: String,
    pub api_key: Secret,
    pub event_name: EventNameSetup,
    pub action_source: ActionSource,
    pub validate_only: bool,
    pub optimistic: bool,
    pub integration_source: Option<String>,
    pub collect: Collect,
    pub trigger: Trigger,
    pub consent: Consent,
    pub click_id_cookie: CookieSetting,
    pub browser_id_cookie: CookieSetting,
    pub cookie: CookieAttributes,
    pub server_event_data: ServerEventData,
    pub user_data: UserData,
    pub event_parameters: EventParameters,
    pub api: Api,
    pub logging: Logging,
    /// First segment of every stat name, so two plugin instances keep separate series.
    pub metric_prefix: String,
}

impl Config {
    /// Parses and validates the plugin configuration as Envoy hands it over: JSON text (a
    /// `StringValue`) or a protobuf-encoded `google.protobuf.Struct` (native YAML). `env` reads
    /// the VM environment for `{"env": NAME}` secrets.
    pub fn from_plugin_configuration(
        bytes: &[u8],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        match proto_struct::decode(bytes) {
            // Through JSON text, so one deserializer serves both forms (a second one for
            // `serde_json::Value` would double the config code in the `.wasm`). Positions in
            // that text would mean nothing to the user: the field path says where.
            Some(value) => {
                Config::from_json(value.to_string().as_bytes(), env).map_err(|e| ConfigError {
                    position: None,
                    ..e
                })
            }
            None => Config::from_json(bytes, env),
        }
    }

    /// Parses and validates the configuration from JSON text; a parse error names its line and
    /// column.
    pub fn from_json(
        bytes: &[u8],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        // Syntax first, as a plain value: its errors carry line and column, and the value lets
        // `shape` refuse arrays that serde would read as positional structs.
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| ConfigError::from_serde(String::new(), &e))?;
        shape::refuse_positional_objects(&value, "")?;
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let raw: RawConfig = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            ConfigError::from_serde(path, e.inner())
        })?;
        de.end()
            .map_err(|e| ConfigError::from_serde(String::new(), &e))?;
        Config::from_raw(raw, env)
    }

    fn from_raw(
        raw: RawConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let pixel_id = raw.pixel_id.trim().to_owned();
        if pixel_id.is_empty() {
            return Err(ConfigError::new("pixel_id", "must not be empty"));
        }
        if pixel_id.len() > 256 || pixel_id.chars().any(char::is_control) {
            return Err(ConfigError::new(
                "pixel_id",
                "must be at most 256 printable characters",
            ));
        }
        refuse_placeholder("pixel_id", &pixel_id, true)?;
        let api_key = secret::secret("api_key", raw.api_key, env)?;
        let action_source = ActionSource::parse(&raw.action_source).ok_or_else(|| {
            ConfigError::new(
                "action_source",
                format!(
                    "{:?} is not one of web, mobile_app, offline, physical_store, phone_call, email, other",
                    raw.action_source
                ),
            )
        })?;
        let custom_setup = raw.event_name.setup == "custom";
        let event_name = event_name_setup(raw.event_name)?;
        if let EventNameSetup::Fixed(t) = &event_name {
            if t.is_app_event() && action_source != ActionSource::MobileApp {
                return Err(ConfigError::new(
                    if custom_setup {
                        "event_name.custom"
                    } else {
                        "event_name.standard"
                    },
                    format!(
                        "{} events need action_source \"mobile_app\" (action_source is {:?}); set action_source to \"mobile_app\" or choose another event type",
                        t.display_name(),
                        action_source.as_str()
                    ),
                ));
            }
        }

        Ok(Config {
            pixel_id,
            api_key,
            event_name,
            action_source,
            validate_only: raw.validate_only,
            optimistic: raw.optimistic,
            integration_source: raw.integration_source.map(integration_source).transpose()?,
            collect: collect::collect(raw.collect)?,
            trigger: collect::trigger(raw.trigger)?,
            consent: Consent {
                mode: match raw.consent.mode.as_str() {
                    "optional" => ConsentMode::Optional,
                    "required" => ConsentMode::Required,
                    other => {
                        return Err(ConfigError::new(
                            "consent.mode",
                            format!("{other:?} is not \"optional\" or \"required\""),
                        ))
                    }
                },
                user_data_requires_ad_user_data: raw.consent.user_data_requires_ad_user_data,
            },
            click_id_cookie: cookie::cookie_setting("click_id_cookie", raw.click_id_cookie, 30)?,
            browser_id_cookie: cookie::cookie_setting(
                "browser_id_cookie",
                raw.browser_id_cookie,
                365,
            )?,
            cookie: cookie::cookie_attributes(raw.cookie)?,
            server_event_data: event_data::server_event_data(raw.server_event_data)?,
            user_data: event_data::user_data(raw.user_data)?,
            event_parameters: event_data::event_parameters(raw.event_parameters)?,
            api: api::api(raw.api)?,
            logging: logging::logging(raw.logging, env)?,
            metric_prefix: metric_prefix(raw.metric_prefix)?,
        })
    }
}

fn event_name_setup(raw: RawEventName) -> Result<EventNameSetup, ConfigError> {
    match raw.setup.as_str() {
        "inherit" => Ok(EventNameSetup::Inherit),
        "standard" => StandardType::parse(&raw.standard)
            .map(|t| EventNameSetup::Fixed(EventType::Standard(t)))
            .ok_or_else(|| {
                ConfigError::new(
                    "event_name.standard",
                    format!(
                        "{:?} is not a standard event type ({})",
                        raw.standard,
                        standard_list()
                    ),
                )
            }),
        "custom" => {
            let name = raw.custom.ok_or_else(|| {
                ConfigError::new(
                    "event_name.custom",
                    "is required when event_name.setup is \"custom\"",
                )
            })?;
            EventType::from_name(name.trim())
                .map(EventNameSetup::Fixed)
                .map_err(|e| ConfigError::new("event_name.custom", e.to_string()))
        }
        other => Err(ConfigError::new(
            "event_name.setup",
            format!("{other:?} is not \"standard\", \"inherit\" or \"custom\""),
        )),
    }
}

fn standard_list() -> String {
    StandardType::ALL.map(StandardType::as_str).join(", ")
}

fn integration_source(value: String) -> Result<String, ConfigError> {
    refuse_placeholder("integration_source", &value, true)?;
    // The API trims and lowercases before checking 1–64 of [a-z0-9._-] with an alphanumeric start.
    let v = value.trim().to_ascii_lowercase();
    let ok = (1..=64).contains(&v.len())
        && v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(v)
    } else {
        Err(ConfigError::new(
            "integration_source",
            "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
        ))
    }
}

fn metric_prefix(value: String) -> Result<String, ConfigError> {
    let ok = (1..=64).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(value)
    } else {
        Err(ConfigError::new(
            "metric_prefix",
            format!("{value:?} must be 1-64 of a-z, 0-9 and '_', starting with a letter"),
        ))
    }
}

fn in_range(field: &str, value: u64, min: u64, max: u64) -> Result<u64, ConfigError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::new(
            field,
            format!("{value} is out of range {min}..={max}"),
        ))
    }
}

fn as_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

fn non_empty(field: &str, value: String) -> Result<String, ConfigError> {
    let v = value.trim().to_owned();
    if v.is_empty() {
        return Err(ConfigError::new(field, "must not be empty"));
    }
    refuse_placeholder(field, &v, true)?;
    Ok(v)
}

#[cfg(test)]
mod tests;
