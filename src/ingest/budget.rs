//! The work budget of one collection request: how much parsing and building its bytes may cause.
//!
//! A review found that small hostile requests could grow a worker's heap hundreds of times their
//! size (a shared GA4 query rebuilt under a thousand lines, indexed keys that allocated arrays,
//! tiny JSON objects that each cost a tree node). Wasm memory never shrinks, so such growth is
//! permanent. Every request therefore gets a budget sized from the bytes the client sent, and
//! each format charges it as it works: parameters merged across lines, array slots created by
//! indexed keys, bytes of event data built (JSON nodes at what they cost on the heap), and bytes
//! of encoded events kept for delivery. The first resource to run out ends the request's intake:
//! the events built so far are kept, the rest are dropped, counted and logged with the resource
//! that ran out. This module owns the allowances, the charges, and the budgeted JSON parser.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};
use std::fmt;

/// What a request spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Parameters merged into events: a shared GA4 query counts once per line it is merged into.
    Params,
    /// Array slots created by indexed keys (`ep.items.0.price`, `items.0.item_id`).
    ArraySlots,
    /// Bytes of event data built: each GA4 event's merged parameters, JSON nodes at their heap
    /// cost.
    EventBytes,
    /// Bytes of encoded events kept for delivery.
    KeptBytes,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Params => "parameters merged",
            Resource::ArraySlots => "array slots",
            Resource::EventBytes => "event data bytes",
            Resource::KeptBytes => "encoded event bytes kept",
        })
    }
}

/// Parameters every request may merge, whatever its size (a 1,000-line batch of real gtag
/// lines under a 30-parameter query merges about 45,000).
const PARAMS_BASE: usize = 8 * 1024;
/// Array slots every request may create.
const SLOTS_BASE: usize = 4 * 1024;
/// Event data every request may build, whatever its size: a GA4 query's parameters are built
/// into every line's event and charged each time, so this bounds the work, not the memory (only
/// one event's data is alive at a time).
const EVENT_BYTES_BASE: usize = 1024 * 1024;
/// Event data built per byte sent, on top of the base.
const EVENT_BYTES_PER_BYTE: usize = 32;
/// Heap bytes one parsed JSON text may occupy per byte sent: live at once, so this bounds memory.
const JSON_BYTES_PER_BYTE: usize = 14;
/// Heap bytes any parsed JSON text may occupy, whatever the request's size: a few small objects
/// already cost a tree node of 640 bytes each.
const JSON_BYTES_BASE: usize = 16 * 1024;
/// Encoded events kept per byte sent: they stay alive until delivery, so this bounds memory. A
/// real hit encodes to less than its size; a hostile one (many five-byte lines under a long
/// query) to over a hundred times it.
const KEPT_BYTES_PER_BYTE: usize = 10;

/// Heap cost of a map's first tree node (serde_json maps are B-trees with 11 slots per node).
const MAP_NODE_COST: usize = 640;
/// Heap cost of one map entry beyond its key's bytes (its share of a node).
pub(super) const ENTRY_COST: usize = 64;
/// Heap cost of one array element (a `Value` plus the growth room of its vector).
const ELEMENT_COST: usize = 48;

/// The allowances of one request and what it has spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    request_bytes: usize,
    params: Allowance,
    slots: Allowance,
    event_bytes: Allowance,
    kept_bytes: Allowance,
    exceeded: Option<Resource>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Allowance {
    spent: usize,
    limit: usize,
}

impl Allowance {
    fn new(limit: usize) -> Allowance {
        Allowance { spent: 0, limit }
    }
}

impl Budget {
    /// The budget of a request whose client sent `request_bytes` (headers and body).
    pub fn for_request(request_bytes: usize) -> Budget {
        Budget {
            request_bytes,
            params: Allowance::new(PARAMS_BASE.saturating_add(request_bytes / 2)),
            slots: Allowance::new(SLOTS_BASE.saturating_add(request_bytes / 4)),
            event_bytes: Allowance::new(
                EVENT_BYTES_BASE.saturating_add(request_bytes.saturating_mul(EVENT_BYTES_PER_BYTE)),
            ),
            kept_bytes: Allowance::new(request_bytes.saturating_mul(KEPT_BYTES_PER_BYTE)),
            exceeded: None,
        }
    }

    /// Spends `amount` of `resource`. Once any resource is exceeded every charge fails, so a
    /// request stops at its first overrun.
    pub fn charge(&mut self, resource: Resource, amount: usize) -> Result<(), Resource> {
        if let Some(first) = self.exceeded {
            return Err(first);
        }
        let allowance = match resource {
            Resource::Params => &mut self.params,
            Resource::ArraySlots => &mut self.slots,
            Resource::EventBytes => &mut self.event_bytes,
            Resource::KeptBytes => &mut self.kept_bytes,
        };
        allowance.spent = allowance.spent.saturating_add(amount);
        if allowance.spent > allowance.limit {
            self.exceeded = Some(resource);
            return Err(resource);
        }
        Ok(())
    }

    /// The resource that ran out first, if any.
    pub fn exceeded(&self) -> Option<Resource> {
        self.exceeded
    }

    /// Parses a JSON text into a value, charging its heap cost as event data; a text whose tree
    /// would outgrow [`JSON_BYTES_BASE`] plus [`JSON_BYTES_PER_BYTE`] times the request is
    /// refused with [`JsonError::Budget`] before it is built.
    pub(super) fn parse_json(&mut self, json: &[u8]) -> Result<Value, JsonError> {
        let mut meter = Meter {
            budget: self,
            live: 0,
        };
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        let parsed = BudgetedValue { meter: &mut meter }
            .deserialize(&mut deserializer)
            .and_then(|value| deserializer.end().map(|()| value));
        match parsed {
            Ok(value) => Ok(value),
            Err(_) if self.exceeded.is_some() => Err(JsonError::Budget),
            Err(_) => Err(JsonError::Syntax),
        }
    }
}

/// Why [`Budget::parse_json`] failed.
#[derive(Debug)]
pub(super) enum JsonError {
    /// The text is not JSON.
    Syntax,
    /// Building it would exceed the request's budget.
    Budget,
}

/// Each element of the JSON array `json`, unparsed, in order, until `each` says stop. The array
/// is never built: only one element is alive at a time. `Err` when `json` is not an array (or
/// not JSON).
pub(super) fn for_each_element(
    json: &RawValue,
    each: &mut dyn FnMut(usize, &RawValue) -> bool,
) -> Result<(), serde_json::Error> {
    struct Elements<'f> {
        each: &'f mut dyn FnMut(usize, &RawValue) -> bool,
    }
    impl<'de> Visitor<'de> for Elements<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut index = 0;
            while let Some(element) = seq.next_element::<&'de RawValue>()? {
                if !(self.each)(index, element) {
                    // The rest is skipped without being built.
                    while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                    break;
                }
                index += 1;
            }
            Ok(())
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(json.get());
    de::Deserializer::deserialize_seq(&mut deserializer, Elements { each })
}

/// Live heap cost of the text being parsed, checked against its ceiling as it grows.
struct Meter<'b> {
    budget: &'b mut Budget,
    live: usize,
}

impl Meter<'_> {
    fn spend<E: de::Error>(&mut self, amount: usize) -> Result<(), E> {
        self.live = self.live.saturating_add(amount);
        let ceiling = JSON_BYTES_BASE.saturating_add(
            self.budget
                .request_bytes
                .saturating_mul(JSON_BYTES_PER_BYTE),
        );
        let charged = if self.live > ceiling {
            self.budget.exceeded = self.budget.exceeded.or(Some(Resource::EventBytes));
            Err(Resource::EventBytes)
        } else {
            self.budget.charge(Resource::EventBytes, amount)
        };
        charged.map_err(|_| E::custom("work budget exceeded"))
    }
}

/// A [`Value`] built the way serde_json builds it, with each node paid for before it exists.
struct BudgetedValue<'m, 'b> {
    meter: &'m mut Meter<'b>,
}

impl<'de> DeserializeSeed<'de> for BudgetedValue<'_, '_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BudgetedValue<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.meter.spend(v.len())?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.meter.spend(v.len())?;
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        BudgetedValue { meter: self.meter }.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut list = Vec::new();
        loop {
            self.meter.spend(ELEMENT_COST)?;
            match seq.next_element_seed(BudgetedValue {
                meter: &mut *self.meter,
            })? {
                Some(value) => list.push(value),
                None => break,
            }
        }
        Ok(Value::Array(list))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let node = if map.is_empty() { MAP_NODE_COST } else { 0 };
            self.meter.spend(node + ENTRY_COST + key.len())?;
            let value = access.next_value_seed(BudgetedValue {
                meter: &mut *self.meter,
            })?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests;
