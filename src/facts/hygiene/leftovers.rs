//! What a build leaves on disk: temporary files, package manager caches, logs, core dumps and
//! swap files.
//!
//! - /tmp and /var/tmp: their top-level entries. On a live scan the entries the running system
//!   itself keeps there are marked `expected` with the reason: systemd's PrivateTmp directories
//!   (`systemd-private-*`, systemd.exec(5)), the X11/ICE socket directories tmpfiles.d creates
//!   (`.X11-unix`, `.ICE-unix`, `.XIM-unix`, `.font-unix`, `.Test-unix`), snapd's
//!   `snap-private-tmp`, and the script the Packer shell provisioner is running (its default
//!   `remote_path` is `/tmp/script_NNNN.sh`). In an offline root nothing is expected.
//! - Package caches: the files under /var/cache/apt (`apt-get clean` empties it; `pkgcache.bin`
//!   and `srcpkgcache.bin` come back with the next apt run), /var/cache/dnf, /var/cache/yum,
//!   /var/cache/apk and /var/cache/zypp, summed (apparent sizes), walked to depth 4.
//! - Logs: every non-empty file under /var/log to depth 3, except /var/log/journal (journald
//!   preallocates its active file; rotate and vacuum it instead).
//! - Core dumps: /var/crash (apport, kdump), /var/lib/systemd/coredump (systemd-coredump(8)),
//!   and `core` / `core.*` at the root (the kernel's default core_pattern with cwd `/`).
//! - Swap files: the usual names (/swapfile, /swap.img, /swap, /var/swap, /var/swapfile) and
//!   every file an /etc/fstab `swap` entry names (fstab(5): field 3 `swap`).

use serde::Serialize;

use super::{Scan, Skip, list_dir, walk};
use crate::facts::{Collected, Context, Fact, FactError, Source};
use crate::rootfs::{Kind, RootFs};

/// Leftovers, each part collected on its own.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Leftovers {
    /// Top-level entries of /tmp and /var/tmp.
    pub tmp_entries: Collected<Scan<TmpEntry>>,
    /// Package manager caches.
    pub package_cache: Collected<PackageCache>,
    /// Non-empty log files under /var/log (journal excluded).
    pub logs: Collected<Scan<SizedPath>>,
    /// Core dumps.
    pub core_dumps: Collected<Scan<SizedPath>>,
    /// Swap files.
    pub swap_files: Collected<Vec<SwapFile>>,
}

/// One entry of /tmp or /var/tmp.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TmpEntry {
    /// In-image path.
    pub path: String,
    /// The entry's name (allow-lists match it).
    pub name: String,
    /// File type.
    pub kind: Kind,
    /// Why the running system keeps it there (live scans only), else `null`.
    pub expected: Option<String>,
    /// The path.
    pub source: Source,
}

/// A file and its size.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct SizedPath {
    /// In-image path.
    pub path: String,
    /// Apparent size in bytes.
    pub size: u64,
    /// The path.
    pub source: Source,
}

/// Package manager caches.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PackageCache {
    /// Total bytes, with a note of the directories summed.
    pub bytes: Fact<u64>,
    /// The ten largest files.
    pub largest: Vec<SizedPath>,
    /// What the bounded walk left out.
    pub skipped: Vec<Skip>,
}

/// A swap file.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SwapFile {
    /// In-image path.
    pub path: String,
    /// Apparent size.
    pub size: u64,
    /// The fstab line naming it, or the file.
    pub source: Source,
}

/// Collects every part.
pub fn collect(fs: &RootFs, ctx: &Context) -> Leftovers {
    Leftovers {
        tmp_entries: tmp_entries(fs, ctx).into(),
        package_cache: package_cache(fs).into(),
        logs: logs(fs).into(),
        core_dumps: core_dumps(fs).into(),
        swap_files: swap_files(fs).into(),
    }
}

/// Why a live system keeps `name` in a temporary directory, if it does.
pub fn expected_tmp(dir: &str, name: &str) -> Option<&'static str> {
    if name.starts_with("systemd-private-") {
        return Some("systemd PrivateTmp= directory of a running service");
    }
    if name == "snap-private-tmp" {
        return Some("snapd's private /tmp root");
    }
    if dir == "/tmp" {
        if matches!(
            name,
            ".X11-unix" | ".ICE-unix" | ".XIM-unix" | ".font-unix" | ".Test-unix"
        ) {
            return Some("socket directory created by systemd-tmpfiles (x11.conf)");
        }
        let packer = name
            .strip_prefix("script_")
            .and_then(|r| r.strip_suffix(".sh"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if packer {
            return Some("the script the Packer shell provisioner is running (remote_path default)");
        }
    }
    None
}

fn tmp_entries(fs: &RootFs, ctx: &Context) -> Result<Scan<TmpEntry>, FactError> {
    let mut scan = Scan::default();
    for dir in ["/tmp", "/var/tmp"] {
        let (entries, skip) = list_dir(fs, dir)?;
        scan.skipped.extend(skip);
        for e in entries {
            let Some(m) = fs.symlink_metadata(&e.path)? else {
                continue;
            };
            let expected = if ctx.live {
                expected_tmp(dir, &e.name).map(str::to_owned)
            } else {
                None
            };
            scan.found.push(TmpEntry {
                source: Source::file(&e.path),
                path: e.path,
                name: e.name,
                kind: m.kind,
                expected,
            });
        }
    }
    Ok(scan)
}

const CACHE_DIRS: &[&str] = &[
    "/var/cache/apt",
    "/var/cache/dnf",
    "/var/cache/yum",
    "/var/cache/apk",
    "/var/cache/zypp",
];

fn package_cache(fs: &RootFs) -> Result<PackageCache, FactError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut present = Vec::new();
    for dir in CACHE_DIRS {
        if fs.metadata(dir)?.is_none() {
            continue;
        }
        present.push(*dir);
        let (f, s) = walk(fs, dir, 4, false)?;
        files.extend(f);
        skipped.extend(s);
    }
    let bytes: u64 = files.iter().map(|(_, m)| m.size).fold(0, u64::saturating_add);
    files.sort_by(|a, b| b.1.size.cmp(&a.1.size).then_with(|| a.0.cmp(&b.0)));
    let largest = files
        .into_iter()
        .take(10)
        .map(|(path, m)| SizedPath {
            size: m.size,
            source: Source::file(&path),
            path,
        })
        .collect();
    let note = if present.is_empty() {
        "no package cache directory exists".to_owned()
    } else {
        format!("sum of the file sizes under {}", present.join(", "))
    };
    Ok(PackageCache {
        bytes: Fact::new(bytes, Source::note(note)),
        largest,
        skipped,
    })
}

fn sized(files: Vec<(String, crate::rootfs::Meta)>) -> Vec<SizedPath> {
    files
        .into_iter()
        .map(|(path, m)| SizedPath {
            size: m.size,
            source: Source::file(&path),
            path,
        })
        .collect()
}

fn logs(fs: &RootFs) -> Result<Scan<SizedPath>, FactError> {
    let (files, skipped) = walk(fs, "/var/log", 3, false)?;
    let found = files
        .into_iter()
        .filter(|(p, m)| m.size > 0 && !p.starts_with("/var/log/journal/"))
        .collect();
    Ok(Scan {
        found: sized(found),
        skipped,
    })
}

fn core_dumps(fs: &RootFs) -> Result<Scan<SizedPath>, FactError> {
    let mut scan = Scan::default();
    for dir in ["/var/crash", "/var/lib/systemd/coredump"] {
        let (files, skipped) = walk(fs, dir, 2, false)?;
        // apport keeps a `.lock` and kdump an empty directory skeleton: only content counts.
        scan.found.extend(sized(
            files
                .into_iter()
                .filter(|(p, m)| m.size > 0 && !p.ends_with("/.lock"))
                .collect(),
        ));
        scan.skipped.extend(skipped);
    }
    let mut root = Vec::new();
    for path in fs.glob("/core")?.into_iter().chain(fs.glob("/core.*")?) {
        if let Some(m) = fs.symlink_metadata(&path)?.filter(|m| m.kind == Kind::File) {
            root.push((path, m));
        }
    }
    scan.found.extend(sized(root));
    Ok(scan)
}

/// fstab(5) lines whose type (field 3) is `swap` and whose spec (field 1) is a path: (line, path).
pub fn parse_fstab_swap(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let f: Vec<&str> = raw.split_whitespace().collect();
        if let [spec, _, "swap", ..] = f.as_slice()
            && spec.starts_with('/')
            && !spec.starts_with("/dev/")
        {
            out.push((u32::try_from(i + 1).unwrap_or(u32::MAX), (*spec).to_owned()));
        }
    }
    out
}

fn swap_files(fs: &RootFs) -> Result<Vec<SwapFile>, FactError> {
    let mut out: Vec<SwapFile> = Vec::new();
    let fstab = fs
        .read_text("/etc/fstab")?
        .map(|t| parse_fstab_swap(&t))
        .unwrap_or_default();
    let named = fstab.iter().map(|(l, p)| (p.clone(), Source::at("/etc/fstab", *l)));
    let usual = ["/swapfile", "/swap.img", "/swap", "/var/swap", "/var/swapfile"]
        .into_iter()
        .map(|p| (p.to_owned(), Source::file(p)));
    for (path, source) in named.chain(usual) {
        if out.iter().any(|s| s.path == path) {
            continue;
        }
        if let Some(m) = fs.metadata(&path)?.filter(|m| m.kind == Kind::File) {
            out.push(SwapFile {
                size: m.size,
                path,
                source,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packer_script_and_private_tmp_are_expected_but_other_files_are_not() {
        assert!(expected_tmp("/tmp", "script_4821.sh").is_some());
        assert!(expected_tmp("/tmp", "script_.sh").is_none());
        assert!(expected_tmp("/var/tmp", "script_4821.sh").is_none());
        assert!(expected_tmp("/var/tmp", "systemd-private-abc-chrony.service-xyz").is_some());
        assert!(expected_tmp("/tmp", "build.log").is_none());
    }

    #[test]
    fn fstab_swap_files_but_not_partitions_or_uuids() {
        let t = "UUID=abc / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n/dev/sda2 none swap sw 0 0\nUUID=x none swap sw 0 0\n# /swapfile none swap sw 0 0\n";
        assert_eq!(parse_fstab_swap(t), vec![(2, "/swap.img".into())]);
    }
}
