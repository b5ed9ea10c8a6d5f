//! Observe: metric names and the metrics trait, console log records, loss reports, and the
//! escaping and redaction every log line goes through.
pub mod console;
pub mod loss;
pub mod metrics;
pub mod redact;
pub mod throttle;
