//! The rules of `logging`: the console level, full bodies and the BigQuery sink with its
//! access token.

use super::*;

#[test]
fn logging_rules() {
    assert_eq!(
        field_of(with(&["logging", "console"], json!("loud"))),
        "logging.console"
    );
    let bq = |token: Value| json!({"project_id": "p", "dataset_id": "d", "table_id": "t", "cluster": "c", "access_token": token});
    assert_eq!(
        field_of(with(&["logging", "bigquery"], json!({"project_id": "p"}))),
        "logging.bigquery"
    );
    assert_eq!(
        field_of(with(&["logging", "bigquery"], bq(json!({"env": "NOPE"})))),
        "logging.bigquery.access_token.env"
    );
    assert_eq!(
        field_of(with(
            &["logging", "bigquery"],
            bq(json!({"gcp_metadata": {"cluster": ""}}))
        )),
        "logging.bigquery.access_token.gcp_metadata.cluster"
    );
    assert!(parse(with(&["logging", "bigquery"], bq(json!("ya29.token")))).is_ok());
}

#[cfg(not(feature = "service-account"))]
#[test]
fn without_the_service_account_feature_a_key_is_refused_naming_the_field_and_the_build() {
    let key = include_str!("../../../tests/fixtures/google/test-service-account.json");
    let v = with(
        &["logging", "bigquery"],
        json!({"project_id": "p", "dataset_id": "d", "table_id": "t", "cluster": "bigquery",
               "access_token": {"service_account_key": {"env": "GOOGLE_KEY"}}}),
    );
    let env = |name: &str| (name == "GOOGLE_KEY").then(|| key.to_owned());
    let e = Config::from_json(v.to_string().as_bytes(), &env).unwrap_err();
    assert_eq!(e.field, "logging.bigquery.access_token.service_account_key");
    assert!(
        e.to_string()
            .contains("build with `make build FEATURES=service-account`"),
        "{e}"
    );
}

#[cfg(feature = "service-account")]
#[test]
fn bigquery_service_account_key_is_read_from_the_env_and_parsed_at_configure_time() {
    let key = include_str!("../../../tests/fixtures/google/test-service-account.json");
    let v = with(
        &["logging", "bigquery"],
        json!({"project_id": "p", "dataset_id": "d", "table_id": "t", "cluster": "bigquery",
               "access_token": {"service_account_key": {"env": "GOOGLE_KEY"}}}),
    );
    let env = |name: &str| (name == "GOOGLE_KEY").then(|| key.to_owned());
    let c = Config::from_json(v.to_string().as_bytes(), &env).unwrap();
    match c.logging.bigquery.unwrap().access_token {
        AccessToken::ServiceAccount { key, cluster } => {
            assert_eq!(cluster, "google_oauth2");
            assert_eq!(
                key.client_email,
                "capi-logger@capi-test.iam.gserviceaccount.com"
            );
        }
        other => panic!("{other:?}"),
    }
    // Missing variable, and a variable that is not a key: the field is named, the value never.
    assert_eq!(
        field_of(v.clone()),
        "logging.bigquery.access_token.service_account_key.env"
    );
    let bad =
        |_: &str| Some("{\"type\":\"service_account\",\"private_key\":\"SECRETPEM\"}".to_owned());
    let e = Config::from_json(v.to_string().as_bytes(), &bad).unwrap_err();
    assert_eq!(
        e.field,
        "logging.bigquery.access_token.service_account_key.env"
    );
    assert!(!e.to_string().contains("SECRETPEM"), "{e}");
    let unknown = with(
        &["logging", "bigquery"],
        json!({"project_id": "p", "dataset_id": "d", "table_id": "t", "cluster": "bigquery",
               "access_token": {"service_account_key": {"env": "K", "cluster": ""}}}),
    );
    let e = Config::from_json(unknown.to_string().as_bytes(), &env_k).unwrap_err();
    assert_eq!(
        e.field,
        "logging.bigquery.access_token.service_account_key.cluster"
    );
}

#[cfg(feature = "service-account")]
#[test]
fn a_service_account_key_above_4096_bits_is_refused_naming_the_field_and_the_limit() {
    let mut key: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/google/test-service-account.json"
    ))
    .unwrap();
    let pem = include_str!("../../../tests/fixtures/google/test-only-rsa-4098.pem");
    key["private_key"] = pem.into();
    let v = with(
        &["logging", "bigquery"],
        json!({"project_id": "p", "dataset_id": "d", "table_id": "t", "cluster": "bigquery",
               "access_token": {"service_account_key": {"env": "GOOGLE_KEY"}}}),
    );
    let env = |name: &str| (name == "GOOGLE_KEY").then(|| key.to_string());
    let e = Config::from_json(v.to_string().as_bytes(), &env).unwrap_err();
    assert_eq!(
        e.field,
        "logging.bigquery.access_token.service_account_key.env"
    );
    let text = e.to_string();
    assert!(
        text.contains("4098-bit") && text.contains("4096 bits"),
        "{text}"
    );
    let key_line = pem.lines().nth(3).unwrap();
    assert!(!text.contains(key_line), "{text}");
}

#[cfg(feature = "service-account")]
fn env_k(name: &str) -> Option<String> {
    (name == "K").then(|| {
        include_str!("../../../tests/fixtures/google/test-service-account.json").to_owned()
    })
}

#[test]
fn logging_full_bodies_is_off_by_default_and_a_boolean() {
    assert!(!parse(minimal()).unwrap().logging.full_bodies);
    assert!(
        parse(with(&["logging", "full_bodies"], json!(true)))
            .unwrap()
            .logging
            .full_bodies
    );
    assert_eq!(
        field_of(with(&["logging", "full_bodies"], json!("yes"))),
        "logging.full_bodies"
    );
}
