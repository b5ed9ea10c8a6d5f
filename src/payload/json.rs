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

/// `"name":` as one constant: a key is then one copy into the buffer instead of three, which
/// is a few percent of a batched hit's core in V8. Keys are ASCII names that need no escaping.
macro_rules! key {
    ($name:literal) => {
        concat!("\"", $name, "\":")
    };
}

/// The event as the API receives it, written into `scratch` (emptied first) and copied out at
/// exactly its size; `None` if serde_json reports an error for a part it writes (which plain
/// strings and maps never cause). A fresh buffer per event grew by doubling: four or five
/// allocations for a typical event, and one more to shrink it before it was kept.
pub(super) fn event_json(event: &ApiEvent, scratch: &mut String) -> Option<String> {
    scratch.clear();
    if scratch.capacity() == 0 {
        scratch.reserve(SCRATCH_START_BYTES);
    }
    let mut out = Json {
        buf: std::mem::take(scratch),
        ok: true,
    };
    write_event(&mut out, event);
    let text = out.ok.then(|| out.buf.as_str().to_owned());
    *scratch = out.buf;
    text
}

/// The scratch buffer's first size: a page_view is about 500 bytes, a purchase with items and
/// user data 1-2 KB.
const SCRATCH_START_BYTES: usize = 1024;

fn write_event(out: &mut Json, event: &ApiEvent) {
    let mut o = out.object();
    o.str(key!("id"), &event.id);
    o.str(key!("type"), event.event_type.api_type());
    o.opt_str(
        key!("custom_event_name"),
        event.custom_event_name.as_deref(),
    );
    o.key(key!("timestamp_ms"));
    push_u64(&mut o.json.buf, event.timestamp_ms);
    o.str(key!("action_source"), event.action_source.as_str());
    o.opt_str(key!("source_url"), event.source_url.as_deref());
    o.opt_str(key!("oppref"), event.oppref.as_deref());
    if let Some(opt_out) = event.opt_out {
        o.key(key!("opt_out"));
        o.json.buf.push_str(if opt_out { "true" } else { "false" });
    }
    if !event.user.is_empty() {
        o.key(key!("user"));
        user(o.json, &event.user);
    }
    o.key(key!("data"));
    data(o.json, &event.data);
    o.end();
}

fn user(json: &mut Json, user: &User) {
    let mut o = json.object();
    o.opt_str(key!("obref"), user.obref.as_deref());
    o.list(key!("emails_sha256"), &user.emails_sha256);
    o.list(key!("phone_numbers_sha256"), &user.phone_numbers_sha256);
    o.list(key!("external_ids_sha256"), &user.external_ids_sha256);
    o.list(key!("first_names_sha256"), &user.first_names_sha256);
    o.list(key!("last_names_sha256"), &user.last_names_sha256);
    o.list(key!("countries"), &user.countries);
    o.list(key!("regions"), &user.regions);
    o.list(key!("cities"), &user.cities);
    o.list(key!("postal_codes"), &user.postal_codes);
    o.opt_str(key!("ip_address"), user.ip_address.as_deref());
    o.opt_str(key!("user_agent"), user.user_agent.as_deref());
    o.end();
}

fn data(json: &mut Json, data: &Data) {
    let mut o = json.object();
    o.str(key!("type"), data.shape.as_str());
    o.opt_i64(key!("amount"), data.amount);
    o.opt_str(key!("currency"), data.currency.as_deref());
    if let Some(contents) = &data.contents {
        o.key(key!("contents"));
        o.json.buf.push('[');
        for (i, c) in contents.iter().enumerate() {
            if i > 0 {
                o.json.buf.push(',');
            }
            content(o.json, c);
        }
        o.json.buf.push(']');
    }
    o.opt_str(key!("plan_id"), data.plan_id.as_deref());
    o.end();
}

fn content(json: &mut Json, content: &Content) {
    let mut o = json.object();
    o.opt_str(key!("id"), content.id.as_deref());
    o.opt_str(key!("name"), content.name.as_deref());
    o.str(key!("content_type"), &content.content_type);
    o.opt_i64(key!("quantity"), content.quantity);
    o.opt_i64(key!("amount"), content.amount);
    o.opt_str(key!("currency"), content.currency.as_deref());
    o.opt_str(key!("group_id"), content.group_id.as_deref());
    if let Some(dict) = &content.variant_dict {
        o.key(key!("variant_dict"));
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
    /// `"key":`, given whole by [`key!`].
    fn key(&mut self, key: &'static str) {
        debug_assert!(
            key.starts_with('"') && key.ends_with("\":"),
            "{key} is not key!(…)"
        );
        let buf = &mut self.json.buf;
        if !self.first {
            buf.push(',');
        }
        self.first = false;
        buf.push_str(key);
    }

    fn str(&mut self, key: &'static str, value: &str) {
        self.key(key);
        self.json.string(value);
    }

    /// Omitted when `None` (`skip_serializing_if = "Option::is_none"`).
    fn opt_str(&mut self, key: &'static str, value: Option<&str>) {
        if let Some(value) = value {
            self.str(key, value);
        }
    }

    fn opt_i64(&mut self, key: &'static str, value: Option<i64>) {
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
    fn list<T: AsRef<str>>(&mut self, key: &'static str, values: &[T]) {
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
mod tests;
