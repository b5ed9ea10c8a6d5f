use super::*;

#[test]
fn the_first_overrun_ends_every_later_charge() {
    let mut budget = Budget::for_request(0);
    assert_eq!(budget.charge(Resource::Params, PARAMS_BASE), Ok(()));
    assert_eq!(budget.charge(Resource::Params, 1), Err(Resource::Params));
    assert_eq!(
        budget.charge(Resource::ArraySlots, 1),
        Err(Resource::Params)
    );
    assert_eq!(budget.exceeded(), Some(Resource::Params));
}

#[test]
fn allowances_grow_with_the_request() {
    let mut small = Budget::for_request(100);
    assert_eq!(small.charge(Resource::KeptBytes, 1000), Ok(()));
    assert_eq!(
        small.charge(Resource::KeptBytes, 1),
        Err(Resource::KeptBytes)
    );
    let mut large = Budget::for_request(10_000);
    assert_eq!(large.charge(Resource::KeptBytes, 100_000), Ok(()));
}

#[test]
fn budgeted_json_parses_like_serde_json() {
    let text = br#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}],"c":"\u00e9","d":18446744073709551615}"#;
    let mut budget = Budget::for_request(text.len());
    let parsed = budget.parse_json(text).unwrap();
    assert_eq!(parsed, serde_json::from_slice::<Value>(text).unwrap());
    assert!(matches!(
        budget.parse_json(b"{\"a\":1} x"),
        Err(JsonError::Syntax)
    ));
    assert_eq!(budget.exceeded(), None);
}

#[test]
fn json_of_many_tiny_objects_is_refused_before_it_is_built() {
    let text = format!("[{}]", vec![r#"{"a":0}"#; 3000].join(","));
    let mut budget = Budget::for_request(text.len());
    assert!(matches!(
        budget.parse_json(text.as_bytes()),
        Err(JsonError::Budget)
    ));
    assert_eq!(budget.exceeded(), Some(Resource::EventBytes));
}

#[test]
fn elements_stream_one_at_a_time_and_stop_on_request() {
    let raw: Box<RawValue> = serde_json::from_str(r#"[{"a":1}, 2, "three", [4]]"#).unwrap();
    let mut seen = Vec::new();
    for_each_element(&raw, &mut |i, element| {
        seen.push((i, element.get().to_owned()));
        i < 2
    })
    .unwrap();
    assert_eq!(
        seen,
        vec![
            (0, r#"{"a":1}"#.to_owned()),
            (1, "2".to_owned()),
            (2, r#""three""#.to_owned())
        ]
    );
    let object: Box<RawValue> = serde_json::from_str(r#"{"a":1}"#).unwrap();
    assert!(for_each_element(&object, &mut |_, _| true).is_err());
}
