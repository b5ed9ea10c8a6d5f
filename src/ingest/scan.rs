//! Byte scans for the form and item decoders: the first of a few ASCII bytes in a text, eight
//! bytes per step. A GA4 GET hit is one or two kilobytes of `k=v&…` text that is searched for
//! `&`, `=`, `%`, `+` and `~`; a byte-by-byte loop costs several instructions per byte there,
//! this about one. Plain safe code: the eight bytes are read as one `u64` and every byte equal
//! to a wanted one is found with the usual "has a zero byte" arithmetic.

/// `0x01` in every byte.
const ONES: u64 = u64::from_le_bytes([0x01; 8]);
/// `0x80` in every byte.
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// The position of the first byte of `bytes` that is one of `wanted`.
pub(super) fn find_any<const N: usize>(bytes: &[u8], wanted: [u8; N]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        let hits = wanted.iter().fold(0, |hits, b| {
            hits | zero_bytes(word ^ (ONES * u64::from(*b)))
        });
        if hits != 0 {
            // The lowest flagged byte is always a true match (a false flag needs a borrow from
            // a true zero byte below it); bytes are little-endian, so it is the first one.
            return Some(offset + (hits.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|b| wanted.contains(b))
        .map(|at| offset + at)
}

/// `0x80` in each byte of the result whose byte of `word` is zero (and possibly in bytes above
/// such a byte).
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// Whether `text` holds U+FFFD, the mark a lossy UTF-8 conversion leaves: its first byte found
/// eight at a time, then the two after it compared. `str::contains` would run a two-way
/// substring search, which in wasm (no SIMD) costs several instructions per byte of a query.
pub(super) fn has_replacement_char(text: &str) -> bool {
    const MARK: [u8; 3] = [0xEF, 0xBF, 0xBD];
    let mut rest = text.as_bytes();
    while let Some(at) = find_any(rest, [MARK[0]]) {
        let Some(tail) = rest.get(at..) else {
            return false;
        };
        if tail.starts_with(&MARK) {
            return true;
        }
        rest = tail.get(1..).unwrap_or_default();
    }
    false
}

/// `text.split(sep)` for an ASCII separator. The pieces are the same as `str::split`'s: an
/// ASCII byte never occurs inside a multi-byte character, so every cut is a character boundary.
pub(super) fn split_ascii(text: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match find_any(current.as_bytes(), [sep]) {
            Some(at) => {
                rest = current.get(at + 1..);
                current.get(..at)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

#[cfg(test)]
mod tests;
