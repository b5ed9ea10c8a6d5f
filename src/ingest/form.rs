//! Strict `application/x-www-form-urlencoded` decoding: the `k=v&k=v` text of GA4 queries and
//! body lines, Data-Client queries and form bodies. Unlike `url::form_urlencoded`, which repairs
//! bad input silently (a stray `%` stays, invalid UTF-8 becomes U+FFFD), this decoder reports it:
//! a hit whose bytes cannot be trusted is dropped rather than half-read. Errors name the
//! parameter whose value failed, never the value.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use super::scan::find_any;
use super::{quoted, MAX_NAME_BYTES};

/// What is wrong with a form-encoded text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FormError {
    /// `%` not followed by two hex digits.
    BadEscape { param: Option<String> },
    /// The decoded bytes are not UTF-8.
    NotUtf8 { param: Option<String> },
    /// No `key=value` pair at all (a JSON blob, a bare word).
    NotPairs,
    /// A name that cannot be a parameter name: empty, too long, or with control characters,
    /// whitespace or JSON punctuation (binary garbage and JSON fragments end up here).
    BadName,
    /// More than [`MAX_PAIRS`] pairs.
    TooManyPairs,
}

/// Most pairs one text may carry: a GA4 purchase with 200 items and its event parameters has
/// about 300. More is not a collection hit, and each decoded pair costs the heap many times the
/// two bytes (`a&`) it can take, so parsing stops there.
pub(super) const MAX_PAIRS: usize = 1024;

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = |param: &Option<String>| match param {
            Some(name) => format!("the value of {}", quoted(name)),
            None => "a parameter name".to_owned(),
        };
        match self {
            FormError::BadEscape { param } => {
                write!(f, "invalid percent-escape in {}", place(param))
            }
            FormError::NotUtf8 { param } => write!(f, "{} is not valid UTF-8", place(param)),
            FormError::NotPairs => f.write_str("not `key=value&…` form"),
            FormError::BadName => f.write_str("a parameter name is not a valid name"),
            FormError::TooManyPairs => write!(f, "more than {MAX_PAIRS} parameters"),
        }
    }
}

/// One decoded name/value pair, borrowing from the input where no escape had to be decoded.
pub(super) type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// Decodes `input` into name/value pairs in order. A repeated name keeps its first value. Empty
/// segments (`a=1&&b=2`, a trailing `&`) are skipped; a segment without `=` is a name with an
/// empty value (`richsstsse`). With `require_pair`, input without any `=` is [`FormError::NotPairs`]
/// (a body line must be `k=v&…`). Empty input is no pairs.
pub(super) fn parse_pairs(
    input: &[u8],
    require_pair: bool,
) -> Result<Vec<(String, String)>, FormError> {
    let pairs = parse_pairs_borrowed(input, require_pair)?;
    Ok(pairs
        .into_iter()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect())
}

/// [`parse_pairs`] without copying names and values that need no decoding (most of a GA4 hit),
/// for callers that only read them or copy a few.
pub(super) fn parse_pairs_borrowed(
    input: &[u8],
    require_pair: bool,
) -> Result<Vec<Pair<'_>>, FormError> {
    parse(input, std::str::from_utf8(input).ok(), require_pair)
}

/// [`parse_pairs_borrowed`] of a text already known to be UTF-8 (a query string).
pub(super) fn parse_query(query: &str) -> Result<Vec<Pair<'_>>, FormError> {
    parse(query.as_bytes(), Some(query), false)
}

/// The pair parser. `text` is `input` when it is UTF-8 as a whole (every real hit): then each
/// plain piece borrows without a check of its own, since the separators are ASCII and so every
/// piece starts and ends on a character boundary. Other input is checked piece by piece, to
/// name the parameter that is not UTF-8.
fn parse<'a>(
    input: &'a [u8],
    text: Option<&'a str>,
    require_pair: bool,
) -> Result<Vec<Pair<'a>>, FormError> {
    if require_pair && !input.is_empty() && !input.contains(&b'=') {
        return Err(FormError::NotPairs);
    }
    // A GA4 pair averages 10-15 bytes; reserving for one per 8 bytes (at most 64) skips the
    // four or five reallocations of growing from empty, without a counting pass first.
    let mut pairs = Vec::with_capacity((input.len() / 8 + 1).min(64));
    // One pass from separator to separator; the end of the input ends the last segment.
    let mut segment_start = 0;
    let mut equals = None;
    let mut escaped_name = false;
    let mut escaped_value = false;
    let mut from = 0;
    loop {
        let found = input
            .get(from..)
            .and_then(|rest| find_any(rest, [b'&', b'=', b'%', b'+']))
            .map(|at| from + at);
        let (at, byte) = match found {
            Some(at) => (at, input.get(at).copied().unwrap_or(b'&')),
            None => (input.len(), b'&'),
        };
        match byte {
            b'&' => {
                // Empty segments (`a=1&&b=2`, a trailing `&`) are skipped.
                if at > segment_start {
                    let (name_end, value_start) = equals.map_or((at, at), |eq| (eq, eq + 1));
                    let name = piece(input, text, segment_start..name_end, escaped_name)
                        .map_err(|e| e.at(None))?;
                    if !valid_name(&name) {
                        return Err(FormError::BadName);
                    }
                    let value = piece(input, text, value_start..at, escaped_value)
                        .map_err(|e| e.at(Some(&name)))?;
                    if pairs.len() == MAX_PAIRS {
                        return Err(FormError::TooManyPairs);
                    }
                    pairs.push((name, value));
                }
                segment_start = at + 1;
                equals = None;
                escaped_name = false;
                escaped_value = false;
            }
            // The first `=` ends the name; later ones belong to the value.
            b'=' if equals.is_none() => equals = Some(at),
            b'=' => {}
            _ if equals.is_none() => escaped_name = true,
            _ => escaped_value = true,
        }
        if found.is_none() {
            break;
        }
        from = at + 1;
    }
    keep_first_of_each_name(&mut pairs);
    Ok(pairs)
}

/// The name or value at `range` of `input`: decoded when it holds an escape or `+`, else
/// borrowed (checked for UTF-8 unless `text` vouches for the whole input).
fn piece<'a>(
    input: &'a [u8],
    text: Option<&'a str>,
    range: std::ops::Range<usize>,
    escaped: bool,
) -> Result<Cow<'a, str>, DecodeError> {
    let raw = input.get(range.clone()).unwrap_or_default();
    if escaped {
        return decode_borrowed(raw, true);
    }
    match text.and_then(|text| text.get(range)) {
        Some(plain) => Ok(Cow::Borrowed(plain)),
        None => std::str::from_utf8(raw)
            .map(Cow::Borrowed)
            .map_err(|_| DecodeError::NotUtf8),
    }
}

/// Removes later pairs whose name already appeared. Real hits have a few dozen parameters:
/// a 256-bit filter over each name's length and end bytes clears nearly every name at once, and
/// only a name whose bit is already set is compared with the names kept so far. No allocation.
/// A hostile query with many names would fill the filter; it gets a hash set instead.
fn keep_first_of_each_name(pairs: &mut Vec<Pair<'_>>) {
    const FILTER_LIMIT: usize = 64;
    if pairs.len() > FILTER_LIMIT {
        let mut seen = HashSet::with_capacity(pairs.len());
        let keep: Vec<bool> = pairs
            .iter()
            .map(|(name, _)| seen.insert(name.as_ref()))
            .collect();
        let mut keep = keep.into_iter();
        pairs.retain(|_| keep.next().unwrap_or(true));
        return;
    }
    let mut filter = [0u64; 4];
    // `pairs[..kept]` holds the names kept so far, in their original order.
    let mut kept = 0;
    for i in 0..pairs.len() {
        let Some((name, _)) = pairs.get(i) else {
            break;
        };
        let bit = filter_bit(name);
        let Some(word) = filter.get_mut(bit / 64) else {
            break;
        };
        let mask = 1u64 << (bit % 64);
        let repeated =
            *word & mask != 0 && pairs.iter().take(kept).any(|(earlier, _)| earlier == name);
        *word |= mask;
        if !repeated {
            pairs.swap(kept, i);
            kept += 1;
        }
    }
    pairs.truncate(kept);
}

/// A position in the 256-bit name filter: a hash of the length and the first two and last two
/// bytes, which tell GA4's names apart (`pr1` … `pr10`, `ep.…`, `epn.…`).
fn filter_bit(name: &str) -> usize {
    let bytes = name.as_bytes();
    let ends = [
        bytes.first(),
        bytes.get(1),
        bytes.len().checked_sub(2).and_then(|i| bytes.get(i)),
        bytes.last(),
    ];
    ends.into_iter().fold(bytes.len(), |h, b| {
        h.wrapping_mul(31)
            .wrapping_add(usize::from(b.copied().unwrap_or(0)))
    }) % 256
}

/// Why [`decode`] failed, before the parameter is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DecodeError {
    BadEscape,
    NotUtf8,
}

impl DecodeError {
    fn at(self, param: Option<&str>) -> FormError {
        let param = param.map(str::to_owned);
        match self {
            DecodeError::BadEscape => FormError::BadEscape { param },
            DecodeError::NotUtf8 => FormError::NotUtf8 { param },
        }
    }
}

/// Percent-decodes `raw` (and `+` as space when `plus_is_space`), then checks UTF-8.
pub(super) fn decode(raw: &[u8], plus_is_space: bool) -> Result<String, DecodeError> {
    decode_borrowed(raw, plus_is_space).map(Cow::into_owned)
}

/// [`decode`], borrowing `raw` when it holds no escape.
fn decode_borrowed(raw: &[u8], plus_is_space: bool) -> Result<Cow<'_, str>, DecodeError> {
    let special = |bytes: &[u8]| {
        if plus_is_space {
            find_any(bytes, [b'%', b'+'])
        } else {
            find_any(bytes, [b'%'])
        }
    };
    let Some(first) = special(raw) else {
        return std::str::from_utf8(raw)
            .map(Cow::Borrowed)
            .map_err(|_| DecodeError::NotUtf8);
    };
    let mut bytes = Vec::with_capacity(raw.len());
    bytes.extend_from_slice(raw.get(..first).unwrap_or_default());
    let mut rest = raw.get(first..).unwrap_or_default();
    // `rest` starts at an escape or `+`; the plain run after it is copied in one piece.
    while !rest.is_empty() {
        rest = match rest {
            [b'%', hi, lo, tail @ ..] => match (hex_value(*hi), hex_value(*lo)) {
                (Some(hi), Some(lo)) => {
                    bytes.push(hi << 4 | lo);
                    tail
                }
                _ => return Err(DecodeError::BadEscape),
            },
            [b'%', ..] => return Err(DecodeError::BadEscape),
            // Not an escape, so a `+` that stands for a space.
            [_, tail @ ..] => {
                bytes.push(b' ');
                tail
            }
            [] => break,
        };
        let run = special(rest).unwrap_or(rest.len());
        let (plain, tail) = rest.split_at_checked(run).unwrap_or((rest, &[]));
        bytes.extend_from_slice(plain);
        rest = tail;
    }
    String::from_utf8(bytes)
        .map(Cow::Owned)
        .map_err(|_| DecodeError::NotUtf8)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && !name.chars().any(|c| {
            c.is_control() || c.is_whitespace() || matches!(c, '{' | '}' | '"' | '\\' | '<' | '>')
        })
}

#[cfg(test)]
mod tests;
