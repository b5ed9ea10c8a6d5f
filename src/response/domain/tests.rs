//! Tests of the cookie domain: `auto` from page, referer and request host, the forwarded host
//! behind a trusted proxy, host-name validation and the remembered decisions.

use super::*;

fn facts(headers: &[(&str, &str)]) -> RequestFacts {
    let mut pairs = vec![(":path".to_owned(), b"/g/collect".to_vec())];
    pairs.extend(
        headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec())),
    );
    RequestFacts::from_headers(&pairs, None).unwrap()
}

const BEHIND_PROXY: &[(&str, &str)] = &[
    (":authority", "capi-gw.internal.svc"),
    ("x-forwarded-host", "shop.example.com"),
];

#[test]
fn a_forwarded_host_is_ignored_unless_the_proxy_is_trusted() {
    let request = facts(BEHIND_PROXY);
    assert_eq!(request_host(false, &request), Some("capi-gw.internal.svc"));
    assert_eq!(
        auto(None, None, request_host(false, &request)).as_deref(),
        Some("internal.svc")
    );
}

#[test]
fn a_trusted_forwarded_host_decides_the_auto_domain() {
    let request = facts(BEHIND_PROXY);
    assert_eq!(request_host(true, &request), Some("shop.example.com"));
    assert_eq!(
        auto(None, None, request_host(true, &request)).as_deref(),
        Some("example.com")
    );
}

#[test]
fn x_forwarded_host_beats_forwarded_which_beats_the_authority() {
    let both = facts(&[
        (":authority", "gw.internal"),
        ("forwarded", "for=192.0.2.60;host=b.example.org"),
        ("x-forwarded-host", "a.example.net, proxy.internal"),
    ]);
    assert_eq!(request_host(true, &both), Some("a.example.net"));
    let forwarded_only = facts(&[
        (":authority", "gw.internal"),
        (
            "forwarded",
            "for=192.0.2.60;Host=\"b.example.org:8443\";proto=https, host=c.example",
        ),
    ]);
    assert_eq!(
        request_host(true, &forwarded_only),
        Some("b.example.org:8443")
    );
    assert_eq!(
        auto(None, None, request_host(true, &forwarded_only)).as_deref(),
        Some("example.org"),
        "the port is removed"
    );
    let neither = facts(&[(":authority", "gw.example.com")]);
    assert_eq!(request_host(true, &neither), Some("gw.example.com"));
}

#[test]
fn a_forwarded_host_that_is_not_a_host_is_passed_over() {
    for bad in [
        "shop example.com",
        "shop.example.com/x",
        "u@shop.example.com",
        "a;b",
        "",
    ] {
        let request = facts(&[
            (":authority", "gw.example.com"),
            ("x-forwarded-host", bad),
            ("forwarded", "host=shop.example.org"),
        ]);
        assert_eq!(
            request_host(true, &request),
            Some("shop.example.org"),
            "{bad:?}"
        );
    }
    let no_valid_one = facts(&[
        (":authority", "gw.example.com"),
        ("x-forwarded-host", "\u{fffd}bad"),
    ]);
    assert_eq!(request_host(true, &no_valid_one), Some("gw.example.com"));
}

#[test]
fn a_forwarded_ip_is_a_host_and_gets_no_domain() {
    for ip in ["203.0.113.7", "203.0.113.7:8080", "[2001:db8::1]:443"] {
        let request = facts(&[(":authority", "gw.example.com"), ("x-forwarded-host", ip)]);
        assert_eq!(request_host(true, &request), Some(ip));
        assert_eq!(auto(None, None, request_host(true, &request)), None, "{ip}");
    }
}

#[test]
fn the_page_domain_still_wins_when_the_forwarded_host_lies_within_it() {
    let request = facts(&[
        (":authority", "capi-gw.internal.svc"),
        ("x-forwarded-host", "sgtm.shop.example.co.uk"),
    ]);
    let host = request_host(true, &request);
    assert_eq!(
        auto(Some("https://www.shop.example.co.uk/p"), None, host).as_deref(),
        Some("example.co.uk")
    );
    assert_eq!(
        auto(Some("https://other.example/"), None, host).as_deref(),
        Some("example.co.uk"),
        "a page elsewhere: the forwarded host's own domain"
    );
}

fn auto(page: Option<&str>, referer: Option<&str>, host: Option<&str>) -> Option<String> {
    cookie_domain(&CookieDomain::Auto, page, referer, host)
}

#[test]
fn stape_46_auto_uses_the_registrable_domain_of_the_page() {
    assert_eq!(
        auto(
            Some("https://example.com/?oppref=click-id"),
            None,
            Some("example.com")
        )
        .as_deref(),
        Some("example.com")
    );
    assert_eq!(
        auto(
            Some("https://www.shop.example.co.uk/p"),
            None,
            Some("sgtm.example.co.uk")
        )
        .as_deref(),
        Some("example.co.uk")
    );
}

#[test]
fn stape_47_a_configured_domain_is_used_verbatim() {
    let fixed = CookieDomain::Fixed("custom.mysite.com".into());
    assert_eq!(
        cookie_domain(&fixed, Some("https://example.com/"), None, Some("x.org")).as_deref(),
        Some("custom.mysite.com")
    );
}

#[test]
fn referer_is_used_when_there_is_no_page_location() {
    assert_eq!(
        auto(
            None,
            Some("https://blog.example.org/post"),
            Some("collect.example.org:443")
        )
        .as_deref(),
        Some("example.org")
    );
}

#[test]
fn a_page_domain_the_request_host_is_not_part_of_falls_back_to_the_request_host() {
    assert_eq!(
        auto(
            Some("https://shop.example.com/"),
            None,
            Some("collector.tracking.net")
        )
        .as_deref(),
        Some("tracking.net")
    );
    assert_eq!(
        auto(Some("https://example.com/"), None, Some("notexample.com")).as_deref(),
        Some("notexample.com")
    );
}

#[test]
fn ip_and_single_label_hosts_get_no_domain() {
    assert_eq!(
        auto(
            Some("https://shop.example.com/"),
            None,
            Some("127.0.0.1:10000")
        ),
        None
    );
    assert_eq!(auto(None, None, Some("[::1]:8080")), None);
    assert_eq!(auto(None, None, Some("localhost:10000")), None);
    assert_eq!(
        auto(Some("http://127.0.0.1/"), None, Some("127.0.0.1")),
        None
    );
    assert_eq!(auto(None, None, None), None);
}

#[test]
fn a_host_header_carrying_cookie_attributes_gets_no_domain() {
    for host in [
        "shop.example.com;Domain=evil.com",
        "shop.example.com; Domain=evil.com",
        "shop.example.com\r\nSet-Cookie: x=1",
        "shop.example.com,evil.com",
        "shop example.com",
        "user@shop.example.com",
        "shop.example.com:443;x",
        "shop.example.com:https",
        "shop.example.com:",
        "shop.exa_mple.com",
        "shop.example.com/evil",
        "sh\u{f6}p.example.com",
    ] {
        assert_eq!(auto(None, None, Some(host)), None, "{host:?}");
        // Nor does it make a page domain acceptable.
        assert_eq!(
            auto(Some("https://shop.example.com/"), None, Some(host)),
            None,
            "{host:?}"
        );
    }
}

#[test]
fn a_valid_host_header_keeps_its_registrable_domain_with_port_case_and_trailing_dot() {
    for host in [
        "shop.example.com",
        "SHOP.Example.COM",
        "shop.example.com:8443",
        "shop.example.com.",
        "shop.example.com.:443",
        "xn--bcher-kva.example.com",
        " shop.example.com ",
    ] {
        assert_eq!(
            auto(None, None, Some(host)).as_deref(),
            Some("example.com"),
            "{host:?}"
        );
    }
    assert_eq!(
        auto(None, None, Some("xn--bcher-kva.example")).as_deref(),
        Some("xn--bcher-kva.example")
    );
}

#[test]
fn host_names_follow_dns_label_rules() {
    let long_label = "a".repeat(64);
    let long_name = format!("{}.com", ["abcdefghi"; 26].join("."));
    for bad in [
        "",
        ".",
        "a..com",
        ".a.com",
        "-a.com",
        "a-.com",
        long_label.as_str(),
        &format!("{long_label}.com"),
        long_name.as_str(),
        "1.2.3.4",
        "a.123",
        "::1",
        "[::1]",
    ] {
        assert_eq!(host_name(bad), None, "{bad:?}");
    }
    assert_eq!(host_name("A-1.b.Co.").as_deref(), Some("a-1.b.co"));
    let max_label = "a".repeat(63);
    assert!(host_name(&format!("{max_label}.com")).is_some());
}

#[test]
fn ipv6_literal_hosts_with_or_without_port_get_no_domain() {
    for host in ["[::1]", "[::1]:8080", "[2001:db8::1]:443", "2001:db8::1"] {
        assert_eq!(auto(None, None, Some(host)), None, "{host:?}");
    }
}

#[test]
fn a_page_url_whose_host_the_url_parser_accepts_but_dns_does_not_is_ignored() {
    // `;` passes the URL parser's domain rules; it must not reach `Domain`.
    assert_eq!(
        auto(
            Some("https://shop.example.com;domain=evil.com/"),
            None,
            Some("shop.example.com")
        )
        .as_deref(),
        Some("example.com")
    );
}

#[test]
fn public_suffix_hosts_never_become_a_cookie_domain() {
    assert_eq!(auto(None, None, Some("github.io")), None);
    assert_eq!(
        auto(Some("https://me.github.io/"), None, Some("me.github.io")).as_deref(),
        Some("me.github.io")
    );
    assert_eq!(
        auto(Some("not a url"), None, Some("a.example.com")).as_deref(),
        Some("example.com")
    );
}

#[test]
fn remembered_domains_answer_as_the_list_does_and_stay_bounded() {
    let hosts = [
        "shop.example.com",
        "a.b.example.co.uk",
        "github.io",
        "me.github.io",
        "x.y.z.example.org",
        "www.city.kawasaki.jp",
    ];
    // Twice over more hosts than slots, so answers come from the list, then from the
    // cache, then from the list again after eviction.
    for round in 0..3 {
        for (i, host) in hosts.iter().chain(&hosts).enumerate() {
            let filler = format!("h{round}-{i}.example.net");
            assert_eq!(registrable(&filler).as_deref(), Some("example.net"));
            let want = crate::response::public_suffix::registrable_domain(host);
            assert_eq!(registrable(host).as_deref(), want, "{host}");
            assert_eq!(registrable(host).as_deref(), want, "{host} again");
        }
    }
    // A host longer than a slot cannot occur (host names are validated first), but is
    // answered from the list all the same.
    let long = format!("{}.example.com", "a".repeat(MAX_HOST_NAME));
    assert_eq!(registrable(&long).as_deref(), Some("example.com"));
}

#[test]
fn remembered_decisions_answer_as_deciding_does_and_stay_bounded() {
    let pages = [
        Some("https://shop.example.com/p?x=1"),
        Some("https://www.example.co.uk/"),
        Some("https://other.example.org/a"),
        // Plain form, but not a valid host name: the referer decides, never cached.
        Some("https://-bad.example.com/"),
        Some("https://Shop.Example.com/"),
        None,
    ];
    let referers = [
        None,
        Some("https://ref.example.com/"),
        Some("https://x.example.org/"),
    ];
    let authorities = [
        Some("sgtm.shop.example.com"),
        Some(" SGTM.Shop.Example.COM.:8443 "),
        Some("shop.example.co.uk"),
        Some("10.0.0.1"),
        Some("bad;host"),
        None,
    ];
    // Three rounds over more pairs than slots: answers come from deciding, from the cache
    // and from deciding again after eviction, each checked against `decide` itself.
    for _ in 0..3 {
        for page in pages {
            for authority in authorities {
                for referer in referers {
                    let want = decide(page, referer, authority);
                    assert_eq!(
                        auto(page, referer, authority),
                        want,
                        "{page:?} {referer:?} {authority:?}"
                    );
                    assert_eq!(
                        auto(page, referer, authority),
                        want,
                        "{page:?} {referer:?} {authority:?} again"
                    );
                }
            }
        }
    }
    // Longer than a slot: decided per hit all the same.
    let long = format!("{}.example.com", "a".repeat(MAX_AUTHORITY));
    let page = Some("https://www.example.com/");
    assert_eq!(
        auto(page, None, Some(&long)),
        decide(page, None, Some(&long))
    );
    assert_eq!(
        auto(page, None, Some(&long)),
        decide(page, None, Some(&long))
    );
}
