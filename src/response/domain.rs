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
use crate::model::page_url::plain_http_host;
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
mod tests;
