//! Throttle: at most one log line per interval for a fault that repeats on every request.
//!
//! A configuration fault (a rejected API key, a route that answers before the body is read)
//! hits every call or request until someone fixes it. Logging each would flood the log and hide
//! everything else; logging once would be missed. A [`Throttle`] lets one line through per
//! interval and says how many occurrences it held back since the last one.

/// Once-per-interval gate, driven by the caller's clock.
#[derive(Debug, Clone)]
pub struct Throttle {
    interval_ms: u64,
    last_ms: Option<u64>,
    held_back: u64,
}

/// One minute: the interval of every throttled fault log.
pub const ONCE_PER_MINUTE_MS: u64 = 60_000;

impl Throttle {
    pub const fn new(interval_ms: u64) -> Throttle {
        Throttle {
            interval_ms,
            last_ms: None,
            held_back: 0,
        }
    }

    /// Records one occurrence at `now_ms`. `Some(n)` when a line may be logged now, where `n`
    /// occurrences were held back since the previous line; `None` while the interval runs.
    pub fn admit(&mut self, now_ms: u64) -> Option<u64> {
        let due = self
            .last_ms
            .is_none_or(|last| now_ms.saturating_sub(last) >= self.interval_ms);
        if due {
            self.last_ms = Some(now_ms);
            Some(std::mem::take(&mut self.held_back))
        } else {
            self.held_back = self.held_back.saturating_add(1);
            None
        }
    }
}

#[cfg(test)]
mod tests;
