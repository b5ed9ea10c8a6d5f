//! Observe: metric names and the metrics trait, console log records, loss reports, the
//! escaping and redaction every log line goes through, and BigQuery logging.
pub mod bigquery;
pub mod console;
pub mod loss;
pub mod metrics;
pub mod redact;
pub mod throttle;
