//! Observe: metric names and the metrics trait, console log records, and BigQuery logging.
pub mod bigquery;
pub mod console;
pub mod metrics;
