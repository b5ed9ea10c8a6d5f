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
mod tests;
