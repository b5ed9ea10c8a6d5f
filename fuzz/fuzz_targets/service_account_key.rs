//! Service-account keys as the configuration reads them from the VM environment: Google's JSON
//! key file with its PEM PKCS#8 RSA key. The input's first byte picks the layout: even, the
//! rest is the whole key file; odd, the rest's first line replaces the test key's
//! `private_key` and its second line the `token_uri`, so the PEM, DER and URI parsers get raw
//! bytes. A refusal says something and never quotes the private key (checked with a marker
//! put in the middle of it); an accepted key has an e-mail, an https token URI split into
//! authority and path, and signs a well-formed RS256 JWT.
#![no_main]
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::config::service_account::ServiceAccountKey;
use serde_json::Value;

const KEY_JSON: &str = include_str!("../../tests/fixtures/google/test-service-account.json");

fn key_file(data: &[u8]) -> Option<String> {
    let (&layout, rest) = data.split_first()?;
    if layout % 2 == 0 {
        return Some(String::from_utf8_lossy(rest).into_owned());
    }
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.splitn(2, '\n');
    let mut key: Value = serde_json::from_str(KEY_JSON).expect("the test key is JSON");
    if let Some(pem) = lines.next() {
        // `\n` written as two characters in the input stands for a line break of the PEM.
        key["private_key"] = pem.replace("\\n", "\n").into();
    }
    if let Some(uri) = lines.next() {
        key["token_uri"] = uri.into();
    }
    Some(key.to_string())
}

const MARKER: &str = "KEY-MARKER-9c1e";

/// The key file with a marker in the middle of its `private_key`, when it has one.
fn with_marked_key(file: &str) -> Option<String> {
    let mut value: Value = serde_json::from_str(file).ok()?;
    let private = value.get("private_key")?.as_str()?.to_owned();
    let mut middle = private.len() / 2;
    while !private.is_char_boundary(middle) {
        middle -= 1;
    }
    value["private_key"] = format!("{}{MARKER}{}", &private[..middle], &private[middle..]).into();
    Some(value.to_string())
}

fuzz_target!(|data: &[u8]| {
    let Some(file) = key_file(data) else {
        return;
    };
    match ServiceAccountKey::from_json(&file) {
        Err(message) => assert!(!message.is_empty()),
        Ok(key) => {
            assert!(key.client_email.contains('@'));
            let uri = &key.token_uri;
            assert!(uri.uri.starts_with("https://"), "{uri:?}");
            assert!(
                !uri.authority.is_empty()
                    && uri
                        .authority
                        .bytes()
                        .all(|b| b.is_ascii_graphic() && b != b'/'),
                "{uri:?}"
            );
            assert!(uri.path.starts_with('/'), "{uri:?}");
            let jwt = key.assertion(1_800_000_000);
            let parts: Vec<&str> = jwt.split('.').collect();
            assert_eq!(parts.len(), 3, "{jwt}");
            let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[0])
                .expect("the JWT header is base64url");
            let header: Value = serde_json::from_slice(&header).expect("the JWT header is JSON");
            assert_eq!(header["alg"], "RS256");
            assert!(!parts[2].is_empty(), "a signature");
        }
    }
    // Whatever is wrong with a key, its refusal never quotes the private key.
    if file.contains("MARKER") {
        return;
    }
    if let Some(marked) = with_marked_key(&file) {
        if let Err(message) = ServiceAccountKey::from_json(&marked) {
            assert!(
                !message.contains("MARKER"),
                "the error quotes the private key: {message}"
            );
        }
    }
});
