//! Where a conversion happened: the API's `action_source`, set by configuration and sent with
//! every event.

use serde::Serialize;

/// Where the conversion happened (`action_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionSource {
    Web,
    MobileApp,
    Offline,
    PhysicalStore,
    PhoneCall,
    Email,
    Other,
}

impl ActionSource {
    pub const ALL: [ActionSource; 7] = [
        ActionSource::Web,
        ActionSource::MobileApp,
        ActionSource::Offline,
        ActionSource::PhysicalStore,
        ActionSource::PhoneCall,
        ActionSource::Email,
        ActionSource::Other,
    ];

    /// The serialised name (as the derive writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionSource::Web => "web",
            ActionSource::MobileApp => "mobile_app",
            ActionSource::Offline => "offline",
            ActionSource::PhysicalStore => "physical_store",
            ActionSource::PhoneCall => "phone_call",
            ActionSource::Email => "email",
            ActionSource::Other => "other",
        }
    }

    pub fn parse(value: &str) -> Option<ActionSource> {
        ActionSource::ALL.into_iter().find(|a| a.as_str() == value)
    }
}
