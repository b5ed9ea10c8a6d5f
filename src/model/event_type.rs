//! Event type: what an event is sent as.
//!
//! Owns the twelve standard types, their data shapes, the GA4 → OpenAI mapping used by the
//! `inherit` setup, and the custom-name rule (lowercase, 1–64 of `[a-z0-9_-]`, alphanumeric
//! ends, a standard name is sent as that standard type). [`EventType`] can only hold a standard
//! type or a custom name that passed the rule, so a payload can never carry an invalid type.

use serde::Serialize;
use std::fmt;

/// The standard event types of the Conversions API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StandardType {
    PageViewed,
    ContentsViewed,
    ItemsAdded,
    CheckoutStarted,
    OrderCreated,
    LeadCreated,
    RegistrationCompleted,
    AppointmentScheduled,
    SubscriptionCreated,
    TrialStarted,
    AppInstalled,
    AppOpened,
}

/// The `data.type` a given event type must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataShape {
    Contents,
    CustomerAction,
    PlanEnrollment,
    Custom,
}

impl DataShape {
    /// The serialised name (as the derive writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            DataShape::Contents => "contents",
            DataShape::CustomerAction => "customer_action",
            DataShape::PlanEnrollment => "plan_enrollment",
            DataShape::Custom => "custom",
        }
    }
}

impl StandardType {
    pub const ALL: [StandardType; 12] = [
        StandardType::PageViewed,
        StandardType::ContentsViewed,
        StandardType::ItemsAdded,
        StandardType::CheckoutStarted,
        StandardType::OrderCreated,
        StandardType::LeadCreated,
        StandardType::RegistrationCompleted,
        StandardType::AppointmentScheduled,
        StandardType::SubscriptionCreated,
        StandardType::TrialStarted,
        StandardType::AppInstalled,
        StandardType::AppOpened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StandardType::PageViewed => "page_viewed",
            StandardType::ContentsViewed => "contents_viewed",
            StandardType::ItemsAdded => "items_added",
            StandardType::CheckoutStarted => "checkout_started",
            StandardType::OrderCreated => "order_created",
            StandardType::LeadCreated => "lead_created",
            StandardType::RegistrationCompleted => "registration_completed",
            StandardType::AppointmentScheduled => "appointment_scheduled",
            StandardType::SubscriptionCreated => "subscription_created",
            StandardType::TrialStarted => "trial_started",
            StandardType::AppInstalled => "app_installed",
            StandardType::AppOpened => "app_opened",
        }
    }

    /// Exact (case-sensitive) match of a standard type name.
    pub fn parse(name: &str) -> Option<StandardType> {
        StandardType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The GA4 recommended-event names the `inherit` setup maps (Stape's table).
    pub fn from_ga4(name: &str) -> Option<StandardType> {
        Some(match name {
            "page_view" => StandardType::PageViewed,
            "view_item" => StandardType::ContentsViewed,
            "add_to_cart" => StandardType::ItemsAdded,
            "begin_checkout" => StandardType::CheckoutStarted,
            "purchase" => StandardType::OrderCreated,
            "generate_lead" => StandardType::LeadCreated,
            "sign_up" => StandardType::RegistrationCompleted,
            _ => return None,
        })
    }

    /// App events: the API accepts them only with `action_source: mobile_app`.
    pub fn is_app_event(self) -> bool {
        matches!(self, StandardType::AppInstalled | StandardType::AppOpened)
    }

    pub fn data_shape(self) -> DataShape {
        match self {
            StandardType::PageViewed
            | StandardType::ContentsViewed
            | StandardType::ItemsAdded
            | StandardType::CheckoutStarted
            | StandardType::OrderCreated => DataShape::Contents,
            StandardType::LeadCreated
            | StandardType::RegistrationCompleted
            | StandardType::AppointmentScheduled
            | StandardType::AppInstalled
            | StandardType::AppOpened => DataShape::CustomerAction,
            StandardType::SubscriptionCreated | StandardType::TrialStarted => {
                DataShape::PlanEnrollment
            }
        }
    }
}

impl fmt::Display for StandardType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A custom event name that passed the API's rule. Construct with [`EventType::from_name`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CustomName(String);

impl CustomName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an event is sent as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventType {
    Standard(StandardType),
    Custom(CustomName),
}

/// Why a name cannot be an event type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    Empty,
    TooLong(usize),
    BadCharacter(char),
    BadEnd,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => f.write_str("custom event name is empty"),
            NameError::TooLong(n) => write!(
                f,
                "custom event name has {n} characters, at most 64 allowed"
            ),
            NameError::BadCharacter(c) => write!(
                f,
                "custom event name contains {c:?}; only a-z, 0-9, '_' and '-' are allowed"
            ),
            NameError::BadEnd => {
                f.write_str("custom event name must start and end with a letter or digit")
            }
        }
    }
}

impl EventType {
    /// Applies the custom-name rule: lowercase, then a standard name becomes that standard
    /// type, anything else must be 1–64 of `[a-z0-9_-]` with alphanumeric ends.
    pub fn from_name(name: &str) -> Result<EventType, NameError> {
        let lowered = name.to_lowercase();
        if let Some(standard) = StandardType::parse(&lowered) {
            return Ok(EventType::Standard(standard));
        }
        let count = lowered.chars().count();
        if count == 0 {
            return Err(NameError::Empty);
        }
        if count > 64 {
            return Err(NameError::TooLong(count));
        }
        if let Some(bad) = lowered
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
        {
            return Err(NameError::BadCharacter(bad));
        }
        let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        if !alnum(lowered.chars().next()) || !alnum(lowered.chars().last()) {
            return Err(NameError::BadEnd);
        }
        Ok(EventType::Custom(CustomName(lowered)))
    }

    /// The `inherit` setup: GA4 mapping first, an exact standard name is kept, anything else
    /// goes through the custom-name rule.
    pub fn inherit(incoming: &str) -> Result<EventType, NameError> {
        if let Some(standard) =
            StandardType::from_ga4(incoming).or_else(|| StandardType::parse(incoming))
        {
            return Ok(EventType::Standard(standard));
        }
        EventType::from_name(incoming)
    }

    /// The `type` field of the API event.
    pub fn api_type(&self) -> &'static str {
        match self {
            EventType::Standard(s) => s.as_str(),
            EventType::Custom(_) => "custom",
        }
    }

    /// `app_installed` / `app_opened` (see [`StandardType::is_app_event`]).
    pub fn is_app_event(&self) -> bool {
        matches!(self, EventType::Standard(t) if t.is_app_event())
    }

    pub fn custom_name(&self) -> Option<&CustomName> {
        match self {
            EventType::Standard(_) => None,
            EventType::Custom(name) => Some(name),
        }
    }

    pub fn data_shape(&self) -> DataShape {
        match self {
            EventType::Standard(s) => s.data_shape(),
            EventType::Custom(_) => DataShape::Custom,
        }
    }

    /// The name logs show: the standard type or the custom name.
    pub fn display_name(&self) -> &str {
        match self {
            EventType::Standard(s) => s.as_str(),
            EventType::Custom(name) => name.as_str(),
        }
    }
}

#[cfg(test)]
mod tests;
