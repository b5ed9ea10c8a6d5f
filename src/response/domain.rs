//! Cookie domain: which `Domain` attribute `__oppref` / `__obref` get (SPEC §7).
//!
//! With `auto`, the cookie should live on the site's registrable domain (eTLD+1 from the public
//! suffix list, e.g. `shop.example.co.uk` → `example.co.uk`) so every subdomain shares it. The
//! page's domain is used only if the collection host itself lies within it, because a browser
//! rejects a cookie for a domain the responding host is not part of; otherwise the collection
//! host's own registrable domain is used. IPs and single-label hosts get no `Domain` at all
//! (the cookie then binds to the exact host).

use crate::config::CookieDomain;
use std::net::IpAddr;

/// The `Domain` attribute value, or `None` for a host-only cookie.
pub fn cookie_domain(
    setting: &CookieDomain,
    page_location: Option<&str>,
    referer: Option<&str>,
    authority: Option<&str>,
) -> Option<String> {
    match setting {
        CookieDomain::Fixed(domain) => Some(domain.clone()),
        CookieDomain::Auto => auto_domain(page_location, referer, authority),
    }
}

fn auto_domain(
    page_location: Option<&str>,
    referer: Option<&str>,
    authority: Option<&str>,
) -> Option<String> {
    let request_host = authority.map(host_of_authority).filter(|h| !h.is_empty());
    let page_domain = page_location
        .and_then(url_host)
        .or_else(|| referer.and_then(url_host))
        .and_then(|host| registrable(&host));
    if let (Some(page), Some(host)) = (&page_domain, &request_host) {
        if host == page || host.ends_with(&format!(".{page}")) {
            return page_domain;
        }
    }
    registrable(&request_host?)
}

/// The host of an absolute URL, lower-cased.
fn url_host(url: &str) -> Option<String> {
    if let Some(host) = plain_http_host(url) {
        return Some(host.to_owned());
    }
    let parsed = url::Url::parse(url).ok()?;
    match parsed.host()? {
        url::Host::Domain(d) => Some(d.to_ascii_lowercase()),
        // An IP page never yields a registrable domain.
        _ => None,
    }
}

/// `host[:port]` or `[v6]:port` → lower-case host without port.
/// The host of an `http`/`https` URL in the plain form nearly every page URL has, read without
/// a full URL parse: lowercase scheme, no user info or port, and a host of non-empty labels of
/// lowercase ASCII letters, digits and `-`, none starting with `xn--` (punycode, which the URL
/// parser validates), the last one letters only (a host ending in a number is an IPv4 address to
/// the parser). For such a URL `url::Url::parse` always succeeds, with exactly this host as a
/// domain; the page URL is checked and read per event (as `source_url`, and here), and a full
/// parse costs several thousand instructions. `None` for any other form: the caller parses.
pub(crate) fn plain_http_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let host = rest.get(..end)?;
    let plain_label = |label: &[u8]| {
        !label.is_empty()
            && !label.starts_with(b"xn--")
            && label
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
    };
    let mut labels = host.as_bytes().split(|b| *b == b'.');
    let last = labels.next_back()?;
    let plain =
        plain_label(last) && last.iter().all(u8::is_ascii_lowercase) && labels.all(plain_label);
    plain.then_some(host)
}

fn host_of_authority(authority: &str) -> String {
    let a = authority.trim();
    let host = if let Some(rest) = a.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        a.rsplit_once(':').map_or(a, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                a
            }
        })
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// eTLD+1 of a host name; `None` for IPs, single labels and public suffixes themselves.
fn registrable(host: &str) -> Option<String> {
    if host.parse::<IpAddr>().is_ok() || !host.contains('.') {
        return None;
    }
    super::public_suffix::registrable_domain(host).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
