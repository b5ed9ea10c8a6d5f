//! Injection through request-derived values: a `Host` header must not smuggle attributes into
//! `Set-Cookie`, and a request value must never forge or split an Envoy log line.

use crate::harness::{Env, Options};
use std::time::Duration;

const HIT: &str = "/g/collect?v=2&cid=1.2&_p=5&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F";

#[test]
fn a_host_header_with_cookie_attributes_writes_no_domain() {
    let env = Env::start(Options::default());
    let r = env.get(
        &format!("{HIT}&_s=1"),
        &[("Host", "shop.example.com;Domain=evil.com")],
    );
    assert_eq!(r.status, 204);
    let cookies = r.set_cookies();
    let obref = r
        .cookie("__obref")
        .expect("browser id cookie still written");
    for c in &cookies {
        let lower = c.to_ascii_lowercase();
        assert!(!lower.contains("evil"), "attribute injected: {c}");
        assert!(
            !lower.contains("domain="),
            "no Domain for an invalid host: {c}"
        );
    }
    assert!(obref.contains("; Path=/;"), "{obref}");

    // A well-formed host with a port still gets its registrable domain.
    let r = env.get(
        &format!("{HIT}&_s=2"),
        &[("Host", "Shop.Example.com:10000")],
    );
    assert_eq!(r.status, 204);
    let obref = r.cookie("__obref").expect("browser id cookie");
    assert!(obref.contains("; Domain=example.com;"), "{obref}");
    assert_eq!(
        env.wait_stat("events_sent", 2, Duration::from_secs(5)),
        2,
        "both hits still delivered"
    );
    env.assert_no_crash();
}
