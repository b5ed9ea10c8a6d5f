//! The `logging` section: the console log level, whether bodies are logged in full, and the
//! optional BigQuery sink with its access token: static, fetched from the GCP metadata server, or
//! exchanged with a service-account key that is read from the VM environment and parsed at
//! configure time.

use super::raw::{RawAccessToken, RawLogging, RawSecret, RawServiceAccountKey};
use super::secret::{secret, Secret};
use super::service_account::ServiceAccountKey;
use super::{non_empty, ConfigError};

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

pub(super) fn logging(
    raw: RawLogging,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Logging, ConfigError> {
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
    if !super::service_account::SIGNING_BUILT_IN {
        return Err(ConfigError::new(FIELD, super::service_account::NO_SIGNING));
    }
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
