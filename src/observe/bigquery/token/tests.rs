use super::*;

fn metadata() -> Tokens {
    Tokens::new(TokenSource::Metadata {
        cluster: "metadata".into(),
    })
}

#[test]
fn metadata_fetch_carries_the_flavor_header_and_path() {
    let mut t = metadata();
    let f = t.fetch(0, 0).unwrap();
    assert_eq!(f.cluster, "metadata");
    assert!(f.headers.contains(&(":method", "GET".into())));
    assert!(f.headers.contains(&(":path", METADATA_PATH.into())));
    assert!(f
        .headers
        .contains(&(":authority", "metadata.google.internal".into())));
    assert!(f.headers.contains(&("metadata-flavor", "Google".into())));
    assert_eq!(f.body, None);
}

#[test]
fn at_most_one_fetch_is_in_flight() {
    let mut t = metadata();
    assert!(t.fetch(0, 0).is_some());
    assert!(t.fetch(1, 0).is_none());
    t.fetched(
        200,
        br#"{"access_token":"ya29.a","expires_in":3599,"token_type":"Bearer"}"#,
        10,
    )
    .unwrap();
    assert_eq!(t.current(10).unwrap().expose(), "ya29.a");
    assert!(t.fetch(11, 0).is_none());
}

#[test]
fn token_is_cached_until_five_minutes_before_expiry() {
    let mut t = metadata();
    t.fetch(0, 0);
    t.fetched(200, br#"{"access_token":"ya29.a","expires_in":3600}"#, 1000)
        .unwrap();
    let refresh_at = 1000 + 3_300_000;
    assert!(t.current(refresh_at - 1).is_some());
    assert!(t.current(refresh_at).is_none());
    assert!(t.fetch(refresh_at, 0).is_some());
}

#[test]
fn short_lived_tokens_are_used_for_half_their_life() {
    let mut t = metadata();
    t.fetch(0, 0);
    t.fetched(200, br#"{"access_token":"ya29.a","expires_in":60}"#, 0)
        .unwrap();
    assert!(t.current(29_999).is_some());
    assert!(t.current(30_000).is_none());
}

#[test]
fn failed_fetches_back_off_and_never_quote_the_body() {
    let mut t = metadata();
    t.fetch(0, 0);
    let reason = t.fetched(500, b"secret-ish body", 0).unwrap_err();
    assert!(reason.contains("500") && !reason.contains("secret"));
    assert!(t.fetch(999, 0).is_none());
    assert!(t.fetch(1000, 0).is_some());
    let reason = t.failed(1000);
    assert!(reason.contains("unreachable"));
    assert!(t.fetch(2999, 0).is_none());
    assert!(t.fetch(3000, 0).is_some());
    assert!(t
        .fetched(200, b"{\"access_token\":\"\",\"expires_in\":5}", 3000)
        .is_err());
}

#[test]
fn a_token_living_less_than_a_minute_is_an_error_and_the_next_fetch_waits_for_the_backoff() {
    let mut t = metadata();
    assert!(t.fetch(0, 0).is_some());
    let reason = t
        .fetched(200, br#"{"access_token":"ya29.short","expires_in":0}"#, 0)
        .unwrap_err();
    assert_eq!(
        reason,
        "token lifetime (expires_in) of 0 s is below the 60 s minimum"
    );
    assert!(t.current(0).is_none());
    assert!(t.fetch(999, 0).is_none(), "no refetch before the backoff");
    assert!(t.fetch(1000, 0).is_some());
    assert!(t
        .fetched(
            200,
            br#"{"access_token":"ya29.short","expires_in":59}"#,
            1000
        )
        .is_err());
    assert!(t.fetch(2999, 0).is_none(), "the backoff doubles");
    assert!(t.fetch(3000, 0).is_some());
    t.fetched(200, br#"{"access_token":"ya29.ok","expires_in":60}"#, 3000)
        .unwrap();
    assert_eq!(t.current(3000).unwrap().expose(), "ya29.ok");
}

#[test]
fn a_401_discards_the_cached_token() {
    let mut t = metadata();
    t.fetch(0, 0);
    t.fetched(200, br#"{"access_token":"ya29.a","expires_in":3600}"#, 0)
        .unwrap();
    assert!(t.refreshable());
    t.invalidate();
    assert!(t.current(1).is_none());
    assert!(t.fetch(1, 0).is_some());
}

#[test]
fn a_static_token_is_always_current_and_never_fetched() {
    let mut t = Tokens::new(TokenSource::Static(Secret::new("lit".into())));
    assert_eq!(t.current(u64::MAX).unwrap().expose(), "lit");
    assert!(t.fetch(0, 0).is_none());
    assert!(!t.refreshable());
}

#[cfg(feature = "service-account")]
#[test]
fn service_account_fetch_posts_the_jwt_bearer_grant_to_the_token_uri() {
    let key = ServiceAccountKey::from_json(include_str!(
        "../../../../tests/fixtures/google/test-service-account.json"
    ))
    .unwrap();
    let mut t = Tokens::new(TokenSource::ServiceAccount {
        key: Box::new(key),
        cluster: "oauth2".into(),
    });
    let f = t.fetch(0, 1_700_000_000).unwrap();
    assert_eq!(f.cluster, "oauth2");
    assert!(f.headers.contains(&(":method", "POST".into())));
    assert!(f.headers.contains(&(":path", "/token".into())));
    assert!(f
        .headers
        .contains(&(":authority", "oauth2.googleapis.com".into())));
    let body = String::from_utf8(f.body.unwrap()).unwrap();
    assert!(body.contains("grant-type%3Ajwt-bearer&assertion="));
}
