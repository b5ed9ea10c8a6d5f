//! Cookie domain and `Set-Cookie` values: the input's lines are the page URL, the `Referer`,
//! the `Host`, the cookie value, and the `X-Forwarded-Host` and `Forwarded` headers of a
//! trusted proxy (parsed as request facts). Whatever they hold, the request host is one of the
//! header values given, and a written cookie is one header value of RFC 6265 octets whose
//! `Domain` (if any) is a plain host name.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::config::{Config, CookieDomain};
use openai_capi_filter::request::RequestFacts;
use openai_capi_filter::response::{cookie, domain};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let mut next = || lines.next().filter(|l| !l.is_empty());
    let (page, referer, host, value) = (next(), next(), next(), next());
    let (x_forwarded_host, forwarded) = (next(), next());
    let mut headers = vec![(":path".to_owned(), b"/g/collect".to_vec())];
    for (name, value) in [
        (":authority", host),
        ("x-forwarded-host", x_forwarded_host),
        ("forwarded", forwarded),
    ] {
        if let Some(value) = value {
            headers.push((name.to_owned(), value.as_bytes().to_vec()));
        }
    }
    let Some(facts) = RequestFacts::from_headers(&headers, None) else {
        return;
    };
    let host = domain::request_host(true, &facts);
    if let Some(chosen) = host {
        assert!(
            [
                facts.authority.as_deref(),
                facts.x_forwarded_host.as_deref(),
                facts.forwarded_host.as_deref()
            ]
            .contains(&Some(chosen)),
            "request host {chosen:?} is none of the headers"
        );
    }
    let config = openai_capi_filter_fuzz::config();
    let Some(found) = domain::cookie_domain(&CookieDomain::Auto, page, referer, host) else {
        return check(config, value.unwrap_or("v"), None);
    };
    assert!(
        found
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
        "domain {found:?}"
    );
    check(config, value.unwrap_or("v"), Some(&found));
});

fn check(config: &Config, value: &str, domain: Option<&str>) {
    if let Some(header) = cookie::set_cookie(
        "__oppref",
        value,
        &config.click_id_cookie,
        &config.cookie,
        domain,
    ) {
        assert!(
            header.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "{header:?}"
        );
        // A value cannot hold `;` or a space, so every `; Domain=` is an attribute.
        assert_eq!(
            header.matches("; Domain=").count(),
            usize::from(domain.is_some())
        );
    }
}
