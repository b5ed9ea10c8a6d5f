//! URL path bytes: the one RFC 3986 character class that both the configured callout path
//! (`api.path`) and the shortcut for already-serialised `source_url`s accept as they are, so the
//! two checks cannot drift apart. Each caller adds or removes what its own context needs.

/// Whether `b` may stand in a URL path as it is: an RFC 3986 `pchar` (unreserved, sub-delims,
/// `:`, `@`) or `/`, with `%` allowed as the start of a `%XX` escape (callers check the digits).
pub(crate) fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'/' | b'-'
                | b'.'
                | b'_'
                | b'~'
                | b'%'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

#[cfg(test)]
mod tests;
