//! Root-confined, read-only file access: the only module that touches the filesystem.
//!
//! Every path a collector asks for is an absolute *in-image* path (`/etc/ssh/sshd_config`), resolved
//! as if the scanned directory were `/`: `..` stops at the root and absolute symlink targets restart at
//! the root, exactly as they would after `chroot`. On Linux ≥ 5.6 the kernel does this for us with
//! `openat2(…, RESOLVE_IN_ROOT)`; elsewhere a userspace resolver walks the path one component at a
//! time with the same clamping (both are tested against the same hostile trees).
//!
//! What this module refuses, and why:
//! - FIFOs, sockets and device files are never opened for reading: a FIFO would block the scan for
//!   ever and `/dev/zero` never ends. A file is first opened `O_PATH`, checked with `fstat`, and only
//!   then re-opened for reading (and checked again, so a swap in between is caught).
//! - Reads are bounded ([`DEFAULT_LIMIT`] unless the caller asks for another bound).
//! - Text reads refuse NUL bytes: none of the configuration files imagegate reads may contain one.
//!
//! Names are bytes: a path is the text of its bytes as [`crate::names`] encodes it, decoded back to
//! the exact bytes before every system call; listings, glob matches and link targets come back
//! encoded and in byte order, so a name that is not UTF-8 is read like any other.
//!
//! Absence is data: a missing file (`ENOENT`, or `ENOTDIR` on the way) is `Ok(None)`. Anything else
//! that stops a read is a [`RootFsError`] naming the in-image path and the reason.
//!
//! Nothing here writes, and nothing here executes: clippy's `disallowed-methods` keeps `std::fs` and
//! `std::process` out of every other module.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::ffi::OsStr;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, OpenHow, ResolveFlag, openat, openat2, readlinkat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstat, fstatat};

use crate::names;

/// Largest file read by default (16 MiB); package databases ask for more explicitly.
pub const DEFAULT_LIMIT: u64 = 16 << 20;
/// Symlinks followed while resolving one path before giving up (Linux's own limit is 40).
const MAX_SYMLINKS: usize = 40;
/// Most paths one glob may return; an `Include` matching more is hostile, not a configuration.
pub const GLOB_LIMIT: usize = 4096;
/// Most entries one directory listing ([`RootFs::read_dir`], a glob's directory) may hold. The
/// largest directories a scan lists are /var/lib/dpkg/info (a few files per package) and unit
/// directories: tens of thousands of entries on a large server.
pub const DIR_ENTRIES_LIMIT: usize = 262_144;

/// The read bounds of the readers outside this module, in one place (docs/robustness.md has the
/// table). A bound that is hit is an error naming the bound and the file, never a truncation.
pub mod limits {
    /// One passwd, group or shadow file.
    pub const ACCOUNT_DB: u64 = 8 << 20;
    /// One AppArmor or SELinux file, or grub configuration.
    pub const MAC_FILE: u64 = 4 << 20;
    /// One systemd unit file.
    pub const UNIT_FILE: u64 = 1 << 20;
    /// One apt.conf.d, dnf-automatic or yum-cron file.
    pub const UPDATES_CONFIG_FILE: u64 = 1 << 20;
    /// One crontab or cron script; real ones are a few KiB.
    pub const CRON_FILE: u64 = 1 << 20;
    /// One dpkg md5sums or list file (the largest Debian packages list ~100k files, ~10 MiB).
    pub const DPKG_INFO_FILE: u64 = 64 << 20;
    /// One file digested to verify a package (streamed): larger files are listed as unreadable.
    pub const DIGESTED_FILE: u64 = 8 << 30;
    /// One sysctl.d file; real ones are a few KiB.
    pub const SYSCTL_FILE: u64 = 1 << 20;
    /// Every sysctl.d file one model of boot applies, together (hard links to one file count
    /// once per name, as the program reads each name).
    pub const SYSCTL_TOTAL: u64 = 4 << 20;
    /// One /proc/sys value (a page is what the kernel hands out per read).
    pub const PROC_SYS_VALUE: u64 = 64 << 10;
    /// One text package database (dpkg status, apk installed), streamed.
    pub const TEXT_DB: u64 = 128 << 20;
    /// dpkg's md5sums and list files read to verify the installed files, together (a large
    /// server's are a few tens of MiB).
    pub const DPKG_INFO_TOTAL: u64 = 512 << 20;
    /// One compressed apt index (read whole, then inflated as it is parsed).
    pub const APT_INDEX_COMPRESSED: u64 = 256 << 20;
    /// One apt index after decompression (streamed, never held whole).
    pub const APT_INDEX_INFLATED: u64 = 512 << 20;
    /// One apt Release or InRelease file (read whole; real ones are a few hundred KiB).
    pub const APT_RELEASE: u64 = 16 << 20;
    /// Every apt index one reader (pending updates, package origins) takes in a scan, after
    /// decompression: Ubuntu's full archive with updates, security and backports is a few
    /// hundred MiB.
    pub const APT_INDEXES_TOTAL: u64 = 1 << 30;
    /// Entries of the interactive users' home directories together (each listed once).
    pub const HOME_ENTRIES_TOTAL: usize = 100_000;
    /// Rule ids copied while the composed profiles of a tailoring file are resolved (each distinct
    /// profile is resolved once).
    pub const TAILORING_EXPANSION: usize = 1 << 20;
}

/// A bound on the bytes one reader takes from a family of files over the whole scan (every
/// sysctl.d file, every apt index): one file under its own bound does not stop a thousand of them.
#[derive(Debug)]
pub struct Budget {
    what: &'static str,
    limit: u64,
    used: u64,
}

impl Budget {
    /// A budget of `limit` bytes for `what` (a plural noun: "sysctl.d files").
    pub fn new(what: &'static str, limit: u64) -> Self {
        Budget { what, limit, used: 0 }
    }

    /// Counts `bytes` read from `path`; past the bound, [`RootFsError::OverBudget`] naming it.
    pub fn charge(&mut self, path: &str, bytes: u64) -> Result<()> {
        self.used = self.used.saturating_add(bytes);
        if self.used > self.limit {
            return Err(RootFsError::OverBudget {
                path: path.to_owned(),
                what: self.what,
                limit: self.limit,
            });
        }
        Ok(())
    }

    /// Bytes counted so far.
    pub fn used(&self) -> u64 {
        self.used
    }
}

/// Cuts a byte stream into pieces that end at a line end (`\n`), but for the rest handed back at
/// the end. Each byte is searched once: a line longer than any read chunk is gathered, never
/// searched again (searching the whole pending buffer per chunk made a 64 MiB line take a minute).
#[derive(Debug, Default)]
pub struct LineChunks {
    pending: Vec<u8>,
    searched: u64,
}

impl LineChunks {
    /// Takes the next bytes of the stream; `sink` gets the complete lines now available, if any.
    pub fn push(&mut self, chunk: &[u8], sink: impl FnOnce(&[u8])) {
        let Some(end) = memchr::memrchr(b'\n', chunk) else {
            self.searched += chunk.len() as u64;
            self.pending.extend_from_slice(chunk);
            return;
        };
        self.searched += (chunk.len() - end) as u64;
        let (lines, rest) = chunk.split_at(end + 1);
        if self.pending.is_empty() {
            sink(lines);
        } else {
            self.pending.extend_from_slice(lines);
            sink(&self.pending);
            self.pending.clear();
        }
        self.pending.extend_from_slice(rest);
    }

    /// Takes bytes without looking for a line end: they go out with the next complete lines.
    pub fn hold(&mut self, chunk: &[u8]) {
        self.pending.extend_from_slice(chunk);
    }

    /// The bytes after the last line end (the last line, when the stream does not end in `\n`).
    pub fn rest(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.pending)
    }

    /// Bytes searched for a line end so far: at most the bytes pushed.
    pub fn searched(&self) -> u64 {
        self.searched
    }
}
/// Times one `openat2(RESOLVE_IN_ROOT)` is tried when the kernel answers `EAGAIN`.
///
/// The kernel cannot vouch for a `..` walked (or a mount crossed) under `RESOLVE_IN_ROOT` while a
/// rename or a mount happened anywhere on the machine (it samples the global rename and mount
/// seqlocks), and then fails with `EAGAIN` rather than risk leaving the root; openat2(2) says the
/// caller may retry. A rename loop on another CPU makes a single try fail often (Debian's
/// /etc/os-release is `../usr/lib/os-release`), a hundred in a row essentially never.
pub const RESOLVE_TRIES: u32 = 128;

/// What kind of file a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link (only from [`RootFs::symlink_metadata`]).
    Symlink,
    /// A named pipe.
    Fifo,
    /// A Unix socket.
    Socket,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::File => "regular file",
            Kind::Directory => "directory",
            Kind::Symlink => "symbolic link",
            Kind::Fifo => "FIFO",
            Kind::Socket => "socket",
            Kind::CharDevice => "character device",
            Kind::BlockDevice => "block device",
        })
    }
}

/// The metadata of one path, as `stat(2)` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Meta {
    /// File type.
    pub kind: Kind,
    /// Permission bits, including set-id and sticky bits (`st_mode & 0o7777`).
    pub mode: u32,
    /// Owner uid.
    pub uid: u32,
    /// Owner gid.
    pub gid: u32,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Device id of the filesystem holding it.
    #[serde(skip)]
    pub dev: u64,
    /// Inode number.
    #[serde(skip)]
    pub ino: u64,
}

impl Meta {
    fn from_stat(st: &FileStat) -> Self {
        let fmt = SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits());
        let kind = match fmt {
            SFlag::S_IFDIR => Kind::Directory,
            SFlag::S_IFLNK => Kind::Symlink,
            SFlag::S_IFIFO => Kind::Fifo,
            SFlag::S_IFSOCK => Kind::Socket,
            SFlag::S_IFCHR => Kind::CharDevice,
            SFlag::S_IFBLK => Kind::BlockDevice,
            _ => Kind::File,
        };
        Meta {
            kind,
            mode: st.st_mode & 0o7777,
            uid: st.st_uid,
            gid: st.st_gid,
            size: st.st_size as u64,
            mtime: st.st_mtime,
            dev: st.st_dev,
            ino: st.st_ino,
        }
    }
}

/// One directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry's name: the text of its bytes ([`crate::names`]), exact even when not UTF-8.
    pub name: String,
    /// The in-image path of the entry.
    pub path: String,
}

/// Why a read inside the root failed. Every variant names the in-image path.
#[derive(Debug, thiserror::Error)]
pub enum RootFsError {
    /// The scanning user may not read the file.
    #[error("cannot read {path}: permission denied (run as root or with sudo)")]
    PermissionDenied {
        /// In-image path.
        path: String,
    },
    /// The path names something that is not a regular file (or directory, for listings).
    #[error("cannot read {path}: it is a {kind}, not a {wanted}")]
    WrongKind {
        /// In-image path.
        path: String,
        /// What was found.
        kind: Kind,
        /// What was expected.
        wanted: Kind,
    },
    /// The file is larger than the read bound.
    #[error("cannot read {path}: larger than the {limit}-byte limit")]
    TooLarge {
        /// In-image path.
        path: String,
        /// The bound in bytes.
        limit: u64,
    },
    /// A text file contained a NUL byte.
    #[error("cannot read {path}: binary content (NUL byte at offset {offset})")]
    Binary {
        /// In-image path.
        path: String,
        /// Offset of the first NUL.
        offset: usize,
    },
    /// A text file starts with a UTF-8 byte order mark.
    #[error(
        "cannot read {path}: it starts with a UTF-8 byte order mark, which the programs that read it do not skip (remove the first 3 bytes)"
    )]
    ByteOrderMark {
        /// In-image path.
        path: String,
    },
    /// Too many symbolic links, or a loop.
    #[error("cannot read {path}: too many levels of symbolic links")]
    SymlinkLoop {
        /// In-image path.
        path: String,
    },
    /// A glob matched more paths than [`GLOB_LIMIT`].
    #[error("pattern {pattern} matches more than {limit} paths")]
    TooManyMatches {
        /// The glob pattern.
        pattern: String,
        /// The bound.
        limit: usize,
    },
    /// A directory has more entries than [`DIR_ENTRIES_LIMIT`].
    #[error("cannot list {path}: more than {limit} entries (imagegate's bound on one directory listing)")]
    TooManyEntries {
        /// In-image path.
        path: String,
        /// The bound.
        limit: usize,
    },
    /// A family of files read over the scan went past its [`Budget`].
    #[error(
        "cannot read {path}: the {what} read in this scan would exceed {limit} bytes in total (imagegate's bound on them; no real image comes near it)"
    )]
    OverBudget {
        /// In-image path of the file that went past the bound.
        path: String,
        /// The family of files.
        what: &'static str,
        /// The bound in bytes.
        limit: u64,
    },
    /// Any other I/O error.
    #[error("cannot read {path}: {source}")]
    Io {
        /// In-image path.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `openat2` kept answering `EAGAIN` ([`RESOLVE_TRIES`] times in a row).
    #[error(
        "cannot read {path}: the kernel asked {tries} times in a row to retry resolving it, because files were being renamed or mounted on this machine meanwhile (openat2 EAGAIN); re-run the scan, or stop the process that keeps renaming files"
    )]
    RenameRace {
        /// In-image path.
        path: String,
        /// Tries made.
        tries: u32,
    },
    /// The root itself could not be opened.
    #[error("cannot open root directory {path}: {source}")]
    Root {
        /// Host path of the root.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl RootFsError {
    /// A failed read of an open file: its errno mapped as for every other call, else as it is.
    fn from_read(path: &str, e: std::io::Error) -> Self {
        match e.raw_os_error() {
            Some(code) => RootFsError::from_errno(path, Errno::from_raw(code)),
            None => RootFsError::Io {
                path: path.to_owned(),
                source: e,
            },
        }
    }

    fn from_errno(path: &str, e: Errno) -> Self {
        match e {
            Errno::EACCES | Errno::EPERM => RootFsError::PermissionDenied { path: path.to_owned() },
            Errno::ELOOP => RootFsError::SymlinkLoop { path: path.to_owned() },
            // Only `openat2_retrying` lets EAGAIN through, once its tries are spent: a read of a
            // regular file or a directory listing never fails with it.
            Errno::EAGAIN => RootFsError::RenameRace {
                path: path.to_owned(),
                tries: RESOLVE_TRIES,
            },
            _ => RootFsError::Io {
                path: path.to_owned(),
                source: std::io::Error::from(e),
            },
        }
    }
}

/// Which path resolver a [`RootFs`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolver {
    /// `openat2(RESOLVE_IN_ROOT)`: the kernel clamps the walk.
    Kernel,
    /// Component-by-component walk in userspace, for kernels without `openat2`.
    Userspace,
}

/// A directory treated as `/`, opened once and read through.
#[derive(Debug)]
pub struct RootFs {
    host: PathBuf,
    dir: OwnedFd,
    resolver: Resolver,
    /// Every regular file read, for `imagegate inputs` and the benchmark's floor.
    read_log: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

type Result<T> = std::result::Result<T, RootFsError>;

/// `openat2`, tried again while the kernel answers `EAGAIN` (see [`RESOLVE_TRIES`]), yielding the
/// CPU between tries so that the renaming process can finish its rename.
fn openat2_retrying(
    dir: std::os::fd::BorrowedFd<'_>,
    rel: &OsStr,
    how: OpenHow,
) -> std::result::Result<OwnedFd, Errno> {
    let mut tries = 1;
    loop {
        match openat2(dir, rel, how) {
            Err(Errno::EAGAIN) if tries < RESOLVE_TRIES => {
                tries += 1;
                std::thread::yield_now();
            }
            r => return r,
        }
    }
}

fn absent<T>(r: std::result::Result<T, Errno>, path: &str) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Errno::ENOENT | Errno::ENOTDIR) => Ok(None),
        Err(e) => Err(RootFsError::from_errno(path, e)),
    }
}

impl RootFs {
    /// Opens `root` with the best resolver this kernel offers.
    pub fn open(root: &Path) -> Result<Self> {
        let mut fs = Self::open_with(root, Resolver::Kernel)?;
        // Probe once: ENOSYS (old kernel) or EPERM (seccomp filters in some containers) mean
        // openat2 is unusable here, and the userspace walk takes over.
        let how = OpenHow::new()
            .flags(OFlag::O_PATH | OFlag::O_CLOEXEC)
            .resolve(ResolveFlag::RESOLVE_IN_ROOT);
        if let Err(Errno::ENOSYS | Errno::EPERM) = openat2_retrying(fs.dir.as_fd(), OsStr::new("."), how) {
            fs.resolver = Resolver::Userspace;
        }
        Ok(fs)
    }

    /// Opens `root` with a chosen resolver (tests run both).
    pub fn open_with(root: &Path, resolver: Resolver) -> Result<Self> {
        let dir = nix::fcntl::open(
            root,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| RootFsError::Root {
            path: root.display().to_string(),
            source: e.into(),
        })?;
        Ok(RootFs {
            host: root.to_path_buf(),
            dir,
            resolver,
            read_log: Default::default(),
        })
    }

    /// The host path of the root directory.
    pub fn host_root(&self) -> &Path {
        &self.host
    }

    /// The in-image paths of every regular file read so far, sorted.
    pub fn files_read(&self) -> Vec<String> {
        self.read_log
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The resolver in use.
    pub fn resolver(&self) -> Resolver {
        self.resolver
    }

    /// Resolves `path` inside the root to an `O_PATH` descriptor.
    fn resolve(&self, path: &str, follow: bool) -> std::result::Result<OwnedFd, Errno> {
        let rel = path.trim_start_matches('/');
        let rel = if rel.is_empty() { "." } else { rel };
        match self.resolver {
            Resolver::Kernel => {
                let mut flags = OFlag::O_PATH | OFlag::O_CLOEXEC;
                if !follow {
                    flags |= OFlag::O_NOFOLLOW;
                }
                let how = OpenHow::new()
                    .flags(flags)
                    .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
                openat2_retrying(self.dir.as_fd(), OsStr::from_bytes(&names::bytes(rel)), how)
            }
            Resolver::Userspace => self.resolve_userspace(rel, follow),
        }
    }

    /// The userspace twin of `RESOLVE_IN_ROOT`: opens `O_PATH` what [`RootFs::walk_userspace`]
    /// arrives at.
    fn resolve_userspace(&self, rel: &str, follow: bool) -> std::result::Result<OwnedFd, Errno> {
        let real = self.walk_userspace(rel, follow)?;
        openat(
            self.dir.as_fd(),
            OsStr::from_bytes(&real),
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
    }

    /// A logical walk where `..` pops (never above the root) and a symlink's target is spliced into
    /// the remaining components, restarting at the root when absolute. Returns the symlink-free
    /// path relative to the root (`.` for the root itself); with `follow == false` a final symlink
    /// is kept as is.
    fn walk_userspace(&self, rel: &str, follow: bool) -> std::result::Result<Vec<u8>, Errno> {
        let mut done: Vec<Vec<u8>> = Vec::new();
        let mut todo: std::collections::VecDeque<Vec<u8>> = names::bytes(rel.trim_start_matches('/'))
            .split(|&b| b == b'/')
            .map(<[u8]>::to_vec)
            .collect();
        let mut links = 0;
        while let Some(c) = todo.pop_front() {
            match c.as_slice() {
                b"" | b"." => continue,
                b".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            let mut candidate = done.join(&b'/');
            if !candidate.is_empty() {
                candidate.push(b'/');
            }
            candidate.extend_from_slice(&c);
            let cpath = OsStr::from_bytes(&candidate);
            let st = fstatat(self.dir.as_fd(), cpath, AtFlags::AT_SYMLINK_NOFOLLOW)?;
            let is_link = st.st_mode & SFlag::S_IFMT.bits() == SFlag::S_IFLNK.bits();
            if is_link && (follow || !todo.is_empty()) {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(Errno::ELOOP);
                }
                let target = readlinkat(self.dir.as_fd(), cpath)?;
                let target = target.as_bytes();
                if target.starts_with(b"/") {
                    done.clear();
                }
                for part in target.split(|&b| b == b'/').rev() {
                    todo.push_front(part.to_vec());
                }
            } else {
                done.push(c);
            }
        }
        let joined = done.join(&b'/');
        Ok(if joined.is_empty() { b".".to_vec() } else { joined })
    }

    /// Metadata of `path`, following symlinks inside the root. `Ok(None)` when absent.
    pub fn metadata(&self, path: &str) -> Result<Option<Meta>> {
        let fd = absent(self.resolve(path, true), path)?;
        fd.map(|fd| {
            fstat(fd.as_fd())
                .map(|st| Meta::from_stat(&st))
                .map_err(|e| RootFsError::from_errno(path, e))
        })
        .transpose()
    }

    /// Metadata of `path` itself (a symlink is reported as one). `Ok(None)` when absent.
    pub fn symlink_metadata(&self, path: &str) -> Result<Option<Meta>> {
        let fd = absent(self.resolve(path, false), path)?;
        fd.map(|fd| {
            fstat(fd.as_fd())
                .map(|st| Meta::from_stat(&st))
                .map_err(|e| RootFsError::from_errno(path, e))
        })
        .transpose()
    }

    /// The target of the symlink at `path`, as written. `Ok(None)` when absent or not a link.
    pub fn read_link(&self, path: &str) -> Result<Option<String>> {
        let Some(fd) = absent(self.resolve(path, false), path)? else {
            return Ok(None);
        };
        match readlinkat(fd.as_fd(), "") {
            Ok(t) => Ok(Some(names::text(t.as_bytes()).into_owned())),
            Err(Errno::EINVAL | Errno::ENOENT) => Ok(None),
            Err(e) => Err(RootFsError::from_errno(path, e)),
        }
    }

    /// Opens a regular file for reading, refusing anything else before a read is attempted.
    fn open_regular(&self, path: &str) -> Result<Option<(std::fs::File, Meta)>> {
        let Some(pfd) = absent(self.resolve(path, true), path)? else {
            return Ok(None);
        };
        let meta = Meta::from_stat(&fstat(pfd.as_fd()).map_err(|e| RootFsError::from_errno(path, e))?);
        if meta.kind != Kind::File {
            return Err(RootFsError::WrongKind {
                path: path.to_owned(),
                kind: meta.kind,
                wanted: Kind::File,
            });
        }
        // An O_PATH descriptor cannot be read, and re-opening it through /proc/self/fd needs /proc:
        // resolve again for reading and compare dev/ino with what was checked.
        let rel = path.trim_start_matches('/');
        let flags = OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
        let fd = match self.resolver {
            Resolver::Kernel => {
                let how = OpenHow::new()
                    .flags(flags)
                    .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
                let rel = if rel.is_empty() { "." } else { rel };
                openat2_retrying(self.dir.as_fd(), OsStr::from_bytes(&names::bytes(rel)), how)
            }
            Resolver::Userspace => self.walk_userspace(rel, true).and_then(|real| {
                openat(
                    self.dir.as_fd(),
                    OsStr::from_bytes(&real),
                    flags | OFlag::O_NOFOLLOW,
                    Mode::empty(),
                )
            }),
        };
        let fd = absent(fd, path)?.ok_or_else(|| RootFsError::Io {
            path: path.to_owned(),
            source: std::io::Error::other("file vanished during the scan"),
        })?;
        let again = Meta::from_stat(&fstat(fd.as_fd()).map_err(|e| RootFsError::from_errno(path, e))?);
        if again.kind != Kind::File || again.dev != meta.dev || again.ino != meta.ino {
            return Err(RootFsError::Io {
                path: path.to_owned(),
                source: std::io::Error::other("file changed during the scan"),
            });
        }
        Ok(Some((std::fs::File::from(fd), meta)))
    }

    /// Opens a regular file for a read bounded by `limit` and records it as read: `Ok(None)` when
    /// absent, [`RootFsError::TooLarge`] when `fstat` already says it is longer, before anything
    /// is read. Each reader still enforces the bound on the bytes it reads (files under /proc and
    /// /sys report size 0).
    fn open_bounded(&self, path: &str, limit: u64) -> Result<Option<(std::fs::File, Meta)>> {
        let Some((file, meta)) = self.open_regular(path)? else {
            return Ok(None);
        };
        if let Ok(mut log) = self.read_log.lock() {
            log.insert(path.to_owned());
        }
        if meta.size > limit {
            return Err(RootFsError::TooLarge {
                path: path.to_owned(),
                limit,
            });
        }
        Ok(Some((file, meta)))
    }

    /// Reads at most `limit` bytes of a regular file; a longer file is [`RootFsError::TooLarge`].
    /// Files under /proc and /sys report size 0, so the bound is enforced on the bytes read.
    pub fn read_bytes_limited(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let Some((file, meta)) = self.open_bounded(path, limit)? else {
            return Ok(None);
        };
        let mut buf = Vec::with_capacity(meta.size.min(limit) as usize);
        file.take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(|e| RootFsError::from_read(path, e))?;
        if buf.len() as u64 > limit {
            return Err(RootFsError::TooLarge {
                path: path.to_owned(),
                limit,
            });
        }
        Ok(Some(buf))
    }

    /// The first `n` bytes of a regular file (fewer when it is shorter), whatever its size: for
    /// formats whose header says what the file is (a ClamAV database's 512-byte header, an AIDE
    /// database's first line). `Ok(None)` when absent.
    pub fn read_head(&self, path: &str, n: u64) -> Result<Option<Vec<u8>>> {
        // Whatever its size: only the first `n` bytes are read.
        let Some((file, _meta)) = self.open_bounded(path, u64::MAX)? else {
            return Ok(None);
        };
        let mut buf = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(64 << 10));
        file.take(n)
            .read_to_end(&mut buf)
            .map_err(|e| RootFsError::from_read(path, e))?;
        Ok(Some(buf))
    }

    /// Hands `consume` a reader over a regular file of at most `limit` bytes, with its size, for a
    /// consumer that allocates the buffer itself (the sqlite rpmdb is read straight into sqlite's
    /// own memory: one copy of the database, not two). The reader ends at the size `fstat` gave,
    /// even if the file grows meanwhile. `Ok(None)` when absent; a longer file is
    /// [`RootFsError::TooLarge`] before anything is read.
    pub fn read_with<T>(
        &self,
        path: &str,
        limit: u64,
        consume: impl FnOnce(&mut dyn Read, u64) -> T,
    ) -> Result<Option<T>> {
        let Some((file, meta)) = self.open_bounded(path, limit)? else {
            return Ok(None);
        };
        Ok(Some(consume(&mut file.take(meta.size), meta.size)))
    }

    /// Streams a regular file through `sink` in chunks (for digests of package files, which may be
    /// far larger than any bound worth holding in memory), with the same confinement and kind
    /// checks as every other read. Returns the bytes streamed; `Ok(None)` when absent. At most
    /// `limit` bytes are read: a longer file is [`RootFsError::TooLarge`].
    pub fn read_streaming(&self, path: &str, limit: u64, mut sink: impl FnMut(&[u8])) -> Result<Option<u64>> {
        let Some((mut file, _meta)) = self.open_bounded(path, limit)? else {
            return Ok(None);
        };
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(RootFsError::from_read(path, e)),
            };
            total += n as u64;
            if total > limit {
                return Err(RootFsError::TooLarge {
                    path: path.to_owned(),
                    limit,
                });
            }
            sink(buf.get(..n).unwrap_or_default());
        }
        Ok(Some(total))
    }

    /// Reads a text file of at most [`DEFAULT_LIMIT`] bytes. Bytes that are not UTF-8 are kept as
    /// [`crate::names`] escapes (a path written in the file opens the file it names; reports show
    /// `\xNN`); a NUL byte makes it [`RootFsError::Binary`], a leading byte order mark
    /// [`RootFsError::ByteOrderMark`]: sshd, glibc's passwd/shadow readers, sysctl and dpkg take
    /// the three bytes as part of the first keyword or name, so the first line means something
    /// else to them than it seems to (e.g. a passwd entry named "\u{feff}root").
    pub fn read_text(&self, path: &str) -> Result<Option<String>> {
        self.read_text_limited(path, DEFAULT_LIMIT)
    }

    /// [`RootFs::read_text`] with a caller-chosen bound.
    pub fn read_text_limited(&self, path: &str, limit: u64) -> Result<Option<String>> {
        let Some(bytes) = self.read_bytes_limited(path, limit)? else {
            return Ok(None);
        };
        if let Some(offset) = bytes.iter().position(|&b| b == 0) {
            return Err(RootFsError::Binary {
                path: path.to_owned(),
                offset,
            });
        }
        if bytes.starts_with(b"\xef\xbb\xbf") {
            return Err(RootFsError::ByteOrderMark { path: path.to_owned() });
        }
        Ok(Some(text_of(bytes)))
    }

    /// [`RootFs::read_text_limited`] without holding the whole text: `sink` gets it in chunks that
    /// each end at a line end (`\n`), but for the last, so `chunk.lines()` over the chunks yields
    /// the lines of the whole text. For the package databases, whose text would otherwise sit in
    /// memory next to everything parsed from it.
    ///
    /// The outcome is the one [`RootFs::read_text_limited`] would have: the whole file is read even
    /// when its end turns out to be an error (a NUL byte is [`RootFsError::Binary`], and wins over a
    /// leading byte order mark, as there). The sink is not called once the read is known to fail,
    /// but may have seen the text before a NUL byte: what it built from the chunks must be dropped
    /// when the read returns an error. Bytes that are not UTF-8 are encoded ([`crate::names`]) per
    /// chunk, which gives the same text as encoding the whole (a line end is never part of a UTF-8
    /// sequence, nor of an escape).
    pub fn read_text_chunks(&self, path: &str, limit: u64, mut sink: impl FnMut(&str)) -> Result<Option<u64>> {
        // Bytes read but not yet handed over: the partial last line.
        let mut pending = LineChunks::default();
        let mut offset = 0usize;
        let mut nul: Option<usize> = None;
        // Decided once three bytes are in (or the file ended).
        let mut bom: Option<bool> = None;
        let mut head: Vec<u8> = Vec::with_capacity(3);
        let total = self.read_streaming(path, limit, |chunk| {
            let start = offset;
            offset += chunk.len();
            if nul.is_some() {
                return;
            }
            if let Some(at) = memchr::memchr(0, chunk) {
                nul = Some(start + at);
                pending = LineChunks::default();
                return;
            }
            if bom == Some(true) {
                return;
            }
            if bom.is_none() {
                // The first three bytes decide; held back until they are in.
                head.extend_from_slice(
                    chunk
                        .get(..3usize.saturating_sub(head.len()).min(chunk.len()))
                        .unwrap_or_default(),
                );
                if head.len() < 3 {
                    pending.hold(chunk);
                    return;
                }
                let has = head.starts_with(b"\xef\xbb\xbf");
                bom = Some(has);
                if has {
                    pending = LineChunks::default();
                    return;
                }
            }
            pending.push(chunk, |lines| sink(&names::text(lines)));
        })?;
        let Some(total) = total else {
            return Ok(None);
        };
        if let Some(offset) = nul {
            return Err(RootFsError::Binary {
                path: path.to_owned(),
                offset,
            });
        }
        if bom == Some(true) {
            return Err(RootFsError::ByteOrderMark { path: path.to_owned() });
        }
        let rest = pending.rest();
        if !rest.is_empty() {
            sink(&names::text(&rest));
        }
        Ok(Some(total))
    }

    /// The entries of a directory, sorted by name in byte order (`.` and `..` left out).
    /// `Ok(None)` when the directory is absent.
    pub fn read_dir(&self, path: &str) -> Result<Option<Vec<Entry>>> {
        let base = path.trim_end_matches('/');
        Ok(self.dir_names(path)?.map(|names| {
            names
                .into_iter()
                .map(|name| Entry {
                    path: format!("{base}/{name}"),
                    name,
                })
                .collect()
        }))
    }

    /// The names in a directory, sorted in byte order (what [`RootFs::read_dir`] lists).
    fn dir_names(&self, path: &str) -> Result<Option<Vec<String>>> {
        Ok(self
            .dir_name_bytes(path)?
            .map(|n| n.into_iter().map(names::text_owned).collect()))
    }

    /// The names in a directory as the bytes the kernel lists, sorted (without building paths:
    /// a glob over a large unit directory needs only the names).
    fn dir_name_bytes(&self, path: &str) -> Result<Option<Vec<Vec<u8>>>> {
        let Some(pfd) = absent(self.resolve(path, true), path)? else {
            return Ok(None);
        };
        let meta = Meta::from_stat(&fstat(pfd.as_fd()).map_err(|e| RootFsError::from_errno(path, e))?);
        if meta.kind != Kind::Directory {
            return Err(RootFsError::WrongKind {
                path: path.to_owned(),
                kind: meta.kind,
                wanted: Kind::Directory,
            });
        }
        let dfd = openat(
            pfd.as_fd(),
            ".",
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| RootFsError::from_errno(path, e))?;
        let mut dir = nix::dir::Dir::from_fd(dfd).map_err(|e| RootFsError::from_errno(path, e))?;
        let mut list: Vec<Vec<u8>> = Vec::new();
        for ent in dir.iter() {
            let ent = ent.map_err(|e| RootFsError::from_errno(path, e))?;
            let name = ent.file_name().to_bytes();
            if name != b"." && name != b".." {
                if list.len() == DIR_ENTRIES_LIMIT {
                    return Err(RootFsError::TooManyEntries {
                        path: path.to_owned(),
                        limit: DIR_ENTRIES_LIMIT,
                    });
                }
                list.push(name.to_vec());
            }
        }
        list.sort();
        Ok(Some(list))
    }

    /// Expands a glob(3)-style pattern (`*`, `?`, `[...]` per component; no `**`) inside the root.
    /// Results are sorted in byte order, as glob(3) sorts them in the C locale. A relative
    /// pattern is taken relative to `/`. Hidden entries match only a pattern component that
    /// starts with a dot, as in glob(3). Pattern and names are matched as bytes (`?` is one byte,
    /// as for glob(3) on a name that is not valid in the locale).
    pub fn glob(&self, pattern: &str) -> Result<Vec<String>> {
        let mut current: Vec<String> = vec![String::new()];
        let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let mut next = Vec::new();
            for base in &current {
                if !has_glob_meta(part) {
                    let p = format!("{base}/{part}");
                    let exists = if last {
                        self.symlink_metadata(&p)?.is_some()
                    } else {
                        matches!(
                            self.metadata(&p)?,
                            Some(Meta {
                                kind: Kind::Directory,
                                ..
                            })
                        )
                    };
                    if exists {
                        next.push(p);
                    }
                    continue;
                }
                let dir = if base.is_empty() { "/" } else { base.as_str() };
                let list = match self.dir_name_bytes(dir) {
                    Ok(Some(n)) => n,
                    Ok(None) | Err(RootFsError::WrongKind { .. }) => continue,
                    Err(e) => return Err(e),
                };
                let pat = names::bytes(part);
                for name in list {
                    if name.starts_with(b".") && !part.starts_with('.') {
                        continue;
                    }
                    if fnmatch(&pat, &name) {
                        next.push(format!("{base}/{}", names::text(&name)));
                        if next.len() > GLOB_LIMIT {
                            return Err(RootFsError::TooManyMatches {
                                pattern: pattern.to_owned(),
                                limit: GLOB_LIMIT,
                            });
                        }
                    }
                }
            }
            current = next;
        }
        if parts.is_empty() {
            return Ok(vec!["/".to_owned()]);
        }
        current.sort_by(|a, b| names::cmp(a, b));
        Ok(current)
    }
}

/// Bytes as text: kept as they are when valid UTF-8 (copied only when not), every byte kept
/// otherwise ([`crate::names::text_owned`]).
pub fn text_of(bytes: Vec<u8>) -> String {
    names::text_owned(bytes)
}

/// The mount table of the machine running imagegate, from [`RootFs::host_mount_table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostMountTable {
    /// `/proc/self/mountinfo` of this process, as read.
    pub mountinfo: Vec<u8>,
    /// The root directory's path as that table names paths: the kernel's own name for the opened
    /// root (`/proc/self/fd/N`), else the canonical form of the path given.
    pub root: Vec<u8>,
}

impl RootFs {
    /// The host's mount table, for a walk of a root that is not the running system: what is
    /// mounted inside the root directory (a proc or a tmpfs in a chroot build root, a disk image
    /// mounted under it) is known only to the kernel of the machine running the scan. The one
    /// read of a host file made for a scanned root: the table itself, bounded like every read;
    /// nothing it names is opened here.
    pub fn host_mount_table(&self) -> std::io::Result<HostMountTable> {
        use std::os::fd::AsRawFd;
        let file = std::fs::File::open("/proc/self/mountinfo")?;
        let mut mountinfo = Vec::new();
        file.take(DEFAULT_LIMIT + 1).read_to_end(&mut mountinfo)?;
        if mountinfo.len() as u64 > DEFAULT_LIMIT {
            return Err(std::io::Error::other(format!(
                "/proc/self/mountinfo is larger than the {DEFAULT_LIMIT}-byte limit"
            )));
        }
        let root = std::fs::read_link(format!("/proc/self/fd/{}", self.dir.as_raw_fd()))
            .or_else(|_| std::fs::canonicalize(&self.host))?;
        Ok(HostMountTable {
            mountinfo,
            root: root.into_os_string().into_encoded_bytes(),
        })
    }
}

/// Options of a [`RootFs::walk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkOptions {
    /// Entries visited before the walk stops with [`WalkEnd::LimitReached`].
    pub max_entries: u64,
    /// Directory descriptors held open at once (at least 2). A deeper walk closes the shallowest
    /// ones and re-opens each through `..` from its child on the way back up, checking that it is
    /// the same directory (device and inode).
    pub max_open_dirs: usize,
}

/// Default bound of one walk: two million entries.
pub const DEFAULT_WALK_LIMIT: u64 = 2_000_000;
/// Default bound of the directory descriptors one walk holds open.
pub const DEFAULT_WALK_OPEN_DIRS: usize = 64;

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            max_entries: DEFAULT_WALK_LIMIT,
            max_open_dirs: DEFAULT_WALK_OPEN_DIRS,
        }
    }
}

/// How a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkEnd {
    /// Every entry was visited; the number of entries.
    Complete(u64),
    /// [`WalkOptions::max_entries`] was reached: the walk is partial.
    LimitReached(u64),
}

/// One entry met by [`RootFs::walk`]: its metadata (from `fstatat(AT_SYMLINK_NOFOLLOW)`, links
/// never followed) and its name as the directory listing gave it (bytes); the path is built only
/// when asked for, so that a walk over a million clean files allocates no strings.
#[derive(Debug)]
pub struct WalkEntry<'a> {
    /// `lstat` metadata. For a mount point, the metadata of the root of what is mounted there.
    pub meta: Meta,
    /// Levels below the start directory (0 for the start itself).
    pub depth: usize,
    /// Device of the directory listing the entry (the start's own device for the start): a
    /// directory on another device is a mount point.
    pub parent_dev: u64,
    /// In-image path of the directory listing the entry (of the start itself, for the start; empty
    /// for the root).
    dir: &'a [u8],
    /// The name in that directory; empty for the start.
    name: &'a std::ffi::CStr,
    /// The listing directory (the start itself, for the start).
    at: std::os::fd::BorrowedFd<'a>,
}

impl WalkEntry<'_> {
    /// The in-image path (`/usr/bin/passwd`), every byte kept ([`crate::names`]).
    pub fn path(&self) -> String {
        names::text_owned(self.path_bytes())
    }

    /// The in-image path, as bytes.
    pub fn path_bytes(&self) -> Vec<u8> {
        let name = self.name.to_bytes();
        let mut p = Vec::with_capacity(self.dir.len() + name.len() + 1);
        p.extend_from_slice(self.dir);
        if !name.is_empty() {
            p.push(b'/');
            p.extend_from_slice(name);
        }
        if p.is_empty() {
            p.push(b'/');
        }
        p
    }

    /// The entry's name (empty for the start directory).
    pub fn name(&self) -> &[u8] {
        self.name.to_bytes()
    }

    /// A directory on another device than the directory listing it: something is mounted here.
    pub fn is_mount_point(&self) -> bool {
        self.meta.kind == Kind::Directory && self.meta.dev != self.parent_dev
    }

    /// The `statfs(2)` filesystem type (`f_type`, e.g. `0x9fa0` for proc) of the filesystem the
    /// entry is on, asked without descending into it (an `O_PATH` open, which triggers no
    /// automount); `None` when it cannot be had.
    pub fn filesystem_magic(&self) -> Option<i64> {
        let st = if self.name.is_empty() {
            nix::sys::statfs::fstatfs(self.at)
        } else {
            let fd = openat(
                self.at,
                self.name,
                OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .ok()?;
            nix::sys::statfs::fstatfs(&fd)
        };
        st.ok().map(|s| s.filesystem_type().0)
    }
}

/// Flags of every directory the walk opens: for reading, a directory or nothing, never through a
/// link.
fn walk_dir_flags() -> OFlag {
    OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC
}

/// A directory of the walk's stack whose entries have been visited: the subdirectories still to
/// descend into, and the descriptor to open them through.
struct Frame {
    /// Closed (`None`) while deeper directories hold the descriptor budget.
    dir: Option<nix::dir::Dir>,
    /// Identity, to check a re-open through `..`.
    dev: u64,
    ino: u64,
    /// Length of its in-image path in the walk's path buffer.
    path_len: usize,
    depth: usize,
    /// Names of the subdirectories to descend into, each ending in NUL, in listing order …
    pending: Vec<u8>,
    /// … the device each had when listed …
    pending_devs: Vec<u64>,
    /// … and where the next one starts.
    next: usize,
    next_byte: usize,
}

/// What listing one directory gave.
enum Listed {
    Frame(Frame),
    LimitReached,
}

/// An in-image path for an error message, every byte kept ([`crate::names`]).
fn lossy(path: &[u8]) -> String {
    if path.is_empty() {
        "/".to_owned()
    } else {
        names::text(path).into_owned()
    }
}

impl RootFs {
    /// Walks the tree under the in-image directory `start` once, calling `visit` for every entry
    /// (the start directory included) with its `lstat` metadata; for a directory, `visit` answers
    /// whether to descend into it (the answer is ignored for anything else). Mount points are
    /// entries like any other ([`WalkEntry::is_mount_point`]): which filesystems to walk is the
    /// caller's choice.
    ///
    /// Confinement by construction: `start` is resolved inside the root like every other path,
    /// then opened one component at a time; below it every directory is opened with
    /// `openat(parent, name, O_DIRECTORY | O_NOFOLLOW)` and every entry is looked at with
    /// `fstatat(parent, name, AT_SYMLINK_NOFOLLOW)`, names being single components from the
    /// listing. No path is ever resolved, so no link is followed, nothing can lead out of the
    /// root, and the kernel's rename race (see [`RESOLVE_TRIES`]) cannot touch the walk.
    ///
    /// Bounds: [`WalkOptions::max_entries`] entries, [`WalkOptions::max_open_dirs`] descriptors
    /// (any depth is walked; the stack holds one small record per level).
    ///
    /// Entries that vanish while walking (`ENOENT`), and directories replaced by something else
    /// between their listing and their opening, are passed over as gone; any other error
    /// (`EACCES` on a directory, a read error) stops the walk and is returned. Absent `start` →
    /// `Ok(None)`.
    pub fn walk<F: FnMut(&WalkEntry<'_>) -> bool>(
        &self,
        start: &str,
        opts: &WalkOptions,
        mut visit: F,
    ) -> Result<Option<WalkEnd>> {
        let rel = start.trim_start_matches('/');
        let real = match self.walk_userspace(if rel.is_empty() { "." } else { rel }, true) {
            Ok(r) => r,
            Err(Errno::ENOENT | Errno::ENOTDIR) => return Ok(None),
            Err(e) => return Err(RootFsError::from_errno(start, e)),
        };
        // The symlink-free path found, opened one component at a time with links refused: if
        // anything changed meanwhile, the open fails instead of following it.
        let mut fd = openat(
            self.dir.as_fd(),
            ".",
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| RootFsError::from_errno("/", e))?;
        let mut path: Vec<u8> = Vec::new();
        if real != b"." {
            for comp in real.split(|&b| b == b'/') {
                path.push(b'/');
                path.extend_from_slice(comp);
                fd = match openat(fd.as_fd(), OsStr::from_bytes(comp), walk_dir_flags(), Mode::empty()) {
                    Ok(f) => f,
                    Err(Errno::ENOENT) => return Ok(None),
                    Err(Errno::ENOTDIR) => {
                        return match self.symlink_metadata(start)? {
                            Some(m) => Err(RootFsError::WrongKind {
                                path: start.to_owned(),
                                kind: m.kind,
                                wanted: Kind::Directory,
                            }),
                            None => Ok(None),
                        };
                    }
                    Err(e) => return Err(RootFsError::from_errno(&lossy(&path), e)),
                };
            }
        }
        let st = fstat(fd.as_fd()).map_err(|e| RootFsError::from_errno(start, e))?;
        let meta = Meta::from_stat(&st);
        if opts.max_entries == 0 {
            return Ok(Some(WalkEnd::LimitReached(0)));
        }
        let mut n: u64 = 1;
        let top = WalkEntry {
            parent_dev: meta.dev,
            meta,
            depth: 0,
            dir: &path,
            name: c"",
            at: fd.as_fd(),
        };
        if !visit(&top) {
            return Ok(Some(WalkEnd::Complete(n)));
        }
        let max_open = opts.max_open_dirs.max(2);
        let mut scratch: Vec<u8> = Vec::new();
        let dir = nix::dir::Dir::from_fd(fd).map_err(|e| RootFsError::from_errno(start, e))?;
        let mut stack: Vec<Frame> = Vec::new();
        match self.list(dir, &st, &path, 0, opts, &mut n, &mut scratch, &mut visit)? {
            Listed::LimitReached => return Ok(Some(WalkEnd::LimitReached(n))),
            Listed::Frame(f) => stack.push(f),
        }
        // Frames below `open_from` (but the start's) have given their descriptor back.
        let mut open_from = 1usize;
        while let Some(top) = stack.last_mut() {
            if top.next == top.pending_devs.len() {
                let done = stack.pop();
                let p = stack.len().wrapping_sub(1);
                if let (Some(done), Some(parent)) = (done, stack.last_mut())
                    && parent.dir.is_none()
                {
                    self.reopen_parent(&done, parent, &path)?;
                    open_from = p;
                }
                continue;
            }
            let name_end = top.pending[top.next_byte..]
                .iter()
                .position(|&b| b == 0)
                .map_or(top.pending.len(), |i| top.next_byte + i + 1);
            let name = std::ffi::CStr::from_bytes_with_nul(&top.pending[top.next_byte..name_end]).map_err(|_| {
                RootFsError::Io {
                    path: lossy(&path),
                    source: std::io::Error::other("malformed directory entry name"),
                }
            })?;
            let want_dev = top.pending_devs[top.next];
            top.next += 1;
            top.next_byte = name_end;
            path.truncate(top.path_len);
            path.push(b'/');
            path.extend_from_slice(name.to_bytes());
            let Some(parent) = top.dir.as_ref() else {
                return Err(RootFsError::Io {
                    path: lossy(&path),
                    source: std::io::Error::other("walk: the directory being listed lost its descriptor"),
                });
            };
            let fd = match openat(parent.as_fd(), name, walk_dir_flags(), Mode::empty()) {
                Ok(fd) => fd,
                // Gone, or replaced by a link or a file, since it was listed.
                Err(Errno::ENOENT | Errno::ENOTDIR | Errno::ELOOP) => continue,
                Err(e) => return Err(RootFsError::from_errno(&lossy(&path), e)),
            };
            let st = fstat(fd.as_fd()).map_err(|e| RootFsError::from_errno(&lossy(&path), e))?;
            if st.st_dev != want_dev {
                return Err(RootFsError::Io {
                    path: lossy(&path),
                    source: std::io::Error::other(
                        "a filesystem was mounted or unmounted here during the walk; scan again",
                    ),
                });
            }
            let depth = top.depth + 1;
            let dir = nix::dir::Dir::from_fd(fd).map_err(|e| RootFsError::from_errno(&lossy(&path), e))?;
            match self.list(dir, &st, &path, depth, opts, &mut n, &mut scratch, &mut visit)? {
                Listed::LimitReached => return Ok(Some(WalkEnd::LimitReached(n))),
                // Nothing to descend into: its descriptor closes here.
                Listed::Frame(f) if f.pending_devs.is_empty() => {}
                Listed::Frame(f) => {
                    stack.push(f);
                    if 1 + stack.len() - open_from > max_open {
                        if let Some(f) = stack.get_mut(open_from) {
                            f.dir = None;
                        }
                        open_from += 1;
                    }
                }
            }
        }
        Ok(Some(WalkEnd::Complete(n)))
    }

    /// Lists one open directory, visits each entry, and returns the frame of the subdirectories
    /// to descend into.
    #[allow(clippy::too_many_arguments)]
    fn list<F: FnMut(&WalkEntry<'_>) -> bool>(
        &self,
        mut dir: nix::dir::Dir,
        st: &FileStat,
        path: &[u8],
        depth: usize,
        opts: &WalkOptions,
        n: &mut u64,
        names: &mut Vec<u8>,
        visit: &mut F,
    ) -> Result<Listed> {
        names.clear();
        for ent in dir.iter() {
            let ent = ent.map_err(|e| RootFsError::from_errno(&lossy(path), e))?;
            let name = ent.file_name().to_bytes_with_nul();
            if name != b".\0" && name != b"..\0" {
                names.extend_from_slice(name);
            }
        }
        let mut frame = Frame {
            dir: None,
            dev: st.st_dev,
            ino: st.st_ino,
            path_len: path.len(),
            depth,
            pending: Vec::new(),
            pending_devs: Vec::new(),
            next: 0,
            next_byte: 0,
        };
        for raw in names.split_inclusive(|&b| b == 0) {
            let Ok(name) = std::ffi::CStr::from_bytes_with_nul(raw) else {
                continue;
            };
            let st = match fstatat(
                dir.as_fd(),
                name,
                AtFlags::AT_SYMLINK_NOFOLLOW | AtFlags::AT_NO_AUTOMOUNT,
            ) {
                Ok(st) => st,
                Err(Errno::ENOENT) => continue,
                Err(e) => {
                    let mut p = path.to_vec();
                    p.push(b'/');
                    p.extend_from_slice(name.to_bytes());
                    return Err(RootFsError::from_errno(&lossy(&p), e));
                }
            };
            if *n >= opts.max_entries {
                return Ok(Listed::LimitReached);
            }
            *n += 1;
            let entry = WalkEntry {
                meta: Meta::from_stat(&st),
                depth: depth + 1,
                parent_dev: frame.dev,
                dir: path,
                name,
                at: dir.as_fd(),
            };
            if visit(&entry) && entry.meta.kind == Kind::Directory {
                frame.pending.extend_from_slice(raw);
                frame.pending_devs.push(entry.meta.dev);
            }
        }
        if !frame.pending_devs.is_empty() {
            frame.dir = Some(dir);
        }
        Ok(Listed::Frame(frame))
    }

    /// Gives `parent` its descriptor back through `..` of its child `done` (still open: the
    /// deepest frames keep theirs), checked to be the same directory.
    fn reopen_parent(&self, done: &Frame, parent: &mut Frame, path: &[u8]) -> Result<()> {
        let where_ = lossy(path.get(..parent.path_len).unwrap_or_default());
        let moved = || RootFsError::Io {
            path: where_.clone(),
            source: std::io::Error::other("the directory was moved during the walk; scan again"),
        };
        let Some(child) = done.dir.as_ref() else {
            return Err(moved());
        };
        let fd = openat(child.as_fd(), "..", walk_dir_flags(), Mode::empty())
            .map_err(|e| RootFsError::from_errno(&where_, e))?;
        let st = fstat(fd.as_fd()).map_err(|e| RootFsError::from_errno(&where_, e))?;
        if (st.st_dev, st.st_ino) != (parent.dev, parent.ino) {
            return Err(moved());
        }
        parent.dir = Some(nix::dir::Dir::from_fd(fd).map_err(|e| RootFsError::from_errno(&where_, e))?);
        Ok(())
    }
}

fn has_glob_meta(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// fnmatch(3) without flags on one path component: `*`, `?`, `[...]` (with `!`/`^` negation and
/// ranges), and `\` escaping the next character.
pub fn fnmatch(pat: &[u8], s: &[u8]) -> bool {
    // Iterative matcher with single-star backtracking: linear in practice, no recursion to blow.
    let (mut p, mut i) = (0usize, 0usize);
    let (mut star_p, mut star_i) = (usize::MAX, 0usize);
    while i < s.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star_p = p;
                    star_i = i;
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, len)) = bracket(&pat[p..], s[i]) {
                        if matched {
                            p += len;
                            i += 1;
                            continue;
                        }
                    } else if s[i] == b'[' {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pat.len() => {
                    if pat[p + 1] == s[i] {
                        p += 2;
                        i += 1;
                        continue;
                    }
                }
                c => {
                    if c == s[i] {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
            }
        }
        if star_p != usize::MAX {
            p = star_p + 1;
            star_i += 1;
            i = star_i;
            continue;
        }
        return false;
    }
    while p < pat.len() && pat[p] == b'*' {
        p += 1;
    }
    p == pat.len()
}

/// Matches `c` against the bracket expression at the start of `pat`; returns (matched, length) or
/// `None` when the bracket is unterminated (then `[` is literal).
fn bracket(pat: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut j = 1;
    let negate = matches!(pat.get(j), Some(b'!') | Some(b'^'));
    if negate {
        j += 1;
    }
    let mut matched = false;
    let mut first = true;
    while j < pat.len() {
        let lo = pat[j];
        if lo == b']' && !first {
            return Some((matched != negate, j + 1));
        }
        first = false;
        if j + 2 < pat.len() && pat[j + 1] == b'-' && pat[j + 2] != b']' {
            if (lo..=pat[j + 2]).contains(&c) {
                matched = true;
            }
            j += 3;
        } else {
            if lo == c {
                matched = true;
            }
            j += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_basics() {
        assert!(fnmatch(b"*.conf", b"50-cloud-init.conf"));
        assert!(!fnmatch(b"*.conf", b"50-cloud-init.conf.bak"));
        assert!(fnmatch(b"a?c", b"abc"));
        assert!(fnmatch(b"[0-9]*", b"5x"));
        assert!(!fnmatch(b"[!0-9]*", b"5x"));
        assert!(fnmatch(b"*a*b*c*", b"xxaxxbxxcxx"));
        assert!(!fnmatch(b"*a*b*c*d", &[b'a'; 5000]));
        assert!(fnmatch(b"[", b"["));
        assert!(fnmatch(b"\\*", b"*"));
        assert!(!fnmatch(b"\\*", b"x"));
    }

    /// Renames `a` ↔ `b` in `dir` until `stop` is set: what makes `RESOLVE_IN_ROOT` fail with
    /// `EAGAIN` for any path with `..` resolved meanwhile, anywhere on the machine.
    fn rename_loop(dir: &Path, stop: &std::sync::atomic::AtomicBool) -> u64 {
        let (a, b) = (dir.join("a"), dir.join("b"));
        std::fs::write(&a, "x").unwrap();
        let mut n = 0;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            std::fs::rename(&a, &b).unwrap();
            std::fs::rename(&b, &a).unwrap();
            n += 2;
        }
        n
    }

    /// A root whose /etc/os-release is Debian's `../usr/lib/os-release`, read over and over while
    /// another thread renames a file in a loop: the bare `openat2` fails with `EAGAIN` (counted, to
    /// show the race was provoked), a read through `RootFs` never does.
    #[test]
    #[allow(clippy::disallowed_macros)] // A test says why it proves nothing here.
    fn resolution_is_retried_while_files_are_renamed_elsewhere() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("usr/lib")).unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::fs::write(root.path().join("usr/lib/os-release"), "ID=debian\n").unwrap();
        std::os::unix::fs::symlink("../usr/lib/os-release", root.path().join("etc/os-release")).unwrap();
        let fs = RootFs::open(root.path()).unwrap();
        if fs.resolver() != Resolver::Kernel {
            eprintln!("skipped: openat2 is not available here, and the userspace resolver never sees EAGAIN");
            return;
        }
        let scratch = tempfile::tempdir().unwrap();
        let stop = AtomicBool::new(false);
        let how = OpenHow::new()
            .flags(OFlag::O_PATH | OFlag::O_CLOEXEC)
            .resolve(ResolveFlag::RESOLVE_IN_ROOT);
        let (mut bare_eagain, mut reads) = (0u32, 0u32);
        std::thread::scope(|s| {
            let renamer = s.spawn(|| rename_loop(scratch.path(), &stop));
            // Until the race has been seen a few times (bounded: a kernel that never reports it
            // leaves the read assertions, which still hold).
            for _ in 0..200_000 {
                if bare_eagain >= 20 && reads >= 2_000 {
                    break;
                }
                if let Err(Errno::EAGAIN) = openat2(fs.dir.as_fd(), "etc/os-release", how) {
                    bare_eagain += 1;
                }
                let text = fs.read_text("/etc/os-release");
                assert!(
                    matches!(&text, Ok(Some(t)) if t == "ID=debian\n"),
                    "read {reads}: {text:?}"
                );
                reads += 1;
            }
            stop.store(true, Ordering::Relaxed);
            assert!(renamer.join().unwrap() > 0);
        });
        eprintln!("{reads} reads, {bare_eagain} bare openat2 calls failed with EAGAIN");
        assert!(
            bare_eagain > 0,
            "the rename loop never made openat2 fail: the test proves nothing here"
        );
    }

    /// When the tries are spent, the error says what happened and what to do.
    #[test]
    fn spent_retries_are_a_typed_error_that_says_what_to_do() {
        let e = RootFsError::from_errno("/etc/os-release", Errno::EAGAIN);
        assert!(matches!(
            e,
            RootFsError::RenameRace {
                tries: RESOLVE_TRIES,
                ..
            }
        ));
        let msg = e.to_string();
        assert!(
            msg.starts_with("cannot read /etc/os-release: the kernel asked 128 times"),
            "{msg}"
        );
        assert!(msg.contains("renamed") && msg.contains("re-run the scan"), "{msg}");
    }

    /// A line far longer than a read chunk is gathered, not searched again per chunk: reading it
    /// costs linear time (a 64 MiB dpkg status field took 59 s when the whole pending buffer was
    /// searched for a line end after each 64 KiB read).
    #[test]
    fn one_long_line_is_read_in_linear_time() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RootFs::open(dir.path()).unwrap();
        let mut sizes = std::collections::BTreeMap::new();
        crate::testing::assert_linear("read_text_chunks of one long line", 32 << 20, |n| {
            let name = format!("line{n}");
            sizes.entry(n).or_insert_with(|| {
                let mut text = b"Description: ".to_vec();
                text.resize(n, b'x');
                std::fs::write(dir.path().join(&name), &text).unwrap();
            });
            let mut got = 0;
            fs.read_text_chunks(&format!("/{name}"), 1 << 30, |c| got += c.len())
                .unwrap();
            assert_eq!(got, n);
        });
    }

    /// Every byte pushed is searched at most once, and the pieces are the stream cut at line ends.
    #[test]
    fn line_chunks_search_each_byte_once() {
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
        for round in 0..200 {
            let mut stream = Vec::new();
            let mut lc = LineChunks::default();
            let mut out: Vec<Vec<u8>> = Vec::new();
            let mut pushed = 0u64;
            for _ in 0..(round % 17) {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let len = usize::try_from(rng % 5000).unwrap();
                let chunk: Vec<u8> = (0..len)
                    .map(|i| {
                        if (rng >> (i % 61)).is_multiple_of(97) {
                            b'\n'
                        } else {
                            b'a'
                        }
                    })
                    .collect();
                pushed += chunk.len() as u64;
                stream.extend_from_slice(&chunk);
                lc.push(&chunk, |l| out.push(l.to_vec()));
            }
            assert!(lc.searched() <= pushed, "round {round}");
            assert!(out.iter().all(|c| c.ends_with(b"\n")), "round {round}");
            out.push(lc.rest());
            assert_eq!(out.concat(), stream, "round {round}");
        }
    }

    /// A listing of more entries than the bound is an error naming the directory and the bound.
    #[test]
    fn a_directory_past_the_entry_bound_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::create_dir(&big).unwrap();
        for i in 0..DIR_ENTRIES_LIMIT {
            std::fs::File::create(big.join(format!("{i}"))).unwrap();
        }
        let fs = RootFs::open(dir.path()).unwrap();
        assert_eq!(fs.read_dir("/big").unwrap().unwrap().len(), DIR_ENTRIES_LIMIT);
        std::fs::File::create(big.join("one-more")).unwrap();
        let e = fs.read_dir("/big").unwrap_err();
        assert!(matches!(e, RootFsError::TooManyEntries { .. }), "{e}");
        assert_eq!(
            e.to_string(),
            format!(
                "cannot list /big: more than {DIR_ENTRIES_LIMIT} entries (imagegate's bound on one directory listing)"
            )
        );
        assert!(matches!(fs.glob("/big/*"), Err(RootFsError::TooManyEntries { .. })));
    }

    /// A budget counts across files and names the file that went past it.
    #[test]
    fn a_budget_names_the_file_that_went_past_it() {
        let mut b = Budget::new("sysctl.d files", 10);
        b.charge("/a", 6).unwrap();
        b.charge("/b", 4).unwrap();
        let e = b.charge("/c", 1).unwrap_err().to_string();
        assert_eq!(
            e,
            "cannot read /c: the sysctl.d files read in this scan would exceed 10 bytes in total (imagegate's bound on them; no real image comes near it)"
        );
    }

    /// The chunked read yields the text (or the error) of the whole read, in chunks that end at
    /// line ends, whatever the chunk boundaries of the underlying reads cut through.
    #[test]
    fn text_chunks_match_the_whole_read() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RootFs::open(dir.path()).unwrap();
        let mut long = Vec::new();
        for i in 0..20_000 {
            long.extend_from_slice(format!("line {i} é€ {}\r\n", "x".repeat(i % 37)).as_bytes());
        }
        let mut long_nul = long.clone();
        long_nul[150_000] = 0;
        let mut long_bad = long.clone();
        long_bad[65_535] = 0xe2;
        long_bad[65_536] = 0x82;
        let mut bom_nul = b"\xef\xbb\xbf".to_vec();
        bom_nul.extend_from_slice(&long_nul);
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"a".to_vec(),
            b"a\nb".to_vec(),
            b"a\r\nb\r\n\n\r".to_vec(),
            b"\xef\xbbx\n".to_vec(),
            b"\xef\xbb".to_vec(),
            b"\xef\xbb\xbfx\n".to_vec(),
            b"\xef\xbb\xbfx\0".to_vec(),
            b"ab\0\n".to_vec(),
            b"a\xff\xfeb\n\xe2\x82\ncd\xe2".to_vec(),
            long,
            long_nul,
            long_bad,
            bom_nul,
        ];
        for (i, bytes) in cases.iter().enumerate() {
            std::fs::write(dir.path().join("f"), bytes).unwrap();
            for limit in [1 << 20, 100] {
                let whole = fs.read_text_limited("/f", limit).map_err(|e| e.to_string());
                let mut chunks = Vec::new();
                let streamed = fs
                    .read_text_chunks("/f", limit, |c| chunks.push(c.to_owned()))
                    .map_err(|e| e.to_string());
                match (whole, streamed) {
                    (Ok(Some(text)), Ok(Some(n))) => {
                        assert_eq!(n, bytes.len() as u64, "case {i}");
                        assert_eq!(chunks.concat(), text, "case {i}");
                        let lines: Vec<&str> = chunks.iter().flat_map(|c| c.lines()).collect();
                        assert_eq!(lines, text.lines().collect::<Vec<_>>(), "case {i}");
                        if let Some((_, init)) = chunks.split_last() {
                            assert!(init.iter().all(|c| c.ends_with('\n')), "case {i}");
                        }
                    }
                    (Err(a), Err(b)) => assert_eq!(a, b, "case {i}"),
                    (a, b) => panic!("case {i} limit {limit}: {a:?} vs {b:?}"),
                }
            }
        }
        assert!(matches!(fs.read_text_chunks("/absent", 100, |_| {}), Ok(None)));
    }
}

/// Files that belong to the user running imagegate (rule directories, tailoring, waivers), read
/// from the host, never from the scanned root. Bounded like every other read.
pub mod host {
    use std::io::Read;
    use std::path::Path;

    /// Largest user file read (4 MiB).
    const LIMIT: u64 = 4 << 20;

    /// Reads a user file as UTF-8 text.
    pub fn read_text(path: &Path) -> std::io::Result<String> {
        let f = std::fs::File::open(path)?;
        if !f.metadata()?.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        let mut s = String::new();
        f.take(LIMIT + 1).read_to_string(&mut s)?;
        if s.len() as u64 > LIMIT {
            return Err(std::io::Error::other(format!("larger than {LIMIT} bytes")));
        }
        Ok(s)
    }

    /// The `*.toml` files of a directory (a file is taken as a one-file directory), sorted by
    /// name: (display path, contents).
    pub fn read_toml_dir(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
        if std::fs::metadata(dir)?.is_file() {
            return Ok(vec![(dir.display().to_string(), read_text(dir)?)]);
        }
        let mut paths: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|p| Ok((p.display().to_string(), read_text(&p)?)))
            .collect()
    }

    /// Creates (or truncates) a report file the user asked for, creating its parent directory.
    pub fn create(path: &Path) -> std::io::Result<std::fs::File> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::File::create(path)
    }
}
