//! Up to three distinct values per list, from arrays, repeated keys, addresses and overrides.

use super::*;

#[test]
fn three_distinct_emails_from_array_and_keys() {
    let built = build(
        &automap(),
        json!({"email": " A@b.co", "email_address": "a@B.co",
               "user_data": {"email": ["c@d.co", "a@b.co", "e@f.co", "g@h.co"]}}),
    );
    // Distinct after normalisation, first seen first; the fourth distinct value is not sent.
    assert_eq!(
        built.emails_sha256,
        vec![sha("a@b.co"), sha("c@d.co"), sha("e@f.co")]
    );
}

#[test]
fn a_raw_email_and_its_google_hash_are_one_value() {
    let built = build(
        &automap(),
        json!({"email": "a@b.co", "user_data": {"sha256_email_address": sha("a@b.co").as_str(),
                                                "email_address": "c@d.co"}}),
    );
    assert_eq!(built.emails_sha256, vec![sha("a@b.co"), sha("c@d.co")]);
}

#[test]
fn phones_and_external_ids_take_up_to_three_values() {
    let built = build(
        &automap(),
        json!({"phone": ["+1 415 555 2671", "12345", "+49 30 1234567"],
               "user_data": {"phone_number": ["+44 20 7946 0958", "+33 1 23 45 67 89"]},
               "user_id": ["u-1", "u-2", "u-1", "u-3", "u-4"]}),
    );
    assert_eq!(
        built.phone_numbers_sha256,
        vec![sha("14155552671"), sha("49301234567"), sha("442079460958")],
        "the invalid one is dropped, the next valid one counts"
    );
    assert_eq!(
        built.external_ids_sha256,
        vec![sha("u-1"), sha("u-2"), sha("u-3")]
    );
}

#[test]
fn an_array_of_junk_is_examined_only_up_to_its_candidate_bound() {
    let digests: Vec<String> = (0..50).map(|i| format!("{i:032x}")).collect();
    let (user, skipped) = build_skips(
        &automap(),
        json!({"email": digests, "user_data": {"email": "a@b.co"}}),
    );
    assert_eq!(
        skipped.len(),
        MAX_CANDIDATES,
        "each examined value is counted"
    );
    assert!(
        user.emails_sha256.is_empty(),
        "sources after the bound are not read"
    );
}

#[test]
fn address_array_gives_up_to_three_addresses() {
    let built = build(
        &automap(),
        json!({"user_data": {"address": [
            {"first_name": "Ada", "last_name": "Lovelace", "city": "Oslo", "country": "no", "postal_code": "0150"},
            "not an address",
            {"first_name": "Bob", "city": "Bergen", "region": "46", "country": "NO"},
            {"first_name": "Dee", "city": "Trondheim"}
        ]}}),
    );
    // Addresses 0..2: element 1 is no object, element 3 is past the third.
    assert_eq!(built.first_names_sha256, vec![sha("ada"), sha("bob")]);
    assert_eq!(built.last_names_sha256, vec![sha("lovelace")]);
    assert_eq!(built.cities, vec!["Oslo", "Bergen"]);
    assert_eq!(built.regions, vec!["46"]);
    assert_eq!(built.countries, vec!["NO"], "distinct after normalisation");
    assert_eq!(built.postal_codes, vec!["0150"]);
}

#[test]
fn zero_keyed_address_objects_give_up_to_three_addresses() {
    let built = build(
        &automap(),
        json!({"user_data": {"address": {"0": {"city": "Oslo"}, "1": {"city": "Bergen"},
                                         "2": {"city": "Molde"}, "3": {"city": "Bodø"}}}}),
    );
    assert_eq!(built.cities, vec!["Oslo", "Bergen", "Molde"]);
}

#[test]
fn an_array_override_gives_up_to_three_values_and_wins_entirely() {
    let config = UserData {
        automap: true,
        overrides: UserOverrides {
            email: Some(ValueSource::Event("crm.emails".into())),
            city: Some(ValueSource::Event("crm.cities".into())),
            ..Default::default()
        },
    };
    let built = build(
        &config,
        json!({"email": "auto@example.com",
               "crm": {"emails": ["x@y.co", "junk", "z@y.co", "w@y.co", "v@y.co"],
                       "cities": ["Oslo"]},
               "user_data": {"address": {"city": "Bergen"}}}),
    );
    assert_eq!(
        built.emails_sha256,
        vec![sha("x@y.co"), sha("junk"), sha("z@y.co")],
        "an email is only trimmed and lowercased: any text is a value"
    );
    assert_eq!(
        built.cities,
        vec!["Oslo"],
        "the automapped city is not added"
    );
}

#[test]
fn an_override_without_a_valid_value_leaves_the_automapped_values() {
    let config = UserData {
        automap: true,
        overrides: UserOverrides {
            phone: Some(ValueSource::Event("crm.phones".into())),
            ..Default::default()
        },
    };
    let built = build(
        &config,
        json!({"crm": {"phones": ["123", "x"]}, "phone": ["+1 415 555 2671", "+49 30 1234567"]}),
    );
    assert_eq!(
        built.phone_numbers_sha256,
        vec![sha("14155552671"), sha("49301234567")]
    );
}

#[test]
fn ip_user_agent_and_obref_stay_single_values() {
    let built = build(
        &automap(),
        json!({"ip_override": ["203.0.113.7", "198.51.100.1"], "user_agent": ["UA/1", "UA/2"]}),
    );
    assert_eq!(built.ip_address.as_deref(), Some("203.0.113.7"));
    assert_eq!(built.user_agent.as_deref(), Some("UA/1"));
}

#[test]
fn lists_without_values_never_allocate() {
    let built = build(&automap(), json!({"email": "a@b.co"}));
    assert_eq!(built.emails_sha256, vec![sha("a@b.co")]);
    assert_eq!(built.phone_numbers_sha256.capacity(), 0);
    assert_eq!(built.cities.capacity(), 0);
}

#[test]
fn a_value_repeated_under_two_keys_is_examined_and_counted_once() {
    // The Data Client copies a flat `phone_number` into `user_data.phone_number`.
    let hashed = sha("14155552671");
    let (user, skipped) = build_skips(
        &automap(),
        json!({"phone_number": hashed.as_str(), "user_data": {"phone_number": format!(" {hashed} ")},
               "email": ["a@b.co", "a@b.co", "c@d.co"]}),
    );
    assert!(user.phone_numbers_sha256.is_empty());
    assert_eq!(
        skipped,
        vec![skip(HashedField::Phone, SkipReason::HashedPhone)]
    );
    assert_eq!(user.emails_sha256, vec![sha("a@b.co"), sha("c@d.co")]);
}
