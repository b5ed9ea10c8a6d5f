use super::*;
use serde_json::json;

#[test]
fn arrays_are_refused_except_in_list_fields_and_overrides() {
    assert!(refuse_positional_objects(
        &json!({"collect": {"endpoints": [{"path": "/g"}]},
        "trigger": {"event_names": ["a"]},
        "event_parameters": {"overrides": {"contents": [{"content_type": "x"}]}}}),
        ""
    )
    .is_ok());
    let e = refuse_positional_objects(&json!(["px", "k"]), "").unwrap_err();
    assert_eq!(e.field, "(top level)");
    let e = refuse_positional_objects(&json!({"collect": [[], 5]}), "").unwrap_err();
    assert_eq!(e.field, "collect");
    let e = refuse_positional_objects(&json!({"api_key": ["OPENAI_KEY"]}), "").unwrap_err();
    assert_eq!(e.field, "api_key");
    let e = refuse_positional_objects(
        &json!({"collect": {"endpoints": [["/g/collect", "ga4"]]}}),
        "",
    )
    .unwrap_err();
    assert_eq!(e.field, "collect.endpoints[0]");
}
