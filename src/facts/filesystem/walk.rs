//! One bounded walk of the local root filesystem, shared by every rule that asks about the whole
//! tree: world-writable files, world-writable directories without the sticky bit, files whose
//! uid or gid has no entry in the image's /etc/passwd or /etc/group, and set-id files — what CIS
//! audits with `find / -xdev …` (CIS 6.1.x; find(1) `-perm -0002`, `-nouser`, `-nogroup`).
//!
//! [`RootFs::walk`] does the I/O: one `lstat` per entry, links never followed, the walk kept on
//! the root's filesystem (`-xdev`), /proc, /sys, /dev and /run skipped. Only offenders are kept
//! (each list capped at [`LIST_CAP`] with a total count), and a walk that reaches its entry bound
//! is an error ("walk stopped after N entries"): a partial walk never vouches for the tree.
//!
//! Deliberately ignored: symbolic links (their mode is always 0777 and means nothing), special
//! files' set-id bits (only regular files are listed as set-id), ACLs.
use serde::Serialize;

use crate::facts::FactError;
use crate::facts::files::IdNames;
use crate::rootfs::{Kind, Meta, RootFs, WalkEnd};

pub use crate::rootfs::{DEFAULT_WALK_LIMIT, WalkOptions};

/// Most offenders kept per list; the count goes on.
pub const LIST_CAP: usize = 1000;

/// One offending path.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Offender {
    /// In-image path.
    pub path: String,
    /// `file`, `directory`, …
    pub kind: Kind,
    /// Mode as a 4-digit octal string.
    pub mode: String,
    /// Owner uid.
    pub uid: u32,
    /// Owner gid.
    pub gid: u32,
}

/// A capped list of offenders with the true total.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Offenders {
    /// How many were found.
    pub count: u64,
    /// The first [`LIST_CAP`] of them, in walk order.
    pub items: Vec<Offender>,
    /// `count` exceeds the items kept.
    pub truncated: bool,
}

impl Offenders {
    fn push(&mut self, path: impl FnOnce() -> String, m: &Meta) {
        self.count += 1;
        if self.items.len() < LIST_CAP {
            self.items.push(Offender {
                path: path(),
                kind: m.kind,
                mode: format!("{:04o}", m.mode),
                uid: m.uid,
                gid: m.gid,
            });
        } else {
            self.truncated = true;
        }
    }
    fn sort(&mut self) {
        self.items.sort_by(|a, b| a.path.cmp(&b.path));
    }
}

/// What the walk found.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct WalkReport {
    /// Entries visited.
    pub entries: u64,
    /// Regular files with the other-write bit (`find -xdev -type f -perm -0002`).
    pub world_writable_files: Offenders,
    /// Directories with other-write and without the sticky bit (`-type d -perm -0002 ! -perm -1000`).
    pub world_writable_dirs_without_sticky: Offenders,
    /// Entries whose uid has no /etc/passwd entry (`-nouser`).
    pub unowned: Offenders,
    /// Entries whose gid has no /etc/group entry (`-nogroup`).
    pub ungrouped: Offenders,
    /// Regular files with the set-uid or set-gid bit (`-type f -perm /6000`).
    pub suid_sgid: Offenders,
}

/// Walks the whole root once (the bench hook): the offenders, or an error when the walk could not
/// finish (unreadable directory, entry bound reached).
pub fn walk_offenders(fs: &RootFs, opts: &WalkOptions) -> Result<WalkReport, FactError> {
    let ids = IdNames::load(fs)?;
    let mut r = WalkReport::default();
    let end = fs.walk("/", opts, |e| {
        let m = &e.meta;
        if m.kind == Kind::Symlink {
            return;
        }
        let ww = m.mode & 0o002 != 0;
        match m.kind {
            Kind::File => {
                if ww {
                    r.world_writable_files.push(|| e.path(), m);
                }
                if m.mode & 0o6000 != 0 {
                    r.suid_sgid.push(|| e.path(), m);
                }
            }
            Kind::Directory if ww && m.mode & 0o1000 == 0 => {
                r.world_writable_dirs_without_sticky.push(|| e.path(), m);
            }
            _ => {}
        }
        if !ids.users.contains_key(&m.uid) {
            r.unowned.push(|| e.path(), m);
        }
        if !ids.groups.contains_key(&m.gid) {
            r.ungrouped.push(|| e.path(), m);
        }
    })?;
    match end {
        None => Err(FactError::Invalid("the root directory is missing".into())),
        Some(WalkEnd::LimitReached(n)) => Err(FactError::Invalid(format!(
            "walk stopped after {n} entries (the walk limit): the filesystem was not fully checked"
        ))),
        Some(WalkEnd::Complete(n)) => {
            r.entries = n;
            for o in [
                &mut r.world_writable_files,
                &mut r.world_writable_dirs_without_sticky,
                &mut r.unowned,
                &mut r.ungrouped,
                &mut r.suid_sgid,
            ] {
                o.sort();
            }
            Ok(r)
        }
    }
}
