//! Tests of user data: sources, normalisation, hashing and raw fields. Pre-hashed values by
//! field and source: `prehashed_values`; up to three values per list: `lists`.

use super::*;
use crate::config::UserOverrides;
use crate::tag::prehashed::SkipReason;
use crate::test_support::event as data;
use crate::test_support::event_json as json;

mod lists;
mod prehashed_values;

pub(super) const A665: &str = "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3";

pub(super) fn request() -> RequestFacts {
    RequestFacts::from_headers(
        &[
            (
                ":path".to_owned(),
                b"/g/collect?em=q%40example.com".to_vec(),
            ),
            ("x-city".to_owned(), b"Header City".to_vec()),
            ("cookie".to_owned(), b"ctry=de".to_vec()),
        ],
        None,
    )
    .unwrap()
}

pub(super) fn automap() -> UserData {
    UserData {
        automap: true,
        overrides: UserOverrides::default(),
    }
}

pub(super) fn manual(overrides: UserOverrides) -> UserData {
    UserData {
        automap: false,
        overrides,
    }
}

pub(super) fn lit(v: Value<'static>) -> Option<ValueSource> {
    Some(ValueSource::Literal(v))
}

pub(super) fn build(config: &UserData, event: Value) -> User {
    build_user(
        config,
        &data(event),
        &request(),
        false,
        None,
        &mut Vec::new(),
    )
}

pub(super) fn sha(s: &str) -> Sha256Hex {
    Sha256Hex::digest(s)
}

pub(super) fn hex(s: &str) -> Sha256Hex {
    Sha256Hex::from_hex(s).unwrap()
}

/// SHA-256 of `input` after `normalise`.
fn hash_field(input: &str, normalise: fn(&str) -> Option<String>) -> Option<Sha256Hex> {
    normalise(input).map(|n| Sha256Hex::digest(&n))
}

pub(super) fn skip(field: HashedField, reason: SkipReason) -> FieldSkip {
    FieldSkip { field, reason }
}

// --- normalisation and the hash vectors of openai-capi-api.md §5 ---

#[test]
fn hash_vectors_of_the_api_docs() {
    type Normalise = fn(&str) -> Option<String>;
    let cases: [(&str, Normalise, &str); 10] = [
        (
            "user@example.com",
            normalize_email,
            "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514",
        ),
        (
            "+1 (415) 555-2671",
            normalize_phone,
            "758fbf68945f21c416814c539ab578876c8d98fb69e6da692def92cd52417fe0",
        ),
        (
            "customer_123",
            normalize_external_id,
            "18f69bcd2f9cc9c38195e722b2a5590429840ea5090971d2256e026926e55fa1",
        ),
        (
            "customer_12345",
            normalize_external_id,
            "73d83a078369bb4f0971b317aa7797a91cf5c0df1b62161c2e47d75c33ab5b6e",
        ),
        (
            "ada",
            normalize_name,
            "fdee430d40bd57deeac186cd9790033d0f06f909a8806e7ce6e717ab7c7d5029",
        ),
        (
            "lovelace",
            normalize_name,
            "fb1e7ec987523d2cb9e022cec1d6ae7c99dc46edfae4fe51254025fe4bea571f",
        ),
        (
            " Ada@Example.COM ",
            normalize_email,
            "b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72",
        ),
        (
            "Mary Jane",
            normalize_name,
            "f08f448a5e7a9dc3619bb7c129f6a7d5fc6af002cea17ad71dfdc1c68f4d4e0e",
        ),
        (
            "O'Connor",
            normalize_name,
            "7a0fbfdf40cbeb97429bdb88f512cecd27f0d44b7e57986ab578423bb61936ac",
        ),
        (
            "Jos\u{e9}",
            normalize_name,
            "d994e1d001886fe5b45b1267bd1fa2b752ac50742579bd3dad7b2a2aa0ed6866",
        ),
    ];
    for (input, normalise, expected) in cases {
        assert_eq!(
            hash_field(input, normalise).unwrap().as_str(),
            expected,
            "{input}"
        );
    }
}

#[test]
fn normalised_forms() {
    assert_eq!(
        normalize_phone("+1 (415) 555-2671").as_deref(),
        Some("14155552671")
    );
    assert_eq!(
        normalize_email(" Ada@Example.COM ").as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(normalize_name("Mary Jane").as_deref(), Some("maryjane"));
    assert_eq!(normalize_name("O'Connor").as_deref(), Some("oconnor"));
    assert_eq!(normalize_name("Jos\u{e9}").as_deref(), Some("jos\u{e9}"));
    assert_eq!(
        normalize_name("Anne-Marie\t St. Clair").as_deref(),
        Some("annemariestclair")
    );
    assert_eq!(
        normalize_external_id("  Customer_ABC ").as_deref(),
        Some("Customer_ABC")
    );
    assert_eq!(normalize_email("   "), None);
    assert_eq!(normalize_name(" .' "), None);
    assert_eq!(normalize_external_id(" "), None);
}

#[test]
fn names_are_lowercased_unicode_aware() {
    assert_eq!(
        normalize_name("\u{218}tef\u{103}nescu").as_deref(),
        Some("\u{219}tef\u{103}nescu")
    );
    let hashed = hash_field("\u{218}tef\u{103}nescu", normalize_name).unwrap();
    assert_eq!(hashed, sha("\u{219}tef\u{103}nescu"));
    assert_eq!(
        hashed.as_str(),
        "1c43886f1047ed5dfae59c0945ff61475b7df3a912312a6484ce80429df049a1"
    );
    // A byte-wise (ASCII) lowercase leaves the Ș alone and gives another hash.
    assert_ne!(hashed, sha(&"\u{218}tef\u{103}nescu".to_ascii_lowercase()));
}

#[test]
fn phone_rules() {
    assert_eq!(
        normalize_phone("0049 30 1234567").as_deref(),
        Some("49301234567")
    );
    assert_eq!(
        normalize_phone("+49 (0)30.123-4567").as_deref(),
        Some("490301234567")
    );
    assert_eq!(normalize_phone("12345"), None, "too short");
    assert_eq!(normalize_phone("1234567"), None, "7 digits");
    assert_eq!(normalize_phone("12345678").as_deref(), Some("12345678"));
    assert_eq!(
        normalize_phone("123456789012345").as_deref(),
        Some("123456789012345")
    );
    assert_eq!(normalize_phone("1234567890123456"), None, "too long");
    assert_eq!(
        normalize_phone("00000001234567"),
        None,
        "7 digits after the zeros"
    );
    assert_eq!(normalize_phone("++14155552671"), None, "one leading + only");
    assert_eq!(normalize_phone("1415555267x"), None);
    assert_eq!(normalize_phone("+1 415 555 2671 ext 2"), None);
    assert_eq!(
        normalize_phone("\u{661}\u{662}\u{663}\u{664}\u{665}\u{666}\u{667}\u{668}"),
        None,
        "ASCII digits only"
    );
    let built = build(
        &automap(),
        json!({"phone": "12345", "phone_number": "+14155552671"}),
    );
    assert_eq!(
        built.phone_numbers_sha256,
        vec![sha("14155552671")],
        "an invalid value is dropped; the next source still counts"
    );
    let built = build(&automap(), json!({"phone": "0049 30 1234567"}));
    assert_eq!(built.phone_numbers_sha256, vec![sha("49301234567")]);
    let built = build(
        &automap(),
        json!({"user_data": {"phone_number": 14155552671u64}}),
    );
    assert_eq!(
        built.phone_numbers_sha256,
        vec![sha("14155552671")],
        "numbers accepted"
    );
}

// --- Stape's user-data scenarios 21–36, adapted to the current API schema ---

#[test]
fn stape_21_email_is_automapped_from_each_source() {
    let hashed = sha("user@example.com");
    for event in [
        json!({"email": "User@Example.com"}),
        json!({"email_address": "User@Example.com"}),
        json!({"user_data": {"email": "User@Example.com"}}),
        json!({"user_data": {"email_address": "User@Example.com"}}),
        json!({"user_data": {"sha256_email_address": hashed.as_str().to_ascii_uppercase()}}),
    ] {
        // Current schema: plural `emails_sha256` list instead of Stape's `email_sha256`.
        assert_eq!(
            build(&automap(), event.clone()).emails_sha256,
            vec![hashed.clone()],
            "{event}"
        );
    }
    // Every source counts, in order (Stape's tag takes the first non-empty one).
    let in_order =
        json!({"email": "", "email_address": "a@b.co", "user_data": {"email": "c@d.co"}});
    assert_eq!(
        build(&automap(), in_order).emails_sha256,
        vec![sha("a@b.co"), sha("c@d.co")]
    );
}

#[test]
fn stape_22_user_id_becomes_the_external_id_hash() {
    // Current schema: case is kept before hashing (Stape lowercases); plural list.
    let built = build(&automap(), json!({"user_id": "plain-user-123"}));
    assert_eq!(built.external_ids_sha256, vec![sha("plain-user-123")]);
    let built = build(&automap(), json!({"user_id": "Customer_ABC"}));
    assert_eq!(built.external_ids_sha256, vec![sha("Customer_ABC")]);
    assert_ne!(built.external_ids_sha256, vec![sha("customer_abc")]);
    let built = build(&automap(), json!({"user_id": A665}));
    assert_eq!(built.external_ids_sha256, vec![hex(A665)]);
    let built = build(&automap(), json!({"user_id": 42}));
    assert_eq!(built.external_ids_sha256, vec![sha("42")]);
    let json = serde_json::to_value(&built).unwrap();
    assert!(json.get("external_id").is_none());
    assert!(json.get("external_id_sha256").is_none());
}

#[test]
fn stape_23_address_is_sent_raw() {
    // Current schema: geo is raw in plural lists (`cities`, `postal_codes`, `countries`), country
    // uppercased; Stape sends singular `city`/`zip_code`/`country`.
    let built = build(
        &automap(),
        json!({"user_data": {"address": {"city": "New York", "postal_code": "10001", "country": "us", "region": "NY"}}}),
    );
    assert_eq!(built.cities, vec!["New York"]);
    assert_eq!(built.postal_codes, vec!["10001"]);
    assert_eq!(built.countries, vec!["US"]);
    assert_eq!(built.regions, vec!["NY"]);
    let json = serde_json::to_value(&built).unwrap();
    assert_eq!(
        json,
        json!({"cities": ["New York"], "postal_codes": ["10001"], "countries": ["US"], "regions": ["NY"]})
    );
    let numeric = build(
        &automap(),
        json!({"user_data": {"address": {"postal_code": 10001}}}),
    );
    assert_eq!(numeric.postal_codes, vec!["10001"]);
}

#[test]
fn stape_24_ip_and_user_agent_are_sent_raw() {
    let built = build(
        &automap(),
        json!({"ip_override": "203.0.113.1", "user_agent": "Mozilla/5.0 Test"}),
    );
    assert_eq!(built.ip_address.as_deref(), Some("203.0.113.1"));
    assert_eq!(built.user_agent.as_deref(), Some("Mozilla/5.0 Test"));
}

#[test]
fn stape_25_manual_email_and_city() {
    // Stape's manual row `email_sha256` is our `email` override.
    let built = build(
        &manual(UserOverrides {
            email: lit(json!("test@example.com")),
            ..Default::default()
        }),
        json!({}),
    );
    assert_eq!(
        built.emails_sha256,
        vec![hex(
            "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
        )]
    );
    let built = build(
        &manual(UserOverrides {
            email: lit(json!(A665)),
            ..Default::default()
        }),
        json!({}),
    );
    assert_eq!(built.emails_sha256, vec![hex(A665)]);
    let built = build(
        &manual(UserOverrides {
            city: lit(json!("New York")),
            ..Default::default()
        }),
        json!({}),
    );
    assert_eq!(built.cities, vec!["New York"], "raw, not a hash");
}

#[test]
fn stape_26_manual_hash_external_id_ip_and_user_agent() {
    let built = build(
        &manual(UserOverrides {
            email: lit(json!(A665)),
            external_id: lit(json!("user-abc")),
            ip_address: lit(json!("1.2.3.4")),
            user_agent: lit(json!("TestAgent/1.0")),
            ..Default::default()
        }),
        json!({}),
    );
    assert_eq!(built.emails_sha256, vec![hex(A665)]);
    assert_eq!(
        built.external_ids_sha256,
        vec![hex(
            "291fd0e83dac217f4e5bd62d007d2c754e061a92f76b0d7468be3544f95c28cd"
        )]
    );
    assert_eq!(built.ip_address.as_deref(), Some("1.2.3.4"));
    assert_eq!(built.user_agent.as_deref(), Some("TestAgent/1.0"));
}

#[test]
fn stape_27_email_array_gives_each_of_its_values() {
    let built = build(
        &automap(),
        json!({"user_data": {"email": ["arr@example.com", "other@example.com"]}}),
    );
    // Stape sends element 0; the API reads up to three values, so both are sent.
    assert_eq!(
        built.emails_sha256,
        vec![sha("arr@example.com"), sha("other@example.com")]
    );
}

// --- overrides, consent, address forms, formats ---

#[test]
fn override_beats_automap_and_an_empty_override_leaves_it() {
    let event = json!({
        "email": "auto@example.com",
        "ip_override": "203.0.113.1",
        "empty": "",
        "user_data": {"address": {"city": "Auto City", "country": "FR"}}
    });
    let config = UserData {
        automap: true,
        overrides: UserOverrides {
            email: lit(json!("manual@example.com")),
            city: Some(ValueSource::Header("x-city".into())),
            country: Some(ValueSource::Cookie("ctry".into())),
            ip_address: Some(ValueSource::Event("empty".into())),
            user_agent: Some(ValueSource::Event("missing.path".into())),
            ..Default::default()
        },
    };
    let built = build(&config, event);
    assert_eq!(built.emails_sha256, vec![sha("manual@example.com")]);
    assert_eq!(built.cities, vec!["Header City"]);
    assert_eq!(built.countries, vec!["DE"]);
    assert_eq!(
        built.ip_address.as_deref(),
        Some("203.0.113.1"),
        "empty override"
    );
    assert_eq!(
        built.user_agent, None,
        "missing override, nothing automapped"
    );
}

#[test]
fn an_override_with_an_invalid_format_leaves_the_automapped_value() {
    let config = UserData {
        automap: true,
        overrides: UserOverrides {
            ip_address: lit(json!("unknown")),
            phone: lit(json!("12345")),
            ..Default::default()
        },
    };
    let built = build(
        &config,
        json!({"ip_override": "203.0.113.1", "phone": "+14155552671"}),
    );
    assert_eq!(built.ip_address.as_deref(), Some("203.0.113.1"));
    assert_eq!(built.phone_numbers_sha256, vec![sha("14155552671")]);
}

#[test]
fn external_id_overrides() {
    let with = |overrides: UserOverrides| build(&manual(overrides), json!({})).external_ids_sha256;
    assert_eq!(
        with(UserOverrides {
            external_id_sha256: lit(json!(A665.to_ascii_uppercase())),
            ..Default::default()
        }),
        vec![hex(A665)]
    );
    // Not a hash: hashed like `external_id`, case kept.
    assert_eq!(
        with(UserOverrides {
            external_id_sha256: lit(json!("User-ABC")),
            ..Default::default()
        }),
        vec![sha("User-ABC")]
    );
    assert_eq!(
        with(UserOverrides {
            external_id_sha256: lit(json!(A665)),
            external_id: lit(json!("other")),
            ..Default::default()
        }),
        vec![hex(A665)],
        "external_id_sha256 beats external_id"
    );
    let config = UserData {
        automap: true,
        overrides: UserOverrides {
            external_id: lit(json!("manual-id")),
            ..Default::default()
        },
    };
    assert_eq!(
        build(&config, json!({"user_id": "auto-id"})).external_ids_sha256,
        vec![sha("manual-id")]
    );
}

#[test]
fn name_overrides_and_automap_from_address() {
    let built = build(
        &automap(),
        json!({"user_data": {"address": {"first_name": " Ada ", "last_name": "Love-lace"}}}),
    );
    assert_eq!(built.first_names_sha256, vec![sha("ada")]);
    assert_eq!(built.last_names_sha256, vec![sha("lovelace")]);
    let (built, skipped) = build_skips(
        &automap(),
        json!({"user_data": {"address": {"sha256_first_name": sha("ada").as_str(), "sha256_last_name": A665}}}),
    );
    assert!(built.first_names_sha256.is_empty() && built.last_names_sha256.is_empty());
    assert_eq!(
        skipped,
        vec![
            skip(HashedField::FirstName, SkipReason::GoogleNameHash),
            skip(HashedField::LastName, SkipReason::GoogleNameHash)
        ]
    );
    let built = build(
        &manual(UserOverrides {
            first_name: lit(json!("Mary Jane")),
            last_name: lit(json!("O'Connor")),
            ..Default::default()
        }),
        json!({"user_data": {"address": {"first_name": "ignored, automap off"}}}),
    );
    assert_eq!(built.first_names_sha256, vec![sha("maryjane")]);
    assert_eq!(built.last_names_sha256, vec![sha("oconnor")]);
}

#[test]
fn automap_off_reads_no_event_data() {
    let built = build(
        &manual(UserOverrides::default()),
        json!({"email": "a@b.co", "user_id": "u", "ip_override": "203.0.113.1", "user_agent": "UA",
               "user_data": {"address": {"city": "X"}}}),
    );
    assert!(built.is_empty());
}

#[test]
fn strip_identifiers_keeps_geo_ip_ua_and_obref_but_drops_hashes() {
    let event = data(json!({
        "email": "a@b.co", "phone": "+14155552671", "user_id": "u-1",
        "ip_override": "203.0.113.1", "user_agent": "UA/1",
        "user_data": {"address": {"first_name": "Ada", "last_name": "Lovelace",
                                   "city": "London", "region": "LDN", "postal_code": "NW1 6XE", "country": "gb"}}
    }));
    let config = UserData {
        automap: true,
        overrides: UserOverrides {
            email: lit(json!("manual@example.com")),
            external_id: lit(json!("manual")),
            ..Default::default()
        },
    };
    let full = build_user(
        &config,
        &event,
        &request(),
        false,
        Some("ob-1".into()),
        &mut Vec::new(),
    );
    assert!(!full.emails_sha256.is_empty() && !full.phone_numbers_sha256.is_empty());
    assert!(!full.first_names_sha256.is_empty() && !full.last_names_sha256.is_empty());
    assert!(!full.external_ids_sha256.is_empty());

    let stripped = build_user(
        &config,
        &event,
        &request(),
        true,
        Some("ob-1".into()),
        &mut Vec::new(),
    );
    assert!(stripped.emails_sha256.is_empty());
    assert!(stripped.phone_numbers_sha256.is_empty());
    assert!(stripped.first_names_sha256.is_empty());
    assert!(stripped.last_names_sha256.is_empty());
    assert!(stripped.external_ids_sha256.is_empty());
    assert_eq!(stripped.cities, vec!["London"]);
    assert_eq!(stripped.regions, vec!["LDN"]);
    assert_eq!(stripped.postal_codes, vec!["NW1 6XE"]);
    assert_eq!(stripped.countries, vec!["GB"]);
    assert_eq!(stripped.ip_address.as_deref(), Some("203.0.113.1"));
    assert_eq!(stripped.user_agent.as_deref(), Some("UA/1"));
    assert_eq!(stripped.obref.as_deref(), Some("ob-1"));
}

#[test]
fn address_as_object_array_or_zero_keyed_object() {
    for event in [
        json!({"user_data": {"address": {"city": "Oslo", "country": "no"}}}),
        json!({"user_data": {"address": [{"city": "Oslo", "country": "no"}]}}),
        json!({"user_data": {"address": {"0": {"city": "Oslo", "country": "no"}}}}),
    ] {
        let built = build(&automap(), event.clone());
        assert_eq!(built.cities, vec!["Oslo"], "{event}");
        assert_eq!(built.countries, vec!["NO"], "{event}");
    }
    for event in [
        json!({"user_data": {"address": []}}),
        json!({"user_data": {"address": "Oslo"}}),
        json!({"user_data": {"address": [null]}}),
    ] {
        assert!(build(&automap(), event).is_empty());
    }
}

#[test]
fn raw_geo_formats() {
    let geo =
        |address: Value<'static>| build(&automap(), json!({"user_data": {"address": address}}));
    assert_eq!(geo(json!({"country": " de "})).countries, vec!["DE"]);
    assert!(geo(json!({"country": "DEU"})).countries.is_empty());
    assert!(geo(json!({"country": "D1"})).countries.is_empty());
    assert!(geo(json!({"country": "Ü1"})).countries.is_empty());
    assert_eq!(
        geo(json!({"city": "  São Paulo "})).cities,
        vec!["São Paulo"]
    );
    assert!(geo(json!({"city": "   "})).cities.is_empty());
    let long = "x".repeat(200);
    assert_eq!(
        geo(json!({"region": long})).regions,
        vec!["x".repeat(MAX_CITY_CHARS)]
    );
    assert_eq!(
        geo(json!({"postal_code": " SW1A 1AA "})).postal_codes,
        vec!["SW1A 1AA"]
    );
    assert_eq!(
        geo(json!({"postal_code": "01234-567"})).postal_codes,
        vec!["01234-567"]
    );
    assert!(geo(json!({"postal_code": "12#45"})).postal_codes.is_empty());
    assert!(geo(json!({"postal_code": "1".repeat(33)}))
        .postal_codes
        .is_empty());
    assert_eq!(
        geo(json!({"postal_code": "1".repeat(32)}))
            .postal_codes
            .len(),
        1
    );
}

#[test]
fn ip_must_parse_and_the_first_list_element_is_used() {
    let ip = |v: Value<'static>| build(&automap(), json!({"ip_override": v})).ip_address;
    assert_eq!(
        ip(json!("203.0.113.7, 10.0.0.1")).as_deref(),
        Some("203.0.113.7")
    );
    assert_eq!(ip(json!(" 2001:DB8::1 ")).as_deref(), Some("2001:db8::1"));
    assert_eq!(
        ip(json!("203.0.113.7:8080")).as_deref(),
        Some("203.0.113.7")
    );
    assert_eq!(
        ip(json!("[2001:db8::1]:443")).as_deref(),
        Some("2001:db8::1")
    );
    assert_eq!(ip(json!("not-an-ip")), None);
    assert_eq!(ip(json!("300.1.1.1")), None);
    assert_eq!(ip(json!(", 203.0.113.7")), None, "first element is empty");
}

#[test]
fn ipv4_mapped_ipv6_is_sent_as_ipv4() {
    let ip = |v: Value<'static>| build(&automap(), json!({"ip_override": v})).ip_address;
    for mapped in [
        "::ffff:203.0.113.7",
        "::FFFF:203.0.113.7",
        "::ffff:cb00:7107",
        "[::ffff:203.0.113.7]:443",
        "::ffff:203.0.113.7, 10.0.0.1",
    ] {
        assert_eq!(
            ip(json!(mapped)).as_deref(),
            Some("203.0.113.7"),
            "{mapped}"
        );
    }
    let config = manual(UserOverrides {
        ip_address: lit(json!("::ffff:198.51.100.9")),
        ..Default::default()
    });
    assert_eq!(
        build(&config, json!({})).ip_address.as_deref(),
        Some("198.51.100.9")
    );
    // Other IPv6 forms that embed an IPv4 address are not mapped addresses.
    assert_eq!(ip(json!("::203.0.113.7")).as_deref(), Some("::cb00:7107"));
    assert_eq!(
        ip(json!("64:ff9b::cb00:7107")).as_deref(),
        Some("64:ff9b::cb00:7107")
    );
}

#[test]
fn obref_is_placed_as_given_and_an_override_beats_it() {
    let event = data(json!({}));
    let built = build_user(
        &automap(),
        &event,
        &request(),
        false,
        Some("from-caller".into()),
        &mut Vec::new(),
    );
    assert_eq!(built.obref.as_deref(), Some("from-caller"));
    let config = manual(UserOverrides {
        obref: lit(json!("manual-ob")),
        ..Default::default()
    });
    let built = build_user(
        &config,
        &event,
        &request(),
        false,
        Some("from-caller".into()),
        &mut Vec::new(),
    );
    assert_eq!(built.obref.as_deref(), Some("manual-ob"));
    let built = build_user(
        &automap(),
        &event,
        &request(),
        false,
        Some("  ".into()),
        &mut Vec::new(),
    );
    assert_eq!(built.obref, None);
}

#[test]
fn override_references_resolve_against_the_request() {
    let config = manual(UserOverrides {
        email: Some(ValueSource::Query("em".into())),
        ..Default::default()
    });
    assert_eq!(
        build(&config, json!({})).emails_sha256,
        vec![sha("q@example.com")]
    );
}

#[test]
fn values_that_carry_nothing_are_omitted() {
    let built = build(
        &automap(),
        json!({"email": true, "phone": {"n": 1}, "user_id": null, "user_agent": "  ",
               "user_data": {"email": []}}),
    );
    assert!(built.is_empty());
    assert_eq!(serde_json::to_value(&built).unwrap(), json!({}));
}

#[test]
fn raw_identifiers_never_appear_in_the_output() {
    let built = build(
        &automap(),
        json!({"email": "secret@example.com", "phone": "+14155552671", "user_id": "Customer_ABC",
               "user_data": {"address": {"first_name": "Ada", "last_name": "Lovelace"}}}),
    );
    let text = serde_json::to_string(&built).unwrap();
    // Hex digests only hold 0-9a-f, so these cannot appear by chance.
    for raw in ["secret", "Customer_ABC", "Ada", "Lovelace", "lovelace"] {
        assert!(!text.contains(raw), "{raw} leaked");
    }
}

pub(super) fn build_skips(config: &UserData, event: Value) -> (User, Vec<FieldSkip>) {
    let mut skipped = Vec::new();
    let user = build_user(config, &data(event), &request(), false, None, &mut skipped);
    (user, skipped)
}

#[test]
fn top_level_keys_are_found_in_one_walk_each_in_its_slot() {
    for (i, key) in TOP_LEVEL_KEYS.iter().enumerate() {
        assert_eq!(TopLevel::slot(key), Some(i), "{key}");
    }
    let e = data(
        json!({"email": "a@b.example", "user_agent": "UA", "en": "x", "user_data": {"phone": "1"}}),
    );
    let top = TopLevel::find(&e);
    assert_eq!(top.get("email"), Some(&json!("a@b.example")));
    assert_eq!(top.get("user_agent"), Some(&json!("UA")));
    assert_eq!(top.get("user_data"), Some(&json!({"phone": "1"})));
    assert_eq!(top.get("phone"), None);
    assert_eq!(top.get("en"), None);
}
