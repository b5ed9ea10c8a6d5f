//! The data layer's `ecommerce` object (`ecommerce.value`, `ecommerce.currency`): used when the
//! event's own fields are absent, after them and before the items.

use super::*;

#[test]
fn ecommerce_value_and_currency_are_used_when_top_level_absent() {
    let built = build(
        &automap(),
        json!({"ecommerce": {"value": 42.5, "currency": "EUR",
                             "items": [{"item_id": "SKU1", "price": 40, "quantity": 1}]}}),
    )
    .unwrap();
    assert_eq!(built.amount, Some(4250));
    assert_eq!(built.currency.as_deref(), Some("EUR"));
    assert_eq!(contents(&built)[0].amount, Some(4000));
}

#[test]
fn top_level_value_beats_ecommerce_value() {
    let built = build(
        &automap(),
        json!({"value": 10, "currency": "USD", "ecommerce": {"value": 42.5}}),
    )
    .unwrap();
    assert_eq!(built.amount, Some(1000));
}

#[test]
fn top_level_currency_beats_ecommerce_currency() {
    let built = build(
        &automap(),
        json!({"currency": "USD", "ecommerce": {"value": 3, "currency": "EUR"}}),
    )
    .unwrap();
    assert_eq!(built.currency.as_deref(), Some("USD"));
    assert_eq!(built.amount, Some(300));
}

#[test]
fn ecommerce_currency_beats_the_first_items_currency() {
    let built = build(
        &automap(),
        json!({"ecommerce": {"currency": "JPY",
                             "items": [{"item_id": "A", "price": 500, "currency": "USD"}]}}),
    )
    .unwrap();
    assert_eq!(built.currency.as_deref(), Some("JPY"));
    // The item keeps its own, different currency, so its amount is not summed.
    assert_eq!(contents(&built)[0].currency.as_deref(), Some("USD"));
    assert_eq!(built.amount, None);
}

#[test]
fn items_currency_stays_the_last_fallback() {
    let built = build(
        &automap(),
        json!({"ecommerce": {"value": 5, "items": [{"item_id": "A", "currency": "gbp"}]}}),
    )
    .unwrap();
    assert_eq!(built.currency.as_deref(), Some("GBP"));
    assert_eq!(built.amount, Some(500));
}

#[test]
fn ecommerce_value_beats_the_items_sum() {
    let built = build(
        &automap(),
        json!({"currency": "EUR",
               "ecommerce": {"value": 7, "items": [{"item_id": "A", "price": 1, "quantity": 2}]}}),
    )
    .unwrap();
    assert_eq!(built.amount, Some(700));
}

#[test]
fn a_value_that_is_not_a_number_passes_to_ecommerce_value_then_the_items_sum() {
    let to_ecommerce = build(
        &automap(),
        json!({"value": "n/a", "currency": "EUR", "ecommerce": {"value": "12.30"}}),
    )
    .unwrap();
    assert_eq!(to_ecommerce.amount, Some(1230));
    let to_items = build(
        &automap(),
        json!({"currency": "EUR", "value": null, "ecommerce": {"value": "",
               "items": [{"item_id": "A", "price": 2, "quantity": 3}]}}),
    )
    .unwrap();
    assert_eq!(to_items.amount, Some(600));
}

#[test]
fn a_non_iso_ecommerce_currency_counts_as_absent_like_a_top_level_one() {
    // The first currency present decides, as for `currency`; the item's is not consulted.
    let built = build(
        &automap(),
        json!({"ecommerce": {"value": 9, "currency": "BTC",
                             "items": [{"item_id": "A", "price": 9, "currency": "EUR"}]}}),
    )
    .unwrap();
    assert_eq!(built.currency, None);
    assert_eq!(built.amount, None);
}

#[test]
fn ecommerce_value_and_currency_are_not_read_with_automap_off() {
    let built = build(
        &manual(ParamOverrides::default()),
        json!({"ecommerce": {"value": 42.5, "currency": "EUR"}}),
    )
    .unwrap();
    assert_eq!((built.amount, built.currency), (None, None));
}

#[test]
fn a_currency_override_still_beats_ecommerce_currency() {
    let built = build(
        &config(
            true,
            ParamOverrides {
                currency: lit(json!("JPY")),
                ..ParamOverrides::default()
            },
        ),
        json!({"ecommerce": {"value": 1500, "currency": "EUR"}}),
    )
    .unwrap();
    assert_eq!(built.currency.as_deref(), Some("JPY"));
    assert_eq!(built.amount, Some(1500));
}
