//! /var/lib/dpkg/status, parsed per deb822(5) and dpkg(1)'s status database semantics.
//!
//! The file is a sequence of stanzas separated by empty lines; a field is `Name: value`, field
//! names are case-insensitive, and a line starting with a space or tab continues the previous
//! field (Description, Conffiles). `Status:` holds three words, `want flag state` (dpkg-query(1)).
//!
//! What counts as installed: every state in which the package's files are on disk —
//! `installed`, `triggers-pending`, `triggers-awaited` (configured, waiting for triggers),
//! `half-configured`, `unpacked` and `half-installed`. The state is kept in the entry, so a rule
//! can require `state = "installed"`; counting the unfinished states as present is the
//! conservative choice for "X must not be installed" (a half-installed telnetd still has its
//! binary on disk). `not-installed` and `config-files` (only conffiles left) are left out.
//!
//! Errors, like dpkg itself, which refuses to load a damaged status file: a line that is neither a
//! field nor a continuation, a stanza without `Package` or with a malformed `Status`, and an
//! installed package without `Version`. A file truncated in the middle of a stanza therefore
//! reports the line of that stanza instead of silently losing the package; a last stanza that is
//! complete but lacks its final newline is fine.
//!
//! Ignored: dependency fields, conffiles, the `available` file and /var/lib/dpkg/updates/ (journal
//! entries of an interrupted dpkg run: dpkg replays them on its next start; a root with pending
//! journal entries is rare enough that we only read the status file).

use compact_str::CompactString;

use super::{Instance, Manager, Package, Packages, group};
use crate::facts::{FactError, Source};
use crate::rootfs::RootFs;
use crate::version::dpkg_cmp;

/// Path of the status database.
pub const STATUS: &str = "/var/lib/dpkg/status";

/// One deb822 stanza: `(lowercased field name, value, line)`, continuation lines appended to the
/// value with `\n`, plus the stanza's first line.
#[derive(Debug, Default, Clone)]
pub struct Stanza {
    /// Fields in file order.
    pub fields: Vec<(String, String, u32)>,
    /// 1-based line of the stanza's first field.
    pub line: u32,
}

impl Stanza {
    /// The value of a field (name compared case-insensitively) and its line.
    pub fn get(&self, name: &str) -> Option<(&str, u32)> {
        self.fields
            .iter()
            .find(|(k, _, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v, l)| (v.as_str(), *l))
    }
}

/// Splits deb822 text into stanzas. Used for dpkg status, apt Packages indexes and Release files.
pub fn parse_stanzas(path: &str, text: &str) -> Result<Vec<Stanza>, FactError> {
    stanzas(path, text).collect()
}

/// The stanzas of deb822 text one at a time: a million-package status file or index is never
/// held as a list of stanzas, only as its text and the records built from it (the list of
/// owned fields cost four times the text).
pub fn stanzas<'a>(path: &'a str, text: &'a str) -> Stanzas<'a> {
    Stanzas {
        path,
        lines: lines(text).enumerate(),
        builder: StanzaBuilder::default(),
        failed: false,
    }
}

/// [`stanzas`] keeping only the fields named in `only` (lowercase): the others are checked for
/// syntax but never copied. An apt Packages index has some twenty fields per stanza, of which a
/// reader of versions needs three.
pub fn stanzas_only<'a>(path: &'a str, text: &'a str, only: &'static [&'static str]) -> Stanzas<'a> {
    Stanzas {
        builder: StanzaBuilder::only(only),
        ..stanzas(path, text)
    }
}

/// Iterator returned by [`stanzas`]; it ends after the first error.
pub struct Stanzas<'a> {
    path: &'a str,
    lines: std::iter::Enumerate<Lines<'a>>,
    builder: StanzaBuilder,
    failed: bool,
}

impl Iterator for Stanzas<'_> {
    type Item = Result<Stanza, FactError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        for (i, raw) in self.lines.by_ref() {
            let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
            match self.builder.line(self.path, lineno, raw) {
                Ok(None) => {}
                Ok(Some(st)) => return Some(Ok(st)),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        self.builder.finish().map(Ok)
    }
}

/// The lines of `text` exactly as [`str::lines`] yields them (a final `\r` dropped, no empty line
/// after a final newline), found with `memchr`: deb822 files are read a line at a time, and
/// the standard searcher's cost per call was most of a Packages index's parse.
pub fn lines(text: &str) -> Lines<'_> {
    Lines { rest: text }
}

/// Iterator returned by [`lines`].
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        // A newline byte is always a character boundary; only `\r\n` loses its `\r`.
        let Some(i) = memchr::memchr(b'\n', self.rest.as_bytes()) else {
            return Some(std::mem::take(&mut self.rest));
        };
        let line = self.rest.get(..i).unwrap_or_default();
        self.rest = self.rest.get(i + 1..).unwrap_or_default();
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// Builds stanzas from lines fed one at a time (as [`str::lines`] yields them): the one deb822
/// reader behind [`stanzas`] and the streaming read of the status file.
#[derive(Debug, Default)]
pub struct StanzaBuilder {
    cur: Stanza,
    /// The current stanza has had a field line (kept or not).
    open: bool,
    /// Keep only these fields (lowercase names); `None` keeps all.
    only: Option<&'static [&'static str]>,
    /// The last field line was one `only` leaves out: its continuation lines go too.
    skipping: bool,
    /// Field lines of the current stanza (kept or not).
    fields: usize,
}

/// Field lines one stanza may have: dpkg writes some fifteen, apt indexes some thirty. A stanza
/// of millions of one-letter fields would otherwise hold each as two strings.
pub const MAX_FIELDS: usize = 1024;

impl StanzaBuilder {
    /// A builder that keeps only the fields named in `only` (lowercase).
    pub fn only(only: &'static [&'static str]) -> Self {
        StanzaBuilder {
            only: Some(only),
            ..StanzaBuilder::default()
        }
    }

    /// Takes line `lineno` of the file read from `path`; returns the stanza it completes, if any.
    pub fn line(&mut self, path: &str, lineno: u32, raw: &str) -> Result<Option<Stanza>, FactError> {
        let cur = &mut self.cur;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            return Ok(self.finish());
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if !self.open {
                return Err(FactError::Parse {
                    path: path.into(),
                    line: lineno,
                    msg: "continuation line before any field".into(),
                });
            }
            let Some(last) = cur.fields.last_mut().filter(|_| !self.skipping) else {
                return Ok(None);
            };
            last.1.push('\n');
            last.1.push_str(line.trim());
            return Ok(None);
        }
        if line.starts_with('#') {
            // deb822(5) allows comment lines; dpkg never writes them but apt files may.
            return Ok(None);
        }
        let colon = memchr::memchr(b':', line.as_bytes());
        let Some((name, value)) = colon.and_then(|i| Some((line.get(..i)?, line.get(i + 1..)?))) else {
            return Err(FactError::Parse {
                path: path.into(),
                line: lineno,
                msg: format!("expected `Field: value`, found {:?}", truncate(line)),
            });
        };
        if !self.open {
            cur.line = lineno;
            self.open = true;
            self.fields = 0;
        }
        self.fields += 1;
        if self.fields > MAX_FIELDS {
            return Err(FactError::Parse {
                path: path.into(),
                line: lineno,
                msg: format!(
                    "the stanza starting at line {} has more than {MAX_FIELDS} fields (imagegate's bound on one stanza)",
                    cur.line
                ),
            });
        }
        let name = name.trim();
        self.skipping = self
            .only
            .is_some_and(|only| !only.iter().any(|k| k.eq_ignore_ascii_case(name)));
        if !self.skipping {
            cur.fields
                .push((name.to_ascii_lowercase(), value.trim().to_owned(), lineno));
        }
        Ok(None)
    }

    /// The stanza in progress when the text ends (or an empty line comes), if it has any field.
    pub fn finish(&mut self) -> Option<Stanza> {
        self.skipping = false;
        std::mem::take(&mut self.open).then(|| std::mem::take(&mut self.cur))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

/// States whose files are on disk (see the module doc; the integrity check reads the same ones).
pub(crate) const PRESENT_STATES: &[&str] = &[
    "installed",
    "triggers-pending",
    "triggers-awaited",
    "half-configured",
    "unpacked",
    "half-installed",
];
/// Every state dpkg knows.
const ALL_STATES: &[&str] = &[
    "not-installed",
    "config-files",
    "half-installed",
    "unpacked",
    "half-configured",
    "triggers-awaited",
    "triggers-pending",
    "installed",
];

/// Reads the status database of `fs` without holding its text: the packages are built line by
/// line as the file streams in. `Ok(None)` when the file is absent.
pub fn read(fs: &RootFs) -> Result<Option<Packages>, FactError> {
    let mut parser = StatusParser::new(STATUS);
    if !super::read_lines(fs, STATUS, |n, line| parser.line(n, line))? {
        return Ok(None);
    }
    parser.finish().map(Some)
}

/// Parses the dpkg status file read from `path`.
pub fn parse(path: &str, text: &str) -> Result<Packages, FactError> {
    let mut parser = StatusParser::new(path);
    for (i, raw) in text.lines().enumerate() {
        parser.line(u32::try_from(i + 1).unwrap_or(u32::MAX), raw)?;
    }
    parser.finish()
}

/// The fields of a status stanza the package list reads.
const STATUS_FIELDS: &[&str] = &["package", "status", "version", "architecture", "source"];

/// The status file's packages, built as its lines come.
struct StatusParser<'a> {
    path: &'a str,
    stanzas: StanzaBuilder,
    records: Vec<Package>,
    /// Architecture of the `dpkg` package.
    native: Option<CompactString>,
}

impl<'a> StatusParser<'a> {
    fn new(path: &'a str) -> Self {
        StatusParser {
            path,
            stanzas: StanzaBuilder::only(STATUS_FIELDS),
            records: Vec::new(),
            native: None,
        }
    }

    fn line(&mut self, lineno: u32, raw: &str) -> Result<(), FactError> {
        match self.stanzas.line(self.path, lineno, raw)? {
            Some(st) => self.stanza(&st),
            None => Ok(()),
        }
    }

    fn finish(mut self) -> Result<Packages, FactError> {
        if let Some(st) = self.stanzas.finish() {
            self.stanza(&st)?;
        }
        Ok(group(
            Manager::Dpkg,
            self.path,
            self.records,
            self.native.as_deref(),
            dpkg_cmp,
        ))
    }

    fn stanza(&mut self, st: &Stanza) -> Result<(), FactError> {
        let path = self.path;
        let err = |line: u32, msg: String| FactError::Parse {
            path: path.into(),
            line,
            msg,
        };
        let Some((name, _)) = st.get("package") else {
            return Err(err(
                st.line,
                "stanza without a Package field (truncated or damaged status file?)".into(),
            ));
        };
        let Some((status, sline)) = st.get("status") else {
            return Err(err(
                st.line,
                format!("package {name}: missing Status field (truncated status file?)"),
            ));
        };
        let mut words = status.split_whitespace();
        let (Some(_want), Some(_flag), Some(state), None) = (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(err(
                sline,
                format!("package {name}: Status must have three words, found {status:?}"),
            ));
        };
        let Some(state) = ALL_STATES.iter().find(|s| **s == state) else {
            return Err(err(sline, format!("package {name}: unknown package state {state:?}")));
        };
        if !PRESENT_STATES.contains(state) {
            return Ok(());
        }
        let Some((version, _)) = st.get("version") else {
            return Err(err(
                st.line,
                format!("package {name}: {state} but no Version field (truncated status file?)"),
            ));
        };
        let arch = st.get("architecture").map(|(a, _)| CompactString::from(a));
        if name == "dpkg" {
            self.native.clone_from(&arch);
        }
        // `Source: openssh (1:9.6p1-3ubuntu13)` names the source package and, when it differs,
        // its version; we keep the name.
        let source_package = st
            .get("source")
            .and_then(|(s, _)| s.split_whitespace().next())
            .unwrap_or(name);
        self.records.push(Package::record(
            name.into(),
            source_package.into(),
            Instance {
                version: version.into(),
                arch,
                state: (*state).into(),
                source: Source::at(path, st.line),
            },
        ));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.22.6ubuntu6\n\
Description: Debian package management system\n This package provides the low-level\n .\n infrastructure\n\n\
Package: openssh-server\nStatus: install ok installed\nArchitecture: amd64\nSource: openssh (1:9.6p1-3ubuntu13.5)\nVersion: 1:9.6p1-3ubuntu13.5\n\n\
Package: telnetd\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 0.17+2.5-3\n\n\
Package: libc6\nStatus: install ok installed\nArchitecture: i386\nVersion: 2.39-0ubuntu8.3\n\n\
Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.39-0ubuntu8.3\n\n\
Package: rsh-server\nStatus: install reinstreq half-installed\nArchitecture: amd64\nVersion: 0.17-24";

    #[test]
    fn lines_are_those_of_str_lines() {
        for t in [
            "",
            "\n",
            "a",
            "a\n",
            "a\n\n",
            "\n\na",
            "a\r\nb\r\n",
            "a\rb\n\r",
            "é: ü\n ç\r\n\r\n",
            "x\n\r\n\r",
        ] {
            assert_eq!(lines(t).collect::<Vec<_>>(), t.lines().collect::<Vec<_>>(), "{t:?}");
        }
    }

    #[test]
    fn keeping_only_some_fields_keeps_their_values_lines_and_errors() {
        const ONLY: &[&str] = &["package", "version", "description"];
        let all = parse_stanzas("/s", SAMPLE).unwrap();
        let some: Vec<Stanza> = stanzas_only("/s", SAMPLE, ONLY).collect::<Result<_, _>>().unwrap();
        assert_eq!(all.len(), some.len());
        for (a, b) in all.iter().zip(&some) {
            assert_eq!(a.line, b.line);
            let kept: Vec<_> = a.fields.iter().filter(|f| ONLY.contains(&f.0.as_str())).collect();
            assert_eq!(kept, b.fields.iter().collect::<Vec<_>>());
        }
        assert!(
            some[0]
                .get("description")
                .is_some_and(|(d, _)| d.ends_with("\n.\ninfrastructure"))
        );
        assert!(some[0].get("status").is_none());
        // A skipped field's continuation lines are skipped with it; syntax errors still count.
        let text = "Package: a\nDepends: x,\n y\nVersion: 1\n\n y\n";
        let mut it = stanzas_only("/s", text, ONLY);
        let first = it.next().unwrap().unwrap();
        assert_eq!(first.fields.len(), 2);
        let err = it.next().unwrap().unwrap_err().to_string();
        assert!(err.contains("/s:6") && err.contains("continuation"), "{err}");
        // A stanza with none of the fields is still a stanza (its line is known).
        let st = stanzas_only("/s", "Foo: bar\n", ONLY).next().unwrap().unwrap();
        assert_eq!((st.fields.len(), st.line), (0, 1));
    }

    /// A stanza of more fields than the bound is an error at the field past it.
    #[test]
    fn a_stanza_past_the_field_bound_is_an_error() {
        let mut text = String::from("Package: a\n");
        for i in 1..MAX_FIELDS {
            text.push_str(&format!("X{i}: v\n"));
        }
        assert_eq!(parse_stanzas("/s", &text).unwrap()[0].fields.len(), MAX_FIELDS);
        text.push_str("Package: b\n\nPackage: c\n");
        let e = stanzas_only("/s", &text, &["package"])
            .next()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "/s:{}: the stanza starting at line 1 has more than {MAX_FIELDS} fields (imagegate's bound on one stanza)",
                MAX_FIELDS + 1
            )
        );
    }

    /// Stanzas are built in linear time: long fields, long continuations, many stanzas.
    #[test]
    fn stanzas_are_built_in_linear_time() {
        crate::testing::assert_linear("deb822 stanzas", 8 << 20, |n| {
            let mut text = String::with_capacity(n + 256);
            let mut i = 0;
            while text.len() < n / 2 {
                text.push_str(&format!("Package: p{i}\nVersion: 1.{i}\nDescription: d\n more {i}\n\n"));
                i += 1;
            }
            text.push_str("Package: long\nDescription: ");
            text.push_str(&"x".repeat(n / 4));
            text.push('\n');
            for _ in 0..(n / 4) / 64 {
                text.push(' ');
                text.push_str(&"y".repeat(62));
                text.push('\n');
            }
            let count = stanzas("/s", &text).filter(Result::is_ok).count();
            assert_eq!(count, i + 1);
        });
    }

    #[test]
    fn continuation_lines_and_missing_final_newline_are_fine() {
        let p = parse(STATUS, SAMPLE).unwrap();
        assert_eq!(p.get("dpkg").unwrap().version, "1.22.6ubuntu6");
        assert_eq!(p.get("rsh-server").unwrap().state, "half-installed");
    }

    #[test]
    fn config_files_state_is_not_installed() {
        let p = parse(STATUS, SAMPLE).unwrap();
        assert!(p.get("telnetd").is_none());
        assert_eq!(p.count, 4);
    }

    #[test]
    fn source_field_keeps_the_name_and_the_stanza_line() {
        let p = parse(STATUS, SAMPLE).unwrap();
        let o = p.get("openssh-server").unwrap();
        assert_eq!(o.source_package, "openssh");
        assert_eq!(o.source, Source::at(STATUS, 10));
        assert_eq!(p.get("dpkg").unwrap().source_package, "dpkg");
    }

    #[test]
    fn multiarch_duplicate_prefers_native_arch() {
        let p = parse(STATUS, SAMPLE).unwrap();
        let libc = p.get("libc6").unwrap();
        assert_eq!(libc.arch.as_deref(), Some("amd64"));
        assert_eq!(libc.also.len(), 1);
        assert_eq!(libc.also[0].arch.as_deref(), Some("i386"));
    }

    #[test]
    fn truncated_stanza_without_version_is_an_error_with_its_line() {
        let text = "Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nStatus: install ok inst";
        let e = parse(STATUS, text).unwrap_err().to_string();
        assert!(e.contains("unknown package state"), "{e}");
        let text = "Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nStatus: install ok installed\n";
        let e = parse(STATUS, text).unwrap_err().to_string();
        assert_eq!(
            e,
            "/var/lib/dpkg/status:5: package b: installed but no Version field (truncated status file?)"
        );
    }

    #[test]
    fn garbage_line_is_a_parse_error() {
        let e = parse(STATUS, "Package: a\nthis is not a field\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/var/lib/dpkg/status:2:"), "{e}");
    }

    #[test]
    fn streamed_read_matches_the_parse_of_the_whole_text() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("var/lib/dpkg")).unwrap();
        let fs = RootFs::open(dir.path()).unwrap();
        assert!(read(&fs).unwrap().is_none());
        // Longer than one read chunk, so stanzas are cut between reads.
        let mut big = String::new();
        for i in 0..3000 {
            big.push_str(&format!(
                "Package: p{i}\r\nStatus: install ok installed\nArchitecture: {}\nVersion: 1.{}\nDescription: x\n y\n\n",
                if i % 3 == 0 { "i386" } else { "amd64" },
                i % 7
            ));
        }
        let garbage_then_nul = "Package: a\nnot a field\n\nPackage: b\0\n";
        let bad_then_garbage = "Package: a\nStatus: install ok installed\n\nPackage: b\nnot a field\n";
        for text in [SAMPLE, &big, "", "\n\n", garbage_then_nul, bad_then_garbage] {
            std::fs::write(dir.path().join("var/lib/dpkg/status"), text).unwrap();
            let streamed = read(&fs).map(|p| serde_json::to_string(&p.unwrap()).unwrap());
            let whole = fs
                .read_text_limited(STATUS, super::super::TEXT_DB_LIMIT)
                .map_err(FactError::from)
                .and_then(|t| parse(STATUS, &t.unwrap()))
                .map(|p| serde_json::to_string(&p).unwrap());
            match (streamed, whole) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("{a:?} vs {b:?}"),
            }
        }
    }

    #[test]
    fn field_names_are_case_insensitive_and_crlf_tolerated() {
        let p = parse(STATUS, "package: a\r\nSTATUS: install ok installed\r\nversion: 1.0\r\n").unwrap();
        assert_eq!(p.get("a").unwrap().version, "1.0");
    }
}
