//! Response: what the filter adds to the collection request's response — the `Set-Cookie`
//! headers that keep `__oppref` and `__obref` alive.
pub mod cookie;
pub mod domain;
pub mod public_suffix;
