//! Amounts: money in the currency's ISO 4217 minor unit, computed exactly.
//!
//! Owns the minor-unit exponent table and the conversion of a JSON number or numeric string
//! into an integer amount (which currency codes are valid is [`crate::model::currency`]'s
//! rule). The conversion works on the number's decimal text — serde_json prints an `f64` as its shortest round-trip
//! text, so `19.99` reads back as the digits `1999` with two decimals, never as
//! `19.989999…` — shifts the decimal point by the exponent and rounds half away from zero.
//! No float arithmetic decides a result: the one shortcut (a float price with at most the
//! currency's decimals, the common case) multiplies in floating point only where that provably
//! gives the integer the text route gives, and checks that it does. We chose this short routine (a parser and one scaling
//! function) over a decimal crate such as `rust_decimal`: shifting a decimal point and rounding
//! once is all that is needed, the routine is tested below on every branch (signs, exponents,
//! rounding ties, overflow, garbage), and it adds no dependency and little to the `.wasm`.

use crate::event::trim;
use crate::event::Value;

/// The ISO 4217 minor-unit exponent of a currency code (case-insensitive). Source: the ISO 4217
/// list one (SIX, current amendments). Unlike Stape's list, IDR and MGA are 2 there and so here
/// (Stape sends them as 0). CLF and UYW have 4. Every other code of
/// [`ISO_4217`](crate::model::currency::ISO_4217) has 2, and so does an unknown code (never
/// sent: [`currency_code`](crate::model::currency::currency_code) refuses it).
pub fn currency_exponent(code: &str) -> u32 {
    // Matched as a 3-byte array: no uppercase copy, and byte arrays compare as integers where
    // string arms would each call `memcmp` (this runs once per item).
    let Ok(bytes) = <[u8; 3]>::try_from(trim(code).as_bytes()) else {
        return 2;
    };
    match &bytes.map(|b| b.to_ascii_uppercase()) {
        b"BIF" | b"CLP" | b"DJF" | b"GNF" | b"ISK" | b"JPY" | b"KMF" | b"KRW" | b"PYG" | b"RWF"
        | b"UGX" | b"UYI" | b"VND" | b"VUV" | b"XAF" | b"XOF" | b"XPF" => 0,
        b"BHD" | b"IQD" | b"JOD" | b"KWD" | b"LYD" | b"OMR" | b"TND" => 3,
        b"CLF" | b"UYW" => 4,
        _ => 2,
    }
}

/// `value` (a JSON number or a numeric string) in minor units of `currency` (exponent 2 when
/// missing or unknown), rounded half away from zero. `None` for anything non-numeric (including
/// `NaN`/`Infinity` strings) and for results outside `i64`.
pub fn to_minor_units(value: &Value, currency: Option<&str>) -> Option<i64> {
    let exponent = currency.map_or(2, currency_exponent);
    scaled(value, exponent, Rounding::HalfAwayFromZero)
}

/// `value` as an exact integer: a JSON number or numeric string whose value has no fractional
/// part (`3`, `"3"`, `3.0`, `"3e2"`). `None` for `1.5`, non-numeric values and overflow.
pub fn to_exact_integer(value: &Value) -> Option<i64> {
    scaled(value, 0, Rounding::Exact)
}

/// A parsed decimal: `(-1)^negative × digits × 10^exponent`, where `digits` are the ASCII
/// digits of `int` followed by those of `frac`, without leading zeros (none at all is zero).
/// The digits stay in the text they were read from: no copy per amount.
#[derive(Debug, PartialEq)]
struct Decimal<'a> {
    negative: bool,
    int: &'a [u8],
    frac: &'a [u8],
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

/// `value × 10^places` as an `i64`, rounded as asked.
fn scaled(value: &Value, places: u32, rounding: Rounding) -> Option<i64> {
    match value {
        // Integers need no text round trip (the common case for quantities and JPY prices).
        Value::Number(n) => match n.as_i64() {
            Some(integer) => scale_integer(integer, places),
            None => n
                .as_f64()
                .and_then(|f| scale_float_exactly(f, places))
                .or_else(|| scale_number_text(n, places, rounding)),
        },
        Value::String(s) => scale(&parse_decimal(s.trim().as_bytes())?, places, rounding),
        _ => None,
    }
}

/// `n` through its JSON text: the decimal the module works on (see the module comment).
fn scale_number_text(n: &serde_json::Number, places: u32, rounding: Rounding) -> Option<i64> {
    // The text on the stack: an `f64` is at most 24 bytes of it, a `u64` 20.
    const ROOM: usize = 32;
    let mut text = [0u8; ROOM];
    let mut rest: &mut [u8] = &mut text;
    serde_json::to_writer(&mut rest, n).ok()?;
    let len = ROOM - rest.len();
    scale(&parse_decimal(text.get(..len)?)?, places, rounding)
}

/// `f × 10^places` computed in floating point, for the common price that has at most `places`
/// decimals (`19.99` in USD) — the exact result the text route gives, without formatting the
/// float as text and parsing it back. `None` sends every other case down the text route.
///
/// Why it is exact: let `m` be `f × 10^places` rounded to an integer and `D = m / 10^places`.
/// `m` and `10^places` are exact in `f64` and IEEE division rounds correctly, so the division
/// gives back `f` exactly when `D` rounds to `f`: `D` is then a decimal with at most `places`
/// decimals that reads back as `f`. serde_json prints the *shortest* decimal `S` that reads
/// back as `f`. With `|m| < 2^48` the reals that round to `f` span less than `10^-(places+1)`,
/// so a decimal other than `D` among them needs at least `places + 2` decimals; being no longer
/// than `D`, it would have to be a hundred times smaller, yet it is within `2^-48` of `D`. So
/// `S` is `D`, and the text route scales it to `m` with nothing left to round.
fn scale_float_exactly(f: f64, places: u32) -> Option<i64> {
    let factor = match places {
        0 => 1.0,
        2 => 100.0,
        3 => 1_000.0,
        4 => 10_000.0,
        _ => return None,
    };
    let m = (f * factor).round();
    // Below 2^48 the cast is exact.
    #[allow(clippy::cast_possible_truncation)]
    (m.abs() < 281_474_976_710_656.0 && m / factor == f).then_some(m as i64)
}

/// `n × 10^places`: an integer has nothing to round.
fn scale_integer(n: i64, places: u32) -> Option<i64> {
    let magnitude = u128::from(n.unsigned_abs()).checked_mul(10u128.checked_pow(places)?)?;
    let signed = i128::try_from(magnitude).ok()?;
    i64::try_from(if n < 0 { -signed } else { signed }).ok()
}

/// Parses `[+-]digits[.digits][(e|E)[+-]digits]` (at least one mantissa digit; `.5` and `5.`
/// are accepted, as JavaScript's `Number()` does).
fn parse_decimal(text: &[u8]) -> Option<Decimal<'_>> {
    let (negative, rest) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    let (mantissa, exp_text) = match rest.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(at) => (rest.get(..at)?, Some(rest.get(at + 1..)?)),
        None => (rest, None),
    };
    let (int_part, frac_part) = match mantissa.iter().position(|b| *b == b'.') {
        Some(at) => (mantissa.get(..at)?, mantissa.get(at + 1..)?),
        None => (mantissa, &[][..]),
    };
    let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if int_part.len() + frac_part.len() == 0 || !all_digits(int_part) || !all_digits(frac_part) {
        return None;
    }
    let mut exponent = match exp_text {
        None => 0,
        Some(e) => {
            let (sign, digits) = match e {
                [b'-', d @ ..] => (-1, d),
                [b'+', d @ ..] => (1, d),
                _ => (1, e),
            };
            if digits.is_empty() || !all_digits(digits) {
                return None;
            }
            let magnitude = digits.iter().fold(0i64, |acc, b| {
                (acc * 10 + i64::from(b - b'0')).min(EXPONENT_CLAMP)
            });
            sign * magnitude
        }
    };
    exponent -= i64::try_from(frac_part.len()).ok()?;
    // Leading zeros carry no value; the exponent counts from the last digit, so it stays.
    let int = without_zeros(int_part);
    let frac = if int.is_empty() {
        without_zeros(frac_part)
    } else {
        frac_part
    };
    Some(Decimal {
        negative,
        int,
        frac,
        exponent,
    })
}

fn without_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|b| **b == b'0').count();
    digits.get(zeros..).unwrap_or_default()
}

/// `d × 10^places` as an `i64`, rounded as asked.
fn scale(d: &Decimal<'_>, places: u32, rounding: Rounding) -> Option<i64> {
    let len = d.int.len() + d.frac.len();
    if len == 0 {
        return Some(0);
    }
    let mut digits = d.int.iter().chain(d.frac).map(|b| b - b'0');
    let exponent = d.exponent.saturating_add(i64::from(places));
    let len = i64::try_from(len).ok()?;
    // How many leading digits stay in the integer part; the rest are dropped (and rounded).
    let keep = len.saturating_add(exponent.min(0)).max(0);
    let keep = usize::try_from(keep).ok()?;
    let mut magnitude = digits.by_ref().take(keep).try_fold(0u128, |acc, digit| {
        acc.checked_mul(10)?.checked_add(u128::from(digit))
    })?;
    if exponent > 0 {
        let factor = 10u128.checked_pow(u32::try_from(exponent).ok()?)?;
        magnitude = magnitude.checked_mul(factor)?;
    }
    // `digits` now yields the dropped digits. When every digit is dropped with room to spare,
    // the first dropped position is a zero in front of them.
    let first_dropped = if exponent < 0 && len + exponent < 0 {
        0
    } else {
        digits.next().unwrap_or(0)
    };
    match rounding {
        Rounding::HalfAwayFromZero => {
            if first_dropped >= 5 {
                magnitude = magnitude.checked_add(1)?;
            }
        }
        Rounding::Exact => {
            if first_dropped != 0 || digits.any(|digit| digit != 0) {
                return None;
            }
        }
    }
    let signed = i128::try_from(magnitude).ok()?;
    i64::try_from(if d.negative { -signed } else { signed }).ok()
}

#[cfg(test)]
mod tests;
