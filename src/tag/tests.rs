//! The Stape tag's acceptance scenarios (the reference tag's own test file) through the whole
//! pipeline. Scenarios about a single rule live beside that rule's module; this file covers the
//! ones that need every step, using Stape's common test setup.

use super::*;
use crate::config::ConfigError;
use crate::payload::Encoder;
use crate::test_support::merge;
use serde_json::{json, Value};

/// Stape's test clock.
const NOW: u64 = 1_747_945_830_456;

/// Stape's common setup: standard `page_viewed`, web, cookies off, server automap on, user and
/// parameter automap off.
fn stape_config(extra: Value) -> Result<Config, ConfigError> {
    let mut v = json!({
        "pixel_id": "test-pixel-id-123",
        "api_key": "test-api-key",
        "event_name": {"setup": "standard", "standard": "page_viewed"},
        "action_source": "web",
        "click_id_cookie": {"enabled": false},
        "browser_id_cookie": {"enabled": false},
        "user_data": {"automap": false},
        "event_parameters": {"automap": false}
    });
    merge(&mut v, extra);
    Config::from_json(v.to_string().as_bytes(), &|_| None)
}

/// Stape's common event data.
fn stape_event(extra: Value) -> EventData<'static> {
    let mut v = json!({"event_id": "123abc", "event_name": "page_view", "page_location": "https://example.com"});
    merge(&mut v, extra);
    v.as_object().cloned().unwrap().into()
}

fn request(cookie: Option<&str>) -> RequestFacts {
    let mut pairs = vec![
        (":path".to_string(), b"/g/collect".to_vec()),
        (":authority".into(), b"example.com".to_vec()),
    ];
    if let Some(c) = cookie {
        pairs.push(("cookie".into(), c.as_bytes().to_vec()));
    }
    RequestFacts::from_headers(&pairs, None).unwrap()
}

fn run_with(config: &Config, event: &EventData, cookie: Option<&str>) -> Outcome {
    let req = request(cookie);
    let mut random = || [0x42; 16];
    let mut scope = RequestScope::new(config, Format::Ga4, &req, NOW, &mut random);
    process(&mut scope, event, 0)
}

fn run(extra_config: Value, extra_event: Value) -> Outcome {
    run_with(
        &stape_config(extra_config).unwrap(),
        &stape_event(extra_event),
        None,
    )
}

/// The event as the API receives it.
fn sent(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Ready { event, .. } => {
            serde_json::from_str(&Encoder::default().encode(*event).unwrap().json).unwrap()
        }
        other => panic!("expected a ready event, got {other:?}"),
    }
}

fn invalid_reason(outcome: Outcome) -> Invalid {
    match outcome {
        Outcome::Invalid { reason, .. } => reason,
        other => panic!("expected an invalid event, got {other:?}"),
    }
}

#[test]
fn stape_base_setup_sends_the_expected_page_viewed() {
    assert_eq!(
        sent(run(json!({}), json!({}))),
        json!({"id": "123abc", "type": "page_viewed", "timestamp_ms": NOW, "action_source": "web",
               "source_url": "https://example.com/", "data": {"type": "contents"}})
    );
}

#[test]
fn stape_04_standard_mode_sends_each_standard_type() {
    for t in [
        "page_viewed",
        "order_created",
        "items_added",
        "checkout_started",
        "contents_viewed",
        "lead_created",
        "registration_completed",
        "appointment_scheduled",
        "subscription_created",
        "trial_started",
    ] {
        let e = sent(run(json!({"event_name": {"standard": t}}), json!({})));
        assert_eq!(e["type"], json!(t));
        assert!(e.get("custom_event_name").is_none());
    }
}

#[test]
fn stape_05_custom_mode_sends_custom_with_its_name() {
    let e = sent(run(
        json!({"event_name": {"setup": "custom", "custom": "my_custom_event"}}),
        json!({}),
    ));
    assert_eq!(
        (e["type"].clone(), e["custom_event_name"].clone()),
        (json!("custom"), json!("my_custom_event"))
    );
    assert_eq!(e["data"], json!({"type": "custom"}));
}

#[test]
fn stape_06_a_custom_name_equal_to_a_standard_type_is_sent_as_that_type() {
    let e = sent(run(
        json!({"event_name": {"setup": "custom", "custom": "order_created"}}),
        json!({}),
    ));
    assert_eq!(e["type"], json!("order_created"));
    assert!(e.get("custom_event_name").is_none());
}

#[test]
fn stape_07_inherit_maps_ga4_names() {
    for (ga4, ours) in [
        ("page_view", "page_viewed"),
        ("view_item", "contents_viewed"),
        ("add_to_cart", "items_added"),
        ("begin_checkout", "checkout_started"),
        ("generate_lead", "lead_created"),
        ("purchase", "order_created"),
        ("sign_up", "registration_completed"),
    ] {
        let e = sent(run(
            json!({"event_name": {"setup": "inherit"}}),
            json!({"event_name": ga4}),
        ));
        assert_eq!(e["type"], json!(ours), "{ga4}");
        assert!(e.get("custom_event_name").is_none());
    }
}

#[test]
fn stape_08_inherit_sends_unknown_names_as_custom() {
    let e = sent(run(
        json!({"event_name": {"setup": "inherit"}}),
        json!({"event_name": "unknown_ga4_event"}),
    ));
    assert_eq!(
        (e["type"].clone(), e["custom_event_name"].clone()),
        (json!("custom"), json!("unknown_ga4_event"))
    );
}

#[test]
fn stape_09_inherit_keeps_a_standard_name() {
    let e = sent(run(
        json!({"event_name": {"setup": "inherit"}}),
        json!({"event_name": "trial_started"}),
    ));
    assert_eq!(e["type"], json!("trial_started"));
}

#[test]
fn inherited_names_that_break_the_custom_rule_are_invalid_not_sent() {
    // Deviation from Stape, which sends any name: the API rejects these, failing the batch.
    let o = run(
        json!({"event_name": {"setup": "inherit"}}),
        json!({"event_name": "gtm.dom"}),
    );
    assert!(matches!(invalid_reason(o), Invalid::EventName(_)));
    let config = stape_config(json!({"event_name": {"setup": "inherit"}})).unwrap();
    let mut unnamed = stape_event(json!({}));
    unnamed.remove("event_name");
    assert_eq!(
        invalid_reason(run_with(&config, &unnamed, None)),
        Invalid::MissingEventName
    );
    let e = sent(run(
        json!({"event_name": {"setup": "inherit"}}),
        json!({"event_name": "Quote_Requested"}),
    ));
    assert_eq!(
        e["custom_event_name"],
        json!("quote_requested"),
        "custom names are lowercased"
    );
}

#[test]
fn stape_10_action_source_and_opt_out() {
    let e = sent(run(
        json!({"server_event_data": {"opt_out": true}}),
        json!({}),
    ));
    assert_eq!(
        (e["action_source"].clone(), e["opt_out"].clone()),
        (json!("web"), json!(true))
    );
    let e = sent(run(
        json!({"action_source": "mobile_app", "server_event_data": {"opt_out": false}}),
        json!({}),
    ));
    assert_eq!(
        (e["action_source"].clone(), e["opt_out"].clone()),
        (json!("mobile_app"), json!(false))
    );
    let e = sent(run(json!({"action_source": "physical_store"}), json!({})));
    assert_eq!(e["action_source"], json!("physical_store"));
    assert!(e.get("opt_out").is_none());
}

#[test]
fn stape_16_and_18_cookie_values_only_when_there_is_an_oppref() {
    // The value travels with the event; whether a cookie is written is the response's decision
    // (click_id_cookie.enabled), tested in collect.
    match run(
        json!({}),
        json!({"page_location": "https://example.com/?oppref=my-click-id"}),
    ) {
        Outcome::Ready { cookies, event } => {
            assert_eq!(cookies.oppref.as_deref(), Some("my-click-id"));
            assert_eq!(event.oppref.as_deref(), Some("my-click-id"));
        }
        other => panic!("{other:?}"),
    }
    match run(json!({}), json!({})) {
        Outcome::Ready { cookies, .. } => assert_eq!(cookies, CookieValues::default()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn stape_20_browser_id_in_user_and_cookie_values() {
    let config = json!({"browser_id_cookie": {"enabled": true}, "user_data": {"automap": true}});
    match run_with(
        &stape_config(config.clone()).unwrap(),
        &stape_event(json!({})),
        Some("__obref=my-browser-id"),
    ) {
        Outcome::Ready { cookies, event } => {
            assert_eq!(cookies.obref.as_deref(), Some("my-browser-id"));
            assert_eq!(event.user.obref.as_deref(), Some("my-browser-id"));
        }
        other => panic!("{other:?}"),
    }
    // No cookie yet: a UUID v4 is minted, sent and written.
    match run_with(
        &stape_config(config).unwrap(),
        &stape_event(json!({})),
        None,
    ) {
        Outcome::Ready { cookies, event } => {
            let minted = cookies.obref.unwrap();
            assert_eq!(minted, "42424242-4242-4242-8242-424242424242");
            assert_eq!(event.user.obref.as_deref(), Some(minted.as_str()));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn one_browser_id_is_minted_per_request_for_all_its_events() {
    let config = stape_config(
        json!({"browser_id_cookie": {"enabled": true}, "user_data": {"automap": true}}),
    )
    .unwrap();
    let req = request(None);
    let mut n = 0u8;
    let mut random = || {
        n += 1;
        [n; 16]
    };
    let mut scope = RequestScope::new(&config, Format::Ga4, &req, NOW, &mut random);
    let ids: Vec<_> = (0..3)
        .map(|i| match process(&mut scope, &stape_event(json!({})), i) {
            Outcome::Ready { cookies, .. } => cookies.obref.unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(ids.iter().all(|id| id == &ids[0]));
}

fn skip_of(o: &Outcome) -> Option<(Skip, &CookieValues)> {
    match o {
        Outcome::Skipped { skip, cookies } => Some((*skip, cookies)),
        _ => None,
    }
}

#[test]
fn consent_and_preview_skips_carry_no_cookie_values() {
    let o = run(
        json!({"consent": {"mode": "required"}}),
        json!({"x-ga-gcs": "G100", "page_location": "https://e.com/?oppref=x"}),
    );
    assert_eq!(
        skip_of(&o),
        Some((Skip::ConsentDenied, &CookieValues::default()))
    );
    let o = run(
        json!({"consent": {"mode": "required"}}),
        json!({"page_location": "https://e.com/?oppref=x"}),
    );
    assert_eq!(
        skip_of(&o),
        Some((Skip::ConsentMissing, &CookieValues::default()))
    );
    let o = run(
        json!({}),
        json!({"page_location": "https://gtm-msr.appspot.com/collect?oppref=x"}),
    );
    assert_eq!(
        skip_of(&o),
        Some((Skip::GtmPreview, &CookieValues::default()))
    );
}

#[test]
fn click_id_is_kept_when_the_trigger_skips_the_hit() {
    // A landing page_view with a click id, under a trigger that only sends purchases.
    let cookies_on = json!({"trigger": {"event_names": ["purchase"]},
                            "click_id_cookie": {"enabled": true}, "user_data": {"automap": true},
                            "browser_id_cookie": {"enabled": true}});
    let landing = json!({"page_location": "https://e.com/?oppref=click-1"});
    let o = run(cookies_on.clone(), landing.clone());
    let (skip, cookies) = skip_of(&o).unwrap();
    assert_eq!(skip, Skip::NotInTrigger);
    assert_eq!(cookies.oppref.as_deref(), Some("click-1"));
    assert_eq!(
        cookies.obref.as_deref().map(str::len),
        Some(36),
        "a browser id is minted"
    );
    // Excluded events (GA4's automatic ones by default) refresh the cookies too.
    let o = run(
        json!({"click_id_cookie": {"enabled": true}}),
        json!({"event_name": "user_engagement", "page_location": "https://e.com/?oppref=c2"}),
    );
    let (skip, cookies) = skip_of(&o).unwrap();
    assert_eq!(skip, Skip::Excluded);
    assert_eq!(cookies.oppref.as_deref(), Some("c2"));
    // Switched off: nothing to write.
    let mut off = cookies_on.clone();
    off["trigger"]["refresh_cookies"] = json!(false);
    assert_eq!(
        skip_of(&run(off, landing.clone())),
        Some((Skip::NotInTrigger, &CookieValues::default()))
    );
    // A skipped hit that fails consent writes nothing, and the trigger's reason is reported.
    let mut required = cookies_on;
    required["consent"] = json!({"mode": "required"});
    let mut denied = landing;
    denied["x-ga-gcs"] = json!("G100");
    assert_eq!(
        skip_of(&run(required, denied)),
        Some((Skip::NotInTrigger, &CookieValues::default()))
    );
}

#[test]
fn a_ready_event_after_one_that_settled_both_cookies_carries_none() {
    let c = stape_config(json!({"click_id_cookie": {"enabled": true},
        "browser_id_cookie": {"enabled": true}, "user_data": {"automap": true}}))
    .unwrap();
    let req = request(None);
    let mut random = || [0x42; 16];
    let mut scope = RequestScope::new(&c, Format::Ga4, &req, NOW, &mut random);
    let landing = json!({"page_location": "https://e.com/?oppref=c1"});
    let first = match process(&mut scope, &stape_event(landing.clone()), 0) {
        Outcome::Ready { cookies, .. } => cookies,
        other => panic!("{other:?}"),
    };
    assert_eq!(first.oppref.as_deref(), Some("c1"));
    assert!(first.obref.is_some());
    match process(&mut scope, &stape_event(landing), 1) {
        Outcome::Ready { cookies, event } => {
            assert_eq!(cookies, CookieValues::default());
            // The event itself still carries both ids.
            assert_eq!(event.oppref.as_deref(), Some("c1"));
            assert_eq!(event.user.obref, first.obref);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_skipped_event_after_one_that_settled_both_cookies_resolves_none() {
    // The first value of each cookie decides a request's response, so later skipped lines of a
    // batch skip the work; until both are known they still contribute.
    let c = stape_config(json!({"trigger": {"exclude_event_names": ["scroll"]},
        "click_id_cookie": {"enabled": true}, "browser_id_cookie": {"enabled": true},
        "user_data": {"automap": true}}))
    .unwrap();
    let req = request(None);
    let mut random = || [0x42; 16];
    let mut scope = RequestScope::new(&c, Format::Ga4, &req, NOW, &mut random);
    let landing = json!({"page_location": "https://e.com/?oppref=c1"});
    let scroll = json!({"event_name": "scroll", "page_location": "https://e.com/?oppref=c1"});
    assert!(matches!(
        process(&mut scope, &stape_event(landing), 0),
        Outcome::Ready { .. }
    ));
    assert_eq!(
        skip_of(&process(&mut scope, &stape_event(scroll.clone()), 1)),
        Some((Skip::Excluded, &CookieValues::default()))
    );
    // Without a click id so far, a skipped line that carries one still provides it.
    let mut random = || [0x42; 16];
    let mut scope = RequestScope::new(&c, Format::Ga4, &req, NOW, &mut random);
    process(&mut scope, &stape_event(json!({})), 0);
    let o = process(&mut scope, &stape_event(scroll), 1);
    assert_eq!(skip_of(&o).unwrap().1.oppref.as_deref(), Some("c1"));
}

#[test]
fn skipped_hit_uses_the_browser_id_override_for_its_cookie() {
    let c = stape_config(json!({"trigger": {"event_names": ["purchase"]},
        "browser_id_cookie": {"enabled": true}, "user_data": {"automap": true,
        "overrides": {"obref": "{{event.my_obref}}"}}}))
    .unwrap();
    let o = run_with(&c, &stape_event(json!({"my_obref": "ob-override"})), None);
    assert_eq!(skip_of(&o).unwrap().1.obref.as_deref(), Some("ob-override"));
}

#[test]
fn measurement_protocol_requests_mint_no_browser_id() {
    let config = stape_config(
        json!({"browser_id_cookie": {"enabled": true}, "user_data": {"automap": true}}),
    )
    .unwrap();
    let req = request(None);
    let mut random = || [0x42; 16];
    let mut mp = RequestScope::new(&config, Format::Mp, &req, NOW, &mut random);
    match process(&mut mp, &stape_event(json!({})), 0) {
        Outcome::Ready { event, cookies } => {
            assert_eq!(event.user.obref, None);
            assert_eq!(cookies.obref, None);
        }
        other => panic!("{other:?}"),
    }
    let app = stape_config(json!({"browser_id_cookie": {"enabled": true},
        "user_data": {"automap": true}, "action_source": "mobile_app"}))
    .unwrap();
    let mut random = || [0x42; 16];
    let mut ga4_app = RequestScope::new(&app, Format::Ga4, &req, NOW, &mut random);
    match process(&mut ga4_app, &stape_event(json!({})), 0) {
        Outcome::Ready { event, .. } => assert_eq!(event.user.obref, None),
        other => panic!("{other:?}"),
    }
}

#[test]
fn opt_out_from_hit_follows_the_hit_through_the_pipeline() {
    let from_hit = json!({"server_event_data": {"opt_out": "from_hit"}});
    let opt_out = |event: Value| match run(from_hit.clone(), event) {
        Outcome::Ready { event, .. } => event.opt_out,
        other => panic!("{other:?}"),
    };
    assert_eq!(opt_out(json!({"x-ga-npa": "1"})), Some(true));
    assert_eq!(opt_out(json!({})), None);
    let fixed = match run(
        json!({"server_event_data": {"opt_out": false}}),
        json!({"x-ga-npa": "1"}),
    ) {
        Outcome::Ready { event, .. } => event.opt_out,
        other => panic!("{other:?}"),
    };
    assert_eq!(fixed, Some(false));
}

#[test]
fn invalid_events_still_refresh_cookies_like_stape() {
    let o = run(
        json!({"server_event_data": {"generate_missing_id": false}}),
        json!({"event_id": null, "page_location": "https://example.com/?oppref=c1"}),
    );
    match o {
        Outcome::Invalid {
            reason, cookies, ..
        } => {
            assert_eq!(reason, Invalid::MissingId);
            assert_eq!(cookies.oppref.as_deref(), Some("c1"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn stape_37_validation_failures_send_nothing() {
    // (a) no pixel id, (b) no action source, (c) an empty source_url literal, (e) custom mode
    // without a name: our configuration refuses these up front, so no event is ever built.
    assert_eq!(
        stape_config(json!({"pixel_id": ""})).unwrap_err().field,
        "pixel_id"
    );
    assert_eq!(
        stape_config(json!({"action_source": ""}))
            .unwrap_err()
            .field,
        "action_source"
    );
    assert_eq!(
        stape_config(json!({"server_event_data": {"overrides": {"source_url": ""}}}))
            .unwrap_err()
            .field,
        "server_event_data.overrides.source_url"
    );
    assert_eq!(
        stape_config(json!({"event_name": {"setup": "custom"}}))
            .unwrap_err()
            .field,
        "event_name.custom"
    );
    // (c) at run time: a source_url reference that resolves to nothing and no page_location.
    let o = run(
        json!({"server_event_data": {"automap": false, "overrides": {"id": "x", "timestamp_ms": NOW, "source_url": "{{event.nope}}"}}}),
        json!({}),
    );
    assert_eq!(invalid_reason(o), Invalid::MissingSourceUrl);
    // (d) server automap off with only id and source_url: no timestamp.
    let o = run(
        json!({"server_event_data": {"automap": false, "overrides": {"id": "manual", "source_url": "https://example.com"}}}),
        json!({}),
    );
    assert_eq!(invalid_reason(o), Invalid::MissingTimestamp);
    // (f) manual contents without content_type.
    let o = run(
        json!({"event_parameters": {"overrides": {"contents": [{"id": "SKU_001", "amount": 10}], "currency": "USD"}}}),
        json!({}),
    );
    assert_eq!(invalid_reason(o), Invalid::ContentTypeMissing { index: 0 });
    // (g) manual amount without currency.
    let o = run(
        json!({"event_parameters": {"overrides": {"amount": 50}}}),
        json!({}),
    );
    assert_eq!(invalid_reason(o), Invalid::CurrencyMissingForAmount);
    // (h) manual contents with an amount and no currency anywhere.
    let o = run(
        json!({"event_parameters": {"overrides": {"contents": [{"id": "SKU_001", "amount": 10, "content_type": "product"}]}}}),
        json!({}),
    );
    assert_eq!(invalid_reason(o), Invalid::ItemCurrencyMissing { index: 0 });
}

#[test]
fn stape_38_an_item_currency_is_enough_for_an_item_amount() {
    let e = sent(run(
        json!({"event_parameters": {"overrides": {"contents": [
        {"id": "SKU_001", "amount": 10, "currency": "USD", "content_type": "product"}]}}}),
        json!({}),
    ));
    assert_eq!(e["data"]["contents"][0]["currency"], json!("USD"));
}

#[test]
fn stape_41_manual_ip_with_user_automap_off() {
    let e = sent(run(
        json!({"user_data": {"overrides": {"ip_address": "1.2.3.4"}}}),
        json!({}),
    ));
    assert_eq!(e["type"], json!("page_viewed"));
    assert_eq!(e["timestamp_ms"], json!(NOW));
    assert_eq!(e["user"], json!({"ip_address": "1.2.3.4"}));
}

#[test]
fn source_url_is_required_and_absolute_for_web_only() {
    let config = stape_config(json!({})).unwrap();
    let mut no_url = stape_event(json!({}));
    no_url.remove("page_location");
    assert_eq!(
        invalid_reason(run_with(&config, &no_url, None)),
        Invalid::MissingSourceUrl
    );
    let o = run(json!({}), json!({"page_location": "/relative/path"}));
    assert_eq!(invalid_reason(o), Invalid::SourceUrlNotAbsolute);
    let offline = stape_config(json!({"action_source": "offline"})).unwrap();
    assert!(matches!(
        run_with(&offline, &no_url, None),
        Outcome::Ready { .. }
    ));
}

#[test]
fn an_event_outside_the_time_window_is_invalid() {
    let o = run(
        json!({}),
        json!({"timestamp_micros": (NOW - 8 * 24 * 3600 * 1000) * 1000}),
    );
    assert!(matches!(
        invalid_reason(o),
        Invalid::TimestampOutOfWindow { .. }
    ));
}

#[test]
fn the_stape_reference_example_maps_to_the_current_schema() {
    // The full example of Stape's tag documentation, adapted to the current API schema: plural
    // user lists, raw geo, external id case kept, amounts in minor units.
    let config = stape_config(json!({
        "pixel_id": "PIXEL123",
        "event_name": {"setup": "inherit"},
        "click_id_cookie": {"enabled": true}, "browser_id_cookie": {"enabled": true},
        "user_data": {"automap": true}, "event_parameters": {"automap": true}
    }))
    .unwrap();
    let event = json!({
        "event_name": "purchase", "event_id": "T-1001",
        "page_location": "https://shop.example.com/checkout/thank-you?oppref=abc123",
        "value": 59.97, "currency": "USD",
        "items": [{"item_id": "SKU_1", "item_name": "Tee", "price": 19.99, "quantity": 2},
                  {"item_id": "SKU_2", "item_name": "Cap", "price": 19.99, "quantity": 1}],
        "user_data": {"email_address": " Jane.Doe@Example.com ",
                      "address": {"city": "Springfield", "postal_code": "12345", "country": "US"}},
        "user_id": "user-42", "ip_override": "203.0.113.7", "user_agent": "Mozilla/5.0 (X11)"
    });
    let o = run_with(
        &config,
        &event.as_object().cloned().unwrap().into(),
        Some("__obref=0b6e1c1e-8a3d-4f9e-9d51-2f1a7c6b9e10"),
    );
    assert_eq!(
        sent(o),
        json!({
            "id": "T-1001", "type": "order_created", "timestamp_ms": NOW, "action_source": "web",
            "source_url": "https://shop.example.com/checkout/thank-you?oppref=abc123",
            "oppref": "abc123",
            "user": {
                "obref": "0b6e1c1e-8a3d-4f9e-9d51-2f1a7c6b9e10",
                "emails_sha256": ["86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d"],
                "external_ids_sha256": ["6d894aa3ee802549d7f340e7c1cf0d1c1cb14cd84f768d92ffaa6785337c4997"],
                "countries": ["US"], "cities": ["Springfield"], "postal_codes": ["12345"],
                "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0 (X11)"
            },
            "data": {
                "type": "contents", "amount": 5997, "currency": "USD",
                "contents": [
                    {"id": "SKU_1", "name": "Tee", "content_type": "product", "quantity": 2, "amount": 1999},
                    {"id": "SKU_2", "name": "Cap", "content_type": "product", "quantity": 1, "amount": 1999}
                ]
            }
        })
    );
}

#[test]
fn app_events_require_mobile_app_inherited_app_event_under_web_is_invalid() {
    let inherit = json!({"event_name": {"setup": "inherit"}});
    for name in ["app_installed", "app_opened"] {
        let o = run(inherit.clone(), json!({"event_name": name}));
        assert_eq!(invalid_reason(o), Invalid::AppEventNeedsMobileApp, "{name}");
        let mut offline = inherit.clone();
        offline["action_source"] = json!("offline");
        let o = run(offline, json!({"event_name": name}));
        assert_eq!(invalid_reason(o), Invalid::AppEventNeedsMobileApp, "{name}");
        let mut app = inherit.clone();
        app["action_source"] = json!("mobile_app");
        let e = sent(run(app, json!({"event_name": name})));
        assert_eq!(e["type"], json!(name));
        assert_eq!(e["action_source"], json!("mobile_app"));
    }
}

#[test]
fn source_url_relative_under_mobile_app_is_left_out_and_the_event_sent() {
    let app = json!({"action_source": "mobile_app", "event_name": {"setup": "inherit"}});
    let e = sent(run(
        app,
        json!({"event_name": "app_opened", "page_location": "/home"}),
    ));
    assert_eq!(e.get("source_url"), None);
    let o = run(
        json!({}),
        json!({"page_location": "https://example.com/a b"}),
    );
    assert_eq!(invalid_reason(o), Invalid::SourceUrlNotAbsolute);
}

#[test]
fn events_from_the_tag_are_written_as_serde_json_writes_them() {
    use crate::config::{Config, Format};
    use crate::ingest::{ingest, Limits};
    use crate::request::RequestFacts;

    let config = Config::from_json(br#"{"pixel_id": "px", "api_key": "k"}"#, &|_| None).unwrap();
    let items: String = (1..=3)
        .map(|i| format!("&pr{i}=idSKU-{i}~nmTee%20%22{i}%22%5C~pr{i}9.99~qt{i}~k0size~v0m"))
        .collect();
    let queries = [
        format!(
            "v=2&cid=1.2&uid=C-1&en=purchase&cu=EUR&ep.transaction_id=T-1&epn.value=29.97\
                 &dl=https%3A%2F%2Fshop.example.com%2Fthanks%3Foppref%3Dclick&_p=1&_s=2\
                 &ep.user_data.email_address=A%40b.co&ep.user_data.phone_number=%2B49301234567\
                 &em=tv.1~fn0.gfj23eiDZfOSh5bseqU_coIGsG-GZPX-HnGjbhNFRqI~ct0.berlin~co0.DE{items}"
        ),
        "v=2&cid=1.2&en=page_view&dl=https%3A%2F%2Fa.example%2F%3Fq%3D%22x%22".to_owned(),
        "v=2&cid=1.2&en=My%20Custom%09Event&dl=http%3A%2F%2Fa.example%2F".to_owned(),
        "v=2&cid=1.2&en=my_custom&dl=http%3A%2F%2Fa.example%2F".to_owned(),
    ];
    let mut written = 0;
    for query in queries {
        let headers = [
            (
                ":path".to_owned(),
                format!("/g/collect?{query}").into_bytes(),
            ),
            ("user-agent".to_owned(), b"Mozilla/5.0 \"quoted\"".to_vec()),
            ("cookie".to_owned(), b"__obref=ob-1".to_vec()),
        ];
        let request = RequestFacts::from_headers(&headers, Some(b"203.0.113.7:1")).unwrap();
        let ingested = ingest(Format::Ga4, &request, b"", &Limits::new(10));
        let mut random = || [7; 16];
        let mut scope = RequestScope::new(
            &config,
            Format::Ga4,
            &request,
            1_800_000_000_000,
            &mut random,
        );
        for (i, event) in ingested.events.iter().enumerate() {
            if let Outcome::Ready { event, .. } = process(&mut scope, event, i) {
                // The hand-written encoder must agree with serde on what the tag builds.
                let reference = serde_json::to_string(&event).unwrap();
                assert_eq!(Encoder::default().encode(*event).unwrap().json, reference);
                written += 1;
            }
        }
    }
    assert_eq!(
        written, 3,
        "the custom name with a space and a tab is invalid"
    );
}
