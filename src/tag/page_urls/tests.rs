use super::*;

const SHOP: &str = "https://shop.example.com/p?utm_source=chatgpt&oppref=click-1";

#[test]
fn the_same_url_gives_the_same_answers_as_reading_it_afresh() {
    let mut urls = PageUrls::default();
    for _ in 0..3 {
        assert_eq!(
            urls.source_url(SHOP),
            crate::model::page_url::source_url(SHOP)
        );
        assert_eq!(urls.oppref(SHOP).as_deref(), Some("click-1"));
    }
}

#[test]
fn another_url_replaces_the_remembered_one() {
    let mut urls = PageUrls::default();
    assert_eq!(urls.oppref(SHOP).as_deref(), Some("click-1"));
    let other = "https://shop.example.com/cart?oppref=click-2";
    assert_eq!(urls.oppref(other).as_deref(), Some("click-2"));
    assert_eq!(
        urls.source_url(other),
        crate::model::page_url::source_url(other)
    );
    assert_eq!(urls.oppref(SHOP).as_deref(), Some("click-1"));
}

#[test]
fn a_url_without_the_parts_is_remembered_as_without_them() {
    let mut urls = PageUrls::default();
    assert_eq!(urls.oppref("not a url"), None);
    assert_eq!(urls.source_url("not a url"), None);
    assert_eq!(urls.oppref("not a url"), None);
    assert_eq!(urls.source_url("not a url"), None);
}
