//! Loss reports: the warn lines that say events were lost, whatever `logging.console` says.
//!
//! A lost event is a lost conversion, so every loss is logged at warn level. During an outage
//! or a flood, though, one line per loss would drown the log (and cost a hostcall each), so
//! each [`LossReason`] is reported at most once per [`WINDOW_MS`]: the first loss of a window
//! is logged at once, later ones are added up and reported, with their count and the latest
//! detail, when the window has passed ([`LossLog::flush`]). This module is pure: it returns
//! the lines and the caller writes them.

use super::redact::Escaped;

/// Shortest gap between two lines of one reason.
pub const WINDOW_MS: u64 = 10_000;

/// Why events were lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossReason {
    /// The queue of calls waiting to be sent was full; its oldest call was dropped.
    QueueFull,
    /// An event fell outside the API's time window before it could be sent.
    OutsideWindow,
    /// The API refused the events, or retries ran out (horizon or attempt cap).
    FinalFailure,
    /// The plugin was being shut down or reloaded and the events could not be sent in time.
    Shutdown,
}

impl LossReason {
    const ALL: [LossReason; 4] = [
        LossReason::QueueFull,
        LossReason::OutsideWindow,
        LossReason::FinalFailure,
        LossReason::Shutdown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LossReason::QueueFull => "queue_full",
            LossReason::OutsideWindow => "outside_time_window",
            LossReason::FinalFailure => "final_failure",
            LossReason::Shutdown => "shutdown",
        }
    }

    fn index(self) -> usize {
        match self {
            LossReason::QueueFull => 0,
            LossReason::OutsideWindow => 1,
            LossReason::FinalFailure => 2,
            LossReason::Shutdown => 3,
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Slot {
    /// When the last line of this reason was written (`None`: never).
    last_line_ms: Option<u64>,
    /// Losses since that line, not yet reported.
    pending_events: u64,
    pending_occurrences: u64,
    latest_detail: String,
}

/// Per-reason rate limiter for loss lines.
#[derive(Debug, Default, Clone)]
pub struct LossLog {
    slots: [Slot; 4],
}

impl LossLog {
    /// Records `events` lost for `reason`; returns the line to write now, if one is due.
    pub fn record(
        &mut self,
        reason: LossReason,
        events: u64,
        detail: &str,
        now_ms: u64,
    ) -> Option<String> {
        let slot = self.slots.get_mut(reason.index())?;
        slot.pending_events = slot.pending_events.saturating_add(events);
        slot.pending_occurrences = slot.pending_occurrences.saturating_add(1);
        detail.clone_into(&mut slot.latest_detail);
        let due = slot
            .last_line_ms
            .is_none_or(|last| now_ms >= last.saturating_add(WINDOW_MS));
        due.then(|| take_line(reason, slot, now_ms))
    }

    /// Lines for every reason whose window has passed with losses not yet reported; with
    /// `force`, for every reason with unreported losses (shutdown: there is no later).
    pub fn flush(&mut self, now_ms: u64, force: bool) -> Vec<String> {
        LossReason::ALL
            .iter()
            .filter_map(|&reason| {
                let slot = self.slots.get_mut(reason.index())?;
                let window_passed = slot
                    .last_line_ms
                    .is_none_or(|last| now_ms >= last.saturating_add(WINDOW_MS));
                (slot.pending_occurrences > 0 && (force || window_passed))
                    .then(|| take_line(reason, slot, now_ms))
            })
            .collect()
    }

    /// When [`LossLog::flush`] next has a line to write (`None`: nothing unreported).
    pub fn next_due_ms(&self) -> Option<u64> {
        self.slots
            .iter()
            .filter(|s| s.pending_occurrences > 0)
            .map(|s| s.last_line_ms.map_or(0, |l| l.saturating_add(WINDOW_MS)))
            .min()
    }
}

fn take_line(reason: LossReason, slot: &mut Slot, now_ms: u64) -> String {
    let line = format!(
        "events lost ({}): {} event(s) in {} occurrence(s) since the last report; latest: {}",
        reason.name(),
        slot.pending_events,
        slot.pending_occurrences,
        Escaped(&slot.latest_detail)
    );
    slot.pending_events = 0;
    slot.pending_occurrences = 0;
    slot.latest_detail.clear();
    slot.last_line_ms = Some(now_ms);
    line
}

#[cfg(test)]
mod tests;
