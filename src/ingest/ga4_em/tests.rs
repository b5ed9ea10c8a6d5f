use super::*;
use crate::test_support::event_json as json;

const HEX: &str = "bc4795ee8be72a7a92a83a67b1ad3de72cc8013906871a9e9f3ed884d7c4a4f5";
const B64: &str = "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpPU";

fn decode(raw: &str) -> (Value<'static>, Vec<String>) {
    let mut event = EventData::new();
    let mut notes = Vec::new();
    decode_into(raw, &mut event, &mut notes);
    (Value::from(event), notes)
}

#[test]
fn base64url_and_hex_hashes_become_the_same_lowercase_hex() {
    assert_eq!(hash_hex(B64).as_deref(), Some(HEX));
    assert_eq!(hash_hex(&HEX.to_uppercase()).as_deref(), Some(HEX));
    assert_eq!(hash_hex(&format!("{B64}=")).as_deref(), Some(HEX));
    assert_eq!(hash_hex("abc"), None);
    assert_eq!(hash_hex(&"z".repeat(64)), None);
    assert_eq!(hash_hex(&"!".repeat(43)), None);
}

#[test]
fn full_bundle_in_any_order() {
    let (got, notes) = decode(&format!(
        "tv.1~co0.DE~em.{B64}~pn.{HEX}~fn0.{HEX}~ln0.{B64}~sa0.{HEX}~ct0.bad%20wenigstadt\
         ~rg0.by~pc0.11234~em.{HEX}~fn0.{}",
        "a".repeat(64)
    ));
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        got,
        json!({"user_data": {
            "sha256_email_address": HEX, "sha256_phone_number": HEX,
            "address": {"sha256_first_name": HEX, "sha256_last_name": HEX,
                        "sha256_street": HEX, "city": "bad wenigstadt", "region": "by",
                        "postal_code": "11234", "country": "DE"}
        }})
    );
}

#[test]
fn repeated_em_and_pn_and_three_addresses_become_arrays() {
    let (a, b, c, d) = (
        "a".repeat(64),
        "b".repeat(64),
        "c".repeat(64),
        "d".repeat(64),
    );
    let (got, notes) = decode(&format!(
        "tv.1~em.{a}~em.{B64}~em.{a}~em.{b}~em.{c}~pn.{b}~pn.{c}~pn.{d}~pn.{a}\
         ~fn0.{a}~ct0.oslo~fn1.{b}~co1.NO~ct2.molde~fn3.{c}~ct12.bod%C3%B8~fn01.{d}"
    ));
    assert!(notes.is_empty(), "{notes:?}");
    // Three distinct emails and phones, first seen first; addresses 0..2 (index 01 is 1,
    // whose first name was already set; 3 and 12 are past the third).
    assert_eq!(
        got,
        json!({"user_data": {
            "sha256_email_address": [a, HEX, b],
            "sha256_phone_number": [b, c, d],
            "address": [{"sha256_first_name": a, "city": "oslo"},
                        {"sha256_first_name": b, "country": "NO"},
                        {"city": "molde"}]
        }})
    );
}

#[test]
fn em_addresses_extend_an_address_object_from_event_params_into_an_array() {
    let mut event = EventData::new();
    event.insert("user_data".to_owned(), json!({"address": {"city": "Oslo"}}));
    let mut notes = Vec::new();
    decode_into("tv.1~ct0.bergen~co0.NO~ct1.molde", &mut event, &mut notes);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        Value::from(event),
        json!({"user_data": {"address": [{"city": "Oslo", "country": "NO"},
                                         {"city": "molde"}]}})
    );
}

#[test]
fn stubs_missing_prefix_error_codes_and_bad_hashes() {
    let (got, notes) = decode("tv.1");
    assert_eq!(got, json!({}));
    assert_eq!(notes, vec!["parameter `em` carries no user data"]);

    let (got, notes) = decode(&format!("em.{HEX}"));
    assert_eq!(got, json!({}));
    assert!(notes[0].contains("lacks the `tv.1` prefix"));

    let (got, notes) = decode(&format!("tv.1~ec.e3~em.e12~pn.{B64}"));
    assert_eq!(got, json!({"user_data": {"sha256_phone_number": HEX}}));
    assert_eq!(
        notes,
        vec!["`em` field `em` carries an error code; ignored"]
    );

    let (got, notes) = decode("tv.1~em.not-a-hash~co0.NO");
    assert_eq!(got, json!({"user_data": {"address": {"country": "NO"}}}));
    assert_eq!(
        notes,
        vec!["`em` field `em` is not a SHA-256 hash; ignored"]
    );
}

#[test]
fn never_overwrites_user_data_from_event_params() {
    let mut event = EventData::new();
    event.insert(
        "user_data".to_owned(),
        json!({"sha256_email_address": "first", "address": [{"city": "Oslo"}]}),
    );
    let mut notes = Vec::new();
    decode_into(
        &format!("tv.1~em.{HEX}~ct0.bergen~co0.NO"),
        &mut event,
        &mut notes,
    );
    assert_eq!(
        Value::from(event),
        json!({"user_data": {"sha256_email_address": "first",
                             "address": [{"city": "Oslo", "country": "NO"}]}})
    );
}
