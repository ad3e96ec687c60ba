//! Bytes read from an image as text, without losing a byte: file names, link targets and file
//! contents that are not valid UTF-8.
//!
//! A Linux file name is any sequence of bytes but `/` and NUL. sshd, systemd, sudo and the rest
//! open `/etc/ssh/sshd_config.d/10-\xff\xfe.conf` like any other drop-in; a reader that decodes
//! the name lossily (U+FFFD) cannot open it again, skips it, and passes a rule the file breaks.
//! So every name imagegate lists must reach `open` with the bytes it was listed with.
//!
//! # The encoding
//!
//! imagegate's paths are `String`s (the [`crate::rootfs::RootFs`] API, the facts, the rules and
//! the reports all speak `&str`), and they stay `String`s: a byte path type through every
//! collector would touch hundreds of call sites for names that are almost always UTF-8. Instead
//! the text is a lossless, reversible encoding of the bytes (the idea of Python's
//! `surrogateescape` and of MirBSD's OPTU-8, with a code point range a Rust `String` can hold):
//!
//! - valid UTF-8 is kept as it is;
//! - each byte that is not part of valid UTF-8 (always `0x80..=0xFF`: ASCII is always valid)
//!   becomes the private-use code point `U+EF00 + byte`, i.e. one of `U+EF80..=U+EFFF`;
//! - a real occurrence of one of those 128 code points is itself written as the three
//!   escaped bytes of its UTF-8 form, so no two byte strings share a text.
//!
//! [`text`] encodes, [`bytes`] decodes, and `bytes(&text(b)) == b` for every byte string `b`
//! (tested on seeded random bytes). `RootFs` decodes every path to its bytes before a system
//! call; what it returns (directory listings, glob matches, link targets, file contents) is
//! encoded. Splitting the text at ASCII characters (`/`, whitespace, `=`) splits the bytes at the
//! same places, since an escape is never ASCII, and joining encoded parts with ASCII separators
//! gives the encoding of the joined bytes, so paths built with `format!("{dir}/{name}")` decode
//! exactly.
//!
//! # Order
//!
//! glob(3) in the C locale, systemd's `conf_files_list` and sudo's `includedir` order names with
//! `strcmp`: by bytes. `String`'s order agrees with byte order for valid UTF-8 only; an escape
//! (`U+EF80` for byte `0x80`) sorts among three-byte characters, not below `U+0080` as the byte
//! does. Sort names and paths with [`cmp`] (or key them by [`bytes`]) wherever order decides
//! which file wins.
//!
//! # Output
//!
//! Escapes are shown as `\xNN` (lowercase hex) in every output: [`display`] for a message,
//! [`EscapeWriter`] around a report, `imagegate facts` or `sshd-config` stream. A name that
//! literally contains the four characters `\xff` shows the same as the byte: the rendering is for
//! people; the bytes that are read stay exact.
use std::borrow::Cow;
use std::cmp::Ordering;
use std::io::{self, Write};

/// The code point standing for byte `0x80` is `ESCAPE_BASE + 0x80`.
const ESCAPE_BASE: u32 = 0xEF00;
/// First byte of the UTF-8 form of every escape code point (`U+EF80..=U+EFFF` is `EE BE 80` to
/// `EE BF BF`).
const LEAD: u8 = 0xEE;

/// The escape standing for `byte` (`0x80..=0xFF`).
fn escape_char(byte: u8) -> char {
    char::from_u32(ESCAPE_BASE + u32::from(byte)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The byte an escape stands for, when `c` is one.
fn escaped_byte(c: char) -> Option<u8> {
    let v = u32::from(c);
    (ESCAPE_BASE + 0x80..=ESCAPE_BASE + 0xFF)
        .contains(&v)
        .then(|| (v - ESCAPE_BASE) as u8)
}

/// True when UTF-8 `b` may hold an escape code point (`EE BE ..` or `EE BF ..`).
fn may_hold_escape(b: &[u8]) -> bool {
    memchr::memchr_iter(LEAD, b).any(|i| matches!(b.get(i + 1), Some(0xBE | 0xBF)))
}

/// The text of `b`: borrowed when it is valid UTF-8 with no escape code point in it, the
/// encoding described in the module documentation otherwise.
pub fn text(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) if !may_hold_escape(b) => Cow::Borrowed(s),
        _ => Cow::Owned(encode(b)),
    }
}

/// [`text`] of an owned buffer, copied only when it needs encoding.
pub fn text_owned(b: Vec<u8>) -> String {
    if may_hold_escape(&b) {
        return encode(&b);
    }
    String::from_utf8(b).unwrap_or_else(|e| encode(e.as_bytes()))
}

fn encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() + b.len() / 2);
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            if escaped_byte(c).is_some() {
                let mut buf = [0u8; 4];
                for &byte in c.encode_utf8(&mut buf).as_bytes() {
                    out.push(escape_char(byte));
                }
            } else {
                out.push(c);
            }
        }
        for &byte in chunk.invalid() {
            // Never ASCII (an ASCII byte is always valid UTF-8), but keep it exact regardless.
            if byte.is_ascii() {
                out.push(char::from(byte));
            } else {
                out.push(escape_char(byte));
            }
        }
    }
    out
}

/// The bytes `s` stands for: borrowed when it holds no escape.
pub fn bytes(s: &str) -> Cow<'_, [u8]> {
    if !may_hold_escape(s.as_bytes()) {
        return Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        match escaped_byte(c) {
            Some(byte) => out.push(byte),
            None => out.extend_from_slice(c.encode_utf8(&mut [0u8; 4]).as_bytes()),
        }
    }
    Cow::Owned(out)
}

/// Byte order of the bytes `a` and `b` stand for (`strcmp`, glob(3) in the C locale, systemd).
pub fn cmp(a: &str, b: &str) -> Ordering {
    bytes(a).cmp(&bytes(b))
}

/// `s` for people, in a message of several lines: each escape written `\xNN`, and every
/// [`hazard`] but the line break written as a visible escape (see [`visible`]).
pub fn display(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// `s` for one line of a text report: each escape written `\xNN`, and every [`hazard`] —
/// line breaks included — written as a visible escape: `\n`, `\r`, `\t`, `\x1b` (other C0
/// controls and DEL), `\u{9b}` (C1 controls, bidi controls, line and paragraph separators,
/// noncharacters). So a string read from an image can neither start a terminal escape sequence
/// (a title, a cleared screen, an OSC 52 clipboard write, an OSC 8 link), nor reorder the line it
/// is shown on, nor forge a line of its own: a file name holding `\nPASS  high …` stays on its
/// line as the characters `\nPASS`. This holds whether or not the output is a terminal: logs are
/// read in terminals too.
pub fn visible(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// True for a character that must not reach a terminal or a log as it is: C0 and C1 controls
/// and DEL (`char::is_control`), the bidirectional formatting characters (which reorder what
/// follows them on the line: U+061C, U+200E, U+200F, U+202A..=U+202E, U+2066..=U+2069), the line
/// and paragraph separators U+2028/U+2029, and the noncharacters U+FFFE/U+FFFF (which XML 1.0
/// forbids).
pub fn hazard(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{FFFE}'
                | '\u{FFFF}'
        )
}

/// The visible escape of a [`hazard`].
fn push_hazard(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if u32::from(c) < 0x80 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
        c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
    }
}

fn escape(s: &str, keep_newline: bool) -> Cow<'_, str> {
    let is_plain = |c: char| !hazard(c) || (keep_newline && c == '\n');
    if !may_hold_escape(s.as_bytes()) && s.chars().all(is_plain) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match escaped_byte(c) {
            Some(byte) => out.push_str(&format!("\\x{byte:02x}")),
            None if is_plain(c) => out.push(c),
            None => push_hazard(&mut out, c),
        }
    }
    Cow::Owned(out)
}

/// Where an [`EscapeWriter`]'s output goes, which decides how a backslash is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Plain text, XML or HTML: `\xff`.
    Text,
    /// Inside JSON strings (the only place serde_json writes non-ASCII): `\\xff`, so the string's
    /// value is `\xff`.
    Json,
}

/// A writer that shows escapes as `\xNN` in what passes through it: wrapped around every output
/// stream, it covers every field of every format at once. Escapes split across two writes are
/// held until the rest arrives; [`EscapeWriter::flush`] writes out an incomplete tail as is.
#[derive(Debug)]
pub struct EscapeWriter<W: Write> {
    inner: W,
    target: Target,
    /// Up to two bytes of a possible escape from the end of the previous write.
    held: Vec<u8>,
}

impl<W: Write> EscapeWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W, target: Target) -> Self {
        EscapeWriter {
            inner,
            target,
            held: Vec::new(),
        }
    }

    fn rewrite(&mut self, buf: &[u8], at_end: bool) -> io::Result<()> {
        let mut data = std::mem::take(&mut self.held);
        data.extend_from_slice(buf);
        let prefix: &[u8] = match self.target {
            Target::Text => b"\\x",
            Target::Json => b"\\\\x",
        };
        let mut out = Vec::with_capacity(data.len());
        let mut i = 0;
        while i < data.len() {
            let Some(off) = memchr::memchr(LEAD, data.get(i..).unwrap_or_default()) else {
                out.extend_from_slice(data.get(i..).unwrap_or_default());
                break;
            };
            let at = i + off;
            out.extend_from_slice(data.get(i..at).unwrap_or_default());
            match (data.get(at + 1), data.get(at + 2)) {
                (Some(&b1 @ (0xBE | 0xBF)), Some(&b2)) if (0x80..=0xBF).contains(&b2) => {
                    // EE BE xx is U+EF80 + (xx - 0x80); EE BF xx is U+EFC0 + (xx - 0x80).
                    let byte = if b1 == 0xBE { b2 } else { b2 + 0x40 };
                    out.extend_from_slice(prefix);
                    out.extend_from_slice(format!("{byte:02x}").as_bytes());
                    i = at + 3;
                }
                (None, _) | (Some(0xBE | 0xBF), None) if !at_end => {
                    self.held = data.get(at..).unwrap_or_default().to_vec();
                    break;
                }
                _ => {
                    out.push(LEAD);
                    i = at + 1;
                }
            }
        }
        self.inner.write_all(&out)
    }

    /// The wrapped writer, after writing out what is held.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for EscapeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.rewrite(buf, false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.held.is_empty() {
            self.rewrite(&[], true)?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: seeded, so a failure reproduces.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        /// Bytes biased towards what breaks encodings: high bytes, UTF-8 lead bytes, the escape
        /// range's own UTF-8 form.
        fn bytes(&mut self) -> Vec<u8> {
            let n = (self.next() % 12) as usize;
            let mut v = Vec::new();
            for _ in 0..n {
                match self.next() % 6 {
                    0 => v.push(b'a' + (self.next() % 3) as u8),
                    1 => v.extend_from_slice(&[0xEE, 0xBE | (self.next() % 2) as u8, 0x80 | (self.next() % 64) as u8]),
                    2 => v.extend_from_slice("é".as_bytes()),
                    3 => v.push(0xEE),
                    _ => v.push(0x80 | (self.next() % 128) as u8),
                }
            }
            v
        }
    }

    #[test]
    fn every_byte_string_round_trips_and_distinct_bytes_give_distinct_text() {
        let mut rng = Rng(0x5eed_0f1a);
        let mut seen = std::collections::HashMap::new();
        for _ in 0..20_000 {
            let b = rng.bytes();
            let t = text(&b).into_owned();
            assert_eq!(bytes(&t).as_ref(), b.as_slice(), "{b:x?} -> {t:?}");
            assert_eq!(text_owned(b.clone()), t);
            if let Some(other) = seen.insert(t.clone(), b.clone()) {
                assert_eq!(other, b, "two byte strings share the text {t:?}");
            }
        }
    }

    #[test]
    fn valid_utf8_is_borrowed_and_unchanged() {
        for s in ["", "/etc/ssh/sshd_config", "é ü 日本", "\u{FFFD}", "\u{EF7F}\u{F000}"] {
            assert!(matches!(text(s.as_bytes()), Cow::Borrowed(t) if t == s));
            assert!(matches!(bytes(s), Cow::Borrowed(b) if b == s.as_bytes()));
        }
    }

    #[test]
    fn invalid_bytes_and_real_escape_code_points_are_both_escaped() {
        assert_eq!(text(b"10-\xff\xfe.conf"), "10-\u{EFFF}\u{EFFE}.conf");
        assert_eq!(display(&text(b"10-\xff\xfe.conf")), "10-\\xff\\xfe.conf");
        // U+EF80 in a valid name is EE BE 80: three escapes, so it cannot pass for byte 0x80.
        assert_eq!(display(&text("\u{EF80}".as_bytes())), "\\xee\\xbe\\x80");
        assert_ne!(text("\u{EF80}".as_bytes()), text(b"\x80"));
    }

    #[test]
    fn order_is_byte_order() {
        let mut rng = Rng(42);
        for _ in 0..5_000 {
            let (a, b) = (rng.bytes(), rng.bytes());
            assert_eq!(cmp(&text(&a), &text(&b)), a.cmp(&b), "{a:x?} vs {b:x?}");
        }
        // Where String order disagrees: 0x80 sorts before "é" (C3 A9), its escape after.
        assert_eq!(cmp(&text(b"\x80"), "é"), Ordering::Less);
    }

    #[test]
    fn visible_leaves_no_hazard_and_no_line_break() {
        let hostile = [
            '\u{1b}', '\u{7}', '\n', '\r', '\t', '\u{0}', '\u{7f}', '\u{85}', '\u{9b}', '\u{202e}', '\u{2066}',
            '\u{2069}', '\u{200f}', '\u{61c}', '\u{2028}', '\u{fffe}', '\u{ffff}', 'a', 'é', '\\', 'x',
        ];
        let mut rng = Rng(0x0bad_c0de);
        for _ in 0..5_000 {
            let mut s: String = (0..rng.next() % 12)
                .map(|_| hostile[(rng.next() % hostile.len() as u64) as usize])
                .collect();
            s.push_str(&text(&rng.bytes()));
            let v = visible(&s);
            assert!(!v.chars().any(hazard), "{s:?} -> {v:?}");
            assert!(!v.chars().any(|c| escaped_byte(c).is_some()), "{s:?} -> {v:?}");
            let d = display(&s);
            assert!(!d.chars().any(|c| hazard(c) && c != '\n'), "{s:?} -> {d:?}");
            assert_eq!(d.matches('\n').count(), s.matches('\n').count());
        }
        assert_eq!(
            visible("a\nPASS\u{1b}]52;c;x\u{7}\u{202e}"),
            "a\\nPASS\\x1b]52;c;x\\x07\\u{202e}"
        );
        assert!(matches!(visible("plain é 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_writer_renders_escapes_across_any_split() {
        let t = format!("a {} b \u{EE00} \u{FFFD}\n", text(b"\xff\xfe\x80\xc3"));
        let want = "a \\xff\\xfe\\x80\\xc3 b \u{EE00} \u{FFFD}\n";
        for split in 0..=t.len() {
            let (x, y) = t.as_bytes().split_at(split);
            let mut w = EscapeWriter::new(Vec::new(), Target::Text);
            w.write_all(x).unwrap();
            w.write_all(y).unwrap();
            let out = w.into_inner().unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "split at {split}");
        }
        let mut w = EscapeWriter::new(Vec::new(), Target::Json);
        serde_json::to_writer(&mut w, &text(b"x\xff")).unwrap();
        let json = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(json, r#""x\\xff""#);
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), "x\\xff");
    }
}
