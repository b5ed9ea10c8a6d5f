use super::*;

#[test]
fn the_first_loss_of_a_reason_is_logged_at_once_with_its_count() {
    let mut log = LossLog::default();
    let line = log
        .record(LossReason::QueueFull, 7, "oldest call dropped", 1000)
        .unwrap();
    assert_eq!(
        line,
        "events lost (queue_full): 7 event(s) in 1 occurrence(s) since the last report; \
         latest: oldest call dropped"
    );
    assert_eq!(log.next_due_ms(), None, "nothing left unreported");
}

#[test]
fn later_losses_within_ten_seconds_are_added_up_and_reported_once() {
    let mut log = LossLog::default();
    assert!(log.record(LossReason::FinalFailure, 1, "a", 0).is_some());
    assert!(log.record(LossReason::FinalFailure, 2, "b", 100).is_none());
    assert!(log
        .record(LossReason::FinalFailure, 3, "c", 9_999)
        .is_none());
    assert_eq!(log.next_due_ms(), Some(WINDOW_MS));
    assert!(log.flush(9_999, false).is_empty());
    let lines = log.flush(WINDOW_MS, false);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("events lost (final_failure): 5 event(s) in 2 occurrence(s)"),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with("latest: c"));
    assert!(log.flush(30_000, false).is_empty(), "reported once");
}

#[test]
fn a_loss_after_the_window_is_logged_at_once_with_what_was_pending() {
    let mut log = LossLog::default();
    log.record(LossReason::OutsideWindow, 1, "a", 0);
    log.record(LossReason::OutsideWindow, 1, "b", 5);
    let line = log
        .record(LossReason::OutsideWindow, 1, "c", 20_000)
        .unwrap();
    assert!(line.contains("2 event(s) in 2 occurrence(s)"), "{line}");
}

#[test]
fn each_reason_has_its_own_window() {
    let mut log = LossLog::default();
    assert!(log.record(LossReason::QueueFull, 1, "q", 0).is_some());
    assert!(log.record(LossReason::Shutdown, 1, "s", 1).is_some());
    assert!(log.record(LossReason::OutsideWindow, 1, "w", 2).is_some());
    assert!(log.record(LossReason::FinalFailure, 1, "f", 3).is_some());
    assert!(log.record(LossReason::QueueFull, 1, "q", 4).is_none());
}

#[test]
fn a_forced_flush_reports_everything_unreported() {
    let mut log = LossLog::default();
    log.record(LossReason::Shutdown, 4, "a", 0);
    log.record(LossReason::Shutdown, 6, "b", 1);
    let lines = log.flush(2, true);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].contains("(shutdown): 6 event(s)"), "{}", lines[0]);
    assert!(log.flush(3, true).is_empty());
}

#[test]
fn a_loss_detail_never_puts_a_raw_line_break_in_the_log() {
    let mut log = LossLog::default();
    let line = log
        .record(LossReason::FinalFailure, 1, "x\r\nFORGED line", 1000)
        .unwrap();
    assert!(!line.contains(['\r', '\n']), "{line}");
    assert!(line.ends_with("latest: x\\r\\nFORGED line"), "{line}");
}
