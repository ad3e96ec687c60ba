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

use super::{Instance, Manager, Packages, Record, group};
use crate::facts::{FactError, Source};
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
        lines: text.lines().enumerate(),
        failed: false,
    }
}

/// Iterator returned by [`stanzas`]; it ends after the first error.
pub struct Stanzas<'a> {
    path: &'a str,
    lines: std::iter::Enumerate<std::str::Lines<'a>>,
    failed: bool,
}

impl Iterator for Stanzas<'_> {
    type Item = Result<Stanza, FactError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let mut cur = Stanza::default();
        for (i, raw) in self.lines.by_ref() {
            let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim().is_empty() {
                if !cur.fields.is_empty() {
                    return Some(Ok(cur));
                }
                continue;
            }
            if line.starts_with(' ') || line.starts_with('\t') {
                let Some(last) = cur.fields.last_mut() else {
                    self.failed = true;
                    return Some(Err(FactError::Parse {
                        path: self.path.into(),
                        line: lineno,
                        msg: "continuation line before any field".into(),
                    }));
                };
                last.1.push('\n');
                last.1.push_str(line.trim());
                continue;
            }
            if line.starts_with('#') {
                // deb822(5) allows comment lines; dpkg never writes them but apt files may.
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                self.failed = true;
                return Some(Err(FactError::Parse {
                    path: self.path.into(),
                    line: lineno,
                    msg: format!("expected `Field: value`, found {:?}", truncate(line)),
                }));
            };
            if cur.fields.is_empty() {
                cur.line = lineno;
            }
            cur.fields
                .push((name.trim().to_ascii_lowercase(), value.trim().to_owned(), lineno));
        }
        (!cur.fields.is_empty()).then_some(Ok(cur))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

/// States whose files are on disk (see the module doc).
const PRESENT_STATES: &[&str] = &[
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

/// Parses the dpkg status file read from `path`.
pub fn parse(path: &str, text: &str) -> Result<Packages, FactError> {
    let mut records = Vec::new();
    let mut native: Option<String> = None;
    for st in stanzas(path, text) {
        let st = st?;
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
        let words: Vec<&str> = status.split_whitespace().collect();
        let [_want, _flag, state] = words.as_slice() else {
            return Err(err(
                sline,
                format!("package {name}: Status must have three words, found {status:?}"),
            ));
        };
        if !ALL_STATES.contains(state) {
            return Err(err(sline, format!("package {name}: unknown package state {state:?}")));
        }
        if !PRESENT_STATES.contains(state) {
            continue;
        }
        let Some((version, _)) = st.get("version") else {
            return Err(err(
                st.line,
                format!("package {name}: {state} but no Version field (truncated status file?)"),
            ));
        };
        let arch = st.get("architecture").map(|(a, _)| a.to_owned());
        if name == "dpkg" {
            native.clone_from(&arch);
        }
        // `Source: openssh (1:9.6p1-3ubuntu13)` names the source package and, when it differs,
        // its version; we keep the name.
        let source_package = st
            .get("source")
            .and_then(|(s, _)| s.split_whitespace().next())
            .unwrap_or(name)
            .to_owned();
        records.push(Record {
            name: name.to_owned(),
            source_package,
            instance: Instance {
                version: version.to_owned(),
                arch,
                state: (*state).to_owned(),
                source: Source::at(path, st.line),
            },
        });
    }
    Ok(group(Manager::Dpkg, path, records, native.as_deref(), dpkg_cmp))
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
    fn field_names_are_case_insensitive_and_crlf_tolerated() {
        let p = parse(STATUS, "package: a\r\nSTATUS: install ok installed\r\nversion: 1.0\r\n").unwrap();
        assert_eq!(p.get("a").unwrap().version, "1.0");
    }
}
