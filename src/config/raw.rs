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
    /// OpenAI pixel id, sent URL-encoded as `?pid=`. Trimmed, non-empty.
    pub pixel_id: String,
    /// Conversions API key: a literal, or `{"env": "NAME"}` read from the VM environment (list
    /// `NAME` in Envoy `vm_config.environment_variables`, Istio `vmConfig.env`). Sent only as
    /// `Authorization: Bearer …`; never logged.
    pub api_key: RawSecret,
    #[serde(default)]
    pub event_name: RawEventName,
    /// `web mobile_app offline physical_store phone_call email other`. With `web`, every event
    /// needs a valid `source_url` (see `server_event_data.automap`); an event without one is
    /// invalid. With any other action source an invalid `source_url` is left out and the event is
    /// sent.
    #[serde(default = "default_action_source")]
    pub action_source: String,
    /// API test mode: events are validated, not stored.
    #[serde(default)]
    pub validate_only: bool,
    /// `true`: the request continues at once and its events join the per-worker batch. `false`: the
    /// request is held until the API answers or `api.timeout_ms` passes (see Delivery).
    #[serde(default)]
    pub optimistic: bool,
    /// Sent as top-level `integration_source`: 1–64 of letters, digits, `.`, `_`, `-`; lowercased.
    #[serde(default)]
    pub integration_source: Option<String>,
    #[serde(default)]
    pub collect: RawCollect,
    #[serde(default)]
    pub trigger: RawTrigger,
    #[serde(default)]
    pub consent: RawConsent,
    /// Write `__oppref` whenever a hit that passed consent has an `oppref` (see
    /// `trigger.refresh_cookies`). Days 1 … 400.
    #[serde(default = "default_click_cookie")]
    pub click_id_cookie: RawCookieSetting,
    /// Write `__obref`, and mint a UUID v4 browser id when none exists (one per request), for
    /// browser traffic only: never for Measurement Protocol requests or with `action_source:
    /// "mobile_app"`. Days 1 … 400.
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
    /// First segment of every metric name (1–64 of `a-z 0-9 _`, starting with a letter) and of the
    /// filter-state key `<prefix>.summary`. Give each plugin instance its own, so their series stay
    /// apart. See *Metrics*.
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
    /// `"inherit"`: the incoming `event_name`, with GA4 names mapped (`page_view`→`page_viewed`,
    /// `view_item`→`contents_viewed`, `add_to_cart`→`items_added`,
    /// `begin_checkout`→`checkout_started`, `purchase`→`order_created`,
    /// `generate_lead`→`lead_created`, `sign_up`→`registration_completed`). A standard type name is
    /// kept, and anything else becomes `custom`. `"standard"` or `"custom"`: every event gets one
    /// fixed type.
    #[serde(default = "default_setup")]
    pub setup: String,
    /// With `setup: "standard"`, one of `page_viewed contents_viewed items_added checkout_started
    /// order_created lead_created registration_completed appointment_scheduled subscription_created
    /// trial_started app_installed app_opened`. The app types (`app_installed`, `app_opened`) need
    /// `action_source: "mobile_app"`; with any other action source the config is refused. An
    /// *inherited* app event under another action source is invalid: counted in `events_invalid`,
    /// logged, not sent, while the other events of the request still go out.
    #[serde(default = "default_standard")]
    pub standard: String,
    /// With `setup: "custom"`, the name. It is lowercased and must be 1–64 of `[a-z0-9_-]` with a
    /// letter or digit at each end. A standard type name is sent as that type. A config name that
    /// breaks the rule is a config error; an inherited one makes the event invalid.
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
    /// List of `{"path", "format"}`; `format` is `ga4`, `ga4_loader`, `mp` or `data`. Paths are
    /// exact, with no query. Default: `/g/collect` ga4, `/mp/collect` mp, `/data` data.
    #[serde(default = "default_endpoints")]
    pub endpoints: Vec<RawEndpoint>,
    /// Bodies up to this size are read (1 … 1048576, Envoy's default buffer limit). Larger ones are
    /// not parsed, and the request is untouched.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: u64,
    /// Events beyond this many in one request are dropped and counted (1 … 1000). The request's
    /// work budget applies too (see *Work budget per request*).
    #[serde(default = "default_max_events_per_request")]
    pub max_events_per_request: u64,
    /// Must equal Envoy's `PluginConfig` field of the same name; see *Two deployment shapes*.
    #[serde(default)]
    pub allow_on_headers_stop_iteration: bool,
    /// Data-Client (`data`) requests only. `false`: the event's IP and User-Agent are the peer
    /// address and `User-Agent` header, whatever the request's data says. `true`: `ip_override` (or
    /// `ip`, `ipOverride`) and `user_agent` (or `userAgent`) in the data beat them, as in Stape's
    /// Data Client. Enable it only when the sender is a server you trust to relay its users'
    /// addresses.
    #[serde(default)]
    pub trust_client_ip_and_user_agent: bool,
    /// GA4 streams whose hits count, e.g. `["G-SHOP123"]` (GA4 `tid`, MP `measurement_id`; compared
    /// without case). Events from other streams are skipped
    /// (`events_skipped{reason="measurement_id"}`); events without a stream (Data-Client) always
    /// count. `null`: every stream. See *Several GA4 streams on one page*.
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
    /// Request path, exact and without the query (`/g/collect`).
    pub path: String,
    /// `ga4`, `ga4_loader`, `mp` or `data` (see *Three input formats*).
    pub format: String,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawTrigger {
    /// Allow-list of incoming `event_name`s, matched exactly before any mapping; `null` means every
    /// event.
    #[serde(default)]
    pub event_names: Option<Vec<String>>,
    /// Incoming names that never fire; this beats the allow-list. Default: GA4's automatic
    /// events (see *GA4's automatic events*). `[]` restores every event.
    #[serde(default = "default_exclude_event_names")]
    pub exclude_event_names: Vec<String>,
    /// A hit the trigger skips (not listed, excluded, another stream) still writes and refreshes
    /// `__oppref` / `__obref` when it passes consent, so a landing `page_view` keeps its click id
    /// for the purchase that follows. `false`: skipped hits write no cookie.
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
    /// `"required"`: an event is sent only if the hit grants consent; see *Consent* for the signals
    /// of each format. No signal means skipped, and a skipped event writes no cookie. Hits from GTM
    /// preview (`https://gtm-msr.appspot.com/`) are always skipped.
    #[serde(default = "default_consent_mode")]
    pub mode: String,
    /// In `required` mode, when ad_user_data is explicitly denied (`consent_state.ad_user_data`,
    /// `gcd` index 6), the email, phone, name and external-id hashes are left out. Geo, IP, user
    /// agent and `obref` stay.
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
    /// Write (and keep refreshing) the cookie; `false` never writes it.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// `Max-Age` of the cookie in days, 1 … 400. `null`: 30 for `click_id_cookie`, 365 for
    /// `browser_id_cookie`.
    pub expiration_days: Option<u64>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RawCookie {
    /// `"auto"`: the registrable domain (eTLD+1, Public Suffix List) of `page_location`, else of
    /// `Referer`, but only if the request host lies within it; otherwise that of the request host.
    /// The request host is `:authority`, or with `cookie.trust_forwarded_host` the forwarded host.
    /// IPs and single-label hosts get no `Domain`. Any other value is used verbatim.
    #[serde(default = "default_auto")]
    pub domain: String,
    /// `lax`, `strict` or `none`.
    #[serde(default = "default_same_site")]
    pub same_site: String,
    /// Adds `HttpOnly`.
    #[serde(default)]
    pub http_only: bool,
    /// `true`: for `"auto"`, the request host is the first value of `X-Forwarded-Host`, else the
    /// `host=` of the first element of `Forwarded` (RFC 7239; quoted values, any case, a port
    /// ignored), else `:authority`. A forwarded value that is not a host name or IP (`a b`, `x/y`,
    /// `u@h`, empty) is passed over. Turn it on only behind a proxy that sets or overwrites these
    /// headers (a gateway whose `:authority` is an internal name such as `capi-gw.internal.svc`):
    /// otherwise any client could choose the domain its cookies are written for.
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
    /// `timestamp_ms` from MP `timestamp_micros` or the receipt time; `source_url` =
    /// `page_location`; `id` = `event_id` | `eventId` (for `order_created` also `transaction_id`,
    /// then `ecommerce.transaction_id`), trimmed, a blank one falling through to the next source;
    /// `oppref` (see below). A `source_url` (automapped or overridden) must be an absolute
    /// `http`/`https` URL with a host and without raw whitespace or control characters; it is sent
    /// in its parsed, serialised form (`HTTPS://Shop.Example.com` → `https://shop.example.com/`).
    /// User info (`user:password@`) and the fragment are removed. A literal `source_url` override
    /// that is not one is a config error.
    #[serde(default = "default_true")]
    pub automap: bool,
    /// `true`/`false`: sent as `opt_out` on every event. `"from_hit"`: `true` when the hit says the
    /// user declined personalised ads (GA4 `npa=1`, ad_personalization denied in `consent_state` or
    /// at `gcd` index 8, MP `non_personalized_ads: true` or `consent.ad_personalization:
    /// "DENIED"`), otherwise not sent. A `{{…}}` reference: read per event as a boolean
    /// (`true`/`false`, `1`/`0`, `"yes"`/`"no"`), not sent when it finds none. `null`: never sent.
    /// `opt_out` only keeps the event out of personalisation; consent decides whether it is sent.
    #[serde(default)]
    pub opt_out: Option<Value>,
    /// When no id is found, generate a 32-hex fallback id: the same for a replay of the same hit,
    /// different for every new event (see *Fallback event ids*). It never matches a browser-pixel
    /// event: see *Deduplication with the browser pixel*.
    #[serde(default = "default_true")]
    pub generate_missing_id: bool,
    /// `timestamp_ms`, `id`, `oppref`, `source_url` → value (see *Override values*).
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
    /// See *User data*. Also enables reading and minting `obref`.
    #[serde(default = "default_true")]
    pub automap: bool,
    /// `email`, `phone`, `first_name`, `last_name`, `external_id` (hashed), `external_id_sha256`
    /// (already a hash), `city`, `region`, `postal_code`, `country`, `ip_address`, `user_agent`,
    /// `obref` → value.
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
    /// See *Event parameters*.
    #[serde(default = "default_true")]
    pub automap: bool,
    /// Item key used as `contents[].id` (e.g. `"sku"` for WooCommerce).
    #[serde(default = "default_item_id_key")]
    pub item_id_key: String,
    /// `amount` (integer, already in minor units), `amount_regular_unit` (converted; `amount`
    /// wins), `currency` (an active ISO 4217 code; a literal that is not one is a config error, a
    /// reference that resolves to one makes the event invalid), `contents` (array of objects, each
    /// with `content_type`; `variant_dict` must be an object of string values, e.g. `{"size":
    /// "m"}`), `plan_id` → value.
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
    /// Envoy cluster for the callout (Istio: `outbound|80||bzr.openai.com`).
    #[serde(default = "default_cluster")]
    pub cluster: String,
    /// `:authority` of the callout: a host name or `[IPv6]`, optionally `:port`. Surrounding spaces
    /// are trimmed; other whitespace, control characters, a scheme or a path are refused.
    #[serde(default = "default_authority")]
    pub authority: String,
    /// Path; `?pid=<pixel_id>` is appended. URL path characters only (`%XX` for others); inner
    /// whitespace, control characters, `?` and `#` are refused.
    #[serde(default = "default_api_path")]
    pub path: String,
    /// Per-attempt timeout. A held request waits at most `api.batch.held_window_ms` plus this (1 …
    /// 300000).
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
    /// How long after its first attempt a failed call is still retried (0 … 86400000; `0` turns
    /// retries off). With the defaults an API outage of up to 10 minutes loses nothing.
    #[serde(default = "default_horizon_ms")]
    pub horizon_ms: u64,
    /// Optional cap on attempts, the first included (1 … 1000). `null`: the horizon alone decides.
    #[serde(default)]
    pub max_attempts: Option<u64>,
    /// First retry delay. Exponential backoff with jitter, capped; never earlier than
    /// `Retry-After`. The last retry is made at the horizon: a `Retry-After` that reaches past it
    /// is cut to it, so the events get one last attempt rather than being dropped at once.
    #[serde(default = "default_initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    /// Longest retry delay. Exponential backoff with jitter, capped; never earlier than
    /// `Retry-After`. The last retry is made at the horizon: a `Retry-After` that reaches past it
    /// is cut to it, so the events get one last attempt rather than being dropped at once.
    #[serde(default = "default_max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// Events waiting to be sent (fresh batches, retries, split halves), per worker (1000 …
    /// 1000000). When full, the oldest calls are dropped, counted and logged.
    #[serde(default = "default_max_queued_events")]
    pub max_queued_events: u64,
    /// The same queue bounded by the memory its calls hold: encoded events, ids, names and trace
    /// ids, counted by allocation (1 MiB … 256 MiB). With both defaults a worker holds at most
    /// about 16 MiB of queued calls, plus the calls in flight.
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
    /// Optimistic mode: a batch is sent when it holds this many events (1 … 1000)…
    #[serde(default = "default_batch_max_events")]
    pub max_events: u64,
    /// …or this long after its first event. `0` turns cross-request batching off.
    #[serde(default = "default_batch_max_delay_ms")]
    pub max_delay_ms: u64,
    /// Held mode: how long a batch of held requests gathers on a busy worker before it is sent
    /// (0 … 1000); on a quiet worker a hit goes at once. `0`: one call per request.
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
    /// `"off"`, `"debug"` (written at Envoy debug level) or `"always"` (info level). See *Logging*.
    #[serde(default = "default_console")]
    pub console: String,
    /// `true`: console records show API request bodies exactly as sent (raw IP, user agent, geo,
    /// page URL with query) and the API's answers (1 KB). `false`: those are redacted and answers
    /// left out. See *Logging*.
    #[serde(default)]
    pub full_bodies: bool,
    /// BigQuery logging (see *Logging to BigQuery*): `{"project_id", "dataset_id", "table_id",
    /// "cluster", "access_token"}`, all non-empty. `cluster` is the Envoy cluster for
    /// `bigquery.googleapis.com`.
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
    /// Google Cloud project of the table.
    pub project_id: String,
    /// BigQuery dataset of the table (create it first; see *Logging to BigQuery* in
    /// docs/operations.md).
    pub dataset_id: String,
    /// BigQuery table the rows are inserted into (schema: `docs/bigquery-schema.json`).
    pub table_id: String,
    /// Envoy cluster for `bigquery.googleapis.com` (TLS to port 443; Istio:
    /// `outbound|80||bigquery.googleapis.com`).
    pub cluster: String,
    /// A literal token or `{"env": NAME}` (short-lived; tests); `{"gcp_metadata": {"cluster":
    /// NAME}}` (the GCE/GKE metadata server through that cluster; works with GKE Workload
    /// Identity); or `{"service_account_key": {"env": NAME, "cluster": "google_oauth2"}}` (a
    /// service-account JSON key in the VM environment, exchanged at its `token_uri` through
    /// `cluster`, default `google_oauth2`; only in the build with the `service-account` cargo
    /// feature). A key that does not parse is a config error naming the field, never quoting the
    /// key.
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
