use super::*;
use serde_json::json;

fn item(raw: &str) -> (Value<'_>, Vec<String>) {
    let mut notes = Vec::new();
    let item = decode_item("pr1", raw, &mut notes)
        .map(Value::Object)
        .unwrap();
    (item, notes)
}

#[test]
fn every_code_maps_to_its_ga4_key() {
    let (got, notes) = item(
        "idSKU~nmTee~brAcme~caApparel~c2Adult~c3Shirts~c4Crew~c5Short~vagreen~pr10.01~qt3\
         ~cpSUMMER~ds2.22~lp0~lirelated~lnRelated Products~loChIJ~afStore~piP_1~pnSale\
         ~cnbanner~csslot1",
    );
    assert!(notes.is_empty());
    assert_eq!(
        got,
        json!({
            "item_id": "SKU", "item_name": "Tee", "item_brand": "Acme",
            "item_category": "Apparel", "item_category2": "Adult", "item_category3": "Shirts",
            "item_category4": "Crew", "item_category5": "Short", "item_variant": "green",
            "price": 10.01, "quantity": 3, "coupon": "SUMMER", "discount": 2.22, "index": 0,
            "item_list_id": "related", "item_list_name": "Related Products",
            "location_id": "ChIJ", "affiliation": "Store", "promotion_id": "P_1",
            "promotion_name": "Sale", "creative_name": "banner", "creative_slot": "slot1"
        })
    );
}

#[test]
fn ca2_to_ca5_after_a_first_ca_are_categories_2_to_5() {
    let (got, _) = item("idA~caMain~ca2Second~ca5Fifth");
    assert_eq!(
        got,
        json!({"item_id": "A", "item_category": "Main", "item_category2": "Second",
               "item_category5": "Fifth"})
    );
}

#[test]
fn a_first_ca_is_the_category_even_when_it_starts_with_a_digit() {
    let (got, _) = item("idA~ca2024 Collection");
    assert_eq!(
        got,
        json!({"item_id": "A", "item_category": "2024 Collection"})
    );
    let (then_alias, _) = item("idA~ca3D Printers~ca2Resin");
    assert_eq!(
        then_alias,
        json!({"item_id": "A", "item_category": "3D Printers", "item_category2": "Resin"})
    );
}

#[test]
fn gtag_c2_keeps_its_slot_before_a_ca_alias_of_the_same_level() {
    // The first value of a key wins, whichever code wrote it.
    let (got, _) = item("idA~caMain~c2Gtag~ca2Alias");
    assert_eq!(
        got,
        json!({"item_id": "A", "item_category": "Main", "item_category2": "Gtag"})
    );
}

#[test]
fn custom_pairs_unknown_codes_and_variant() {
    let (got, _) = item(
        "idX~k0google_business_vertical~v0retail~k1size~v142~vablue~zz99~k10ten~v10dix~v7orphan",
    );
    assert_eq!(
        got,
        json!({
            "item_id": "X", "google_business_vertical": "retail", "size": "42",
            "item_variant": "blue", "zz": "99", "ten": "dix", "v7": "orphan"
        })
    );
}

#[test]
fn non_numeric_numbers_stay_text_with_a_note() {
    let (got, notes) = item("idA~prabc~qt");
    assert_eq!(got, json!({"item_id": "A", "price": "abc", "quantity": ""}));
    assert_eq!(notes.len(), 2);
    assert!(notes[0].contains("`pr1.pr`"));
}

#[test]
fn first_value_of_a_repeated_code_wins_and_short_tokens_are_skipped() {
    let (got, _) = item("idA~idB~~x~nmÄpfel");
    assert_eq!(got, json!({"item_id": "A", "item_name": "Äpfel"}));
}

#[test]
fn items_are_ordered_by_index_and_capped() {
    let values: Vec<(String, String)> = (1..=5)
        .rev()
        .map(|i| (format!("pr{i}"), format!("id{i}")))
        .collect();
    let raw = values
        .iter()
        .map(|(n, v)| (n[2..].parse().unwrap(), n.as_str(), v.as_str()))
        .collect();
    let mut limits = Limits::new(10);
    limits.max_items = 3;
    let mut notes = Vec::new();
    let got = decode_all(raw, &limits, &mut notes);
    assert_eq!(
        got,
        vec![
            json!({"item_id": "1"}),
            json!({"item_id": "2"}),
            json!({"item_id": "3"})
        ]
    );
    assert_eq!(notes, vec!["2 items beyond the limit of 3 dropped"]);
}
