//! One bounded walk of every local filesystem of the target, shared by every rule that asks about
//! the whole tree: world-writable files, world-writable directories without the sticky bit, files
//! whose uid or gid has no entry in the image's /etc/passwd or /etc/group, and set-id files — what
//! CIS audits with `df --local -P | … | xargs -I{} find {} -xdev …` (CIS 6.1.x; find(1) `-perm
//! -0002`, `-nouser`, `-nogroup`, `-perm /6000`).
//!
//! Which filesystems: the root's own, and below it every mount point the walk meets (a directory
//! on another device than its parent) whose filesystem is local and on disk. The type comes from
//! the mount table — /proc/self/mountinfo on a live system; for an offline root, the host's, whose
//! mounts inside the root directory are the root's (a proc or tmpfs mounted in a chroot build
//! root, a disk image mounted under it) — and, for a mount point the table does not list or when
//! there is no table, from `statfs(2)`. Left out, each named in the coverage with the reason:
//! - pseudo filesystems (proc, sysfs, devtmpfs, devpts, cgroup, …): kernel and runtime state;
//! - network filesystems (nfs, cifs, 9p, sshfs, …, or a source `host:path` or `//host/share`, as
//!   df(1) `--local` decides): not this machine's, and possibly slow or hung;
//! - tmpfs under /run and /dev: runtime state, not files of the image;
//! - on an offline root (or with no mount table), /proc, /sys, /dev and /run themselves when they
//!   are plain directories: the running system mounts over them at boot, hiding what they hold.
//!
//! Everything else is walked, overlay (a container's root) and squashfs (snaps) included, as
//! `df --local` lists them. A mount of the same filesystem (a bind mount of a directory of the
//! same device) is no mount point to the walk, as to `find -xdev`: it is walked like a directory.
//!
//! [`RootFs::walk`] does the I/O: directory descriptors and `fstatat` per entry, links never
//! followed. Only offenders are kept (each list capped at [`LIST_CAP`] with a total count). A walk
//! that does not finish — the entry bound, a directory it may not read, any other error — is an
//! error fact: a partial walk never vouches for the tree.
//!
//! Deliberately ignored: symbolic links (their mode is always 0777 and means nothing), special
//! files' set-id bits (only regular files are listed as set-id), ACLs.
use std::collections::BTreeMap;

use serde::Serialize;

use crate::facts::files::IdNames;
use crate::facts::{Fact, FactError, Source};
use crate::rootfs::{Kind, Meta, RootFs, WalkEnd, WalkEntry, text_of};

pub use crate::rootfs::DEFAULT_WALK_LIMIT;

/// Most offenders kept per list; the count goes on.
pub const LIST_CAP: usize = 1000;

/// Options of [`walk_offenders`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkOptions {
    /// Entries visited before the walk stops (an error).
    pub max_entries: u64,
    /// The root is the running system: its own /proc/self/mountinfo is the mount table. Otherwise
    /// the host's is, for the mounts inside the root directory.
    pub live: bool,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            max_entries: DEFAULT_WALK_LIMIT,
            live: false,
        }
    }
}

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
    /// The first [`LIST_CAP`] of them, sorted by path.
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

/// A filesystem the walk went through.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Walked {
    /// In-image mount point (`/` for the root's own filesystem).
    pub mount_point: String,
    /// Filesystem type (`ext4`, `xfs`, `overlay`, …).
    pub fstype: String,
}

/// A mount point the walk did not descend into.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Skipped {
    /// In-image mount point.
    pub mount_point: String,
    /// Filesystem type (or, for a boot-time mount point of an offline root, what the running
    /// system mounts there).
    pub fstype: String,
    /// Why it was left out.
    pub reason: String,
}

/// What the walk covered.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Coverage {
    /// Where the mount points and their types came from.
    pub mount_table: String,
    /// Filesystems walked: the root's own first, then by mount point.
    pub walked: Vec<Walked>,
    /// Mount points met and not descended into, by mount point.
    pub skipped: Vec<Skipped>,
}

impl Coverage {
    /// One line for the rules' evidence: what was walked, what was not, from which table.
    fn summary(&self, entries: u64) -> String {
        fn list<'a>(items: impl ExactSizeIterator<Item = (&'a str, &'a str)>) -> String {
            const SHOWN: usize = 8;
            let n = items.len();
            let mut parts: Vec<String> = items.take(SHOWN).map(|(m, t)| format!("{m} ({t})")).collect();
            if n > SHOWN {
                parts.push(format!("and {} more", n - SHOWN));
            }
            parts.join(", ")
        }
        let walked = list(self.walked.iter().map(|w| (w.mount_point.as_str(), w.fstype.as_str())));
        let mut s = format!(
            "{entries} entries on {} local filesystem(s): {walked}",
            self.walked.len()
        );
        if !self.skipped.is_empty() {
            let skipped = list(self.skipped.iter().map(|k| (k.mount_point.as_str(), k.fstype.as_str())));
            s.push_str(&format!("; not walked: {skipped}"));
        }
        s.push_str(&format!("; mount table: {}", self.mount_table));
        s
    }
}

/// What the walk found.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct WalkReport {
    /// Entries visited; its source says what the walk covered (the walk rules' evidence).
    pub entries: Fact<u64>,
    /// What the walk covered: the mount table used, the filesystems walked, the mount points left
    /// out and why.
    pub coverage: Coverage,
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

/// One line of a mount table (proc_pid_mountinfo(5)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountInfo {
    /// Mount point, octal escapes (`\040` for a space) decoded.
    pub mount_point: Vec<u8>,
    /// Filesystem type, with its subtype (`fuse.sshfs`).
    pub fstype: String,
    /// Mount source (`/dev/vda1`, `server:/export`, `tmpfs`).
    pub source: String,
}

/// Decodes the kernel's octal escapes of a mount table field (`\040` space, `\011` tab, `\012`
/// newline, `\134` backslash).
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        if let [b'\\', a @ b'0'..=b'3', b @ b'0'..=b'7', c @ b'0'..=b'7', ..] = field[i..] {
            out.push((a - b'0') * 64 + (b - b'0') * 8 + (c - b'0'));
            i += 4;
        } else {
            out.push(field[i]);
            i += 1;
        }
    }
    out
}

/// Parses /proc/self/mountinfo: `ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL…] - TYPE
/// SOURCE SUPER_OPTIONS`. Lines that do not have that shape are skipped.
pub fn parse_mountinfo(text: &[u8]) -> Vec<MountInfo> {
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let Some(dash) = fields.iter().skip(6).position(|f| *f == b"-").map(|i| i + 6) else {
            continue;
        };
        let (Some(mp), Some(fstype), Some(source)) = (fields.get(4), fields.get(dash + 1), fields.get(dash + 2)) else {
            continue;
        };
        out.push(MountInfo {
            mount_point: unescape(mp),
            fstype: text_of(unescape(fstype)),
            source: text_of(unescape(source)),
        });
    }
    out
}

/// Kernel and runtime state, never files of the image.
const PSEUDO: &[&str] = &[
    "proc",
    "sysfs",
    "devtmpfs",
    "devpts",
    "cgroup",
    "cgroup2",
    "securityfs",
    "debugfs",
    "tracefs",
    "pstore",
    "bpf",
    "configfs",
    "fusectl",
    "mqueue",
    "hugetlbfs",
    "autofs",
    "binfmt_misc",
    "efivarfs",
    "rpc_pipefs",
    "nfsd",
    "nsfs",
    "selinuxfs",
    "fuse.lxcfs",
    "fuse.gvfsd-fuse",
    "fuse.portal",
];

/// Filesystems of another machine (gnulib's `ME_REMOTE`, which `df --local` uses, plus the
/// network filesystems it recognises by their source).
const NETWORK: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "9p",
    "ceph",
    "fuse.ceph",
    "glusterfs",
    "fuse.glusterfs",
    "fuse.sshfs",
    "fuse.s3fs",
    "fuse.rclone",
    "davfs",
    "afs",
    "auristorfs",
    "coda",
    "lustre",
    "gpfs",
    "ocfs2",
    "acfs",
    "fhgfs",
    "ibrix",
    "vxfs",
];

/// Why a filesystem mounted at `mount_point` is not walked; `None` when it is.
pub fn skip_reason(mount_point: &[u8], fstype: &str, source: &str) -> Option<String> {
    let under =
        |dir: &[u8]| mount_point == dir || (mount_point.starts_with(dir) && mount_point.get(dir.len()) == Some(&b'/'));
    if PSEUDO.contains(&fstype) {
        return Some(format!(
            "{fstype} is a pseudo filesystem: kernel and runtime state, not files"
        ));
    }
    if NETWORK.contains(&fstype) || source.contains(':') || source.starts_with("//") {
        return Some(format!(
            "{fstype} from {source} is a network filesystem, not local to the machine"
        ));
    }
    if matches!(fstype, "tmpfs" | "ramfs") && (under(b"/run") || under(b"/dev")) {
        return Some(format!(
            "{fstype} under /run or /dev holds runtime state, not files of the image"
        ));
    }
    if fstype == "fuse" {
        return Some("fuse filesystem of unknown kind, possibly a network one (no mount table to tell)".into());
    }
    None
}

/// The name of a `statfs(2)` filesystem type (statfs(2), linux/magic.h), for mount points the
/// mount table does not describe.
pub fn magic_name(magic: i64) -> String {
    let name = match magic {
        0x9fa0 => "proc",
        0x6265_6572 => "sysfs",
        0x0102_1994 => "tmpfs",
        0x8584_58f6 => "ramfs",
        0x1cd1 => "devpts",
        0x0027_e0eb => "cgroup",
        0x6367_7270 => "cgroup2",
        0x7363_6673 => "securityfs",
        0x6462_6720 => "debugfs",
        0x7472_6163 => "tracefs",
        0x6165_676c => "pstore",
        0xcafe_4a11 => "bpf",
        0x6265_6570 => "configfs",
        0x6573_5543 => "fusectl",
        0x1980_0202 => "mqueue",
        0x9584_58f6 => "hugetlbfs",
        0x0187 => "autofs",
        0x4249_4e4d => "binfmt_misc",
        0xde5e_81e4 => "efivarfs",
        0x6e73_6673 => "nsfs",
        0xf97c_ff8c => "selinuxfs",
        0x6969 => "nfs",
        0xff53_4d42 => "cifs",
        0xfe53_4d42 => "smb3",
        0x0102_1997 => "9p",
        0x00c3_6400 => "ceph",
        0x6573_5546 => "fuse",
        0xef53 => "ext4",
        0x5846_5342 => "xfs",
        0x9123_683e => "btrfs",
        0x794c_7630 => "overlay",
        0x7371_7368 => "squashfs",
        0x4d44 => "vfat",
        0x2fc1_2fc1 => "zfs",
        0xf2f5_2010 => "f2fs",
        0x9660 => "iso9660",
        _ => return format!("unknown (statfs type {magic:#x})"),
    };
    name.to_owned()
}

/// Directories the running system mounts over at boot, and what it mounts there.
const BOOT_MOUNTS: &[(&[u8], &str)] = &[
    (b"proc", "proc"),
    (b"sys", "sysfs"),
    (b"dev", "devtmpfs"),
    (b"run", "tmpfs"),
];

/// The mount table as the walk uses it: in-image mount point → (type, source).
struct Mounts {
    by_point: BTreeMap<Vec<u8>, (String, String)>,
    /// Type of the filesystem holding the root directory, when the table says.
    top: Option<String>,
}

/// Whether `dir` is `path` or one of its ancestors.
fn is_at_or_above(dir: &[u8], path: &[u8]) -> bool {
    dir == b"/" || dir == path || (path.starts_with(dir) && path.get(dir.len()) == Some(&b'/'))
}

/// The mount table for this walk and a description of it, or why there is none.
fn mount_table(fs: &RootFs, live: bool) -> Result<(Mounts, String), String> {
    if live {
        let text = match fs.read_bytes_limited("/proc/self/mountinfo", crate::rootfs::DEFAULT_LIMIT) {
            Ok(Some(t)) => t,
            Ok(None) => return Err("/proc/self/mountinfo is absent".into()),
            Err(e) => return Err(e.to_string()),
        };
        let mut by_point = BTreeMap::new();
        // A later line for the same mount point is mounted on top of the earlier one.
        for m in parse_mountinfo(&text) {
            by_point.insert(m.mount_point, (m.fstype, m.source));
        }
        let top = by_point.get(b"/".as_slice()).map(|(t, _)| t.clone());
        return Ok((Mounts { by_point, top }, "/proc/self/mountinfo".into()));
    }
    let host = fs
        .host_mount_table()
        .map_err(|e| format!("the host's /proc/self/mountinfo cannot be read: {e}"))?;
    let root = host.root.as_slice();
    let mut by_point = BTreeMap::new();
    let mut top: Option<(usize, String)> = None;
    for m in parse_mountinfo(&host.mountinfo) {
        // The filesystem holding the root directory: the deepest mount at or above it.
        if is_at_or_above(&m.mount_point, root) && top.as_ref().is_none_or(|(len, _)| m.mount_point.len() >= *len) {
            top = Some((m.mount_point.len(), m.fstype.clone()));
        }
        let inside = if root == b"/" {
            Some(m.mount_point.clone())
        } else if m.mount_point.as_slice() == root {
            Some(b"/".to_vec())
        } else if m.mount_point.starts_with(root) && m.mount_point.get(root.len()) == Some(&b'/') {
            m.mount_point.get(root.len()..).map(<[u8]>::to_vec)
        } else {
            None
        };
        if let Some(p) = inside {
            by_point.insert(p, (m.fstype, m.source));
        }
    }
    Ok((
        Mounts {
            by_point,
            top: top.map(|(_, t)| t),
        },
        "the host's /proc/self/mountinfo (the mounts inside the root directory)".into(),
    ))
}

/// A filesystem mounted inside an offline root: the scan reads what is under it as part of the
/// image, so a host directory bind-mounted there is read as the image's own files.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct MountInside {
    /// In-image mount point.
    pub mount_point: String,
    /// Filesystem type, from the host's mount table.
    pub fstype: String,
    /// Mount source (`/dev/vda1`, `tmpfs`, `server:/export`).
    pub source: String,
    /// The whole-tree walk (set-id, world-writable, unowned files) enters it.
    pub walked: bool,
    /// Why the walk leaves it out, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The filesystems mounted inside an offline root (the root's own mount left out), in mount point
/// order, with whether the walk enters each; empty for a live scan (every mount is the system's)
/// and when the host's mount table cannot be read (the walk rules then say so in their evidence).
pub fn mounts_inside(fs: &RootFs, live: bool) -> Vec<MountInside> {
    if live {
        return Vec::new();
    }
    let Ok((mounts, _)) = mount_table(fs, false) else {
        return Vec::new();
    };
    mounts
        .by_point
        .into_iter()
        .filter(|(p, _)| p.as_slice() != b"/")
        .map(|(point, (fstype, source))| {
            let boot = BOOT_MOUNTS.iter().find(|(n, _)| {
                point
                    .get(1..)
                    .is_some_and(|rest| rest == *n || (rest.starts_with(n) && rest.get(n.len()) == Some(&b'/')))
            });
            let reason = match boot {
                Some((_, t)) => Some(format!(
                    "inside /{}, which the walk leaves out: the running system mounts {t} over it at boot",
                    String::from_utf8_lossy(boot.map_or(b"", |b| b.0))
                )),
                None => skip_reason(&point, &fstype, &source),
            };
            MountInside {
                mount_point: text_of(point),
                fstype,
                source,
                walked: reason.is_none(),
                reason,
            }
        })
        .collect()
}

/// Walks every local filesystem of the root once (the bench hook): the offenders and what was
/// covered, or an error when the walk could not finish (unreadable directory, entry bound reached,
/// any other error).
pub fn walk_offenders(fs: &RootFs, opts: &WalkOptions) -> Result<WalkReport, FactError> {
    let ids = IdNames::load(fs)?;
    let mut r = WalkReport {
        entries: Fact::new(0, Source::default()),
        coverage: Coverage::default(),
        world_writable_files: Offenders::default(),
        world_writable_dirs_without_sticky: Offenders::default(),
        unowned: Offenders::default(),
        ungrouped: Offenders::default(),
        suid_sgid: Offenders::default(),
    };
    let (mounts, table_note) = match mount_table(fs, opts.live) {
        Ok((m, note)) => (Some(m), note),
        Err(why) => (
            None,
            format!("none ({why}): filesystems told apart by device number, typed by statfs"),
        ),
    };
    // /proc, /sys, /dev and /run of an image are hidden at run time; of a running system they are
    // mount points, which the mount table describes.
    let boot_skip = !opts.live || mounts.is_none();
    let mut cov = Coverage {
        mount_table: table_note,
        ..Coverage::default()
    };
    let mut entries = 0u64;
    let mut visit = |e: &WalkEntry<'_>| -> bool {
        entries += 1;
        let m = &e.meta;
        let ww = m.mode & 0o002 != 0;
        match m.kind {
            Kind::Symlink => return false,
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
        if m.kind != Kind::Directory {
            return false;
        }
        if e.depth == 0 {
            let fstype = mounts
                .as_ref()
                .and_then(|t| t.top.clone())
                .or_else(|| e.filesystem_magic().map(magic_name))
                .unwrap_or_else(|| "unknown".into());
            cov.walked.push(Walked {
                mount_point: e.path(),
                fstype,
            });
            return true;
        }
        if e.is_mount_point() {
            let path = e.path_bytes();
            let (fstype, source) = match mounts.as_ref().and_then(|t| t.by_point.get(&path)) {
                Some((t, s)) => (t.clone(), s.clone()),
                None => (
                    e.filesystem_magic().map_or_else(|| "unknown".into(), magic_name),
                    String::new(),
                ),
            };
            let mount_point = text_of(path.clone());
            return match skip_reason(&path, &fstype, &source) {
                Some(reason) => {
                    cov.skipped.push(Skipped {
                        mount_point,
                        fstype,
                        reason,
                    });
                    false
                }
                None => {
                    cov.walked.push(Walked { mount_point, fstype });
                    true
                }
            };
        }
        if boot_skip
            && e.depth == 1
            && let Some((_, fstype)) = BOOT_MOUNTS.iter().find(|(n, _)| *n == e.name())
        {
            cov.skipped.push(Skipped {
                mount_point: e.path(),
                fstype: (*fstype).to_owned(),
                reason: format!(
                    "not a mount point here, but the running system mounts {fstype} over it at boot, hiding what the image keeps in it"
                ),
            });
            return false;
        }
        true
    };
    let walk_opts = crate::rootfs::WalkOptions {
        max_entries: opts.max_entries,
        ..crate::rootfs::WalkOptions::default()
    };
    let end = fs.walk("/", &walk_opts, &mut visit);
    let end = end.map_err(|error| FactError::WalkStopped { entries, error })?;
    match end {
        None => Err(FactError::Missing {
            path: "/".into(),
            consequence: Some("the root directory is missing, no filesystem can be walked"),
        }),
        Some(WalkEnd::LimitReached(entries)) => Err(FactError::WalkLimit { entries }),
        Some(WalkEnd::Complete(n)) => {
            // Listing order differs from one filesystem to another: report in path order, the
            // root's own filesystem first.
            if let Some((_, below)) = cov.walked.split_first_mut() {
                below.sort_by(|a, b| a.mount_point.cmp(&b.mount_point));
            }
            cov.skipped.sort_by(|a, b| a.mount_point.cmp(&b.mount_point));
            r.entries = Fact::new(n, Source::note(cov.summary(n)));
            r.coverage = cov;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_fields_escapes_and_optional_fields() {
        let t = b"36 35 98:0 /mnt1 /mnt/my\\040disk rw,noatime master:1 shared:2 - ext3 /dev/root rw\n\
                  22 27 0:21 / /proc rw,relatime - proc proc rw\n\
                  bad line\n\
                  40 27 0:40 / /srv/nfs rw - nfs4 server:/export rw,vers=4\n";
        let m = parse_mountinfo(t);
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].mount_point, b"/mnt/my disk");
        assert_eq!(m[0].fstype, "ext3");
        assert_eq!(m[0].source, "/dev/root");
        assert_eq!(m[1].mount_point, b"/proc");
        assert_eq!(m[2].source, "server:/export");
    }

    #[test]
    fn pseudo_network_and_runtime_filesystems_are_left_out_local_ones_walked() {
        assert!(skip_reason(b"/proc", "proc", "proc").is_some());
        assert!(skip_reason(b"/srv/x", "cgroup2", "cgroup2").is_some());
        assert!(skip_reason(b"/srv/nfs", "nfs4", "server:/export").is_some());
        assert!(skip_reason(b"/srv/share", "cifs", "//server/share").is_some());
        assert!(skip_reason(b"/mnt/s", "fuse.sshfs", "user@host:/").is_some());
        assert!(skip_reason(b"/run", "tmpfs", "tmpfs").is_some());
        assert!(skip_reason(b"/run/user/1000", "tmpfs", "tmpfs").is_some());
        assert!(skip_reason(b"/dev/shm", "tmpfs", "tmpfs").is_some());
        // Local filesystems, whatever they are mounted on.
        assert_eq!(skip_reason(b"/tmp", "tmpfs", "tmpfs"), None);
        assert_eq!(skip_reason(b"/runtime", "tmpfs", "tmpfs"), None);
        assert_eq!(skip_reason(b"/", "overlay", "overlay"), None);
        assert_eq!(skip_reason(b"/boot", "ext4", "/dev/vda1"), None);
        assert_eq!(skip_reason(b"/snap/core/1", "squashfs", "/dev/loop0"), None);
        assert_eq!(skip_reason(b"/run/media/usb", "vfat", "/dev/sdb1"), None);
    }

    #[test]
    fn magic_names_match_the_mount_table_names_of_the_skipped_types() {
        for (magic, name) in [
            (0x9fa0, "proc"),
            (0x6265_6572, "sysfs"),
            (0x6969, "nfs"),
            (0xef53, "ext4"),
        ] {
            assert_eq!(magic_name(magic), name);
        }
        assert!(magic_name(0x1234).starts_with("unknown"));
    }
}
