use super::*;

#[test]
fn source_url_drops_credentials_and_fragment() {
    for (raw, sent) in [
        (
            "https://user:pw@shop.example.com/checkout?step=2#payment",
            "https://shop.example.com/checkout?step=2",
        ),
        (
            "https://admin@shop.example.com/",
            "https://shop.example.com/",
        ),
        ("https://shop.example.com/#top", "https://shop.example.com/"),
        ("https://shop.example.com/a#", "https://shop.example.com/a"),
    ] {
        assert_eq!(source_url(raw).as_deref(), Some(sent), "{raw}");
    }
}

#[test]
fn source_url_must_be_absolute_http_with_a_host() {
    assert_eq!(
        source_url("https://shop.example.com/a?b=c").as_deref(),
        Some("https://shop.example.com/a?b=c")
    );
    assert!(source_url("http://localhost:8080/").is_some());
    for bad in [
        "/relative",
        "shop.example.com",
        "ftp://e.com/",
        "https://",
        "javascript:alert(1)",
        "",
        "//shop.example.com/x",
    ] {
        assert_eq!(source_url(bad), None, "{bad}");
    }
}

#[test]
fn source_url_rejects_raw_whitespace_and_control_characters() {
    for bad in [
        "https://shop.example.com/a b",
        " https://shop.example.com/",
        "https://shop.example.com/\n",
        "https://shop.example.com/\t",
        "https://shop.example.com/\u{7f}",
        "https://shop.example.com/\u{a0}",
        "https://shop.example.com/\u{b}",
        "https://shop.example.com/\u{0}",
        "https://shop.example.com/caf\u{e9}\u{2028}",
        "https://shop.example.com/caf\u{e9}\u{85}",
    ] {
        assert_eq!(source_url(bad), None, "{bad:?}");
    }
}

#[test]
fn source_url_is_sent_in_its_parsed_serialised_form() {
    for (raw, sent) in [
        ("HTTPS://Shop.Example.COM", "https://shop.example.com/"),
        ("https://shop.example.com", "https://shop.example.com/"),
        (
            "https://shop.example.com/a/../b",
            "https://shop.example.com/b",
        ),
        (
            "https://shop.example.com/caf\u{e9}",
            "https://shop.example.com/caf%C3%A9",
        ),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        (
            "https://shop.example.com/\"q\"",
            "https://shop.example.com/%22q%22",
        ),
        ("http://shop.example.com:80/x", "http://shop.example.com/x"),
    ] {
        assert_eq!(source_url(raw).as_deref(), Some(sent), "{raw}");
    }
}

#[test]
fn source_url_shortcut_agrees_with_the_parser() {
    for raw in [
        "https://shop.example.com/",
        "https://shop.example.com/p?q=1&r=a%20b",
        "http://a-b.example.org/x/y;z=1?o=p:q@r!$(*)+,~",
        "https://shop.example.com/.hidden",
        "https://shop.example.com/%2e%2e/x",
        "https://shop.example.com/a/%2E./x",
        "https://shop.example.com/a/..?q=/./",
        "https://shop.example.com/a.b/c.d?e=.f%2",
        "https://shop.example.com/x%",
        "https://shop.example.com/a'b",
        "https://shop.example.com/?q='a'",
    ] {
        let parsed: String = url::Url::parse(raw).unwrap().into();
        assert_eq!(source_url(raw).unwrap(), parsed, "{raw}");
    }
}

#[test]
fn plain_hosts_are_exactly_what_the_url_parser_reads() {
    let hosts = [
        "example.com",
        "shop.example.co.uk",
        "a",
        "a-b.c0m",
        "-a.com",
        "a-.com",
        "ab--c.com",
        "xn--bcher-kva.example",
        "xn--zz.com",
        "a.xn--p1ai",
        "1.2.3.4",
        "1.2.3",
        "a.1",
        "a.0x1",
        "a..com",
        ".a.com",
        "a.com.",
        "A.com",
        "a_b.com",
        "a%62.com",
        "a b.com",
        "\u{e9}.com",
        "a@b.com",
        "a:80",
        "a.com:443",
        "[::1]",
        "a\tb.com",
        "",
        "a.b-",
    ];
    let tails = [
        "",
        "/",
        "/p?q=1#f",
        "?x",
        "#y",
        "/\\x",
        "/ a\u{0}b",
        "\\p",
        " ",
    ];
    for scheme in [
        "http://",
        "https://",
        "HTTP://",
        "ftp://",
        " https://",
        "https:/",
    ] {
        for host in hosts {
            for tail in tails {
                let url = format!("{scheme}{host}{tail}");
                if let Some(plain) = plain_http_host(&url) {
                    let parsed = url::Url::parse(&url).unwrap();
                    assert!(matches!(parsed.scheme(), "http" | "https"), "{url}");
                    assert_eq!(parsed.host(), Some(url::Host::Domain(plain)), "{url}");
                    assert!(!plain.is_empty());
                }
            }
        }
    }
    assert_eq!(
        plain_http_host("https://shop.example.com/checkout?x=1"),
        Some("shop.example.com")
    );
    let long = format!("https://{}.{}.com/", "a".repeat(100), "9".repeat(70));
    assert_eq!(
        url::Url::parse(&long).unwrap().host_str(),
        plain_http_host(&long)
    );
    assert_eq!(plain_http_host("https://1.2.3.4/"), None);
    assert_eq!(plain_http_host("https://xn--bcher-kva.example/"), None);
}
