//! The JSON text of one [`ApiEvent`], written directly into one buffer.
//!
//! This is exactly what `serde_json::to_string` makes of the `Serialize` derives in the parent
//! module (same field order, same omitted fields, same escaping; a test compares the two on
//! events built by the tag), at a fraction of the cost per event: the keys are constants
//! written as they are, and string values are copied whole when a word-at-a-time check finds
//! nothing to escape, where serde_json's serializer escapes every key and value byte by byte.
//! Anything rare (a string that needs escaping, a `variant_dict`) is still written by
//! serde_json. A field added to the types must be added here as well; the comparison test
//! builds every type with all fields set, so it stops compiling until it is.

use super::{ApiEvent, Content, Data, User};

/// The event as the API receives it; `None` if serde_json reports an error for a part it
/// writes (which plain strings and maps never cause).
pub(super) fn event_json(event: &ApiEvent) -> Option<String> {
    let mut out = Json {
        // Starts as serde_json's own buffer does and grows by doubling. Sized up front from
        // the event it measured slower natively: glibc then places the ~2 KB text where
        // freeing it merges every small chunk freed since, and the next event's many small
        // allocations all take the slow path (about +40 000 instructions per purchase event).
        buf: String::with_capacity(128),
        ok: true,
    };
    let mut o = out.object();
    o.str("id", &event.id);
    o.str("type", event.event_type.api_type());
    o.opt_str("custom_event_name", event.custom_event_name.as_deref());
    o.key("timestamp_ms");
    push_u64(&mut o.json.buf, event.timestamp_ms);
    o.str("action_source", event.action_source.as_str());
    o.opt_str("source_url", event.source_url.as_deref());
    o.opt_str("oppref", event.oppref.as_deref());
    if let Some(opt_out) = event.opt_out {
        o.key("opt_out");
        o.json.buf.push_str(if opt_out { "true" } else { "false" });
    }
    if !event.user.is_empty() {
        o.key("user");
        user(o.json, &event.user);
    }
    o.key("data");
    data(o.json, &event.data);
    o.end();
    out.ok.then_some(out.buf)
}

fn user(json: &mut Json, user: &User) {
    let mut o = json.object();
    o.opt_str("obref", user.obref.as_deref());
    o.list("emails_sha256", &user.emails_sha256);
    o.list("phone_numbers_sha256", &user.phone_numbers_sha256);
    o.list("external_ids_sha256", &user.external_ids_sha256);
    o.list("first_names_sha256", &user.first_names_sha256);
    o.list("last_names_sha256", &user.last_names_sha256);
    o.list("countries", &user.countries);
    o.list("regions", &user.regions);
    o.list("cities", &user.cities);
    o.list("postal_codes", &user.postal_codes);
    o.opt_str("ip_address", user.ip_address.as_deref());
    o.opt_str("user_agent", user.user_agent.as_deref());
    o.end();
}

fn data(json: &mut Json, data: &Data) {
    let mut o = json.object();
    o.str("type", data.shape.as_str());
    o.opt_i64("amount", data.amount);
    o.opt_str("currency", data.currency.as_deref());
    if let Some(contents) = &data.contents {
        o.key("contents");
        o.json.buf.push('[');
        for (i, c) in contents.iter().enumerate() {
            if i > 0 {
                o.json.buf.push(',');
            }
            content(o.json, c);
        }
        o.json.buf.push(']');
    }
    o.opt_str("plan_id", data.plan_id.as_deref());
    o.end();
}

fn content(json: &mut Json, content: &Content) {
    let mut o = json.object();
    o.opt_str("id", content.id.as_deref());
    o.opt_str("name", content.name.as_deref());
    o.str("content_type", &content.content_type);
    o.opt_i64("quantity", content.quantity);
    o.opt_i64("amount", content.amount);
    o.opt_str("currency", content.currency.as_deref());
    o.opt_str("group_id", content.group_id.as_deref());
    if let Some(dict) = &content.variant_dict {
        o.key("variant_dict");
        match serde_json::to_string(dict) {
            Ok(text) => o.json.buf.push_str(&text),
            Err(_) => o.json.ok = false,
        }
    }
    o.end();
}

/// The output buffer, and whether every part could be written.
struct Json {
    buf: String,
    ok: bool,
}

impl Json {
    fn object(&mut self) -> Object<'_> {
        self.buf.push('{');
        Object {
            json: self,
            first: true,
        }
    }

    /// A JSON string: copied whole when nothing needs escaping (every real value), else
    /// escaped by serde_json.
    fn string(&mut self, value: &str) {
        if needs_escape(value.as_bytes()) {
            match serde_json::to_string(value) {
                Ok(quoted) => self.buf.push_str(&quoted),
                Err(_) => self.ok = false,
            }
        } else {
            self.buf.push('"');
            self.buf.push_str(value);
            self.buf.push('"');
        }
    }
}

/// One object being written: fields are separated by commas as they come.
struct Object<'a> {
    json: &'a mut Json,
    first: bool,
}

impl Object<'_> {
    /// `"key":` (keys are constants that need no escaping).
    fn key(&mut self, key: &str) {
        let buf = &mut self.json.buf;
        if !self.first {
            buf.push(',');
        }
        self.first = false;
        buf.push('"');
        buf.push_str(key);
        buf.push_str("\":");
    }

    fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        self.json.string(value);
    }

    /// Omitted when `None` (`skip_serializing_if = "Option::is_none"`).
    fn opt_str(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.str(key, value);
        }
    }

    fn opt_i64(&mut self, key: &str, value: Option<i64>) {
        if let Some(value) = value {
            self.key(key);
            let buf = &mut self.json.buf;
            if value < 0 {
                buf.push('-');
            }
            push_u64(buf, value.unsigned_abs());
        }
    }

    /// An array of strings; omitted when empty (`skip_serializing_if = "Vec::is_empty"`).
    fn list<T: AsRef<str>>(&mut self, key: &str, values: &[T]) {
        if values.is_empty() {
            return;
        }
        self.key(key);
        self.json.buf.push('[');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.json.buf.push(',');
            }
            self.json.string(value.as_ref());
        }
        self.json.buf.push(']');
    }

    fn end(self) {
        self.json.buf.push('}');
    }
}

/// Appends `n` in decimal, as serde_json (itoa) writes it: the leading digits first, by
/// recursion at most 20 deep (measured cheaper here than filling a buffer from the right, as
/// most numbers are short).
/// Decimal digits of `n`, written in one copy (a `push` per digit checks capacity each time).
fn push_u64(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// `0x01` in every byte.
const ONES: u64 = u64::from_le_bytes([0x01; 8]);
/// `0x80` in every byte.
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// Whether JSON needs any byte of `bytes` escaped: `"`, `\` or a control character below
/// U+0020 (serde_json escapes exactly these). Eight bytes per step: a byte below `n` (for
/// `n` ≤ 0x80) is flagged by `(w - n·ONES) & !w & HIGHS`, an equal byte by the same test on
/// `w ^ byte·ONES` with `n` = 1; both are exact as a yes/no for the whole word.
fn needs_escape(bytes: &[u8]) -> bool {
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        let hits = below(word, 0x20)
            | below(word ^ (ONES * u64::from(b'"')), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1);
        if hits != 0 {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|b| *b < 0x20 || *b == b'"' || *b == b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::{ActionSource, Sha256Hex};
    use crate::tag::event_name::{DataShape, EventType, StandardType};

    fn content(i: i64) -> Content {
        Content {
            id: Some(format!("SKU-{i}")),
            name: Some(format!("Näme \"{i}\"\t\\ \u{1}\u{7f} ✓")),
            content_type: "product".into(),
            quantity: Some(i),
            amount: Some(-i * 1999),
            currency: Some("EUR".into()),
            group_id: Some("G".into()),
            variant_dict: Some(
                [("size", "m"), ("n\"", "\u{1}✓")]
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .into(),
            ),
        }
    }

    fn full() -> ApiEvent {
        ApiEvent {
            id: "e1\n".into(),
            event_type: EventType::from_name("My_Event").unwrap(),
            custom_event_name: Some("my_event".into()),
            timestamp_ms: u64::MAX,
            action_source: ActionSource::PhysicalStore,
            source_url: Some("https://shop.example.com/p?q=\"1\"&x=</script>".into()),
            oppref: Some("gAAAAABn-x_Y==".into()),
            opt_out: Some(false),
            user: User {
                obref: Some("0b6e1c1e-8a3d-4f9e-9d51-2f1a7c6b9e10".into()),
                emails_sha256: vec![Sha256Hex::digest("a"), Sha256Hex::digest("b")],
                phone_numbers_sha256: vec![Sha256Hex::digest("c")],
                external_ids_sha256: vec![Sha256Hex::digest("d")],
                first_names_sha256: vec![Sha256Hex::digest("e")],
                last_names_sha256: vec![Sha256Hex::digest("f")],
                countries: vec!["DE".into()],
                regions: vec!["Bayern".into(), "B\\Y".into()],
                cities: vec!["Köln".into()],
                postal_codes: vec!["10115".into()],
                ip_address: Some("2001:db8::1".into()),
                user_agent: Some("Mozilla/5.0 (X11; \"Linux\")".into()),
            },
            data: Data {
                shape: DataShape::Custom,
                amount: Some(i64::MIN),
                currency: Some("USD".into()),
                contents: Some((0..3).map(content).collect()),
                plan_id: Some("gold".into()),
            },
        }
    }

    fn same_as_serde(event: &ApiEvent) {
        assert_eq!(
            event_json(event).unwrap(),
            serde_json::to_string(event).unwrap()
        );
    }

    #[test]
    fn every_field_is_written_as_serde_json_writes_it() {
        same_as_serde(&full());
        let mut sparse = full();
        sparse.event_type = EventType::Standard(StandardType::PageViewed);
        sparse.custom_event_name = None;
        sparse.timestamp_ms = 0;
        sparse.source_url = None;
        sparse.oppref = None;
        sparse.opt_out = Some(true);
        sparse.user = User::default();
        sparse.data = Data::new(DataShape::Contents);
        same_as_serde(&sparse);
        sparse.opt_out = None;
        sparse.user.user_agent = Some(String::new());
        sparse.data.contents = Some(Vec::new());
        sparse.data.amount = Some(0);
        same_as_serde(&sparse);
        for action_source in [
            ActionSource::Web,
            ActionSource::MobileApp,
            ActionSource::Offline,
            ActionSource::PhysicalStore,
            ActionSource::PhoneCall,
            ActionSource::Email,
            ActionSource::Other,
        ] {
            sparse.action_source = action_source;
            same_as_serde(&sparse);
        }
        for shape in [
            DataShape::Contents,
            DataShape::CustomerAction,
            DataShape::PlanEnrollment,
            DataShape::Custom,
        ] {
            sparse.data.shape = shape;
            same_as_serde(&sparse);
        }
        for t in StandardType::ALL {
            sparse.event_type = EventType::Standard(t);
            same_as_serde(&sparse);
        }
    }

    #[test]
    fn events_from_the_tag_are_written_as_serde_json_writes_them() {
        use crate::config::{Config, Format};
        use crate::ingest::{ingest, Limits};
        use crate::request::RequestFacts;
        use crate::tag::{process, Outcome, RequestScope};

        let config =
            Config::from_json(br#"{"pixel_id": "px", "api_key": "k"}"#, &|_| None).unwrap();
        let items: String = (1..=3)
            .map(|i| format!("&pr{i}=idSKU-{i}~nmTee%20%22{i}%22%5C~pr{i}9.99~qt{i}~k0size~v0m"))
            .collect();
        let queries = [
            format!(
                "v=2&cid=1.2&uid=C-1&en=purchase&cu=EUR&ep.transaction_id=T-1&epn.value=29.97\
                 &dl=https%3A%2F%2Fshop.example.com%2Fthanks%3Foppref%3Dclick&_p=1&_s=2\
                 &ep.user_data.email_address=A%40b.co&ep.user_data.phone_number=%2B49301234567\
                 &em=tv.1~fn0.gfj23eiDZfOSh5bseqU_coIGsG-GZPX-HnGjbhNFRqI~ct0.berlin~co0.DE{items}"
            ),
            "v=2&cid=1.2&en=page_view&dl=https%3A%2F%2Fa.example%2F%3Fq%3D%22x%22".to_owned(),
            "v=2&cid=1.2&en=My%20Custom%09Event&dl=http%3A%2F%2Fa.example%2F".to_owned(),
            "v=2&cid=1.2&en=my_custom&dl=http%3A%2F%2Fa.example%2F".to_owned(),
        ];
        let mut written = 0;
        for query in queries {
            let headers = [
                (
                    ":path".to_owned(),
                    format!("/g/collect?{query}").into_bytes(),
                ),
                ("user-agent".to_owned(), b"Mozilla/5.0 \"quoted\"".to_vec()),
                ("cookie".to_owned(), b"__obref=ob-1".to_vec()),
            ];
            let request = RequestFacts::from_headers(&headers, Some(b"203.0.113.7:1")).unwrap();
            let ingested = ingest(Format::Ga4, &request, b"", &Limits::new(10));
            let mut random = || [7; 16];
            let mut scope = RequestScope::new(
                &config,
                Format::Ga4,
                &request,
                1_800_000_000_000,
                &mut random,
            );
            for (i, event) in ingested.events.iter().enumerate() {
                if let Outcome::Ready { event, .. } = process(&mut scope, event, i) {
                    same_as_serde(&event);
                    written += 1;
                }
            }
        }
        assert_eq!(
            written, 3,
            "the custom name with a space and a tab is invalid"
        );
    }

    #[test]
    fn every_escape_is_found_at_every_position() {
        for len in 1..20 {
            for at in 0..len {
                for special in (0u8..0x20).chain([b'"', b'\\']) {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = special;
                    assert!(needs_escape(&bytes), "{len} {at} {special}");
                    let text = String::from_utf8(bytes).unwrap();
                    let mut json = Json {
                        buf: String::new(),
                        ok: true,
                    };
                    json.string(&text);
                    assert_eq!(json.buf, serde_json::to_string(&text).unwrap());
                }
            }
            for plain in [b' ', b'!', b'#', b'[', b']', 0x7f, 0xc3] {
                assert!(!needs_escape(&vec![plain; len]), "{len} {plain}");
            }
        }
    }

    #[test]
    fn integers() {
        for n in [0, 9, 10, 1_800_000_000_000, u64::MAX] {
            let mut out = String::new();
            push_u64(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
