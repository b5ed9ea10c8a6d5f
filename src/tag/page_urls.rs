//! Page URLs: one request's page URL, read once. The events of a batched GA4 POST share their
//! query's `dl`, so every event would parse the same URL for its `source_url` and scan the same
//! query for `oppref`. [`PageUrls`] keeps the last URL seen in the request with what was worked
//! out from it, and an event with the same URL reuses it; an event with another URL replaces it.
//! One entry, not a map: a request's events carry one page URL, and a hostile request with a
//! different URL per event costs no more than without the memo.

use crate::tag::click_id::url_query_param;

/// The last page URL of a request and what was read from it, each part when first asked for.
#[derive(Debug, Default)]
pub struct PageUrls {
    raw: String,
    source_url: Option<Option<String>>,
    oppref: Option<Option<String>>,
}

impl PageUrls {
    /// Starts over when `raw` is not the URL remembered.
    fn entry(&mut self, raw: &str) -> &mut PageUrls {
        if self.raw != raw {
            *self = PageUrls {
                raw: raw.to_owned(),
                source_url: None,
                oppref: None,
            };
        }
        self
    }

    /// [`crate::model::page_url::source_url`] of `raw`.
    pub fn source_url(&mut self, raw: &str) -> Option<String> {
        self.entry(raw)
            .source_url
            .get_or_insert_with(|| crate::model::page_url::source_url(raw))
            .clone()
    }

    /// The non-empty `oppref` query parameter of `raw` ([`url_query_param`]).
    pub fn oppref(&mut self, raw: &str) -> Option<String> {
        self.entry(raw)
            .oppref
            .get_or_insert_with(|| url_query_param(raw, "oppref"))
            .clone()
    }
}

#[cfg(test)]
mod tests;
