use super::*;

#[test]
fn template_markers_are_placeholders() {
    for p in [
        "REPLACE_WITH_PIXEL_ID",
        "replace_with_api_key",
        " REPLACE_ME ",
        "changeme",
        "<your pixel id>",
        "<PIXEL_ID>",
        "${OPENAI_CAPI_KEY}",
    ] {
        assert!(is_placeholder(p), "{p}");
    }
}

#[test]
fn real_values_are_not() {
    for v in [
        "px_123",
        "sk-live-abc",
        "openai_capi",
        "a<b>",
        "bzr.openai.com",
        "$5",
    ] {
        assert!(!is_placeholder(v), "{v}");
    }
}
