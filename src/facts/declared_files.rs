//! Files that rules declare: a site's own "this file exists, mode 0600, owned by root, and
//! carries our banner" without a code change.
//!
//! A rule declares a path or a glob by naming it as the key of this group in a fact path:
//! `declared_files["/etc/motd"].file.lines`, `declared_files["/etc/app/*.conf"].files`. The scan
//! collects exactly the keys its selected rules name (no rule, nothing read; `imagegate facts`
//! alone declares none). Each key gives:
//!
//! - `present`: whether the path exists (a glob: whether anything matches), sourced at the path;
//! - `files`: every matching path (a plain path that exists: one), in byte order, each with
//!   `path`, `kind`, `mode` (4-digit octal), `uid`, `gid`, `owner`, `group` (names from the
//!   image's /etc/passwd and /etc/group, the number when it has none), `size` and `lines`;
//! - `file`: for a plain path, that one file (absent when the path does not exist); for a glob,
//!   an error telling the rule to quantify over `files`, so a check of `file.mode` on a glob can
//!   never pass.
//!
//! `lines` are the file's lines, each sourced at its file and 1-based line, so
//! `{ fact = '…file.lines', some = { matches = "^Authorized" } }` names the line that matched.
//! Everything is read through [`RootFs`] with its bounds: links are followed inside the root
//! only, FIFOs and devices are refused unread, a glob expands to at most
//! [`crate::rootfs::GLOB_LIMIT`] paths. A file's lines are read up to [`LINES_LIMIT`] bytes, and
//! all declared files together up to [`TOTAL_LIMIT`]; a file past either bound, not text (a NUL
//! byte), or unreadable gives `lines` as an error with the reason, so a content check on it ends
//! in error, never in a pass. A key that is not an absolute path, or that uses `**`, is an error
//! of its own rules.
use std::collections::BTreeMap;

use serde::Serialize;

use super::files::IdNames;
use super::{Collected, Context, Fact, FactError, Source};
use crate::rootfs::{Kind, RootFs};

/// The group's name: the first segment of the fact paths that declare files.
pub const GROUP: &str = "declared_files";

/// The most bytes of one declared file read for its `lines`.
pub const LINES_LIMIT: u64 = 1 << 20;

/// The most bytes read for `lines` over all declared files of one scan.
pub const TOTAL_LIMIT: u64 = 64 << 20;

/// What the rules declared, by the key they named.
pub type DeclaredFiles = BTreeMap<String, Collected<Declared>>;

/// One declared path or glob.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Declared {
    /// Whether the path exists, or the glob matches anything.
    pub present: Fact<bool>,
    /// Every matching path, in byte order.
    pub files: Vec<DeclaredFile>,
    /// The file of a plain path (absent when it does not exist); an error for a glob.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Collected<DeclaredFile>>,
}

/// One file a declaration matched. Every value is sourced at the file (a followed symbolic link
/// says so in the source's note).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeclaredFile {
    /// In-image path.
    pub path: String,
    /// `file`, `directory`, `symlink` (a link whose target is outside the root's reach), …
    pub kind: Fact<String>,
    /// Permission bits, 4-digit octal (`"0640"`), for `mode_max` and `eq`.
    pub mode: Fact<String>,
    /// Owner uid.
    pub uid: Fact<u32>,
    /// Group gid.
    pub gid: Fact<u32>,
    /// Owner name from the image's /etc/passwd, else the uid as a number.
    pub owner: Fact<String>,
    /// Group name from the image's /etc/group, else the gid as a number.
    pub group: Fact<String>,
    /// Size in bytes.
    pub size: Fact<u64>,
    /// The lines of a regular file, each sourced at its line; an error when they could not be
    /// read in full.
    pub lines: Collected<Vec<Fact<String>>>,
}

/// The keys the selected rules declared (`declared_files.KEY` entries of [`Context::wanted`]).
fn declared_keys(ctx: &Context) -> Vec<String> {
    let prefix = format!("{GROUP}.");
    ctx.wanted
        .iter()
        .flatten()
        .filter_map(|w| w.strip_prefix(&prefix))
        .map(str::to_owned)
        .collect()
}

fn has_glob_meta(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Reads what the selected rules declared.
pub fn collect(fs: &RootFs, ctx: &Context) -> Result<DeclaredFiles, FactError> {
    let keys = declared_keys(ctx);
    let mut out = BTreeMap::new();
    if keys.is_empty() {
        return Ok(out);
    }
    let ids = IdNames::load(fs)?;
    let mut budget = TOTAL_LIMIT;
    for key in keys {
        let entry = declared(fs, &ids, &key, &mut budget).into();
        out.insert(key, entry);
    }
    Ok(out)
}

fn declared(fs: &RootFs, ids: &IdNames, key: &str, budget: &mut u64) -> Result<Declared, FactError> {
    if !key.starts_with('/') {
        return Err(FactError::DeclaredPath {
            key: key.into(),
            why: "a declared path must be absolute (start with /)",
        });
    }
    if key.contains("**") {
        return Err(FactError::DeclaredPath {
            key: key.into(),
            why: "`**` is not supported; a glob matches within one directory level per component",
        });
    }
    let glob = has_glob_meta(key);
    let paths = if glob {
        fs.glob(key)?
    } else if fs.symlink_metadata(key)?.is_some() {
        vec![key.to_owned()]
    } else {
        Vec::new()
    };
    let mut files = Vec::with_capacity(paths.len());
    for p in &paths {
        files.push(one_file(fs, ids, p, budget)?);
    }
    let present = Fact::new(
        !files.is_empty(),
        match (glob, files.len()) {
            (false, _) => Source::file(key),
            (true, 0) => Source::note(format!("no path matches {key}")),
            (true, n) => Source::note(format!("{n} paths match {key}")),
        },
    );
    let file = if glob {
        Some(Collected::error(format!(
            "{key} is a glob: check its `files` with every, some or none"
        )))
    } else {
        files.first().cloned().map(Collected::Ok)
    };
    Ok(Declared { present, files, file })
}

fn one_file(fs: &RootFs, ids: &IdNames, path: &str, budget: &mut u64) -> Result<DeclaredFile, FactError> {
    let link = fs.symlink_metadata(path)?;
    let is_link = link.as_ref().is_some_and(|l| l.kind == Kind::Symlink);
    // A link is followed inside the root, as stat(1) would; a dangling one is reported as the link.
    let followed = if is_link { fs.metadata(path)? } else { None };
    let Some(meta) = followed.or(link) else {
        return Err(FactError::Vanished { path: path.into() });
    };
    let source = if is_link {
        let target = fs.read_link(path)?.unwrap_or_default();
        Source {
            path: Some(path.to_owned()),
            line: None,
            note: Some(format!("symbolic link to {target}")),
        }
    } else {
        Source::file(path)
    };
    let fact = |v| Fact::new(v, source.clone());
    let lines = if meta.kind == Kind::Symlink {
        Collected::error(format!(
            "{path} is a symbolic link whose target does not exist inside the root: it has no lines"
        ))
    } else if meta.kind != Kind::File {
        Collected::error(format!(
            "{path} is a {}, not a regular file: it has no lines",
            meta.kind
        ))
    } else if meta.size > LINES_LIMIT {
        Collected::error(format!(
            "{path} is {} bytes, more than the {LINES_LIMIT} bytes read of a declared file",
            meta.size
        ))
    } else if meta.size > *budget {
        Collected::error(format!(
            "{path}: the declared files of this scan exceed {TOTAL_LIMIT} bytes together; this one was not read"
        ))
    } else {
        *budget -= meta.size;
        match fs.read_text_limited(path, LINES_LIMIT) {
            Ok(Some(text)) => Collected::Ok(
                text.lines()
                    .zip(1u32..)
                    .map(|(l, n)| Fact::new(l.to_owned(), Source::at(path, n)))
                    .collect(),
            ),
            Ok(None) => Collected::error(format!("{path} vanished while it was read")),
            Err(e) => Collected::unreadable(&e),
        }
    };
    let kind = serde_json::to_value(meta.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| meta.kind.to_string());
    Ok(DeclaredFile {
        path: path.to_owned(),
        kind: fact(kind),
        mode: fact(format!("{:04o}", meta.mode)),
        uid: Fact::new(meta.uid, source.clone()),
        gid: Fact::new(meta.gid, source.clone()),
        owner: fact(
            ids.users
                .get(&meta.uid)
                .cloned()
                .unwrap_or_else(|| meta.uid.to_string()),
        ),
        group: fact(
            ids.groups
                .get(&meta.gid)
                .cloned()
                .unwrap_or_else(|| meta.gid.to_string()),
        ),
        size: Fact::new(meta.size, source.clone()),
        lines,
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    fn ctx(keys: &[&str]) -> Context {
        let mut wanted: std::collections::BTreeSet<String> = [GROUP.to_owned()].into();
        wanted.extend(keys.iter().map(|k| format!("{GROUP}.{k}")));
        Context {
            live: false,
            as_of: jiff::civil::date(2026, 11, 1),
            wanted: Some(wanted),
        }
    }

    fn err(c: &Collected<impl std::fmt::Debug>) -> String {
        match c {
            Collected::Unavailable { unavailable } => unavailable.reason.clone(),
            Collected::Ok(v) => panic!("expected an error, got {v:?}"),
        }
    }

    #[test]
    fn paths_globs_lines_and_bounds() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::create_dir_all(p.join("etc/app")).unwrap();
        std::fs::write(p.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
        std::fs::write(p.join("etc/motd"), "one\nAuthorized\nthree").unwrap();
        for i in 0..5 {
            std::fs::write(p.join(format!("etc/app/{i}.conf")), format!("n = {i}\n")).unwrap();
        }
        std::fs::write(p.join("etc/app/big.txt"), vec![b'x'; LINES_LIMIT as usize + 1]).unwrap();
        std::fs::write(p.join("etc/app/bin.dat"), b"a\0b").unwrap();
        let keys = [
            "/etc/motd",
            "/etc/app/*.conf",
            "/etc/app/big.txt",
            "/etc/app/bin.dat",
            "/etc/app",
            "/etc/absent",
            "etc/motd",
            "/etc/**/x",
        ];
        let fs = RootFs::open(p).unwrap();
        let got = collect(&fs, &ctx(&keys)).unwrap();
        assert_eq!(got.len(), keys.len());
        let ok = |k: &str| got[k].ok().unwrap_or_else(|| panic!("{k}: {:?}", got[k]));
        let motd = ok("/etc/motd");
        assert!(motd.present.value);
        let file = motd.file.as_ref().and_then(Collected::ok).unwrap();
        let lines = file.lines.ok().unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].value, "Authorized");
        assert_eq!(lines[1].source, Source::at("/etc/motd", 2));
        assert_eq!(file.kind.value, "file");
        assert_eq!(file.size.value, 20);
        let glob = ok("/etc/app/*.conf");
        assert_eq!(glob.files.len(), 5);
        assert_eq!(glob.files[0].path, "/etc/app/0.conf");
        assert!(err(glob.file.as_ref().unwrap()).contains("is a glob"));
        // Past a bound, binary, or not a file: `lines` is an error, never an empty list.
        let lines_err = |k: &str| err(&ok(k).file.as_ref().and_then(Collected::ok).unwrap().lines);
        assert!(lines_err("/etc/app/big.txt").contains("more than the 1048576 bytes"));
        assert!(
            lines_err("/etc/app/bin.dat").contains("binary"),
            "{}",
            lines_err("/etc/app/bin.dat")
        );
        assert!(lines_err("/etc/app").contains("not a regular file"));
        let absent = ok("/etc/absent");
        assert!(!absent.present.value && absent.file.is_none() && absent.files.is_empty());
        assert!(err(&got["etc/motd"]).contains("must be absolute"));
        assert!(err(&got["/etc/**/x"]).contains("not supported"));
        // No declared key, nothing read.
        assert!(collect(&fs, &ctx(&[])).unwrap().is_empty());
    }

    #[test]
    fn keys_come_from_the_wanted_parts_of_the_group() {
        let ctx = Context {
            live: false,
            as_of: jiff::civil::date(2026, 11, 1),
            wanted: Some(
                [
                    "declared_files",
                    "declared_files./etc/motd",
                    "declared_files./etc/a.b/*.conf",
                    "files.paths",
                ]
                .map(String::from)
                .into(),
            ),
        };
        assert_eq!(declared_keys(&ctx), ["/etc/a.b/*.conf", "/etc/motd"]);
    }
}
