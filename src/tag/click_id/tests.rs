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
        fresh_oppref(&c, &ev(all.clone()), &req(cookie, None)).as_deref(),
        Some("from-url")
    );
    let mut e = all.clone();
    e["page_location"] = json!("https://example.com/");
    assert_eq!(
        fresh_oppref(&c, &ev(e.clone()), &req(cookie, None)).as_deref(),
        Some("from-cookie")
    );
    assert_eq!(
        fresh_oppref(&c, &ev(e.clone()), &req(None, None)).as_deref(),
        Some("from-cc")
    );
    e.as_object_mut().unwrap().remove("common_cookie");
    assert_eq!(
        fresh_oppref(&c, &ev(e.clone()), &req(None, None)).as_deref(),
        Some("from-ed")
    );
    e.as_object_mut().unwrap().remove("__oppref");
    assert_eq!(
        fresh_oppref(&c, &ev(e), &req(None, None)).as_deref(),
        Some("from-ed-nopfx")
    );
}

#[test]
fn url_source_is_page_location_then_page_referrer_then_referer_header() {
    let c = config(json!({}));
    let e = ev(json!({"page_referrer": "https://landing.example/?oppref=gAAAA%3D%3D"}));
    assert_eq!(
        fresh_oppref(&c, &e, &req(None, None)).as_deref(),
        Some("gAAAA=="),
        "query-decoded"
    );
    let r = req(None, Some("https://example.com/land?x=1&oppref=hdr"));
    assert_eq!(fresh_oppref(&c, &ev(json!({})), &r).as_deref(), Some("hdr"));
}

#[test]
fn oppref_override_beats_url_and_automap_off_disables_sources() {
    let c = config(json!({"server_event_data": {"overrides": {"oppref": "{{cookie.my_click}}"}}}));
    let e = ev(json!({"page_location": "https://e.com/?oppref=url"}));
    assert_eq!(
        fresh_oppref(&c, &e, &req(Some("my_click=manual"), None)).as_deref(),
        Some("manual")
    );
    assert_eq!(
        fresh_oppref(&c, &e, &req(None, None)).as_deref(),
        Some("url")
    );
    let off = config(json!({"server_event_data": {"automap": false}}));
    assert_eq!(fresh_oppref(&off, &e, &req(Some("__oppref=c"), None)), None);
}

#[test]
fn stape_18_no_oppref_anywhere_is_none_and_absurd_values_are_refused() {
    let c = config(json!({}));
    assert_eq!(
        fresh_oppref(
            &c,
            &ev(json!({"page_location": "https://e.com/"})),
            &req(None, None)
        ),
        None
    );
    let long = format!("https://e.com/?oppref={}", "a".repeat(MAX_REF_CHARS + 1));
    assert_eq!(
        fresh_oppref(&c, &ev(json!({"page_location": long})), &req(None, None)),
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

/// `resolve_oppref` for an event that is the first of its request.
fn fresh_oppref(config: &Config, event: &EventData, request: &RequestFacts) -> Option<String> {
    resolve_oppref(config, event, request, &mut PageUrls::default())
}
