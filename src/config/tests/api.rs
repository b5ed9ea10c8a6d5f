//! The rules of `api`: ranges of the timeout, retry and batching settings, and the callout
//! target (`api.authority`, `api.path`).

use super::*;

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
