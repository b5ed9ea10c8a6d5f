use super::*;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

#[test]
fn finds_the_encoded_collect_path_among_other_parameters() {
    let encoded = STANDARD.encode("/g/collect?v=2&en=page_view&dt=a%20b");
    let escaped = encoded.replace('+', "%2B").replace('=', "%3D");
    let query = format!("x=1&de5cc8ea={escaped}&richsstsse");
    assert_eq!(
        collect_query(&query).as_deref(),
        Some("v=2&en=page_view&dt=a%20b")
    );
}

#[test]
fn url_safe_unpadded_and_raw_plus_forms_decode() {
    let path = "/g/collect?v=2&en=x&tid=G-1>?";
    let url_safe = URL_SAFE_NO_PAD.encode(path);
    assert_eq!(
        collect_query(&format!("a={url_safe}")).as_deref(),
        Some("v=2&en=x&tid=G-1>?")
    );
    let raw = STANDARD.encode(path);
    assert_eq!(
        collect_query(&format!("a={raw}")).as_deref(),
        Some("v=2&en=x&tid=G-1>?")
    );
    assert_eq!(
        collect_query(&format!("a={}", STANDARD.encode("/g/collect"))).as_deref(),
        Some("")
    );
}

#[test]
fn other_paths_and_garbage_are_not_hits() {
    assert_eq!(
        collect_query(&format!("p={}", STANDARD.encode("/gtag/js?id=G-1"))),
        None
    );
    assert_eq!(
        collect_query(&format!("p={}", STANDARD.encode("/g/collectx?v=2"))),
        None
    );
    assert_eq!(collect_query("p=%zz&q=!!!&r"), None);
    assert_eq!(collect_query(""), None);
}
