use super::*;

fn pairs(list: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_vec()))
        .collect()
}

#[test]
fn facts_from_headers() {
    let facts = RequestFacts::from_headers(
        &pairs(&[
            (":method", b"POST"),
            (":path", b"/g/collect?v=2&en=page_view"),
            (":authority", b"shop.example.com"),
            ("user-agent", b"Mozilla/5.0"),
            ("cookie", b"a=1; __oppref=\"click\"; __obref=b1"),
            ("cookie", b"__oppref=second"),
            ("trace-id", b"t-1"),
        ]),
        Some(b"203.0.113.9:51234"),
    )
    .unwrap();
    assert_eq!(facts.method, Method::Post);
    assert_eq!(facts.path, "/g/collect");
    assert_eq!(facts.query, "v=2&en=page_view");
    assert_eq!(facts.authority.as_deref(), Some("shop.example.com"));
    assert_eq!(facts.peer_ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(facts.cookie("__oppref"), Some("click"));
    assert_eq!(facts.cookie("__obref"), Some("b1"));
    assert_eq!(facts.trace_id.as_deref(), Some("t-1"));
    assert_eq!(facts.query_param("en").as_deref(), Some("page_view"));
    assert_eq!(facts.header("user-agent"), Some("Mozilla/5.0"));
}

#[test]
fn trace_id_falls_back_to_x_request_id() {
    let facts = |list: &[(&str, &[u8])]| RequestFacts::from_headers(&pairs(list), None).unwrap();
    let only_request_id = facts(&[(":path", b"/g"), ("x-request-id", b"r-1")]);
    assert_eq!(only_request_id.trace_id.as_deref(), Some("r-1"));
    // trace-id wins whatever the header order.
    let both = facts(&[
        (":path", b"/g"),
        ("x-request-id", b"r-1"),
        ("trace-id", b"t-9"),
    ]);
    assert_eq!(both.trace_id.as_deref(), Some("t-9"));
    assert_eq!(facts(&[(":path", b"/g")]).trace_id, None);
}

#[test]
fn trace_id_is_cut_to_256_bytes_at_a_char_boundary() {
    let facts = |list: &[(&str, &[u8])]| RequestFacts::from_headers(&pairs(list), None).unwrap();
    let long = "t".repeat(8192);
    let cut = facts(&[(":path", b"/g"), ("trace-id", long.as_bytes())]);
    assert_eq!(cut.trace_id.as_deref(), Some(&long[..256]));
    // 255 ASCII bytes, then a 3-byte character that would end past byte 256.
    let wide = format!("{}€€", "a".repeat(255));
    let cut = facts(&[(":path", b"/g"), ("x-request-id", wide.as_bytes())]);
    assert_eq!(cut.trace_id.as_deref(), Some("a".repeat(255).as_str()));
    let exact = "r".repeat(256);
    let kept = facts(&[(":path", b"/g"), ("trace-id", exact.as_bytes())]);
    assert_eq!(kept.trace_id.as_deref(), Some(exact.as_str()));
}

#[test]
fn scheme_comes_from_x_forwarded_proto_else_pseudo_header() {
    let facts = |list: &[(&str, &[u8])]| RequestFacts::from_headers(&pairs(list), None).unwrap();
    let behind_lb = facts(&[
        (":path", b"/g"),
        (":scheme", b"http"),
        ("x-forwarded-proto", b"HTTPS, http"),
    ]);
    assert_eq!(behind_lb.scheme.as_deref(), Some("https"));
    let direct = facts(&[(":path", b"/g"), (":scheme", b"http")]);
    assert_eq!(direct.scheme.as_deref(), Some("http"));
    let full = facts(&[
        (":path", b"/g/collect?v=2&em=x"),
        (":authority", b"shop.example"),
        ("x-forwarded-proto", b"https"),
    ]);
    assert_eq!(full.url(), "https://shop.example/g/collect");
    let junk = facts(&[(":path", b"/g"), ("x-forwarded-proto", b"gopher")]);
    assert_eq!(junk.scheme, None);
}

#[test]
fn x_forwarded_host_keeps_the_first_value_of_the_first_header() {
    let facts = |list: &[(&str, &[u8])]| RequestFacts::from_headers(&pairs(list), None).unwrap();
    let two = facts(&[
        (":path", b"/g"),
        ("x-forwarded-host", b" shop.example.com , proxy.internal"),
        ("x-forwarded-host", b"later.example"),
    ]);
    assert_eq!(two.x_forwarded_host.as_deref(), Some("shop.example.com"));
    assert_eq!(facts(&[(":path", b"/g")]).x_forwarded_host, None);
    let blank = facts(&[(":path", b"/g"), ("x-forwarded-host", b" , b.example")]);
    assert_eq!(blank.x_forwarded_host, None);
}

#[test]
fn forwarded_host_is_read_from_the_first_element_as_rfc_7239_writes_it() {
    let host = |value: &str| forwarded_host(value);
    assert_eq!(
        host("for=192.0.2.60;proto=http;by=203.0.113.43;host=shop.example.com").as_deref(),
        Some("shop.example.com")
    );
    assert_eq!(
        host("HOST=\"shop.example.com:8443\"").as_deref(),
        Some("shop.example.com:8443"),
        "case-insensitive name, quoted value"
    );
    assert_eq!(
        host("for=\"[2001:db8::1]:4711;x,y\";host=a.example, host=b.example").as_deref(),
        Some("a.example"),
        "separators inside quotes separate nothing"
    );
    assert_eq!(
        host("for=192.0.2.60, host=b.example"),
        None,
        "only the first element counts"
    );
    assert_eq!(host("host=\"a\\\"b\"").as_deref(), Some("a\"b"));
    assert_eq!(
        host("host=\"unterminated;x").as_deref(),
        Some("unterminated;x")
    );
    assert_eq!(host("host=;for=x"), None);
    assert_eq!(host(""), None);
    let facts = RequestFacts::from_headers(
        &pairs(&[
            (":path", b"/g"),
            ("forwarded", b"for=x"),
            ("forwarded", b"host=late.example"),
        ]),
        None,
    )
    .unwrap();
    assert_eq!(
        facts.forwarded_host, None,
        "the first header's first element"
    );
    let bytes = RequestFacts::from_headers(
        &pairs(&[(":path", b"/g"), ("forwarded", b"host=\xff\xfe.example")]),
        None,
    )
    .unwrap();
    assert!(bytes.forwarded_host.unwrap().contains('\u{FFFD}'));
}

#[test]
fn ipv6_peer_and_invalid_bytes_never_panic() {
    let facts = RequestFacts::from_headers(
        &pairs(&[(":path", b"/x"), ("user-agent", b"bad \xff\xfe bytes")]),
        Some(b"[2001:db8::1]:443"),
    )
    .unwrap();
    assert_eq!(facts.peer_ip.as_deref(), Some("2001:db8::1"));
    assert!(facts.user_agent.unwrap().contains('\u{FFFD}'));
    assert!(RequestFacts::from_headers(&pairs(&[(":method", b"GET")]), None).is_none());
    let garbage = RequestFacts::from_headers(&pairs(&[(":path", b"/")]), Some(b"nonsense"));
    assert_eq!(garbage.unwrap().peer_ip, None);
}
