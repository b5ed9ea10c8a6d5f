//! Tag logic: what the Stape tag does to one event, as pure functions (SPEC §5).
pub mod event_name;
pub mod validate;
