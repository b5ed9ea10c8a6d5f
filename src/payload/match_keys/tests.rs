use super::*;
use crate::payload::tests::page_view;
use crate::payload::Sha256Hex;

fn keys(event: &ApiEvent) -> Vec<&'static str> {
    let keys = MatchKeys::of(event);
    MatchKey::ALL
        .into_iter()
        .filter(|k| keys.contains(*k))
        .map(MatchKey::as_str)
        .collect()
}

fn hash() -> Sha256Hex {
    Sha256Hex::digest("x")
}

#[test]
fn an_event_without_identifiers_has_no_match_keys() {
    assert_eq!(MatchKeys::of(&page_view()), MatchKeys::NONE);
    assert!(keys(&page_view()).is_empty());
}

#[test]
fn match_keys_of_an_event_with_email_and_ip() {
    let mut event = page_view();
    event.user.emails_sha256 = vec![hash()];
    event.user.ip_address = Some("203.0.113.7".into());
    assert_eq!(keys(&event), ["email", "ip_address"]);
}

#[test]
fn each_identifier_field_gives_its_own_key() {
    let mut event = page_view();
    event.user.phone_numbers_sha256 = vec![hash()];
    event.user.external_ids_sha256 = vec![hash(), hash()];
    event.oppref = Some("click".into());
    event.user.obref = Some("browser".into());
    event.user.user_agent = Some("Mozilla/5.0".into());
    assert_eq!(
        keys(&event),
        [
            "phone",
            "external_id",
            "click_id",
            "browser_id",
            "user_agent"
        ]
    );
}

#[test]
fn address_counts_once_for_any_geo_or_name_field() {
    let fields: [fn(&mut User); 6] = [
        |u| u.first_names_sha256 = vec![hash()],
        |u| u.last_names_sha256 = vec![hash()],
        |u| u.countries = vec!["us".into()],
        |u| u.regions = vec!["ca".into()],
        |u| u.cities = vec!["sanfrancisco".into()],
        |u| u.postal_codes = vec!["94107".into()],
    ];
    let mut all = page_view();
    for set in fields {
        let mut one = page_view();
        set(&mut one.user);
        assert_eq!(keys(&one), ["address"]);
        set(&mut all.user);
    }
    assert_eq!(keys(&all), ["address"]);
}

#[test]
fn the_encoded_event_carries_the_match_keys_of_what_it_sends() {
    let mut event = page_view();
    event.oppref = Some("click".into());
    event.user.cities = vec!["paris".into()];
    let encoded = crate::payload::Encoder::default()
        .encode(event.clone())
        .unwrap();
    assert_eq!(encoded.match_keys, MatchKeys::of(&event));
    assert!(encoded.match_keys.contains(MatchKey::ClickId));
    assert!(encoded.match_keys.contains(MatchKey::Address));
}

#[test]
fn every_match_key_has_its_own_bit() {
    let all = MatchKey::ALL
        .into_iter()
        .fold(MatchKeys::NONE, MatchKeys::with);
    for key in MatchKey::ALL {
        assert!(all.contains(key), "{}", key.as_str());
        assert_eq!(
            MatchKey::ALL
                .into_iter()
                .filter(|k| MatchKeys::NONE.with(key).contains(*k))
                .count(),
            1,
            "{}",
            key.as_str()
        );
    }
}

#[test]
fn tally_counts_the_events_carrying_each_key() {
    let email_ip = MatchKeys::NONE
        .with(MatchKey::Email)
        .with(MatchKey::IpAddress);
    let ip = MatchKeys::NONE.with(MatchKey::IpAddress);
    let counts = MatchKeys::tally([email_ip, ip, MatchKeys::NONE]);
    let count = |key| counts.iter().find(|(k, _)| *k == key).map(|(_, n)| *n);
    assert_eq!(count(MatchKey::Email), Some(1));
    assert_eq!(count(MatchKey::IpAddress), Some(2));
    assert_eq!(count(MatchKey::Phone), Some(0));
    assert_eq!(counts.map(|(k, _)| k), MatchKey::ALL);
}
