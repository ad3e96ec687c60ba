//! Positions in text, for messages and sources that name a line.

/// The 1-based line of byte `offset` in `text` (a TOML span's start, a match), text or bytes; an
/// offset past the end is on line 1 (messages still name the file).
pub fn line_at(text: impl AsRef<[u8]>, offset: usize) -> usize {
    text.as_ref()
        .get(..offset)
        .map_or(1, |t| t.iter().filter(|&&b| b == b'\n').count() + 1)
}

/// The 1-based line of the first occurrence of `needle` in `text`, if any.
pub fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.find(needle).map(|at| line_at(text, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_from_one() {
        let t = "a = 1\n\nb = \"é\"\nc";
        assert_eq!(line_at(t, 0), 1);
        assert_eq!(line_at(t, 6), 2);
        assert_eq!(line_at(t, t.len()), 4);
        assert_eq!(line_at(t, t.len() + 5), 1);
        // Bytes as text, and an offset inside a character: still the line it is on.
        assert_eq!(line_at(t.as_bytes(), 8), 3);
        assert_eq!(line_at(t, t.find('é').unwrap_or(0) + 1), 3);
        assert_eq!(line_of(t, "b ="), Some(3));
        assert_eq!(line_of(t, "c"), Some(4));
        assert_eq!(line_of(t, "zz"), None);
        // The line a needle is on, as `lines().position(contains)` found it.
        for needle in ["a", "1", "\"é\"", "c"] {
            let by_lines = t.lines().position(|l| l.contains(needle)).map(|i| i + 1);
            assert_eq!(line_of(t, needle), by_lines, "{needle}");
        }
    }
}
