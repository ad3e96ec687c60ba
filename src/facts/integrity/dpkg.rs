//! The digests dpkg recorded for installed packages, as debsums(1) reads them:
//!
//! - `/var/lib/dpkg/info/<pkg>.md5sums` (`<pkg>:<arch>.md5sums` for `Multi-Arch: same`
//!   packages): one `<md5>  <path relative to />` line per ordinary file, written by
//!   dh_md5sums at build time (conffiles are not in it).
//! - The status file's `Conffiles:` field: ` /etc/path <md5>` per conffile, optionally followed by
//!   `obsolete` or `remove-on-upgrade` (deb-conffiles(5)); obsolete entries and the `newconffile`
//!   placeholder of an interrupted unpack are skipped, as debsums skips them.
//! - `/var/lib/dpkg/diversions` (dpkg-divert(1)): line triples `from`, `to`, diverting package
//!   (`:` for a local diversion); another package's file at `from` really lives at `to`.
//!
//! Checked packages: those in the status file whose files are on disk (the same states the
//! package list counts). A package without an md5sums file is listed under `no_digests`, unless
//! its `.list` names no regular file at all (metapackages, transitional packages: nothing to
//! verify); a missing `.list` proves nothing, so that package is listed.

use std::collections::BTreeMap;

use super::{Algo, Item, NoDigests};
use crate::facts::packages::dpkg::{PRESENT_STATES, STATUS, Stanza, StanzaBuilder, lines};
use crate::facts::{FactError, Source};
use crate::rootfs::{Budget, Kind, RootFs, limits};

/// dpkg's per-package metadata directory.
pub const INFO: &str = "/var/lib/dpkg/info";
/// dpkg's diversion database.
pub const DIVERSIONS: &str = "/var/lib/dpkg/diversions";
/// Bound on one md5sums/list file (the largest Debian packages list ~100k files, ~10 MiB).
const META_LIMIT: u64 = limits::DPKG_INFO_FILE;
/// Bound on the status file (as the package list reads it).
const STATUS_LIMIT: u64 = limits::TEXT_DB;

/// One diversion: `from` of packages other than `by` lives at `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diversion {
    /// The diverted path.
    pub to: String,
    /// The diverting package (`None` for a local diversion, which applies to every package).
    pub by: Option<String>,
}

/// Parses /var/lib/dpkg/diversions (line triples; a trailing incomplete triple is an error).
pub fn parse_diversions(text: &str) -> Result<BTreeMap<String, Diversion>, FactError> {
    let lines: Vec<&str> = text.lines().collect();
    if !lines.len().is_multiple_of(3) {
        return Err(FactError::Parse {
            path: DIVERSIONS.into(),
            line: u32::try_from(lines.len()).unwrap_or(u32::MAX),
            msg: "diversions must come in triples of lines (from, to, package)".into(),
        });
    }
    Ok(lines
        .chunks(3)
        .filter_map(|c| match c {
            [from, to, by] => Some((
                (*from).to_owned(),
                Diversion {
                    to: (*to).to_owned(),
                    by: (*by != ":").then(|| (*by).to_owned()),
                },
            )),
            _ => None,
        })
        .collect())
}

/// Parses one md5sums file: `(md5, absolute path, line)`; a malformed line is an error.
pub fn parse_md5sums(path: &str, text: &str) -> Result<Vec<(String, String, u32)>, FactError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if line.trim().is_empty() {
            continue;
        }
        // `md5sum` output: 32 hex digits, two separators (space and ` ` or `*`), the path.
        let (sum, rest) = line.split_at_checked(32).unwrap_or((line, ""));
        let file = rest.strip_prefix("  ").or_else(|| rest.strip_prefix(" *"));
        match file {
            Some(f) if sum.bytes().all(|b| b.is_ascii_hexdigit()) && !f.is_empty() => {
                out.push((
                    sum.to_ascii_lowercase(),
                    format!("/{}", f.trim_start_matches('/')),
                    lineno,
                ));
            }
            _ => {
                return Err(FactError::Parse {
                    path: path.into(),
                    line: lineno,
                    msg: "expected `<md5>  <path>`".into(),
                });
            }
        }
    }
    Ok(out)
}

/// Parses a `Conffiles:` field value (continuation lines joined with `\n`, first line empty):
/// `(path, md5, line offset)` of each conffile still in force.
pub fn parse_conffiles(value: &str) -> Vec<(String, String, u32)> {
    value
        .split('\n')
        .enumerate()
        .filter_map(|(i, l)| {
            let mut w = l.split_whitespace();
            let (path, sum) = (w.next()?, w.next()?);
            let flag = w.next();
            (flag != Some("obsolete") && sum.len() == 32 && sum.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| (path.to_owned(), sum.to_ascii_lowercase(), u32::try_from(i).unwrap_or(0)))
        })
        .collect()
}

fn divert(path: String, pkg: &str, div: &BTreeMap<String, Diversion>) -> String {
    match div.get(&path) {
        Some(d) if d.by.as_deref() != Some(pkg) => d.to.clone(),
        _ => path,
    }
}

/// Whether the package may have regular files: its `.list` names one (metapackages name only
/// directories), or there is no `.list` at all (then nothing says the package has no files).
fn lists_regular_files(fs: &RootFs, base: &str, budget: &mut Budget) -> Result<bool, FactError> {
    let path = format!("{INFO}/{base}.list");
    let Some(text) = fs.read_text_limited(&path, META_LIMIT)? else {
        return Ok(true);
    };
    budget.charge(&path, text.len() as u64)?;
    for l in text.lines().filter(|l| l.starts_with('/')) {
        if let Some(m) = fs.symlink_metadata(l)?
            && m.kind == Kind::File
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The fields of a status stanza the digests are read from.
const FIELDS: &[&str] = &[
    "package",
    "status",
    "version",
    "architecture",
    "multi-arch",
    "conffiles",
];

/// The files to verify, the packages without digests, and the number of packages checked. The
/// status file is streamed (only the fields above kept), and the md5sums and list files read are
/// bounded together ([`limits::DPKG_INFO_TOTAL`]).
pub fn items(fs: &RootFs) -> Result<(Vec<Item>, Vec<NoDigests>, usize), FactError> {
    let div = match fs.read_text(DIVERSIONS)? {
        Some(t) => parse_diversions(&t)?,
        None => BTreeMap::new(),
    };
    let mut items = Vec::new();
    let mut none = Vec::new();
    let mut checked = 0;
    let mut budget = Budget::new("dpkg md5sums and list files", limits::DPKG_INFO_TOTAL);
    let mut each = |st: Stanza| -> Result<(), FactError> {
        let Some(pkg) = present(&st) else { return Ok(()) };
        let version = st.get("version").map_or("", |(v, _)| v);
        let arch = st.get("architecture").map(|(a, _)| a);
        let multi = st.get("multi-arch").is_some_and(|(m, _)| m == "same");
        // dpkg names the files of `Multi-Arch: same` packages `<pkg>:<arch>.*`.
        let bases: Vec<String> = match arch {
            Some(a) if multi => vec![format!("{pkg}:{a}"), pkg.to_owned()],
            _ => vec![pkg.to_owned(), arch.map(|a| format!("{pkg}:{a}")).unwrap_or_default()],
        };
        let mut found = None;
        for b in bases.iter().filter(|b| !b.is_empty()) {
            let p = format!("{INFO}/{b}.md5sums");
            if let Some(t) = fs.read_text_limited(&p, META_LIMIT)? {
                budget.charge(&p, t.len() as u64)?;
                found = Some((p, t, b.clone()));
                break;
            }
        }
        let mut any = false;
        if let Some((conf, line)) = st.get("conffiles") {
            for (path, sum, off) in parse_conffiles(conf) {
                any = true;
                items.push(Item {
                    package: pkg.to_owned(),
                    path: divert(path, pkg, &div),
                    algo: Algo::Md5,
                    expected: sum,
                    conffile: true,
                    source: Source::at(STATUS, line + off),
                });
            }
        }
        match found {
            Some((p, text, _)) => {
                for (sum, path, line) in parse_md5sums(&p, &text)? {
                    any = true;
                    items.push(Item {
                        package: pkg.to_owned(),
                        path: divert(path, pkg, &div),
                        algo: Algo::Md5,
                        expected: sum,
                        conffile: false,
                        source: Source::at(&p, line),
                    });
                }
            }
            None => {
                let base = bases.first().cloned().unwrap_or_default();
                if lists_regular_files(fs, &base, &mut budget)? {
                    none.push(NoDigests {
                        package: pkg.to_owned(),
                        version: version.to_owned(),
                        reason: format!("no {INFO}/{base}.md5sums"),
                        source: Source::at(STATUS, st.line),
                    });
                }
            }
        }
        if any {
            checked += 1;
        }
        Ok(())
    };
    let mut stanzas = StanzaBuilder::only(FIELDS);
    let mut failed = None;
    let mut n = 0u32;
    let found = fs.read_text_chunks(STATUS, STATUS_LIMIT, |chunk| {
        for l in lines(chunk) {
            if failed.is_some() {
                return;
            }
            n = n.saturating_add(1);
            failed = match stanzas.line(STATUS, n, l) {
                Ok(Some(st)) => each(st).err(),
                Ok(None) => None,
                Err(e) => Some(e),
            };
        }
    })?;
    if found.is_none() {
        return Err(FactError::Vanished { path: STATUS.into() });
    }
    if let Some(e) = failed {
        return Err(e);
    }
    if let Some(st) = stanzas.finish() {
        each(st)?;
    }
    Ok((items, none, checked))
}

/// The package name of a stanza whose files are on disk.
fn present(st: &Stanza) -> Option<&str> {
    let (name, _) = st.get("package")?;
    let (status, _) = st.get("status")?;
    let state = status.split_whitespace().nth(2)?;
    PRESENT_STATES.contains(&state).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5sums_paths_become_absolute_and_binary_marker_is_accepted() {
        let t = "d41d8cd98f00b204e9800998ecf8427e  usr/bin/x\nD41D8CD98F00B204E9800998ECF8427E *usr/lib/with space\n";
        let v = parse_md5sums("/m", t).unwrap();
        assert_eq!(v[0].1, "/usr/bin/x");
        assert_eq!(v[1].1, "/usr/lib/with space");
        assert_eq!(v[1].0, "d41d8cd98f00b204e9800998ecf8427e");
        assert!(parse_md5sums("/m", "garbage\n").is_err());
        assert!(parse_md5sums("/m", "d41d8cd98f00b204e9800998ecf8427e usr/bin/x\n").is_err());
    }

    #[test]
    fn obsolete_conffiles_and_newconffile_placeholder_are_skipped() {
        let v = parse_conffiles(
            "\n/etc/a 500e3a4a2d1b5e2d3e1b64b8a7b1c5a4\n/etc/b 3649a6fe8c18ad1d5245fd91737de507 obsolete\n/etc/c newconffile\n/etc/d 8b4c7a12b031424b2a9946881da59812 remove-on-upgrade",
        );
        let paths: Vec<_> = v.iter().map(|(p, _, o)| (p.as_str(), *o)).collect();
        assert_eq!(paths, [("/etc/a", 1), ("/etc/d", 4)]);
    }

    #[test]
    fn diversion_applies_to_other_packages_only() {
        let d = parse_diversions("/bin/sh\n/bin/sh.distrib\ndash\n/etc/x\n/etc/x.orig\n:\n").unwrap();
        assert_eq!(divert("/bin/sh".into(), "dash", &d), "/bin/sh");
        assert_eq!(divert("/bin/sh".into(), "bash", &d), "/bin/sh.distrib");
        assert_eq!(divert("/etc/x".into(), "any", &d), "/etc/x.orig");
        assert!(parse_diversions("/a\n/b\n").is_err());
    }
}
