//! The rules of `event_data`: every override's type and the literal values checked at
//! configure time (currency, `variant_dict`, `source_url`).

use super::*;

#[test]
fn override_values_are_typed_and_references_well_formed() {
    let f = |path: &[&str], v: Value| field_of(with(path, v));
    assert_eq!(
        f(
            &["server_event_data", "overrides", "timestamp_ms"],
            json!("soon")
        ),
        "server_event_data.overrides.timestamp_ms"
    );
    assert_eq!(
        f(
            &["server_event_data", "overrides", "id"],
            json!("{{event.id")
        ),
        "server_event_data.overrides.id"
    );
    assert_eq!(
        f(
            &["server_event_data", "overrides", "oppref"],
            json!("{{secret.x}}")
        ),
        "server_event_data.overrides.oppref"
    );
    assert_eq!(
        f(&["user_data", "overrides", "email"], json!({"a": 1})),
        "user_data.overrides.email"
    );
    assert_eq!(
        f(&["user_data", "overrides", "country"], json!("")),
        "user_data.overrides.country"
    );
    assert_eq!(
        f(&["event_parameters", "overrides", "amount"], json!(12.5)),
        "event_parameters.overrides.amount"
    );
    assert_eq!(
        f(
            &["event_parameters", "overrides", "amount_regular_unit"],
            json!("abc")
        ),
        "event_parameters.overrides.amount_regular_unit"
    );
    assert_eq!(
        f(&["event_parameters", "overrides", "currency"], json!("US")),
        "event_parameters.overrides.currency"
    );
    assert_eq!(
        f(
            &["event_parameters", "overrides", "contents"],
            json!([1, 2])
        ),
        "event_parameters.overrides.contents"
    );
    assert_eq!(
        f(&["event_parameters", "item_id_key"], json!(" ")),
        "event_parameters.item_id_key"
    );
    // References are accepted wherever literals are typed.
    assert!(parse(with(
        &["event_parameters", "overrides", "amount"],
        json!("{{event.amount_minor}}")
    ))
    .is_ok());
    assert!(parse(with(
        &["event_parameters", "overrides", "amount_regular_unit"],
        json!("12.99")
    ))
    .is_ok());
}

#[test]
fn currency_override_must_be_an_active_iso_4217_code() {
    for bad in ["BTC", "EURO", "US$", "ANG", "XAU", "usdt"] {
        let err = parse(with(
            &["event_parameters", "overrides", "currency"],
            json!(bad),
        ))
        .unwrap_err();
        assert_eq!(err.field, "event_parameters.overrides.currency", "{bad}");
        assert!(err.reason.contains("ISO 4217"), "{}", err.reason);
    }
    for good in ["USD", "eur", "XCG", "{{event.currency}}"] {
        assert!(
            parse(with(
                &["event_parameters", "overrides", "currency"],
                json!(good)
            ))
            .is_ok(),
            "{good}"
        );
    }
}

#[test]
fn variant_dict_override_is_string_to_string_only() {
    let contents = |dict: Value| {
        with(
            &["event_parameters", "overrides", "contents"],
            json!([{"content_type": "product"}, {"content_type": "product", "variant_dict": dict}]),
        )
    };
    for bad in [json!("m"), json!({"size": 38}), json!({"size": ["m"]})] {
        assert_eq!(
            field_of(contents(bad.clone())),
            "event_parameters.overrides.contents[1].variant_dict",
            "{bad}"
        );
    }
    assert!(parse(contents(json!({"size": "m"}))).is_ok());
}

#[test]
fn source_url_literal_override_must_be_absolute_http_with_a_host() {
    let f = |v: Value| with(&["server_event_data", "overrides", "source_url"], v);
    for bad in [
        "/checkout",
        "shop.example.com",
        "https://shop.example.com/a b",
        "ftp://x.example/",
    ] {
        assert_eq!(
            field_of(f(json!(bad))),
            "server_event_data.overrides.source_url",
            "{bad}"
        );
    }
    assert!(parse(f(json!("https://shop.example.com/thanks"))).is_ok());
    assert!(parse(f(json!("{{event.page_url}}"))).is_ok());
}

#[test]
fn opt_out_is_a_boolean_from_hit_or_a_reference() {
    let opt_out = |v: serde_json::Value| {
        parse(with(&["server_event_data", "opt_out"], v)).map(|c| c.server_event_data.opt_out)
    };
    assert_eq!(opt_out(json!(null)).unwrap(), None);
    assert_eq!(opt_out(json!(true)).unwrap(), Some(OptOut::Fixed(true)));
    assert_eq!(opt_out(json!(false)).unwrap(), Some(OptOut::Fixed(false)));
    assert_eq!(opt_out(json!("from_hit")).unwrap(), Some(OptOut::FromHit));
    assert_eq!(
        opt_out(json!("{{event.npa}}")).unwrap(),
        Some(OptOut::Reference(ValueSource::Event("npa".into())))
    );
    for bad in [
        json!("yes"),
        json!(1),
        json!({"env": "X"}),
        json!("{{nope.x}}"),
    ] {
        let e = opt_out(bad.clone()).unwrap_err();
        assert_eq!(e.field, "server_event_data.opt_out", "{bad}");
    }
    let e = opt_out(json!("always")).unwrap_err();
    assert!(e.reason.contains("\"from_hit\""), "{}", e.reason);
}
