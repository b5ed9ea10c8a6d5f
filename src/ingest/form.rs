//! Strict `application/x-www-form-urlencoded` decoding: the `k=v&k=v` text of GA4 queries and
//! body lines, Data-Client queries and form bodies. Unlike `url::form_urlencoded`, which repairs
//! bad input silently (a stray `%` stays, invalid UTF-8 becomes U+FFFD), this decoder reports it:
//! a hit whose bytes cannot be trusted is dropped rather than half-read. Errors name the
//! parameter whose value failed, never the value.

use std::collections::HashSet;
use std::fmt;

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
}

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
        }
    }
}

/// Decodes `input` into name/value pairs in order. A repeated name keeps its first value. Empty
/// segments (`a=1&&b=2`, a trailing `&`) are skipped; a segment without `=` is a name with an
/// empty value (`richsstsse`). With `require_pair`, input without any `=` is [`FormError::NotPairs`]
/// (a body line must be `k=v&…`). Empty input is no pairs.
pub(super) fn parse_pairs(
    input: &[u8],
    require_pair: bool,
) -> Result<Vec<(String, String)>, FormError> {
    if require_pair && !input.is_empty() && !input.contains(&b'=') {
        return Err(FormError::NotPairs);
    }
    let mut pairs = Vec::new();
    for segment in input.split(|b| *b == b'&').filter(|s| !s.is_empty()) {
        let (raw_name, raw_value) = match segment.iter().position(|b| *b == b'=') {
            Some(at) => (
                segment.get(..at).unwrap_or_default(),
                segment.get(at + 1..).unwrap_or_default(),
            ),
            None => (segment, &[][..]),
        };
        let name = decode(raw_name, true).map_err(|e| e.at(None))?;
        if !valid_name(&name) {
            return Err(FormError::BadName);
        }
        let value = decode(raw_value, true).map_err(|e| e.at(Some(&name)))?;
        pairs.push((name, value));
    }
    keep_first_of_each_name(&mut pairs);
    Ok(pairs)
}

/// Removes later pairs whose name already appeared. Real hits have a few dozen parameters,
/// where a scan beats hashing; a hostile query with thousands gets a set.
fn keep_first_of_each_name(pairs: &mut Vec<(String, String)>) {
    const SCAN_LIMIT: usize = 16;
    let keep: Vec<bool> = if pairs.len() <= SCAN_LIMIT {
        pairs
            .iter()
            .enumerate()
            .map(|(i, (name, _))| !pairs.iter().take(i).any(|(earlier, _)| earlier == name))
            .collect()
    } else {
        let mut seen = HashSet::with_capacity(pairs.len());
        pairs
            .iter()
            .map(|(name, _)| seen.insert(name.as_str()))
            .collect()
    };
    let mut keep = keep.into_iter();
    pairs.retain(|_| keep.next().unwrap_or(true));
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
    if !raw
        .iter()
        .any(|b| *b == b'%' || (plus_is_space && *b == b'+'))
    {
        return String::from_utf8(raw.to_vec()).map_err(|_| DecodeError::NotUtf8);
    }
    let mut bytes = Vec::with_capacity(raw.len());
    let mut rest = raw.iter();
    while let Some(&b) = rest.next() {
        match b {
            b'%' => {
                let hi = rest.next().and_then(|h| hex_value(*h));
                let lo = rest.next().and_then(|l| hex_value(*l));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => bytes.push(hi << 4 | lo),
                    _ => return Err(DecodeError::BadEscape),
                }
            }
            b'+' if plus_is_space => bytes.push(b' '),
            _ => bytes.push(b),
        }
    }
    String::from_utf8(bytes).map_err(|_| DecodeError::NotUtf8)
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
mod tests {
    use super::*;

    fn pairs(input: &str) -> Vec<(String, String)> {
        parse_pairs(input.as_bytes(), true).unwrap()
    }

    #[test]
    fn decodes_plus_and_percent_escapes() {
        assert_eq!(
            pairs("dt=Food+Shop%20%C3%A9&dl=https%3A%2F%2Fa.b%2F"),
            vec![
                ("dt".to_owned(), "Food Shop é".to_owned()),
                ("dl".to_owned(), "https://a.b/".to_owned())
            ]
        );
    }

    #[test]
    fn bare_names_empty_segments_and_first_value_wins() {
        assert_eq!(
            pairs("v=2&&richsstsse&v=3&"),
            vec![
                ("v".to_owned(), "2".to_owned()),
                ("richsstsse".to_owned(), String::new())
            ]
        );
        assert_eq!(parse_pairs(b"richsstsse", false).unwrap().len(), 1);
        assert_eq!(parse_pairs(b"", true).unwrap(), vec![]);
    }

    #[test]
    fn bad_escapes_are_errors_naming_the_parameter() {
        let err = parse_pairs(b"en=x&dl=%zz", true).unwrap_err();
        assert_eq!(
            err,
            FormError::BadEscape {
                param: Some("dl".to_owned())
            }
        );
        assert_eq!(
            err.to_string(),
            "invalid percent-escape in the value of `dl`"
        );
        assert!(matches!(
            parse_pairs(b"en=x&dt=%4", true),
            Err(FormError::BadEscape { .. })
        ));
        assert!(matches!(
            parse_pairs(b"e%Gn=x", true),
            Err(FormError::BadEscape { param: None })
        ));
    }

    #[test]
    fn invalid_utf8_raw_or_escaped_is_an_error() {
        assert_eq!(
            parse_pairs(b"en=x&dt=%FF", true).unwrap_err(),
            FormError::NotUtf8 {
                param: Some("dt".to_owned())
            }
        );
        assert!(matches!(
            parse_pairs(b"en=\xff\xfe", true),
            Err(FormError::NotUtf8 { .. })
        ));
        // A lone continuation byte split across an escape.
        assert!(matches!(
            parse_pairs(b"en=%C3", true),
            Err(FormError::NotUtf8 { .. })
        ));
    }

    #[test]
    fn lines_that_are_not_pairs_are_errors() {
        assert_eq!(
            parse_pairs(b"hello world", true).unwrap_err(),
            FormError::NotPairs
        );
        assert_eq!(
            parse_pairs(br#"{"en":"x","a":"b=c"}"#, true).unwrap_err(),
            FormError::BadName
        );
        assert_eq!(parse_pairs(b"=x", true).unwrap_err(), FormError::BadName);
        assert_eq!(
            parse_pairs(b"a\x01b=1", true).unwrap_err(),
            FormError::BadName
        );
        let long = format!("{}=1", "k".repeat(MAX_NAME_BYTES + 1));
        assert_eq!(
            parse_pairs(long.as_bytes(), true).unwrap_err(),
            FormError::BadName
        );
    }

    #[test]
    fn decode_without_plus_keeps_plus() {
        assert_eq!(decode(b"a+b%2B", false).unwrap(), "a+b+");
        assert_eq!(decode(b"a+b", true).unwrap(), "a b");
    }
}
