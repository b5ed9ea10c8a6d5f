//! Model: the Conversions API's vocabulary and the pure rules about it, shared by every stage.
//!
//! What an event is sent as ([`EventType`], [`StandardType`], the [`DataShape`] each type
//! needs), where it happened ([`ActionSource`]), which currency codes, page URLs and
//! `variant_dict` values the API accepts, and the GA4 events that are never conversions. The
//! configuration validates literals with these rules and the tag applies them to event data, so
//! both sides agree by construction. Below it are only URL path bytes and event values (the
//! JSON values both literals and event data are read as): every other module may use it.

mod action_source;
pub mod currency;
mod event_type;
mod ga4;
pub mod page_url;
mod variant_dict;

pub use action_source::ActionSource;
pub use event_type::{CustomName, DataShape, EventType, NameError, StandardType};
pub use ga4::GA4_AUTOMATIC_EVENTS;
pub use variant_dict::variant_dict;
