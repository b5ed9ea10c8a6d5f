//! One test per validation rule of the configuration: each bad config names its field.
//!
//! Here: the shared helpers, parsing as a whole and the top-level fields; each section's rules
//! are tested in the module named after the section's module.

mod api;
mod collect;
mod cookie;
mod event_data;
mod logging;
mod secret;

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
        crate::model::GA4_AUTOMATIC_EVENTS.map(str::to_owned)
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
    assert_eq!(c.collect.measurement_ids, None);
    assert!(c.trigger.refresh_cookies);
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
        "server_event_data": {"automap": false, "opt_out": "from_hit", "generate_missing_id": false,
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
    assert_eq!(c.server_event_data.opt_out, Some(OptOut::FromHit));
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
fn consent_mode_enum() {
    assert_eq!(
        field_of(with(&["consent", "mode"], json!("always"))),
        "consent.mode"
    );
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
