//! Amounts: money in the currency's ISO 4217 minor unit, computed exactly (SPEC §5.6).
//!
//! Owns the minor-unit exponent table, the currency-code rule (three ASCII letters, uppercased)
//! and the conversion of a JSON number or numeric string into an integer amount. The conversion
//! works on the number's decimal text — serde_json prints an `f64` as its shortest round-trip
//! text, so `19.99` reads back as the digits `1999` with two decimals, never as
//! `19.989999…` — shifts the decimal point by the exponent and rounds half away from zero.
//! No float arithmetic is involved. We chose this short routine (a parser and one scaling
//! function) over a decimal crate such as `rust_decimal`: shifting a decimal point and rounding
//! once is all that is needed, the routine is tested below on every branch (signs, exponents,
//! rounding ties, overflow, garbage), and it adds no dependency and little to the `.wasm`.

use serde_json::Value;

/// The ISO 4217 minor-unit exponent of a currency code (case-insensitive). Source: the ISO 4217
/// list one (SIX, current amendments). Unlike Stape's list, IDR and MGA are 2 there and so here
/// (Stape sends them as 0). CLF and UYW have 4. Unknown codes, and the "N.A." codes (metals,
/// XDR, XTS, …), get 2, the API's most common case.
pub fn currency_exponent(code: &str) -> u32 {
    match code.trim().to_ascii_uppercase().as_str() {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// A currency code as the API wants it: trimmed, three ASCII letters, uppercased.
pub fn currency_code(raw: &str) -> Option<String> {
    let code = raw.trim();
    (code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| code.to_ascii_uppercase())
}

/// `value` (a JSON number or a numeric string) in minor units of `currency` (exponent 2 when
/// missing or unknown), rounded half away from zero. `None` for anything non-numeric (including
/// `NaN`/`Infinity` strings) and for results outside `i64`.
pub fn to_minor_units(value: &Value, currency: Option<&str>) -> Option<i64> {
    let exponent = currency.map_or(2, currency_exponent);
    scale(&decimal_of(value)?, exponent, Rounding::HalfAwayFromZero)
}

/// `value` as an exact integer: a JSON number or numeric string whose value has no fractional
/// part (`3`, `"3"`, `3.0`, `"3e2"`). `None` for `1.5`, non-numeric values and overflow.
pub fn to_exact_integer(value: &Value) -> Option<i64> {
    scale(&decimal_of(value)?, 0, Rounding::Exact)
}

/// A parsed decimal: `(-1)^negative × digits × 10^exponent`, digits without leading zeros (an
/// empty digit list is zero).
#[derive(Debug, PartialEq)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

#[derive(Clone, Copy)]
enum Rounding {
    HalfAwayFromZero,
    Exact,
}

/// A bound far beyond any exponent that can still yield an `i64`, so exponent arithmetic never
/// overflows (`1e99999999999999999999` is then just "too large").
const EXPONENT_CLAMP: i64 = 1_000_000;

fn decimal_of(value: &Value) -> Option<Decimal> {
    match value {
        // Integers need no text round trip (the common case for quantities and JPY prices).
        Value::Number(n) if n.is_i64() => n.as_i64().map(integer_decimal),
        Value::Number(n) => parse_decimal(&n.to_string()),
        Value::String(s) => parse_decimal(s.trim()),
        _ => None,
    }
}

fn integer_decimal(n: i64) -> Decimal {
    let mut magnitude = n.unsigned_abs();
    let mut digits = Vec::with_capacity(20);
    while magnitude > 0 {
        // `% 10` is below 10, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        digits.push((magnitude % 10) as u8);
        magnitude /= 10;
    }
    digits.reverse();
    Decimal {
        negative: n < 0,
        digits,
        exponent: 0,
    }
}

/// Parses `[+-]digits[.digits][(e|E)[+-]digits]` (at least one mantissa digit; `.5` and `5.`
/// are accepted, as JavaScript's `Number()` does).
fn parse_decimal(text: &str) -> Option<Decimal> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exp_text) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (rest, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.len() + frac_part.len() == 0 || !all_digits(int_part) || !all_digits(frac_part) {
        return None;
    }
    let mut exponent = match exp_text {
        None => 0,
        Some(e) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => (-1, d),
                None => (1, e.strip_prefix('+').unwrap_or(e)),
            };
            if digits.is_empty() || !all_digits(digits) {
                return None;
            }
            let magnitude = digits.bytes().fold(0i64, |acc, b| {
                (acc * 10 + i64::from(b - b'0')).min(EXPONENT_CLAMP)
            });
            sign * magnitude
        }
    };
    exponent -= i64::try_from(frac_part.len()).ok()?;
    let digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .skip_while(|b| *b == b'0')
        .map(|b| b - b'0')
        .collect();
    Some(Decimal {
        negative,
        digits,
        exponent,
    })
}

/// `d × 10^places` as an `i64`, rounded as asked.
fn scale(d: &Decimal, places: u32, rounding: Rounding) -> Option<i64> {
    if d.digits.is_empty() {
        return Some(0);
    }
    let exponent = d.exponent.saturating_add(i64::from(places));
    let len = i64::try_from(d.digits.len()).ok()?;
    // How many leading digits stay in the integer part; the rest are dropped (and rounded).
    let keep = len.saturating_add(exponent.min(0)).max(0);
    let keep = usize::try_from(keep).ok()?;
    let mut magnitude = d.digits.iter().take(keep).try_fold(0u128, |acc, digit| {
        acc.checked_mul(10)?.checked_add(u128::from(*digit))
    })?;
    if exponent > 0 {
        let factor = 10u128.checked_pow(u32::try_from(exponent).ok()?)?;
        magnitude = magnitude.checked_mul(factor)?;
    }
    let mut dropped = d.digits.iter().skip(keep);
    // When every digit is dropped with room to spare, the first dropped position is a zero.
    let first_dropped = if exponent < 0 && len + exponent < 0 {
        0
    } else {
        dropped.next().copied().unwrap_or(0)
    };
    match rounding {
        Rounding::HalfAwayFromZero => {
            if first_dropped >= 5 {
                magnitude = magnitude.checked_add(1)?;
            }
        }
        Rounding::Exact => {
            if first_dropped != 0 || d.digits.iter().skip(keep).any(|digit| *digit != 0) {
                return None;
            }
        }
    }
    let signed = i128::try_from(magnitude).ok()?;
    i64::try_from(if d.negative { -signed } else { signed }).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minor(value: Value, currency: &str) -> Option<i64> {
        to_minor_units(&value, Some(currency))
    }

    #[test]
    fn exponents_follow_iso_4217() {
        for zero in [
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
            "VND", "VUV", "XAF", "XOF", "XPF",
        ] {
            assert_eq!(currency_exponent(zero), 0, "{zero}");
        }
        for three in ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"] {
            assert_eq!(currency_exponent(three), 3, "{three}");
        }
        assert_eq!(currency_exponent("CLF"), 4);
        assert_eq!(currency_exponent("UYW"), 4);
        // Stape treats these as 0; ISO 4217 gives them 2 (SPEC §10: ISO exponents).
        assert_eq!(currency_exponent("IDR"), 2);
        assert_eq!(currency_exponent("MGA"), 2);
        assert_eq!(currency_exponent("USD"), 2);
        assert_eq!(currency_exponent("jpy"), 0, "case-insensitive");
        assert_eq!(currency_exponent("ZZZ"), 2, "unknown");
        assert_eq!(currency_exponent(""), 2, "missing");
    }

    #[test]
    fn currency_code_is_three_ascii_letters_uppercased() {
        assert_eq!(currency_code(" usd ").as_deref(), Some("USD"));
        assert_eq!(currency_code("EUR").as_deref(), Some("EUR"));
        assert_eq!(currency_code("US"), None);
        assert_eq!(currency_code("USDT"), None);
        assert_eq!(currency_code("U$D"), None);
        assert_eq!(currency_code("ÉUR"), None);
        assert_eq!(currency_code(""), None);
    }

    #[test]
    fn two_decimal_currencies_are_exact_where_floats_are_not() {
        // 19.99 * 100 is 1998.9999999999998 in binary floating point.
        assert_eq!(minor(json!(19.99), "USD"), Some(1999));
        assert_eq!(minor(json!(12.99), "USD"), Some(1299));
        assert_eq!(minor(json!(99.99), "USD"), Some(9999));
        assert_eq!(minor(json!(999), "EUR"), Some(99900));
        assert_eq!(minor(json!(0.1), "USD"), Some(10));
        assert_eq!(
            minor(json!(1.005), "USD"),
            Some(101),
            "1.005*100 is 100.49999… as f64"
        );
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(minor(json!(150.555), "EUR"), Some(15056));
        assert_eq!(minor(json!(150.554), "EUR"), Some(15055));
        assert_eq!(minor(json!(-150.555), "EUR"), Some(-15056));
        assert_eq!(minor(json!(-2.5), "JPY"), Some(-3));
        assert_eq!(minor(json!(2.4999), "JPY"), Some(2));
        assert_eq!(minor(json!(0.004), "USD"), Some(0));
        assert_eq!(minor(json!(-0.004), "USD"), Some(0), "no negative zero");
        assert_eq!(minor(json!(0.005), "USD"), Some(1));
        assert_eq!(minor(json!(0.0005), "USD"), Some(0));
    }

    #[test]
    fn zero_decimal_currencies() {
        assert_eq!(minor(json!(1500), "JPY"), Some(1500));
        assert_eq!(minor(json!(1000), "JPY"), Some(1000));
        assert_eq!(minor(json!(1500.5), "JPY"), Some(1501));
        assert_eq!(minor(json!(1500.49), "KRW"), Some(1500));
    }

    #[test]
    fn three_decimal_currencies() {
        assert_eq!(minor(json!(1.2345), "KWD"), Some(1235));
        assert_eq!(minor(json!(12.5), "KWD"), Some(12500));
        assert_eq!(minor(json!(1.2344), "BHD"), Some(1234));
    }

    #[test]
    fn numeric_strings_and_missing_currency() {
        assert_eq!(minor(json!("10.5"), "USD"), Some(1050));
        assert_eq!(minor(json!(" 10.5 "), "USD"), Some(1050));
        assert_eq!(minor(json!("+3"), "USD"), Some(300));
        assert_eq!(minor(json!(".5"), "USD"), Some(50));
        assert_eq!(minor(json!("5."), "USD"), Some(500));
        assert_eq!(minor(json!("-0012.30"), "USD"), Some(-1230));
        assert_eq!(to_minor_units(&json!("10.5"), None), Some(1050));
        assert_eq!(to_minor_units(&json!(7), Some("ZZZ")), Some(700));
    }

    #[test]
    fn exponent_forms() {
        assert_eq!(minor(json!("1e3"), "USD"), Some(100_000));
        assert_eq!(minor(json!("1.5E+2"), "USD"), Some(15000));
        assert_eq!(minor(json!("25e-1"), "JPY"), Some(3));
        assert_eq!(minor(json!(1.5e-7), "USD"), Some(0));
        // serde_json prints large and tiny floats in exponent form ("1e+16", "1.5e-7").
        assert!(json!(1e16_f64).to_string().contains('e'));
        assert!(json!(1.5e-7).to_string().contains('e'));
        assert_eq!(minor(json!(1e16_f64), "JPY"), Some(10_000_000_000_000_000));
        assert_eq!(minor(json!("0e999999999999999999999"), "USD"), Some(0));
        assert_eq!(minor(json!("1e-999999999999999999999"), "USD"), Some(0));
    }

    #[test]
    fn overflow_is_none_and_the_edges_of_i64_fit() {
        assert_eq!(minor(json!(1e21_f64), "USD"), None);
        assert_eq!(minor(json!("1e999999999999999999999"), "USD"), None);
        assert_eq!(minor(json!(u64::MAX), "JPY"), None);
        assert_eq!(minor(json!("92233720368547758.07"), "USD"), Some(i64::MAX));
        assert_eq!(minor(json!("92233720368547758.08"), "USD"), None);
        assert_eq!(minor(json!("-92233720368547758.08"), "USD"), Some(i64::MIN));
        assert_eq!(minor(json!("9".repeat(400)), "USD"), None);
        assert_eq!(
            minor(json!(format!("0.{}", "9".repeat(400))), "USD"),
            Some(100)
        );
    }

    #[test]
    fn garbage_is_none() {
        for bad in [
            json!("abc"),
            json!(""),
            json!(" "),
            json!("1,5"),
            json!("1.2.3"),
            json!("--1"),
            json!("+-1"),
            json!("1e"),
            json!("e5"),
            json!("."),
            json!("-"),
            json!("NaN"),
            json!("Infinity"),
            json!("-inf"),
            json!("0x1A"),
            json!("1 000"),
            json!("$5"),
            json!(true),
            json!(null),
            json!([1]),
            json!({"value": 1}),
        ] {
            assert_eq!(to_minor_units(&bad, Some("USD")), None, "{bad}");
        }
    }

    #[test]
    fn exact_integers() {
        assert_eq!(to_exact_integer(&json!(3)), Some(3));
        assert_eq!(to_exact_integer(&json!("3")), Some(3));
        assert_eq!(to_exact_integer(&json!(-3)), Some(-3));
        assert_eq!(to_exact_integer(&json!(3.0)), Some(3));
        assert_eq!(to_exact_integer(&json!("1.299e3")), Some(1299));
        assert_eq!(to_exact_integer(&json!("12.990")), None);
        assert_eq!(to_exact_integer(&json!("1299.00")), Some(1299));
        assert_eq!(to_exact_integer(&json!(1.5)), None);
        assert_eq!(to_exact_integer(&json!(0.5)), None);
        assert_eq!(to_exact_integer(&json!("0.001")), None);
        assert_eq!(to_exact_integer(&json!("1e-999")), None);
        assert_eq!(to_exact_integer(&json!(0)), Some(0));
        assert_eq!(to_exact_integer(&json!("x")), None);
        assert_eq!(to_exact_integer(&json!(u64::MAX)), None);
    }
}
