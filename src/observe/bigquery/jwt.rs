//! Service-account credentials: a Google service-account JSON key, and the RS256-signed JWT
//! assertion that the OAuth 2.0 JWT bearer grant exchanges for an access token.
//!
//! The key is parsed once at configuration time, so a malformed key is a config error rather
//! than a stream of failed token fetches. Its modulus must have [`MIN_KEY_BITS`] to
//! [`MAX_KEY_BITS`] bits: Google issues 2048-bit keys, and a larger one would make every
//! signature (one per token fetch, on the worker's thread) cost far more. The private key never leaves this type: it has no
//! `Debug` output beyond the account's e-mail, and only signatures are handed out. PKCS#1 v1.5
//! signing is deterministic, so no randomness is needed inside the VM.
//!
//! Signing is the one use of RSA in the filter, and RSA is a large share of the `.wasm`, so it
//! is compiled only with the `service-account` cargo feature. Without it [`Signing`] has no
//! values: a key can never be parsed, and the configuration refuses one before it gets here
//! (the metadata server and a literal token need no signing and are always in).

use serde::Deserialize;
use std::fmt;

/// The scope the token is asked for: streaming inserts only, nothing else in the project.
pub const INSERT_SCOPE: &str = "https://www.googleapis.com/auth/bigquery.insertdata";
/// How long an assertion is valid; Google accepts at most one hour.
const ASSERTION_LIFETIME_S: u64 = 3600;
/// Longest key file accepted (a real one is about 2.3 KB).
const MAX_KEY_BYTES: usize = 16 * 1024;
/// Smallest RSA modulus accepted: below it a key is too weak (and Google issues none).
pub const MIN_KEY_BITS: usize = 2048;
/// Largest RSA modulus accepted: signing cost grows with the cube of the size.
pub const MAX_KEY_BITS: usize = 4096;

/// Where the token exchange goes: the key's `token_uri`, split for an Envoy callout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUri {
    /// The full URI, the assertion's `aud`.
    pub uri: String,
    pub authority: String,
    pub path: String,
}

/// A parsed service-account key.
#[derive(Clone)]
pub struct ServiceAccountKey {
    pub client_email: String,
    key_id: Option<String>,
    pub token_uri: TokenUri,
    signing: Signing,
}

/// Whether this build can sign service-account assertions (the `service-account` feature).
pub const SIGNING_BUILT_IN: bool = cfg!(feature = "service-account");

/// The RS256 signer of a parsed key.
#[cfg(feature = "service-account")]
#[derive(Clone)]
struct Signing(rsa::pkcs1v15::SigningKey<sha2::Sha256>);

/// Without the `service-account` feature there is no signer, so no key.
#[cfg(not(feature = "service-account"))]
#[derive(Clone)]
enum Signing {}

#[cfg(feature = "service-account")]
impl Signing {
    /// The key's RSA private key, of [`MIN_KEY_BITS`] to [`MAX_KEY_BITS`] bits.
    fn from_pem(pem: &str) -> Result<Signing, String> {
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::traits::PublicKeyParts;
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|_| "\"private_key\" is not a PEM PKCS#8 RSA private key".to_owned())?;
        let bits = private.n().bits();
        if !(MIN_KEY_BITS..=MAX_KEY_BITS).contains(&bits) {
            return Err(format!(
                "\"private_key\" is a {bits}-bit RSA key; a service-account key must have \
                 {MIN_KEY_BITS} to {MAX_KEY_BITS} bits"
            ));
        }
        Ok(Signing(rsa::pkcs1v15::SigningKey::new(private)))
    }

    fn sign(&self, input: &[u8]) -> Vec<u8> {
        use rsa::signature::{SignatureEncoding, Signer};
        self.0.sign(input).to_vec()
    }
}

#[cfg(not(feature = "service-account"))]
impl Signing {
    fn from_pem(_pem: &str) -> Result<Signing, String> {
        Err(NO_SIGNING.to_owned())
    }

    fn sign(&self, _input: &[u8]) -> Vec<u8> {
        match *self {}
    }
}

/// Why a build without the `service-account` feature refuses a key.
pub const NO_SIGNING: &str = "this build has no service-account signing (RSA is left out to keep \
     the .wasm small): build with `make build FEATURES=service-account`, or use \
     access_token.gcp_metadata or a token";

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ServiceAccountKey({}, [private key redacted])",
            self.client_email
        )
    }
}

impl PartialEq for ServiceAccountKey {
    fn eq(&self, other: &Self) -> bool {
        self.client_email == other.client_email
            && self.key_id == other.key_id
            && self.token_uri == other.token_uri
    }
}

#[derive(Deserialize)]
struct RawKey {
    #[serde(rename = "type")]
    kind: String,
    client_email: String,
    private_key: String,
    #[serde(default)]
    private_key_id: Option<String>,
    token_uri: String,
}

impl ServiceAccountKey {
    /// Parses the JSON key file Google issues. The error says what is wrong without quoting
    /// any of the key.
    pub fn from_json(text: &str) -> Result<ServiceAccountKey, String> {
        if text.len() > MAX_KEY_BYTES {
            return Err(format!("key file is larger than {MAX_KEY_BYTES} bytes"));
        }
        let raw: RawKey = serde_json::from_str(text).map_err(|e| {
            // serde's message names the missing field; it never quotes a string value.
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or("").to_owned();
            format!("not a service-account JSON key: {message}")
        })?;
        if raw.kind != "service_account" {
            return Err(format!(
                "\"type\" is {:?}, not \"service_account\"",
                raw.kind
            ));
        }
        if raw.client_email.trim().is_empty() || !raw.client_email.contains('@') {
            return Err("\"client_email\" is not an e-mail address".to_owned());
        }
        let signing = Signing::from_pem(&raw.private_key)?;
        Ok(ServiceAccountKey {
            client_email: raw.client_email.trim().to_owned(),
            key_id: raw.private_key_id.filter(|k| !k.is_empty()),
            token_uri: token_uri(&raw.token_uri)?,
            signing,
        })
    }

    /// The signed JWT (`header.claims.signature`, base64url without padding) for the insert
    /// scope, issued at `now_s` (Unix seconds).
    pub fn assertion(&self, now_s: u64) -> String {
        let header = match &self.key_id {
            Some(kid) => serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid}),
            None => serde_json::json!({"alg": "RS256", "typ": "JWT"}),
        };
        let claims = serde_json::json!({
            "iss": self.client_email,
            "scope": INSERT_SCOPE,
            "aud": self.token_uri.uri,
            "iat": now_s,
            "exp": now_s.saturating_add(ASSERTION_LIFETIME_S),
        });
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = self.signing.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", b64(&signature))
    }

    /// The form body of the JWT bearer grant.
    pub fn grant_body(&self, now_s: u64) -> String {
        format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={}",
            self.assertion(now_s)
        )
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `token_uri` must be an absolute https URL; the callout needs its host and path.
fn token_uri(text: &str) -> Result<TokenUri, String> {
    let url = url::Url::parse(text.trim())
        .map_err(|_| "\"token_uri\" is not an absolute URL".to_owned())?;
    let host = url
        .host_str()
        .filter(|_| url.scheme() == "https")
        .ok_or_else(|| "\"token_uri\" must be an https URL".to_owned())?;
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    Ok(TokenUri {
        uri: url.as_str().to_owned(),
        authority,
        path,
    })
}

#[cfg(all(test, not(feature = "service-account")))]
mod tests_without_signing {
    use super::*;

    #[test]
    fn without_the_service_account_feature_every_key_is_refused_saying_how_to_get_signing() {
        let fixture = include_str!("../../../tests/fixtures/google/test-service-account.json");
        assert_eq!(
            ServiceAccountKey::from_json(fixture).unwrap_err(),
            NO_SIGNING
        );
    }
}

#[cfg(all(test, feature = "service-account"))]
mod tests {
    use super::*;
    use base64::Engine;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use sha2::Sha256;

    pub const FIXTURE: &str =
        include_str!("../../../tests/fixtures/google/test-service-account.json");

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
}
