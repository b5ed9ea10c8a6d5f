//! Tag logic seen from outside: what OpenAI receives for real GA4 hits, cookies, consent and
//! overrides. Every payload here must also be accepted by the strict stand-in.

use crate::harness::{Env, Options};
use serde_json::json;
use std::time::Duration;

const PAGE: &str = "https%3A%2F%2Fshop.example.com%2Fcheckout%2Fthank-you";

#[test]
fn ga4_purchase_with_two_items_produces_the_exact_payload() {
    let env = Env::start(Options::default());
    let hit = format!(
        "/g/collect?v=2&tid=G-SHOP&cid=111.222&_p=1700000000123&_s=4&en=purchase&dl={PAGE}&cu=USD\
         &ep.transaction_id=T-1001&epn.value=59.97\
         &pr1=idSKU_1~nmTee~pr19.99~qt2&pr2=idSKU_2~nmCap~pr19.99~qt1~caHats"
    );
    let r = env.get(
        &hit,
        &[("Host", "shop.example.com"), ("User-Agent", "UA-test")],
    );
    assert_eq!(r.status, 204);
    let e = env.only_event();
    assert_eq!(e["type"], json!("order_created"));
    assert_eq!(
        e["id"],
        json!("T-1001"),
        "transaction_id is the id of an order"
    );
    assert_eq!(
        e["data"],
        json!({
            "type": "contents",
            "amount": 5997,
            "currency": "USD",
            "contents": [
                {"id": "SKU_1", "name": "Tee", "content_type": "product", "quantity": 2, "amount": 1999},
                {"id": "SKU_2", "name": "Cap", "content_type": "product", "quantity": 1, "amount": 1999}
            ]
        })
    );
    assert_eq!(
        e["source_url"],
        json!("https://shop.example.com/checkout/thank-you")
    );
    assert_eq!(e["user"]["user_agent"], json!("UA-test"));
}

#[test]
fn cookies_on_the_request_become_oppref_and_obref_and_are_refreshed() {
    let env = Env::start(Options::default());
    let r = env.get(
        &format!("/g/collect?v=2&cid=1.2&en=page_view&dl={PAGE}"),
        &[
            ("Host", "shop.example.com"),
            (
                "Cookie",
                "_ga=GA1.1.1.2; __oppref=gAAAAold-click==; __obref=b-0001",
            ),
        ],
    );
    let e = env.only_event();
    assert_eq!(e["oppref"], json!("gAAAAold-click=="));
    assert_eq!(e["user"]["obref"], json!("b-0001"));
    assert_eq!(
        r.cookie("__oppref"),
        Some("__oppref=gAAAAold-click==; Domain=example.com; Path=/; Max-Age=2592000; Secure; SameSite=Lax")
    );
    assert_eq!(
        r.cookie("__obref"),
        Some("__obref=b-0001; Domain=example.com; Path=/; Max-Age=31536000; Secure; SameSite=Lax")
    );
}

#[test]
fn consent_required_denies_and_grants() {
    let env = Env::start(Options {
        filter: json!({"consent": {"mode": "required"}}),
        ..Options::default()
    });
    let base = format!("/g/collect?v=2&cid=1.2&en=page_view&dl={PAGE}%3Foppref%3Dc1");
    // Denied (gcs ad_storage 0): nothing sent, no cookie.
    let denied = env.get(
        &format!("{base}&_s=1&gcs=G100"),
        &[("Host", "shop.example.com")],
    );
    assert_eq!(denied.status, 204);
    assert!(denied.set_cookies().is_empty());
    // Denied by Consent Mode v2 (gcd ad_storage letter p) even though gcs says granted.
    let denied_v2 = env.get(
        &format!("{base}&_s=2&gcs=G111&gcd=13p3t3t2t5l1"),
        &[("Host", "shop.example.com")],
    );
    assert!(denied_v2.set_cookies().is_empty());
    assert_eq!(
        env.wait_stat("events_skipped_consent_denied", 2, Duration::from_secs(10)),
        2
    );
    // Granted, but ad_user_data denied: sent without identifier hashes.
    let granted = env.get(
        &format!("{base}&_s=3&gcd=13t3t3p2t5l1&uid=CUST-9&ep.email=a%40b.co"),
        &[("Host", "shop.example.com")],
    );
    assert!(granted.cookie("__oppref").is_some());
    let e = env.only_event();
    assert_eq!(e["oppref"], json!("c1"));
    assert!(
        e["user"].get("emails_sha256").is_none() && e["user"].get("external_ids_sha256").is_none(),
        "{e}"
    );
    assert!(e["user"].get("ip_address").is_some());
}

#[test]
fn header_and_cookie_overrides_land_in_the_payload() {
    let env = Env::start(Options {
        filter: json!({
            "server_event_data": {"overrides": {"id": "{{header.x-order-id}}"}},
            "user_data": {"overrides": {"external_id": "{{cookie.customer}}", "country": "de"}}
        }),
        ..Options::default()
    });
    env.get(
        &format!("/g/collect?v=2&cid=1.2&en=page_view&dl={PAGE}"),
        &[
            ("Host", "shop.example.com"),
            ("X-Order-Id", "ORD-77"),
            ("Cookie", "customer=Cust-ABC"),
        ],
    );
    let e = env.only_event();
    assert_eq!(e["id"], json!("ORD-77"));
    // sha256("Cust-ABC"): external ids keep their case.
    assert_eq!(
        e["user"]["external_ids_sha256"],
        json!(["b7a3d00db71d39ef5f787d7f25c038691e3b8fa622af3f78d85a26a000f2de03"]),
        "{e}"
    );
    assert_eq!(e["user"]["countries"], json!(["DE"]));
}
