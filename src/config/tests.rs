//! One test per validation rule of the configuration: each bad config names its field.

use super::*;
use serde_json::json;

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(v: Value) -> Result<Config, ConfigError> {
    Config::from_json(v.to_string().as_bytes(), &no_env)
}

fn minimal() -> Value {
    json!({"pixel_id": "px_123", "api_key": "sk-test"})
}

fn with(path: &[&str], value: Value) -> Value {
    let mut v = minimal();
    let mut cur = &mut v;
    for (i, key) in path.iter().enumerate() {
        if i + 1 == path.len() {
            cur[*key] = value.clone();
        } else {
            if cur.get(*key).is_none() {
                cur[*key] = json!({});
            }
            cur = cur.get_mut(*key).unwrap();
        }
    }
    v
}

fn field_of(v: Value) -> String {
    parse(v).unwrap_err().field
}

#[test]
fn minimal_config_gets_the_spec_defaults() {
    let c = parse(minimal()).unwrap();
    assert_eq!(c.pixel_id, "px_123");
    assert_eq!(c.api_key.expose(), "sk-test");
    assert_eq!(c.event_name, EventNameSetup::Inherit);
    assert_eq!(c.action_source, ActionSource::Web);
    assert!(!c.validate_only && !c.optimistic);
    assert_eq!(c.integration_source, None);
    assert_eq!(c.collect.endpoints.len(), 3);
    assert_eq!(c.collect.endpoint_format("/g/collect"), Some(Format::Ga4));
    assert_eq!(c.collect.endpoint_format("/mp/collect"), Some(Format::Mp));
    assert_eq!(c.collect.endpoint_format("/data"), Some(Format::Data));
    assert_eq!(c.collect.max_body_bytes, 65536);
    assert_eq!(c.collect.max_events_per_request, 50);
    assert!(!c.collect.allow_on_headers_stop_iteration);
    assert!(!c.collect.trust_client_ip_and_user_agent);
    assert_eq!(c.trigger.event_names, None);
    assert_eq!(
        c.trigger.exclude_event_names,
        crate::tag::trigger::GA4_AUTOMATIC_EVENTS.map(str::to_owned)
    );
    assert_eq!(c.consent.mode, ConsentMode::Optional);
    assert!(c.consent.user_data_requires_ad_user_data);
    assert_eq!(
        c.click_id_cookie,
        CookieSetting {
            enabled: true,
            expiration_days: 30
        }
    );
    assert_eq!(
        c.browser_id_cookie,
        CookieSetting {
            enabled: true,
            expiration_days: 365
        }
    );
    assert_eq!(c.cookie.domain, CookieDomain::Auto);
    assert_eq!(c.cookie.same_site, SameSite::Lax);
    assert!(!c.cookie.http_only);
    assert!(c.server_event_data.automap && c.server_event_data.generate_missing_id);
    assert_eq!(c.server_event_data.opt_out, None);
    assert!(c.user_data.automap);
    assert!(c.event_parameters.automap);
    assert_eq!(c.event_parameters.item_id_key, "item_id");
    assert_eq!(c.api.cluster, "openai_capi");
    assert_eq!(c.api.authority, "bzr.openai.com");
    assert_eq!(c.api.path, "/v1/events");
    assert_eq!(c.api.timeout_ms, 5000);
    assert_eq!(
        c.api.retry,
        Retry {
            horizon_ms: 600_000,
            max_attempts: None,
            initial_backoff_ms: 500,
            max_backoff_ms: 30000,
            max_queued_events: 20_000,
            max_queued_bytes: 16 * 1024 * 1024,
        }
    );
    assert_eq!(
        c.api.batch,
        Batch {
            max_events: 100,
            max_delay_ms: 100
        }
    );
    assert_eq!(c.logging.console, ConsoleLogging::Debug);
    assert_eq!(c.logging.bigquery, None);
}

#[test]
fn the_full_spec_example_parses() {
    let v = json!({
        "pixel_id": "2atj5meVpvtJ5kCtqhG3yX",
        "api_key": {"env": "OPENAI_CAPI_KEY"},
        "event_name": {"setup": "standard", "standard": "order_created", "custom": null},
        "action_source": "web",
        "validate_only": true,
        "optimistic": true,
        "integration_source": "Acme_Envoy",
        "collect": {"endpoints": [{"path": "/g/collect", "format": "ga4"}], "max_body_bytes": 1024,
                    "max_events_per_request": 10, "allow_on_headers_stop_iteration": true,
                    "trust_client_ip_and_user_agent": true},
        "trigger": {"event_names": ["purchase"], "exclude_event_names": ["scroll"]},
        "consent": {"mode": "required", "user_data_requires_ad_user_data": false},
        "click_id_cookie": {"enabled": false, "expiration_days": 7},
        "browser_id_cookie": {"enabled": true, "expiration_days": 90},
        "cookie": {"domain": "Example.com", "same_site": "strict", "http_only": true},
        "server_event_data": {"automap": false, "opt_out": true, "generate_missing_id": false,
                              "overrides": {"id": "{{event.transaction_id}}", "timestamp_ms": 1700000000000u64}},
        "user_data": {"automap": true, "overrides": {"email": "{{header.x-email}}", "country": "US"}},
        "event_parameters": {"automap": true, "item_id_key": "sku",
                             "overrides": {"amount": 1299, "currency": "USD", "contents": [{"id": "a", "content_type": "product"}]}},
        "api": {"cluster": "capi", "authority": "bzr.openai.com", "path": "/v1/events", "timeout_ms": 300,
                "retry": {"horizon_ms": 60000, "max_attempts": 5, "initial_backoff_ms": 100, "max_backoff_ms": 1000,
                          "max_queued_events": 5000, "max_queued_bytes": 2097152},
                "batch": {"max_events": 20, "max_delay_ms": 0}},
        "logging": {"console": "always", "bigquery": {"project_id": "p", "dataset_id": "d", "table_id": "t",
                    "cluster": "bq", "access_token": {"gcp_metadata": {"cluster": "metadata"}}}}
    });
    let env = |name: &str| (name == "OPENAI_CAPI_KEY").then(|| "sk-from-env".to_owned());
    let c = Config::from_json(v.to_string().as_bytes(), &env).unwrap();
    assert_eq!(c.api_key.expose(), "sk-from-env");
    assert_eq!(
        c.event_name,
        EventNameSetup::Fixed(EventType::Standard(StandardType::OrderCreated))
    );
    assert_eq!(c.integration_source.as_deref(), Some("acme_envoy"));
    assert!(c.collect.allow_on_headers_stop_iteration);
    assert!(c.collect.trust_client_ip_and_user_agent);
    assert_eq!(c.trigger.event_names, Some(vec!["purchase".to_owned()]));
    assert_eq!(c.consent.mode, ConsentMode::Required);
    assert_eq!(
        c.click_id_cookie,
        CookieSetting {
            enabled: false,
            expiration_days: 7
        }
    );
    assert_eq!(c.cookie.domain, CookieDomain::Fixed("example.com".into()));
    assert_eq!(c.cookie.same_site, SameSite::Strict);
    assert_eq!(
        c.server_event_data.overrides.id,
        Some(ValueSource::Event("transaction_id".into()))
    );
    assert_eq!(
        c.user_data.overrides.email,
        Some(ValueSource::Header("x-email".into()))
    );
    assert_eq!(c.event_parameters.item_id_key, "sku");
    assert_eq!(c.api.batch.max_delay_ms, 0);
    assert_eq!(c.logging.console, ConsoleLogging::Always);
    assert_eq!(
        c.logging.bigquery.unwrap().access_token,
        AccessToken::GcpMetadata {
            cluster: "metadata".into()
        }
    );
}

#[test]
fn unknown_keys_are_rejected_at_every_level() {
    let e = parse(with(&["colour"], json!(1))).unwrap_err();
    assert_eq!(e.field, "colour");
    assert!(e.reason.contains("unknown field `colour`"), "{}", e.reason);
    assert_eq!(
        field_of(with(&["api", "retry", "tries"], json!(1))),
        "api.retry.tries"
    );
    assert_eq!(
        field_of(with(&["user_data", "overrides", "zip_code"], json!("1"))),
        "user_data.overrides.zip_code"
    );
    assert_eq!(
        field_of(with(&["event_parameters", "overrides", "value"], json!(1))),
        "event_parameters.overrides.value"
    );
    assert_eq!(
        field_of(with(
            &["server_event_data", "overrides", "event_id"],
            json!("x")
        )),
        "server_event_data.overrides.event_id"
    );
}

#[test]
fn wrong_types_name_the_field() {
    let e = parse(with(&["collect", "max_body_bytes"], json!("big"))).unwrap_err();
    assert_eq!(e.field, "collect.max_body_bytes");
    assert!(e.reason.contains("invalid type"), "{}", e.reason);
    assert!(
        !e.reason.contains("line"),
        "position noise removed: {}",
        e.reason
    );
    assert_eq!(field_of(with(&["optimistic"], json!("yes"))), "optimistic");
    assert_eq!(
        field_of(with(
            &["collect", "endpoints"],
            json!([{"path": 1, "format": "ga4"}])
        )),
        "collect.endpoints[0].path"
    );
}

#[test]
fn not_json_is_refused() {
    let e = Config::from_json(b"{not json", &no_env).unwrap_err();
    assert_eq!(e.field, "(top level)");
    let e =
        Config::from_json(b"{\"pixel_id\":\"a\",\"api_key\":\"b\"} trailing", &no_env).unwrap_err();
    assert_eq!(e.field, "(top level)");
}

#[test]
fn pixel_id_is_required_and_non_empty() {
    let e = parse(json!({"api_key": "k"})).unwrap_err();
    assert!(e.reason.contains("pixel_id"), "{e}");
    let e = parse(with(&["pixel_id"], json!("  "))).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.reason.as_str()),
        ("pixel_id", "must not be empty")
    );
    assert_eq!(
        e.to_string(),
        "invalid configuration: pixel_id: must not be empty"
    );
    assert_eq!(field_of(with(&["pixel_id"], json!("a\nb"))), "pixel_id");
    assert_eq!(
        parse(with(&["pixel_id"], json!(" px "))).unwrap().pixel_id,
        "px"
    );
}

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
fn event_name_setup_rules() {
    assert_eq!(
        field_of(with(&["event_name", "setup"], json!("guess"))),
        "event_name.setup"
    );
    let e = parse(with(
        &["event_name"],
        json!({"setup": "standard", "standard": "purchase"}),
    ))
    .unwrap_err();
    assert_eq!(e.field, "event_name.standard");
    assert!(
        e.reason.contains("page_viewed"),
        "lists the valid types: {}",
        e.reason
    );
    assert_eq!(
        field_of(with(&["event_name"], json!({"setup": "custom"}))),
        "event_name.custom"
    );
    for bad in ["", "has space", "-dash", &"x".repeat(65)] {
        assert_eq!(
            field_of(with(
                &["event_name"],
                json!({"setup": "custom", "custom": bad})
            )),
            "event_name.custom",
            "{bad}"
        );
    }
    let c = parse(with(
        &["event_name"],
        json!({"setup": "custom", "custom": "Quote_Requested"}),
    ))
    .unwrap();
    assert_eq!(
        c.event_name,
        EventNameSetup::Fixed(EventType::from_name("quote_requested").unwrap())
    );
    // A custom name equal to a standard type is that standard type (Stape scenario 6).
    let c = parse(with(
        &["event_name"],
        json!({"setup": "custom", "custom": "order_created"}),
    ))
    .unwrap();
    assert_eq!(
        c.event_name,
        EventNameSetup::Fixed(EventType::Standard(StandardType::OrderCreated))
    );
}

#[test]
fn action_source_enum() {
    for ok in [
        "web",
        "mobile_app",
        "offline",
        "physical_store",
        "phone_call",
        "email",
        "other",
    ] {
        assert!(parse(with(&["action_source"], json!(ok))).is_ok(), "{ok}");
    }
    assert_eq!(
        field_of(with(&["action_source"], json!("app"))),
        "action_source"
    );
}

#[test]
fn integration_source_pattern() {
    for bad in ["", "-x", "has space", "é", &"a".repeat(65)] {
        assert_eq!(
            field_of(with(&["integration_source"], json!(bad))),
            "integration_source",
            "{bad}"
        );
    }
    assert_eq!(
        parse(with(&["integration_source"], json!(" Acme.v2 ")))
            .unwrap()
            .integration_source
            .as_deref(),
        Some("acme.v2")
    );
    assert_eq!(
        parse(with(&["integration_source"], Value::Null))
            .unwrap()
            .integration_source,
        None
    );
}

#[test]
fn collect_rules() {
    assert_eq!(
        field_of(with(&["collect", "endpoints"], json!([]))),
        "collect.endpoints"
    );
    assert_eq!(
        field_of(with(
            &["collect", "endpoints"],
            json!([{"path": "g/collect", "format": "ga4"}])
        )),
        "collect.endpoints[0].path"
    );
    assert_eq!(
        field_of(with(
            &["collect", "endpoints"],
            json!([{"path": "/a?x=1", "format": "ga4"}])
        )),
        "collect.endpoints[0].path"
    );
    assert_eq!(
        field_of(with(
            &["collect", "endpoints"],
            json!([{"path": "/a", "format": "ga4"}, {"path": "/a", "format": "mp"}])
        )),
        "collect.endpoints[1].path"
    );
    assert_eq!(
        field_of(with(
            &["collect", "endpoints"],
            json!([{"path": "/a", "format": "ua"}])
        )),
        "collect.endpoints[0].format"
    );
    assert_eq!(
        field_of(with(&["collect", "max_body_bytes"], json!(0))),
        "collect.max_body_bytes"
    );
    assert_eq!(
        field_of(with(&["collect", "max_body_bytes"], json!(2_000_000))),
        "collect.max_body_bytes"
    );
    assert_eq!(
        field_of(with(&["collect", "max_events_per_request"], json!(0))),
        "collect.max_events_per_request"
    );
    assert_eq!(
        field_of(with(&["collect", "max_events_per_request"], json!(1001))),
        "collect.max_events_per_request"
    );
    assert_eq!(
        field_of(with(&["collect", "max_events_per_request"], json!(-1))),
        "collect.max_events_per_request"
    );
}

#[test]
fn trigger_names_must_not_be_empty() {
    assert_eq!(
        field_of(with(&["trigger", "event_names"], json!(["a", ""]))),
        "trigger.event_names[1]"
    );
    assert_eq!(
        field_of(with(&["trigger", "exclude_event_names"], json!([""]))),
        "trigger.exclude_event_names[0]"
    );
}

#[test]
fn consent_mode_enum() {
    assert_eq!(
        field_of(with(&["consent", "mode"], json!("always"))),
        "consent.mode"
    );
}

#[test]
fn cookie_rules() {
    assert_eq!(
        field_of(with(&["click_id_cookie", "expiration_days"], json!(0))),
        "click_id_cookie.expiration_days"
    );
    assert_eq!(
        field_of(with(&["browser_id_cookie", "expiration_days"], json!(401))),
        "browser_id_cookie.expiration_days"
    );
    assert_eq!(
        field_of(with(&["cookie", "same_site"], json!("sometimes"))),
        "cookie.same_site"
    );
    assert_eq!(
        field_of(with(&["cookie", "domain"], json!("exa mple.com"))),
        "cookie.domain"
    );
    assert_eq!(
        field_of(with(&["cookie", "domain"], json!("example.com; HttpOnly"))),
        "cookie.domain"
    );
    assert_eq!(
        parse(with(&["cookie", "domain"], json!("AUTO")))
            .unwrap()
            .cookie
            .domain,
        CookieDomain::Auto
    );
    assert_eq!(
        parse(with(&["cookie", "domain"], json!(".shop.example.com")))
            .unwrap()
            .cookie
            .domain,
        CookieDomain::Fixed(".shop.example.com".into())
    );
    assert_eq!(
        parse(with(&["cookie", "same_site"], json!("None")))
            .unwrap()
            .cookie
            .same_site,
        SameSite::None
    );
}

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
fn api_rules() {
    let f = |path: &[&str], v: Value| field_of(with(path, v));
    assert_eq!(f(&["api", "cluster"], json!("")), "api.cluster");
    assert_eq!(f(&["api", "authority"], json!(" ")), "api.authority");
    assert_eq!(f(&["api", "path"], json!("v1/events")), "api.path");
    assert_eq!(f(&["api", "timeout_ms"], json!(0)), "api.timeout_ms");
    assert_eq!(
        f(&["api", "retry", "max_attempts"], json!(0)),
        "api.retry.max_attempts"
    );
    assert_eq!(
        f(&["api", "retry", "initial_backoff_ms"], json!(0)),
        "api.retry.initial_backoff_ms"
    );
    assert_eq!(
        f(
            &["api", "retry"],
            json!({"initial_backoff_ms": 1000, "max_backoff_ms": 10})
        ),
        "api.retry.max_backoff_ms"
    );
    assert_eq!(
        f(&["api", "retry", "max_attempts"], json!(1001)),
        "api.retry.max_attempts"
    );
    assert_eq!(
        f(&["api", "retry", "horizon_ms"], json!(86_400_001)),
        "api.retry.horizon_ms"
    );
    assert_eq!(
        f(&["api", "retry", "max_queued_events"], json!(999)),
        "api.retry.max_queued_events",
        "a queue holds at least one full call"
    );
    assert_eq!(
        f(&["api", "retry", "max_queued_bytes"], json!(1000)),
        "api.retry.max_queued_bytes"
    );
    assert_eq!(
        f(&["api", "retry", "max_queued_requests"], json!(10)),
        "api.retry.max_queued_requests",
        "the old call-count bound is refused by name"
    );
    assert_eq!(
        f(&["api", "batch", "max_events"], json!(0)),
        "api.batch.max_events"
    );
    assert_eq!(
        f(&["api", "batch", "max_events"], json!(1001)),
        "api.batch.max_events"
    );
    assert_eq!(
        f(&["api", "batch", "max_delay_ms"], json!(60_001)),
        "api.batch.max_delay_ms"
    );
    assert_eq!(
        f(&["api", "batch", "held_window_ms"], json!(1001)),
        "api.batch.held_window_ms"
    );
}

#[test]
fn held_window_defaults_to_a_few_ms_and_zero_turns_held_batching_off() {
    assert_eq!(parse(minimal()).unwrap().api.held_window_ms, 2);
    let off = parse(with(&["api", "batch", "held_window_ms"], json!(0))).unwrap();
    assert_eq!(off.api.held_window_ms, 0);
}

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

#[test]
fn parse_errors_name_line_and_column() {
    let text = b"{\n  \"pixel_id\": \"px\",\n  \"api_key\": \"k\",\n  \"collect\": {\"max_body_bytes\": \"big\"}\n}";
    let e = Config::from_json(text, &no_env).unwrap_err();
    assert_eq!(e.field, "collect.max_body_bytes");
    assert_eq!(
        e.position,
        Some(TextPosition {
            line: 4,
            column: 37
        })
    );
    assert!(e.to_string().ends_with("(line 4, column 37)"), "{e}");
    let e = Config::from_json(b"{\"pixel_id\": \"px\",\n oops}", &no_env).unwrap_err();
    assert_eq!(e.field, "(top level)");
    assert_eq!(e.position.map(|p| p.line), Some(2));
    // A semantic error has no text position.
    assert_eq!(
        parse(with(&["pixel_id"], json!(" "))).unwrap_err().position,
        None
    );
}

#[test]
fn placeholders_are_refused_naming_the_field() {
    let e = parse(with(&["pixel_id"], json!("REPLACE_WITH_PIXEL_ID"))).unwrap_err();
    assert_eq!(e.field, "pixel_id");
    assert!(e.reason.contains("placeholder"), "{e}");
    let e = parse(with(&["api_key"], json!("<your api key>"))).unwrap_err();
    assert_eq!(e.field, "api_key");
    assert!(
        !e.reason.contains("your api key"),
        "a secret is not quoted: {e}"
    );
    let env = |n: &str| (n == "KEY").then(|| "REPLACE_WITH_API_KEY".to_owned());
    let v = with(&["api_key"], json!({"env": "KEY"}));
    let e = Config::from_json(v.to_string().as_bytes(), &env).unwrap_err();
    assert_eq!(e.field, "api_key");
    assert_eq!(
        field_of(with(&["api", "cluster"], json!("REPLACE_WITH_CLUSTER"))),
        "api.cluster"
    );
    assert_eq!(
        field_of(with(&["integration_source"], json!("REPLACE_WITH_SOURCE"))),
        "integration_source"
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

#[test]
fn a_protobuf_struct_configuration_is_accepted_like_json() {
    use prost::Message;
    use prost_types::value::Kind;
    use std::collections::BTreeMap;
    let text = |s: &str| prost_types::Value {
        kind: Some(Kind::StringValue(s.into())),
    };
    let collect = prost_types::Struct {
        fields: BTreeMap::from([(
            "max_events_per_request".into(),
            prost_types::Value {
                kind: Some(Kind::NumberValue(20.0)),
            },
        )]),
    };
    let s = prost_types::Struct {
        fields: BTreeMap::from([
            ("pixel_id".into(), text("px")),
            ("api_key".into(), text("k")),
            (
                "collect".into(),
                prost_types::Value {
                    kind: Some(Kind::StructValue(collect)),
                },
            ),
        ]),
    };
    let c = Config::from_plugin_configuration(&s.encode_to_vec(), &no_env).unwrap();
    assert_eq!(c.pixel_id, "px");
    assert_eq!(c.collect.max_events_per_request, 20);
    let json = Config::from_plugin_configuration(minimal().to_string().as_bytes(), &no_env);
    assert_eq!(json.unwrap().pixel_id, "px_123");
    let bad = prost_types::Struct {
        fields: BTreeMap::from([("pixel_id".into(), text("px"))]),
    };
    let e = Config::from_plugin_configuration(&bad.encode_to_vec(), &no_env).unwrap_err();
    assert!(e.reason.contains("api_key"), "{e}");
}

#[test]
fn metric_prefix_defaults_and_is_a_stat_segment() {
    assert_eq!(parse(minimal()).unwrap().metric_prefix, "openai_capi");
    assert_eq!(
        parse(with(&["metric_prefix"], json!("shop_a")))
            .unwrap()
            .metric_prefix,
        "shop_a"
    );
    for bad in ["", "Shop", "a.b", "1x", "a-b"] {
        assert_eq!(
            field_of(with(&["metric_prefix"], json!(bad))),
            "metric_prefix",
            "{bad}"
        );
    }
}

#[test]
fn bigquery_service_account_key_is_read_from_the_env_and_parsed_at_configure_time() {
    let key = include_str!("../../tests/fixtures/google/test-service-account.json");
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

fn env_k(name: &str) -> Option<String> {
    (name == "K")
        .then(|| include_str!("../../tests/fixtures/google/test-service-account.json").to_owned())
}

#[test]
fn app_event_type_needs_mobile_app_action_source() {
    for t in ["app_installed", "app_opened"] {
        let standard = json!({"setup": "standard", "standard": t});
        let err = parse(with(&["event_name"], standard.clone())).unwrap_err();
        assert_eq!(err.field, "event_name.standard");
        assert!(err.reason.contains("mobile_app"), "{}", err.reason);
        let mut other = with(&["event_name"], standard.clone());
        other["action_source"] = json!("offline");
        assert_eq!(field_of(other), "event_name.standard");
        let mut app = with(&["event_name"], standard);
        app["action_source"] = json!("mobile_app");
        assert!(parse(app).is_ok());
        // A custom name that is an app type is that type.
        let custom = with(&["event_name"], json!({"setup": "custom", "custom": t}));
        assert_eq!(field_of(custom), "event_name.custom");
    }
    // Inherit may meet app events: they are checked per event.
    assert!(parse(with(&["event_name", "setup"], json!("inherit"))).is_ok());
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

#[test]
fn api_authority_refuses_anything_that_would_break_the_authority_header() {
    let f = |v: &str| parse(with(&["api", "authority"], json!(v)));
    for bad in [
        "bzr.openai.com\r\nx-injected: 1",
        "bzr.openai.com\n",
        "bzr openai.com",
        "bzr.openai.com\t",
        "https://bzr.openai.com",
        "bzr.openai.com/v1",
        "user@bzr.openai.com",
        "bzr.openai.com:",
        "bzr.openai.com:0",
        "bzr.openai.com:99999",
        "bzr.openai.com:https",
        "bzr.openai.com?x",
        "bzr.openai.com#x",
        "bzr.openai.com;x",
        "bzr.\u{f6}penai.com",
        "[::1",
        "[not-v6]:443",
        "::1",
        "\u{0}",
    ] {
        let e = f(bad).unwrap_err();
        assert_eq!(e.field, "api.authority", "{bad:?}");
        assert!(e.reason.contains("must be a host name"), "{bad:?}: {e}");
        assert!(!e.to_string().contains(['\r', '\n']), "{e}");
    }
    for good in [
        "bzr.openai.com",
        "bzr.openai.com:443",
        "capi-standin",
        "api_internal.svc:8443",
        "127.0.0.1:8081",
        "[::1]:8081",
        "[2001:db8::1]",
        " bzr.openai.com ",
    ] {
        assert!(f(good).is_ok(), "{good:?}: {:?}", f(good).err());
    }
}

#[test]
fn api_path_refuses_anything_that_would_break_the_request_line() {
    let f = |v: &str| parse(with(&["api", "path"], json!(v)));
    for bad in [
        "/v1/events\r\nx: 1",
        "/v1/events\n",
        "/v1/ events",
        "/v1/events\t",
        "/v1/events?x=1",
        "/v1/events#f",
        "/v1/\u{e9}vents",
        "/v1/%zzevents",
        "/v1/events%2",
        "/v1/\"events\"",
        "/v1/<events>",
        "/v1\\events",
        "/v1/{events}",
        "v1/events",
    ] {
        let e = f(bad).unwrap_err();
        assert_eq!(e.field, "api.path", "{bad:?}");
        assert!(
            e.reason.contains("must be an absolute path"),
            "{bad:?}: {e}"
        );
    }
    for good in [
        "/v1/events",
        "/",
        "/a-b/c_d.e~f/%2Fx",
        "/v1/events;v=2",
        "/@me:x",
    ] {
        assert_eq!(f(good).unwrap().api.path, good);
    }
}

#[test]
fn config_errors_never_carry_a_raw_line_break() {
    // serde's message quotes the unknown key as written.
    let e = parse(json!({"pixel_id": "p", "api_key": "k", "bad\r\nkey": 1})).unwrap_err();
    assert!(e.to_string().contains('\n'), "the glue must escape: {e}");
    let line = crate::observe::redact::Escaped(&e.to_string()).to_string();
    assert!(!line.contains(['\r', '\n']), "{line}");
}
