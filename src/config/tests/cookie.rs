//! The rules of `cookie`: cookie lifetimes, domain and `SameSite`.

use super::*;

#[test]
fn cookie_rules() {
    assert_eq!(
        field_of(with(&["click_id_cookie", "expiration_days"], json!(0))),
        "click_id_cookie.expiration_days"
    );
    assert_eq!(
        field_of(with(&["browser_id_cookie", "expiration_days"], json!(401))),
        "browser_id_cookie.expiration_days"
    );
    assert_eq!(
        field_of(with(&["cookie", "same_site"], json!("sometimes"))),
        "cookie.same_site"
    );
    assert_eq!(
        field_of(with(&["cookie", "domain"], json!("exa mple.com"))),
        "cookie.domain"
    );
    assert_eq!(
        field_of(with(&["cookie", "domain"], json!("example.com; HttpOnly"))),
        "cookie.domain"
    );
    assert_eq!(
        parse(with(&["cookie", "domain"], json!("AUTO")))
            .unwrap()
            .cookie
            .domain,
        CookieDomain::Auto
    );
    assert_eq!(
        parse(with(&["cookie", "domain"], json!(".shop.example.com")))
            .unwrap()
            .cookie
            .domain,
        CookieDomain::Fixed(".shop.example.com".into())
    );
    assert_eq!(
        parse(with(&["cookie", "same_site"], json!("None")))
            .unwrap()
            .cookie
            .same_site,
        SameSite::None
    );
}

#[test]
fn forwarded_host_is_not_trusted_unless_configured() {
    assert!(!parse(minimal()).unwrap().cookie.trust_forwarded_host);
    assert!(
        parse(with(&["cookie", "trust_forwarded_host"], json!(true)))
            .unwrap()
            .cookie
            .trust_forwarded_host
    );
    assert_eq!(
        field_of(with(&["cookie", "trust_forwarded_host"], json!("yes"))),
        "cookie.trust_forwarded_host"
    );
}
