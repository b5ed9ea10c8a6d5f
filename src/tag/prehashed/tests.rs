use super::*;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

const HEX: &str = "bc4795ee8be72a7a92a83a67b1ad3de72cc8013906871a9e9f3ed884d7c4a4f5";
const B64URL: &str = "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpPU";
/// The same digest as Stape's Data Tag writes it: standard base64, padded (44 characters).
const B64: &str = "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpPU=";
/// MD5 and SHA-1 of "a@b.co".
const MD5: &str = "b33a54a5a598e6d3356166652048ada9";
const SHA1: &str = "22a9ae647493aaf5ebcefae33a1ecf69f684285f";

#[test]
fn data_tag_base64_sha256_is_decoded_to_hex() {
    assert_eq!(B64.len(), 44);
    assert_eq!(decode(B64).unwrap().as_str(), HEX);
    assert_eq!(decode(B64URL).unwrap().as_str(), HEX);
    assert_eq!(decode(&HEX.to_uppercase()).unwrap().as_str(), HEX);
    // A digest whose base64 holds `+` and `/` (standard alphabet).
    let bytes: Vec<u8> = (0..32u8).map(|i| 0xfb ^ i).collect();
    let std = STANDARD.encode(&bytes);
    assert!(std.contains('+') || std.contains('/'), "{std}");
    assert_eq!(decode(&std).unwrap().as_str(), hex_lower(&bytes));
    let url = URL_SAFE_NO_PAD.encode(&bytes);
    assert_eq!(decode(&url).unwrap().as_str(), hex_lower(&bytes));
    assert_eq!(
        decode(&URL_SAFE.encode(&bytes)).unwrap().as_str(),
        hex_lower(&bytes)
    );
}

#[test]
fn invalid_sha256_values_are_not_hashes() {
    for bad in [
        "a@b.co",
        "+49301234567",
        &HEX[..63],
        &format!("{HEX}0"),
        "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpP",
        "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEpPU==",
        "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNfEp!U",
        "vEeV7ovnKnqSqDpnsa095yzIATkGhxqenz7YhNf+p_U",
        MD5,
        "",
    ] {
        assert_eq!(decode(bad), None, "{bad}");
    }
}

#[test]
fn md5_and_sha1_digests_are_recognised_in_hex_and_base64() {
    let md5 = hex::decode(MD5).unwrap();
    let sha1 = hex::decode(SHA1).unwrap();
    for digest in [
        MD5.to_owned(),
        MD5.to_uppercase(),
        SHA1.to_owned(),
        STANDARD.encode(&md5),
        STANDARD_NO_PAD.encode(&md5),
        URL_SAFE_NO_PAD.encode(&sha1),
        STANDARD.encode(&sha1),
        format!(" {MD5} "),
    ] {
        assert!(is_other_digest(&digest), "{digest}");
    }
    for not in [
        HEX,
        B64,
        "a@b.co",
        "+1 (415) 555-2671",
        "4155552671",
        "Wolfeschlegelsteinhaus",
        "12345678-1234-1234-1234-123456789012",
        &MD5[..31],
        &format!("{}=", STANDARD_NO_PAD.encode(&md5)),
    ] {
        assert!(!is_other_digest(not), "{not}");
    }
}

fn verdicts(origin: Origin, value: &str) -> [Verdict; 5] {
    [
        HashedField::Email,
        HashedField::Phone,
        HashedField::FirstName,
        HashedField::LastName,
        HashedField::ExternalId,
    ]
    .map(|field| judge(field, origin, value))
}

#[test]
fn an_override_sha256_is_passed_through_for_every_field() {
    let pass = Verdict::Pass(Sha256Hex::from_hex(HEX).unwrap());
    for value in [HEX, B64, B64URL] {
        assert_eq!(
            verdicts(Origin::Override, value),
            [(); 5].map(|()| pass.clone())
        );
    }
}

#[test]
fn a_sha256_under_a_plain_key_is_passed_for_email_and_external_id_only() {
    let pass = Verdict::Pass(Sha256Hex::from_hex(HEX).unwrap());
    assert_eq!(
        verdicts(Origin::Plain, B64),
        [
            pass.clone(),
            Verdict::Skip(SkipReason::HashedPhone),
            Verdict::Skip(SkipReason::HashedName),
            Verdict::Skip(SkipReason::HashedName),
            pass,
        ]
    );
}

#[test]
fn google_hashes_are_passed_for_email_only() {
    let pass = Verdict::Pass(Sha256Hex::from_hex(HEX).unwrap());
    let [email, phone, first, last, _] = verdicts(Origin::Google, HEX);
    assert_eq!(email, pass);
    assert_eq!(phone, Verdict::Skip(SkipReason::GooglePhoneHash));
    assert_eq!(first, Verdict::Skip(SkipReason::GoogleNameHash));
    assert_eq!(last, Verdict::Skip(SkipReason::GoogleNameHash));
    let not_a_hash = Verdict::Skip(SkipReason::NotASha256);
    assert_eq!(
        verdicts(Origin::Google, "a@b.co")[..4],
        [(); 4].map(|()| not_a_hash.clone())
    );
}

#[test]
fn other_digests_are_dropped_except_as_external_ids() {
    let other = Verdict::Skip(SkipReason::OtherDigest);
    for origin in [Origin::Plain, Origin::Override] {
        assert_eq!(
            verdicts(origin, MD5),
            [
                other.clone(),
                other.clone(),
                other.clone(),
                other.clone(),
                Verdict::Raw
            ],
            "{origin:?}"
        );
    }
    assert_eq!(
        verdicts(Origin::Plain, "a@b.co"),
        [(); 5].map(|()| Verdict::Raw)
    );
}

#[test]
fn skip_reasons_have_stable_codes_and_series() {
    let all = [
        (SkipReason::GooglePhoneHash, "google_phone_hash"),
        (SkipReason::GoogleNameHash, "google_name_hash"),
        (SkipReason::HashedPhone, "hashed_phone"),
        (SkipReason::HashedName, "hashed_name"),
        (SkipReason::OtherDigest, "other_digest"),
        (SkipReason::NotASha256, "not_a_sha256"),
    ];
    for (reason, code) in all {
        assert_eq!(reason.code(), code);
        assert_eq!(
            reason.counter().name(),
            format!("user_fields_skipped.reason.{code}")
        );
        let text = FieldSkip {
            field: HashedField::FirstName,
            reason,
        }
        .to_string();
        assert!(text.starts_with("first_name:"), "{text}");
    }
}
