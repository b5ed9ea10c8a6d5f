use super::*;
use crate::test_support::event as ev;
use crate::test_support::event_json as json;

fn required() -> Consent {
    Consent {
        mode: ConsentMode::Required,
        user_data_requires_ad_user_data: true,
    }
}

fn req() -> RequestFacts {
    RequestFacts::from_headers(&[(":path".into(), b"/g/collect".to_vec())], None).unwrap()
}

fn decide_required(v: Value) -> Decision {
    decide(&required(), &ev(v), &req())
}

const SEND: Decision = Decision::Send {
    strip_identifiers: false,
};

#[test]
fn optional_mode_always_sends() {
    let c = Consent {
        mode: ConsentMode::Optional,
        user_data_requires_ad_user_data: true,
    };
    assert_eq!(decide(&c, &ev(json!({"x-ga-gcs": "G100"})), &req()), SEND);
}

#[test]
fn stape_01_required_mode_denied_by_gcs_or_consent_state() {
    assert_eq!(
        decide_required(json!({"x-ga-gcs": "G100"})),
        Decision::Denied(Refusal::Denied)
    );
    assert_eq!(
        decide_required(json!({"consent_state": {"ad_storage": false}})),
        Decision::Denied(Refusal::Denied)
    );
}

#[test]
fn stape_03_required_mode_granted_by_gcs_or_consent_state() {
    assert_eq!(decide_required(json!({"x-ga-gcs": "G110"})), SEND);
    assert_eq!(
        decide_required(json!({"consent_state": {"ad_storage": true}})),
        SEND
    );
}

#[test]
fn no_signal_is_denied_in_required_mode() {
    let no_signal = Decision::Denied(Refusal::NoSignal);
    assert_eq!(decide_required(json!({})), no_signal);
    assert_eq!(decide_required(json!({"x-ga-gcs": "G1"})), no_signal);
    assert_eq!(
        decide_required(json!({"x-ga-gcd": "13l3l3l3l1l1"})),
        no_signal
    );
}

#[test]
fn without_ad_storage_signal_ad_user_data_decides_as_for_measurement_protocol() {
    // MP requests carry `consent.ad_user_data` / `ad_personalization`, never ad_storage.
    assert_eq!(
        decide_required(json!({"consent_state": {"ad_user_data": true}})),
        SEND
    );
    assert_eq!(
        decide_required(
            json!({"consent_state": {"ad_user_data": false, "ad_personalization": true}})
        ),
        Decision::Denied(Refusal::Denied)
    );
    assert_eq!(
        decide_required(json!({"consent_state": {"ad_personalization": true}})),
        Decision::Denied(Refusal::NoSignal),
        "ad_personalization alone says nothing about measurement"
    );
    // An explicit ad_storage grant still wins, and a denied ad_user_data strips identifiers.
    assert_eq!(
        decide_required(json!({"consent_state": {"ad_storage": true, "ad_user_data": false}})),
        Decision::Send {
            strip_identifiers: true
        }
    );
    assert_eq!(
        decide_required(json!({"consent_state": {"ad_storage": false, "ad_user_data": true}})),
        Decision::Denied(Refusal::Denied)
    );
}

#[test]
fn ad_personalization_is_read_from_consent_state_then_gcd_index_8() {
    assert_eq!(
        ad_personalization(&ev(
            json!({"consent_state": {"ad_personalization": "denied"}})
        )),
        Some(false)
    );
    assert_eq!(
        ad_personalization(&ev(json!({"x-ga-gcd": "13t3t3t2p5l1"}))),
        Some(false)
    );
    assert_eq!(
        ad_personalization(&ev(json!({"x-ga-gcd": "13t3t3t2t5l1"}))),
        Some(true)
    );
    assert_eq!(ad_personalization(&ev(json!({"x-ga-gcs": "G100"}))), None);
}

#[test]
fn consent_state_accepts_granted_and_denied_strings() {
    assert_eq!(
        decide_required(json!({"consent_state": {"ad_storage": "granted"}})),
        SEND
    );
    assert_eq!(
        decide_required(json!({"consent_state": {"ad_storage": "DENIED"}})),
        Decision::Denied(Refusal::Denied)
    );
}

#[test]
fn signal_order_is_consent_state_then_gcd_then_gcs() {
    // consent_state beats gcd and gcs
    assert_eq!(
        decide_required(
            json!({"consent_state": {"ad_storage": false}, "x-ga-gcd": "13t3t3t3t5l1", "x-ga-gcs": "G111"})
        ),
        Decision::Denied(Refusal::Denied)
    );
    // gcd beats gcs
    assert_eq!(
        decide_required(json!({"x-ga-gcd": "13p3t3t3t5l1", "x-ga-gcs": "G111"})),
        Decision::Denied(Refusal::Denied)
    );
    assert_eq!(
        decide_required(json!({"x-ga-gcd": "13v3t3t3t5l1", "x-ga-gcs": "G100"})),
        SEND
    );
    // consent_state without ad_storage is no signal: falls through to gcd
    assert_eq!(
        decide_required(
            json!({"consent_state": {"analytics_storage": true}, "x-ga-gcd": "13r3r3r2r5l1"})
        ),
        SEND
    );
}

#[test]
fn every_gcd_letter() {
    for granted in ['t', 'r', 'n', 'v'] {
        assert_eq!(
            decide_required(json!({"x-ga-gcd": format!("13{granted}3l3l3l1")})),
            SEND,
            "{granted}"
        );
    }
    for denied in ['p', 'q', 'm', 'u'] {
        assert_eq!(
            decide_required(json!({"x-ga-gcd": format!("13{denied}3l3l3l1")})),
            Decision::Denied(Refusal::Denied),
            "{denied}"
        );
    }
    // unknown letter: no signal from gcd, gcs decides
    assert_eq!(
        decide_required(json!({"x-ga-gcd": "13Z3l3l3l1", "x-ga-gcs": "G110"})),
        SEND
    );
}

#[test]
fn ad_user_data_denied_strips_identifiers() {
    let strip = Decision::Send {
        strip_identifiers: true,
    };
    assert_eq!(decide_required(json!({"x-ga-gcd": "13t3t3p2t5l1"})), strip);
    assert_eq!(
        decide_required(json!({"x-ga-gcd": "13t3t3Z2t5l1"})),
        SEND,
        "unknown letter is no denial"
    );
    assert_eq!(
        decide_required(json!({"consent_state": {"ad_storage": true, "ad_user_data": false}})),
        strip
    );
    let keep = Consent {
        mode: ConsentMode::Required,
        user_data_requires_ad_user_data: false,
    };
    assert_eq!(
        decide(&keep, &ev(json!({"x-ga-gcd": "13t3t3p2t5l1"})), &req()),
        SEND
    );
}

#[test]
fn stape_02_gtm_preview_hits_are_skipped_in_every_mode() {
    let c = Consent {
        mode: ConsentMode::Optional,
        user_data_requires_ad_user_data: true,
    };
    let e = ev(json!({"page_location": "https://gtm-msr.appspot.com/collect"}));
    assert_eq!(decide(&c, &e, &req()), Decision::Preview);
    let mut r = req();
    r.referer = Some("https://gtm-msr.appspot.com/render?id=GTM-X".into());
    assert_eq!(decide(&c, &ev(json!({})), &r), Decision::Preview);
    assert_eq!(
        decide(
            &c,
            &ev(json!({"page_location": "https://shop.example/"})),
            &r
        ),
        SEND
    );
}
