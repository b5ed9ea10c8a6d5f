//! Empty: this package only carries the `pipeline` benchmark (see `benches/pipeline.rs`).
