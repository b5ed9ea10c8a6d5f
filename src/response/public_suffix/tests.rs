use super::*;

#[test]
fn tables_are_sorted_for_binary_search() {
    for t in [tables::RULES, tables::WILDCARDS, tables::EXCEPTIONS] {
        let lines: Vec<&str> = t.split('\n').collect();
        assert!(lines.windows(2).all(|w| w[0] < w[1]));
        assert!(lines.iter().all(|l| !l.is_empty()));
    }
    assert!(tables::RULES.split('\n').count() > 9000);
}

#[test]
fn every_line_of_a_table_is_found_and_nothing_between_them() {
    for t in [tables::RULES, tables::WILDCARDS, tables::EXCEPTIONS] {
        for line in t.split('\n') {
            assert!(contains(t, line), "{line}");
            // Just before and just after it in byte order, and a prefix of it.
            assert!(!contains(t, &format!("{line}\u{1}")), "{line}");
            assert!(
                !contains(t, &line[..line.len() - 1])
                    || t.split('\n').any(|l| l == &line[..line.len() - 1])
            );
        }
    }
    assert!(!contains(tables::RULES, ""));
    assert!(!contains(tables::RULES, "\u{7f}"));
    assert!(!contains("", "com"));
    assert!(contains("com", "com"));
}

#[test]
fn publicsuffix_org_test_vectors() {
    // From the list maintainers' test file (checkPublicSuffix cases).
    let cases = [
        ("com", None),
        ("example.com", Some("example.com")),
        ("www.example.com", Some("example.com")),
        ("uk.com", None),
        ("example.uk.com", Some("example.uk.com")),
        ("b.example.uk.com", Some("example.uk.com")),
        ("c.kobe.jp", None),
        ("b.c.kobe.jp", Some("b.c.kobe.jp")),
        ("a.b.c.kobe.jp", Some("b.c.kobe.jp")),
        ("city.kobe.jp", Some("city.kobe.jp")),
        ("www.city.kobe.jp", Some("city.kobe.jp")),
        ("ck", None),
        ("test.ck", None),
        ("b.test.ck", Some("b.test.ck")),
        ("www.ck", Some("www.ck")),
        ("www.www.ck", Some("www.ck")),
        ("us", None),
        ("test.ak.us", Some("test.ak.us")),
        ("www.test.ak.us", Some("test.ak.us")),
        ("example.co.uk", Some("example.co.uk")),
        ("www.shop.example.co.uk", Some("example.co.uk")),
        ("xn--85x722f.com.cn", Some("xn--85x722f.com.cn")),
        (
            "www.xn--85x722f.xn--55qx5d.cn",
            Some("xn--85x722f.xn--55qx5d.cn"),
        ),
        ("xn--55qx5d.cn", None),
        ("me.github.io", Some("me.github.io")),
        ("github.io", None),
        // Unknown TLD: the implicit "*" rule.
        ("example.example", Some("example.example")),
        ("b.example.example", Some("example.example")),
        ("example", None),
    ];
    for (host, expected) in cases {
        assert_eq!(registrable_domain(host), expected, "{host}");
    }
}

#[test]
fn malformed_hosts_have_no_registrable_domain() {
    for host in ["", ".", "a..com", ".com"] {
        assert_eq!(registrable_domain(host), None, "{host:?}");
    }
    assert_eq!(registrable_domain("example.com."), Some("example.com"));
}
