//! Registrable domains (eTLD+1) from the Public Suffix List.
//!
//! The list is the vendored `data/public_suffix_list.dat`, compiled by `build.rs` into three
//! sorted tables (one string of lines each) that are binary-searched here. This replaces the `psl` crate deliberately:
//! that crate compiles the list into ~900 KB of matching code, nearly half of the filter's
//! `.wasm`, which every Envoy worker compiles at start; the tables are ~230 KB of plain data
//! and the algorithm below is the list's own, in a dozen lines.

mod tables {
    include!(concat!(env!("OUT_DIR"), "/public_suffix_tables.rs"));
}

/// Whether `name` is a line of `table`: names in byte order, joined by `\n`. A binary search
/// over the text: each probe widens to the line around it (rules are ~14 bytes long).
fn contains(table: &str, name: &str) -> bool {
    // `lo` and `hi` are line starts (or the end); the candidates lie between them.
    let (mut lo, mut hi) = (0, table.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let before = table.as_bytes().get(..mid).unwrap_or_default();
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let after = table.as_bytes().get(start..).unwrap_or_default();
        let end = after
            .iter()
            .position(|&b| b == b'\n')
            .map_or(table.len(), |i| start + i);
        match table.get(start..end).map(|line| line.cmp(name)) {
            Some(std::cmp::Ordering::Equal) => return true,
            Some(std::cmp::Ordering::Less) => lo = end + 1,
            Some(std::cmp::Ordering::Greater) => hi = start,
            None => return false,
        }
    }
    false
}

/// The registrable domain of a lower-case ASCII (punycode) host name, or `None` when the host
/// is itself a public suffix or has no label in front of one.
///
/// PSL algorithm: the longest matching rule wins, exception rules beat the wildcard they carve
/// out of, and when nothing matches the implicit rule `*` makes the last label the suffix.
pub fn registrable_domain(host: &str) -> Option<&str> {
    let host = host.trim_end_matches('.');
    if host.is_empty() || host.as_bytes().split(|b| *b == b'.').any(<[u8]>::is_empty) {
        return None;
    }
    // Byte offsets where each suffix starts: "a.b.c" → 0 ("a.b.c"), 2 ("b.c"), 4 ("c").
    // (Byte search: a dot is ASCII, so every offset is a character boundary.)
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            host.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'.')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let suffix_at = |i: usize| starts.get(i).and_then(|&s| host.get(s..));
    let mut public_suffix_index = starts.len().saturating_sub(1);
    for i in 0..starts.len() {
        let Some(suffix) = suffix_at(i) else { break };
        if contains(tables::EXCEPTIONS, suffix) {
            public_suffix_index = i + 1;
            break;
        }
        if contains(tables::RULES, suffix)
            || suffix_at(i + 1).is_some_and(|parent| contains(tables::WILDCARDS, parent))
        {
            public_suffix_index = i;
            break;
        }
    }
    // The registrable domain is the public suffix plus one more label.
    public_suffix_index.checked_sub(1).and_then(suffix_at)
}

#[cfg(test)]
mod tests;
