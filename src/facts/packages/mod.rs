//! Installed packages, read from the package manager's own database inside the root: dpkg
//! (/var/lib/dpkg/status), rpm (/var/lib/rpm/rpmdb.sqlite) or apk (/lib/apk/db/installed).
//!
//! The backend is the first database that exists, checked in that order; nothing is executed and
//! no database is opened in place (the rpmdb is copied into memory). A root without any known
//! database is an error: a "no packages" answer would let every "X is not installed" rule pass.
//!
//! Representation: `installed` is a map by package name so rules can address
//! `packages.installed["cloud-init"]`. When one name is installed several times (dpkg multi-arch
//! `libc6:amd64` + `libc6:i386`, rpm multilib `glibc.x86_64` + `glibc.i686`, rpm install-only
//! kernels of several versions) the entry holds the representative instance — the highest version,
//! ties broken in favour of the native architecture (that of the package manager's own package) —
//! and lists the other instances under `also`.

pub mod apk;
pub mod dpkg;
pub mod rpm;

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Context, FactError, Source};
use crate::rootfs::RootFs;

/// The package database that was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Manager {
    /// Debian/Ubuntu dpkg.
    Dpkg,
    /// rpm (RHEL family, Amazon Linux, SUSE).
    Rpm,
    /// Alpine apk.
    Apk,
}

/// One installed instance of a package.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    /// Full version as the manager writes it (`1:9.6p1-3ubuntu13.5`, `8.7p1-38.el9`, `9.7_p1-r4`).
    /// rpm versions are `[epoch:]version-release`, the epoch shown only when set.
    pub version: String,
    /// Architecture (`amd64`, `x86_64`, `noarch`, `all`…); `None` for rpm pseudo-packages such as
    /// `gpg-pubkey` that have none.
    pub arch: Option<String>,
    /// dpkg state (`installed`, `half-configured`, `unpacked`…); always `installed` for rpm/apk,
    /// whose databases list only installed packages.
    pub state: String,
    /// The record that lists it: dpkg/apk stanza line, or the rpmdb with `hnum` as a note.
    pub source: Source,
}

/// Everything known about one installed package name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Package {
    /// The package name (repeated from the map key so quantifiers over the map can test it).
    pub name: String,
    /// Version of the representative instance.
    pub version: String,
    /// Its architecture.
    pub arch: Option<String>,
    /// Its dpkg state (see [`Instance::state`]).
    pub state: String,
    /// Source package (dpkg `Source:`, rpm SOURCERPM name, apk `o:` origin); the binary name when
    /// the database names none.
    pub source_package: String,
    /// Where it is recorded.
    pub source: Source,
    /// Other installed instances of the same name (other architectures or versions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Instance>,
}

impl Package {
    /// Every installed instance, the representative first.
    pub fn instances(&self) -> impl Iterator<Item = Instance> + '_ {
        std::iter::once(Instance {
            version: self.version.clone(),
            arch: self.arch.clone(),
            state: self.state.clone(),
            source: self.source.clone(),
        })
        .chain(self.also.iter().cloned())
    }
}

/// The installed package set.
#[derive(Debug, Clone, Serialize)]
pub struct Packages {
    /// Which database was read.
    pub manager: Manager,
    /// Its in-image path.
    pub database: String,
    /// Number of package names in `installed`.
    pub count: usize,
    /// Installed packages by name.
    pub installed: BTreeMap<String, Package>,
}

impl Packages {
    /// The entry for `name`, if installed.
    pub fn get(&self, name: &str) -> Option<&Package> {
        self.installed.get(name)
    }
}

/// One database record before grouping by name.
#[derive(Debug, Clone)]
pub struct Record {
    /// Package name.
    pub name: String,
    /// The instance.
    pub instance: Instance,
    /// Source package name.
    pub source_package: String,
}

/// Groups records by name (see the module doc for the representative's choice). `native` is the
/// manager's own architecture, `cmp` the manager's version ordering.
pub fn group(
    manager: Manager,
    database: &str,
    records: Vec<Record>,
    native: Option<&str>,
    cmp: fn(&str, &str) -> std::cmp::Ordering,
) -> Packages {
    // One sort instead of a Vec per name: best first within a name — highest version, then
    // native arch, then database order (the sort is stable). Per-name Vecs cost a 4-element
    // allocation each, and `also` collected in place from them kept that buffer although empty:
    // about 600 bytes per package, 60 MiB for a 100 000-package database.
    let rank = |r: &Record| r.instance.arch.as_deref() == native;
    let mut records = records;
    records.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| cmp(&b.instance.version, &a.instance.version))
            .then_with(|| rank(b).cmp(&rank(a)))
    });
    let mut installed: BTreeMap<String, Package> = BTreeMap::new();
    let mut it = records.into_iter().peekable();
    while let Some(first) = it.next() {
        let mut also = Vec::new();
        while let Some(r) = it.next_if(|r| r.name == first.name) {
            also.push(r.instance);
        }
        installed.insert(
            first.name.clone(),
            Package {
                name: first.name,
                version: first.instance.version,
                arch: first.instance.arch,
                state: first.instance.state,
                source_package: first.source_package,
                source: first.instance.source,
                also,
            },
        );
    }
    Packages {
        manager,
        database: database.to_owned(),
        count: installed.len(),
        installed,
    }
}

/// Largest text package database read (dpkg status, apk installed). A server with thousands of
/// packages has a status file of a few MiB; a million-line database is about 30 MiB.
const TEXT_DB_LIMIT: u64 = 128 << 20;

/// Reads the first package database present in the root.
pub fn collect(fs: &RootFs, _ctx: &Context) -> Result<Packages, FactError> {
    if let Some(text) = fs.read_text_limited(dpkg::STATUS, TEXT_DB_LIMIT)? {
        return dpkg::parse(dpkg::STATUS, &text);
    }
    if let Some(p) = rpm::collect(fs)? {
        return Ok(p);
    }
    if let Some(text) = fs.read_text_limited(apk::INSTALLED, TEXT_DB_LIMIT)? {
        return apk::parse(apk::INSTALLED, &text);
    }
    Err(FactError::Invalid(
        "no package database found (looked for /var/lib/dpkg/status, /var/lib/rpm/rpmdb.sqlite, /lib/apk/db/installed)"
            .into(),
    ))
}
