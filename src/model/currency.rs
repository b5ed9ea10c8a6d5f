//! Currency codes: which ones the API may be sent. Configuration refuses a literal currency
//! outside this list; the tag drops or rejects one that event data brings.

/// The active ISO 4217 codes the API can be sent (list one as amended in 2025: `XCG` replaced
/// `ANG`; `SLE`, `VED` and `ZWG` are the current Sierra Leone, Venezuela and Zimbabwe codes),
/// sorted. Left out: the codes whose minor unit is "N.A." (precious metals, `XDR`, `XSU`,
/// `XUA`, the bond-market units `XBA`…`XBD`, `XTS` for testing and `XXX` for no currency), since
/// an amount in them has no minor unit to express it in. `CLF` and the other fund codes stay.
/// The stand-in holds the same list (a test checks that they agree).
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

/// A currency code as the API wants it: trimmed, uppercased, and an active ISO 4217 code
/// ([`ISO_4217`]). `None` for anything else: `BTC`, `EURO`, `US$`, `ANG`.
pub fn currency_code(raw: &str) -> Option<String> {
    let code = raw.trim();
    if code.len() != 3 {
        return None;
    }
    let code = code.to_ascii_uppercase();
    ISO_4217
        .binary_search(&code.as_str())
        .is_ok()
        .then_some(code)
}
