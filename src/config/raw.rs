//! The configuration as it is written: serde shapes with their defaults.
//!
//! The same types generate `config.schema.json` (test-only derive, see `schema.rs`), so a field
//! added here reaches the schema without further work.
//!
//! Every object denies unknown keys, and `serde_path_to_error` turns a type error into a message
//! naming the field (`collect.endpoints[0].format: unknown variant …`). Semantic checks (ranges,
//! non-empty strings, name rules) happen in [`super::Config::from_raw`], never here.

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub pixel_id: String,
    pub api_key: RawSecret,
    #[serde(default)]
    pub event_name: RawEventName,
    #[serde(default = "default_action_source")]
    pub action_source: String,
    #[serde(default)]
    pub validate_only: bool,
    #[serde(default)]
    pub optimistic: bool,
    #[serde(default)]
    pub integration_source: Option<String>,
    #[serde(default)]
    pub collect: RawCollect,
    #[serde(default)]
    pub trigger: RawTrigger,
    #[serde(default)]
    pub consent: RawConsent,
    #[serde(default = "default_click_cookie")]
    pub click_id_cookie: RawCookieSetting,
    #[serde(default = "default_browser_cookie")]
    pub browser_id_cookie: RawCookieSetting,
    #[serde(default)]
    pub cookie: RawCookie,
    #[serde(default)]
    pub server_event_data: RawServerEventData,
    #[serde(default)]
    pub user_data: RawUserData,
    #[serde(default)]
    pub event_parameters: RawEventParameters,
    #[serde(default)]
    pub api: RawApi,
    #[serde(default)]
    pub logging: RawLogging,
    #[serde(default = "default_metric_prefix")]
    pub metric_prefix: String,
}

/// A secret: a literal string or `{"env": NAME}` read from the VM environment.
#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum RawSecret {
    Literal(String),
    Env(RawEnvRef),
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawEnvRef {
    pub env: String,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawEventName {
    #[serde(default = "default_setup")]
    pub setup: String,
    #[serde(default = "default_standard")]
    pub standard: String,
    #[serde(default)]
    pub custom: Option<String>,
}

impl Default for RawEventName {
    fn default() -> Self {
        RawEventName {
            setup: default_setup(),
            standard: default_standard(),
            custom: None,
        }
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawCollect {
    #[serde(default = "default_endpoints")]
    pub endpoints: Vec<RawEndpoint>,
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: u64,
    #[serde(default = "default_max_events_per_request")]
    pub max_events_per_request: u64,
    #[serde(default)]
    pub allow_on_headers_stop_iteration: bool,
    #[serde(default)]
    pub trust_client_ip_and_user_agent: bool,
    #[serde(default)]
    pub measurement_ids: Option<Vec<String>>,
}

impl Default for RawCollect {
    fn default() -> Self {
        RawCollect {
            endpoints: default_endpoints(),
            max_body_bytes: default_max_body_bytes(),
            max_events_per_request: default_max_events_per_request(),
            allow_on_headers_stop_iteration: false,
            trust_client_ip_and_user_agent: false,
            measurement_ids: None,
        }
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    pub path: String,
    pub format: String,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawTrigger {
    #[serde(default)]
    pub event_names: Option<Vec<String>>,
    #[serde(default = "default_exclude_event_names")]
    pub exclude_event_names: Vec<String>,
    #[serde(default = "default_true")]
    pub refresh_cookies: bool,
}

impl Default for RawTrigger {
    fn default() -> Self {
        RawTrigger {
            event_names: None,
            exclude_event_names: default_exclude_event_names(),
            refresh_cookies: true,
        }
    }
}

/// GA4's automatically collected and enhanced-measurement events: not conversions.
fn default_exclude_event_names() -> Vec<String> {
    crate::model::GA4_AUTOMATIC_EVENTS
        .iter()
        .map(|n| (*n).to_owned())
        .collect()
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawConsent {
    #[serde(default = "default_consent_mode")]
    pub mode: String,
    #[serde(default = "default_true")]
    pub user_data_requires_ad_user_data: bool,
}

impl Default for RawConsent {
    fn default() -> Self {
        RawConsent {
            mode: default_consent_mode(),
            user_data_requires_ad_user_data: true,
        }
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawCookieSetting {
    #[serde(default = "default_true")]
    pub enabled: bool,
    pub expiration_days: Option<u64>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawCookie {
    #[serde(default = "default_auto")]
    pub domain: String,
    #[serde(default = "default_same_site")]
    pub same_site: String,
    #[serde(default)]
    pub http_only: bool,
    #[serde(default)]
    pub trust_forwarded_host: bool,
}

impl Default for RawCookie {
    fn default() -> Self {
        RawCookie {
            domain: default_auto(),
            same_site: default_same_site(),
            http_only: false,
            trust_forwarded_host: false,
        }
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawServerEventData {
    #[serde(default = "default_true")]
    pub automap: bool,
    /// `null`, `true`/`false`, `"from_hit"`, or a `{{…}}` reference.
    #[serde(default)]
    pub opt_out: Option<Value>,
    #[serde(default = "default_true")]
    pub generate_missing_id: bool,
    #[serde(default)]
    pub overrides: RawServerOverrides,
}

impl Default for RawServerEventData {
    fn default() -> Self {
        RawServerEventData {
            automap: true,
            opt_out: None,
            generate_missing_id: true,
            overrides: RawServerOverrides::default(),
        }
    }
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawServerOverrides {
    pub timestamp_ms: Option<Value>,
    pub id: Option<Value>,
    pub oppref: Option<Value>,
    pub source_url: Option<Value>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawUserData {
    #[serde(default = "default_true")]
    pub automap: bool,
    #[serde(default)]
    pub overrides: RawUserOverrides,
}

impl Default for RawUserData {
    fn default() -> Self {
        RawUserData {
            automap: true,
            overrides: RawUserOverrides::default(),
        }
    }
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawUserOverrides {
    pub email: Option<Value>,
    pub phone: Option<Value>,
    pub first_name: Option<Value>,
    pub last_name: Option<Value>,
    pub external_id: Option<Value>,
    pub external_id_sha256: Option<Value>,
    pub city: Option<Value>,
    pub region: Option<Value>,
    pub postal_code: Option<Value>,
    pub country: Option<Value>,
    pub ip_address: Option<Value>,
    pub user_agent: Option<Value>,
    pub obref: Option<Value>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawEventParameters {
    #[serde(default = "default_true")]
    pub automap: bool,
    #[serde(default = "default_item_id_key")]
    pub item_id_key: String,
    #[serde(default)]
    pub overrides: RawParamOverrides,
}

impl Default for RawEventParameters {
    fn default() -> Self {
        RawEventParameters {
            automap: true,
            item_id_key: default_item_id_key(),
            overrides: RawParamOverrides::default(),
        }
    }
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawParamOverrides {
    pub amount: Option<Value>,
    pub amount_regular_unit: Option<Value>,
    pub currency: Option<Value>,
    pub contents: Option<Value>,
    pub plan_id: Option<Value>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    #[serde(default = "default_cluster")]
    pub cluster: String,
    #[serde(default = "default_authority")]
    pub authority: String,
    #[serde(default = "default_api_path")]
    pub path: String,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(default)]
    pub retry: RawRetry,
    #[serde(default)]
    pub batch: RawBatch,
}

impl Default for RawApi {
    fn default() -> Self {
        RawApi {
            cluster: default_cluster(),
            authority: default_authority(),
            path: default_api_path(),
            timeout_ms: default_timeout_ms(),
            retry: RawRetry::default(),
            batch: RawBatch::default(),
        }
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    #[serde(default = "default_horizon_ms")]
    pub horizon_ms: u64,
    #[serde(default)]
    pub max_attempts: Option<u64>,
    #[serde(default = "default_initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    #[serde(default = "default_max_backoff_ms")]
    pub max_backoff_ms: u64,
    #[serde(default = "default_max_queued_events")]
    pub max_queued_events: u64,
    #[serde(default = "default_max_queued_bytes")]
    pub max_queued_bytes: u64,
}

impl Default for RawRetry {
    fn default() -> Self {
        RawRetry {
            horizon_ms: default_horizon_ms(),
            max_attempts: None,
            initial_backoff_ms: default_initial_backoff_ms(),
            max_backoff_ms: default_max_backoff_ms(),
            max_queued_events: default_max_queued_events(),
            max_queued_bytes: default_max_queued_bytes(),
        }
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawBatch {
    #[serde(default = "default_batch_max_events")]
    pub max_events: u64,
    #[serde(default = "default_batch_max_delay_ms")]
    pub max_delay_ms: u64,
    #[serde(default = "default_held_window_ms")]
    pub held_window_ms: u64,
}

impl Default for RawBatch {
    fn default() -> Self {
        RawBatch {
            max_events: default_batch_max_events(),
            max_delay_ms: default_batch_max_delay_ms(),
            held_window_ms: default_held_window_ms(),
        }
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawLogging {
    #[serde(default = "default_console")]
    pub console: String,
    #[serde(default)]
    pub full_bodies: bool,
    #[serde(default)]
    pub bigquery: Option<RawBigQuery>,
}

impl Default for RawLogging {
    fn default() -> Self {
        RawLogging {
            console: default_console(),
            full_bodies: false,
            bigquery: None,
        }
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawBigQuery {
    pub project_id: String,
    pub dataset_id: String,
    pub table_id: String,
    pub cluster: String,
    pub access_token: RawAccessToken,
}

/// A BigQuery token: literal, `{"env": NAME}`, `{"gcp_metadata": {"cluster": NAME}}`, or
/// `{"service_account_key": {"env": NAME, "cluster": NAME}}`.
#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum RawAccessToken {
    Literal(String),
    Env(RawEnvRef),
    Metadata(RawMetadataRef),
    ServiceAccount(RawServiceAccountRef),
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawServiceAccountRef {
    pub service_account_key: RawServiceAccountKey,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawServiceAccountKey {
    pub env: String,
    #[serde(default = "default_oauth2_cluster")]
    pub cluster: String,
}

fn default_oauth2_cluster() -> String {
    "google_oauth2".into()
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawMetadataRef {
    pub gcp_metadata: RawMetadataCluster,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawMetadataCluster {
    pub cluster: String,
}

fn default_true() -> bool {
    true
}
fn default_setup() -> String {
    "inherit".into()
}
fn default_standard() -> String {
    "page_viewed".into()
}
fn default_action_source() -> String {
    "web".into()
}
fn default_endpoints() -> Vec<RawEndpoint> {
    [
        ("/g/collect", "ga4"),
        ("/mp/collect", "mp"),
        ("/data", "data"),
    ]
    .into_iter()
    .map(|(path, format)| RawEndpoint {
        path: path.into(),
        format: format.into(),
    })
    .collect()
}
fn default_max_body_bytes() -> u64 {
    65536
}
fn default_max_events_per_request() -> u64 {
    50
}
fn default_consent_mode() -> String {
    "optional".into()
}
fn default_click_cookie() -> RawCookieSetting {
    RawCookieSetting {
        enabled: true,
        expiration_days: None,
    }
}
fn default_browser_cookie() -> RawCookieSetting {
    RawCookieSetting {
        enabled: true,
        expiration_days: None,
    }
}
fn default_auto() -> String {
    "auto".into()
}
fn default_same_site() -> String {
    "lax".into()
}
fn default_item_id_key() -> String {
    "item_id".into()
}
fn default_cluster() -> String {
    "openai_capi".into()
}
fn default_authority() -> String {
    "bzr.openai.com".into()
}
fn default_api_path() -> String {
    "/v1/events".into()
}
fn default_timeout_ms() -> u64 {
    5000
}
fn default_horizon_ms() -> u64 {
    600_000
}
fn default_initial_backoff_ms() -> u64 {
    500
}
fn default_max_backoff_ms() -> u64 {
    30000
}
fn default_max_queued_events() -> u64 {
    20_000
}
fn default_max_queued_bytes() -> u64 {
    16 * 1024 * 1024
}
fn default_batch_max_events() -> u64 {
    100
}
fn default_batch_max_delay_ms() -> u64 {
    100
}
fn default_metric_prefix() -> String {
    super::DEFAULT_METRIC_PREFIX.into()
}
/// Short: every held request waits this long at most before its batch is sent.
fn default_held_window_ms() -> u64 {
    2
}
fn default_console() -> String {
    "debug".into()
}
