//! Image hygiene before capture: what a build leaves behind in every instance that will ever boot
//! from the image (SSH host keys, machine-id, cloud-init state, shell histories, authorized keys,
//! secrets, leftovers, MAC-bound network configuration, the build user).
//!
//! Each part is collected on its own ([`Collected`]), so one unreadable file turns only the rules
//! that need it into errors. Home directories come from a minimal reading of /etc/passwd and
//! /etc/shadow ([`users`]): every account's home, plus directories under /home that no account
//! owns any more (a `userdel` without `-r` leaves them, histories and keys included).
//!
//! Every walk is bounded ([`MAX_DIR_ENTRIES`] entries looked at per directory, [`MAX_WALK_FILES`]
//! files per walk, [`SCAN_LIMIT`] bytes read per file for the secret scan). A bound that is hit is
//! never a silent pass: the part records a [`Skip`] naming the path and the bound, and its rule
//! turns into an error through `error_when`.
//!
//! Deliberately ignored: `HostKey` directives naming keys outside /etc/ssh, `AuthorizedKeysFile`
//! settings other than the default `.ssh/authorized_keys .ssh/authorized_keys2`, and files deeper
//! than the documented depths (see docs/capture.md for the full list).

#[doc(hidden)]
pub mod keys;
#[doc(hidden)]
pub mod leftovers;
mod secrets;
#[doc(hidden)]
pub mod state;
pub mod users;

use serde::Serialize;

pub use keys::{AuthorizedKey, HostKey};
pub use leftovers::{Leftovers, PackageCache, SizedPath, SwapFile, TmpEntry};
pub use secrets::Secret;
pub use state::{CloudInitState, DbusMachineId, MacBinding, MachineId};
pub use users::User;

use super::{Collected, Context, Fact, FactError, Source};
use crate::rootfs::{Kind, Meta, RootFs, RootFsError};

/// Most entries of one directory that a walk looks at; a larger directory is recorded as a [`Skip`].
pub const MAX_DIR_ENTRIES: usize = 4096;
/// Most files one walk visits before it stops and records a [`Skip`].
pub const MAX_WALK_FILES: usize = 20_000;
/// Largest file the secret scan reads (8 MiB): a larger file is recorded as a [`Skip`].
pub const SCAN_LIMIT: u64 = 8 << 20;

/// Image hygiene before capture.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Hygiene {
    /// SSH host key files in /etc/ssh (`ssh_host_*_key` and their `.pub`).
    pub ssh_host_keys: Collected<Vec<HostKey>>,
    /// The state of /etc/machine-id.
    pub machine_id: Collected<Fact<MachineId>>,
    /// The state of /var/lib/dbus/machine-id.
    pub dbus_machine_id: Collected<Fact<DbusMachineId>>,
    /// cloud-init's per-instance state and logs that are present.
    pub cloud_init_state: Collected<Vec<CloudInitState>>,
    /// Shell and REPL history files in home directories.
    pub histories: Collected<Vec<History>>,
    /// Keys in `.ssh/authorized_keys` and `.ssh/authorized_keys2`, one item per key.
    pub authorized_keys: Collected<Vec<AuthorizedKey>>,
    /// Secrets found (kind and location only, never the secret) and what could not be scanned.
    pub secrets: Collected<Scan<Secret>>,
    /// Caches, temporary files, logs, core dumps, swap files.
    pub leftovers: Leftovers,
    /// Network configuration bound to a MAC address.
    pub persistent_net: Collected<Vec<MacBinding>>,
    /// Local accounts with their lock state.
    pub users: Collected<Vec<User>>,
}

/// A bounded scan: what was found, and what could not be looked at (a bound, or an unreadable
/// path). Rules error when `skipped` is not empty.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Scan<T> {
    /// What was found.
    pub found: Vec<T>,
    /// What was not scanned, and why.
    pub skipped: Vec<Skip>,
}

impl<T> Default for Scan<T> {
    fn default() -> Self {
        Scan {
            found: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

/// A path a scan did not (fully) look at.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord, schemars::JsonSchema)]
pub struct Skip {
    /// In-image path.
    pub path: String,
    /// Why ("more than 4096 entries", "larger than the 8388608-byte scan limit").
    pub reason: String,
}

/// One history file.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct History {
    /// The account whose home holds it (`null` for a home under /home that no account owns).
    pub user: Option<String>,
    /// In-image path.
    pub path: String,
    /// Size in bytes (0 after `truncate -s 0`, which counts as clean).
    pub size: u64,
    /// The file.
    pub source: Source,
}

/// A home directory to look into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    /// The owning account, if any.
    pub user: Option<String>,
    /// In-image path.
    pub dir: String,
    /// uid 0 or ≥ 1000, or an orphan under /home: the secret scan reads its files.
    pub interactive: bool,
}

/// History files per shell and REPL: bash(1) HISTFILE, zsh's customary HISTFILE names, ksh/sh,
/// python(1) readline history, mysql(1), psql(1), sqlite3, node, less(1) LESSHISTFILE, vim's
/// viminfo.
pub const HISTORY_FILES: &[&str] = &[
    ".bash_history",
    ".zsh_history",
    ".zhistory",
    ".histfile",
    ".sh_history",
    ".python_history",
    ".mysql_history",
    ".psql_history",
    ".sqlite_history",
    ".node_repl_history",
    ".lesshst",
    ".viminfo",
];

/// Collects every part.
pub fn collect(fs: &RootFs, ctx: &Context) -> Result<Hygiene, FactError> {
    let users = users::collect(fs, ctx);
    let homes: Result<Vec<Home>, String> = match &users {
        Ok((_, homes)) => homes_with_orphans(fs, homes).map_err(|e| e.to_string()),
        Err(e) => Err(format!("cannot list home directories: {e}")),
    };
    let from_homes = |f: &dyn Fn(&[Home]) -> Result<_, FactError>| match &homes {
        Ok(h) => f(h),
        Err(e) => Err(FactError::Invalid(e.clone())),
    };
    let histories = match &homes {
        Ok(h) => histories(fs, h).into(),
        Err(e) => Collected::error(e.clone()),
    };
    let authorized_keys = match &homes {
        Ok(h) => keys::authorized_keys(fs, h).into(),
        Err(e) => Collected::error(e.clone()),
    };
    let secrets = from_homes(&|h| secrets::collect(fs, h)).into();
    Ok(Hygiene {
        ssh_host_keys: keys::host_keys(fs).into(),
        machine_id: state::machine_id(fs).into(),
        dbus_machine_id: state::dbus_machine_id(fs).into(),
        cloud_init_state: state::cloud_init_state(fs).into(),
        histories,
        authorized_keys,
        secrets,
        leftovers: leftovers::collect(fs, ctx),
        persistent_net: state::persistent_net(fs).into(),
        users: users.map(|(u, _)| u).into(),
    })
}

/// The homes from /etc/passwd (deduplicated, `/` left out: system accounts whose home is the
/// root) plus every directory under /home that no account names.
fn homes_with_orphans(fs: &RootFs, homes: &[Home]) -> Result<Vec<Home>, FactError> {
    let mut out: Vec<Home> = Vec::new();
    for h in homes {
        if h.dir == "/" || h.dir.is_empty() {
            continue;
        }
        match out.iter_mut().find(|o| o.dir == h.dir) {
            Some(o) => o.interactive |= h.interactive,
            None => out.push(h.clone()),
        }
    }
    let (entries, skip) = list_dir(fs, "/home")?;
    if let Some(skip) = skip {
        return Err(FactError::Invalid(format!("{}: {}", skip.path, skip.reason)));
    }
    for e in entries {
        let is_dir = fs.symlink_metadata(&e.path)?.is_some_and(|m| m.kind == Kind::Directory);
        if is_dir && !out.iter().any(|o| o.dir == e.path) {
            out.push(Home {
                user: None,
                dir: e.path,
                interactive: true,
            });
        }
    }
    Ok(out)
}

/// History files present in each home (size 0 included: the rule decides).
fn histories(fs: &RootFs, homes: &[Home]) -> Result<Vec<History>, FactError> {
    let mut out = Vec::new();
    for h in homes {
        for name in HISTORY_FILES {
            let path = format!("{}/{name}", h.dir.trim_end_matches('/'));
            if let Some(m) = fs.symlink_metadata(&path)? {
                // A history symlinked to /dev/null is the classic way to disable one: not a leftover.
                if m.kind == Kind::Symlink {
                    continue;
                }
                out.push(History {
                    user: h.user.clone(),
                    size: m.size,
                    source: Source::file(&path),
                    path,
                });
            }
        }
    }
    Ok(out)
}

/// The entries of a directory, at most [`MAX_DIR_ENTRIES`] of them; the second value says when
/// the directory had more. Absent → empty.
pub(crate) fn list_dir(fs: &RootFs, dir: &str) -> Result<(Vec<crate::rootfs::Entry>, Option<Skip>), RootFsError> {
    let Some(mut entries) = fs.read_dir(dir)? else {
        return Ok((Vec::new(), None));
    };
    let skip = (entries.len() > MAX_DIR_ENTRIES).then(|| Skip {
        path: dir.to_owned(),
        reason: format!("more than {MAX_DIR_ENTRIES} entries: only the first {MAX_DIR_ENTRIES} were looked at"),
    });
    entries.truncate(MAX_DIR_ENTRIES);
    Ok((entries, skip))
}

/// Files found by [`walk`], and what its bounds left out.
pub(crate) type Walked = (Vec<(String, Meta)>, Vec<Skip>);

/// A bounded walk below `dir`, not following symlinks: regular files (and, with `links`, symlinks)
/// at depth 1..=`depth`, each with its metadata, plus what the bounds left out.
pub(crate) fn walk(fs: &RootFs, dir: &str, depth: usize, links: bool) -> Result<Walked, RootFsError> {
    let mut files: Vec<(String, Meta)> = Vec::new();
    let mut skipped = Vec::new();
    let mut todo = vec![(dir.trim_end_matches('/').to_owned(), 1usize)];
    while let Some((d, level)) = todo.pop() {
        let (entries, skip) = match list_dir(fs, &d) {
            Ok(v) => v,
            // A subdirectory we may not read is a hole in the scan, not the end of it.
            Err(e @ RootFsError::PermissionDenied { .. }) if d != dir.trim_end_matches('/') => {
                skipped.push(Skip {
                    path: d.clone(),
                    reason: e.to_string(),
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        skipped.extend(skip);
        let mut subdirs = Vec::new();
        for e in entries {
            if files.len() >= MAX_WALK_FILES {
                skipped.push(Skip {
                    path: dir.to_owned(),
                    reason: format!("more than {MAX_WALK_FILES} files: the walk stopped at {}", e.path),
                });
                files.sort_by(|a, b| a.0.cmp(&b.0));
                return Ok((files, skipped));
            }
            let Some(m) = fs.symlink_metadata(&e.path)? else {
                continue;
            };
            match m.kind {
                Kind::Directory if level < depth => subdirs.push((e.path, level + 1)),
                Kind::File => files.push((e.path, m)),
                Kind::Symlink if links => files.push((e.path, m)),
                _ => {}
            }
        }
        // Depth-first in name order: push in reverse so the first name is walked first.
        todo.extend(subdirs.into_iter().rev());
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((files, skipped))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    fn root() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("etc")).unwrap();
        std::fs::create_dir_all(d.path().join("root")).unwrap();
        std::fs::write(d.path().join("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n").unwrap();
        d
    }

    fn ctx() -> Context {
        Context {
            live: false,
            as_of: jiff::civil::date(2026, 11, 1),
            wanted: None,
        }
    }

    #[test]
    fn a_file_over_the_scan_limit_is_skipped_not_passed() {
        let d = root();
        std::fs::write(d.path().join("root/big.tar"), vec![b'x'; SCAN_LIMIT as usize + 1]).unwrap();
        let fs = RootFs::open(d.path()).unwrap();
        let h = collect(&fs, &ctx()).unwrap();
        let s = h.secrets.ok().unwrap();
        assert!(s.found.is_empty());
        assert_eq!(s.skipped.len(), 1);
        assert_eq!(s.skipped[0].path, "/root/big.tar");
    }

    #[test]
    fn a_directory_past_the_entry_bound_is_recorded() {
        let d = root();
        let tmp = d.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        for i in 0..=MAX_DIR_ENTRIES {
            std::fs::write(tmp.join(format!("f{i}")), "").unwrap();
        }
        let fs = RootFs::open(d.path()).unwrap();
        let h = collect(&fs, &ctx()).unwrap();
        let t = h.leftovers.tmp_entries.ok().unwrap();
        assert_eq!(t.found.len(), MAX_DIR_ENTRIES);
        assert_eq!(t.skipped.len(), 1);
    }

    #[test]
    fn without_passwd_the_home_based_parts_are_errors() {
        let d = tempfile::tempdir().unwrap();
        let fs = RootFs::open(d.path()).unwrap();
        let h = collect(&fs, &ctx()).unwrap();
        assert!(h.histories.ok().is_none());
        assert!(h.authorized_keys.ok().is_none());
        assert!(h.secrets.ok().is_none());
        assert!(h.users.ok().is_none());
        assert!(h.machine_id.ok().is_some());
    }

    #[test]
    fn a_history_linked_to_dev_null_is_not_a_leftover() {
        let d = root();
        std::os::unix::fs::symlink("/dev/null", d.path().join("root/.bash_history")).unwrap();
        std::fs::write(d.path().join("root/.lesshst"), "x\n").unwrap();
        let fs = RootFs::open(d.path()).unwrap();
        let h = collect(&fs, &ctx()).unwrap();
        let paths: Vec<_> = h.histories.ok().unwrap().iter().map(|x| x.path.clone()).collect();
        assert_eq!(paths, vec!["/root/.lesshst"]);
    }
}
