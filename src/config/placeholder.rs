//! Placeholders: template values shipped in example configs that must never reach production.
//!
//! Example files say `REPLACE_WITH_PIXEL_ID` or `<your api key>`; a deployment that forgets to
//! fill one in would send every event to a pixel that does not exist (or with a key the API
//! refuses) and fail only at run time. The configuration refuses such a value at load time,
//! naming the field.

use super::ConfigError;

/// Refuses a template value left in an example (`REPLACE_WITH_PIXEL_ID`, `<your key>`). A
/// secret's value is not quoted back.
pub(super) fn refuse_placeholder(field: &str, value: &str, quote: bool) -> Result<(), ConfigError> {
    if !is_placeholder(value) {
        return Ok(());
    }
    let what = if quote {
        format!("{value:?} is a placeholder")
    } else {
        "is a placeholder".to_owned()
    };
    Err(ConfigError::new(
        field,
        format!("{what}: replace it with the real value"),
    ))
}

/// Whether `value` is a template placeholder rather than a real value.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    let upper = v.to_ascii_uppercase();
    upper.contains("REPLACE_WITH")
        || upper.contains("REPLACE_ME")
        || upper == "CHANGEME"
        || upper == "CHANGE_ME"
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with("${") && v.ends_with('}'))
}

#[cfg(test)]
mod tests;
