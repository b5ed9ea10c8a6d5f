use super::*;
use crate::config::ValueSource;
use crate::test_support::event as ev;
use crate::test_support::event_json as json;

fn req() -> RequestFacts {
    RequestFacts::from_headers(
        &[
            (":path".into(), b"/g/collect".to_vec()),
            ("x-opt-out".into(), b"Yes".to_vec()),
        ],
        None,
    )
    .unwrap()
}

fn from_hit_of(event: Value) -> Option<bool> {
    resolve(Some(&OptOut::FromHit), &ev(event), &req())
}

#[test]
fn opt_out_null_is_never_sent_and_a_boolean_always() {
    let e = ev(json!({"x-ga-npa": "1"}));
    assert_eq!(resolve(None, &e, &req()), None);
    assert_eq!(
        resolve(Some(&OptOut::Fixed(false)), &e, &req()),
        Some(false)
    );
    assert_eq!(
        resolve(Some(&OptOut::Fixed(true)), &ev(json!({})), &req()),
        Some(true)
    );
}

#[test]
fn opt_out_from_hit_follows_npa_and_ad_personalization() {
    assert_eq!(from_hit_of(json!({"x-ga-npa": "1"})), Some(true));
    assert_eq!(from_hit_of(json!({"x-ga-npa": "0"})), None);
    assert_eq!(from_hit_of(json!({"x-ga-gcd": "13t3t3t2p5l1"})), Some(true));
    assert_eq!(from_hit_of(json!({"x-ga-gcd": "13t3t3t2t5l1"})), None);
    // The Measurement Protocol's consent and non_personalized_ads arrive as consent_state.
    assert_eq!(
        from_hit_of(json!({"consent_state": {"ad_personalization": false}})),
        Some(true)
    );
    assert_eq!(
        from_hit_of(json!({"consent_state": {"ad_personalization": "granted"}})),
        None
    );
    assert_eq!(from_hit_of(json!({})), None, "no signal: not sent");
}

#[test]
fn opt_out_reference_reads_booleans_and_flag_strings() {
    let reference = |path: &str| OptOut::Reference(ValueSource::Event(path.into()));
    let e = ev(json!({"a": true, "b": "0", "c": 1, "d": "maybe"}));
    assert_eq!(resolve(Some(&reference("a")), &e, &req()), Some(true));
    assert_eq!(resolve(Some(&reference("b")), &e, &req()), Some(false));
    assert_eq!(resolve(Some(&reference("c")), &e, &req()), Some(true));
    assert_eq!(resolve(Some(&reference("d")), &e, &req()), None);
    assert_eq!(resolve(Some(&reference("missing")), &e, &req()), None);
    let header = OptOut::Reference(ValueSource::Header("x-opt-out".into()));
    assert_eq!(resolve(Some(&header), &e, &req()), Some(true));
}
