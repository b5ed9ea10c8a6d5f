//! Collection requests of every format, normal and adversarial, for the memory-per-request test
//! and the fuzz harness's amplification check. Adversarial shapes are the ones a review found to
//! amplify: a long shared GA4 query under many body lines, indexed keys (`ep.<name>.<n>`, dotted
//! form keys) that used to allocate dense arrays, big MP `user_properties` under many events, a
//! Data-Client query under a JSON array of many objects, many tiny JSON objects, and floods of
//! bad lines.

#![allow(clippy::unwrap_used)]

use openai_capi_filter::config::Format;
use openai_capi_filter::request::RequestFacts;

/// One request: its format, header pairs (`:method`, `:path`, …) and body.
pub struct Shape {
    pub name: &'static str,
    pub adversarial: bool,
    pub format: Format,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Shape {
    fn new(
        name: &'static str,
        adversarial: bool,
        format: Format,
        method: &str,
        path: String,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Shape {
        let mut headers: Vec<(String, Vec<u8>)> = vec![
            (":method".into(), method.as_bytes().to_vec()),
            (":path".into(), path.into_bytes()),
            (":authority".into(), b"sgtm.shop.example.com".to_vec()),
            ("user-agent".into(), b"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15".to_vec()),
            ("referer".into(), b"https://shop.example.com/checkout".to_vec()),
            ("cookie".into(), b"_ga=GA1.1.1234567890.1700000000; __oppref=clickref_0123456789abcdef; __obref=0b6e1c1e-8a3d-4f9e-9d51-2f1a7c6b9e10".to_vec()),
        ];
        if let Some(ct) = content_type {
            headers.push(("content-type".into(), ct.as_bytes().to_vec()));
        }
        Shape {
            name,
            adversarial,
            format,
            headers,
            body,
        }
    }

    /// Bytes the client sent: header names and values plus the body.
    pub fn request_bytes(&self) -> usize {
        self.headers
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>()
            + self.body.len()
    }

    pub fn facts(&self) -> RequestFacts {
        RequestFacts::from_headers(&self.headers, Some(b"203.0.113.7:52311")).unwrap()
    }
}

const PAGE_VIEW: &str =
    "v=2&tid=G-SHOP123&gtm=45je5580h2&_p=1700000000123&gcs=G111&gcd=13t3t3t3t5l1\
    &cid=1234567890.1700000000&ul=en-us&sr=1512x982&_s=1&sid=1700000000&sct=3&seg=1\
    &dl=https%3A%2F%2Fshop.example.com%2Fproducts%2Ftee%3Futm_source%3Dchatgpt\
    &dr=https%3A%2F%2Fchatgpt.com%2F&dt=Tee%20%E2%80%93%20Shop&en=page_view&_ee=1&tfd=1234";

fn purchase_query() -> String {
    let items: String = (1..=10)
        .map(|i| {
            format!(
                "&pr{i}=idSKU-{i:04}~nmProduct%20number%20{i}~brAcme~caApparel~vaBlue~pr{i}9.99~qt{}",
                i % 3 + 1
            )
        })
        .collect();
    format!(
        "v=2&tid=G-SHOP123&_p=1700000000123&gcs=G111&cid=1234567890.1700000000&uid=CUST-000123\
         &_s=7&dl=https%3A%2F%2Fshop.example.com%2Fcheckout%2Fthank-you&en=purchase&cu=EUR\
         &ep.transaction_id=T-100045&epn.value=289.70\
         &ep.user_data.email_address=Jane.Doe%40Example.com{items}"
    )
}

fn base64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// A long URL-encoded page URL (`dl=`) of about `bytes` bytes.
fn long_dl(bytes: usize) -> String {
    format!(
        "dl=https%3A%2F%2Fshop.example.com%2F%3Fq%3D{}",
        "a".repeat(bytes)
    )
}

pub fn all() -> Vec<Shape> {
    use Format::*;
    let mut shapes = vec![
        Shape::new("ga4 GET page_view", false, Ga4, "GET", format!("/g/collect?{PAGE_VIEW}"), None, vec![]),
        Shape::new("ga4 GET purchase, 10 items", false, Ga4, "GET", format!("/g/collect?{}", purchase_query()), None, vec![]),
        Shape::new(
            "ga4 POST, 5 lines",
            false,
            Ga4,
            "POST",
            "/g/collect?v=2&tid=G-SHOP123&cid=1234567890.1700000000&_p=1700000000123&dl=https%3A%2F%2Fshop.example.com%2Fproducts%2Ftee".into(),
            Some("text/plain;charset=UTF-8"),
            b"en=page_view&_s=1&_ee=1\nen=scroll&_s=2&epn.percent_scrolled=90&_et=4000\nen=view_item&_s=3&cu=EUR&pr1=idSKU-1~nmTee~pr19.99~qt1\nen=add_to_cart&_s=4&cu=EUR&epn.value=19.99&pr1=idSKU-1~nmTee~pr19.99~qt1\nen=begin_checkout&_s=5&cu=EUR&epn.value=19.99".to_vec(),
        ),
        Shape::new("ga4_loader GET page_view", false, Ga4Loader, "GET", format!("/x7k2?de5cc8ea={}", base64(&format!("/g/collect?{PAGE_VIEW}"))), None, vec![]),
        Shape::new(
            "mp POST purchase",
            false,
            Mp,
            "POST",
            "/mp/collect?measurement_id=G-SHOP123&api_secret=s3cr3t".into(),
            Some("application/json"),
            br#"{"client_id":"1234567890.1700000000","user_id":"CUST-1","user_properties":{"tier":{"value":"gold"}},"user_data":{"sha256_email_address":["a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"]},"events":[{"name":"purchase","params":{"transaction_id":"T-1","currency":"EUR","value":39.98,"page_location":"https://shop.example.com/thanks","items":[{"item_id":"SKU-1","item_name":"Tee","price":19.99,"quantity":2}]}}]}"#.to_vec(),
        ),
        Shape::new(
            "data GET dtdc",
            false,
            Data,
            "GET",
            format!("/data?event_name=page_view&page_location=https%3A%2F%2Fshop.example.com%2F&dtdc={}", base64(r#"{"user_data":{"email_address":"kari@example.com"},"client_id":"555.666"}"#)),
            None,
            vec![],
        ),
        Shape::new(
            "data POST JSON purchase",
            false,
            Data,
            "POST",
            "/data?v=2".into(),
            Some("application/json"),
            br#"{"event_name":"purchase","page_location":"https://shop.example.com/thanks","transaction_id":"T-9","currency":"EUR","value":59.5,"items":[{"item_id":"A-1","price":59.5,"quantity":1}],"user_data":{"email_address":"kari@example.com"}}"#.to_vec(),
        ),
        Shape::new(
            "data POST form add_to_cart",
            false,
            Data,
            "POST",
            "/data?v=2".into(),
            Some("application/x-www-form-urlencoded"),
            b"event=add_to_cart&page_location=https%3A%2F%2Fshop.example.com%2F&value=59.5&currency=SEK&items.0.item_id=A-1&items.0.price=59.5&items.0.quantity=1&user_data.email_address=kari%40example.com".to_vec(),
        ),
    ];

    // A 16 KB shared query (a long page URL and 200 event parameters) under 1,000 one-parameter
    // lines.
    let params: String = (0..200)
        .map(|i| format!("&ep.param_{i}={}", "v".repeat(30)))
        .collect();
    let query = format!("/g/collect?v=2&tid=G-1&cid=1.2&{}{params}", long_dl(7_000));
    shapes.push(Shape::new(
        "ga4 POST: 16 KB query, 1,000 lines",
        true,
        Ga4,
        "POST",
        query,
        Some("text/plain"),
        b"en=page_view\n".repeat(1000),
    ));
    // Indexed event-parameter names near the index cap, in the query and in every line.
    let indexed: String = (0..1000).map(|i| format!("&ep.a{i}.199=1")).collect();
    shapes.push(Shape::new(
        "ga4 POST: ep.<name>.199 keys, 100 lines",
        true,
        Ga4,
        "POST",
        format!("/g/collect?v=2&cid=1.2&dl=https%3A%2F%2Fa.example%2F{indexed}"),
        Some("text/plain"),
        format!("en=page_view{}\n", &indexed[..2000])
            .repeat(100)
            .into_bytes(),
    ));
    shapes.push(Shape::new(
        "ga4 GET: 1,000 ep.<name>.199.9 keys",
        true,
        Ga4,
        "GET",
        format!(
            "/g/collect?v=2&cid=1.2&en=x&dl=https%3A%2F%2Fa.example%2F{}",
            (0..1000)
                .map(|i| format!("&ep.b{i}.199.9=1"))
                .collect::<String>()
        ),
        None,
        vec![],
    ));
    shapes.push(Shape::new(
        "ga4 POST: 60 KB of bad lines",
        true,
        Ga4,
        "POST",
        "/g/collect?v=2&cid=1.2&en=x".into(),
        Some("text/plain"),
        b"x\n".repeat(30_000),
    ));
    shapes.push(Shape::new(
        "ga4 POST: 60 KB of `a&` pairs",
        true,
        Ga4,
        "POST",
        "/g/collect?v=2&cid=1.2&en=x".into(),
        Some("text/plain"),
        format!("en=x{}", "&a".repeat(30_000)).into_bytes(),
    ));
    shapes.push(Shape::new(
        "ga4_loader: 8 KB query, 1,000 lines",
        true,
        Ga4Loader,
        "POST",
        format!(
            "/l?p={}",
            base64(&format!("/g/collect?v=2&cid=1.2&{}", long_dl(8_000)))
        ),
        Some("text/plain"),
        b"en=page_view\n".repeat(1000),
    ));
    // MP: 8 KB of user_properties shared by 1,000 tiny events.
    let props: String = (0..400)
        .map(|i| format!(r#""p{i}":{{"value":"vvvvvvvvv"}}"#))
        .collect::<Vec<_>>()
        .join(",");
    shapes.push(Shape::new(
        "mp: 8 KB user_properties, 1,000 events",
        true,
        Mp,
        "POST",
        "/mp/collect?measurement_id=G-1".into(),
        Some("application/json"),
        format!(
            r#"{{"client_id":"1.2","user_properties":{{{props}}},"events":[{}]}}"#,
            vec![r#"{"name":"a"}"#; 1000].join(",")
        )
        .into_bytes(),
    ));
    shapes.push(Shape::new(
        "mp: 60 KB of tiny objects in params",
        true,
        Mp,
        "POST",
        "/mp/collect?measurement_id=G-1".into(),
        Some("application/json"),
        format!(
            r#"{{"client_id":"1.2","events":[{{"name":"a","params":{{"x":[{}]}}}}]}}"#,
            vec![r#"{"a":0}"#; 7000].join(",")
        )
        .into_bytes(),
    ));
    shapes.push(Shape::new(
        "data POST JSON: 8 KB query, 1,000 objects",
        true,
        Data,
        "POST",
        format!(
            "/data?event_name=page_view&{}",
            long_dl(8_000).replacen("dl=", "page_location=", 1)
        ),
        Some("application/json"),
        format!("[{}]", vec!["{}"; 1000].join(",")).into_bytes(),
    ));
    shapes.push(Shape::new(
        "data POST form: 1,000 dotted .199 keys",
        true,
        Data,
        "POST",
        "/data?v=2".into(),
        Some("application/x-www-form-urlencoded"),
        format!(
            "event=page_view&page_location=https%3A%2F%2Fa.example%2F{}",
            (0..1000)
                .map(|i| format!("&k{i}.199.9=1"))
                .collect::<String>()
        )
        .into_bytes(),
    ));
    shapes.push(Shape::new(
        "data GET: dtcd of 8,000 tiny objects",
        true,
        Data,
        "GET",
        format!(
            "/data?event_name=x&dtcd={}",
            format!(r#"{{"x":[{}]}}"#, vec![r#"{"a":0}"#; 900].join(","))
                .replace('{', "%7B")
                .replace('}', "%7D")
                .replace('"', "%22")
        ),
        None,
        vec![],
    ));
    shapes
}
