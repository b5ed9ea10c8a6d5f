//! Observe: metric names and the metrics trait, console log records, and the escaping and
//! redaction every log line goes through.
pub mod console;
pub mod metrics;
pub mod redact;
