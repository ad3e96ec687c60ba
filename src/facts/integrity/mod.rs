//! Installed package files against the digests their package database recorded, offline and
//! without running the package manager from the scanned root.
//!
//! - **dpkg** ([`dpkg`]): each package's `/var/lib/dpkg/info/<pkg>[:<arch>].md5sums` for its
//!   ordinary files and the status file's `Conffiles:` field for its conffiles, with dpkg
//!   diversions applied — what `debsums -a` checks (debsums(1)). Conffiles are reported apart:
//!   an administrator is expected to edit /etc/ssh/sshd_config, not /usr/sbin/sshd.
//! - **rpm** ([`rpm`]): the file digests in each rpmdb header (FILEDIGESTS with FILEDIGESTALGO),
//!   as `rpm -V` checks the digest (the `5` column, rpm(8) "VERIFY OPTIONS"); `%config` files are
//!   conffiles, `%ghost` files and files rpm did not install (FILESTATES: excluded docs, netshared
//!   paths, other multilib colours) are skipped.
//! - **apk**: not checked (its SHA-1 `Z:` checksums are not verified yet): not-applicable.
//!
//! Only the digest is compared: modes, owners and mtimes are out of scope (rpm -V checks them too;
//! git-built fixtures and copied roots cannot keep them). Each file is streamed through
//! [`RootFs::read_streaming`] (same confinement and kind checks as any read), the work spread over
//! the available cores with scoped threads. A file that cannot be read is listed in `unreadable`
//! with the reason, never counted as intact; a package without any recorded digest is listed in
//! `no_digests`, never as intact.

pub mod dpkg;
pub mod rpm;

use serde::Serialize;

use super::packages::{Manager, Packages};
use super::{Collected, Context, FactError, Source};
use crate::rootfs::{RootFs, RootFsError};

/// Largest single file digested (8 GiB): larger files are listed as unreadable with the reason.
pub const FILE_LIMIT: u64 = crate::rootfs::limits::DIGESTED_FILE;

/// A digest algorithm a package database records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    /// MD5 (dpkg md5sums, rpm < 4.6 and FILEDIGESTALGO 1).
    Md5,
    /// SHA-224 (rpm FILEDIGESTALGO 11).
    Sha224,
    /// SHA-256 (rpm FILEDIGESTALGO 8, the default since rpm 4.6 on EL).
    Sha256,
    /// SHA-384 (rpm FILEDIGESTALGO 9).
    Sha384,
    /// SHA-512 (rpm FILEDIGESTALGO 10).
    Sha512,
}

/// One packaged file to verify.
#[derive(Debug, Clone)]
pub struct Item {
    /// The owning package.
    pub package: String,
    /// In-image path to read (after diversions).
    pub path: String,
    /// The digest algorithm.
    pub algo: Algo,
    /// The recorded digest, lowercase hex.
    pub expected: String,
    /// A conffile (dpkg `Conffiles:`, rpm `%config`).
    pub conffile: bool,
    /// Where the digest is recorded.
    pub source: Source,
}

/// A packaged file that does not match its record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord, schemars::JsonSchema)]
pub struct FileFinding {
    /// In-image path.
    pub path: String,
    /// The owning package.
    pub package: String,
    /// The recorded digest (hex).
    pub expected: String,
    /// The digest of the file on disk, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// Why it could not be read (unreadable files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where the digest is recorded (md5sums line, status line, rpmdb header).
    pub source: Source,
}

/// A package whose files cannot be verified because its database recorded no digests for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord, schemars::JsonSchema)]
pub struct NoDigests {
    /// Package name.
    pub package: String,
    /// Installed version.
    pub version: String,
    /// Why (no md5sums file, no FILEDIGESTS, an unsupported algorithm).
    pub reason: String,
    /// The package's database record.
    pub source: Source,
}

/// The verification result.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Integrity {
    /// The package database read.
    pub manager: Manager,
    /// Packages whose files were verified.
    pub packages_checked: usize,
    /// Files digested.
    pub files_checked: usize,
    /// Bytes digested.
    pub bytes_checked: u64,
    /// Ordinary (non-conffile) files whose digest differs, sorted by path.
    pub changed: Vec<FileFinding>,
    /// Ordinary files that are gone.
    pub missing: Vec<FileFinding>,
    /// Conffiles that differ from the packaged version (normal after configuration).
    pub changed_conffiles: Vec<FileFinding>,
    /// Conffiles that are gone (an administrator may delete a conffile; dpkg respects that).
    pub missing_conffiles: Vec<FileFinding>,
    /// Files that could not be read, with the reason: neither intact nor changed.
    pub unreadable: Vec<FileFinding>,
    /// Packages with files but no recorded digests.
    pub no_digests: Vec<NoDigests>,
}

/// Verifies the files of the installed packages in `packages`' database.
pub fn collect(fs: &RootFs, _ctx: &Context, packages: &Collected<Packages>) -> Result<Integrity, FactError> {
    let pkgs = packages.required("installed packages unknown")?;
    let (items, no_digests, packages_checked) = match pkgs.manager {
        Manager::Dpkg => dpkg::items(fs)?,
        Manager::Rpm => rpm::items(fs)?,
        Manager::Apk => {
            return Err(FactError::NotApplicable(
                "apk file checksums are not verified by imagegate yet".into(),
            ));
        }
    };
    let mut out = verify(fs, &items, threads());
    out.manager = pkgs.manager;
    out.packages_checked = packages_checked;
    out.no_digests = no_digests;
    out.no_digests.sort();
    Ok(out)
}

/// Worker threads: the cores this process may use.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The hex digest of one file, with the bytes read; `Ok(None)` when absent.
pub fn digest_file(fs: &RootFs, path: &str, algo: Algo) -> Result<Option<(String, u64)>, RootFsError> {
    fn run<D: md5::Digest>(fs: &RootFs, path: &str) -> Result<Option<(String, u64)>, RootFsError> {
        let mut h = D::new();
        let n = fs.read_streaming(path, FILE_LIMIT, |b| h.update(b))?;
        Ok(n.map(|n| (hex(&h.finalize()), n)))
    }
    match algo {
        Algo::Md5 => run::<md5::Md5>(fs, path),
        Algo::Sha224 => run::<sha2::Sha224>(fs, path),
        Algo::Sha256 => run::<sha2::Sha256>(fs, path),
        Algo::Sha384 => run::<sha2::Sha384>(fs, path),
        Algo::Sha512 => run::<sha2::Sha512>(fs, path),
    }
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter().fold(String::with_capacity(b.len() * 2), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

enum Outcome {
    Intact(u64),
    Changed(String, u64),
    Missing,
    Unreadable(String),
}

fn check(fs: &RootFs, it: &Item) -> Outcome {
    match digest_file(fs, &it.path, it.algo) {
        Ok(Some((d, n))) if d.eq_ignore_ascii_case(&it.expected) => Outcome::Intact(n),
        Ok(Some((d, n))) => Outcome::Changed(d, n),
        Ok(None) => Outcome::Missing,
        // A packaged regular file replaced by a directory, FIFO or device has changed.
        Err(RootFsError::WrongKind { kind, .. }) => Outcome::Changed(format!("({kind})"), 0),
        Err(e) => Outcome::Unreadable(e.to_string()),
    }
}

/// Digests `items` on `threads` scoped threads (interleaved, so large and small packages spread
/// evenly) and sorts the findings.
pub fn verify(fs: &RootFs, items: &[Item], threads: usize) -> Integrity {
    let threads = threads.clamp(1, 64);
    let outcomes: Vec<Vec<(usize, Outcome)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    items
                        .iter()
                        .enumerate()
                        .skip(t)
                        .step_by(threads)
                        .map(|(i, it)| (i, check(fs, it)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // A panicking worker is a bug; its items are reported as unreadable rather than lost.
        handles
            .into_iter()
            .enumerate()
            .map(|(t, h)| {
                h.join().unwrap_or_else(|_| {
                    (t..items.len())
                        .step_by(threads)
                        .map(|i| (i, Outcome::Unreadable("internal error while digesting".into())))
                        .collect()
                })
            })
            .collect()
    });
    let mut out = Integrity {
        manager: Manager::Dpkg,
        packages_checked: 0,
        files_checked: 0,
        bytes_checked: 0,
        changed: Vec::new(),
        missing: Vec::new(),
        changed_conffiles: Vec::new(),
        missing_conffiles: Vec::new(),
        unreadable: Vec::new(),
        no_digests: Vec::new(),
    };
    for (i, o) in outcomes.into_iter().flatten() {
        let Some(it) = items.get(i) else { continue };
        let finding = |actual: Option<String>, reason: Option<String>| FileFinding {
            path: it.path.clone(),
            package: it.package.clone(),
            expected: it.expected.clone(),
            actual,
            reason,
            source: it.source.clone(),
        };
        match o {
            Outcome::Intact(n) => {
                out.files_checked += 1;
                out.bytes_checked += n;
            }
            Outcome::Changed(d, n) => {
                out.files_checked += 1;
                out.bytes_checked += n;
                let f = finding(Some(d), None);
                if it.conffile {
                    out.changed_conffiles.push(f);
                } else {
                    out.changed.push(f);
                }
            }
            Outcome::Missing => {
                let f = finding(None, None);
                if it.conffile {
                    out.missing_conffiles.push(f);
                } else {
                    out.missing.push(f);
                }
            }
            Outcome::Unreadable(r) => out.unreadable.push(finding(None, Some(r))),
        }
    }
    for v in [
        &mut out.changed,
        &mut out.missing,
        &mut out.changed_conffiles,
        &mut out.missing_conffiles,
        &mut out.unreadable,
    ] {
        v.sort();
        // One file listed by two instances (multi-arch) or two packages is one finding per owner.
        v.dedup();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"hello\n").unwrap();
        let fs = RootFs::open(dir.path()).unwrap();
        assert_eq!(
            digest_file(&fs, "/a", Algo::Md5).unwrap().unwrap(),
            ("b1946ac92492d2347c6235b4d2611184".into(), 6)
        );
        assert_eq!(
            digest_file(&fs, "/a", Algo::Sha256).unwrap().unwrap().0,
            "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
        );
        assert!(digest_file(&fs, "/missing", Algo::Md5).unwrap().is_none());
    }

    #[test]
    fn verify_sorts_changed_missing_conffiles_apart_on_any_thread_count() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("usr/bin")).unwrap();
        std::fs::write(dir.path().join("usr/bin/ok"), b"hello\n").unwrap();
        std::fs::write(dir.path().join("usr/bin/bad"), b"hellO\n").unwrap();
        std::fs::create_dir_all(dir.path().join("etc/x")).unwrap();
        let fs = RootFs::open(dir.path()).unwrap();
        let item = |path: &str, conffile| Item {
            package: "p".into(),
            path: path.into(),
            algo: Algo::Md5,
            expected: "b1946ac92492d2347c6235b4d2611184".into(),
            conffile,
            source: Source::note("t"),
        };
        let items = vec![
            item("/usr/bin/ok", false),
            item("/usr/bin/bad", false),
            item("/usr/bin/gone", false),
            item("/etc/gone.conf", true),
            item("/etc/x", true),
        ];
        for threads in [1, 2, 7] {
            let v = verify(&fs, &items, threads);
            assert_eq!(v.files_checked, 3, "{threads}");
            assert_eq!(v.changed.len(), 1);
            assert_eq!(v.changed[0].path, "/usr/bin/bad");
            assert_eq!(v.missing[0].path, "/usr/bin/gone");
            assert_eq!(v.missing_conffiles[0].path, "/etc/gone.conf");
            // A conffile replaced by a directory has changed.
            assert_eq!(v.changed_conffiles[0].actual.as_deref(), Some("(directory)"));
        }
    }
}
