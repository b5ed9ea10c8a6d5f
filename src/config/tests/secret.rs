//! The rules of `secret`: where a credential comes from and what it may hold.

use super::*;

#[test]
fn api_key_literal_or_env_never_empty_and_never_printed() {
    assert!(parse(json!({"pixel_id": "p"}))
        .unwrap_err()
        .reason
        .contains("api_key"));
    assert_eq!(field_of(with(&["api_key"], json!(""))), "api_key");
    assert_eq!(
        field_of(with(&["api_key"], json!("sk\r\nX-Injected: 1"))),
        "api_key"
    );
    let e = parse(with(&["api_key"], json!({"env": "MISSING_KEY"}))).unwrap_err();
    assert_eq!(e.field, "api_key.env");
    assert!(e.reason.contains("MISSING_KEY") && e.reason.contains("environment_variables"));
    assert!(parse(with(&["api_key"], json!({"env": "A", "extra": 1}))).is_err());
    let c = parse(with(&["api_key"], json!("sk-very-secret"))).unwrap();
    assert!(
        !format!("{c:?}").contains("sk-very-secret"),
        "Debug must redact the key"
    );
}

#[test]
fn a_missing_env_var_message_names_both_causes_without_blaming_vm_config() {
    let e = parse(with(&["api_key"], json!({"env": "OPENAI_CAPI_KEY"}))).unwrap_err();
    assert_eq!(e.field, "api_key.env");
    assert!(e.reason.contains("Envoy's environment"), "{e}");
    assert!(e.reason.contains("host_env_keys"), "{e}");
    assert!(!e.reason.contains("(list it in"), "{e}");
}
