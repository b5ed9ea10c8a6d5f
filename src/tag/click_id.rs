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
use crate::event::{text_at, EventData};
use crate::request::RequestFacts;
use crate::response::cookie::read_value;
use std::borrow::Cow;

/// Longest `oppref`/`obref` accepted; real values are Fernet-like tokens of ~150 characters.
pub const MAX_REF_CHARS: usize = 2048;

/// Resolves `oppref`: override, then the `oppref` parameter of the first present of
/// `page_location`, `page_referrer`, `Referer`, then `__oppref` cookie,
/// `common_cookie.__oppref`, `__oppref`, `oppref` in event data. Automap sources apply only when
/// server-event automap is on.
pub fn resolve_oppref(
    config: &Config,
    event: &EventData,
    request: &RequestFacts,
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
                .then(|| automapped_oppref(event, request))
                .flatten()
        })
        .filter(|v| bounded(v))
}

fn automapped_oppref(event: &EventData, request: &RequestFacts) -> Option<String> {
    let page_url = text_at(event, "page_location")
        .or_else(|| text_at(event, "page_referrer"))
        .or_else(|| request.referer.as_deref().map(Cow::Borrowed));
    page_url
        .as_deref()
        .and_then(|url| url_query_param(url, "oppref"))
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
    !value.trim().is_empty() && value.chars().count() <= MAX_REF_CHARS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{config, event as ev};
    use serde_json::json;

    fn req(cookie: Option<&str>, referer: Option<&str>) -> RequestFacts {
        let mut pairs = vec![(":path".to_string(), b"/g/collect".to_vec())];
        if let Some(c) = cookie {
            pairs.push(("cookie".into(), c.as_bytes().to_vec()));
        }
        if let Some(r) = referer {
            pairs.push(("referer".into(), r.as_bytes().to_vec()));
        }
        RequestFacts::from_headers(&pairs, None).unwrap()
    }

    #[test]
    fn stape_14_click_id_priority() {
        let c = config(json!({}));
        let all = json!({"page_location": "https://example.com/?oppref=from-url", "__oppref": "from-ed",
                         "oppref": "from-ed-nopfx", "common_cookie": {"__oppref": "from-cc"}});
        let cookie = Some("__oppref=from-cookie");
        assert_eq!(
            resolve_oppref(&c, &ev(all.clone()), &req(cookie, None)).as_deref(),
            Some("from-url")
        );
        let mut e = all.clone();
        e["page_location"] = json!("https://example.com/");
        assert_eq!(
            resolve_oppref(&c, &ev(e.clone()), &req(cookie, None)).as_deref(),
            Some("from-cookie")
        );
        assert_eq!(
            resolve_oppref(&c, &ev(e.clone()), &req(None, None)).as_deref(),
            Some("from-cc")
        );
        e.as_object_mut().unwrap().remove("common_cookie");
        assert_eq!(
            resolve_oppref(&c, &ev(e.clone()), &req(None, None)).as_deref(),
            Some("from-ed")
        );
        e.as_object_mut().unwrap().remove("__oppref");
        assert_eq!(
            resolve_oppref(&c, &ev(e), &req(None, None)).as_deref(),
            Some("from-ed-nopfx")
        );
    }

    #[test]
    fn url_source_is_page_location_then_page_referrer_then_referer_header() {
        let c = config(json!({}));
        let e = ev(json!({"page_referrer": "https://landing.example/?oppref=gAAAA%3D%3D"}));
        assert_eq!(
            resolve_oppref(&c, &e, &req(None, None)).as_deref(),
            Some("gAAAA=="),
            "query-decoded"
        );
        let r = req(None, Some("https://example.com/land?x=1&oppref=hdr"));
        assert_eq!(
            resolve_oppref(&c, &ev(json!({})), &r).as_deref(),
            Some("hdr")
        );
    }

    #[test]
    fn oppref_override_beats_url_and_automap_off_disables_sources() {
        let c =
            config(json!({"server_event_data": {"overrides": {"oppref": "{{cookie.my_click}}"}}}));
        let e = ev(json!({"page_location": "https://e.com/?oppref=url"}));
        assert_eq!(
            resolve_oppref(&c, &e, &req(Some("my_click=manual"), None)).as_deref(),
            Some("manual")
        );
        assert_eq!(
            resolve_oppref(&c, &e, &req(None, None)).as_deref(),
            Some("url")
        );
        let off = config(json!({"server_event_data": {"automap": false}}));
        assert_eq!(
            resolve_oppref(&off, &e, &req(Some("__oppref=c"), None)),
            None
        );
    }

    #[test]
    fn stape_18_no_oppref_anywhere_is_none_and_absurd_values_are_refused() {
        let c = config(json!({}));
        assert_eq!(
            resolve_oppref(
                &c,
                &ev(json!({"page_location": "https://e.com/"})),
                &req(None, None)
            ),
            None
        );
        let long = format!("https://e.com/?oppref={}", "a".repeat(MAX_REF_CHARS + 1));
        assert_eq!(
            resolve_oppref(&c, &ev(json!({"page_location": long})), &req(None, None)),
            None
        );
    }

    #[test]
    fn stape_19_browser_id_priority() {
        let c = config(json!({"browser_id_cookie": {"enabled": false}}));
        let all = json!({"__obref": "from-ed", "obref": "from-ed-nopfx", "common_cookie": {"__obref": "from-cc"}});
        let mut never = || -> Option<String> { unreachable!("must not mint") };
        assert_eq!(
            resolve_obref(
                &c,
                &ev(all.clone()),
                &req(Some("__obref=from-cookie"), None),
                &mut never
            )
            .as_deref(),
            Some("from-cookie")
        );
        assert_eq!(
            resolve_obref(&c, &ev(all.clone()), &req(None, None), &mut never).as_deref(),
            Some("from-cc")
        );
        let mut e = all.clone();
        e.as_object_mut().unwrap().remove("common_cookie");
        assert_eq!(
            resolve_obref(&c, &ev(e.clone()), &req(None, None), &mut never).as_deref(),
            Some("from-ed")
        );
        e.as_object_mut().unwrap().remove("__obref");
        assert_eq!(
            resolve_obref(&c, &ev(e), &req(None, None), &mut never).as_deref(),
            Some("from-ed-nopfx")
        );
    }

    #[test]
    fn stape_20_browser_id_is_minted_only_when_enabled_and_automap_on() {
        let mut mint = || Some(new_browser_id([7; 16]));
        let on = config(json!({}));
        let id = resolve_obref(&on, &ev(json!({})), &req(None, None), &mut mint).unwrap();
        assert_eq!(id.len(), 36);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
        assert_eq!(id.chars().nth(14), Some('4'), "version 4");
        let off = config(json!({"browser_id_cookie": {"enabled": false}}));
        assert_eq!(
            resolve_obref(&off, &ev(json!({})), &req(None, None), &mut mint),
            None
        );
        let no_automap = config(json!({"user_data": {"automap": false}}));
        assert_eq!(
            resolve_obref(
                &no_automap,
                &ev(json!({})),
                &req(Some("__obref=x"), None),
                &mut mint
            ),
            None
        );
    }

    #[test]
    fn browser_id_is_not_minted_when_the_sender_keeps_no_cookies() {
        let mut declined = || None;
        assert_eq!(
            resolve_obref(
                &config(json!({})),
                &ev(json!({})),
                &req(None, None),
                &mut declined
            ),
            None
        );
        // A browser id the sender relays (an MP param) is still read.
        assert_eq!(
            resolve_obref(
                &config(json!({})),
                &ev(json!({"obref": "relayed"})),
                &req(None, None),
                &mut declined
            )
            .as_deref(),
            Some("relayed")
        );
    }

    #[test]
    fn browser_id_override_beats_the_automapped_one() {
        let c = config(json!({"user_data": {"overrides": {"obref": "{{cookie.my_browser}}"}}}));
        let r = req(Some("my_browser=mine"), None);
        assert_eq!(
            browser_id(&c, &ev(json!({})), &r, Some("auto".into())).as_deref(),
            Some("mine")
        );
        assert_eq!(
            browser_id(&c, &ev(json!({})), &req(None, None), Some("auto".into())).as_deref(),
            Some("auto")
        );
    }

    #[test]
    fn browser_id_is_a_uuid_v4() {
        let id = new_browser_id([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    }
}
