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

// Two attributes rather than `cfg(all(..))`: clippy recognises test code by `#[cfg(test)]`.
#[cfg(test)]
#[cfg(feature = "service-account")]
mod tests;

#[cfg(test)]
#[cfg(not(feature = "service-account"))]
mod tests_without_signing;
