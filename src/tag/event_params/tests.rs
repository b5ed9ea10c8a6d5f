//! Tests of event parameters: automap, overrides, currencies, amounts and shape rules.

use super::*;
use crate::config::ParamOverrides;
use crate::model::StandardType;
use crate::test_support::event as data;
use crate::test_support::event_json as json;

mod ecommerce;

fn request() -> RequestFacts {
    RequestFacts::from_headers(
        &[
            (":path".to_owned(), b"/g/collect?cu=eur&plan=gold".to_vec()),
            ("x-amount".to_owned(), b"1299".to_vec()),
        ],
        None,
    )
    .unwrap()
}

fn config(automap: bool, overrides: ParamOverrides) -> EventParameters {
    EventParameters {
        automap,
        item_id_key: "item_id".into(),
        overrides,
    }
}

fn automap() -> EventParameters {
    config(true, ParamOverrides::default())
}

fn manual(overrides: ParamOverrides) -> EventParameters {
    config(false, overrides)
}

fn lit(v: Value<'static>) -> Option<ValueSource> {
    Some(ValueSource::Literal(v))
}

fn order() -> EventType {
    EventType::Standard(StandardType::OrderCreated)
}

fn build(config: &EventParameters, event: Value) -> Result<Data, Invalid> {
    build_with(config, &order(), event)
}

fn build_with(
    config: &EventParameters,
    event_type: &EventType,
    event: Value,
) -> Result<Data, Invalid> {
    build_data(config, event_type, &data(event), &request())
}

fn contents(d: &Data) -> &[Content] {
    d.contents.as_deref().unwrap_or_default()
}

// --- Stape scenarios 28–36 (stape-openai-capi.md §4) ---

#[test]
fn stape_28_data_type_follows_the_event_type() {
    use DataShape::*;
    let cases = [
        (StandardType::PageViewed, Contents),
        (StandardType::ContentsViewed, Contents),
        (StandardType::ItemsAdded, Contents),
        (StandardType::CheckoutStarted, Contents),
        (StandardType::OrderCreated, Contents),
        (StandardType::AppointmentScheduled, CustomerAction),
        (StandardType::LeadCreated, CustomerAction),
        (StandardType::RegistrationCompleted, CustomerAction),
        (StandardType::AppInstalled, CustomerAction),
        (StandardType::AppOpened, CustomerAction),
        (StandardType::SubscriptionCreated, PlanEnrollment),
        (StandardType::TrialStarted, PlanEnrollment),
    ];
    let off = manual(ParamOverrides::default());
    for (t, shape) in cases {
        let built = build_with(&off, &EventType::Standard(t), json!({"value": 5})).unwrap();
        assert_eq!(built, Data::new(shape), "{t}");
    }
    let custom = EventType::from_name("my_event").unwrap();
    assert_eq!(
        build_with(&off, &custom, json!({})).unwrap(),
        Data::new(Custom)
    );
    assert_eq!(
        serde_json::to_value(build_with(&off, &custom, json!({})).unwrap()).unwrap(),
        json!({"type": "custom"})
    );
}

#[test]
fn stape_29_value_and_currency() {
    let built = build(&automap(), json!({"value": 99.99, "currency": "USD"})).unwrap();
    assert_eq!(built.amount, Some(9999));
    assert_eq!(built.currency.as_deref(), Some("USD"));
}

#[test]
fn stape_30_items_become_contents_and_their_sum_the_amount() {
    let built = build(
        &automap(),
        json!({"items": [
            {"item_id": "SKU_001", "item_name": "Product A", "price": 10, "quantity": 2,
             "content_type": "product", "currency": "USD"},
            {"item_id": "SKU_002", "item_name": "Product B", "price": 5, "quantity": 3,
             "content_type": "digital"}
        ]}),
    )
    .unwrap();
    assert_eq!(built.amount, Some(3500));
    assert_eq!(
        built.currency.as_deref(),
        Some("USD"),
        "from items[0].currency"
    );
    let c = contents(&built);
    assert_eq!(c.len(), 2);
    assert_eq!(
        serde_json::to_value(&c[0]).unwrap(),
        json!({"id": "SKU_001", "name": "Product A", "quantity": 2, "amount": 1000,
               "content_type": "product"}),
        "item currency equal to the event currency is not repeated"
    );
    assert_eq!(c[1].content_type, "digital");
    assert_eq!(c[1].amount, Some(500));
}

#[test]
fn stape_31_ecommerce_items_when_items_is_absent() {
    let built = build(
        &automap(),
        json!({"ecommerce": {"items": [{"item_id": "ECOMM_001", "price": 20, "quantity": 1,
                                        "content_type": "product", "currency": "USD"}]}}),
    )
    .unwrap();
    assert_eq!(contents(&built).len(), 1);
    assert_eq!(contents(&built)[0].id.as_deref(), Some("ECOMM_001"));
    assert_eq!(built.amount, Some(2000));
    let empty_items = build(
        &automap(),
        json!({"items": [], "ecommerce": {"items": [{"item_id": "E2"}]}}),
    )
    .unwrap();
    assert_eq!(contents(&empty_items)[0].id.as_deref(), Some("E2"));
}

#[test]
fn stape_32_value_beats_the_items_sum() {
    let built = build(
        &automap(),
        json!({"value": 999, "currency": "EUR",
               "items": [{"item_id": "SKU", "price": 1, "quantity": 1}]}),
    )
    .unwrap();
    assert_eq!(built.amount, Some(99900));
}

#[test]
fn stape_33_amount_regular_unit_is_converted_exactly() {
    let built = build(
        &manual(ParamOverrides {
            amount_regular_unit: lit(json!(150.555)),
            currency: lit(json!("EUR")),
            ..Default::default()
        }),
        json!({}),
    )
    .unwrap();
    assert_eq!(built.amount, Some(15056));
    assert_eq!(built.currency.as_deref(), Some("EUR"));
}

#[test]
fn stape_34_item_id_key() {
    let mut sku = automap();
    sku.item_id_key = "sku".into();
    let built = build(
        &sku,
        json!({"currency": "USD", "items": [{"sku": "SKU-ABC", "item_id": "WRONG", "price": 1}]}),
    )
    .unwrap();
    assert_eq!(contents(&built)[0].id.as_deref(), Some("SKU-ABC"));
    let numeric = build(&automap(), json!({"items": [{"item_id": 1234}]})).unwrap();
    assert_eq!(contents(&numeric)[0].id.as_deref(), Some("1234"));
}

#[test]
fn stape_35_items_without_price_have_no_amount() {
    let built = build(
        &automap(),
        json!({"items": [
            {"item_id": "WITH_PRICE", "price": 50, "quantity": 1, "currency": "USD"},
            {"item_id": "NO_PRICE", "quantity": 2}
        ]}),
    )
    .unwrap();
    assert_eq!(built.amount, Some(5000));
    assert_eq!(contents(&built).len(), 2);
    assert_eq!(contents(&built)[1].amount, None);
    assert_eq!(contents(&built)[1].quantity, Some(2));
}

#[test]
fn stape_36_amount_override_and_amount_regular_unit_give_the_same_amount() {
    let minor = build(
        &manual(ParamOverrides {
            amount: lit(json!(1299)),
            currency: lit(json!("USD")),
            ..Default::default()
        }),
        json!({}),
    )
    .unwrap();
    let regular = build(
        &manual(ParamOverrides {
            amount_regular_unit: lit(json!(12.99)),
            currency: lit(json!("USD")),
            ..Default::default()
        }),
        json!({}),
    )
    .unwrap();
    assert_eq!(minor.amount, Some(1299));
    assert_eq!(regular.amount, Some(1299));
    let json = serde_json::to_value(&regular).unwrap();
    assert_eq!(
        json,
        json!({"type": "contents", "amount": 1299, "currency": "USD"})
    );
    assert!(json.get("amount_regular_unit").is_none());
}

// --- automap details and deviations ---

#[test]
fn no_price_and_no_value_gives_no_amount() {
    // Deviation from Stape edge case 1 (stape-openai-capi.md §3.12): Stape sends amount 0,
    // which then fails for want of a currency; we send no amount and keep the event.
    let built = build(
        &automap(),
        json!({"items": [{"item_id": "A"}, {"item_id": "B"}]}),
    )
    .unwrap();
    assert_eq!(built.amount, None);
    assert_eq!(built.currency, None);
    assert_eq!(contents(&built).len(), 2);
}

#[test]
fn value_zero_is_an_amount() {
    let built = build(&automap(), json!({"value": 0, "currency": "USD"})).unwrap();
    assert_eq!(built.amount, Some(0));
}

#[test]
fn a_non_numeric_value_falls_back_to_the_items_sum() {
    let built = build(
        &automap(),
        json!({"value": "n/a", "currency": "USD", "items": [{"price": "2.50", "quantity": "2"}]}),
    )
    .unwrap();
    assert_eq!(built.amount, Some(500));
    let none = build(&automap(), json!({"value": "n/a", "currency": "USD"})).unwrap();
    assert_eq!(none.amount, None);
    let blank = build(
        &automap(),
        json!({"value": " ", "currency": "USD", "items": [{"price": 1}]}),
    )
    .unwrap();
    assert_eq!(blank.amount, Some(100), "a blank value is absent");
}

#[test]
fn automapped_currency_is_trimmed_and_uppercased() {
    let built = build(&automap(), json!({"currency": " usd ", "value": 1})).unwrap();
    assert_eq!(built.currency.as_deref(), Some("USD"));
    let from_item = build(
        &automap(),
        json!({"items": [{"currency": "eur", "price": 1}]}),
    )
    .unwrap();
    assert_eq!(from_item.currency.as_deref(), Some("EUR"));
    assert_eq!(contents(&from_item)[0].currency, None);
}

#[test]
fn automapped_non_iso_currency_counts_as_absent() {
    for bad in [
        json!("dollars"),
        json!("US"),
        json!(840),
        json!("€UR"),
        json!("BTC"),
        json!("EURO"),
        json!("US$"),
        json!("usdt"),
    ] {
        let built = build(
            &automap(),
            json!({"currency": bad, "value": 12.5, "items": [{"item_id": "A", "price": 12.5}]}),
        )
        .unwrap_or_else(|e| panic!("{bad}: {e}"));
        assert_eq!(built.currency, None, "{bad}");
        assert_eq!(built.amount, None, "{bad}: amounts dropped");
        assert_eq!(contents(&built)[0].amount, None, "{bad}");
        assert_eq!(
            contents(&built)[0].id.as_deref(),
            Some("A"),
            "the rest stays"
        );
    }
    let item = build(
        &automap(),
        json!({"items": [{"currency": "X", "price": 1, "item_id": "A"}]}),
    )
    .unwrap();
    assert_eq!(
        (item.currency.clone(), contents(&item)[0].amount),
        (None, None)
    );
    // A non-ISO item currency next to a valid event currency is ignored.
    let mixed = build(
        &automap(),
        json!({"currency": "EUR", "items": [{"currency": "ETH", "price": 2, "item_id": "A"}]}),
    )
    .unwrap();
    assert_eq!(mixed.currency.as_deref(), Some("EUR"));
    assert_eq!(contents(&mixed)[0].amount, Some(200));
    assert_eq!(contents(&mixed)[0].currency, None);
}

#[test]
fn the_currency_exponent_applies_to_value_and_prices() {
    let jpy = build(
        &automap(),
        json!({"value": 1500.5, "currency": "JPY", "items": [{"price": 750, "quantity": 2}]}),
    )
    .unwrap();
    assert_eq!(jpy.amount, Some(1501));
    assert_eq!(contents(&jpy)[0].amount, Some(750));
    let kwd = build(&automap(), json!({"value": "1.2345", "currency": "KWD"})).unwrap();
    assert_eq!(kwd.amount, Some(1235));
}

#[test]
fn a_currency_override_decides_the_exponent_of_automapped_amounts() {
    let built = build(
        &config(
            true,
            ParamOverrides {
                currency: lit(json!("jpy")),
                ..Default::default()
            },
        ),
        json!({"value": 1500, "currency": "USD", "items": [{"price": 1500}]}),
    )
    .unwrap();
    assert_eq!(built.currency.as_deref(), Some("JPY"));
    assert_eq!(built.amount, Some(1500));
    assert_eq!(contents(&built)[0].amount, Some(1500));
}

#[test]
fn an_item_in_another_currency_keeps_it_and_is_not_summed() {
    let built = build(
        &automap(),
        json!({"currency": "USD", "items": [
            {"item_id": "A", "price": 10, "currency": "USD"},
            {"item_id": "B", "price": 1000, "currency": "JPY"},
            {"item_id": "C", "currency": "EUR"}
        ]}),
    )
    .unwrap();
    let c = contents(&built);
    assert_eq!(c[0].currency, None);
    assert_eq!(c[1].currency.as_deref(), Some("JPY"));
    assert_eq!(c[1].amount, Some(1000), "converted with its own exponent");
    assert_eq!(
        c[2].currency, None,
        "no amount, so its currency is irrelevant"
    );
    assert_eq!(built.amount, None, "USD and JPY cannot be added");
    let with_value = build(
        &automap(),
        json!({"currency": "USD", "value": 12, "items": [{"price": 1000, "currency": "JPY"}]}),
    )
    .unwrap();
    assert_eq!(with_value.amount, Some(1200));
}

#[test]
fn quantities_are_integers_and_zero_counts_as_one() {
    let built = build(
        &automap(),
        json!({"currency": "USD", "items": [
            {"price": 1, "quantity": "3"},
            {"price": 1, "quantity": 1.5},
            {"price": 1, "quantity": 0},
            {"price": 1, "quantity": 2.0},
            {"price": 1}
        ]}),
    )
    .unwrap();
    let q: Vec<_> = contents(&built).iter().map(|c| c.quantity).collect();
    assert_eq!(q, vec![Some(3), None, Some(0), Some(2), None]);
    // 3 + 1 (dropped quantity) + 1 (zero) + 2 + 1 (missing), at 100 each.
    assert_eq!(built.amount, Some(800));
}

#[test]
fn non_object_items_are_skipped_and_defaults_apply() {
    let built = build(
        &automap(),
        json!({"items": ["SKU", 5, null, {"item_id": "A", "item_name": "Tee", "content_type": ""}]}),
    )
    .unwrap();
    let c = contents(&built);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].id.as_deref(), Some("A"));
    assert_eq!(c[0].name.as_deref(), Some("Tee"));
    assert_eq!(c[0].content_type, DEFAULT_CONTENT_TYPE);
    let only_junk = build(&automap(), json!({"items": ["x"]})).unwrap();
    assert_eq!(only_junk.contents, None);
}

#[test]
fn an_unconvertible_price_is_dropped() {
    let built = build(
        &automap(),
        json!({"currency": "USD", "items": [{"price": "free"}, {"price": 2}]}),
    )
    .unwrap();
    assert_eq!(contents(&built)[0].amount, None);
    assert_eq!(built.amount, Some(200));
}

#[test]
fn contents_are_bounded_but_the_sum_covers_every_item() {
    let items: Vec<Value> = (0..MAX_CONTENTS + 5)
        .map(|i| json!({"item_id": i, "price": 1}))
        .collect();
    let built = build(&automap(), json!({"currency": "USD", "items": items})).unwrap();
    assert_eq!(contents(&built).len(), MAX_CONTENTS);
    assert_eq!(
        built.amount,
        Some(i64::try_from(MAX_CONTENTS + 5).unwrap() * 100)
    );
}

#[test]
fn a_sum_that_overflows_gives_no_amount() {
    let built = build(
        &automap(),
        json!({"currency": "JPY", "items": [{"price": i64::MAX, "quantity": 2}]}),
    )
    .unwrap();
    assert_eq!(built.amount, None);
}

#[test]
fn automap_off_reads_no_event_data() {
    let built = build(
        &manual(ParamOverrides::default()),
        json!({"value": 5, "currency": "USD", "items": [{"item_id": "A", "price": 1}]}),
    )
    .unwrap();
    assert_eq!(built, Data::new(DataShape::Contents));
}

// --- overrides ---

#[test]
fn overrides_beat_automap() {
    let built = build(
        &config(
            true,
            ParamOverrides {
                amount: Some(ValueSource::Header("x-amount".into())),
                currency: Some(ValueSource::Query("cu".into())),
                contents: lit(json!([{"id": "M1", "content_type": "plan"}])),
                ..Default::default()
            },
        ),
        json!({"value": 5, "currency": "USD", "items": [{"item_id": "A", "price": 1}]}),
    )
    .unwrap();
    assert_eq!(built.amount, Some(1299));
    assert_eq!(built.currency.as_deref(), Some("EUR"));
    assert_eq!(contents(&built).len(), 1);
    assert_eq!(contents(&built)[0].id.as_deref(), Some("M1"));
}

#[test]
fn an_override_currency_replaces_an_invalid_automapped_one() {
    let built = build(
        &config(
            true,
            ParamOverrides {
                currency: lit(json!("EUR")),
                ..Default::default()
            },
        ),
        json!({"currency": "euros", "value": 1}),
    )
    .unwrap();
    assert_eq!(built.currency.as_deref(), Some("EUR"));
}

#[test]
fn empty_overrides_leave_automap() {
    let built = build(
        &config(
            true,
            ParamOverrides {
                amount: Some(ValueSource::Event("blank".into())),
                amount_regular_unit: Some(ValueSource::Event("missing".into())),
                currency: Some(ValueSource::Cookie("nope".into())),
                contents: lit(json!([])),
                ..Default::default()
            },
        ),
        json!({"blank": "", "value": 7, "currency": "USD", "items": [{"item_id": "A"}]}),
    )
    .unwrap();
    assert_eq!(built.amount, Some(700));
    assert_eq!(built.currency.as_deref(), Some("USD"));
    assert_eq!(contents(&built)[0].id.as_deref(), Some("A"));
}

#[test]
fn amount_override_must_be_an_integer() {
    let with = |v: Value<'static>| {
        build(
            &manual(ParamOverrides {
                amount: lit(v),
                currency: lit(json!("USD")),
                ..Default::default()
            }),
            json!({}),
        )
    };
    assert_eq!(with(json!("1299")).unwrap().amount, Some(1299));
    assert_eq!(with(json!(-50)).unwrap().amount, Some(-50));
    let not_integer = Err(Invalid::AmountNotInteger { field: "amount" });
    assert_eq!(with(json!(12.99)), not_integer);
    assert_eq!(with(json!("12.99")), not_integer);
    assert_eq!(with(json!("abc")), not_integer);
    assert_eq!(with(json!(true)), not_integer);
}

#[test]
fn amount_beats_amount_regular_unit_and_garbage_regular_units_are_invalid() {
    let both = build(
        &manual(ParamOverrides {
            amount: lit(json!(1)),
            amount_regular_unit: lit(json!(99)),
            currency: lit(json!("USD")),
            ..Default::default()
        }),
        json!({}),
    )
    .unwrap();
    assert_eq!(both.amount, Some(1));
    assert_eq!(
        build(
            &manual(ParamOverrides {
                amount_regular_unit: Some(ValueSource::Event("v".into())),
                currency: lit(json!("USD")),
                ..Default::default()
            }),
            json!({"v": "twelve"}),
        ),
        Err(Invalid::AmountNotInteger {
            field: "amount_regular_unit"
        })
    );
}

#[test]
fn an_invalid_currency_override_is_invalid() {
    for bad in [json!("dollars"), json!(978), json!("U5D"), json!("BTC")] {
        assert_eq!(
            build(
                &manual(ParamOverrides {
                    currency: lit(bad.clone()),
                    ..Default::default()
                }),
                json!({})
            ),
            Err(Invalid::CurrencyInvalid),
            "{bad}"
        );
    }
}

#[test]
fn contents_override_is_converted_field_by_field() {
    let built = build(
        &manual(ParamOverrides {
            currency: lit(json!("USD")),
            contents: lit(json!([{
                "id": 42, "name": "Gold", "group_id": "G", "content_type": "plan",
                "quantity": "2", "amount": 1999, "currency": "eur",
                "variant_dict": {"size": "m"}, "color": "red", "price": 19.99
            }])),
            ..Default::default()
        }),
        json!({}),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(contents(&built)).unwrap(),
        json!([{"id": "42", "name": "Gold", "group_id": "G", "content_type": "plan",
                "quantity": 2, "amount": 1999, "currency": "EUR",
                "variant_dict": {"size": "m"}}])
    );
}

#[test]
fn contents_override_invalid_paths() {
    let with = |contents: Value<'static>| {
        build(
            &manual(ParamOverrides {
                currency: lit(json!("USD")),
                contents: lit(contents),
                ..Default::default()
            }),
            json!({}),
        )
    };
    assert_eq!(
        with(json!([{"content_type": "product"}, "SKU"])),
        Err(Invalid::ContentNotObject { index: 1 })
    );
    assert_eq!(
        with(json!({"content_type": "product"})),
        Err(Invalid::ContentsNotArray)
    );
    assert_eq!(with(json!("SKU_1")), Err(Invalid::ContentsNotArray));
    // Stape 37(f): an item without content_type.
    assert_eq!(
        with(json!([{"id": "SKU_001", "amount": 10}])),
        Err(Invalid::ContentTypeMissing { index: 0 })
    );
    assert_eq!(
        with(json!([{"content_type": "product"}, {"content_type": ""}])),
        Err(Invalid::ContentTypeMissing { index: 1 })
    );
    assert_eq!(
        with(json!([{"content_type": 5}])),
        Err(Invalid::ContentTypeMissing { index: 0 })
    );
    assert_eq!(
        with(json!([{"content_type": "product", "amount": 10.5}])),
        Err(Invalid::AmountNotInteger {
            field: "contents.amount"
        })
    );
    assert_eq!(
        with(json!([{"content_type": "product", "quantity": "two"}])),
        Err(Invalid::QuantityNotInteger { index: 0 })
    );
    assert_eq!(
        with(json!([{"content_type": "product", "currency": "euro"}])),
        Err(Invalid::CurrencyInvalid)
    );
    let dropped = with(json!([{"content_type": "product", "id": {"x": 1}, "name": null}])).unwrap();
    assert_eq!(contents(&dropped)[0].id, None);
}

#[test]
fn variant_dict_override_is_string_to_string_only() {
    let with = |contents: Value<'static>| {
        build(
            &manual(ParamOverrides {
                contents: lit(contents),
                ..Default::default()
            }),
            json!({}),
        )
    };
    let ok =
        with(json!([{"content_type": "product", "variant_dict": {"size": "m", "color": "red"}}]))
            .unwrap();
    let dict = contents(&ok)[0].variant_dict.clone().unwrap();
    assert_eq!(dict.get("size").map(String::as_str), Some("m"));
    assert_eq!(dict.len(), 2);
    for bad in [
        json!("size=m"),
        json!(["m"]),
        json!({"size": 3}),
        json!({"size": {"eu": "38"}}),
        json!({"size": null}),
        json!({"a": "x", "size": true}),
    ] {
        assert_eq!(
            with(
                json!([{"content_type": "product"}, {"content_type": "product", "variant_dict": bad}])
            ),
            Err(Invalid::VariantDictNotStrings { index: 1 }),
            "{bad}"
        );
    }
}

// --- shape rules ---

#[test]
fn contents_are_dropped_on_customer_action() {
    let lead = EventType::Standard(StandardType::LeadCreated);
    let built = build_with(
        &automap(),
        &lead,
        json!({"currency": "USD", "items": [{"item_id": "A", "price": 3}]}),
    )
    .unwrap();
    assert_eq!(built.contents, None);
    assert_eq!(built.amount, Some(300), "amount is allowed on every shape");
    // Even an override that would be invalid is not looked at.
    let built = build_with(
        &manual(ParamOverrides {
            contents: lit(json!(["bad"])),
            ..Default::default()
        }),
        &lead,
        json!({}),
    )
    .unwrap();
    assert_eq!(built, Data::new(DataShape::CustomerAction));
}

#[test]
fn plan_id_only_on_plan_enrollment_and_custom() {
    let with_plan = manual(ParamOverrides {
        plan_id: Some(ValueSource::Query("plan".into())),
        ..Default::default()
    });
    for (t, expected) in [
        (
            EventType::Standard(StandardType::SubscriptionCreated),
            Some("gold"),
        ),
        (
            EventType::Standard(StandardType::TrialStarted),
            Some("gold"),
        ),
        (EventType::from_name("my_event").unwrap(), Some("gold")),
        (EventType::Standard(StandardType::OrderCreated), None),
        (EventType::Standard(StandardType::LeadCreated), None),
    ] {
        let built = build_with(&with_plan, &t, json!({})).unwrap();
        assert_eq!(built.plan_id.as_deref(), expected, "{}", t.display_name());
    }
    let numeric = manual(ParamOverrides {
        plan_id: lit(json!(7)),
        ..Default::default()
    });
    let t = EventType::Standard(StandardType::SubscriptionCreated);
    assert_eq!(
        build_with(&numeric, &t, json!({}))
            .unwrap()
            .plan_id
            .as_deref(),
        Some("7")
    );
}

// --- validation: currency, integer amounts, content_type ---

#[test]
fn automapped_amounts_without_any_currency_are_dropped_and_the_event_kept() {
    let value_only = build(&automap(), json!({"value": 10})).unwrap();
    assert_eq!((value_only.amount, value_only.currency), (None, None));
    let items = build(
        &automap(),
        json!({"items": [{"item_id": "A", "price": 10}]}),
    )
    .unwrap();
    assert_eq!(items.amount, None);
    assert_eq!(contents(&items)[0].amount, None);
    assert_eq!(contents(&items)[0].id.as_deref(), Some("A"));
}

#[test]
fn an_amount_needs_a_currency() {
    // Stape 37(g): a manual amount without currency.
    assert_eq!(
        build(
            &manual(ParamOverrides {
                amount: lit(json!(50)),
                ..Default::default()
            }),
            json!({})
        ),
        Err(Invalid::CurrencyMissingForAmount)
    );
}

#[test]
fn an_item_amount_needs_a_currency_at_item_or_event_level() {
    let with = |contents: Value<'static>, currency: Option<Value<'static>>| {
        build(
            &manual(ParamOverrides {
                contents: lit(contents),
                currency: currency.and_then(lit),
                ..Default::default()
            }),
            json!({}),
        )
    };
    // Stape 37(h).
    assert_eq!(
        with(
            json!([{"id": "A", "content_type": "product"}, {"id": "B", "amount": 10, "content_type": "product"}]),
            None
        ),
        Err(Invalid::ItemCurrencyMissing { index: 1 })
    );
    // Stape 38: the item's own currency is enough.
    let ok = with(
        json!([{"id": "SKU_001", "amount": 10, "currency": "USD", "content_type": "product"}]),
        None,
    )
    .unwrap();
    assert_eq!(ok.currency, None);
    assert_eq!(contents(&ok)[0].currency.as_deref(), Some("USD"));
    assert!(with(
        json!([{"amount": 10, "content_type": "product"}]),
        Some(json!("USD"))
    )
    .is_ok());
}

#[test]
fn a_full_contents_event_serialises_as_the_api_expects() {
    let built = build(
        &automap(),
        json!({"value": 59.97, "currency": "USD", "items": [
            {"item_id": "SKU_1", "item_name": "Tee", "price": 19.99, "quantity": 2},
            {"item_id": "SKU_2", "item_name": "Cap", "price": 19.99, "quantity": 1}
        ]}),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        json!({"type": "contents", "amount": 5997, "currency": "USD", "contents": [
            {"id": "SKU_1", "name": "Tee", "content_type": "product", "quantity": 2, "amount": 1999},
            {"id": "SKU_2", "name": "Cap", "content_type": "product", "quantity": 1, "amount": 1999}
        ]})
    );
}
