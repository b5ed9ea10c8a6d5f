//! Injection through request-derived values: a `Host` header must not smuggle attributes into
//! `Set-Cookie`, and a request value must never forge or split an Envoy log line.

use crate::harness::{Env, Options};
use std::time::Duration;

const HIT: &str = "/g/collect?v=2&cid=1.2&_p=5&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F";

#[test]
fn a_host_header_with_cookie_attributes_writes_no_domain() {
    let env = Env::start(Options::default());
    let r = env.get(
        &format!("{HIT}&_s=1"),
        &[("Host", "shop.example.com;Domain=evil.com")],
    );
    assert_eq!(r.status, 204);
    let cookies = r.set_cookies();
    let obref = r
        .cookie("__obref")
        .expect("browser id cookie still written");
    for c in &cookies {
        let lower = c.to_ascii_lowercase();
        assert!(!lower.contains("evil"), "attribute injected: {c}");
        assert!(
            !lower.contains("domain="),
            "no Domain for an invalid host: {c}"
        );
    }
    assert!(obref.contains("; Path=/;"), "{obref}");

    // A well-formed host with a port still gets its registrable domain.
    let r = env.get(
        &format!("{HIT}&_s=2"),
        &[("Host", "Shop.Example.com:10000")],
    );
    assert_eq!(r.status, 204);
    let obref = r.cookie("__obref").expect("browser id cookie");
    assert!(obref.contains("; Domain=example.com;"), "{obref}");
    // IP literals get a host-only cookie.
    for (seq, host) in [(3, "[::1]:10000"), (4, "127.0.0.1:10000")] {
        let r = env.get(&format!("{HIT}&_s={seq}"), &[("Host", host)]);
        let obref = r.cookie("__obref").expect("browser id cookie");
        assert!(!obref.contains("Domain="), "{host}: {obref}");
    }
    assert_eq!(
        env.wait_stat("events_sent", 4, Duration::from_secs(5)),
        4,
        "every hit still delivered"
    );
    env.assert_no_crash();
}

/// Text an attacker wants to appear as a log line of its own.
const FORGED: &str = "FORGED-LINE [critical][wasm] admin login from 10.0.0.1";

/// No line of the log starts with the forged text, and the escaped form is there, so the value
/// did reach the log (as one line).
fn assert_not_forged(log: &str) {
    for line in log.lines() {
        assert!(
            !line.trim_start().starts_with("FORGED-LINE"),
            "a request value forged a log line: {line:?}\n{log}"
        );
    }
    assert!(
        log.contains("\\r\\nFORGED-LINE"),
        "the event name should be logged, escaped:\n{log}"
    );
}

#[test]
fn a_crlf_event_name_cannot_forge_a_log_line() {
    let env = Env::start(Options {
        filter: serde_json::json!({"logging": {"console": "always"}}),
        wasm_log_level: "debug",
        ..Options::default()
    });
    let name: String =
        url::form_urlencoded::byte_serialize(format!("x\r\n{FORGED}").as_bytes()).collect();
    // GA4: a plain debug line ("event … dropped") and a console record.
    let r = env.get(
        &format!("/g/collect?v=2&cid=1.2&_p=5&_s=3&en={name}&dl=https%3A%2F%2Fshop.example.com%2F"),
        &[],
    );
    assert_eq!(r.status, 204);
    // Data Client JSON and Measurement Protocol carry the name unencoded.
    let raw_name = format!("y\r\n{FORGED}\u{2028}\u{85}");
    let r = env.post(
        "/data",
        &[("Content-Type", "application/json")],
        serde_json::json!({"event_name": raw_name, "page_location": "https://shop.example.com/"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.status, 204);
    let r = env.post(
        "/mp/collect?api_secret=s",
        &[("Content-Type", "application/json")],
        serde_json::json!({"client_id": "1.2", "events": [{"name": raw_name,
            "params": {"page_location": "https://shop.example.com/"}}]})
        .to_string()
        .as_bytes(),
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        env.wait_stat("events_invalid", 3, Duration::from_secs(5)),
        3,
        "the three events are dropped as invalid"
    );
    let log = env.log();
    assert_not_forged(&log);
    for raw in ['\u{2028}', '\u{85}'] {
        assert!(!log.contains(raw), "{raw:?} reached the log raw");
    }
    env.assert_no_crash();
}

const RAW_IP: &str = "203.0.113.77";
const RAW_UA: &str = "SecretAgent/9.9 (PII-UA-MARKER)";
const PAGE: &str =
    "https://shop.example.com/checkout?token=QUERY-SECRET-77&email=q%40x.io#FRAG-SECRET";

/// One MP hit carrying an IP, a user agent, geo and a page URL with query, and one whose event
/// the API rejects with an answer that echoes part of the request.
fn send_personal_data(env: &Env) {
    env.api.set_faults(capi_standin::Faults {
        reject_event_id: Some("REJECT-ME".into()),
        ..capi_standin::Faults::default()
    });
    for (id, name) in [("KEEP-1", "page_view"), ("REJECT-ME", "sign_up")] {
        let r = env.post(
            "/mp/collect?api_secret=s",
            &[("Content-Type", "application/json")],
            serde_json::json!({"client_id": "1.2", "ip_override": RAW_IP, "user_agent": RAW_UA,
                "user_data": {"address": [{"city": "Springfieldia", "region": "Regionshire",
                    "postal_code": "PC-90210", "country": "DE"}]},
                "events": [{"name": name, "params": {"page_location": PAGE, "event_id": id}}]})
            .to_string()
            .as_bytes(),
        );
        assert_eq!(r.status, 204);
    }
    assert_eq!(env.wait_stat("events_sent", 1, Duration::from_secs(5)), 1);
    assert_eq!(env.wait_stat("events_failed", 1, Duration::from_secs(5)), 1);
    // The API itself received everything raw: redaction is for logs only. (The fragment is
    // client-side state and never leaves, with or without redaction.)
    let sent = env.api.requests();
    let first = &sent[0].events()[0];
    assert_eq!(first["user"]["ip_address"], RAW_IP);
    assert_eq!(first["user"]["user_agent"], RAW_UA);
    assert_eq!(first["source_url"], PAGE.split('#').next().unwrap());
}

#[test]
fn logs_carry_no_raw_ip_user_agent_geo_url_query_or_api_answer_by_default() {
    let env = Env::start(Options {
        filter: serde_json::json!({"logging": {"console": "always"}}),
        wasm_log_level: "trace",
        ..Options::default()
    });
    send_personal_data(&env);
    let log = env.log();
    assert!(
        log.contains("\"Type\":\"Request\"") && log.contains("\"Type\":\"Response\""),
        "{log}"
    );
    for raw in [
        RAW_IP,
        "PII-UA-MARKER",
        "Springfieldia",
        "Regionshire",
        "PC-90210",
        "QUERY-SECRET-77",
        "q%40x.io",
        "FRAG-SECRET",
        "rejected (fault)",
    ] {
        assert!(!log.contains(raw), "{raw:?} reached the Envoy log:\n{log}");
    }
    // What is logged instead.
    assert!(log.contains("\"ip_address\":\"203.0.113.0/24\""), "{log}");
    assert!(
        log.contains("\"source_url\":\"https://shop.example.com/checkout\""),
        "{log}"
    );
    assert!(
        log.contains("response body of") && log.contains("set logging.full_bodies"),
        "the warn line says how to see the API's answer:\n{log}"
    );
}

#[test]
fn full_bodies_logs_requests_as_sent_and_the_apis_answer() {
    let env = Env::start(Options {
        filter: serde_json::json!({"logging": {"console": "always", "full_bodies": true}}),
        wasm_log_level: "info",
        ..Options::default()
    });
    send_personal_data(&env);
    let log = env.log();
    for raw in [
        RAW_IP,
        "PII-UA-MARKER",
        "Springfieldia",
        "QUERY-SECRET-77",
        "rejected (fault)",
    ] {
        assert!(
            log.contains(raw),
            "{raw:?} missing with full_bodies:\n{log}"
        );
    }
    assert!(!log.contains(crate::harness::API_KEY));
}

#[test]
fn a_refused_configuration_cannot_forge_a_log_line() {
    let mut filter = serde_json::json!({"pixel_id": "p", "api_key": "k"});
    filter[format!("x\r\n{FORGED}")] = serde_json::json!(1);
    let log = Env::start_refused(Options {
        filter,
        ..Options::default()
    });
    assert!(log.contains("invalid configuration:"), "{log}");
    assert_not_forged(&log);
}
