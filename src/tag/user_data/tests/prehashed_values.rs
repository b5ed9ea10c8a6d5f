//! Pre-hashed values by field and source: passed through, or dropped with a counted reason.

use super::*;

/// SHA-256 of "a@b.co": hex, and standard base64 as Stape's Data Tag writes it (44 characters).
const EMAIL_HEX: &str = "80305c9bb1bb2480e03894350e0a8a366dcbdeb302e69e0817aa0743abd77054";
const EMAIL_B64: &str = "gDBcm7G7JIDgOJQ1DgqKNm3L3rMC5p4IF6oHQ6vXcFQ=";
/// SHA-256 of "ada" in standard base64.
const ADA_B64: &str = "/e5DDUC9V97qwYbNl5ADPQ8G+QmogG585ucXq3x9UCk=";
/// MD5 of "a@b.co".
const MD5: &str = "b33a54a5a598e6d3356166652048ada9";

fn b64(digest: &Sha256Hex) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(hex::decode(digest.as_str()).unwrap())
}

#[test]
fn data_tag_base64_email_under_plain_key_is_passed_through_as_hex() {
    assert_eq!(b64(&hex(EMAIL_HEX)), EMAIL_B64);
    let b64url = EMAIL_B64.trim_end_matches('=').replace('+', "-");
    for event in [
        json!({"user_data": {"email_address": EMAIL_B64}}),
        json!({"email_address": EMAIL_B64}),
        json!({"email": b64url}),
        json!({"user_data": {"email": EMAIL_HEX.to_uppercase()}}),
    ] {
        let (user, skipped) = build_skips(&automap(), event.clone());
        assert_eq!(user.emails_sha256, vec![hex(EMAIL_HEX)], "{event}");
        assert!(skipped.is_empty(), "{event}");
    }
}

#[test]
fn data_tag_hashed_user_id_is_passed_through() {
    let id = sha("Customer_ABC");
    for value in [b64(&id), id.as_str().to_uppercase()] {
        let built = build(&automap(), json!({ "user_id": value }));
        assert_eq!(built.external_ids_sha256, vec![id.clone()], "{value}");
    }
}

#[test]
fn data_tag_hashed_phone_is_dropped_as_hashed_phone() {
    let phone = sha("14155552671");
    for value in [b64(&phone), phone.as_str().to_owned()] {
        let (user, skipped) =
            build_skips(&automap(), json!({"user_data": {"phone_number": value}}));
        assert!(user.phone_numbers_sha256.is_empty(), "{value}");
        assert_eq!(
            skipped,
            vec![skip(HashedField::Phone, SkipReason::HashedPhone)],
            "{value}"
        );
    }
}

#[test]
fn data_tag_hashed_names_are_dropped_as_hashed_name() {
    let (user, skipped) = build_skips(
        &automap(),
        json!({"user_data": {"address": {"first_name": ADA_B64, "last_name": sha("lovelace").as_str()}}}),
    );
    assert!(user.first_names_sha256.is_empty() && user.last_names_sha256.is_empty());
    assert_eq!(
        skipped,
        vec![
            skip(HashedField::FirstName, SkipReason::HashedName),
            skip(HashedField::LastName, SkipReason::HashedName)
        ]
    );
}

#[test]
fn google_name_hash_is_dropped_and_counted() {
    // GA4 `em` fn0/ln0 and Measurement Protocol `sha256_first_name` land here.
    let (user, skipped) = build_skips(
        &automap(),
        json!({"user_data": {"sha256_email_address": EMAIL_B64,
                             "address": {"sha256_first_name": ADA_B64,
                                         "sha256_last_name": sha("lovelace").as_str()}}}),
    );
    assert!(user.first_names_sha256.is_empty() && user.last_names_sha256.is_empty());
    assert_eq!(
        user.emails_sha256,
        vec![hex(EMAIL_HEX)],
        "a Google email hash is sent"
    );
    assert_eq!(
        skipped,
        vec![
            skip(HashedField::FirstName, SkipReason::GoogleNameHash),
            skip(HashedField::LastName, SkipReason::GoogleNameHash)
        ]
    );
}

#[test]
fn google_phone_hash_is_skipped_with_a_reason() {
    // GA4 `em` `pn` and MP `user_data.sha256_phone_number` both land here.
    let (user, skipped) = build_skips(
        &automap(),
        json!({"user_data": {"sha256_phone_number": A665, "sha256_email_address": A665}}),
    );
    assert!(user.phone_numbers_sha256.is_empty());
    assert_eq!(
        user.emails_sha256,
        vec![hex(A665)],
        "email hashes are still used"
    );
    assert_eq!(
        skipped,
        vec![skip(HashedField::Phone, SkipReason::GooglePhoneHash)]
    );
}

#[test]
fn google_phone_hash_raw_phone_and_override_are_still_used() {
    let (user, skipped) = build_skips(
        &automap(),
        json!({"user_data": {"phone_number": "+1 (415) 555-2671", "sha256_phone_number": A665}}),
    );
    assert_eq!(user.phone_numbers_sha256, vec![sha("14155552671")]);
    assert_eq!(
        skipped,
        vec![skip(HashedField::Phone, SkipReason::GooglePhoneHash)],
        "the raw phone is sent; the hash beside it is counted, one per value not sent"
    );
    let overridden = UserData {
        automap: true,
        overrides: UserOverrides {
            phone: lit(json!(A665)),
            ..Default::default()
        },
    };
    let (user, skipped) = build_skips(
        &overridden,
        json!({"user_data": {"sha256_phone_number": A665}}),
    );
    assert_eq!(
        user.phone_numbers_sha256,
        vec![hex(A665)],
        "an explicit hash is used"
    );
    assert!(skipped.is_empty(), "an override wins: automap is not read");
}

#[test]
fn an_override_sha256_is_passed_through_for_every_hashed_field() {
    for value in [A665.to_uppercase(), format!(" {A665} "), b64(&hex(A665))] {
        let built = build(
            &manual(UserOverrides {
                email: lit(json!(value)),
                phone: lit(json!(value)),
                first_name: lit(json!(value)),
                last_name: lit(json!(value)),
                external_id: lit(json!(value)),
                ..Default::default()
            }),
            json!({}),
        );
        let expected = vec![hex(A665)];
        assert_eq!(built.emails_sha256, expected, "{value}");
        assert_eq!(built.phone_numbers_sha256, expected, "{value}");
        assert_eq!(built.first_names_sha256, expected, "{value}");
        assert_eq!(built.last_names_sha256, expected, "{value}");
        assert_eq!(built.external_ids_sha256, expected, "{value}");
    }
}

#[test]
fn md5_under_email_key_is_dropped_as_other_digest() {
    let (user, skipped) = build_skips(&automap(), json!({"email": MD5}));
    assert!(user.emails_sha256.is_empty(), "never hashed as an address");
    assert_eq!(
        skipped,
        vec![skip(HashedField::Email, SkipReason::OtherDigest)]
    );
}

#[test]
fn sha1_and_base64_md5_under_phone_and_name_keys_are_dropped_as_other_digest() {
    use base64::Engine;
    let sha1 = "22a9ae647493aaf5ebcefae33a1ecf69f684285f";
    let md5_b64 = base64::engine::general_purpose::STANDARD.encode(hex::decode(MD5).unwrap());
    let (user, skipped) = build_skips(
        &automap(),
        json!({"phone_number": sha1, "user_data": {"address": {"first_name": md5_b64}}}),
    );
    assert!(user.is_empty());
    assert_eq!(
        skipped,
        vec![
            skip(HashedField::Phone, SkipReason::OtherDigest),
            skip(HashedField::FirstName, SkipReason::OtherDigest)
        ]
    );
}

#[test]
fn a_32_hex_user_id_is_hashed_as_an_id_not_dropped() {
    // A UUID without its hyphens: 32 hex characters, like an MD5.
    let id = "3f2504e04f8941d39a0c0305e82c3301";
    let (user, skipped) = build_skips(&automap(), json!({ "user_id": id }));
    assert_eq!(user.external_ids_sha256, vec![sha(id)]);
    assert!(skipped.is_empty());
}

#[test]
fn an_md5_override_is_dropped_as_other_digest_and_the_automapped_value_stays() {
    let config = UserData {
        automap: true,
        overrides: UserOverrides {
            email: lit(json!(MD5)),
            ..Default::default()
        },
    };
    let (user, skipped) = build_skips(&config, json!({"email": "a@b.co"}));
    assert_eq!(user.emails_sha256, vec![hex(EMAIL_HEX)]);
    assert_eq!(
        skipped,
        vec![skip(HashedField::Email, SkipReason::OtherDigest)]
    );
}

#[test]
fn invalid_sha256_values_are_dropped_with_a_reason_never_rehashed() {
    let (user, skipped) = build_skips(
        &automap(),
        json!({"user_data": {"sha256_email_address": "a@b.co", "sha256_phone_number": "x",
                             "address": {"sha256_first_name": "Ada", "sha256_last_name": "zz"}}}),
    );
    assert!(user.is_empty(), "not the hash of the text");
    let not_a_sha256 = |field| skip(field, SkipReason::NotASha256);
    assert_eq!(
        skipped,
        vec![
            not_a_sha256(HashedField::Email),
            not_a_sha256(HashedField::Phone),
            not_a_sha256(HashedField::FirstName),
            not_a_sha256(HashedField::LastName),
        ]
    );
    // A raw key beside it is still used; the junk is counted.
    let (user, skipped) = build_skips(
        &automap(),
        json!({"email": "A@b.co", "user_data": {"sha256_email_address": "junk"}}),
    );
    assert_eq!(user.emails_sha256, vec![sha("a@b.co")]);
    assert_eq!(skipped, vec![not_a_sha256(HashedField::Email)]);
}

#[test]
fn stripped_identifiers_record_no_skips() {
    let mut skipped = Vec::new();
    let user = build_user(
        &automap(),
        &data(json!({"email": MD5, "user_data": {"sha256_phone_number": A665}})),
        &request(),
        true,
        None,
        &mut skipped,
    );
    assert!(user.is_empty());
    assert!(skipped.is_empty());
}
