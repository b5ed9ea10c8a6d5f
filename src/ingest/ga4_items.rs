//! GA4 item encoding (`pr1` … `prN` in the GA4 v2 protocol) → `items[]`. Each item is a
//! `~`-separated list of tokens, each a two-character code followed directly by its value
//! (`idSKU1~nmShirt~pr9.99~qt2`); custom item parameters come as `k<i><name>` / `v<i><value>`
//! pairs. This module owns the code table, the numeric fields, the k/v pairing, item order and
//! the item cap. Unknown codes are kept under their code rather than dropped.

use crate::event::{Map, Value};

use super::scan::split_ascii;
use super::{not_a_number_note, note, parse_number, quoted, Limits};

/// Code → item key for text fields. Matched on bytes: per token, a chain of two-byte string
/// comparisons would each call `memcmp`.
fn text_key(code: &str) -> Option<&'static str> {
    Some(match code.as_bytes() {
        b"id" => "item_id",
        b"nm" => "item_name",
        b"br" => "item_brand",
        b"ca" => "item_category",
        b"c2" => "item_category2",
        b"c3" => "item_category3",
        b"c4" => "item_category4",
        b"c5" => "item_category5",
        b"va" => "item_variant",
        b"cp" => "coupon",
        b"li" => "item_list_id",
        b"ln" => "item_list_name",
        b"lo" => "location_id",
        b"af" => "affiliation",
        b"pi" => "promotion_id",
        b"pn" => "promotion_name",
        b"cn" => "creative_name",
        b"cs" => "creative_slot",
        _ => return None,
    })
}

/// Code → item key for numeric fields.
fn number_key(code: &str) -> Option<&'static str> {
    Some(match code.as_bytes() {
        b"pr" => "price",
        b"qt" => "quantity",
        b"ds" => "discount",
        b"lp" => "index",
        _ => return None,
    })
}

/// Decodes the `pr<N>` parameters of one hit into items ordered by `N`, cut to the item cap.
pub(super) fn decode_all<'p>(
    mut raw: Vec<(u32, &'p str, &'p str)>,
    limits: &Limits,
    notes: &mut Vec<String>,
) -> Vec<Value<'p>> {
    raw.sort_by_key(|(index, _, _)| *index);
    if raw.len() > limits.max_items {
        note(
            notes,
            format!(
                "{} items beyond the limit of {} dropped",
                raw.len() - limits.max_items,
                limits.max_items
            ),
        );
        raw.truncate(limits.max_items);
    }
    let mut items = Vec::with_capacity(raw.len());
    items.extend(
        raw.into_iter()
            .filter_map(|(_, name, value)| decode_item(name, value, notes))
            .map(Value::Object),
    );
    items
}

/// One item, or `None` for an empty `prN`.
fn decode_item<'p>(param: &str, raw: &'p str, notes: &mut Vec<String>) -> Option<Map<'p>> {
    if raw.is_empty() {
        note(
            notes,
            format!("item parameter {} is empty; skipped", quoted(param)),
        );
        return None;
    }
    let mut item = Map::new();
    let mut custom_names: Vec<(&str, &str)> = Vec::new();
    let mut custom_values: Vec<&str> = Vec::new();

    for token in split_ascii(raw, b'~') {
        let Some((code, value)) = split_code(token) else {
            continue;
        };
        if let Some(rest) = custom_token(token, 'k') {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if let Some((index, name)) = rest.split_at_checked(digits) {
                if !name.is_empty() {
                    custom_names.push((index, name));
                }
            }
        } else if custom_token(token, 'v').is_some() {
            custom_values.push(token);
        } else if let Some(key) = number_key(code) {
            // The first value of a code wins; a later one is not even parsed.
            if !item.contains_key(key) {
                let value = parse_number(value).unwrap_or_else(|| {
                    note(notes, not_a_number_note(&format!("{param}.{code}")));
                    Value::text(value)
                });
                item.insert(key, value);
            }
        } else {
            let (key, value) = category_alias(code, value, &item)
                .or_else(|| text_key(code).map(|key| (key, value)))
                .unwrap_or((code, value));
            item.insert_if_absent(key, Value::text(value));
        }
    }

    for token in custom_values {
        let rest = token.get(1..).unwrap_or_default();
        // The longest announced index that prefixes the value token: `v1` must not claim `v10…`
        // when `k10` exists, and a value may itself start with digits (`v0199.99`).
        let paired = custom_names
            .iter()
            .filter(|(index, _)| rest.starts_with(index))
            .max_by_key(|(index, _)| index.len());
        match paired {
            Some((index, name)) => {
                let value = rest.get(index.len()..).unwrap_or_default();
                item.insert_if_absent(*name, Value::text(value));
            }
            None => {
                if let Some((code, value)) = split_code(token) {
                    item.insert_if_absent(code, Value::text(value));
                }
            }
        }
    }
    Some(item)
}

/// Splits a token into its two-character code and value; `None` for tokens under two characters
/// (a trailing `~`).
fn split_code(token: &str) -> Option<(&str, &str)> {
    let mut chars = token.char_indices().skip(1);
    chars.next()?;
    let at = chars.next().map_or(token.len(), |(i, _)| i);
    Some((token.get(..at)?, token.get(at..).unwrap_or_default()))
}

/// The text after `letter` when the token is a custom-parameter token (`k0…`, `v12…`): the
/// letter followed by a digit. `va` (variant) is therefore not one.
fn custom_token(token: &str, letter: char) -> Option<&str> {
    let rest = token.strip_prefix(letter)?;
    rest.starts_with(|c: char| c.is_ascii_digit())
        .then_some(rest)
}

/// `ca2…ca5` as written by some tools for categories 2–5 (gtag itself writes `c2…c5`; the
/// GA4 Advanced tag family writes `caMain~ca2Second`). Read so only after an earlier `ca` gave
/// the item its `item_category`: a first `ca` is always the category itself, so a category
/// that merely starts with a digit (`ca2024 Collection`) is not cut into `item_category2`.
fn category_alias<'a>(
    code: &str,
    value: &'a str,
    item: &Map<'_>,
) -> Option<(&'static str, &'a str)> {
    if code != "ca" || !item.contains_key("item_category") {
        return None;
    }
    let key = match value.as_bytes().first()? {
        b'2' => "item_category2",
        b'3' => "item_category3",
        b'4' => "item_category4",
        b'5' => "item_category5",
        _ => return None,
    };
    Some((key, value.get(1..).unwrap_or_default()))
}

#[cfg(test)]
mod tests;
