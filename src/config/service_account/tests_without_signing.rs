use super::*;

#[test]
fn without_the_service_account_feature_every_key_is_refused_saying_how_to_get_signing() {
    let fixture = include_str!("../../../tests/fixtures/google/test-service-account.json");
    assert_eq!(
        ServiceAccountKey::from_json(fixture).unwrap_err(),
        NO_SIGNING
    );
}
