//! `events[].data`: the `data.type` shape each event type must carry and the keys each shape
//! allows, money (`amount` in minor units with an ISO 4217 `currency`) and the content items of
//! `contents` with their `variant_dict`.

use super::violations::{kind, Violations};
use serde_json::{Map, Value};

/// Active ISO 4217 codes (list one, 2025 amendment), without the codes whose minor unit is
/// "N.A." (metals, `XDR`, `XSU`, `XUA`, `XBA`…`XBD`, `XTS`, `XXX`): an integer amount in minor
/// units cannot be expressed in them. Crypto tickers, `EURO`, `US$` and withdrawn codes (`ANG`,
/// `HRK`) are refused, as the real API refuses a code it does not know.
pub const ISO_4217: [&str; 165] = [
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
    "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK",
    "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD",
    "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD",
    "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT",
    "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK",
    "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
    "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP",
    "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS",
    "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST",
    "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

/// The `data.type` shape an event type must carry.
pub fn data_shape(event_type: &str) -> Option<&'static str> {
    Some(match event_type {
        "page_viewed" | "contents_viewed" | "items_added" | "checkout_started"
        | "order_created" => "contents",
        "lead_created"
        | "registration_completed"
        | "appointment_scheduled"
        | "app_installed"
        | "app_opened" => "customer_action",
        "subscription_created" | "trial_started" => "plan_enrollment",
        "custom" => "custom",
        _ => return None,
    })
}

fn is_currency(s: &str) -> bool {
    ISO_4217.binary_search(&s).is_ok()
}

fn check_currency(v: &mut Violations, path: &str, value: &Value) {
    if let Some(c) = v.string(path, value) {
        if !is_currency(c) {
            v.push(
                path,
                format!("must be an active uppercase ISO 4217 code (got {c:?})"),
            );
        }
    }
}

pub(super) fn check_data(v: &mut Violations, p: &str, data: &Value, event_type: Option<&str>) {
    let Some(obj) = data.as_object() else {
        v.push(p, format!("must be an object (got {})", kind(data)));
        return;
    };
    let expected = event_type.and_then(data_shape);
    let type_path = format!("{p}.type");
    let given = match obj.get("type") {
        None => {
            v.missing(&type_path);
            None
        }
        Some(t) => v.string(&type_path, t),
    };
    match (given, expected, event_type) {
        (Some(g), Some(e), Some(t)) if g != e => v.push(
            &type_path,
            format!("must be {e:?} for {t} events (got {g:?})"),
        ),
        (Some(g), None, _) if !["contents", "customer_action", "plan_enrollment", "custom"].contains(&g) => v.push(
            &type_path,
            format!("unknown data type {g:?} (expected contents, customer_action, plan_enrollment or custom)"),
        ),
        _ => {}
    }
    // Which shape's key rules apply: the event type's, else the one data.type names.
    let shape = expected.or(given);

    let amount = obj.get("amount");
    if let Some(a) = amount {
        v.integer(&format!("{p}.amount"), a);
    }
    let currency = obj.get("currency");
    match currency {
        Some(c) => check_currency(v, &format!("{p}.currency"), c),
        None if amount.is_some() => {
            v.push(&format!("{p}.currency"), "required when amount is present")
        }
        None => {}
    }
    let event_currency = currency.is_some();

    for (key, value) in obj {
        let path = format!("{p}.{key}");
        match key.as_str() {
            "type" | "amount" | "currency" => {}
            "contents" => {
                if shape == Some("customer_action") {
                    v.push(&path, "not allowed on customer_action data");
                } else {
                    check_contents(v, &path, value, event_currency);
                }
            }
            "plan_id" => match shape {
                Some("plan_enrollment" | "custom") => {
                    v.string(&path, value);
                }
                Some(s) => v.push(
                    &path,
                    format!("only allowed on plan_enrollment and custom data (data is {s})"),
                ),
                None => {}
            },
            _ => match shape {
                Some("custom") | None => {}
                Some(s) => v.push(
                    &path,
                    format!("unknown field (custom properties are only allowed on custom data; data is {s})"),
                ),
            },
        }
    }
}

fn check_contents(v: &mut Violations, p: &str, value: &Value, event_currency: bool) {
    let Value::Array(items) = value else {
        v.push(
            p,
            format!("must be an array of content items (got {})", kind(value)),
        );
        return;
    };
    if items.is_empty() {
        v.push(p, "must not be an empty array (omit the field instead)");
    }
    for (i, item) in items.iter().enumerate() {
        let ip = format!("{p}[{i}]");
        let Some(obj) = item.as_object() else {
            v.push(&ip, format!("must be an object (got {})", kind(item)));
            continue;
        };
        for (key, val) in obj {
            let path = format!("{ip}.{key}");
            match key.as_str() {
                "id" | "name" | "group_id" => {
                    v.string(&path, val);
                }
                "content_type" => v.non_empty_string(&path, val),
                "quantity" | "amount" => {
                    v.integer(&path, val);
                }
                "currency" => check_currency(v, &path, val),
                "variant_dict" => check_variant_dict(v, &path, val),
                _ => v.unknown(&path),
            }
        }
        if !obj.contains_key("content_type") {
            v.push(
                &format!("{ip}.content_type"),
                "Missing required field (send e.g. \"product\")",
            );
        }
        if obj.contains_key("amount") && !obj.contains_key("currency") && !event_currency {
            v.push(
                &format!("{ip}.currency"),
                "required when amount is present (on the item or on data)",
            );
        }
    }
}

fn check_variant_dict(v: &mut Violations, p: &str, value: &Value) {
    let Some(obj): Option<&Map<String, Value>> = value.as_object() else {
        v.push(
            p,
            format!("must be an object of string values (got {})", kind(value)),
        );
        return;
    };
    for (key, val) in obj {
        v.string(&format!("{p}.{key}"), val);
    }
}
