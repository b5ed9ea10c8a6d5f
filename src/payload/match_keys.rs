//! Match keys: which kinds of identifier an event carries for the API to match it on.
//!
//! Counted per sent event (`events_sent_match_keys{match_key}`), because "which identifiers do
//! our conversions carry" is the first question when they do not match. An event's keys are
//! read once from its [`ApiEvent`] when it is encoded and travel with it as one byte, so
//! counting a delivered batch allocates nothing and never looks at the JSON again.

use super::{ApiEvent, User};

/// One kind of identifier the API matches conversions on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKey {
    /// `user.emails_sha256`.
    Email,
    /// `user.phone_numbers_sha256`.
    Phone,
    /// `user.external_ids_sha256`.
    ExternalId,
    /// The event's `oppref` (from an ad click).
    ClickId,
    /// `user.obref`.
    BrowserId,
    /// `user.ip_address`.
    IpAddress,
    /// `user.user_agent`.
    UserAgent,
    /// Any of first name, last name, city, region, postal code, country: together they match
    /// as one key, so any one of them counts it once.
    Address,
}

impl MatchKey {
    pub const ALL: [MatchKey; 8] = [
        MatchKey::Email,
        MatchKey::Phone,
        MatchKey::ExternalId,
        MatchKey::ClickId,
        MatchKey::BrowserId,
        MatchKey::IpAddress,
        MatchKey::UserAgent,
        MatchKey::Address,
    ];

    /// The `match_key` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKey::Email => "email",
            MatchKey::Phone => "phone",
            MatchKey::ExternalId => "external_id",
            MatchKey::ClickId => "click_id",
            MatchKey::BrowserId => "browser_id",
            MatchKey::IpAddress => "ip_address",
            MatchKey::UserAgent => "user_agent",
            MatchKey::Address => "address",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The set of [`MatchKey`]s one event carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchKeys(u8);

impl MatchKeys {
    pub const NONE: MatchKeys = MatchKeys(0);

    /// The keys `event` carries as it is sent.
    pub fn of(event: &ApiEvent) -> MatchKeys {
        let User {
            obref,
            emails_sha256,
            phone_numbers_sha256,
            external_ids_sha256,
            first_names_sha256,
            last_names_sha256,
            countries,
            regions,
            cities,
            postal_codes,
            ip_address,
            user_agent,
        } = &event.user;
        let address = !(first_names_sha256.is_empty()
            && last_names_sha256.is_empty()
            && countries.is_empty()
            && regions.is_empty()
            && cities.is_empty()
            && postal_codes.is_empty());
        [
            (MatchKey::Email, !emails_sha256.is_empty()),
            (MatchKey::Phone, !phone_numbers_sha256.is_empty()),
            (MatchKey::ExternalId, !external_ids_sha256.is_empty()),
            (MatchKey::ClickId, event.oppref.is_some()),
            (MatchKey::BrowserId, obref.is_some()),
            (MatchKey::IpAddress, ip_address.is_some()),
            (MatchKey::UserAgent, user_agent.is_some()),
            (MatchKey::Address, address),
        ]
        .into_iter()
        .filter(|(_, present)| *present)
        .fold(MatchKeys::NONE, |keys, (key, _)| keys.with(key))
    }

    pub fn with(self, key: MatchKey) -> MatchKeys {
        MatchKeys(self.0 | key.bit())
    }

    pub fn contains(self, key: MatchKey) -> bool {
        self.0 & key.bit() != 0
    }

    /// How many of `events` carry each key, in [`MatchKey::ALL`] order.
    pub fn tally(events: impl IntoIterator<Item = MatchKeys>) -> [(MatchKey, u64); 8] {
        let mut counts = MatchKey::ALL.map(|key| (key, 0u64));
        for keys in events {
            for (key, count) in &mut counts {
                *count += u64::from(keys.contains(*key));
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
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
        let encoded = crate::payload::encode_event(&event).unwrap();
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
}
