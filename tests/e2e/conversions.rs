//! Every conversion counted once and right, through real Envoy against the strict stand-in,
//! which also plays the API's dedup ("first event wins" on pixel + event name + id): fallback
//! ids that keep distinct events apart, blank ids, click ids kept on skipped hits, Measurement
//! Protocol consent, GA4 stream selection, browser ids only for browsers, opt-out from the hit,
//! and the page URL without credentials.

use crate::harness::{Env, Options};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
const PAGE: &str = "https%3A%2F%2Fshop.example.com%2Fcart";

/// Sends `n` collection requests one after the other and returns the events they produced
/// (held mode: each request waits for its API call, so each is one call).
fn each_sent(env: &Env, n: usize, send: impl Fn(&Env)) -> Vec<Value> {
    for _ in 0..n {
        send(env);
    }
    env.events_of_calls(n)
}

fn ids(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["id"].as_str().unwrap()).collect()
}

const MP_LEAD: &[u8] = br#"{"client_id": "555.666", "events": [{"name": "generate_lead",
    "params": {"page_location": "https://shop.example.com/contact"}}]}"#;

#[test]
fn repeated_conversions_without_an_event_id_are_not_dropped_as_duplicates() {
    let env = Env::start(Options::default());
    // The same Measurement Protocol lead from one client, twice (no timestamp_micros).
    let mp = each_sent(&env, 2, |env| {
        assert_eq!(
            env.post("/mp/collect?measurement_id=G-1&api_secret=s", &[], MP_LEAD)
                .status,
            204
        );
    });
    // The same Data-Client add_to_cart from one browser, twice.
    env.api.clear();
    let data =
        each_sent(&env, 2, |env| {
            let r = env.post(
            "/data",
            &[("Content-Type", "text/plain"), ("Cookie", "_dcid=dcid.1.1.2")],
            br#"{"event_name": "add_to_cart", "page_location": "https://shop.example.com/p/1"}"#,
        );
            assert_eq!(r.status, 204);
        });
    // The same GA4 hit without a page-load id (`_p`), twice.
    env.api.clear();
    let ga4 = each_sent(&env, 2, |env| {
        let hit = format!("/g/collect?v=2&cid=1.2&sid=1700000000&_s=1&en=add_to_cart&dl={PAGE}");
        assert_eq!(env.get(&hit, &[]).status, 204);
    });
    for (format, events) in [("mp", &mp), ("data", &data), ("ga4", &ga4)] {
        let ids = ids(events);
        assert_ne!(
            ids[0], ids[1],
            "{format}: two real conversions need two ids"
        );
    }
    assert_eq!(env.api.duplicates(), 0, "the API counted every conversion");
    assert_eq!(env.stat("events_sent"), 6);
}

#[test]
fn a_replayed_hit_keeps_its_id_and_the_api_drops_the_copy() {
    let env = Env::start(Options::default());
    let hit = format!("/g/collect?v=2&cid=1.2&_p=1700000000123&_s=4&en=generate_lead&dl={PAGE}");
    let ga4 = each_sent(&env, 2, |env| {
        env.get(&hit, &[]);
    });
    let mp_replay = br#"{"client_id": "555.666", "timestamp_micros": 1700000000000000,
        "events": [{"name": "generate_lead", "params": {"page_location": "https://shop.example.com/contact"}}]}"#;
    // A timestamp this old is outside the API's window: send it as now.
    let now_micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros();
    let body =
        String::from_utf8_lossy(mp_replay).replace("1700000000000000", &now_micros.to_string());
    env.api.clear();
    let mp = each_sent(&env, 2, |env| {
        env.post(
            "/mp/collect?measurement_id=G-1&api_secret=s",
            &[],
            body.as_bytes(),
        );
    });
    assert_eq!(ids(&ga4)[0], ids(&ga4)[1], "GA4: same _p and _s");
    assert_eq!(
        ids(&mp)[0],
        ids(&mp)[1],
        "MP: same client and timestamp_micros"
    );
    assert_eq!(
        env.api.duplicates(),
        1,
        "the MP copy (the GA4 one was cleared) is dropped"
    );
}

#[test]
fn a_blank_event_id_falls_through_to_the_next_source() {
    let env = Env::start(Options::default());
    let r = env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=9&_s=1&en=generate_lead&ep.event_id=%20&ep.eventId=E-9&dl={PAGE}"),
        &[],
    );
    assert_eq!(r.status, 204);
    let blank_only =
        format!("/g/collect?v=2&cid=1.2&_p=9&_s=2&en=generate_lead&ep.event_id=%20&dl={PAGE}");
    env.get(&blank_only, &[]);
    let events = env.events_of_calls(2);
    assert_eq!(events[0]["id"], json!("E-9"));
    assert_eq!(
        events[1]["id"].as_str().unwrap().len(),
        32,
        "the fallback id"
    );
    assert_eq!(env.stat("events_invalid"), 0);
}

#[test]
fn a_landing_hit_skipped_by_the_trigger_keeps_its_click_id_for_the_purchase() {
    let env = Env::start(Options {
        filter: json!({"trigger": {"event_names": ["purchase"]}}),
        ..Options::default()
    });
    let landing = env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=1&_s=1&en=page_view&dl={PAGE}%3Foppref%3Dclick-77"),
        &[("Host", "shop.example.com")],
    );
    assert_eq!(landing.status, 204);
    let oppref = landing.cookie("__oppref").expect("the click id is stored");
    assert!(
        oppref.starts_with("__oppref=click-77; Domain=example.com;"),
        "{oppref}"
    );
    let obref = landing.cookie("__obref").expect("the browser id is stored");
    let browser_id = obref
        .strip_prefix("__obref=")
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    assert_eq!(env.wait_stat("events_skipped_not_in_trigger", 1, WAIT), 1);
    // The purchase, on the next page, carries only the cookies.
    let cookie = format!("__oppref=click-77; __obref={browser_id}");
    env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=2&_s=1&en=purchase&ep.transaction_id=T-1&dl={PAGE}"),
        &[("Host", "shop.example.com"), ("Cookie", &cookie)],
    );
    let events = env.events_of_calls(1);
    assert_eq!(events.len(), 1, "only the purchase is sent");
    assert_eq!(events[0]["type"], json!("order_created"));
    assert_eq!(events[0]["oppref"], json!("click-77"));
    assert_eq!(events[0]["user"]["obref"], json!(browser_id));
}

#[test]
fn measurement_protocol_consent_decides_under_required_mode_and_every_skip_says_why() {
    let env = Env::start(Options {
        filter: json!({"consent": {"mode": "required"}}),
        ..Options::default()
    });
    let mp = |consent: &str| {
        format!(
            r#"{{"client_id": "1.2", {consent} "events": [{{"name": "generate_lead",
               "params": {{"page_location": "https://shop.example.com/contact"}}}}]}}"#
        )
    };
    let path = "/mp/collect?measurement_id=G-1&api_secret=s";
    env.post(
        path,
        &[],
        mp(r#""consent": {"ad_user_data": "GRANTED"},"#).as_bytes(),
    );
    env.post(
        path,
        &[],
        mp(r#""consent": {"ad_user_data": "DENIED"},"#).as_bytes(),
    );
    env.post(path, &[], mp("").as_bytes());
    // The README's make-run GA4 curl, without a consent signal.
    env.get(
        &format!("/g/collect?v=2&tid=G-DEMO&cid=555.666&en=page_view&dl={PAGE}"),
        &[],
    );
    let sent = env.events_of_calls(1);
    assert_eq!(sent.len(), 1, "only the MP event with ad_user_data granted");
    assert_eq!(sent[0]["type"], json!("lead_created"));
    assert_eq!(env.wait_stat("events_skipped_consent_missing", 2, WAIT), 2);
    assert_eq!(env.stat("events_skipped_consent_denied"), 1);
    // The skip explains itself at debug level, in the words docs/configuration.md quotes.
    let doc =
        std::fs::read_to_string(crate::harness::root().join("docs/configuration.md")).unwrap();
    let quoted = doc
        .lines()
        .find(|l| l.starts_with("event page_view skipped (consent_missing)"))
        .expect("docs/configuration.md quotes the consent skip line");
    let log = env.log();
    assert!(log.contains(quoted), "{quoted}\nnot in the log:\n{log}");
    assert!(
        log.contains("event generate_lead skipped (consent_denied)"),
        "{log}"
    );
}

#[test]
fn only_the_listed_ga4_stream_counts_a_conversion() {
    let env = Env::start(Options {
        filter: json!({"collect": {"measurement_ids": ["G-SHOP"]}}),
        ..Options::default()
    });
    // gtag with two GA4 tags sends the purchase once per stream.
    for tid in ["G-SHOP", "G-AGENCY"] {
        env.get(
            &format!("/g/collect?v=2&tid={tid}&cid=1.2&_p=5&_s=7&en=purchase&ep.transaction_id=T-2&cu=EUR&epn.value=10&dl={PAGE}"),
            &[],
        );
    }
    let events = env.events_of_calls(1);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["id"], json!("T-2"));
    assert_eq!(env.wait_stat("events_skipped_measurement_id", 1, WAIT), 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        env.api.requests().len(),
        1,
        "the second stream sent nothing"
    );
}

#[test]
fn a_measurement_protocol_response_gets_no_cookies_and_no_minted_browser_id() {
    let env = Env::start(Options::default());
    let r = env.post(
        "/mp/collect?measurement_id=G-1&api_secret=s",
        &[],
        br#"{"client_id": "1.2", "events": [{"name": "generate_lead",
            "params": {"page_location": "https://shop.example.com/?oppref=c-1"}}]}"#,
    );
    assert_eq!(r.status, 204);
    assert!(r.set_cookies().is_empty(), "{:?}", r.set_cookies());
    let events = env.events_of_calls(1);
    assert_eq!(events[0]["oppref"], json!("c-1"));
    assert_eq!(events[0]["user"].get("obref"), None, "{}", events[0]);
}

#[test]
fn opt_out_follows_the_hit_when_configured_so() {
    let env = Env::start(Options {
        filter: json!({"server_event_data": {"opt_out": "from_hit"}}),
        ..Options::default()
    });
    env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=3&_s=1&en=page_view&npa=1&dl={PAGE}"),
        &[],
    );
    env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=3&_s=2&en=page_view&dl={PAGE}"),
        &[],
    );
    env.post(
        "/mp/collect?measurement_id=G-1&api_secret=s",
        &[],
        br#"{"client_id": "1.2", "non_personalized_ads": true, "events": [{"name": "generate_lead",
            "params": {"page_location": "https://shop.example.com/contact"}}]}"#,
    );
    let events = env.events_of_calls(3);
    assert_eq!(events[0]["opt_out"], json!(true), "npa=1");
    assert_eq!(events[1].get("opt_out"), None, "no signal: not sent");
    assert_eq!(events[2]["opt_out"], json!(true), "non_personalized_ads");
}

#[test]
fn the_page_url_leaves_without_credentials_or_fragment() {
    let env = Env::start(Options::default());
    let dl = "https%3A%2F%2Fadmin%3Asecret%40shop.example.com%2Fcheckout%3Fstep%3D2%23payment";
    env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=4&_s=1&en=page_view&dl={dl}"),
        &[],
    );
    let events = env.events_of_calls(1);
    assert_eq!(
        events[0]["source_url"],
        json!("https://shop.example.com/checkout?step=2")
    );
}

#[test]
fn a_data_layer_order_uses_its_ecommerce_transaction_id() {
    let env = Env::start(Options::default());
    env.post(
        "/data",
        &[("Content-Type", "text/plain")],
        br#"{"event_name": "purchase", "page_location": "https://shop.example.com/thanks",
             "ecommerce": {"transaction_id": "T-900", "items": [{"item_id": "A", "price": 5, "quantity": 1}]}}"#,
    );
    let events = env.events_of_calls(1);
    assert_eq!(events[0]["type"], json!("order_created"));
    assert_eq!(events[0]["id"], json!("T-900"));
}
