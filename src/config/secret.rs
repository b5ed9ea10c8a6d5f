//! Credentials: the [`Secret`] type, which never prints, and how a secret field (`api_key`, a
//! static BigQuery `access_token`) is read from a literal or from the VM environment
//! (`{"env": NAME}`) and refused when it is empty, a template placeholder, or unfit for a header
//! value.

use super::placeholder::refuse_placeholder;
use super::raw::{RawEnvRef, RawSecret};
use super::ConfigError;
use std::fmt;

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

pub(super) fn secret(
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
