#[test]
fn response_headers_are_logged_without_pseudo_headers_or_cookies_and_bounded() {
    let headers = vec![
        (":status".to_owned(), "200".to_owned()),
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("set-cookie".to_owned(), "session=secret".to_owned()),
        ("x-long".to_owned(), "é".repeat(200)),
    ];
    let logged = super::LoggedResponseHeaders::new(&headers).unwrap();
    let json = serde_json::to_value(&logged).unwrap();
    assert_eq!(json["content-type"], "application/json");
    assert!(json.get(":status").is_none() && json.get("set-cookie").is_none());
    assert_eq!(json["x-long"].as_str().unwrap().len(), 256);
    let many: Vec<(String, String)> = (0..100).map(|i| (format!("h{i}"), "v".into())).collect();
    let logged = serde_json::to_value(super::LoggedResponseHeaders::new(&many).unwrap()).unwrap();
    assert_eq!(logged.as_object().unwrap().len(), super::MAX_LOGGED_HEADERS);
    assert!(super::LoggedResponseHeaders::new(&headers[..1]).is_none());
}

use super::*;
use serde_json::json;

#[test]
fn escaping_turns_line_breaks_and_controls_into_visible_escapes() {
    let forged = "page_view\r\n[2026-01-01 00:00:00.000][1][critical][wasm] forged\u{1b}[2J";
    let escaped = Escaped(forged).to_string();
    assert!(!escaped.contains(['\r', '\n', '\u{1b}']), "{escaped}");
    assert_eq!(
        escaped,
        "page_view\\r\\n[2026-01-01 00:00:00.000][1][critical][wasm] forged\\u{1b}[2J"
    );
    assert_eq!(
        Escaped("a\u{2028}b\u{2029}c\u{85}d\u{7f}e\u{202e}f\tg").to_string(),
        "a\\u{2028}b\\u{2029}c\\u{85}d\\u{7f}e\\u{202e}f\\tg"
    );
}

#[test]
fn escaping_leaves_ordinary_text_and_unicode_untouched() {
    assert_eq!(Escaped("page_view").to_string(), "page_view");
    assert_eq!(
        Escaped("Bücher – 日本 \\n").to_string(),
        "Bücher – 日本 \\n"
    );
    assert_eq!(Escaped("").to_string(), "");
    assert_eq!(Escaped("\n").to_string(), "\\n");
}

#[test]
fn json_lines_escape_what_serde_json_leaves_raw_and_still_decode() {
    let value = json!({"EventName": "a\u{2028}b\u{85}c\u{7f}d\ne\u{202e}"});
    let line = json_line(serde_json::to_string(&value).unwrap());
    assert!(!line.chars().any(needs_escape), "{line}");
    let back: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(back, value);
    let plain = r#"{"a":"b"}"#.to_owned();
    assert_eq!(json_line(plain.clone()), plain);
}

#[test]
fn ips_are_redacted_to_their_24_or_48_network() {
    assert_eq!(redact_ip("203.0.113.77"), "203.0.113.0/24");
    assert_eq!(
        redact_ip("2001:db8:85a3:8d3:1319:8a2e:370:7348"),
        "2001:db8:85a3::/48"
    );
    assert_eq!(redact_ip("::ffff:198.51.100.9"), "198.51.100.0/24");
    assert_eq!(redact_ip("::1"), "::/48");
    assert_eq!(redact_ip("not an ip"), REDACTED);
    assert_eq!(redact_ip(""), REDACTED);
}

#[test]
fn urls_lose_query_fragment_and_user_info() {
    assert_eq!(
        url_without_query("https://shop.example.com/p?email=a%40b.c&oppref=x#top"),
        "https://shop.example.com/p"
    );
    assert_eq!(
        url_without_query("https://shop.example.com#frag"),
        "https://shop.example.com"
    );
    assert_eq!(
        url_without_query("https://user:pw@shop.example.com/a@b?x"),
        "https://shop.example.com/a@b"
    );
    assert!(matches!(
        url_without_query("https://shop.example.com/"),
        Cow::Borrowed("https://shop.example.com/")
    ));
    assert_eq!(url_without_query("not a url?q"), "not a url");
}

fn body() -> Vec<u8> {
    json!({"validate_only": false, "events": [{
        "id": "e1", "type": "page_viewed", "timestamp_ms": 1,
        "source_url": "https://shop.example.com/p?email=jane%40example.com#f",
        "oppref": "click-1",
        "user": {"obref": "b-1", "emails_sha256": ["ab"], "ip_address": "203.0.113.77",
                 "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Secret/1.0",
                 "cities": ["berlin"], "regions": ["be"], "postal_codes": ["10115"],
                 "countries": ["DE"]},
        "data": {"type": "contents"}}]})
    .to_string()
    .into_bytes()
}

#[test]
fn logged_request_bodies_redact_ip_user_agent_url_query_and_geo() {
    let logged = LoggedRequestBody::new(&body(), false).unwrap();
    let v: Value = serde_json::from_str(logged.get()).unwrap();
    let event = &v["events"][0];
    assert_eq!(event["source_url"], json!("https://shop.example.com/p"));
    assert_eq!(event["user"]["ip_address"], json!("203.0.113.0/24"));
    assert_eq!(event["user"]["user_agent"], json!(REDACTED));
    for geo in ["cities", "regions", "postal_codes", "countries"] {
        assert_eq!(event["user"][geo], json!([REDACTED]), "{geo}");
    }
    // What is needed to follow an event stays.
    assert_eq!(event["id"], json!("e1"));
    assert_eq!(event["oppref"], json!("click-1"));
    assert_eq!(event["user"]["obref"], json!("b-1"));
    assert_eq!(event["user"]["emails_sha256"], json!(["ab"]));
    let text = logged.get();
    for raw in [
        "203.0.113.77",
        "Secret/1.0",
        "jane",
        "berlin",
        "10115",
        "#f",
    ] {
        assert!(!text.contains(raw), "{raw} in {text}");
    }
}

#[test]
fn full_bodies_log_the_request_exactly_as_sent() {
    let sent = body();
    let logged = LoggedRequestBody::new(&sent, true).unwrap();
    assert_eq!(logged.get().as_bytes(), sent.as_slice());
    assert!(LoggedRequestBody::new(b"not json", false).is_none());
    assert!(LoggedRequestBody::new(b"\xff", true).is_none());
}

#[test]
fn response_bodies_are_left_out_unless_full_bodies_then_truncated() {
    let answer = br#"{"error":{"message":"events[0].user.ip_address: got \"203.0.113.77\""}}"#;
    assert!(LoggedResponseBody::new(answer, false).is_none());
    assert_eq!(
        LoggedResponseBody::new(answer, true)
            .unwrap()
            .as_str()
            .as_bytes(),
        answer
    );
    assert!(LoggedResponseBody::new(b"", true).is_none());
    let long = "é".repeat(MAX_LOGGED_BODY);
    let cut = LoggedResponseBody::new(long.as_bytes(), true).unwrap();
    assert!(cut.as_str().len() <= MAX_LOGGED_BODY + 3);
    assert!(cut.as_str().ends_with('…'));
    assert_eq!(
        LoggedResponseBody::new(b"\xff\xfe", true).unwrap().as_str(),
        "\u{fffd}\u{fffd}"
    );
}

#[test]
fn response_summaries_show_the_body_only_with_full_bodies_and_escaped() {
    assert_eq!(
        response_summary(400, b"bad\r\nforged", false),
        "HTTP 400 (response body of 11 bytes not logged; set logging.full_bodies to see it)"
    );
    assert_eq!(
        response_summary(400, b"bad\r\nforged", true),
        "HTTP 400: bad\\r\\nforged"
    );
    assert_eq!(response_summary(503, b"", false), "HTTP 503");
}

#[test]
fn config_errors_never_carry_a_raw_line_break() {
    // serde's message quotes the unknown key as written.
    let e = crate::config::Config::from_json(
        serde_json::json!({"pixel_id": "p", "api_key": "k", "bad\r\nkey": 1})
            .to_string()
            .as_bytes(),
        &|_| None,
    )
    .unwrap_err();
    assert!(e.to_string().contains('\n'), "the glue must escape: {e}");
    let line = Escaped(&e.to_string()).to_string();
    assert!(!line.contains(['\r', '\n']), "{line}");
}
