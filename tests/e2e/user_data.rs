//! `events[].user` in real Envoy against the strict stand-in: hashes Stape's Data Tag sends under
//! the plain keys, raw Measurement Protocol `user_data`, up to three values per list, Google's
//! name and phone hashes, IPv4-mapped addresses, and the `user_fields_skipped{reason}` counts.
//! Expected hashes are computed here with `sha2`, independently of the filter.

use crate::harness::{Env, Options};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Lowercase hex SHA-256 of an already-normalised value.
fn sha(normalised: &str) -> String {
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

/// The same digest in standard base64, as Stape's Data Tag writes it.
fn sha_b64(normalised: &str) -> String {
    STANDARD.encode(Sha256::digest(normalised.as_bytes()))
}

#[test]
fn data_tag_hashes_under_plain_keys_email_and_id_sent_phone_and_md5_counted() {
    let env = Env::start(Options::default());
    let md5_name = "b33a54a5a598e6d3356166652048ada9";
    let phone_hash = sha("14155552671");
    let body = json!({
        "event_name": "generate_lead",
        "page_location": "https://shop.example.com/",
        "email_address": sha_b64("a@b.co"),
        "phone_number": phone_hash,
        "user_id": sha_b64("Customer_ABC"),
        "first_name": md5_name,
        "last_name": "Love-lace"
    });
    let r = env.post(
        "/data",
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 204);
    let user = env.events_of_calls(1)[0]["user"].clone();
    assert_eq!(user["emails_sha256"], json!([sha("a@b.co")]), "{user}");
    assert_eq!(user["external_ids_sha256"], json!([sha("Customer_ABC")]));
    assert_eq!(user["last_names_sha256"], json!([sha("lovelace")]));
    assert_eq!(user.get("phone_numbers_sha256"), None, "{user}");
    assert_eq!(user.get("first_names_sha256"), None, "{user}");
    assert_eq!(
        env.wait_stat(
            "user_fields_skipped_hashed_phone",
            1,
            Duration::from_secs(10)
        ),
        1
    );
    assert_eq!(env.stat("user_fields_skipped_other_digest"), 1);
    assert_eq!(env.stat("user_fields_skipped"), 2, "no other reason");
    let log = env.log();
    assert!(
        log.contains("user field not sent (hashed_phone): phone:"),
        "{log}"
    );
    assert!(
        log.contains("user field not sent (other_digest): first_name:"),
        "{log}"
    );
    for value in [phone_hash.as_str(), md5_name] {
        assert!(!log.contains(value), "a dropped value reached the log");
    }
    env.assert_no_crash();
}

#[test]
fn mp_raw_user_data_is_hashed_three_values_sent_google_name_and_phone_hashes_counted() {
    let env = Env::start(Options::default());
    let body = json!({
        "client_id": "1.2",
        "ip_override": "::ffff:203.0.113.7",
        "user_data": {
            "email_address": [" Ada@Example.COM ", "b@c.de"],
            "sha256_email_address": [sha("b@c.de"), sha("c@d.co"), sha("e@f.co")],
            "phone_number": "+1 (415) 555-2671",
            "sha256_phone_number": [sha("+14155552671")],
            "address": [
                {"first_name": "Mary Jane", "last_name": "O'Connor", "city": "Oslo", "country": "no"},
                {"first_name": "Ada", "sha256_last_name": sha("lovelace"), "city": "Bergen"}
            ]
        },
        "events": [{"name": "sign_up", "params": {"page_location": "https://shop.example.com/"}}]
    });
    let r = env.post(
        "/mp/collect?measurement_id=G-SHOP&api_secret=MP-SECRET-123",
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 204);
    let user = env.events_of_calls(1)[0]["user"].clone();
    // The raw email is trimmed and lowercased before hashing, as for GA4; the Google hash of
    // b@c.de is the same value, so the third distinct email is c@d.co and e@f.co is not sent.
    assert_eq!(
        user["emails_sha256"],
        json!([sha("ada@example.com"), sha("b@c.de"), sha("c@d.co")]),
        "{user}"
    );
    assert_eq!(user["phone_numbers_sha256"], json!([sha("14155552671")]));
    assert_eq!(
        user["first_names_sha256"],
        json!([sha("maryjane"), sha("ada")])
    );
    assert_eq!(user["last_names_sha256"], json!([sha("oconnor")]));
    assert_eq!(user["cities"], json!(["Oslo", "Bergen"]));
    assert_eq!(user["countries"], json!(["NO"]));
    assert_eq!(user["ip_address"], json!("203.0.113.7"));
    assert_eq!(
        env.wait_stat(
            "user_fields_skipped_google_phone_hash",
            1,
            Duration::from_secs(10)
        ),
        1
    );
    assert_eq!(env.stat("user_fields_skipped_google_name_hash"), 1);
    assert_eq!(env.stat("user_fields_skipped"), 2, "no other reason");
    let log = env.log();
    for raw in ["Ada@Example", "b@c.de", "555-2671", "Mary Jane", "O'Connor"] {
        assert!(!log.contains(raw), "{raw} reached the log");
    }
    env.assert_no_crash();
}
