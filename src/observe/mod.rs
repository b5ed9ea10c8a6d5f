//! Observe: metric names and the metrics trait, console log records, loss reports, and
//! BigQuery logging.
pub mod bigquery;
pub mod console;
pub mod loss;
pub mod metrics;
