use super::*;
use crate::model::currency::{currency_code, ISO_4217};
use crate::test_support::event_json as json;

fn minor(value: Value, currency: &str) -> Option<i64> {
    to_minor_units(&value, Some(currency))
}

#[test]
fn exponents_follow_iso_4217() {
    for zero in [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ] {
        assert_eq!(currency_exponent(zero), 0, "{zero}");
    }
    for three in ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"] {
        assert_eq!(currency_exponent(three), 3, "{three}");
    }
    assert_eq!(currency_exponent("CLF"), 4);
    assert_eq!(currency_exponent("UYW"), 4);
    // Stape treats these as 0; ISO 4217 gives them 2, and ISO exponents are used here.
    assert_eq!(currency_exponent("IDR"), 2);
    assert_eq!(currency_exponent("MGA"), 2);
    assert_eq!(currency_exponent("USD"), 2);
    assert_eq!(currency_exponent("jpy"), 0, "case-insensitive");
    assert_eq!(currency_exponent("ZZZ"), 2, "unknown");
    assert_eq!(currency_exponent(""), 2, "missing");
}

#[test]
fn currency_must_be_an_active_iso_4217_code() {
    assert_eq!(
        currency_code(" usd ").as_deref(),
        Some("USD"),
        "lowercase is uppercased"
    );
    assert_eq!(currency_code("EUR").as_deref(), Some("EUR"));
    assert_eq!(currency_code("xcg").as_deref(), Some("XCG"));
    for bad in [
        "US", "USDT", "U$D", "US$", "ÉUR", "", "EURO", "BTC", "ETH", "XBT", "ANG", "HRK", "XAU",
        "XTS", "XXX", "ABC",
    ] {
        assert_eq!(currency_code(bad), None, "{bad}");
    }
}

#[test]
fn currency_list_is_sorted_and_agrees_with_the_exponent_table() {
    assert!(
        ISO_4217.windows(2).all(|w| w[0] < w[1]),
        "sorted, no duplicates"
    );
    // Every code the exponent table gives a special exponent is an active code, and every
    // 3-letter code outside the list falls back to the default: the table and the list
    // cannot drift apart silently.
    let letters = b'A'..=b'Z';
    for a in letters.clone() {
        for b in letters.clone() {
            for c in letters.clone() {
                let code = String::from_utf8(vec![a, b, c]).unwrap();
                let exponent = currency_exponent(&code);
                if exponent != 2 {
                    assert!(ISO_4217.contains(&code.as_str()), "{code} has {exponent}");
                }
            }
        }
    }
    for code in ISO_4217 {
        assert_eq!(code.len(), 3);
        assert!(code.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
        assert_eq!(currency_code(code).as_deref(), Some(code));
    }
}

#[test]
fn currency_list_agrees_with_the_standin() {
    assert_eq!(
        ISO_4217.as_slice(),
        capi_standin::validate::ISO_4217.as_slice()
    );
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
fn the_float_shortcut_agrees_with_the_text_route() {
    assert_eq!(scale_float_exactly(19.99, 2), Some(1999));
    assert_eq!(scale_float_exactly(-0.1, 3), Some(-100));
    assert_eq!(
        scale_float_exactly(1.005, 2),
        None,
        "three decimals: the text route"
    );
    let check = |f: f64| {
        let n = serde_json::Number::from_f64(f).unwrap();
        for places in [0, 2, 3, 4] {
            if let Some(fast) = scale_float_exactly(f, places) {
                for rounding in [Rounding::HalfAwayFromZero, Rounding::Exact] {
                    assert_eq!(
                        Some(fast),
                        scale_number_text(&n, places, rounding),
                        "{f:e} {places}"
                    );
                }
            }
        }
    };
    // Every price up to 100.00 in cents, as a browser sends it, and thousandths (checked
    // up to 2000.00 and on 200 000 random patterns once; fewer here to keep the suite fast).
    for cents in 0..10_000i64 {
        check(
            format!("{}.{:02}", cents / 100, cents % 100)
                .parse()
                .unwrap(),
        );
        check(-(cents as f64) / 1000.0);
    }
    // Edge cases, and random bit patterns (xorshift) over the whole range.
    for f in [
        1.005,
        0.1 + 0.2,
        1e-7,
        123_456_789.125,
        2.5,
        -2.5,
        0.5,
        -0.0,
        1e21,
        2.814_749_767_106_55e12,
        281_474_976_710_655.0,
        281_474_976_710_656.0,
        9_007_199_254_740_993.0,
        1e300,
    ] {
        check(f);
    }
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..10_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let f = f64::from_bits(x);
        if f.is_finite() {
            check(f);
            // Also near the shortcut's bound, with few decimals.
            check((f.fract() * 1e6).round() / 100.0);
        }
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
