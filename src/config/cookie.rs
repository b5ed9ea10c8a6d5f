//! The cookies the filter sets: `click_id_cookie` and `browser_id_cookie` (on or off, and a
//! lifetime of at most [`MAX_COOKIE_DAYS`]) and the `cookie` attributes both share (domain,
//! `SameSite`, `HttpOnly`, whether `auto` trusts a proxy's forwarded host). A fixed domain must
//! be a plain host name.

use super::raw::{RawCookie, RawCookieSetting};
use super::{in_range, ConfigError};

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
    /// `auto` reads the host the client addressed from `X-Forwarded-Host` / `Forwarded: host=`
    /// instead of `:authority`. Off by default: without a proxy that sets (or strips) those
    /// headers, any client could pick the registrable domain its cookies are written for.
    pub trust_forwarded_host: bool,
}

/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis).
pub const MAX_COOKIE_DAYS: u64 = 400;

pub(super) fn cookie_setting(
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

pub(super) fn cookie_attributes(raw: RawCookie) -> Result<CookieAttributes, ConfigError> {
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
        trust_forwarded_host: raw.trust_forwarded_host,
    })
}
