//! The fact layer: everything imagegate knows about the scanned system, each value with the file and
//! line it came from.
//!
//! Collectors are plain functions, declared once in the `fact_groups!` table below, which yields
//! [`Facts`], [`GROUPS`] and the runner. A group is collected only when a selected rule or the
//! report header ([`HEADER_GROUPS`]) reads it, or another collector asks for it through [`Cx`]. A
//! new fact: a module here, one entry in the table, and a row in docs/facts.md.
//!
//! A collector returns `Result<T, FactError>`; the result is stored as a [`Collected`], so one
//! unreadable file turns the rules that need it into errors while every other rule is still
//! evaluated.
//!
//! Rules address facts by their serde path in the JSON that `imagegate facts` prints, so that dump
//! and the rule files use the same names (see docs/facts.md).

pub mod access;
pub mod accounts;
pub mod auto_updates;
pub mod boot;
pub mod cloud_init;
pub mod declared_files;
pub mod files;
pub mod filesystem;
pub mod firewall;
pub mod hids;
pub mod homes;
pub mod hygiene;
pub mod integrity;
pub mod lifecycle;
pub mod logging;
pub mod mac;
pub mod os_release;
pub mod packages;
pub mod passwords;
pub mod services;
pub mod sources;
pub mod sshd;
pub mod sysctl;
pub mod updates;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::rootfs::{RootFs, RootFsError};

/// Where a value came from: a file and line inside the scanned root, or a note (a compiled-in
/// default, a kernel interface, a derived value).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, PartialOrd, Ord, schemars::JsonSchema,
)]
pub struct Source {
    /// In-image path of the file that decided the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// 1-based line in that file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// What the value is when no file decided it (e.g. "compiled-in default of OpenSSH 9.2p1").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Source {
    /// A file and line.
    pub fn at(path: impl Into<String>, line: u32) -> Self {
        Source {
            path: Some(path.into()),
            line: Some(line),
            note: None,
        }
    }
    /// A whole file.
    pub fn file(path: impl Into<String>) -> Self {
        Source {
            path: Some(path.into()),
            line: None,
            note: None,
        }
    }
    /// No file: a default or a derived value.
    pub fn note(note: impl Into<String>) -> Self {
        Source {
            path: None,
            line: None,
            note: Some(note.into()),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.path, self.line, &self.note) {
            (Some(p), Some(l), _) => write!(f, "{p}:{l}"),
            (Some(p), None, _) => write!(f, "{p}"),
            (None, _, Some(n)) => write!(f, "{n}"),
            (None, _, None) => write!(f, "(unknown source)"),
        }
    }
}

/// The names the fact wrappers give serde (struct names, which no output format writes): how the
/// typed view of the facts (rules/view.rs) tells a [`Fact`], a [`Shadowed`] value and an
/// unavailable marker from data, by type rather than by guessing from field names. Each is spelled
/// once more, in its type's `#[serde(rename)]` (an attribute takes no constant); the view's tests
/// fail if the two differ.
pub mod marker {
    /// [`super::Fact`].
    pub const FACT: &str = "imagegate::Fact";
    /// [`super::Shadowed`].
    pub const SHADOWED: &str = "imagegate::Shadowed";
    /// The unavailable alternative of [`super::Collected`].
    pub const UNAVAILABLE: &str = "imagegate::Unavailable";
}

/// A value that another setting overrode: kept as evidence of what the winner shadowed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename = "imagegate::Shadowed")]
pub struct Shadowed<T> {
    /// The overridden value.
    pub value: T,
    /// Where it was set.
    pub source: Source,
}

/// One fact value with its provenance. Serialized as `{"value": …, "source": {…}, "shadowed": […]}`;
/// the rule engine recognises this shape and reports `source` and `shadowed` as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename = "imagegate::Fact")]
pub struct Fact<T> {
    /// The value in force.
    pub value: T,
    /// What decided it.
    pub source: Source,
    /// Values the winner overrode, in the order they were met.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shadowed: Vec<Shadowed<T>>,
}

impl<T> Fact<T> {
    /// A value without competitors.
    pub fn new(value: T, source: Source) -> Self {
        Fact {
            value,
            source,
            shadowed: Vec::new(),
        }
    }
}

/// Why a fact is missing: an error (something could not be read or parsed) or not-applicable (the
/// fact cannot exist here, e.g. runtime values in an offline root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Missing {
    /// Could not be read or trusted.
    Error,
    /// Does not exist on this kind of target.
    NotApplicable,
}

/// A fact that could not be collected, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Unavailable {
    /// Error or not-applicable.
    pub status: Missing,
    /// Why, for the user ("cannot read /etc/shadow: permission denied (run as root or with sudo)").
    pub reason: String,
    /// The file's permissions refused the read (`EACCES`, `EPERM`): a scan as root would read it.
    /// Typed, so that what follows from it does not depend on the words of `reason`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub permission_denied: bool,
}

/// The outcome of one collector. Serialized untagged: the value itself, or
/// `{"unavailable": {"status": …, "reason": …}}`, which the rule engine turns into an error or
/// not-applicable finding for every rule that needs it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
// Untagged, the `Ok` value serializes as itself and only the unavailable alternative is a struct
// under the enum's name: that name is the marker.
#[serde(untagged, rename = "imagegate::Unavailable")]
pub enum Collected<T> {
    /// The fact.
    Ok(T),
    /// Why there is none.
    Unavailable {
        /// The reason.
        unavailable: Unavailable,
    },
}

impl<T> Collected<T> {
    /// The value, if collected.
    pub fn ok(&self) -> Option<&T> {
        match self {
            Collected::Ok(v) => Some(v),
            Collected::Unavailable { .. } => None,
        }
    }
    /// The value a dependent collector needs, or an error saying which fact was missing and why
    /// (`"{what}: {reason}"`).
    pub fn required(&self, what: &str) -> Result<&T, FactError> {
        match self {
            Collected::Ok(v) => Ok(v),
            Collected::Unavailable { unavailable } => Err(FactError::Unavailable {
                what: what.to_owned(),
                reason: unavailable.reason.clone(),
            }),
        }
    }
    /// An error marker.
    pub fn error(reason: impl Into<String>) -> Self {
        Collected::Unavailable {
            unavailable: Unavailable {
                status: Missing::Error,
                reason: reason.into(),
                permission_denied: false,
            },
        }
    }
    /// An error marker for a failed read, saying whether permissions refused it.
    pub fn unreadable(e: &RootFsError) -> Self {
        Collected::Unavailable {
            unavailable: Unavailable {
                status: Missing::Error,
                reason: e.to_string(),
                permission_denied: matches!(e, RootFsError::PermissionDenied { .. }),
            },
        }
    }
    /// A not-applicable marker.
    pub fn not_applicable(reason: impl Into<String>) -> Self {
        Collected::Unavailable {
            unavailable: Unavailable {
                status: Missing::NotApplicable,
                reason: reason.into(),
                permission_denied: false,
            },
        }
    }
}

impl<T> From<Result<T, FactError>> for Collected<T> {
    fn from(r: Result<T, FactError>) -> Self {
        match r {
            Ok(v) => Collected::Ok(v),
            Err(FactError::NotApplicable(reason)) => Collected::not_applicable(reason),
            Err(FactError::Fs(e)) => Collected::unreadable(&e),
            Err(e) => Collected::error(e.to_string()),
        }
    }
}

/// Why a collector failed.
#[derive(Debug, thiserror::Error)]
pub enum FactError {
    /// A file could not be read.
    #[error(transparent)]
    Fs(#[from] RootFsError),
    /// A file could not be parsed; the message says what was wrong at that line.
    #[error("{path}:{line}: {msg}")]
    Parse {
        /// In-image path.
        path: String,
        /// 1-based line.
        line: u32,
        /// What is wrong, lowercase, no trailing period.
        msg: String,
    },
    /// The rpm database at `path` could not be read.
    #[error("{path}: {error}")]
    RpmDb {
        /// In-image path of the database (or of its write-ahead log).
        path: String,
        /// What is wrong.
        #[source]
        error: packages::rpm::RpmDbError,
    },
    /// A file the fact cannot do without does not exist.
    #[error("{path} does not exist{}", consequence.map(|c| format!(": {c}")).unwrap_or_default())]
    Missing {
        /// In-image path.
        path: String,
        /// What is unknown without it, when the path alone does not say.
        consequence: Option<&'static str>,
    },
    /// A file listed a moment before was gone when read (the image changed under the scan).
    #[error("{path} vanished during the scan")]
    Vanished {
        /// In-image path.
        path: String,
    },
    /// A bound imagegate keeps on hostile input was reached: the answer would be partial.
    #[error("{path}: more than {limit} {what}, refusing a partial answer")]
    Limit {
        /// In-image path of the file or directory that hit it.
        path: String,
        /// The bound.
        limit: u64,
        /// What was counted.
        what: &'static str,
    },
    /// Includes nest deeper than the bound kept on them.
    #[error("{path}: includes nest deeper than {depth} levels (an include loop?)")]
    IncludeDepth {
        /// The file whose include went past the bound.
        path: String,
        /// The bound.
        depth: usize,
    },
    /// A file includes itself, directly or through others.
    #[error("{path}: include loop")]
    IncludeLoop {
        /// The file included twice on one chain.
        path: String,
    },
    /// No database of the kind looked for exists.
    #[error("no {kind} database found (looked for {})", looked.join(", "))]
    NoDatabase {
        /// `"package"`, `"rpm"`.
        kind: &'static str,
        /// The in-image paths looked at.
        looked: Vec<String>,
    },
    /// Data the image build should have left in the image (a package index, an updateinfo
    /// cache) is not there: what is missing, and the command that creates it.
    #[error("{what}: {remedy}")]
    NotCached {
        /// What is missing, with its path when it has one.
        what: String,
        /// What to run or configure in the image build.
        remedy: &'static str,
    },
    /// A fact this one is derived from is unavailable.
    #[error("{what}: {reason}")]
    Unavailable {
        /// What is needed.
        what: String,
        /// Why it is unavailable.
        reason: String,
    },
    /// A compressed file could not be decompressed (corrupt or truncated).
    #[error("{path}: cannot decompress: {error}")]
    Decompress {
        /// In-image path.
        path: String,
        /// The compression format: `"gzip"`, `"lz4"`.
        codec: &'static str,
        /// What the decoder reported.
        #[source]
        error: std::io::Error,
    },
    /// A file is compressed in a format imagegate does not read.
    #[error("{path}: {codec} compression is not supported ({reads})")]
    UnsupportedCompression {
        /// In-image path.
        path: String,
        /// The file name extension that names the format (`".xz"`).
        codec: &'static str,
        /// What imagegate reads instead, for the message.
        reads: &'static str,
    },
    /// A file that must be text holds a NUL byte.
    #[error("{path}: binary data in a text {what}")]
    Binary {
        /// In-image path.
        path: String,
        /// What the file is (`"index"`).
        what: &'static str,
    },
    /// The filesystem walk failed part-way: nothing beyond the entries visited was checked.
    #[error("the filesystem walk stopped after {entries} entries: {error}: nothing beyond it was checked")]
    WalkStopped {
        /// Entries visited before the failure.
        entries: u64,
        /// What failed.
        #[source]
        error: RootFsError,
    },
    /// The filesystem walk reached its bound on entries (`--walk-limit`).
    #[error("walk stopped after {entries} entries (the walk limit): the filesystem was not fully checked")]
    WalkLimit {
        /// The entries visited, the bound.
        entries: u64,
    },
    /// sshd would refuse the configuration, where no file and line decide it (located refusals
    /// are [`FactError::Parse`]): what sshd reports.
    #[error("{msg}")]
    SshdRejects {
        /// sshd's message, or what sshd checks.
        msg: String,
    },
    /// A path declared in the rule data (`declared_files`) is not one imagegate can look up.
    #[error("declared file {key:?}: {why}")]
    DeclaredPath {
        /// The path as declared.
        key: String,
        /// What is wrong with it and what to write instead.
        why: &'static str,
    },
    /// A release's lifecycle could not be judged.
    #[error(transparent)]
    Lifecycle(#[from] lifecycle::LifecycleError),
    /// The input is unusable for another reason (e.g. an include loop, an invalid configuration).
    #[error("{0}")]
    Invalid(String),
    /// The fact does not exist on this target (not an error).
    #[error("{0}")]
    NotApplicable(String),
}

/// What every collector may know about the scan.
#[derive(Debug, Clone)]
pub struct Context {
    /// The root is the running system: /proc and /sys describe it.
    pub live: bool,
    /// "Today" for age and end-of-life computations (`--as-of`).
    pub as_of: jiff::civil::Date,
    /// The fact groups the selected rules read (first components of their fact paths, and
    /// `group.part` for the first two); `None` = all (`imagegate facts`). Expensive groups
    /// (`integrity`, `sources`) and parts (`sources.offered`, `accounts.weak_passwords`) are only collected when wanted.
    pub wanted: Option<std::collections::BTreeSet<String>>,
}

impl Context {
    /// Whether the fact group `group` is needed by this run.
    pub fn wants(&self, group: &str) -> bool {
        self.wanted.as_ref().is_none_or(|w| w.contains(group))
    }
}

/// The scanned target, for report headers.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Target {
    /// Host path of the scanned root.
    pub root: String,
    /// Whether runtime state (/proc, /sys) was read.
    pub live: bool,
    /// The "today" used.
    pub as_of: String,
    /// The first line of /etc/hostname, when there is one.
    pub hostname: Option<String>,
    /// Offline roots: the filesystems mounted inside the root directory, by the host's mount
    /// table. Whatever is under them is read as part of the image (a host directory bind-mounted
    /// there too); each says whether the filesystem walk enters it, or why not.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<filesystem::walk::MountInside>,
}

/// Declares the fact groups, once: each group's field of [`Facts`] (its doc comment, name and
/// type) and how it is collected. From this one table come [`Facts`], [`GROUPS`] and the runner,
/// so a new fact is a module and one entry here (and a row in docs/facts.md).
///
/// A collector reads the facts of other groups through [`Cx`] (`cx.packages()`): the first to ask
/// collects that group, every later reader shares the result. What a group needs is therefore what
/// its collector asks for — there is no dependency list to keep in step with the code.
macro_rules! fact_groups {
    ($( $(#[$doc:meta])* $name:ident : $ty:ty => |$cx:ident| $collect:expr; )*) => {
        /// The top-level fact groups, i.e. the field names of [`Facts`]: the first component of
        /// every rule fact path.
        pub const GROUPS: &[&str] = &["target", $(stringify!($name)),*];

        /// Every fact collected about one target. Field names are the first component of rule
        /// fact paths.
        #[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
        pub struct Facts {
            /// What was scanned.
            pub target: Target,
            $( $(#[$doc])* pub $name: Collected<$ty>, )*
        }

        /// Each group's result, filled by the first collector or runner that asks.
        #[derive(Default)]
        struct Cells {
            $( $name: OnceLock<Collected<$ty>>, )*
        }

        impl Cx<'_> {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> &Collected<$ty> {
                    self.cells.$name.get_or_init(|| {
                        let $cx = self;
                        $collect
                    })
                }
            )*

            /// Collects the group at `index` of [`GROUPS`] (after `target`).
            fn force(&self, index: usize) {
                let names: &[&str] = &[$(stringify!($name)),*];
                match names.get(index).copied() {
                    $( Some(stringify!($name)) => { self.$name(); } )*
                    _ => {}
                }
            }

            /// The facts, with every group nobody asked for marked not-applicable.
            fn into_facts(self, target: Target) -> Facts {
                let Cells { $($name),* } = self.cells;
                Facts {
                    target,
                    $( $name: $name.into_inner().unwrap_or_else(not_needed), )*
                }
            }
        }
    };
}

fact_groups! {
    /// /etc/os-release.
    os: os_release::OsRelease => |cx| os_release::collect(cx.fs).into();
    /// Installed packages.
    packages: packages::Packages => |cx| packages::collect(cx.fs, cx.ctx).into();
    /// The effective sshd configuration.
    sshd: sshd::Sshd => |cx| sshd::collect(cx.fs, cx.ctx, cx.packages().ok()).into();
    /// Kernel parameters, runtime and persisted.
    sysctl: sysctl::Sysctl => |cx| sysctl::collect(cx.fs, cx.ctx, cx.os().ok()).into();
    /// SELinux and AppArmor.
    mac: mac::Mac => |cx| {
        mac::collect(cx.fs, cx.ctx, cx.os().ok(), cx.packages().ok(), cx.boot(), cx.services()).into()
    };
    /// cloud-init.
    cloud_init: cloud_init::CloudInit => |cx| cloud_init::collect(cx.fs, cx.ctx, cx.packages().ok()).into();
    /// Pending security updates.
    updates: updates::PendingUpdates => |cx| {
        updates::collect_pending(cx.fs, cx.ctx, cx.os().ok(), cx.packages()).into()
    };
    /// Automatic update configuration.
    auto_updates: updates::AutoUpdates => |cx| {
        updates::collect_auto(cx.fs, cx.ctx, cx.os().ok(), cx.packages().ok(), cx.services()).into()
    };
    /// Local accounts.
    accounts: accounts::Accounts => |cx| accounts::collect(cx.fs, cx.ctx).into();
    /// systemd unit enablement.
    services: services::Services => |cx| services::collect(cx.fs, cx.ctx).into();
    /// Support lifecycle of the release.
    lifecycle: lifecycle::Lifecycle => |cx| lifecycle::collect(cx.fs, cx.ctx, cx.os()).into();
    /// Kernel filesystem modules, mount options, the filesystem walk.
    filesystem: filesystem::Filesystem => |cx| filesystem::collect(cx.fs, cx.ctx).into();
    /// Ownership and permissions of well-known files.
    files: files::Files => |cx| files::collect(cx.fs, cx.ctx).into();
    // The one reader of the kernel command line: the MAC collector reads it from this fact.
    /// Bootloader configuration and kernel command line.
    boot: boot::Boot => |cx| boot::collect(cx.fs, cx.ctx).into();
    /// auditd, journald, rsyslog.
    logging: logging::Logging => |cx| logging::collect(cx.fs, cx.ctx).into();
    /// Host intrusion detection and anti-malware: AIDE's database, ClamAV's signatures, a Wazuh/OSSEC agent.
    hids: hids::Hids => |cx| hids::collect(cx.fs, cx.ctx).into();
    /// Host firewall.
    firewall: firewall::Firewall => |cx| firewall::collect(cx.fs, cx.ctx).into();
    /// PAM, login.defs, sudo, su, shell settings, cron/at, banners.
    access: access::Access => |cx| access::collect(cx.fs, cx.ctx).into();
    /// Home directories, dot files, root's PATH.
    homes: homes::Homes => |cx| homes::collect(cx.fs, cx.ctx).into();
    /// Image hygiene before capture.
    hygiene: hygiene::Hygiene => |cx| hygiene::collect(cx.fs, cx.ctx).into();
    /// Installed package files against the digests their package database recorded.
    integrity: integrity::Integrity => |cx| integrity::collect(cx.fs, cx.ctx, cx.packages()).into();
    /// Package sources, their signing, packages no source offers, and the image's provenance.
    sources: sources::Sources => |cx| sources::collect(cx.fs, cx.ctx, cx.packages()).into();
    /// The paths and globs that the selected rules declare, by the key they name.
    declared_files: declared_files::DeclaredFiles => |cx| declared_files::collect(cx.fs, cx.ctx).into();
}

/// Groups every report header reads (see `eval::HOST_*_FACTS`), collected whatever the rules, so
/// the header is the same in every profile. (`sources` without its costly `offered` part.)
pub const HEADER_GROUPS: &[&str] = &["os", "boot", "cloud_init", "sources"];

/// The groups with the largest reads (package indexes and files), started first so they overlap
/// with everything else.
const LARGEST_FIRST: &[&str] = &["integrity", "sources", "updates"];

impl Context {
    /// Whether the runner collects a group: a selected rule or the report header reads it. (A
    /// group another collector reads is collected when that collector asks.)
    fn runs(&self, group: &str) -> bool {
        self.wants(group) || HEADER_GROUPS.contains(&group)
    }
}

/// What a collector is handed: the root, the scan's context, and the other groups' facts (each
/// collected once, by whoever asks first).
pub struct Cx<'a> {
    /// The scanned root.
    pub fs: &'a RootFs,
    /// The scan's context.
    pub ctx: &'a Context,
    cells: Cells,
}

/// A group that no selected rule, header or collector read.
fn not_needed<T>() -> Collected<T> {
    Collected::not_applicable("not needed by the selected rules")
}

/// Runs the collectors the selected rules need (all of them when `ctx.wanted` is `None`, as for
/// `imagegate facts`) against `fs`.
pub fn collect(fs: &RootFs, ctx: &Context) -> Facts {
    collect_with(fs, ctx, None)
}

/// [`collect`] with the package database already read (`packages::collect` on the same root,
/// e.g. while the rules loaded).
///
/// Up to four threads take the groups to collect from one list, the largest reads first; a group
/// another collector needs is collected by whichever thread asks first, and the others wait for it.
/// Collectors share only the read-only `RootFs` and the facts they read, so the result does not
/// depend on the interleaving. Where no thread can be started, this thread collects everything.
pub fn collect_with(fs: &RootFs, ctx: &Context, packages: Option<Collected<packages::Packages>>) -> Facts {
    let cx = Cx {
        fs,
        ctx,
        cells: Cells::default(),
    };
    if let Some(p) = packages {
        // A fresh cell: this cannot already be set.
        let _ = cx.cells.packages.set(p);
    }
    let mut order: Vec<usize> = (0..GROUPS.len() - 1).filter(|&i| ctx.runs(GROUPS[i + 1])).collect();
    order.sort_by_key(|&i| !LARGEST_FIRST.contains(&GROUPS[i + 1]));
    let next = AtomicUsize::new(0);
    let work = || {
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            cx.force(i);
        }
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|s| {
        for t in 1..threads {
            // A thread that cannot start leaves its share to the others.
            let _ = std::thread::Builder::new()
                .name(format!("collect-{t}"))
                .spawn_scoped(s, work);
        }
        work();
    });
    let target = Target {
        root: fs.host_root().display().to_string(),
        live: ctx.live,
        as_of: ctx.as_of.to_string(),
        // Identification only: an unreadable /etc/hostname leaves it unknown.
        hostname: fs
            .read_text_limited("/etc/hostname", 4096)
            .ok()
            .flatten()
            .and_then(|t| t.lines().next().map(|l| l.trim().to_owned()))
            .filter(|h| !h.is_empty()),
        mounts: filesystem::walk::mounts_inside(fs, ctx.live),
    };
    cx.into_facts(target)
}

/// Runs `first` on a second thread (named `name`) while `second` runs on this one. `None` for
/// `first` when no thread could be started: the caller runs it itself. A panic in `first` is
/// resumed here, as the bug it is.
pub fn side_by_side<A: Send, B>(
    name: &str,
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B,
) -> (Option<A>, B) {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new().name(name.to_owned()).spawn_scoped(s, first);
        let b = second();
        let a = match handle.map(|h| h.join()) {
            Ok(Ok(a)) => Some(a),
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => None,
        };
        (a, b)
    })
}
