//! Click id (`oppref`) and browser id (`obref`) resolution.
//!
//! `oppref` is OpenAI's ad-click reference: it arrives once in the landing URL and lives on in
//! the `__oppref` cookie, so the URL wins (a new click replaces an older one) and the cookie and
//! event-data copies follow. `obref` identifies the browser: read from `__obref` and its copies,
//! or minted as a random UUID v4 when the browser-id cookie is enabled and none exists yet — for
//! browser traffic only: the caller's `mint` declines for a Measurement Protocol request or app
//! traffic, where no cookie jar would keep the id. Both values are passed through unchanged and
//! bounded; only the URL source is query-decoded, and the cookies are percent-decoded when they
//! hold a `%` (Stape's tag URI-encodes them).

use crate::config::Config;
use crate::event::{at_most_chars, text_at, EventData};
use crate::request::RequestFacts;
use crate::response::cookie::read_value;
use crate::tag::page_urls::PageUrls;
use std::borrow::Cow;

/// Longest `oppref`/`obref` accepted; real values are Fernet-like tokens of ~150 characters.
pub const MAX_REF_CHARS: usize = 2048;

/// Resolves `oppref`: override, then the `oppref` parameter of the first present of
/// `page_location`, `page_referrer`, `Referer`, then `__oppref` cookie,
/// `common_cookie.__oppref`, `__oppref`, `oppref` in event data. Automap sources apply only when
/// server-event automap is on. `urls` is the request's memo of its page URL.
pub fn resolve_oppref(
    config: &Config,
    event: &EventData,
    request: &RequestFacts,
    urls: &mut PageUrls,
) -> Option<String> {
    let settings = &config.server_event_data;
    let from_override = settings
        .overrides
        .oppref
        .as_ref()
        .and_then(|s| s.resolve(event, request))
        .and_then(|v| crate::event::text(&v).map(|t| t.into_owned()));
    from_override
        .or_else(|| {
            settings
                .automap
                .then(|| automapped_oppref(event, request, urls))
                .flatten()
        })
        .filter(|v| bounded(v))
}

fn automapped_oppref(
    event: &EventData,
    request: &RequestFacts,
    urls: &mut PageUrls,
) -> Option<String> {
    let page_url = text_at(event, "page_location")
        .or_else(|| text_at(event, "page_referrer"))
        .or_else(|| request.referer.as_deref().map(Cow::Borrowed));
    page_url
        .as_deref()
        .and_then(|url| urls.oppref(url))
        .or_else(|| {
            request
                .cookie("__oppref")
                .map(|c| read_value(c).into_owned())
        })
        .or_else(|| {
            ["common_cookie.__oppref", "__oppref", "oppref"]
                .iter()
                .find_map(|k| text_at(event, k))
                .map(|t| t.into_owned())
        })
}

/// The first non-empty value of query parameter `name` in `url` (decoded). Works on relative
/// or malformed URLs too: only the part between `?` and `#` is read (Stape errors there).
pub fn url_query_param(url: &str, name: &str) -> Option<String> {
    // Byte searches: `#` and `?` are ASCII, so the cuts are character boundaries.
    let url = url
        .bytes()
        .position(|b| b == b'#')
        .and_then(|at| url.get(..at))
        .unwrap_or(url);
    let query = url.get(url.bytes().position(|b| b == b'?')? + 1..)?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

/// Resolves `obref` from `__obref` cookie, `common_cookie.__obref`, `__obref`, `obref`, else a
/// browser id minted by `mint` when the browser-id cookie is enabled (`mint` gives none for
/// traffic that is not a browser's). Only with user-data automap (as in Stape); the
/// `user_data.overrides.obref` override is applied by user data, or by [`browser_id`].
pub fn resolve_obref(
    config: &Config,
    event: &EventData,
    request: &RequestFacts,
    mint: &mut dyn FnMut() -> Option<String>,
) -> Option<String> {
    if !config.user_data.automap {
        return None;
    }
    request
        .cookie("__obref")
        .map(|c| read_value(c).into_owned())
        .or_else(|| {
            ["common_cookie.__obref", "__obref", "obref"]
                .iter()
                .find_map(|k| text_at(event, k))
                .map(|t| t.into_owned())
        })
        .filter(|v| bounded(v))
        .or_else(|| {
            if config.browser_id_cookie.enabled {
                mint()
            } else {
                None
            }
        })
}

/// The browser id a hit's cookie carries: the `user_data.overrides.obref` override when it
/// resolves to a usable value, else `automapped` (from [`resolve_obref`]). The same rule user
/// data applies to `user.obref`, for hits that build no user object (skipped by the trigger).
pub fn browser_id(
    config: &Config,
    event: &EventData,
    request: &RequestFacts,
    automapped: Option<String>,
) -> Option<String> {
    config
        .user_data
        .overrides
        .obref
        .as_ref()
        .and_then(|s| s.resolve(event, request))
        .and_then(|v| crate::event::text(&v).map(|t| t.into_owned()))
        .filter(|v| bounded(v))
        .or(automapped)
}

/// A new browser id: a random UUID v4 in lowercase hyphenated form.
pub fn new_browser_id(random: [u8; 16]) -> String {
    uuid::Builder::from_random_bytes(random)
        .into_uuid()
        .hyphenated()
        .to_string()
}

fn bounded(value: &str) -> bool {
    !value.trim().is_empty() && at_most_chars(value, MAX_REF_CHARS)
}

#[cfg(test)]
mod tests;
