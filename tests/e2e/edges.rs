//! The edges of the API contract in real Envoy: GA4's automatic events are not sent by default,
//! app events need `mobile_app`, relative page URLs, currencies that are not ISO 4217, cookies
//! written URI-encoded by Stape's tag, a batch answered 422, and a POST body the route answers
//! before the filter could read it.

use crate::harness::{Env, Options, Shape};
use capi_standin::Faults;
use serde_json::{json, Value};
use std::time::Duration;

const PAGE: &str = "https%3A%2F%2Fshop.example.com%2Fp";

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

#[test]
fn default_trigger_skips_ga4_automatic_events() {
    let env = Env::start(Options::default());
    let body = b"en=page_view\nen=user_engagement&_et=4000\nen=scroll&epn.percent_scrolled=90\n\
                 en=session_start\nen=first_visit\nen=form_submit\nen=generate_lead";
    let r = env.post(&format!("/g/collect?v=2&cid=1.2&_p=5&dl={PAGE}"), &[], body);
    assert_eq!(r.status, 204);
    assert_eq!(
        types(&env.events_of_calls(1)),
        ["page_viewed", "lead_created"]
    );
    assert_eq!(env.stat("events_skipped_excluded"), 5);
    assert_eq!(env.stat("events_received"), 7);
}

#[test]
fn default_trigger_empty_exclude_list_restores_every_event() {
    let env = Env::start(Options {
        filter: json!({"trigger": {"exclude_event_names": []}}),
        ..Options::default()
    });
    let r = env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=5&en=user_engagement&dl={PAGE}"),
        &[],
    );
    assert_eq!(r.status, 204);
    let events = env.events_of_calls(1);
    assert_eq!(types(&events), ["custom"]);
    assert_eq!(events[0]["custom_event_name"], json!("user_engagement"));
    assert_eq!(env.stat("events_skipped"), 0);
}

#[test]
fn app_events_under_web_are_invalid_and_the_rest_of_the_request_goes_out() {
    let env = Env::start(Options::default());
    let body = b"en=app_opened\nen=page_view\nen=app_installed";
    let r = env.post(&format!("/g/collect?v=2&cid=1.2&_p=6&dl={PAGE}"), &[], body);
    assert_eq!(r.status, 204);
    assert_eq!(types(&env.events_of_calls(1)), ["page_viewed"]);
    assert_eq!(env.stat("events_invalid"), 2);
    assert_eq!(env.stat("events_sent"), 1);
}

#[test]
fn app_events_with_mobile_app_are_sent_and_a_relative_source_url_is_left_out() {
    let env = Env::start(Options {
        filter: json!({"action_source": "mobile_app"}),
        ..Options::default()
    });
    let r = env.get(
        "/g/collect?v=2&cid=1.2&_p=7&en=app_installed&dl=%2Fonboarding%2Fdone",
        &[],
    );
    assert_eq!(r.status, 204);
    let events = env.events_of_calls(1);
    assert_eq!(types(&events), ["app_installed"]);
    assert_eq!(events[0]["action_source"], json!("mobile_app"));
    assert_eq!(events[0].get("source_url"), None, "{}", events[0]);
    assert_eq!(env.stat("events_invalid"), 0);
}

#[test]
fn a_fixed_app_event_type_under_web_makes_envoy_refuse_the_config() {
    let log = Env::start_refused(Options {
        filter: json!({"pixel_id": "p", "api_key": "k",
                       "event_name": {"setup": "standard", "standard": "app_opened"}}),
        ..Options::default()
    });
    assert!(
        log.contains("invalid configuration: event_name.standard: app_opened events need action_source \"mobile_app\""),
        "{log}"
    );
}

#[test]
fn relative_source_url_under_web_is_invalid_not_sent() {
    let env = Env::start(Options::default());
    let body = b"en=page_view&dl=%2Fcart\nen=page_view&dl=https%3A%2F%2FShop.Example.com";
    let r = env.post("/g/collect?v=2&cid=1.2&_p=8", &[], body);
    assert_eq!(r.status, 204);
    let events = env.events_of_calls(1);
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0]["source_url"],
        json!("https://shop.example.com/"),
        "sent in its parsed, serialised form"
    );
    assert_eq!(env.stat("events_invalid"), 1);
    assert!(
        env.log()
            .contains("source_url must be an absolute http(s) URL"),
        "the reason is logged"
    );
}

#[test]
fn non_iso_currency_drops_the_amounts_and_the_event_is_sent() {
    let env = Env::start(Options::default());
    let r = env.get(
        &format!(
            "/g/collect?v=2&cid=1.2&_p=9&en=purchase&cu=BTC&ep.transaction_id=T-9&epn.value=0.5\
             &pr1=idSKU_1~nmCoin~pr0.5~qt1&dl={PAGE}"
        ),
        &[],
    );
    assert_eq!(r.status, 204);
    let events = env.events_of_calls(1);
    assert_eq!(types(&events), ["order_created"]);
    let data = &events[0]["data"];
    assert_eq!(data.get("currency"), None, "{data}");
    assert_eq!(data.get("amount"), None, "{data}");
    assert_eq!(data["contents"][0]["id"], json!("SKU_1"));
    assert_eq!(data["contents"][0].get("amount"), None);
    // A lowercase ISO code is uppercased and keeps its amount.
    let r = env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=10&en=purchase&cu=eur&ep.transaction_id=T-10&epn.value=19.99&dl={PAGE}"),
        &[],
    );
    assert_eq!(r.status, 204);
    let calls = env.api.wait_for_requests(2, Duration::from_secs(5));
    assert_eq!(calls[1].answered_status, 200, "{:?}", calls[1].violations);
    let data = &calls[1].events()[0]["data"];
    assert_eq!(
        (&data["currency"], &data["amount"]),
        (&json!("EUR"), &json!(1999))
    );
}

#[test]
fn non_iso_currency_override_makes_envoy_refuse_the_config() {
    let log = Env::start_refused(Options {
        filter: json!({"pixel_id": "p", "api_key": "k",
                       "event_parameters": {"overrides": {"currency": "EURO"}}}),
        ..Options::default()
    });
    assert!(
        log.contains("invalid configuration: event_parameters.overrides.currency:"),
        "{log}"
    );
}

#[test]
fn stape_encoded_cookies_are_decoded_and_rewritten_readable_by_both_tags() {
    let env = Env::start(Options::default());
    let r = env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=11&en=page_view&dl={PAGE}"),
        &[
            ("Host", "shop.example.com"),
            ("Cookie", "__oppref=gAAAAABn_x-Y%3D%3D; __obref=ob%2B1"),
        ],
    );
    assert_eq!(r.status, 204);
    let events = env.events_of_calls(1);
    assert_eq!(events[0]["oppref"], json!("gAAAAABn_x-Y=="));
    assert_eq!(events[0]["user"]["obref"], json!("ob+1"));
    let oppref = r.cookie("__oppref").expect("click id cookie re-written");
    assert!(oppref.starts_with("__oppref=gAAAAABn_x-Y==;"), "{oppref}");
    let obref = r.cookie("__obref").expect("browser id cookie re-written");
    assert!(obref.starts_with("__obref=ob+1;"), "{obref}");
}

#[test]
fn a_422_on_a_batch_is_split_and_the_other_events_delivered() {
    let env = Env::start(Options {
        filter: json!({"optimistic": true, "api": {"batch": {"max_events": 100, "max_delay_ms": 300}}}),
        ..Options::default()
    });
    env.api.set_faults(Faults {
        reject_event_id: Some("ev-3".into()),
        reject_status: Some(422),
        ..Faults::default()
    });
    for i in 0..6 {
        let hit = format!(
            "/g/collect?v=2&cid=1.2&_p=12&_s={i}&en=page_view&ep.event_id=ev-{i}&dl={PAGE}{i}"
        );
        assert_eq!(env.get(&hit, &[]).status, 204);
    }
    assert_eq!(env.wait_stat("events_sent", 5, Duration::from_secs(5)), 5);
    assert_eq!(
        env.wait_stat("events_failed", 1, Duration::from_secs(10)),
        1
    );
    let calls = env.api.requests();
    assert!(calls.iter().any(|c| c.answered_status == 422));
    let delivered: Vec<String> = calls
        .iter()
        .filter(|c| c.answered_status == 200)
        .flat_map(|c| c.events())
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(delivered.len(), 5, "{delivered:?}");
    assert!(!delivered.contains(&"ev-3".to_owned()));
}

#[test]
fn an_unread_post_body_is_counted_and_warned_about() {
    // direct_response, and neither Envoy nor the filter holds the headers: Envoy answers before
    // the body arrives.
    let env = Env::start(Options {
        allow_on_headers_stop_iteration: false,
        shape: Shape::DirectResponse,
        ..Options::default()
    });
    for _ in 0..2 {
        let r = env.post(
            &format!("/g/collect?v=2&cid=1.2&_p=13&dl={PAGE}"),
            &[],
            b"en=page_view\nen=generate_lead",
        );
        assert_eq!(r.status, 204);
    }
    assert_eq!(
        env.wait_stat("bodies_unread", 2, Duration::from_secs(10)),
        2
    );
    assert_eq!(env.api.requests().len(), 0, "nothing could be sent");
    let log = env.log();
    let warnings = log
        .lines()
        .filter(|l| l.contains("response started before its body was read"))
        .count();
    assert_eq!(warnings, 1, "once a minute, not per request:\n{log}");
    assert!(
        log.contains("set allow_on_headers_stop_iteration: true in both"),
        "the log says what to change"
    );
    env.assert_no_crash();
}

#[test]
fn a_401_is_final_and_logged_once_a_minute_at_error_with_the_fix() {
    let env = Env::start(Options::default());
    env.api.set_faults(Faults {
        status: Some(401),
        ..Faults::default()
    });
    for i in 0..3 {
        let hit = format!("/g/collect?v=2&cid=1.2&_p=14&_s={i}&en=page_view&dl={PAGE}");
        assert_eq!(env.get(&hit, &[]).status, 204);
    }
    assert_eq!(env.wait_stat("events_failed", 3, Duration::from_secs(5)), 3);
    assert_eq!(env.api.requests().len(), 3, "final: not retried");
    let log = env.log();
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("[error]") && l.contains("API answered 401"))
        .collect();
    assert_eq!(errors.len(), 1, "once a minute:\n{log}");
    assert!(errors[0].contains("check api_key"), "{}", errors[0]);
    assert!(
        !log.contains(crate::harness::API_KEY),
        "the key never appears"
    );
}

#[test]
fn data_tag_base64_hashes_are_sent_as_hex_and_google_phone_hashes_skipped() {
    let env = Env::start(Options::default());
    // SHA-256 of "a@b.co": standard base64 as Stape's Data Tag writes it, and as hex.
    const B64: &str = "gDBcm7G7JIDgOJQ1DgqKNm3L3rMC5p4IF6oHQ6vXcFQ=";
    const EMAIL_HEX: &str = "80305c9bb1bb2480e03894350e0a8a366dcbdeb302e69e0817aa0743abd77054";
    let body = json!({"event_name": "generate_lead", "page_location": "https://shop.example.com/",
                      "user_data": {"sha256_email_address": B64}});
    let r = env.post(
        "/data",
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 204);
    let events = env.events_of_calls(1);
    assert_eq!(events[0]["user"]["emails_sha256"], json!([EMAIL_HEX]));
    // GA4 `em` with a Google phone hash: the email hash goes out, the phone hash does not.
    const HEX: &str = "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3";
    let r = env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=15&en=page_view&dl={PAGE}&em=tv.1~em.{HEX}~pn.{HEX}"),
        &[],
    );
    assert_eq!(r.status, 204);
    let calls = env.api.wait_for_requests(2, Duration::from_secs(5));
    assert_eq!(calls[1].answered_status, 200, "{:?}", calls[1].violations);
    let user = &calls[1].events()[0]["user"];
    assert_eq!(user["emails_sha256"], json!([HEX]));
    assert_eq!(user.get("phone_numbers_sha256"), None, "{user}");
    assert_eq!(env.stat("user_fields_skipped_google_phone_hash"), 1);
    assert_eq!(env.stat("user_fields_skipped"), 1, "no other reason");
}
