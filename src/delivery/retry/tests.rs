use super::*;

fn answered(status: u16) -> CallResult {
    CallResult::Answered {
        status,
        retry_after: None,
        body: Vec::new(),
        from_envoy: false,
        headers: Vec::new(),
    }
}

#[test]
fn no_answer_reason_is_short_json_and_bounded() {
    assert_eq!(no_answer_reason(&answered(503)), None, "the API answered");
    assert_eq!(
        no_answer_reason(&CallResult::Reset).as_deref(),
        Some(r#"{"error":"connection reset or refused"}"#)
    );
    let envoy = |status: u16, body: Vec<u8>| CallResult::Answered {
        status,
        retry_after: None,
        body,
        from_envoy: true,
        headers: Vec::new(),
    };
    assert_eq!(
        no_answer_reason(&envoy(504, b"upstream request timeout".to_vec())).as_deref(),
        Some(r#"{"error":"timeout"}"#)
    );
    let mut long = b"upstream connect error \"quoted\" ".to_vec();
    long.extend([b'x'; 1000]);
    long.push(0xff);
    let reason = no_answer_reason(&envoy(503, long)).unwrap();
    assert!(reason.starts_with(r#"{"error":"connection reset or refused","envoy_reply":"#));
    let parsed: serde_json::Value = serde_json::from_str(&reason).unwrap();
    let reply = parsed["envoy_reply"].as_str().unwrap();
    assert!(reply.starts_with("upstream connect error \"quoted\""));
    assert_eq!(reply.len(), MAX_ENVOY_REPLY_LOGGED);
}

#[test]
fn success_range_is_2xx() {
    for s in [200, 201, 202, 204, 299] {
        assert_eq!(classify(&answered(s), 1).0, Verdict::Delivered, "{s}");
    }
}

#[test]
fn transient_failures_are_retried() {
    for s in [408, 429, 500, 502, 503, 504] {
        assert!(
            matches!(classify(&answered(s), 1).0, Verdict::Retry { .. }),
            "{s}"
        );
    }
    assert_eq!(
        classify(&CallResult::Reset, 1),
        (
            Verdict::Retry {
                retry_after_ms: None
            },
            ResultClass::TransportError
        )
    );
    let timeout = CallResult::Answered {
        status: 504,
        retry_after: None,
        body: b"upstream request timeout".to_vec(),
        from_envoy: true,
        headers: Vec::new(),
    };
    assert_eq!(classify(&timeout, 3).1, ResultClass::TransportError);
}

#[test]
fn split_on_any_4xx_but_401_403_404_408_429() {
    for s in [400, 402, 409, 410, 413, 415, 422, 451, 499] {
        assert_eq!(classify(&answered(s), 2).0, Verdict::Split, "{s}");
        assert_eq!(
            classify(&answered(s), 1).0,
            Verdict::Rejected,
            "{s} on one event"
        );
    }
    for s in [401, 403, 404] {
        assert_eq!(classify(&answered(s), 5).0, Verdict::Rejected, "{s}");
    }
    for s in [408, 429] {
        assert!(
            matches!(classify(&answered(s), 5).0, Verdict::Retry { .. }),
            "{s}"
        );
    }
}

#[test]
fn auth_failures_are_401_and_403_from_the_api() {
    assert_eq!(auth_failure(&answered(401)), Some(401));
    assert_eq!(auth_failure(&answered(403)), Some(403));
    for s in [400, 404, 429, 500] {
        assert_eq!(auth_failure(&answered(s)), None, "{s}");
    }
    let from_envoy = CallResult::Answered {
        status: 403,
        retry_after: None,
        body: vec![],
        from_envoy: true,
        headers: Vec::new(),
    };
    assert_eq!(auth_failure(&from_envoy), None);
    assert_eq!(auth_failure(&CallResult::Reset), None);
}

#[test]
fn retry_after_is_honoured() {
    let r = CallResult::Answered {
        status: 429,
        retry_after: Some("7".into()),
        body: vec![],
        from_envoy: false,
        headers: Vec::new(),
    };
    assert_eq!(
        classify(&r, 1).0,
        Verdict::Retry {
            retry_after_ms: Some(7000)
        }
    );
    assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    assert_eq!(parse_retry_after("999999999"), Some(MAX_RETRY_AFTER_MS));
}

#[test]
fn backoff_grows_exponentially_with_jitter_and_cap() {
    let p = policy(None);
    assert_eq!(backoff_ms(&p, 1, 0.0, None), 250);
    assert_eq!(backoff_ms(&p, 1, 0.999_999, None), 499);
    assert_eq!(backoff_ms(&p, 2, 0.0, None), 500);
    assert_eq!(backoff_ms(&p, 3, 1.0, None), 2000);
    assert_eq!(backoff_ms(&p, 4, 1.0, None), 3000, "capped");
    assert_eq!(backoff_ms(&p, 40, 1.0, None), 3000, "no overflow");
    assert_eq!(
        backoff_ms(&p, 1, 0.0, Some(5000)),
        5000,
        "never before Retry-After"
    );
}

fn policy(max_attempts: Option<u32>) -> Retry {
    Retry {
        horizon_ms: 600_000,
        max_attempts,
        initial_backoff_ms: 500,
        max_backoff_ms: 3000,
        max_queued_events: 1000,
        max_queued_bytes: 1 << 20,
    }
}

fn failed(attempts: u32, first_attempt_ms: u64) -> Call {
    Call {
        attempts,
        first_attempt_ms: Some(first_attempt_ms),
        ..Call::new(Vec::new(), None)
    }
}

#[test]
fn retries_go_on_until_the_horizon_whatever_the_attempt_count() {
    let p = policy(None);
    // 100 attempts in, well inside the 10-minute horizon: retried, at the capped backoff.
    assert_eq!(
        next_attempt_ms(&p, &failed(100, 0), 60_000, &mut || 1.0, None),
        Some(63_000)
    );
    assert_eq!(
        next_attempt_ms(&p, &failed(3, 0), 600_000, &mut || 0.0, None),
        None,
        "given up at the horizon"
    );
}

#[test]
fn the_last_retry_is_made_at_the_horizon_not_after_it() {
    let p = policy(None);
    assert_eq!(
        next_attempt_ms(&p, &failed(9, 1000), 600_000, &mut || 1.0, None),
        Some(601_000)
    );
}

#[test]
fn a_retry_after_beyond_the_horizon_gets_one_last_attempt_at_the_horizon() {
    let p = policy(None);
    assert_eq!(
        next_attempt_ms(&p, &failed(1, 0), 590_000, &mut || 0.0, Some(20_000)),
        Some(600_000)
    );
    // An hour-long Retry-After on the first failure: still one attempt, at the horizon.
    assert_eq!(
        next_attempt_ms(&p, &failed(1, 0), 0, &mut || 0.0, Some(MAX_RETRY_AFTER_MS)),
        Some(600_000)
    );
    // That attempt failing too is final.
    assert_eq!(
        next_attempt_ms(&p, &failed(2, 0), 600_000, &mut || 0.0, Some(20_000)),
        None
    );
    assert_eq!(
        next_attempt_ms(&p, &failed(1, 0), 500_000, &mut || 0.0, Some(20_000)),
        Some(520_000)
    );
}

#[test]
fn max_attempts_caps_retries_when_set() {
    let p = policy(Some(3));
    assert!(next_attempt_ms(&p, &failed(2, 0), 10, &mut || 0.0, None).is_some());
    assert_eq!(
        next_attempt_ms(&p, &failed(3, 0), 10, &mut || 0.0, None),
        None
    );
}

#[test]
fn a_zero_horizon_turns_retries_off() {
    let p = Retry {
        horizon_ms: 0,
        ..policy(None)
    };
    assert_eq!(
        next_attempt_ms(&p, &failed(1, 5), 5, &mut || 0.0, None),
        None
    );
}
