//! The fact layer: everything imagegate knows about the scanned system, each value with the file and
//! line it came from.
//!
//! Collectors are plain functions, called from [`collect_with`] in one of its two halves (no
//! registry: the compiler points at every place a new fact must be handled). A group runs only when
//! a selected rule, a dependent collector (`NEEDS`) or the report header ([`HEADER_GROUPS`]) reads
//! it. A new fact: a module here, a field of [`Facts`] and [`GROUPS`], a line in `other_side` (or
//! `index_side` for a large read), and a row in docs/facts.md.
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
pub mod files;
pub mod filesystem;
pub mod firewall;
pub mod homes;
pub mod hygiene;
pub mod integrity;
pub mod lifecycle;
pub mod logging;
pub mod mac;
pub mod os_release;
pub mod packages;
pub mod pending;
pub mod services;
pub mod sources;
pub mod sshd;
pub mod sysctl;
pub mod updates;

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

/// A value that another setting overrode: kept as evidence of what the winner shadowed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Shadowed<T> {
    /// The overridden value.
    pub value: T,
    /// Where it was set.
    pub source: Source,
}

/// One fact value with its provenance. Serialized as `{"value": …, "source": {…}, "shadowed": […]}`;
/// the rule engine recognises this shape and reports `source` and `shadowed` as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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
}

/// The outcome of one collector. Serialized untagged: the value itself, or
/// `{"unavailable": {"status": …, "reason": …}}`, which the rule engine turns into an error or
/// not-applicable finding for every rule that needs it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
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
            Collected::Unavailable { unavailable } => {
                Err(FactError::Invalid(format!("{what}: {}", unavailable.reason)))
            }
        }
    }
    /// An error marker.
    pub fn error(reason: impl Into<String>) -> Self {
        Collected::Unavailable {
            unavailable: Unavailable {
                status: Missing::Error,
                reason: reason.into(),
            },
        }
    }
    /// A not-applicable marker.
    pub fn not_applicable(reason: impl Into<String>) -> Self {
        Collected::Unavailable {
            unavailable: Unavailable {
                status: Missing::NotApplicable,
                reason: reason.into(),
            },
        }
    }
}

impl<T> From<Result<T, FactError>> for Collected<T> {
    fn from(r: Result<T, FactError>) -> Self {
        match r {
            Ok(v) => Collected::Ok(v),
            Err(FactError::NotApplicable(reason)) => Collected::not_applicable(reason),
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
    /// (`integrity`, `sources`) and parts (`sources.offered`) are only collected when wanted.
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
}

/// The top-level fact groups, i.e. the field names of [`Facts`]: the first component of every rule
/// fact path (a test checks the list against the serialized struct).
pub const GROUPS: &[&str] = &[
    "target",
    "os",
    "packages",
    "sshd",
    "sysctl",
    "mac",
    "cloud_init",
    "updates",
    "auto_updates",
    "accounts",
    "services",
    "lifecycle",
    "filesystem",
    "files",
    "boot",
    "logging",
    "firewall",
    "access",
    "homes",
    "hygiene",
    "integrity",
    "sources",
];

/// Every fact collected about one target. Field names are the first component of rule fact paths.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Facts {
    /// What was scanned.
    pub target: Target,
    /// /etc/os-release.
    pub os: Collected<os_release::OsRelease>,
    /// Installed packages.
    pub packages: Collected<packages::Packages>,
    /// The effective sshd configuration.
    pub sshd: Collected<sshd::Sshd>,
    /// Kernel parameters, runtime and persisted.
    pub sysctl: Collected<sysctl::Sysctl>,
    /// SELinux and AppArmor.
    pub mac: Collected<mac::Mac>,
    /// cloud-init.
    pub cloud_init: Collected<cloud_init::CloudInit>,
    /// Pending security updates.
    pub updates: Collected<updates::PendingUpdates>,
    /// Automatic update configuration.
    pub auto_updates: Collected<updates::AutoUpdates>,
    /// Local accounts.
    pub accounts: Collected<accounts::Accounts>,
    /// systemd unit enablement.
    pub services: Collected<services::Services>,
    /// Support lifecycle of the release.
    pub lifecycle: Collected<lifecycle::Lifecycle>,
    /// Kernel filesystem modules, mount options, the filesystem walk.
    pub filesystem: Collected<filesystem::Filesystem>,
    /// Ownership and permissions of well-known files.
    pub files: Collected<files::Files>,
    /// Bootloader configuration and kernel command line.
    pub boot: Collected<boot::Boot>,
    /// auditd, journald, rsyslog.
    pub logging: Collected<logging::Logging>,
    /// Host firewall.
    pub firewall: Collected<firewall::Firewall>,
    /// PAM, login.defs, sudo, su, shell settings, cron/at, banners.
    pub access: Collected<access::Access>,
    /// Home directories, dot files, root's PATH.
    pub homes: Collected<homes::Homes>,
    /// Image hygiene before capture.
    pub hygiene: Collected<hygiene::Hygiene>,
    /// Installed package files against the digests their package database recorded.
    pub integrity: Collected<integrity::Integrity>,
    /// Package sources, their signing, packages no source offers, and the image's provenance.
    pub sources: Collected<sources::Sources>,
}

/// Groups that other collectors read: a wanted group on the left needs the groups on the right.
const NEEDS: &[(&str, &[&str])] = &[
    ("sshd", &["packages"]),
    ("mac", &["os", "packages", "boot", "services"]),
    ("cloud_init", &["packages"]),
    ("updates", &["os", "packages"]),
    ("auto_updates", &["os", "packages", "services"]),
    ("lifecycle", &["os"]),
    ("integrity", &["packages"]),
    ("sources", &["packages"]),
];

/// Groups every report header reads (see `eval::HOST_*_FACTS`), collected whatever the rules, so
/// the header is the same in every profile. (`sources` without its costly `offered` part.)
pub const HEADER_GROUPS: &[&str] = &["os", "boot", "cloud_init", "sources"];

impl Context {
    /// Whether a collector must run: its group is wanted, a wanted group needs it, or the report
    /// header reads it. A group that does not run is not-applicable: no selected rule reads it.
    fn runs(&self, group: &str) -> bool {
        self.wants(group)
            || HEADER_GROUPS.contains(&group)
            || NEEDS.iter().any(|(g, needs)| needs.contains(&group) && self.runs(g))
    }
}

/// Runs a collector when [`Context::runs`] says its group is needed.
fn when<T>(ctx: &Context, group: &str, collect: impl FnOnce() -> Collected<T>) -> Collected<T> {
    if ctx.runs(group) {
        collect()
    } else {
        Collected::not_applicable("not needed by the selected rules")
    }
}

/// Runs the collectors the selected rules need (all of them when `ctx.wanted` is `None`, as for
/// `imagegate facts`) against `fs`.
pub fn collect(fs: &RootFs, ctx: &Context) -> Facts {
    collect_with(fs, ctx, None)
}

/// [`collect`] with the package database already read (`packages::collect` on the same root,
/// e.g. while the rules loaded).
///
/// After the package database, two halves run side by side: the package indexes and files
/// (pending updates, sources, integrity: the largest parses and reads) and every other collector.
/// Collectors share only the read-only `RootFs` and the facts they were given, so the result does
/// not depend on the interleaving. Where no thread can be started, the halves run one after the
/// other.
pub fn collect_with(fs: &RootFs, ctx: &Context, packages: Option<Collected<packages::Packages>>) -> Facts {
    let os: Collected<_> = os_release::collect(fs).into();
    let packages = match packages {
        Some(p) if ctx.runs("packages") => p,
        _ => when(ctx, "packages", || packages::collect(fs, ctx).into()),
    };
    let (indexes, rest) = side_by_side(
        "collect-indexes",
        || index_side(fs, ctx, &os, &packages),
        || other_side(fs, ctx, &os, &packages),
    );
    let indexes = indexes.unwrap_or_else(|| index_side(fs, ctx, &os, &packages));
    assemble(fs, ctx, os, packages, indexes, rest)
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

/// The package indexes and files: one half of [`collect_with`].
struct IndexSide {
    updates: Collected<updates::PendingUpdates>,
    integrity: Collected<integrity::Integrity>,
    sources: Collected<sources::Sources>,
}

fn index_side(
    fs: &RootFs,
    ctx: &Context,
    os: &Collected<os_release::OsRelease>,
    packages: &Collected<packages::Packages>,
) -> IndexSide {
    IndexSide {
        updates: when(ctx, "updates", || {
            updates::collect_pending(fs, ctx, os.ok(), packages).into()
        }),
        integrity: when(ctx, "integrity", || integrity::collect(fs, ctx, packages).into()),
        sources: when(ctx, "sources", || sources::collect(fs, ctx, packages).into()),
    }
}

/// Every other collector: the other half of [`collect_with`].
struct OtherSide {
    sshd: Collected<sshd::Sshd>,
    mac: Collected<mac::Mac>,
    cloud_init: Collected<cloud_init::CloudInit>,
    auto_updates: Collected<updates::AutoUpdates>,
    lifecycle: Collected<lifecycle::Lifecycle>,
    sysctl: Collected<sysctl::Sysctl>,
    accounts: Collected<accounts::Accounts>,
    services: Collected<services::Services>,
    filesystem: Collected<filesystem::Filesystem>,
    files: Collected<files::Files>,
    boot: Collected<boot::Boot>,
    logging: Collected<logging::Logging>,
    firewall: Collected<firewall::Firewall>,
    access: Collected<access::Access>,
    homes: Collected<homes::Homes>,
    hygiene: Collected<hygiene::Hygiene>,
}

fn other_side(
    fs: &RootFs,
    ctx: &Context,
    os: &Collected<os_release::OsRelease>,
    packages: &Collected<packages::Packages>,
) -> OtherSide {
    let services = when(ctx, "services", || services::collect(fs, ctx).into());
    // The kernel command line is read once, here, and the MAC collector reads it from the fact.
    let boot = when(ctx, "boot", || boot::collect(fs, ctx).into());
    OtherSide {
        sshd: when(ctx, "sshd", || sshd::collect(fs, ctx, packages.ok()).into()),
        mac: when(ctx, "mac", || {
            mac::collect(fs, ctx, os.ok(), packages.ok(), &boot, &services).into()
        }),
        cloud_init: when(ctx, "cloud_init", || cloud_init::collect(fs, ctx, packages.ok()).into()),
        auto_updates: when(ctx, "auto_updates", || {
            updates::collect_auto(fs, ctx, os.ok(), packages.ok(), &services).into()
        }),
        lifecycle: when(ctx, "lifecycle", || lifecycle::collect(fs, ctx, os).into()),
        sysctl: when(ctx, "sysctl", || sysctl::collect(fs, ctx, os.ok()).into()),
        accounts: when(ctx, "accounts", || accounts::collect(fs, ctx).into()),
        services,
        filesystem: when(ctx, "filesystem", || filesystem::collect(fs, ctx).into()),
        files: when(ctx, "files", || files::collect(fs, ctx).into()),
        boot,
        logging: when(ctx, "logging", || logging::collect(fs, ctx).into()),
        firewall: when(ctx, "firewall", || firewall::collect(fs, ctx).into()),
        access: when(ctx, "access", || access::collect(fs, ctx).into()),
        homes: when(ctx, "homes", || homes::collect(fs, ctx).into()),
        hygiene: when(ctx, "hygiene", || hygiene::collect(fs, ctx).into()),
    }
}

fn assemble(
    fs: &RootFs,
    ctx: &Context,
    os: Collected<os_release::OsRelease>,
    packages: Collected<packages::Packages>,
    indexes: IndexSide,
    rest: OtherSide,
) -> Facts {
    let IndexSide {
        updates,
        integrity,
        sources,
    } = indexes;
    let OtherSide {
        sshd,
        mac,
        cloud_init,
        auto_updates,
        lifecycle,
        sysctl,
        accounts,
        services,
        filesystem,
        files,
        boot,
        logging,
        firewall,
        access,
        homes,
        hygiene,
    } = rest;
    Facts {
        target: Target {
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
        },
        os,
        packages,
        sshd,
        sysctl,
        mac,
        cloud_init,
        updates,
        auto_updates,
        accounts,
        services,
        lifecycle,
        filesystem,
        files,
        boot,
        logging,
        firewall,
        access,
        homes,
        hygiene,
        integrity,
        sources,
    }
}
