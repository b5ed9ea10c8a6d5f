use super::*;
use base64::Engine;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use sha2::Sha256;

pub const FIXTURE: &str = include_str!("../../../tests/fixtures/google/test-service-account.json");

fn decode(part: &str) -> serde_json::Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn assertion_is_an_rs256_jwt_for_the_insert_scope_signed_by_the_key() {
    let key = ServiceAccountKey::from_json(FIXTURE).unwrap();
    let jwt = key.assertion(1_700_000_000);
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = decode(parts[0]);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], "0123456789abcdef0123456789abcdef01234567");
    let claims = decode(parts[1]);
    assert_eq!(
        claims["iss"],
        "capi-logger@capi-test.iam.gserviceaccount.com"
    );
    assert_eq!(claims["scope"], INSERT_SCOPE);
    assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
    assert_eq!(claims["iat"], 1_700_000_000u64);
    assert_eq!(claims["exp"], 1_700_003_600u64);
    let verifying = VerifyingKey::<Sha256>::new(key.signing.0.as_ref().to_public_key());
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[2])
        .unwrap();
    let signed = format!("{}.{}", parts[0], parts[1]);
    verifying
        .verify(
            signed.as_bytes(),
            &Signature::try_from(sig.as_slice()).unwrap(),
        )
        .unwrap();
    // Deterministic: the same instant gives the same assertion.
    assert_eq!(jwt, key.assertion(1_700_000_000));
}

#[test]
fn token_uri_is_split_into_authority_and_path() {
    let key = ServiceAccountKey::from_json(FIXTURE).unwrap();
    assert_eq!(key.token_uri.authority, "oauth2.googleapis.com");
    assert_eq!(key.token_uri.path, "/token");
    assert!(key.grant_body(1).starts_with(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=ey"
    ));
}

#[test]
fn malformed_keys_are_refused_without_quoting_the_key() {
    let mut v: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    v["private_key"] =
        "-----BEGIN PRIVATE KEY-----\nMIIsecretbits\n-----END PRIVATE KEY-----\n".into();
    let e = ServiceAccountKey::from_json(&v.to_string()).unwrap_err();
    assert!(e.contains("private_key"), "{e}");
    assert!(!e.contains("secretbits"), "{e}");
    assert!(ServiceAccountKey::from_json("{}")
        .unwrap_err()
        .contains("missing field"));
    let mut v: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    v["token_uri"] = "http://oauth2.googleapis.com/token".into();
    assert!(ServiceAccountKey::from_json(&v.to_string())
        .unwrap_err()
        .contains("https"));
    let mut v: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    v["type"] = "authorized_user".into();
    assert!(ServiceAccountKey::from_json(&v.to_string()).is_err());
}

/// The fixture key file with another private key in it.
fn with_private_key(pem: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    v["private_key"] = pem.into();
    v.to_string()
}

#[test]
fn rsa_keys_of_2048_to_4096_bits_are_accepted_and_others_refused_without_quoting_them() {
    let pem = |bits: u32| match bits {
        2047 => include_str!("../../../tests/fixtures/google/test-only-rsa-2047.pem"),
        4096 => include_str!("../../../tests/fixtures/google/test-only-rsa-4096.pem"),
        _ => include_str!("../../../tests/fixtures/google/test-only-rsa-4098.pem"),
    };
    // The fixture's own key has 2048 bits.
    assert!(ServiceAccountKey::from_json(FIXTURE).is_ok());
    assert!(ServiceAccountKey::from_json(&with_private_key(pem(4096))).is_ok());
    for bits in [2047, 4098] {
        let e = ServiceAccountKey::from_json(&with_private_key(pem(bits))).unwrap_err();
        assert_eq!(
            e,
            format!(
                "\"private_key\" is a {bits}-bit RSA key; a service-account key must have 2048 \
                 to 4096 bits"
            )
        );
    }
}

#[test]
fn debug_output_hides_the_private_key() {
    let key = ServiceAccountKey::from_json(FIXTURE).unwrap();
    let text = format!("{key:?}");
    assert!(!text.contains("PRIVATE"));
    assert!(text.contains("redacted"));
}
