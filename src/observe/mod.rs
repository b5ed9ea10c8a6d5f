//! Observe: metric names and the metrics trait, console log records, and loss reports.
pub mod console;
pub mod loss;
pub mod metrics;
