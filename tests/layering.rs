//! The crate's modules form one layering: a module may use only modules below it. This reads
//! every `crate::…` path in `src/` (use trees included) and fails on any reference upwards, so
//! an import cycle between top-level modules cannot come back unnoticed.

// Test code throughout: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The top-level modules of `src/`, lowest first. `url_path`, `event` (event data and its
/// values, which configured literals are read as too) and `model` (the API's vocabulary and
/// pure rules) sit at the bottom; `collect` runs one request through everything; `runtime`
/// makes the running filter's decisions against its `Host` trait; `glue` (the proxy-wasm host
/// side) is on top. lib.rs's data-flow table names the same modules by stage.
const LAYERS: &[&str] = &[
    "url_path", "event", "model", "request", "config", "payload", "response", "observe", "ingest",
    "tag", "delivery", "collect", "runtime", "glue",
];

/// Unit-test helpers (`#[cfg(test)]` only): any module's tests may use them, and they may use
/// any module, since they never ship.
const TEST_ONLY: &[&str] = &["test_support"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `text` without comments (doc comments included: an intra-doc link is not an import) and
/// without the contents of string and character literals.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if b[i] == b'r' && matches!(b.get(i + 1), Some(b'"' | b'#')) && !ident_before(b, i) {
            let hashes = b[i + 1..].iter().take_while(|c| **c == b'#').count();
            if b.get(i + 1 + hashes) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            i += 2 + hashes;
            while i < b.len() && !b[i..].starts_with(&close) {
                i += 1;
            }
            i += close.len();
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            i += 2;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            i += 3;
        } else {
            let len = utf8_len(b[i]);
            out.push_str(&text[i..i + len]);
            i += len;
        }
    }
    out
}

fn ident_before(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

/// The top-level module names every `crate::` path in `code` starts with, with `crate::{a, b::c}`
/// trees read one level deep.
fn crate_references(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if ident_before(code.as_bytes(), at) {
            continue;
        }
        let rest = code[at + "crate::".len()..].trim_start();
        if let Some(tree) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut part = String::new();
            for c in tree.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(first_ident(&part));
                        part.clear();
                        continue;
                    }
                    _ => {}
                }
                part.push(c);
            }
            names.push(first_ident(&part));
        } else {
            names.push(first_ident(rest));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

fn first_ident(s: &str) -> String {
    s.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn top_module(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_str()
        .unwrap();
    first.trim_end_matches(".rs").to_owned()
}

#[test]
fn every_module_uses_only_modules_below_it() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut upward = BTreeSet::new();
    let mut unlisted = BTreeSet::new();
    for file in &files {
        let from = top_module(file);
        if from == "lib" || TEST_ONLY.contains(&from.as_str()) {
            continue;
        }
        let code = code_only(&fs::read_to_string(file).unwrap());
        for to in crate_references(&code) {
            if to == from || TEST_ONLY.contains(&to.as_str()) {
                continue;
            }
            match (rank(&from), rank(&to)) {
                (Some(f), Some(t)) if t < f => {}
                (Some(_), Some(_)) => {
                    upward.insert(format!("{} uses crate::{to}", file.display()));
                }
                (None, _) => {
                    unlisted.insert(from.clone());
                }
                (_, None) => {
                    unlisted.insert(to);
                }
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "modules missing from LAYERS (place each where it belongs): {unlisted:?}"
    );
    assert!(
        upward.is_empty(),
        "references to a module at the same or a higher layer (move the shared piece down, \
         e.g. into `model`):\n{}",
        upward.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn every_module_of_lib_rs_has_a_layer() {
    let lib = code_only(&fs::read_to_string(src().join("lib.rs")).unwrap());
    let declared: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            l.strip_prefix("mod ")?.strip_suffix(';').map(str::to_owned)
        })
        .collect();
    let layered: BTreeSet<String> = LAYERS
        .iter()
        .chain(TEST_ONLY)
        .map(|m| (*m).to_owned())
        .collect();
    assert_eq!(declared, layered);
}

#[test]
fn the_reader_sees_use_trees_and_skips_comments_and_strings() {
    let code = code_only(
        "use crate::{tag::X, config::{A, B}};\n\
         // crate::glue in a comment\n\
         /// [`crate::collect`] in a doc link\n\
         let s = \"crate::delivery\"; let r = r#\"crate::ingest\"#;\n\
         let c = '\"'; crate::observe::log();\n",
    );
    assert_eq!(crate_references(&code), ["tag", "config", "observe"]);
}
