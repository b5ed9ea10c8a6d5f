//! The API's deduplication: the first event with a given pixel id + event name + `id` is
//! stored, and later ones are dropped without an error (OpenAI documents "the first event
//! received wins; later duplicates are ignored" and no time window).
//!
//! The stand-in plays that rule so the tests can see a conversion the real API would swallow: a
//! request still answers `200`, and [`crate::RecordedRequest::duplicates`] lists the ids it
//! dropped. The event name of a `custom` event is its `custom_event_name`. Requests with
//! `validate_only: true` store nothing and so neither add to nor collide with the store. The
//! store keeps the most recent [`MAX_KEYS`] keys, far more than any test or benchmark sends
//! within the window that matters.

use serde_json::Value;
use std::collections::{HashSet, VecDeque};

/// Most dedup keys remembered; the oldest are forgotten first.
pub const MAX_KEYS: usize = 1_000_000;

#[derive(Debug, Default)]
pub struct Dedup {
    seen: HashSet<String>,
    order: VecDeque<String>,
}

impl Dedup {
    /// Stores the events of an accepted request body and returns the ids of those the API would
    /// drop as duplicates (of an earlier request, or of an earlier event of the same body).
    pub fn admit(&mut self, pixel_id: &str, body: &Value) -> Vec<String> {
        if body.get("validate_only") == Some(&Value::Bool(true)) {
            return Vec::new();
        }
        let events = body.get("events").and_then(Value::as_array);
        let mut duplicates = Vec::new();
        for event in events.into_iter().flatten() {
            let Some(key) = key(pixel_id, event) else {
                continue;
            };
            if self.seen.contains(&key) {
                if let Some(id) = event.get("id").and_then(Value::as_str) {
                    duplicates.push(id.to_owned());
                }
                continue;
            }
            self.seen.insert(key.clone());
            self.order.push_back(key);
            while self.order.len() > MAX_KEYS {
                if let Some(old) = self.order.pop_front() {
                    self.seen.remove(&old);
                }
            }
        }
        duplicates
    }

    /// Forgets every stored key.
    pub fn clear(&mut self) {
        self.seen.clear();
        self.order.clear();
    }
}

/// Pixel id + event name + id, joined with a separator none of them can hold unescaped.
fn key(pixel_id: &str, event: &Value) -> Option<String> {
    let id = event.get("id")?.as_str()?;
    let kind = event.get("type")?.as_str()?;
    let name = if kind == "custom" {
        event.get("custom_event_name")?.as_str()?
    } else {
        kind
    };
    serde_json::to_string(&[pixel_id, name, id]).ok()
}

#[cfg(test)]
mod tests;
