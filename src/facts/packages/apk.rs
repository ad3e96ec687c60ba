//! /lib/apk/db/installed, apk-tools' installed database (apk-tools doc/apk-v2 "installed database"
//! format, the same letters as APKINDEX): records separated by empty lines, each line a one-letter
//! key, a colon and the value. Used here: `P` name, `V` version, `A` architecture, `o` origin
//! (source package). Ignored: file lists (`F`, `R`, `a`, `M`, `Z`), checksums, dependencies.
//!
//! Every package in the file is installed (apk keeps no removed-package records). A record without
//! `P` or `V` is an error carrying its line (the file is damaged or truncated).

use compact_str::CompactString;

use super::{Instance, Manager, Package, Packages, group};
use crate::facts::{FactError, Source};
use crate::rootfs::RootFs;

/// Path of the installed database.
pub const INSTALLED: &str = "/lib/apk/db/installed";

/// Reads the installed database of `fs` line by line as it streams in, without holding its text.
/// `Ok(None)` when the file is absent.
pub fn read(fs: &RootFs) -> Result<Option<Packages>, FactError> {
    let mut parser = Parser::new(INSTALLED);
    if !super::read_lines(fs, INSTALLED, |n, line| parser.line(n, line))? {
        return Ok(None);
    }
    parser.finish().map(Some)
}

/// Parses the apk installed database read from `path`.
pub fn parse(path: &str, text: &str) -> Result<Packages, FactError> {
    let mut parser = Parser::new(path);
    for (i, raw) in text.lines().enumerate() {
        parser.line(u32::try_from(i + 1).unwrap_or(u32::MAX), raw)?;
    }
    parser.finish()
}

/// The record being read.
#[derive(Default)]
struct Cur {
    line: u32,
    p: Option<CompactString>,
    v: Option<CompactString>,
    a: Option<CompactString>,
    o: Option<CompactString>,
}

/// The database's packages, built as its lines come.
struct Parser<'a> {
    path: &'a str,
    cur: Option<Cur>,
    records: Vec<Package>,
    /// Architecture of the `apk-tools` package.
    native: Option<CompactString>,
}

impl<'a> Parser<'a> {
    fn new(path: &'a str) -> Self {
        Parser {
            path,
            cur: None,
            records: Vec::new(),
            native: None,
        }
    }

    fn line(&mut self, lineno: u32, raw: &str) -> Result<(), FactError> {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            if let Some(c) = self.cur.take() {
                self.record(c)?;
            }
            return Ok(());
        }
        let Some((key, value)) = line.split_once(':').filter(|(k, _)| k.len() == 1) else {
            return Err(FactError::Parse {
                path: self.path.into(),
                line: lineno,
                msg: "expected a one-letter `K:value` line".into(),
            });
        };
        let c = self.cur.get_or_insert_with(|| Cur {
            line: lineno,
            ..Cur::default()
        });
        let v = Some(CompactString::from(value));
        match key {
            "P" => c.p = v,
            "V" => c.v = v,
            "A" => c.a = v,
            "o" => c.o = v,
            _ => {}
        }
        Ok(())
    }

    fn record(&mut self, c: Cur) -> Result<(), FactError> {
        let (Some(name), Some(version)) = (c.p, c.v) else {
            return Err(FactError::Parse {
                path: self.path.into(),
                line: c.line,
                msg: "package record without P: (name) or V: (version) (truncated database?)".into(),
            });
        };
        if name == "apk-tools" {
            self.native.clone_from(&c.a);
        }
        self.records.push(Package::record(
            name.clone(),
            c.o.unwrap_or(name),
            Instance {
                version,
                arch: c.a,
                state: "installed".into(),
                source: Source::at(self.path, c.line),
            },
        ));
        Ok(())
    }

    fn finish(mut self) -> Result<Packages, FactError> {
        if let Some(c) = self.cur.take() {
            self.record(c)?;
        }
        // apk never installs two versions of one name, so the version ordering only breaks ties
        // that cannot occur; plain string order keeps it deterministic.
        Ok(group(
            Manager::Apk,
            self.path,
            self.records,
            self.native.as_deref(),
            |a, b| a.cmp(b),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_with_origin_and_file_lists() {
        let text = "C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\nS:411512\no:musl\nF:lib\nR:libc.musl-x86_64.so.1\na:0:0:777\n\n\
C:Q1def=\nP:openssh-server\nV:9.7_p1-r4\nA:x86_64\no:openssh\n";
        let p = parse(INSTALLED, text).unwrap();
        assert_eq!(p.count, 2);
        let o = p.get("openssh-server").unwrap();
        assert_eq!(
            (o.version.as_str(), o.source_package.as_str()),
            ("9.7_p1-r4", "openssh")
        );
        assert_eq!(o.source, Source::at(INSTALLED, 11));
    }

    #[test]
    fn record_without_version_is_an_error() {
        let e = parse(INSTALLED, "P:musl\nV:1\n\nP:busybox\nA:x86_64\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/lib/apk/db/installed:4:"), "{e}");
    }

    #[test]
    fn non_key_line_is_an_error() {
        assert!(parse(INSTALLED, "P:musl\nhello world\n").is_err());
    }
}
