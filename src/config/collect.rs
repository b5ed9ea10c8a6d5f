//! The `collect` and `trigger` sections: which request paths the filter reads and in which wire
//! [`Format`], how large a body and how many events per request it accepts, which GA4 streams
//! count, which event names fire, and whether a skipped hit still refreshes the cookies.
//! Endpoint paths must be absolute, free of query and fragment, and listed once.

use super::raw::{RawCollect, RawTrigger};
use super::{as_usize, in_range, ConfigError, API_MAX_EVENTS};

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
    /// The GA4 streams (measurement ids, `G-…`) whose hits are sent; `None` reads every stream.
    /// Events that carry no measurement id (Data-Client requests) are never filtered by it.
    pub measurement_ids: Option<Vec<String>>,
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

impl Format {
    /// Whether the sender is the user's browser, which keeps cookies: GA4 hits and Data-Client
    /// requests. A Measurement Protocol request comes from a server, which has no cookie jar.
    pub fn from_browser(self) -> bool {
        match self {
            Format::Ga4 | Format::Ga4Loader | Format::Data => true,
            Format::Mp => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trigger {
    /// `None`: every event name fires.
    pub event_names: Option<Vec<String>>,
    pub exclude_event_names: Vec<String>,
    /// A hit the trigger skips still (re)writes the click-id and browser-id cookies when it
    /// passes consent, so a landing hit keeps its click id for a later conversion.
    pub refresh_cookies: bool,
}

/// Largest body the filter buffers; Envoy's default per-connection buffer is 1 MiB and a body
/// beyond it would make Envoy answer 413, which the filter must never cause.
pub const MAX_BODY_BYTES_LIMIT: u64 = 1 << 20;

pub(super) fn collect(raw: RawCollect) -> Result<Collect, ConfigError> {
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
        measurement_ids: raw.measurement_ids.map(measurement_ids).transpose()?,
    })
}

/// `collect.measurement_ids`: trimmed, non-empty, each listed once (compared without case, as
/// GA4 ids are upper case but hand-written configs may not be).
fn measurement_ids(ids: Vec<String>) -> Result<Vec<String>, ConfigError> {
    let field = "collect.measurement_ids";
    if ids.is_empty() {
        return Err(ConfigError::new(
            field,
            "must list at least one measurement id (e.g. [\"G-ABC123\"]), or be null to read every stream",
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for (i, id) in ids.into_iter().enumerate() {
        let id = id.trim().to_owned();
        if id.is_empty() || id.len() > 64 || id.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ConfigError::new(
                format!("{field}[{i}]"),
                "must be a measurement id such as \"G-ABC123\" (1-64 characters, no spaces)",
            ));
        }
        if out.iter().any(|o| o.eq_ignore_ascii_case(&id)) {
            return Err(ConfigError::new(
                format!("{field}[{i}]"),
                format!("{id:?} is listed twice"),
            ));
        }
        out.push(id);
    }
    Ok(out)
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

pub(super) fn trigger(raw: RawTrigger) -> Result<Trigger, ConfigError> {
    Ok(Trigger {
        event_names: raw
            .event_names
            .map(|n| name_list("trigger.event_names", n))
            .transpose()?,
        exclude_event_names: name_list("trigger.exclude_event_names", raw.exclude_event_names)?,
        refresh_cookies: raw.refresh_cookies,
    })
}
