//! GA4 parameter families, batching, and every malformed-input class.

use crate::config::Format;
use crate::ingest::tests::{facts, run};
use crate::ingest::{ingest, Limits};
use serde_json::{json, Value};

fn one(query: &str) -> Value {
    let out = run(Format::Ga4, "GET", &format!("/g/collect?{query}"), b"");
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert_eq!(out.events.len(), 1);
    Value::from(out.events.into_iter().next().unwrap())
}

#[test]
fn request_and_hit_keys() {
    let got = one(
        "v=2&tid=G-ABC&gtm=45je5580h2&cid=1.2&uid=u-9&dl=https%3A%2F%2Fa.b%2Fp%3Fq%3D1&dr=https%3A%2F%2Fref.c%2F\
         &dt=Title+%C3%A9&ul=en-us&sr=1745x982&cu=EUR&en=page_view&sid=1746817858&sct=3&_et=120",
    );
    assert_eq!(
        got,
        json!({
            "x-ga-protocol_version": "2", "x-ga-measurement_id": "G-ABC",
            "x-ga-gtm_version": "45je5580h2", "client_id": "1.2", "user_id": "u-9",
            "page_location": "https://a.b/p?q=1", "page_referrer": "https://ref.c/",
            "page_title": "Title é", "language": "en-us", "screen_resolution": "1745x982",
            "currency": "EUR", "event_name": "page_view", "ga_session_id": "1746817858",
            "ga_session_number": 3, "engagement_time_msec": 120,
            "ip_override": "198.51.100.7", "user_agent": "Mozilla/5.0 test"
        })
    );
}

#[test]
fn empty_referrer_is_omitted() {
    let got = one("en=x&dr=");
    assert_eq!(got.get("page_referrer"), None);
}

#[test]
fn event_params_and_user_properties_are_typed() {
    let got = one(
        "en=purchase&ep.transaction_id=T-1&ep.value=10&epn.tax=3.6&epn.shipping=5&epn.bad=abc\
         &up.plan=pro&upn.age=42&upn.score=x",
    );
    assert_eq!(got["transaction_id"], json!("T-1"));
    assert_eq!(
        got["value"],
        json!("10"),
        "ep.* stays text even when numeric"
    );
    assert_eq!(got["tax"], json!(3.6));
    assert_eq!(got["shipping"], json!(5));
    assert_eq!(got["bad"], json!("abc"));
    assert_eq!(
        got["x-ga-mp2-user_properties"],
        json!({"plan": "pro", "age": 42, "score": "x"})
    );
    let out = run(Format::Ga4, "GET", "/g/collect?en=x&epn.bad=abc", b"");
    assert_eq!(
        out.notes,
        vec!["query: parameter `epn.bad` is not a number; kept as text"]
    );
}

#[test]
fn dotted_event_params_become_nested_objects() {
    let got = one(
        "en=purchase&ep.user_data.email_address=a%40b.c&ep.user_data.address.city=Oslo\
         &ep.user_data.address.0.city=Bergen&ep.value=5&ep.value.deep=1",
    );
    assert_eq!(
        got["user_data"],
        json!({"email_address": "a@b.c", "address": {"city": "Oslo", "0": {"city": "Bergen"}}})
    );
    assert_eq!(got["value"], json!("5"));
    let got = one("en=x&ep.user_data.address.0.first_name=Jo&ep.user_data.address.0.city=Oslo");
    assert_eq!(
        got["user_data"],
        json!({"address": [{"first_name": "Jo", "city": "Oslo"}]})
    );
}

#[test]
fn an_undotted_event_param_follows_the_path_rules_of_a_dotted_one() {
    // A one-segment name keeps the index cap a dotted path has, so `ep.9999` is not a key
    // that `ep.9999.x` could never have written.
    let limits = Limits::new(50);
    let out = run(
        Format::Ga4,
        "GET",
        "/g/collect?en=x&ep.9999=a&ep.7=b&ep.plain=c",
        b"",
    );
    let event = Value::from(out.events.into_iter().next().unwrap());
    assert_eq!(event.get("9999"), None);
    assert_eq!(event["7"], json!("b"));
    assert_eq!(event["plain"], json!("c"));
    assert_eq!(
        out.notes,
        vec![format!(
            "query: parameter `ep.9999` ignored: array index above {}",
            limits.max_items
        )]
    );
}

#[test]
fn named_parameters_win_over_event_params_of_the_same_key() {
    let got = one("en=x&ep.currency=USD&cu=EUR&ep.event_name=other");
    assert_eq!(got["currency"], json!("EUR"));
    assert_eq!(got["event_name"], json!("x"));
}

#[test]
fn items_with_every_code_and_custom_pairs_in_index_order() {
    let got = one(
        "en=view_item&pr2=idB~nmSecond&pr1=idA~nmFirst~brBr~caC1~c2C2~c3C3~c4C4~c5C5~vaV~pr10.5~qt2\
         ~cpCP~ds1~lp0~liL~lnLN~loLO~afAF~piPI~pnPN~cnCN~csCS~k0color~v0red~zz9&pr10=idJ",
    );
    assert_eq!(
        got["items"],
        json!([
            {"item_id": "A", "item_name": "First", "item_brand": "Br", "item_category": "C1",
             "item_category2": "C2", "item_category3": "C3", "item_category4": "C4",
             "item_category5": "C5", "item_variant": "V", "price": 10.5, "quantity": 2,
             "coupon": "CP", "discount": 1, "index": 0, "item_list_id": "L",
             "item_list_name": "LN", "location_id": "LO", "affiliation": "AF",
             "promotion_id": "PI", "promotion_name": "PN", "creative_name": "CN",
             "creative_slot": "CS", "color": "red", "zz": "9"},
            {"item_id": "B", "item_name": "Second"},
            {"item_id": "J"}
        ])
    );
}

#[test]
fn items_beyond_the_cap_are_cut_with_a_note() {
    let query: String = (1..=205).map(|i| format!("&pr{i}=id{i}")).collect();
    let out = run(Format::Ga4, "GET", &format!("/g/collect?en=x{query}"), b"");
    let items = out.events[0]["items"].as_array().unwrap();
    assert_eq!(items.len(), 200);
    assert_eq!(items[199], json!({"item_id": "200"}));
    assert_eq!(
        out.notes,
        vec!["query: 5 items beyond the limit of 200 dropped"]
    );
}

#[test]
fn consent_and_privacy_keys() {
    let got =
        one("en=x&gcs=G111&gcd=13r3r3r2r5l1&gcu=1&dma=1&dma_cps=syphamo&npa=0&pscdl=noapi&ur=DE");
    for (key, value) in [
        ("x-ga-gcs", "G111"),
        ("x-ga-gcd", "13r3r3r2r5l1"),
        ("x-ga-gcu", "1"),
        ("x-ga-dma", "1"),
        ("x-ga-dma_cps", "syphamo"),
        ("x-ga-npa", "0"),
        ("x-ga-pscdl", "noapi"),
        ("x-ga-ur", "DE"),
    ] {
        assert_eq!(got[key], json!(value), "{key}");
    }
}

#[test]
fn ga_internals_system_flags_and_sst() {
    let got = one(
        "en=x&_p=1746817938582&_s=2&tfd=565&ecid=825138003&gdid=dOThhZD&did=d1&edid=dNzYwYj&are=1\
         &_ss=1&_fv=2&_nsi=1&_c=1&_ee=1&_dbg=1&_z=ccd.v9B&_eu=AAAAAAQ&_tu=DA&_fid=fEj96\
         &sst.etld=google.de&sst.rnd=306943520.1782736013",
    );
    assert_eq!(got["x-ga-page_id"], json!(1746817938582_i64));
    assert_eq!(got["x-ga-request_count"], json!(2));
    assert_eq!(got["x-ga-tfd"], json!(565));
    assert_eq!(got["x-ga-ecid"], json!("825138003"));
    assert_eq!(got["x-ga-gdid"], json!("dOThhZD"));
    assert_eq!(got["x-ga-did"], json!("d1"));
    assert_eq!(got["x-ga-edid"], json!("dNzYwYj"));
    assert_eq!(got["x-ga-are"], json!("1"));
    assert_eq!(
        got["x-ga-system_properties"],
        json!({"ss": "1", "fv": "2", "nsi": "1", "c": "1", "ee": true, "dbg": "1",
               "z": "ccd.v9B", "eu": "AAAAAAQ", "tu": "DA", "fid": "fEj96"})
    );
    assert_eq!(
        got["x-sst-system_properties"],
        json!({"etld": "google.de", "rnd": "306943520.1782736013"})
    );
}

#[test]
fn unknown_parameters_go_to_x_ga_mp2() {
    let got =
        one("en=x&seg=1&tag_exp=1~2&frm=0&uaa=x86&sessionStamp=127.0.0.1&richsstsse&pr=1&ep.=z");
    assert_eq!(got["x-ga-mp2-seg"], json!("1"));
    assert_eq!(got["x-ga-mp2-tag_exp"], json!("1~2"));
    assert_eq!(got["x-ga-mp2-frm"], json!("0"));
    assert_eq!(got["x-ga-mp2-uaa"], json!("x86"));
    assert_eq!(got["x-ga-mp2-sessionStamp"], json!("127.0.0.1"));
    assert_eq!(got["x-ga-mp2-richsstsse"], json!(""));
    assert_eq!(got["x-ga-mp2-pr"], json!("1"));
    assert_eq!(got["x-ga-mp2-ep."], json!("z"));
}

#[test]
fn em_is_kept_raw_and_decoded_hex_and_base64url_alike() {
    let hex = "bc4795ee8be72a7a92a83a67b1ad3de72cc8013906871a9e9f3ed884d7c4a4f5";
    let em = format!(
        "tv.1~em.vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpPU~pn.{}~co0.NO",
        hex.to_uppercase()
    );
    let got = one(&format!("en=begin_checkout&em={em}"));
    assert_eq!(got["x-ga-em"], json!(em));
    assert_eq!(
        got["user_data"],
        json!({"sha256_email_address": hex, "sha256_phone_number": hex,
               "address": {"country": "NO"}})
    );
    // Event-param user data is kept; em only fills gaps.
    let got = one(&format!(
        "en=x&ep.user_data.sha256_email_address=mine&em={em}"
    ));
    assert_eq!(got["user_data"]["sha256_email_address"], json!("mine"));
    assert_eq!(got["user_data"]["sha256_phone_number"], json!(hex));
    // A malformed hash is ignored with a note; the event is kept.
    let out = run(Format::Ga4, "GET", "/g/collect?en=x&em=tv.1~em.zzz", b"");
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0]["x-ga-em"], json!("tv.1~em.zzz"));
    assert!(out.notes.iter().any(|n| n.contains("not a SHA-256 hash")));
}

#[test]
fn batching_query_is_shared_and_each_line_overrides_it() {
    let body = b"en=page_view&_et=3674\r\n\r\nen=click&_et=799&dt=Test%20Page\n  \n";
    let out = run(
        Format::Ga4,
        "POST",
        "/g/collect?v=2&tid=G-2VEWJC5YPE&cid=1.2&en=query_event&dt=Shared",
        body,
    );
    assert!(out.rejected.is_empty());
    assert_eq!(out.events.len(), 2);
    assert_eq!(out.events[0]["event_name"], json!("page_view"));
    assert_eq!(out.events[0]["engagement_time_msec"], json!(3674));
    assert_eq!(out.events[0]["page_title"], json!("Shared"));
    assert_eq!(out.events[1]["event_name"], json!("click"));
    assert_eq!(out.events[1]["page_title"], json!("Test Page"));
    for event in &out.events {
        assert_eq!(event["client_id"], json!("1.2"));
        assert_eq!(event["x-ga-measurement_id"], json!("G-2VEWJC5YPE"));
    }
}

#[test]
fn a_note_names_the_body_line_it_came_from_counting_blank_lines() {
    let body = b"en=a&epn.bad=x\n\nen=b&epn.worse=y";
    let out = run(Format::Ga4, "POST", "/g/collect?v=2", body);
    assert_eq!(out.events.len(), 2);
    assert_eq!(
        out.notes,
        vec![
            "line 1: parameter `epn.bad` is not a number; kept as text",
            "line 3: parameter `epn.worse` is not a number; kept as text",
        ]
    );
}

#[test]
fn empty_or_blank_body_is_one_event_from_the_query_and_get_ignores_bodies() {
    for body in [&b""[..], b"\n\r\n  "] {
        let out = run(Format::Ga4, "POST", "/g/collect?en=page_view&cid=1", body);
        assert_eq!(out.events.len(), 1);
        assert_eq!(out.events[0]["event_name"], json!("page_view"));
    }
    let out = run(Format::Ga4, "GET", "/g/collect?en=page_view", b"en=a\nen=b");
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0]["event_name"], json!("page_view"));
    let out = run(Format::Ga4, "GET", "/g/collect", b"");
    assert_eq!(out.rejected[0].reason, "request carries no GA4 parameters");
}

#[test]
fn request_facts_fill_ip_and_user_agent() {
    let out = ingest(
        Format::Ga4,
        &facts("GET", "/g/collect?en=x&ep.ip_override=1.1.1.1", &[]),
        b"",
        &Limits::new(5),
    );
    assert_eq!(out.events[0]["ip_override"], json!("198.51.100.7"));
    assert_eq!(out.events[0].get("user_agent"), None);
}

// --- malformed input -------------------------------------------------------------------------

#[test]
fn bad_percent_escape_rejects_the_event() {
    let out = run(Format::Ga4, "GET", "/g/collect?en=x&dl=%zz", b"");
    assert!(out.events.is_empty());
    assert_eq!(
        out.rejected[0].reason,
        "query: invalid percent-escape in the value of `dl`"
    );
    let out = run(Format::Ga4, "POST", "/g/collect?v=2", b"en=a\nen=b&dt=%4");
    assert_eq!(out.events.len(), 1);
    assert_eq!(
        out.rejected[0].reason,
        "line 2: invalid percent-escape in the value of `dt`"
    );
}

#[test]
fn invalid_utf8_raw_bytes_and_escaped_ff_are_rejected() {
    let out = run(
        Format::Ga4,
        "POST",
        "/g/collect?v=2",
        b"en=a&dt=\xff\xfe\nen=b&dt=%FF\nen=c",
    );
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0]["event_name"], json!("c"));
    assert_eq!(out.rejected.len(), 2);
    assert_eq!(
        out.rejected[0].reason,
        "line 1: the value of `dt` is not valid UTF-8"
    );
    assert_eq!(
        out.rejected[1].reason,
        "line 2: the value of `dt` is not valid UTF-8"
    );
    // Invalid bytes in the path arrive as U+FFFD from the lossy header conversion.
    let request = crate::request::RequestFacts::from_headers(
        &[
            (":method".to_owned(), b"GET".to_vec()),
            (":path".to_owned(), b"/g/collect?en=x&dt=\xff".to_vec()),
        ],
        None,
    )
    .unwrap();
    let out = ingest(Format::Ga4, &request, b"", &Limits::new(5));
    assert!(out.events.is_empty());
    assert!(out.rejected[0].reason.contains("not valid UTF-8"));
}

#[test]
fn a_garbage_line_among_good_lines_is_rejected_alone() {
    let body =
        b"en=one\n{\"en\":\"json\",\"x\":\"a=b\"}\n\x00\x01=\x02\nen=two\njust words\nen=three";
    let out = run(Format::Ga4, "POST", "/g/collect?v=2&cid=9", body);
    let names: Vec<&str> = out
        .events
        .iter()
        .map(|e| e["event_name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, vec!["one", "two", "three"]);
    let reasons: Vec<&str> = out.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        vec![
            "line 2: a parameter name is not a valid name",
            "line 3: a parameter name is not a valid name",
            "line 5: not `key=value&…` form"
        ]
    );
}

#[test]
fn a_line_without_equals_is_rejected() {
    let out = run(Format::Ga4, "POST", "/g/collect?v=2", b"richsstsse");
    assert!(out.events.is_empty());
    assert_eq!(out.rejected[0].reason, "line 1: not `key=value&…` form");
}

#[test]
fn a_bad_query_on_a_post_rejects_every_line() {
    let out = run(
        Format::Ga4,
        "POST",
        "/g/collect?v=2&dl=%G1",
        b"en=a\nen=b\n\nen=c",
    );
    assert!(out.events.is_empty());
    assert_eq!(out.rejected.len(), 3);
    assert!(out.rejected.iter().all(|r| r
        .reason
        .ends_with("the shared query is invalid: invalid percent-escape in the value of `dl`")));
}

#[test]
fn a_huge_value_is_dropped_with_a_note_and_the_event_kept() {
    let huge = "x".repeat(9000);
    let out = run(
        Format::Ga4,
        "POST",
        "/g/collect?v=2",
        format!("en=a&dl={huge}&pr1=id{huge}").as_bytes(),
    );
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0].get("page_location"), None);
    assert_eq!(out.events[0].get("items"), None);
    assert_eq!(
        out.notes,
        vec![
            "line 1: parameter `dl` dropped: value longer than 8192 bytes",
            "line 1: parameter `pr1` dropped: value longer than 8192 bytes"
        ]
    );
    assert!(!format!("{out:?}").contains("xxxxxxxx"));
}

// Lines past the cap are rejected without being parsed, so a flood costs one comparison per
// line: proven by what the rejections say, not by a clock. Each of those lines is `x`, which a
// parse would reject as "not `key=value&…` form" (see the next test).
#[test]
fn lines_past_max_events_are_rejected_unparsed() {
    let body: String = (0..50)
        .map(|i| format!("en=e{i}&_et={i}\n"))
        .chain((50..10_000).map(|_| "x\n".to_owned()))
        .collect();
    let request = facts("POST", "/g/collect?v=2&cid=1", &[]);
    let mut budget = crate::ingest::Budget::for_request(body.len());
    let mut names = Vec::new();
    let report = crate::ingest::ingest_each(
        Format::Ga4,
        &request,
        body.as_bytes(),
        &Limits::new(50),
        &mut budget,
        &mut |event, _| names.push(Value::from(event.clone())["event_name"].clone()),
    );
    assert_eq!(names.len(), 50);
    assert_eq!(names[49], json!("e49"));
    assert_eq!(report.rejected, 9_950);
    // Only the first reasons are kept; all 9,950 are counted.
    assert_eq!(report.reasons.len(), crate::ingest::MAX_REPORTED);
    assert!(
        report
            .reasons
            .iter()
            .all(|r| r == "more than 50 events in one request"),
        "{:?}",
        report.reasons
    );
}

// Before the fix every rejected line kept its own reason string: 30,000 bad lines of two bytes
// each became 30,000 strings, about 30 times the body.
#[test]
fn a_flood_of_bad_lines_is_counted_with_only_the_first_reasons_kept() {
    let body = b"x\n".repeat(30_000);
    let request = facts("POST", "/g/collect?v=2&cid=1", &[]);
    let mut budget = crate::ingest::Budget::for_request(body.len());
    let report = crate::ingest::ingest_each(
        Format::Ga4,
        &request,
        &body,
        &Limits::new(50),
        &mut budget,
        &mut |_, _| panic!("no line is an event"),
    );
    assert_eq!(report.rejected, 30_000);
    assert_eq!(report.reasons.len(), crate::ingest::MAX_REPORTED);
    assert_eq!(report.reasons[0], "line 1: not `key=value&…` form");
}

#[test]
fn loader_hits_decode_to_the_same_event_as_plain_hits() {
    use base64::Engine;
    let query = "v=2&tid=G-1&en=page_view&dl=https%3A%2F%2Fa.b%2F&cid=7.8";
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("/g/collect?{query}"));
    let escaped = encoded.replace('+', "%2B").replace('=', "%3D");
    let loader = run(
        Format::Ga4Loader,
        "GET",
        &format!("/6ifbjhkjas?de5cc8ea={escaped}"),
        b"",
    );
    let plain = run(Format::Ga4, "GET", &format!("/g/collect?{query}"), b"");
    assert_eq!(loader, plain);
    let batched = run(
        Format::Ga4Loader,
        "POST",
        &format!("/x?a={escaped}"),
        b"en=one\nen=two",
    );
    assert_eq!(batched.events.len(), 2);
    assert_eq!(batched.events[1]["client_id"], json!("7.8"));
    let none = run(Format::Ga4Loader, "GET", "/x?a=bm90IGEgaGl0&b=%zz", b"");
    assert!(none.events.is_empty());
    assert_eq!(
        none.rejected[0].reason,
        "no query parameter decodes to a /g/collect request"
    );
}

#[test]
fn a_line_overrides_the_query_per_name_with_few_or_many_pairs() {
    use std::borrow::Cow;
    let pairs = |names: &[&'static str], value: &'static str| -> Vec<super::Pair<'static>> {
        names
            .iter()
            .map(|n| (Cow::Borrowed(*n), Cow::Borrowed(value)))
            .collect()
    };
    let shared = pairs(&["v", "tid", "en", "cid", "dl"], "q");
    let few = pairs(&["en", "dl", "_s"], "l");
    assert_eq!(
        super::merge(&shared, &few),
        [
            ("v", "q"),
            ("tid", "q"),
            ("cid", "q"),
            ("en", "l"),
            ("dl", "l"),
            ("_s", "l")
        ]
    );
    // Past the few-pairs bound the line's names go through a set, with the same result.
    let many_names: Vec<&'static str> = (0..super::FEW_LINE_PAIRS + 1)
        .map(|i| &*Box::leak(format!("ep.p{i}").into_boxed_str()))
        .chain(["cid"])
        .collect();
    let many = pairs(&many_names, "l");
    let merged = super::merge(&shared, &many);
    assert_eq!(
        merged.get(..4),
        Some(&[("v", "q"), ("tid", "q"), ("en", "q"), ("dl", "q")][..])
    );
    assert_eq!(merged.len(), 4 + many.len());
    assert_eq!(merged.last(), Some(&("cid", "l")));
}
