//! Response: what the filter adds to the collection request's response — the `Set-Cookie`
//! headers that keep `__oppref` and `__obref` alive (SPEC §7).
pub mod cookie;
pub mod domain;
pub mod public_suffix;
