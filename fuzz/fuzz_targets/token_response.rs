//! BigQuery access-token answers (the metadata server's and the OAuth token endpoint's JSON)
//! through the token cache: the input's first two bytes are the HTTP status (big-endian), the
//! rest the body. Whatever the answer: a token is taken only from a 200 and is the answer's
//! `access_token`, usable as a header value and not fetched again at once; a refused answer
//! leaves no token and backs off before the next fetch; the reason given never quotes the answer (checked with the answer's
//! `access_token` replaced by a marker).
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::observe::bigquery::token::{TokenSource, Tokens};
use serde_json::Value;

const NOW_MS: u64 = 1_800_000_000_000;
const MARKER: &str = "ya29.TOKEN-MARKER";

fn answer(status: u16, body: &[u8]) -> (Tokens, Result<(), String>) {
    let mut tokens = Tokens::new(TokenSource::Metadata {
        cluster: "metadata".into(),
    });
    assert!(tokens.fetch(NOW_MS, NOW_MS / 1000).is_some());
    let result = tokens.fetched(status, body, NOW_MS);
    (tokens, result)
}

fuzz_target!(|data: &[u8]| {
    let Some((status, body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = u16::from_be_bytes(*status);
    // Lossy: the cache's parser skips unknown fields without checking their UTF-8, and a
    // token it takes is valid UTF-8, so unchanged here.
    let parsed: Option<Value> = serde_json::from_str(&String::from_utf8_lossy(body)).ok();
    let (mut tokens, result) = answer(status, body);
    assert!(!tokens.is_fetching());
    match result {
        Ok(()) => {
            assert_eq!(status, 200, "a token taken from an HTTP {status} answer");
            // serde also reads a struct from an array of its fields in order: `["t", 3600]`.
            let given = parsed
                .as_ref()
                .and_then(|v| v.get("access_token").or_else(|| v.get(0)))
                .and_then(Value::as_str)
                .expect("a token taken from an answer without an access_token");
            // An accepted token lives long enough that it is not fetched again at once (a
            // tiny `expires_in` is refused, so it never starts a refetch loop).
            assert!(
                tokens.fetch(NOW_MS, NOW_MS / 1000).is_none(),
                "fetched again at once after an accepted answer"
            );
            if let Some(token) = tokens.current(NOW_MS) {
                assert_eq!(token.expose(), given.trim());
                assert!(
                    !token.expose().is_empty()
                        && token.expose().bytes().all(|b| (0x20..0x7f).contains(&b)),
                    "a token unfit for a header"
                );
            }
        }
        Err(reason) => {
            assert!(!reason.is_empty());
            assert!(
                tokens.current(NOW_MS).is_none(),
                "a token kept from a refused answer"
            );
            assert!(
                tokens.fetch(NOW_MS, NOW_MS / 1000).is_none(),
                "fetched again at once after a refused answer"
            );
        }
    }
    // The same answer carrying a marker as its token: whatever the outcome, no reason quotes it.
    if let Some(Value::Object(mut object)) = parsed {
        if body.windows(6).any(|w| w == b"MARKER") {
            return;
        }
        object.insert("access_token".into(), MARKER.into());
        let marked = serde_json::to_vec(&object).expect("a JSON object serializes");
        if let (_, Err(reason)) = answer(status, &marked) {
            assert!(!reason.contains("MARKER"), "{reason}");
        }
    }
});
