//! Unit tests follow one layout: a module's tests are the file `<module>/tests.rs` (for a
//! `mod.rs`, `tests.rs` beside it), declared as `#[cfg(test)] mod tests;` and never included by
//! `#[path]`. So a module's file holds only what it ships, and its tests are found the same way
//! in every crate of the workspace.

use std::fs;
use std::path::{Path, PathBuf};

/// The source trees whose unit tests follow the layout.
const TREES: &[&str] = &[
    "src",
    "standin/src",
    "tests/support/src",
    "tests/support/thread-alloc/src",
    "benches/ceiling/src",
    "benches/pipeline/src",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn unit_tests_sit_in_a_sibling_tests_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for tree in TREES {
        rust_files(&root.join(tree), &mut files);
    }
    assert!(files.len() > 100, "found only {} files", files.len());
    let mut offending = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            let inline = line.starts_with("mod tests {") || line.starts_with("pub mod tests {");
            if inline || line.starts_with("#[path") {
                offending.push(format!("{}:{}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(
        offending.is_empty(),
        "move these tests to <module>/tests.rs:\n{}",
        offending.join("\n")
    );
}
