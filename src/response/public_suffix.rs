//! Registrable domains (eTLD+1) from the Public Suffix List.
//!
//! The list is the vendored `data/public_suffix_list.dat`, compiled by `build.rs` into three
//! sorted tables (one string of lines each) that are binary-searched here. This replaces the `psl` crate deliberately:
//! that crate compiles the list into ~900 KB of matching code, nearly half of the filter's
//! `.wasm`, which every Envoy worker compiles at start; the tables are ~230 KB of plain data
//! and the algorithm below is the list's own, in a dozen lines.

mod tables {
    include!(concat!(env!("OUT_DIR"), "/public_suffix_tables.rs"));
}

/// Whether `name` is a line of `table`: names in byte order, joined by `\n`. A binary search
/// over the text: each probe widens to the line around it (rules are ~14 bytes long).
fn contains(table: &str, name: &str) -> bool {
    // `lo` and `hi` are line starts (or the end); the candidates lie between them.
    let (mut lo, mut hi) = (0, table.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let before = table.as_bytes().get(..mid).unwrap_or_default();
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let after = table.as_bytes().get(start..).unwrap_or_default();
        let end = after
            .iter()
            .position(|&b| b == b'\n')
            .map_or(table.len(), |i| start + i);
        match table.get(start..end).map(|line| line.cmp(name)) {
            Some(std::cmp::Ordering::Equal) => return true,
            Some(std::cmp::Ordering::Less) => lo = end + 1,
            Some(std::cmp::Ordering::Greater) => hi = start,
            None => return false,
        }
    }
    false
}

/// The registrable domain of a lower-case ASCII (punycode) host name, or `None` when the host
/// is itself a public suffix or has no label in front of one.
///
/// PSL algorithm: the longest matching rule wins, exception rules beat the wildcard they carve
/// out of, and when nothing matches the implicit rule `*` makes the last label the suffix.
pub fn registrable_domain(host: &str) -> Option<&str> {
    let host = host.trim_end_matches('.');
    if host.is_empty() || host.as_bytes().split(|b| *b == b'.').any(<[u8]>::is_empty) {
        return None;
    }
    // Byte offsets where each suffix starts: "a.b.c" → 0 ("a.b.c"), 2 ("b.c"), 4 ("c").
    // (Byte search: a dot is ASCII, so every offset is a character boundary.)
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            host.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'.')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let suffix_at = |i: usize| starts.get(i).and_then(|&s| host.get(s..));
    let mut public_suffix_index = starts.len().saturating_sub(1);
    for i in 0..starts.len() {
        let Some(suffix) = suffix_at(i) else { break };
        if contains(tables::EXCEPTIONS, suffix) {
            public_suffix_index = i + 1;
            break;
        }
        if contains(tables::RULES, suffix)
            || suffix_at(i + 1).is_some_and(|parent| contains(tables::WILDCARDS, parent))
        {
            public_suffix_index = i;
            break;
        }
    }
    // The registrable domain is the public suffix plus one more label.
    public_suffix_index.checked_sub(1).and_then(suffix_at)
}

#[cfg(test)]
mod tests {
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
}
