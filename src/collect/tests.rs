//! One collection request through the core: counts, encoded events, cookies.

use super::*;
use crate::observe::metrics::MemoryMetrics;
use crate::payload::Sha256Hex;
use crate::test_support::{bigquery_inserts_of, config, records_of};
use serde_json::{json, Value};

const NOW: u64 = 1_800_000_000_000;

fn request(path: &str, cookie: Option<&str>, body: &[u8]) -> RequestFacts {
    let method: &[u8] = if body.is_empty() { b"GET" } else { b"POST" };
    let mut pairs = vec![
        (":method".to_string(), method.to_vec()),
        (":path".to_string(), path.as_bytes().to_vec()),
        (
            ":authority".to_string(),
            b"sgtm.shop.example.co.uk".to_vec(),
        ),
        ("user-agent".to_string(), b"UA/1".to_vec()),
    ];
    if let Some(c) = cookie {
        pairs.push(("cookie".into(), c.as_bytes().to_vec()));
    }
    RequestFacts::from_headers(&pairs, Some(b"198.51.100.7:4444")).unwrap()
}

fn run(
    config: &Config,
    path: &str,
    cookie: Option<&str>,
    body: &[u8],
) -> (Collected, MemoryMetrics) {
    let m = MemoryMetrics::default();
    let req = request(path, cookie, body);
    let c = collect(config, Format::Ga4, &req, body, NOW, &mut || [9; 16], &m);
    (c, m)
}

const LANDING: &str = "/g/collect?v=2&cid=1.2&_p=7&en=page_view&dl=https%3A%2F%2Fwww.shop.example.co.uk%2F%3Foppref%3Dclick-1";

#[test]
fn a_page_view_becomes_one_encoded_event_and_two_cookies() {
    let (c, m) = run(&config(json!({})), LANDING, None, b"");
    assert_eq!(c.events.len(), 1);
    let e: Value = serde_json::from_str(&c.events[0].json).unwrap();
    assert_eq!(e["type"], json!("page_viewed"));
    assert_eq!(e["oppref"], json!("click-1"));
    assert_eq!(e["user"]["ip_address"], json!("198.51.100.7"));
    assert_eq!(c.set_cookies.len(), 2);
    assert_eq!(
        c.set_cookies[0],
        "__oppref=click-1; Domain=example.co.uk; Path=/; Max-Age=2592000; Secure; SameSite=Lax"
    );
    assert!(c.set_cookies[1]
        .starts_with("__obref=09090909-0909-4909-8909-090909090909; Domain=example.co.uk;"));
    assert_eq!(m.counter(Counter::CollectRequests), 1);
    assert_eq!(m.counter(Counter::EventsReceived), 1);
}

#[test]
fn stape_16_disabled_cookies_are_not_written() {
    let off = config(
        json!({"click_id_cookie": {"enabled": false}, "browser_id_cookie": {"enabled": false}}),
    );
    let (c, _) = run(&off, LANDING, Some("__obref=b-1"), b"");
    assert!(c.set_cookies.is_empty());
    let e: Value = serde_json::from_str(&c.events[0].json).unwrap();
    assert_eq!(
        e["user"]["obref"],
        json!("b-1"),
        "the value is still sent (Stape 20c)"
    );
}

#[test]
fn existing_cookies_are_refreshed_on_every_hit() {
    let (c, _) = run(
        &config(json!({})),
        "/g/collect?v=2&en=page_view&dl=https%3A%2F%2Fshop.example.co.uk%2F",
        Some("__oppref=old-click; __obref=b-1"),
        b"",
    );
    assert_eq!(c.set_cookies.len(), 2);
    assert!(c.set_cookies[0].starts_with("__oppref=old-click;"));
    assert!(c.set_cookies[1].starts_with("__obref=b-1;"));
}

#[test]
fn a_cookie_value_that_could_inject_attributes_is_not_written_but_the_event_is_sent() {
    let (c, _) = run(&config(json!({})), "/g/collect?v=2&en=page_view&dl=https%3A%2F%2Fshop.example.co.uk%2F%3Foppref%3Dx%253BDomain%253Devil.com", None, b"");
    assert_eq!(c.events.len(), 1);
    assert!(
        c.set_cookies.iter().all(|h| !h.contains("evil")),
        "{:?}",
        c.set_cookies
    );
    assert!(c.set_cookies.iter().all(|h| !h.starts_with("__oppref")));
}

#[test]
fn consent_skips_write_no_cookies_and_are_counted_by_reason() {
    let required = config(json!({"consent": {"mode": "required"}}));
    let (c, m) = run(&required, &format!("{LANDING}&gcs=G100"), None, b"");
    assert!(c.events.is_empty() && c.set_cookies.is_empty());
    assert_eq!(m.counter(Counter::EventsSkippedConsentDenied), 1);
    let (c, m) = run(&required, LANDING, None, b"");
    assert!(c.events.is_empty() && c.set_cookies.is_empty());
    assert_eq!(m.counter(Counter::EventsSkippedConsentMissing), 1);
    assert_eq!(m.family_total("events_skipped"), 1);
}

#[test]
fn trigger_skips_refresh_the_cookies_and_are_counted_by_reason() {
    let trig = config(json!({"trigger": {"exclude_event_names": ["page_view"]}}));
    let (c, m) = run(&trig, LANDING, None, b"");
    assert!(c.events.is_empty());
    assert_eq!(m.counter(Counter::EventsSkippedExcluded), 1);
    assert_eq!(
        c.set_cookies[0],
        "__oppref=click-1; Domain=example.co.uk; Path=/; Max-Age=2592000; Secure; SameSite=Lax"
    );
    assert!(c.set_cookies[1].starts_with("__obref="));
    let only_purchases = config(json!({"trigger": {"event_names": ["purchase"]}}));
    let (_, m) = run(&only_purchases, LANDING, None, b"");
    assert_eq!(m.counter(Counter::EventsSkippedNotInTrigger), 1);
    let off = config(json!({"trigger": {"event_names": ["purchase"], "refresh_cookies": false}}));
    let (c, _) = run(&off, LANDING, None, b"");
    assert!(c.set_cookies.is_empty());
}

#[test]
fn measurement_ids_skip_other_streams_and_count_them() {
    let shop = config(json!({"collect": {"measurement_ids": ["G-SHOP"]}}));
    let (c, m) = run(&shop, &format!("{LANDING}&tid=G-SHOP"), None, b"");
    assert_eq!(c.events.len(), 1);
    let (c, m2) = run(&shop, &format!("{LANDING}&tid=G-OTHER"), None, b"");
    assert!(c.events.is_empty());
    assert_eq!(m.counter(Counter::EventsSkippedMeasurementId), 0);
    assert_eq!(m2.counter(Counter::EventsSkippedMeasurementId), 1);
}

#[test]
fn measurement_protocol_responses_set_no_cookies() {
    let m = MemoryMetrics::default();
    let body = br#"{"client_id": "1.2", "events": [{"name": "generate_lead",
             "params": {"page_location": "https://shop.example.co.uk/?oppref=c1"}}]}"#;
    let req = request("/mp/collect?measurement_id=G-1&api_secret=s", None, body);
    let c = collect(
        &config(json!({})),
        Format::Mp,
        &req,
        body,
        NOW,
        &mut || [9; 16],
        &m,
    );
    assert_eq!(c.events.len(), 1);
    let e: Value = serde_json::from_str(&c.events[0].json).unwrap();
    assert_eq!(e["oppref"], json!("c1"), "the click id is still sent");
    assert_eq!(
        e["user"].get("obref"),
        None,
        "no browser id is minted for a server"
    );
    assert!(c.set_cookies.is_empty());
}

#[test]
fn every_received_event_is_accounted_for() {
    // Six lines: two good, one not k=v, one with a bad escape, an invalid inherited name, and
    // GA4's automatic `scroll`, which the default trigger skips.
    let body = b"en=page_view\nthis is not a hit\nen=bad%zz\nen=gtm.dom\nen=scroll\nen=sign_up";
    let (c, m) = run(
        &config(json!({})),
        "/g/collect?v=2&cid=1.2&dl=https%3A%2F%2Fshop.example.co.uk%2F",
        None,
        body,
    );
    assert_eq!(c.events.len(), 2);
    assert_eq!(m.counter(Counter::EventsReceived), 6);
    assert_eq!(m.counter(Counter::EventsInvalidInput), 2);
    assert_eq!(m.counter(Counter::EventsInvalidEventName), 1);
    assert_eq!(m.family_total("events_invalid"), 3);
    assert_eq!(m.counter(Counter::EventsSkippedExcluded), 1);
    assert_eq!(
        c.summary,
        Summary {
            received: 6,
            sent: 2,
            skipped: 1,
            invalid: 3
        }
    );
    assert_eq!(
        c.summary.to_string(),
        "received=6 sent=2 skipped=1 invalid=3"
    );
}

#[test]
fn app_events_require_mobile_app_the_rest_of_the_request_still_goes_out() {
    let body = b"en=app_opened\nen=page_view\nen=app_installed";
    let (c, m) = run(
        &config(json!({})),
        "/g/collect?v=2&cid=1.2&dl=https%3A%2F%2Fshop.example.co.uk%2F",
        None,
        body,
    );
    assert_eq!(c.events.len(), 1);
    let e: Value = serde_json::from_str(&c.events[0].json).unwrap();
    assert_eq!(e["type"], json!("page_viewed"));
    assert_eq!(m.counter(Counter::EventsInvalidActionSource), 2);
}

#[test]
fn google_phone_hash_is_counted_as_a_skipped_user_field() {
    const HEX: &str = "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3";
    let path = format!("{LANDING}&em=tv.1~em.{HEX}~pn.{HEX}");
    let (c, m) = run(&config(json!({})), &path, None, b"");
    let e: Value = serde_json::from_str(&c.events[0].json).unwrap();
    assert_eq!(e["user"]["emails_sha256"], json!([HEX]));
    assert_eq!(e["user"].get("phone_numbers_sha256"), None);
    assert_eq!(m.counter(Counter::UserFieldsSkippedGooglePhoneHash), 1);
}

#[test]
fn stape_encoded_cookies_are_decoded_sent_and_rewritten_readable_by_both_tags() {
    let (c, _) = run(
        &config(json!({})),
        "/g/collect?v=2&en=page_view&dl=https%3A%2F%2Fshop.example.co.uk%2F",
        Some("__oppref=gAAAAABn_x-Y%3D%3D; __obref=ob%2B1"),
        b"",
    );
    let e: Value = serde_json::from_str(&c.events[0].json).unwrap();
    assert_eq!(e["oppref"], json!("gAAAAABn_x-Y=="));
    assert_eq!(e["user"]["obref"], json!("ob+1"));
    assert!(c.set_cookies[0].starts_with("__oppref=gAAAAABn_x-Y==;"));
    assert!(c.set_cookies[1].starts_with("__obref=ob+1;"));
}

#[test]
fn google_phone_hash_from_measurement_protocol_is_skipped_raw_phone_used() {
    const HEX: &str = "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3";
    let (c, m) = mp_run(&json!({"client_id": "1.2",
        "user_data": {"sha256_phone_number": [HEX], "sha256_email_address": [HEX]},
        "events": [{"name": "sign_up", "params": {"page_location": "https://shop.example.co.uk/"}}]}));
    let e: Value = serde_json::from_str(&c.events[0].json).unwrap();
    assert_eq!(e["user"]["emails_sha256"], json!([HEX]));
    assert_eq!(e["user"].get("phone_numbers_sha256"), None);
    assert_eq!(m.counter(Counter::UserFieldsSkippedGooglePhoneHash), 1);
}

fn mp_run(body: &Value) -> (Collected, MemoryMetrics) {
    let body = body.to_string();
    let req = request("/mp/collect", None, body.as_bytes());
    let m = MemoryMetrics::default();
    let config = config(json!({}));
    let c = collect(
        &config,
        Format::Mp,
        &req,
        body.as_bytes(),
        NOW,
        &mut || [9; 16],
        &m,
    );
    (c, m)
}

fn user_of(c: &Collected) -> Value {
    let e: Value = serde_json::from_str(&c.events[0].json).unwrap();
    e["user"].clone()
}

#[test]
fn mp_raw_email_is_hashed_like_ga4() {
    // The API docs' vectors: " Ada@Example.COM ", "+1 (415) 555-2671", "Mary Jane", "O'Connor".
    let (c, m) = mp_run(&json!({"client_id": "1.2",
        "user_data": {"email_address": [" Ada@Example.COM ", "b@c.de"],
                      "phone_number": "+1 (415) 555-2671",
                      "address": [{"first_name": "Mary Jane", "last_name": "O'Connor"}]},
        "events": [{"name": "sign_up", "params": {"page_location": "https://shop.example.co.uk/"}}]}));
    let mp = user_of(&c);
    assert_eq!(
        mp["emails_sha256"],
        json!([
            "b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72",
            Sha256Hex::digest("b@c.de").as_str()
        ])
    );
    assert_eq!(
        mp["phone_numbers_sha256"],
        json!(["758fbf68945f21c416814c539ab578876c8d98fb69e6da692def92cd52417fe0"])
    );
    assert_eq!(
        mp["first_names_sha256"],
        json!(["f08f448a5e7a9dc3619bb7c129f6a7d5fc6af002cea17ad71dfdc1c68f4d4e0e"])
    );
    assert_eq!(
        mp["last_names_sha256"],
        json!(["7a0fbfdf40cbeb97429bdb88f512cecd27f0d44b7e57986ab578423bb61936ac"])
    );
    assert_eq!(m.family_total("user_fields_skipped"), 0);
    let raw = c.events[0].json.to_lowercase();
    // Hex digests hold 0-9a-f only, so none of these can appear by chance.
    for leaked in ["ada@", "b@c.de", "(415)", "mary", "connor"] {
        assert!(!raw.contains(leaked), "{leaked} left the filter");
    }
    // The same values as GA4 event parameters give the same hashes.
    let ga4 = "/g/collect?v=2&cid=1.2&_p=7&en=sign_up&dl=https%3A%2F%2Fshop.example.co.uk%2F\
         &ep.user_data.email_address=%20Ada%40Example.COM%20\
         &ep.user_data.phone_number=%2B1%20(415)%20555-2671\
         &ep.user_data.address.first_name=Mary%20Jane&ep.user_data.address.last_name=O'Connor";
    let (c, _) = run(&config(json!({})), ga4, None, b"");
    let ga4 = user_of(&c);
    for list in [
        "phone_numbers_sha256",
        "first_names_sha256",
        "last_names_sha256",
    ] {
        assert_eq!(ga4[list], mp[list], "{list}");
    }
    assert_eq!(ga4["emails_sha256"][0], mp["emails_sha256"][0]);
}

#[test]
fn ga4_em_names_and_phone_are_counted_by_reason_email_sent() {
    const HEX: &str = "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3";
    let path = format!("{LANDING}&em=tv.1~em.{HEX}~pn.{HEX}~fn0.{HEX}~ln0.{HEX}~co0.NO");
    let (c, m) = run(&config(json!({})), &path, None, b"");
    let user = user_of(&c);
    assert_eq!(user["emails_sha256"], json!([HEX]));
    assert_eq!(user["countries"], json!(["NO"]));
    for absent in [
        "phone_numbers_sha256",
        "first_names_sha256",
        "last_names_sha256",
    ] {
        assert_eq!(user.get(absent), None, "{absent}");
    }
    assert_eq!(m.counter(Counter::UserFieldsSkippedGooglePhoneHash), 1);
    assert_eq!(m.counter(Counter::UserFieldsSkippedGoogleNameHash), 2);
    assert_eq!(m.family_total("user_fields_skipped"), 3);
}

// Before the fix, every line's event was built before any was tagged, each with its own copy of
// the shared query: 1,000 five-byte lines under an 8 KB page URL kept 1,000 encoded copies of
// that URL. Now the encoded events a request keeps are bounded by its size, the overrun is
// counted, and every event is still accounted for.
#[test]
fn a_request_past_its_work_budget_keeps_what_fits_and_counts_the_overrun() {
    let config = config(json!({"collect": {"max_events_per_request": 1000}}));
    let path = format!(
        "/g/collect?v=2&cid=1.2&dl=https%3A%2F%2Fshop.example.co.uk%2F%3Fq%3D{}",
        "a".repeat(8000)
    );
    let body = b"en=page_view\n".repeat(1000);
    let (c, m) = run(&config, &path, None, &body);
    assert!(!c.events.is_empty());
    assert!(c.events.len() < 100, "{} events kept", c.events.len());
    let kept: usize = c.events.iter().map(|e| e.json.len()).sum();
    assert!(
        kept <= 10 * (path.len() + body.len() + 100),
        "{kept} bytes kept"
    );
    assert_eq!(m.counter(Counter::WorkBudgetExceeded), 1);
    assert_eq!(m.counter(Counter::EventsReceived), 1000);
    assert_eq!(
        m.family_total("events_invalid"),
        1000 - c.events.len() as u64
    );
}

#[test]
fn a_normal_batch_stays_within_its_budget() {
    let config = config(json!({}));
    let body = b"en=page_view&_s=1\nen=sign_up&_s=2&ep.method=email\nen=generate_lead&_s=3";
    let (c, m) = run(&config, LANDING, None, body);
    assert_eq!(c.events.len(), 3);
    assert_eq!(m.counter(Counter::WorkBudgetExceeded), 0);
}

#[test]
fn work_budget_lines_are_rate_limited_with_counts() {
    let first = budget_warning(Resource::KeptBytes, 962, NOW).unwrap();
    assert_eq!(
        first,
        "collection request exceeded its work budget (encoded event bytes kept): 962 of its \
         events or lines dropped; 0 more requests over budget since the last such line"
    );
    assert_eq!(budget_warning(Resource::Params, 5, NOW + 1), None);
    assert_eq!(budget_warning(Resource::Params, 5, NOW + 9_999), None);
    let next = budget_warning(Resource::Params, 5, NOW + 10_000).unwrap();
    assert!(next.contains("(parameters merged): 5 of"), "{next}");
    assert!(next.contains("; 2 more requests over budget"), "{next}");
}

#[test]
fn work_budget_lines_are_rate_limited_per_plugin() {
    // Two plugins sharing the VM: one's warning does not silence the other's.
    console::enter_plugin(41);
    assert!(budget_warning(Resource::Params, 5, NOW).is_some());
    assert_eq!(budget_warning(Resource::Params, 5, NOW + 1), None);
    console::enter_plugin(42);
    assert!(budget_warning(Resource::Params, 5, NOW + 2).is_some());
    console::enter_plugin(41);
    assert_eq!(budget_warning(Resource::Params, 5, NOW + 3), None);
}

#[test]
fn a_trusted_proxy_s_forwarded_host_decides_the_cookie_domain() {
    let m = MemoryMetrics::default();
    let hit = b"/g/collect?v=2&cid=1.2&_p=7&en=page_view".to_vec();
    let req = RequestFacts::from_headers(
        &[
            (":method".to_string(), b"GET".to_vec()),
            (":path".to_string(), hit),
            (":authority".to_string(), b"capi-gw.internal.svc".to_vec()),
            ("x-forwarded-host".to_string(), b"shop.example.com".to_vec()),
        ],
        None,
    )
    .unwrap();
    let domain_with = |trust: bool| {
        let config = config(json!({"cookie": {"trust_forwarded_host": trust}}));
        let c = collect(&config, Format::Ga4, &req, b"", NOW, &mut || [9; 16], &m);
        let obref = c.set_cookies.first().cloned().unwrap_or_default();
        obref
            .split("; ")
            .find_map(|a| a.strip_prefix("Domain="))
            .map(str::to_owned)
    };
    assert_eq!(domain_with(false).as_deref(), Some("internal.svc"));
    assert_eq!(domain_with(true).as_deref(), Some("example.com"));
}

#[test]
fn an_invalid_event_is_stapes_request_was_not_sent_record_with_the_rule_and_our_url() {
    let records = records_of(|| {
        run(
            &config(json!({})),
            "/g/collect?v=2&cid=1.2&_p=7&en=page_view",
            None,
            b"",
        );
    });
    let record = records[0].clone();
    assert_eq!(
        record,
        json!({"Name": "OpenAIEventsAPITag", "Type": "Message", "EventName": "page_viewed",
               "RequestUrl": "http://sgtm.shop.example.co.uk/g/collect",
               "Message": "🛑 [ERROR] Request was not sent.",
               "Reason": "source_url is required when action_source is web"})
    );
}

#[test]
fn the_first_five_invalid_events_get_a_record_each_and_the_rest_one_summary() {
    // No `dl`: a page view is invalid for its missing source_url, `bad name` for its name.
    let body = format!(
        "{}{}{}",
        "en=bad%20name&_et=1\n".repeat(3),
        "en=page_view&_et=1\n".repeat(10),
        "en=other%20bad%20name&_et=1\n".repeat(7)
    );
    let mut outcome = None;
    let records = records_of(|| {
        outcome = Some(run(
            &config(json!({"collect": {"max_events_per_request": 1000}})),
            "/g/collect?v=2&cid=1.2&_p=7",
            None,
            body.as_bytes(),
        ));
    });
    let (c, m) = outcome.unwrap();
    assert_eq!(c.summary.invalid, 20);
    assert_eq!(m.counter(Counter::EventsInvalidEventName), 10);
    assert_eq!(m.counter(Counter::EventsInvalidSourceUrl), 10);
    assert_eq!(records.len(), 6, "{records:#?}");
    let names: Vec<&str> = records[..5]
        .iter()
        .map(|r| r["EventName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "bad name",
            "bad name",
            "bad name",
            "page_viewed",
            "page_viewed"
        ]
    );
    assert!(records[..5]
        .iter()
        .all(|r| r["Message"] == INVALID_EVENT_MESSAGE));
    assert_eq!(
        records[5],
        json!({"Name": "OpenAIEventsAPITag", "Type": "Message",
               "EventName": "page_viewed, other bad name",
               "RequestUrl": "http://sgtm.shop.example.co.uk/g/collect",
               "Message": "🛑 [ERROR] 15 more event(s) not sent: invalid",
               "Reason": "missing_source_url: 8, invalid_event_name: 7"})
    );
}

#[test]
fn a_summary_lists_at_most_ten_event_names_each_cut_to_64_bytes() {
    let long = "x".repeat(500);
    let body: String = (0..30)
        .map(|i| format!("en=bad%20{i}%20{long}&_et=1\n"))
        .collect();
    let records = records_of(|| {
        run(
            &config(json!({"collect": {"max_events_per_request": 1000}})),
            "/g/collect?v=2&cid=1.2&_p=7",
            None,
            body.as_bytes(),
        );
    });
    let summary = records.last().unwrap().clone();
    assert_eq!(
        summary["Message"],
        "🛑 [ERROR] 25 more event(s) not sent: invalid"
    );
    let names = summary["EventName"].as_str().unwrap();
    let listed: Vec<&str> = names.split(", ").collect();
    assert_eq!(listed.len(), 11, "ten names and the mark of the rest");
    assert_eq!(listed[10], "…");
    assert!(listed[0].starts_with("bad 5 xxx") && listed[0].len() <= 64 + '…'.len_utf8());
}

#[test]
fn one_request_of_500_invalid_events_with_an_8_kib_trace_id_costs_six_small_rows() {
    let body: String = (0..500)
        .map(|i| format!("en=not%20a%20valid%20name%20{i:04}&ep.note=padding-pad&_et=1\n"))
        .collect();
    let trace = "t".repeat(8192);
    let request = RequestFacts::from_headers(
        &[
            (":method".into(), b"POST".to_vec()),
            (
                ":path".into(),
                b"/g/collect?v=2&cid=1.2&_p=9&dl=https%3A%2F%2Fshop.example.com%2F".to_vec(),
            ),
            (":authority".into(), b"shop.example.com".to_vec()),
            ("trace-id".into(), trace.into_bytes()),
        ],
        None,
    )
    .unwrap();
    let c = config(serde_json::json!({"collect": {"max_events_per_request": 1000}}));
    let m = MemoryMetrics::default();
    let mut collected = None;
    let inserts = bigquery_inserts_of(NOW, || {
        collected = Some(collect(
            &c,
            Format::Ga4,
            &request,
            body.as_bytes(),
            NOW,
            &mut || [7; 16],
            &m,
        ));
    });
    let collected = collected.unwrap();
    assert_eq!(collected.summary.invalid, 500);
    let rows: usize = inserts.iter().map(|i| i.batch.rows.len()).sum();
    let bytes: usize = inserts.iter().map(|i| i.body.len()).sum();
    eprintln!(
        "one {}-byte request, 500 invalid events, 8 KiB trace id: {rows} rows, {bytes} insert bytes",
        body.len()
    );
    assert_eq!(rows, 6);
    assert!(bytes < 8 * 1024, "{bytes} insert bytes");
}
