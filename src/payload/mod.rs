//! Payload: the Conversions API's data model and the request body.
//!
//! These types are what OpenAI receives, field for field: an [`ApiEvent`] can only be built
//! with a valid type, an id, a timestamp and a `data` object of the right shape; hashed user
//! fields are [`Sha256Hex`] values that cannot hold raw PII. [`Encoder`] serialises one
//! event once, noting its [`MatchKeys`] for the sent-event counters; [`RequestBody`] joins
//! already-encoded events, so a retry sends the identical bytes and batching never re-serialises.

mod json;
mod match_keys;

pub use match_keys::{MatchKey, MatchKeys};

use crate::model::{ActionSource, DataShape, EventType};
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// A lowercase 64-character hex SHA-256 digest: the only form hashed user data can take.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// SHA-256 of the UTF-8 bytes of an already-normalised value.
    pub fn digest(normalised: &str) -> Sha256Hex {
        Sha256Hex(hex_lower(&Sha256::digest(normalised.as_bytes())))
    }

    /// A value that already is 64 hex characters (either case), lowercased; never re-hashed.
    pub fn from_hex(value: &str) -> Option<Sha256Hex> {
        (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Sha256Hex(value.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Sha256Hex {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lowercase hex of `bytes`. `hex::encode` collects an iterator of `char`s, several times
/// slower per byte, and hashed user data is encoded several times per event.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digit = |nibble: u8| {
        DIGITS
            .get(usize::from(nibble & 0x0f))
            .copied()
            .unwrap_or(b'0')
    };
    // Digests are 32 bytes: encoded on the stack, then copied once.
    let mut buf = [0u8; 64];
    let Some(out) = buf.get_mut(..bytes.len() * 2) else {
        return hex::encode(bytes);
    };
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        if let [high, low] = pair {
            *high = digit(byte >> 4);
            *low = digit(*byte);
        }
    }
    // Hex digits are ASCII: the check cannot fail.
    std::str::from_utf8(out)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// Matching data of one event (`events[].user`), API schema of Sept 2026 (plural lists).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct User {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub obref: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emails_sha256: Vec<Sha256Hex>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers_sha256: Vec<Sha256Hex>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_ids_sha256: Vec<Sha256Hex>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub first_names_sha256: Vec<Sha256Hex>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub last_names_sha256: Vec<Sha256Hex>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cities: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub postal_codes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl User {
    pub fn is_empty(&self) -> bool {
        *self == User::default()
    }
}

/// One item of `data.contents`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Content {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub content_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// String → string only: the API's type for it.
    pub variant_dict: Option<BTreeMap<String, String>>,
}

/// The event's `data` object; its shape follows the event type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Data {
    #[serde(rename = "type")]
    pub shape: DataShape,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contents: Option<Vec<Content>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
}

impl Data {
    pub fn new(shape: DataShape) -> Data {
        Data {
            shape,
            amount: None,
            currency: None,
            contents: None,
            plan_id: None,
        }
    }
}

/// One event of the request body, exactly as sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiEvent {
    pub id: String,
    #[serde(rename = "type", serialize_with = "api_type")]
    pub event_type: EventType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_event_name: Option<String>,
    pub timestamp_ms: u64,
    pub action_source: ActionSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oppref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opt_out: Option<bool>,
    #[serde(skip_serializing_if = "User::is_empty")]
    pub user: User,
    pub data: Data,
}

fn api_type<S: Serializer>(t: &EventType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.api_type())
}

/// An event serialised once, with what delivery needs to know without parsing it again.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedEvent {
    pub id: String,
    /// Standard type or custom name, for logs: a standard type's name is a constant, so only a
    /// custom name is a string of its own.
    pub name: Cow<'static, str>,
    pub timestamp_ms: u64,
    pub json: String,
    /// The identifiers it carries, counted when the API accepts it.
    pub match_keys: MatchKeys,
}

/// Serialises events (with [`json::event_json`]: the derives' output, written directly), one
/// request's events through one scratch buffer that is dropped with the encoder, so nothing
/// outlives the request.
#[derive(Debug, Default)]
pub struct Encoder {
    scratch: String,
}

impl Encoder {
    /// Serialising these plain structs cannot fail; should serde_json ever report an error the
    /// event is dropped rather than the filter panicking. Takes the event, whose id and custom
    /// name move into the result: every event of a batch would otherwise copy both.
    pub fn encode(&mut self, event: ApiEvent) -> Option<EncodedEvent> {
        let json = json::event_json(&event, &mut self.scratch)?;
        let match_keys = MatchKeys::of(&event);
        let name = match (&event.event_type, event.custom_event_name) {
            (EventType::Custom(_), Some(custom)) => Cow::Owned(custom),
            (EventType::Standard(standard), _) => Cow::Borrowed(standard.as_str()),
            (EventType::Custom(name), None) => Cow::Owned(name.as_str().to_owned()),
        };
        Some(EncodedEvent {
            id: event.id,
            name,
            timestamp_ms: event.timestamp_ms,
            json,
            match_keys,
        })
    }
}

impl EncodedEvent {
    /// Bytes its strings hold on the heap, by capacity (what the allocator keeps).
    pub fn heap_bytes(&self) -> usize {
        let name = match &self.name {
            Cow::Borrowed(_) => 0,
            Cow::Owned(name) => name.capacity(),
        };
        self.json.capacity() + self.id.capacity() + name
    }
}

/// The envelope's parts, written by [`RequestBody::encode`] and counted for its size.
const OPEN: &[u8] = b"{\"validate_only\":";
const SOURCE_KEY: &[u8] = b",\"integration_source\":";
const EVENTS_KEY: &[u8] = b",\"events\":[";
const CLOSE: &[u8] = b"]}";
/// The envelope without the source, at its longest (`false`).
const ENVELOPE_BYTES: usize = OPEN.len() + b"false".len() + EVENTS_KEY.len() + CLOSE.len();

/// Top-level request options shared by every call of one configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestBody {
    pub validate_only: bool,
    pub integration_source: Option<String>,
}

impl RequestBody {
    /// `{"validate_only":…,"integration_source"?:…,"events":[…]}` from encoded events.
    ///
    /// Allocated once at its final size: a batch body is the largest allocation the filter
    /// makes, and growing it by doubling left up to twice its size reserved, and freed blocks of
    /// every power of two behind, in a linear memory that never shrinks.
    pub fn encode(&self, events: &[EncodedEvent]) -> Vec<u8> {
        let quoted_source = self
            .integration_source
            .as_ref()
            // A String always serialises.
            .and_then(|source| serde_json::to_vec(source).ok());
        let size = ENVELOPE_BYTES
            + quoted_source
                .as_ref()
                .map_or(0, |q| SOURCE_KEY.len() + q.len())
            + events.iter().map(|e| e.json.len() + 1).sum::<usize>();
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(OPEN);
        out.extend_from_slice(if self.validate_only {
            b"true"
        } else {
            b"false"
        });
        if let Some(quoted) = &quoted_source {
            out.extend_from_slice(SOURCE_KEY);
            out.extend_from_slice(quoted);
        }
        out.extend_from_slice(EVENTS_KEY);
        for (i, event) in events.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(event.json.as_bytes());
        }
        out.extend_from_slice(CLOSE);
        out
    }
}

#[cfg(test)]
mod tests;
