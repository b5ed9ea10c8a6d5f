//! Configuration: the plugin's JSON config, parsed and validated once per `on_configure`.
//!
//! The whole configuration schema lives here as types that cannot hold an invalid value: enums for
//! every closed set, a [`Secret`] that never prints, override values already parsed into
//! [`ValueSource`]s, numbers range-checked. A bad config yields one [`ConfigError`] naming the
//! field and the reason; the glue logs it and returns `false`, so Envoy refuses the config.

mod callout_target;
mod error;
mod placeholder;
mod proto_struct;
mod raw;
#[cfg(test)]
mod schema;
mod shape;
pub mod value_source;

use crate::observe::bigquery::jwt::ServiceAccountKey;
use crate::payload::ActionSource;
use crate::tag::event_name::{EventType, StandardType};
pub use error::{ConfigError, TextPosition};
use placeholder::refuse_placeholder;
use raw::*;
use serde_json::Value;
use std::fmt;
pub use value_source::ValueSource;

/// The API key (or any credential): printable only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential obtained at run time (e.g. a fetched access token).
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// How the OpenAI event type is chosen (Stape's "Event Name Setup Method").
#[derive(Debug, Clone, PartialEq)]
pub enum EventNameSetup {
    /// Every event is sent as this type.
    Fixed(EventType),
    /// The incoming `event_name`, mapped from GA4 names where one matches.
    Inherit,
}

/// Wire format of a collection endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// GA4 `/g/collect` hits (protocol v2), GET or POST with one event per body line.
    Ga4,
    /// GA4 hits behind Stape's custom loader: the query holds one parameter whose value is the
    /// base64 of `/g/collect?…`; the body, if any, is as for `Ga4`.
    Ga4Loader,
    /// GA4 Measurement Protocol JSON.
    Mp,
    /// Stape Data Tag → Data Client requests.
    Data,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub path: String,
    pub format: Format,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Collect {
    pub endpoints: Vec<Endpoint>,
    pub max_body_bytes: usize,
    pub max_events_per_request: usize,
    /// Mirrors Envoy's `PluginConfig.allow_on_headers_stop_iteration`: when true the filter holds
    /// request headers while it reads a POST body (needed for `direct_response` routes); when
    /// false it reads the body as it streams to the upstream (Istio, older Envoy).
    pub allow_on_headers_stop_iteration: bool,
    /// Data-Client requests only: `true` lets an IP and User-Agent in the request's own data
    /// (`ip_override`, `ip`, `user_agent`, …) beat the peer address and `User-Agent` header, as
    /// Stape's Data Client does. `false` (the default) trusts the peer: a browser cannot claim
    /// someone else's address.
    pub trust_client_ip_and_user_agent: bool,
}

impl Collect {
    /// The format of the endpoint whose path equals `path` (query already removed).
    pub fn endpoint_format(&self, path: &str) -> Option<Format> {
        self.endpoints
            .iter()
            .find(|e| e.path == path)
            .map(|e| e.format)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trigger {
    /// `None`: every event name fires.
    pub event_names: Option<Vec<String>>,
    pub exclude_event_names: Vec<String>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieSetting {
    pub enabled: bool,
    pub expiration_days: u32,
}

impl CookieSetting {
    pub fn max_age_seconds(&self) -> u64 {
        u64::from(self.expiration_days) * 86_400
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieDomain {
    /// Registrable domain of the page, else of the request host (see `response::domain`).
    Auto,
    /// Used verbatim.
    Fixed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
    None,
}

impl SameSite {
    pub fn attribute(self) -> &'static str {
        match self {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
            SameSite::None => "None",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CookieAttributes {
    pub domain: CookieDomain,
    pub same_site: SameSite,
    pub http_only: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerOverrides {
    pub timestamp_ms: Option<ValueSource>,
    pub id: Option<ValueSource>,
    pub oppref: Option<ValueSource>,
    pub source_url: Option<ValueSource>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerEventData {
    pub automap: bool,
    pub opt_out: Option<bool>,
    pub generate_missing_id: bool,
    pub overrides: ServerOverrides,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserOverrides {
    pub email: Option<ValueSource>,
    pub phone: Option<ValueSource>,
    pub first_name: Option<ValueSource>,
    pub last_name: Option<ValueSource>,
    pub external_id: Option<ValueSource>,
    pub external_id_sha256: Option<ValueSource>,
    pub city: Option<ValueSource>,
    pub region: Option<ValueSource>,
    pub postal_code: Option<ValueSource>,
    pub country: Option<ValueSource>,
    pub ip_address: Option<ValueSource>,
    pub user_agent: Option<ValueSource>,
    pub obref: Option<ValueSource>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserData {
    pub automap: bool,
    pub overrides: UserOverrides,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParamOverrides {
    pub amount: Option<ValueSource>,
    pub amount_regular_unit: Option<ValueSource>,
    pub currency: Option<ValueSource>,
    pub contents: Option<ValueSource>,
    pub plan_id: Option<ValueSource>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventParameters {
    pub automap: bool,
    pub item_id_key: String,
    pub overrides: ParamOverrides,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// How long after its first attempt a call may still be retried; 0 turns retries off.
    pub horizon_ms: u64,
    /// Optional cap on attempts, the first included (`None`: the horizon alone decides).
    pub max_attempts: Option<u32>,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// Bounds of the per-worker queue of calls waiting to be sent, in events and in bytes of
    /// encoded events.
    pub max_queued_events: usize,
    pub max_queued_bytes: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub max_events: usize,
    /// 0 turns cross-request batching off.
    pub max_delay_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    pub cluster: String,
    pub authority: String,
    pub path: String,
    pub timeout_ms: u64,
    pub retry: Retry,
    pub batch: Batch,
    /// Held mode: how long a shared batch of held requests stays open (`api.batch.
    /// held_window_ms`); 0 sends one call per request.
    pub held_window_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleLogging {
    Off,
    /// Written at Envoy debug level.
    Debug,
    /// Written at info level.
    Always,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AccessToken {
    Static(Secret),
    /// Fetched from the GCP metadata server through this Envoy cluster.
    GcpMetadata {
        cluster: String,
    },
    /// Exchanged for tokens at the key's `token_uri`, through this Envoy cluster.
    ServiceAccount {
        key: Box<ServiceAccountKey>,
        cluster: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct BigQuery {
    pub project_id: String,
    pub dataset_id: String,
    pub table_id: String,
    pub cluster: String,
    pub access_token: AccessToken,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Logging {
    pub console: ConsoleLogging,
    /// Log API request bodies exactly as sent and the API's answers; off: redacted requests,
    /// no answers (see `observe::redact`).
    pub full_bodies: bool,
    pub bigquery: Option<BigQuery>,
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

/// Largest body the filter buffers; Envoy's default per-connection buffer is 1 MiB and a body
/// beyond it would make Envoy answer 413, which the filter must never cause.
pub const MAX_BODY_BYTES_LIMIT: u64 = 1 << 20;
/// The API's own per-request event limit.
pub const API_MAX_EVENTS: u64 = 1000;
/// Longest retry horizon accepted: a day. Beyond it a worker would hold events for most of
/// the API's 7-day window in memory that a restart loses anyway.
pub const MAX_RETRY_HORIZON_MS: u64 = 86_400_000;
/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis).
pub const MAX_COOKIE_DAYS: u64 = 400;
/// Upper bound of `api.batch.held_window_ms`: a held request waits up to this long before its
/// batch is even sent, so a longer window would only be a misconfiguration.
pub const MAX_HELD_WINDOW_MS: u64 = 1000;

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
        let api_key = secret("api_key", raw.api_key, env)?;
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
            collect: collect(raw.collect)?,
            trigger: trigger(raw.trigger)?,
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
            click_id_cookie: cookie_setting("click_id_cookie", raw.click_id_cookie, 30)?,
            browser_id_cookie: cookie_setting("browser_id_cookie", raw.browser_id_cookie, 365)?,
            cookie: cookie_attributes(raw.cookie)?,
            server_event_data: server_event_data(raw.server_event_data)?,
            user_data: user_data(raw.user_data)?,
            event_parameters: event_parameters(raw.event_parameters)?,
            api: api(raw.api)?,
            logging: logging(raw.logging, env)?,
            metric_prefix: metric_prefix(raw.metric_prefix)?,
        })
    }
}

fn secret(
    field: &str,
    raw: RawSecret,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, ConfigError> {
    let value = match raw {
        RawSecret::Literal(v) => v,
        RawSecret::Env(RawEnvRef { env: name }) => {
            if name.trim().is_empty() {
                return Err(ConfigError::new(
                    format!("{field}.env"),
                    "must name an environment variable",
                ));
            }
            env(&name).ok_or_else(|| {
                // The VM cannot see vm_config: a key listed in host_env_keys but unset in
                // Envoy's own environment looks the same as an unlisted one, so name both.
                ConfigError::new(
                    format!("{field}.env"),
                    format!(
                        "environment variable {name} is not visible to the VM: it must be set in \
                         Envoy's environment and listed in vm_config.environment_variables.host_env_keys \
                         (Istio: vmConfig.env), or given in environment_variables.key_values"
                    ),
                )
            })?
        }
    };
    let value = value.trim().to_owned();
    if value.is_empty() {
        return Err(ConfigError::new(field, "must not be empty"));
    }
    refuse_placeholder(field, &value, false)?;
    // A header value: control characters would break or inject into the request.
    if value.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(ConfigError::new(
            field,
            "contains control or non-ASCII characters",
        ));
    }
    Ok(Secret(value))
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

fn collect(raw: RawCollect) -> Result<Collect, ConfigError> {
    if raw.endpoints.is_empty() {
        return Err(ConfigError::new(
            "collect.endpoints",
            "must list at least one endpoint",
        ));
    }
    let mut endpoints: Vec<Endpoint> = Vec::with_capacity(raw.endpoints.len());
    for (i, e) in raw.endpoints.into_iter().enumerate() {
        let field = format!("collect.endpoints[{i}]");
        if !e.path.starts_with('/')
            || e.path.contains(['?', '#'])
            || e.path.chars().any(char::is_whitespace)
        {
            return Err(ConfigError::new(
                format!("{field}.path"),
                format!(
                    "{:?} must be an absolute path without query, e.g. \"/g/collect\"",
                    e.path
                ),
            ));
        }
        if endpoints.iter().any(|other| other.path == e.path) {
            return Err(ConfigError::new(
                format!("{field}.path"),
                format!("{:?} is listed twice", e.path),
            ));
        }
        let format = match e.format.as_str() {
            "ga4" => Format::Ga4,
            "ga4_loader" => Format::Ga4Loader,
            "mp" => Format::Mp,
            "data" => Format::Data,
            other => {
                return Err(ConfigError::new(
                    format!("{field}.format"),
                    format!("{other:?} is not \"ga4\", \"ga4_loader\", \"mp\" or \"data\""),
                ))
            }
        };
        endpoints.push(Endpoint {
            path: e.path,
            format,
        });
    }
    Ok(Collect {
        endpoints,
        max_body_bytes: as_usize(in_range(
            "collect.max_body_bytes",
            raw.max_body_bytes,
            1,
            MAX_BODY_BYTES_LIMIT,
        )?),
        max_events_per_request: as_usize(in_range(
            "collect.max_events_per_request",
            raw.max_events_per_request,
            1,
            API_MAX_EVENTS,
        )?),
        allow_on_headers_stop_iteration: raw.allow_on_headers_stop_iteration,
        trust_client_ip_and_user_agent: raw.trust_client_ip_and_user_agent,
    })
}

fn name_list(field: &str, names: Vec<String>) -> Result<Vec<String>, ConfigError> {
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            if n.is_empty() {
                Err(ConfigError::new(
                    format!("{field}[{i}]"),
                    "must not be empty",
                ))
            } else {
                Ok(n)
            }
        })
        .collect()
}

fn trigger(raw: RawTrigger) -> Result<Trigger, ConfigError> {
    Ok(Trigger {
        event_names: raw
            .event_names
            .map(|n| name_list("trigger.event_names", n))
            .transpose()?,
        exclude_event_names: name_list("trigger.exclude_event_names", raw.exclude_event_names)?,
    })
}

fn cookie_setting(
    field: &str,
    raw: RawCookieSetting,
    default_days: u64,
) -> Result<CookieSetting, ConfigError> {
    let days = in_range(
        &format!("{field}.expiration_days"),
        raw.expiration_days.unwrap_or(default_days),
        1,
        MAX_COOKIE_DAYS,
    )?;
    Ok(CookieSetting {
        enabled: raw.enabled,
        expiration_days: u32::try_from(days).unwrap_or(u32::MAX),
    })
}

fn cookie_attributes(raw: RawCookie) -> Result<CookieAttributes, ConfigError> {
    let domain = match raw.domain.trim() {
        d if d.is_empty() || d.eq_ignore_ascii_case("auto") => CookieDomain::Auto,
        fixed => {
            let valid = fixed
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
                && !fixed.trim_start_matches('.').is_empty();
            if !valid {
                return Err(ConfigError::new(
                    "cookie.domain",
                    format!("{fixed:?} is not \"auto\" or a host name such as \"example.com\""),
                ));
            }
            CookieDomain::Fixed(fixed.to_ascii_lowercase())
        }
    };
    let same_site = match raw.same_site.to_ascii_lowercase().as_str() {
        "lax" => SameSite::Lax,
        "strict" => SameSite::Strict,
        "none" => SameSite::None,
        _ => {
            return Err(ConfigError::new(
                "cookie.same_site",
                format!("{:?} is not \"lax\", \"strict\" or \"none\"", raw.same_site),
            ))
        }
    };
    Ok(CookieAttributes {
        domain,
        same_site,
        http_only: raw.http_only,
    })
}

/// What a literal override must look like, checked at configure time.
#[derive(Clone, Copy)]
enum Expect {
    /// A string or a number (ids, hashes, geo, …).
    Scalar,
    /// A non-negative integer (timestamp, minor-unit amount).
    Integer,
    /// A number or a numeric string (amount in regular units).
    Number,
    /// An array of objects (contents).
    ObjectArray,
}

fn override_value(
    field: &str,
    raw: Option<Value>,
    expect: Expect,
) -> Result<Option<ValueSource>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    let source = ValueSource::parse(raw).map_err(|reason| ConfigError::new(field, reason))?;
    if let Some(literal) = source.literal() {
        let ok = match expect {
            Expect::Scalar => {
                matches!(literal, Value::String(s) if !s.is_empty()) || literal.is_number()
            }
            Expect::Integer => literal.is_u64(),
            Expect::Number => {
                literal.is_number()
                    || literal
                        .as_str()
                        .is_some_and(|s| s.trim().parse::<f64>().is_ok_and(f64::is_finite))
            }
            Expect::ObjectArray => literal
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_object)),
        };
        if !ok {
            let wanted = match expect {
                Expect::Scalar => "a non-empty string or a number",
                Expect::Integer => "a non-negative integer",
                Expect::Number => "a number",
                Expect::ObjectArray => "an array of objects",
            };
            return Err(ConfigError::new(
                field,
                format!("literal must be {wanted} or a {{{{…}}}} reference"),
            ));
        }
    }
    Ok(Some(source))
}

fn server_event_data(raw: RawServerEventData) -> Result<ServerEventData, ConfigError> {
    let o = raw.overrides;
    let f = |k: &str| format!("server_event_data.overrides.{k}");
    let source_url = override_value(&f("source_url"), o.source_url, Expect::Scalar)?;
    if let Some(Value::String(url)) = source_url.as_ref().and_then(ValueSource::literal) {
        if crate::tag::server_event::source_url(url).is_err() {
            return Err(ConfigError::new(
                f("source_url"),
                format!("{url:?} must be an absolute http(s) URL with a host and no whitespace, e.g. \"https://shop.example.com/\""),
            ));
        }
    }
    Ok(ServerEventData {
        automap: raw.automap,
        opt_out: raw.opt_out,
        generate_missing_id: raw.generate_missing_id,
        overrides: ServerOverrides {
            timestamp_ms: override_value(&f("timestamp_ms"), o.timestamp_ms, Expect::Integer)?,
            id: override_value(&f("id"), o.id, Expect::Scalar)?,
            oppref: override_value(&f("oppref"), o.oppref, Expect::Scalar)?,
            source_url,
        },
    })
}

fn user_data(raw: RawUserData) -> Result<UserData, ConfigError> {
    let o = raw.overrides;
    let s = |k: &str, v: Option<Value>| {
        override_value(&format!("user_data.overrides.{k}"), v, Expect::Scalar)
    };
    Ok(UserData {
        automap: raw.automap,
        overrides: UserOverrides {
            email: s("email", o.email)?,
            phone: s("phone", o.phone)?,
            first_name: s("first_name", o.first_name)?,
            last_name: s("last_name", o.last_name)?,
            external_id: s("external_id", o.external_id)?,
            external_id_sha256: s("external_id_sha256", o.external_id_sha256)?,
            city: s("city", o.city)?,
            region: s("region", o.region)?,
            postal_code: s("postal_code", o.postal_code)?,
            country: s("country", o.country)?,
            ip_address: s("ip_address", o.ip_address)?,
            user_agent: s("user_agent", o.user_agent)?,
            obref: s("obref", o.obref)?,
        },
    })
}

fn event_parameters(raw: RawEventParameters) -> Result<EventParameters, ConfigError> {
    let o = raw.overrides;
    let f = |k: &str| format!("event_parameters.overrides.{k}");
    let item_id_key = raw.item_id_key.trim().to_owned();
    if item_id_key.is_empty() {
        return Err(ConfigError::new(
            "event_parameters.item_id_key",
            "must not be empty",
        ));
    }
    let currency = override_value(&f("currency"), o.currency, Expect::Scalar)?;
    if let Some(literal) = currency.as_ref().and_then(ValueSource::literal) {
        let code = literal.as_str().and_then(crate::tag::amount::currency_code);
        if code.is_none() {
            return Err(ConfigError::new(
                f("currency"),
                format!("{literal} is not an active ISO 4217 code such as \"USD\" or \"EUR\""),
            ));
        }
    }
    let contents = override_value(&f("contents"), o.contents, Expect::ObjectArray)?;
    if let Some(Value::Array(items)) = contents.as_ref().and_then(ValueSource::literal) {
        for (i, item) in items.iter().enumerate() {
            if let Some(dict) = item.get("variant_dict") {
                if crate::tag::event_params::variant_dict(i, dict).is_err() {
                    return Err(ConfigError::new(
                        format!("{}[{i}].variant_dict", f("contents")),
                        "must be an object of string values, e.g. {\"size\": \"m\"}",
                    ));
                }
            }
        }
    }
    Ok(EventParameters {
        automap: raw.automap,
        item_id_key,
        overrides: ParamOverrides {
            amount: override_value(&f("amount"), o.amount, Expect::Integer)?,
            amount_regular_unit: override_value(
                &f("amount_regular_unit"),
                o.amount_regular_unit,
                Expect::Number,
            )?,
            currency,
            contents,
            plan_id: override_value(&f("plan_id"), o.plan_id, Expect::Scalar)?,
        },
    })
}

fn non_empty(field: &str, value: String) -> Result<String, ConfigError> {
    let v = value.trim().to_owned();
    if v.is_empty() {
        return Err(ConfigError::new(field, "must not be empty"));
    }
    refuse_placeholder(field, &v, true)?;
    Ok(v)
}

fn api(raw: RawApi) -> Result<Api, ConfigError> {
    let path = callout_target::api_path(raw.path)?;
    let r = raw.retry;
    let initial_backoff_ms = in_range(
        "api.retry.initial_backoff_ms",
        r.initial_backoff_ms,
        1,
        3_600_000,
    )?;
    let max_backoff_ms = in_range("api.retry.max_backoff_ms", r.max_backoff_ms, 1, 3_600_000)?;
    if max_backoff_ms < initial_backoff_ms {
        return Err(ConfigError::new(
            "api.retry.max_backoff_ms",
            format!("{max_backoff_ms} is smaller than initial_backoff_ms ({initial_backoff_ms})"),
        ));
    }
    Ok(Api {
        cluster: non_empty("api.cluster", raw.cluster)?,
        authority: callout_target::api_authority(raw.authority)?,
        path,
        timeout_ms: in_range("api.timeout_ms", raw.timeout_ms, 1, 300_000)?,
        retry: Retry {
            horizon_ms: in_range(
                "api.retry.horizon_ms",
                r.horizon_ms,
                0,
                MAX_RETRY_HORIZON_MS,
            )?,
            max_attempts: match r.max_attempts {
                None => None,
                Some(n) => Some(
                    u32::try_from(in_range("api.retry.max_attempts", n, 1, 1000)?).unwrap_or(1),
                ),
            },
            initial_backoff_ms,
            max_backoff_ms,
            // A queue must hold at least one whole call (up to the API's 1,000 events).
            max_queued_events: as_usize(in_range(
                "api.retry.max_queued_events",
                r.max_queued_events,
                API_MAX_EVENTS,
                1_000_000,
            )?),
            max_queued_bytes: as_usize(in_range(
                "api.retry.max_queued_bytes",
                r.max_queued_bytes,
                1024 * 1024,
                256 * 1024 * 1024,
            )?),
        },
        batch: Batch {
            max_events: as_usize(in_range(
                "api.batch.max_events",
                raw.batch.max_events,
                1,
                API_MAX_EVENTS,
            )?),
            max_delay_ms: in_range("api.batch.max_delay_ms", raw.batch.max_delay_ms, 0, 60_000)?,
        },
        held_window_ms: in_range(
            "api.batch.held_window_ms",
            raw.batch.held_window_ms,
            0,
            MAX_HELD_WINDOW_MS,
        )?,
    })
}

fn logging(raw: RawLogging, env: &dyn Fn(&str) -> Option<String>) -> Result<Logging, ConfigError> {
    let console = match raw.console.as_str() {
        "off" => ConsoleLogging::Off,
        "debug" => ConsoleLogging::Debug,
        "always" => ConsoleLogging::Always,
        other => {
            return Err(ConfigError::new(
                "logging.console",
                format!("{other:?} is not \"off\", \"debug\" or \"always\""),
            ))
        }
    };
    let bigquery = match raw.bigquery {
        None => None,
        Some(bq) => Some(BigQuery {
            project_id: non_empty("logging.bigquery.project_id", bq.project_id)?,
            dataset_id: non_empty("logging.bigquery.dataset_id", bq.dataset_id)?,
            table_id: non_empty("logging.bigquery.table_id", bq.table_id)?,
            cluster: non_empty("logging.bigquery.cluster", bq.cluster)?,
            access_token: match bq.access_token {
                RawAccessToken::Literal(v) => AccessToken::Static(secret(
                    "logging.bigquery.access_token",
                    RawSecret::Literal(v),
                    env,
                )?),
                RawAccessToken::Env(e) => AccessToken::Static(secret(
                    "logging.bigquery.access_token",
                    RawSecret::Env(e),
                    env,
                )?),
                RawAccessToken::Metadata(m) => AccessToken::GcpMetadata {
                    cluster: non_empty(
                        "logging.bigquery.access_token.gcp_metadata.cluster",
                        m.gcp_metadata.cluster,
                    )?,
                },
                RawAccessToken::ServiceAccount(s) => service_account(s.service_account_key, env)?,
            },
        }),
    };
    Ok(Logging {
        console,
        full_bodies: raw.full_bodies,
        bigquery,
    })
}

/// Reads and parses the service-account key named by `{"env": NAME}`; the error names the
/// field and never quotes the key.
fn service_account(
    raw: RawServiceAccountKey,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<AccessToken, ConfigError> {
    const FIELD: &str = "logging.bigquery.access_token.service_account_key";
    let name = raw.env.trim();
    if name.is_empty() {
        return Err(ConfigError::new(
            format!("{FIELD}.env"),
            "must name an environment variable",
        ));
    }
    let text = env(name).ok_or_else(|| {
        ConfigError::new(
            format!("{FIELD}.env"),
            format!(
                "environment variable {name} is not set in the VM (list it in vm_config.environment_variables)"
            ),
        )
    })?;
    let key = ServiceAccountKey::from_json(&text).map_err(|reason| {
        ConfigError::new(
            format!("{FIELD}.env"),
            format!("{name} does not hold a usable service-account key: {reason}"),
        )
    })?;
    Ok(AccessToken::ServiceAccount {
        key: Box::new(key),
        cluster: non_empty(&format!("{FIELD}.cluster"), raw.cluster)?,
    })
}

#[cfg(test)]
mod tests;
