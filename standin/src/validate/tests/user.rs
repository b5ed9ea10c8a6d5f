//! The rules of `user`: hash lists, the raw fields and legacy singular names.

use super::super::user::HASH_LISTS;
use super::*;

#[test]
fn user_hash_lists() {
    for field in HASH_LISTS {
        let p = format!("events[0].user.{field}");
        let set = |v: Value| after(|b| ev0(b)["user"][field] = v);
        assert_one(
            &set(json!([
                "B4C9A289323B21A01C3E940F150EB9B8C542587F1ABFD8F0E1CC1FFC5E475514"
            ])),
            &format!("{p}[0]"),
            "must be lowercase 64-char hex",
        );
        assert_one(
            &set(json!([
                "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e47551"
            ])),
            &format!("{p}[0]"),
            "must be lowercase 64-char hex",
        );
        assert_one(
            &set(json!(["user@example.com"])),
            &format!("{p}[0]"),
            "must be lowercase 64-char hex",
        );
        assert_one(&set(json!([])), &p, "empty array");
        assert_one(
            &set(json!(
                "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"
            )),
            &p,
            "array",
        );
        assert_one(&set(json!([1])), &format!("{p}[0]"), "string");
    }
    let two = after(|b| {
        ev0(b)["user"]["emails_sha256"] = json!([
            "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514",
            "NOT-HEX"
        ])
    });
    assert_one(&two, "events[0].user.emails_sha256[1]", "hex");
}

#[test]
fn user_raw_fields() {
    let set = |field: &str, v: Value| after(|b| ev0(b)["user"][field] = v);
    assert_one(
        &set("countries", json!(["us"])),
        "events[0].user.countries[0]",
        "2-letter uppercase",
    );
    assert_one(
        &set("countries", json!(["USA"])),
        "events[0].user.countries[0]",
        "2-letter uppercase",
    );
    assert_one(
        &set("countries", json!([])),
        "events[0].user.countries",
        "empty array",
    );
    assert_one(
        &set("cities", json!([""])),
        "events[0].user.cities[0]",
        "empty",
    );
    assert_one(
        &set("cities", json!(["x".repeat(129)])),
        "events[0].user.cities[0]",
        "128",
    );
    assert!(set("cities", json!(["é".repeat(128)])).is_empty());
    assert_one(
        &set("regions", json!(["  "])),
        "events[0].user.regions[0]",
        "blank",
    );
    assert_one(
        &set("regions", json!([])),
        "events[0].user.regions",
        "empty array",
    );
    assert_one(
        &set("postal_codes", json!(["941_07"])),
        "events[0].user.postal_codes[0]",
        "letters, digits",
    );
    assert_one(
        &set("postal_codes", json!(["1".repeat(33)])),
        "events[0].user.postal_codes[0]",
        "1 to 32",
    );
    assert!(set("postal_codes", json!(["SW1A 1AA", "12345-6789"])).is_empty());
    assert_one(&set("obref", json!(" ")), "events[0].user.obref", "blank");
    assert_one(
        &set("ip_address", json!("999.1.1.1")),
        "events[0].user.ip_address",
        "IPv4 or IPv6",
    );
    assert!(set("ip_address", json!("2001:db8::1")).is_empty());
    assert_one(
        &set("user_agent", json!("")),
        "events[0].user.user_agent",
        "empty",
    );
    assert_one(
        &set("android_advertising_id", json!("not-a-uuid")),
        "events[0].user.android_advertising_id",
        "UUID",
    );
    assert!(set(
        "android_advertising_id",
        json!("38400000-8cf0-11bd-b23e-10b96e40000d")
    )
    .is_empty());
}

#[test]
fn user_unknown_and_legacy_fields() {
    for legacy in [
        "email_sha256",
        "external_id_sha256",
        "city",
        "zip_code",
        "country",
        "phone_number_sha256",
    ] {
        let p = format!("events[0].user.{legacy}");
        assert_one(
            &after(|b| ev0(b)["user"][legacy] = json!("x")),
            &p,
            "legacy singular field",
        );
    }
    assert_one(
        &after(|b| ev0(b)["user"]["date_of_births_sha256"] = json!([])),
        "events[0].user.date_of_births_sha256",
        "unknown field",
    );
    assert_one(
        &after(|b| ev0(b)["user"] = json!({})),
        "events[0].user",
        "empty object",
    );
    assert_one(
        &after(|b| ev0(b)["user"] = json!([])),
        "events[0].user",
        "object",
    );
}
