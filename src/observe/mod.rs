//! Observe: metric names and the metrics trait, and console log records (SPEC §8).
pub mod bigquery;
pub mod console;
pub mod metrics;
