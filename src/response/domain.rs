//! Cookie domain: which `Domain` attribute `__oppref` / `__obref` get.
//!
//! With `auto`, the cookie should live on the site's registrable domain (eTLD+1 from the public
//! suffix list, e.g. `shop.example.co.uk` → `example.co.uk`) so every subdomain shares it. The
//! page's domain is used only if the collection host itself lies within it, because a browser
//! rejects a cookie for a domain the responding host is not part of; otherwise the collection
//! host's own registrable domain is used. The request host is `:authority`, or, behind a proxy
//! the configuration trusts, the host the proxy says the client addressed ([`request_host`]).
//! IPs, IPv6 literals, single-label hosts and anything that is not a well-formed DNS host name
//! get no `Domain` at all (the cookie then binds to the exact host): the `Host` header is
//! client-controlled, and a value such as `shop.example.com;Domain=evil.com` must never become
//! part of a `Set-Cookie` header.

use crate::config::CookieDomain;
use crate::request::RequestFacts;
use std::net::{IpAddr, SocketAddr};

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

/// The host the client addressed, which `auto` decides with: `:authority`, unless
/// `cookie.trust_forwarded_host` is on and a proxy in front named another one, in
/// `X-Forwarded-Host` (first value) or else `Forwarded` (`host=` of the first element). A
/// forwarded value that is neither a host name nor an IP address, each with an optional port
/// (`a b`, `shop/x`, `u@shop`), is passed over. Untrusted by default: without a proxy that sets
/// or strips these headers, a client could pick the domain its cookies are written for.
pub fn request_host(trust_forwarded: bool, request: &RequestFacts) -> Option<&str> {
    let authority = request.authority.as_deref();
    if !trust_forwarded {
        return authority;
    }
    [&request.x_forwarded_host, &request.forwarded_host]
        .into_iter()
        .filter_map(|host| host.as_deref())
        .find(|host| host_of_authority(host).is_some() || is_ip_authority(host))
        .or(authority)
}

/// `192.0.2.1`, `192.0.2.1:8080`, `[2001:db8::1]`, `[2001:db8::1]:443`.
fn is_ip_authority(value: &str) -> bool {
    let value = value.trim();
    value.parse::<SocketAddr>().is_ok()
        || value.parse::<IpAddr>().is_ok()
        || value
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'))
            .is_some_and(|v| v.parse::<std::net::Ipv6Addr>().is_ok())
}

/// [`decide`], answered from [`RecentDecisions`] when the same plain page host and the same
/// authority were seen lately: a site's hits repeat both, and validating, lower-casing and
/// comparing the two hosts costs about two thousand instructions per hit, a cache hit a few
/// comparisons. Only a page URL in the plain form is a key (its host is read without a URL
/// parse), and only a decision the page host made: when that host is not a valid name the
/// referer decides, and the referer is not part of the key.
fn auto_domain(
    page_location: Option<&str>,
    referer: Option<&str>,
    authority: Option<&str>,
) -> Option<String> {
    let key = page_location
        .and_then(plain_http_host)
        .zip(authority.map(str::trim));
    if let Some((page, authority)) = key {
        if let Some(known) = DECISIONS.with(|d| d.borrow().get(page, authority)) {
            return known;
        }
    }
    let decided = decide(page_location, referer, authority);
    if let Some((page, authority)) = key {
        if host_name(page).is_some() {
            DECISIONS.with(|d| d.borrow_mut().put(page, authority, decided.as_deref()));
        }
    }
    decided
}

/// The `auto` decision: the page's registrable domain if the request host lies within it,
/// else the request host's own.
fn decide(
    page_location: Option<&str>,
    referer: Option<&str>,
    authority: Option<&str>,
) -> Option<String> {
    let request_host = authority.and_then(host_of_authority);
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
        return host_name(host);
    }
    let parsed = url::Url::parse(url).ok()?;
    match parsed.host()? {
        // The URL parser lets characters such as `;` or `!` through in a domain.
        url::Host::Domain(d) => host_name(d),
        // An IP page never yields a registrable domain.
        _ => None,
    }
}

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

/// The host name of a `Host` / `:authority` value, `host` or `host:port`, lower-cased and
/// without port or trailing dot; `None` for IPv6 literals (`[::1]:8080`), IPs, and anything
/// that is not a well-formed host name (`;`, spaces, user info, a non-numeric port, …).
fn host_of_authority(authority: &str) -> Option<String> {
    let authority = authority.trim();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        Some(_) => return None,
        None => authority,
    };
    host_name(host)
}

/// Longest DNS name (RFC 1035), without the trailing dot.
const MAX_HOST_NAME: usize = 253;
/// Longest DNS label (RFC 1035).
const MAX_LABEL: usize = 63;

/// `host` lower-cased if it is a DNS host name a cookie `Domain` may carry: at most 253
/// characters of labels of 1–63 ASCII letters, digits and `-` (IDNs in their `xn--` form), no
/// label starting or ending with `-`, one trailing dot allowed and removed. A name whose last
/// label is all digits is an IPv4 address (or a fragment of one), not a name: `None`.
fn host_name(host: &str) -> Option<String> {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() || host.len() > MAX_HOST_NAME {
        return None;
    }
    let label_ok = |label: &[u8]| {
        (1..=MAX_LABEL).contains(&label.len())
            && label
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && label.first() != Some(&b'-')
            && label.last() != Some(&b'-')
    };
    let mut labels = host.as_bytes().split(|b| *b == b'.');
    let last = labels.next_back()?;
    let valid = label_ok(last) && !last.iter().all(u8::is_ascii_digit) && labels.all(label_ok);
    valid.then(|| host.to_ascii_lowercase())
}

/// eTLD+1 of a validated host name; `None` for single labels and public suffixes themselves.
/// Answered from [`RecentDomains`] when the host was seen lately: every hit of a site names the
/// same page host and collection host, and the list lookup costs several thousand instructions
/// per hit while a cache hit costs a few comparisons.
fn registrable(host: &str) -> Option<String> {
    if !host.contains('.') {
        return None;
    }
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some(known) = recent.get(host) {
            return known.map(str::to_owned);
        }
        let domain = super::public_suffix::registrable_domain(host);
        recent.put(host, domain);
        domain.map(str::to_owned)
    })
}

/// Most hosts whose registrable domain is remembered: a filter serves a handful of sites (their
/// page hosts and collection hosts); a flood of made-up hosts only cycles these slots.
const RECENT_HOSTS: usize = 8;

/// The registrable domains of the last [`RECENT_HOSTS`] hosts looked up, replaced oldest first.
/// Fixed-size and inline (8 × 253 bytes, no heap): nothing a request leaves behind.
struct RecentDomains {
    slots: [Remembered; RECENT_HOSTS],
    /// The slot the next new host replaces.
    next: usize,
}

/// One remembered host: its bytes, and where its registrable domain starts in it.
#[derive(Clone, Copy)]
struct Remembered {
    host: [u8; MAX_HOST_NAME],
    /// `0` for an unused slot (a looked-up host is never empty).
    len: usize,
    /// `None` when the host has no registrable domain.
    domain_at: Option<usize>,
}

impl RecentDomains {
    const EMPTY: RecentDomains = RecentDomains {
        slots: [Remembered {
            host: [0; MAX_HOST_NAME],
            len: 0,
            domain_at: None,
        }; RECENT_HOSTS],
        next: 0,
    };

    /// `Some(answer)` when `host` was looked up lately.
    fn get<'h>(&self, host: &'h str) -> Option<Option<&'h str>> {
        let known = self
            .slots
            .iter()
            .find(|slot| slot.len != 0 && slot.host.get(..slot.len) == Some(host.as_bytes()))?;
        Some(known.domain_at.and_then(|at| host.get(at..)))
    }

    /// Remembers `host` (a validated host name, at most [`MAX_HOST_NAME`] bytes) and its domain.
    fn put(&mut self, host: &str, domain: Option<&str>) {
        let Some(slot) = self.slots.get_mut(self.next) else {
            return;
        };
        let Some(bytes) = slot.host.get_mut(..host.len()) else {
            return;
        };
        bytes.copy_from_slice(host.as_bytes());
        slot.len = host.len();
        slot.domain_at = domain.map(|d| host.len().saturating_sub(d.len()));
        self.next = (self.next + 1) % RECENT_HOSTS;
    }
}

/// Longest authority a decision is remembered for: a host name, its trailing dot and a port.
const MAX_AUTHORITY: usize = MAX_HOST_NAME + 7;

/// The decisions for the last [`RECENT_HOSTS`] (page host, authority) pairs, replaced oldest
/// first. Fixed-size and inline like [`RecentDomains`] (8 × about 770 bytes, no heap).
struct RecentDecisions {
    slots: [Decision; RECENT_HOSTS],
    /// The slot the next new pair replaces.
    next: usize,
}

/// One remembered decision: the plain page host, the trimmed authority, and the domain.
#[derive(Clone, Copy)]
struct Decision {
    page: [u8; MAX_HOST_NAME],
    /// `0` for an unused slot (a plain page host is never empty).
    page_len: usize,
    authority: [u8; MAX_AUTHORITY],
    authority_len: usize,
    domain: [u8; MAX_HOST_NAME],
    /// `None` for a host-only cookie.
    domain_len: Option<usize>,
}

impl RecentDecisions {
    const EMPTY: RecentDecisions = RecentDecisions {
        slots: [Decision {
            page: [0; MAX_HOST_NAME],
            page_len: 0,
            authority: [0; MAX_AUTHORITY],
            authority_len: 0,
            domain: [0; MAX_HOST_NAME],
            domain_len: None,
        }; RECENT_HOSTS],
        next: 0,
    };

    /// `Some(decision)` when this page host and authority were decided lately.
    fn get(&self, page: &str, authority: &str) -> Option<Option<String>> {
        let known = self.slots.iter().find(|slot| {
            slot.page_len != 0
                && slot.page.get(..slot.page_len) == Some(page.as_bytes())
                && slot.authority.get(..slot.authority_len) == Some(authority.as_bytes())
        })?;
        Some(known.domain_len.map(|len| {
            let domain = known.domain.get(..len).unwrap_or_default();
            String::from_utf8_lossy(domain).into_owned()
        }))
    }

    /// Remembers a decision; pairs longer than a slot are not remembered (decided per hit).
    fn put(&mut self, page: &str, authority: &str, domain: Option<&str>) {
        let fits = page.len() <= MAX_HOST_NAME
            && authority.len() <= MAX_AUTHORITY
            && domain.is_none_or(|d| d.len() <= MAX_HOST_NAME);
        let Some(slot) = self.slots.get_mut(self.next).filter(|_| fits) else {
            return;
        };
        let (Some(p), Some(a)) = (
            slot.page.get_mut(..page.len()),
            slot.authority.get_mut(..authority.len()),
        ) else {
            return;
        };
        p.copy_from_slice(page.as_bytes());
        a.copy_from_slice(authority.as_bytes());
        slot.domain_len = None;
        if let Some(domain) = domain {
            let Some(d) = slot.domain.get_mut(..domain.len()) else {
                return;
            };
            d.copy_from_slice(domain.as_bytes());
            slot.domain_len = Some(domain.len());
        }
        slot.page_len = page.len();
        slot.authority_len = authority.len();
        self.next = (self.next + 1) % RECENT_HOSTS;
    }
}

thread_local! {
    /// Per VM (a proxy-wasm VM is single-threaded), so no lock and no sharing between workers.
    static RECENT: std::cell::RefCell<RecentDomains> =
        const { std::cell::RefCell::new(RecentDomains::EMPTY) };
    /// Per VM, as [`RECENT`].
    static DECISIONS: std::cell::RefCell<RecentDecisions> =
        const { std::cell::RefCell::new(RecentDecisions::EMPTY) };
}

#[cfg(test)]
mod tests {
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
}
