//! Installed packages, read from the package manager's own database inside the root: dpkg
//! (/var/lib/dpkg/status), rpm (rpmdb.sqlite, the Berkeley DB `Packages` or ndb `Packages.db`, [`rpm`]) or apk (/lib/apk/db/installed).
//!
//! The backend is the first database that exists, checked in that order; nothing is executed and
//! no database is opened in place (the rpmdb is copied into memory). A root without any known
//! database is an error: a "no packages" answer would let every "X is not installed" rule pass.
//!
//! Representation: `installed` is a map by package name (in memory a sorted list, [`Installed`])
//! so rules can address `packages.installed["cloud-init"]`. When one name is installed several
//! times (dpkg multi-arch `libc6:amd64` + `libc6:i386`, rpm multilib `glibc.x86_64` +
//! `glibc.i686`, rpm install-only kernels of several versions) the entry holds the representative
//! instance — the highest version, ties broken in favour of the native architecture (that of the
//! package manager's own package), then the database order — and lists the other instances under
//! `also`.
//!
//! Memory: the text databases are parsed as they stream in (never held whole), the records are
//! grouped in place, and the strings are inline [`CompactString`]s: a 100 000-package dpkg status
//! file costs about 20 MB of packages and little else.

pub mod apk;
pub mod bdb;
pub mod dpkg;
pub mod ndb;
pub mod rpm;

use compact_str::CompactString;
use serde::Serialize;
use serde::ser::SerializeMap;

use super::{Context, FactError, Source};
use crate::rootfs::RootFs;

/// Why a walk over the records of an rpm Berkeley DB or ndb database ([`bdb::each_blob`],
/// [`ndb::each_blob`]) stopped.
#[derive(Debug, thiserror::Error)]
pub enum WalkError<D> {
    /// The database is damaged or of another kind; `D` says where and how.
    #[error(transparent)]
    Damaged(D),
    /// The handler of one record failed: its error, unchanged.
    #[error(transparent)]
    Handler(FactError),
}

impl<D> WalkError<D> {
    /// The handler's error as it is, or the database's made one by `damaged` (which adds the path).
    pub fn into_fact_error(self, damaged: impl FnOnce(D) -> FactError) -> FactError {
        match self {
            WalkError::Damaged(d) => damaged(d),
            WalkError::Handler(e) => e,
        }
    }
}

/// The package database that was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
///
/// Strings are [`CompactString`]s: names, versions, architectures and states are almost always
/// at most 24 bytes and then live inline instead of in a heap allocation of their own (a
/// 100 000-package database would otherwise hold half a million small allocations).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Instance {
    /// Full version as the manager writes it (`1:9.6p1-3ubuntu13.5`, `8.7p1-38.el9`, `9.7_p1-r4`).
    /// rpm versions are `[epoch:]version-release`, the epoch shown only when set.
    #[schemars(with = "String")]
    pub version: CompactString,
    /// Architecture (`amd64`, `x86_64`, `noarch`, `all`…); `None` for rpm pseudo-packages such as
    /// `gpg-pubkey` that have none.
    #[schemars(with = "Option<String>")]
    pub arch: Option<CompactString>,
    /// dpkg state (`installed`, `half-configured`, `unpacked`…); always `installed` for rpm/apk,
    /// whose databases list only installed packages.
    #[schemars(with = "String")]
    pub state: CompactString,
    /// The record that lists it: dpkg/apk stanza line, or the rpmdb with `hnum` as a note.
    pub source: Source,
}

/// Everything known about one installed package name.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Package {
    /// The package name (repeated from the map key so quantifiers over the map can test it).
    #[schemars(with = "String")]
    pub name: CompactString,
    /// Version of the representative instance.
    #[schemars(with = "String")]
    pub version: CompactString,
    /// Its architecture.
    #[schemars(with = "Option<String>")]
    pub arch: Option<CompactString>,
    /// Its dpkg state (see [`Instance::state`]).
    #[schemars(with = "String")]
    pub state: CompactString,
    /// Source package (dpkg `Source:`, rpm SOURCERPM name, apk `o:` origin); the binary name when
    /// the database names none.
    #[schemars(with = "String")]
    pub source_package: CompactString,
    /// Where it is recorded.
    pub source: Source,
    /// Other installed instances of the same name (other architectures or versions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Instance>,
}

impl Package {
    /// One database record, before grouping: a package with no `also`.
    pub fn record(name: CompactString, source_package: CompactString, instance: Instance) -> Self {
        let Instance {
            version,
            arch,
            state,
            source,
        } = instance;
        Package {
            name,
            version,
            arch,
            state,
            source_package,
            source,
            also: Vec::new(),
        }
    }

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

    /// Moves the representative instance out, leaving empty values behind (for grouping).
    fn take_instance(&mut self) -> Instance {
        Instance {
            version: std::mem::take(&mut self.version),
            arch: self.arch.take(),
            state: std::mem::take(&mut self.state),
            source: std::mem::take(&mut self.source),
        }
    }
}

/// The installed packages by name: one entry per name, sorted by name (byte order, as a
/// `BTreeMap<String, _>` would be), looked up by binary search.
///
/// A sorted `Vec` instead of a map: a 100 000-package database cost 41 MB as `BTreeMap` nodes,
/// while this holds exactly one `Package` per name. Serialized exactly as the map was, a JSON
/// object from name to package in name order, so rules still address
/// `packages.installed["openssh-server"]` and quantify over `packages.installed`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Installed(Vec<Package>);

impl Installed {
    /// The entry for `name`.
    pub fn get(&self, name: &str) -> Option<&Package> {
        self.0
            .binary_search_by(|p| p.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.0.get(i))
    }

    /// Whether `name` is installed.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The packages in name order.
    pub fn values(&self) -> std::slice::Iter<'_, Package> {
        self.0.iter()
    }

    /// `(name, package)` in name order, as a map's iterator yields them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Package)> {
        self.0.iter().map(|p| (p.name.as_str(), p))
    }

    /// Number of package names.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No package at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Installed {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for p in &self.0 {
            map.serialize_entry(p.name.as_str(), p)?;
        }
        map.end()
    }
}

/// The schema of the map `Installed` serializes as.
impl schemars::JsonSchema for Installed {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Installed".into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <std::collections::BTreeMap<String, Package>>::json_schema(g)
    }
}

/// The installed package set.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Packages {
    /// Which database was read.
    pub manager: Manager,
    /// Its in-image path.
    pub database: String,
    /// Number of package names in `installed`.
    pub count: usize,
    /// Installed packages by name.
    pub installed: Installed,
}

impl Packages {
    /// The entry for `name`, if installed.
    pub fn get(&self, name: &str) -> Option<&Package> {
        self.installed.get(name)
    }
}

/// Groups database records (each a [`Package::record`], in database order) by name, in place:
/// see the module doc for the representative's choice. `native` is the manager's own
/// architecture, `cmp` the manager's version ordering.
pub fn group(
    manager: Manager,
    database: &str,
    mut records: Vec<Package>,
    native: Option<&str>,
    cmp: fn(&str, &str) -> std::cmp::Ordering,
) -> Packages {
    // One sort instead of a Vec per name: best first within a name — highest version, then
    // native arch, then database order (the sort is stable). Per-name Vecs cost a 4-element
    // allocation each, and `also` collected in place from them kept that buffer although empty:
    // about 600 bytes per package, 60 MiB for a 100 000-package database.
    //
    // The stable sort runs on indices: sorting the records themselves would take a scratch
    // buffer of half of them (10 MB for 100 000 packages); the permutation is then applied by
    // swaps.
    let rank = |p: &Package| p.arch.as_deref() == native;
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by(|&a, &b| match (records.get(a), records.get(b)) {
        (Some(a), Some(b)) => a
            .name
            .cmp(&b.name)
            .then_with(|| cmp(&b.version, &a.version))
            .then_with(|| rank(b).cmp(&rank(a))),
        _ => std::cmp::Ordering::Equal,
    });
    permute(&mut records, &mut order);
    drop(order);
    // Later instances of a name (worse by the order above) move into the first one's `also`.
    records.dedup_by(|later, first| {
        if later.name != first.name {
            return false;
        }
        first.also.push(later.take_instance());
        true
    });
    records.shrink_to_fit();
    let count = records.len();
    Packages {
        manager,
        database: database.to_owned(),
        count,
        // Sorted by name and deduplicated just above.
        installed: Installed(records),
    }
}

/// Reorders `items` so that position `i` holds what was at `order[i]` (`order` a permutation of
/// the indices; it is used up as the record of which cycles are done).
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut at = start;
        while let Some(slot) = order.get_mut(at) {
            let from = std::mem::replace(slot, at);
            // Done: `at` was in place already, or wants what was at `start`, which the swaps
            // carried here.
            if from == at || from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// Largest text package database read (dpkg status, apk installed). A server with thousands of
/// packages has a status file of a few MiB; a million-line database is about 30 MiB. The text is
/// streamed, never held whole ([`RootFs::read_text_chunks`]).
const TEXT_DB_LIMIT: u64 = crate::rootfs::limits::TEXT_DB;

/// Feeds the lines of the text database at `path` to `line` (1-based number, line as
/// [`str::lines`] yields it) while the file streams in, the text never held whole. `Ok(false)`
/// when the file is absent. The first error of `line` ends the feed and is returned, unless the
/// read itself fails (a NUL byte, an oversized file), which takes precedence as it would have
/// over parsing a text read whole.
fn read_lines(
    fs: &RootFs,
    path: &str,
    mut line: impl FnMut(u32, &str) -> Result<(), FactError>,
) -> Result<bool, FactError> {
    let mut failed = None;
    let mut n = 0usize;
    let found = fs.read_text_chunks(path, TEXT_DB_LIMIT, |chunk| {
        if failed.is_some() {
            return;
        }
        for raw in dpkg::lines(chunk) {
            n += 1;
            if let Err(e) = line(u32::try_from(n).unwrap_or(u32::MAX), raw) {
                failed = Some(e);
                return;
            }
        }
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(found.is_some()),
    }
}

/// Reads the first package database present in the root.
pub fn collect(fs: &RootFs, _ctx: &Context) -> Result<Packages, FactError> {
    if let Some(p) = dpkg::read(fs)? {
        return Ok(p);
    }
    if let Some(p) = rpm::collect(fs)? {
        return Ok(p);
    }
    if let Some(p) = apk::read(fs)? {
        return Ok(p);
    }
    let looked: Vec<&str> = std::iter::once("/var/lib/dpkg/status")
        .chain(rpm::database_paths())
        .chain(["/lib/apk/db/installed"])
        .collect();
    Err(FactError::NoDatabase {
        kind: "package",
        looked: looked.into_iter().map(Into::into).collect(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn record(name: &str, version: &str, arch: Option<&str>, line: u32) -> Package {
        Package::record(
            name.into(),
            format!("{name}-src").into(),
            Instance {
                version: version.into(),
                arch: arch.map(CompactString::from),
                state: "installed".into(),
                source: Source::at("/db", line),
            },
        )
    }

    /// The grouping this module did before it grouped in place: a stable sort of the records,
    /// then one map entry per name.
    fn reference(records: &[Package], native: Option<&str>) -> BTreeMap<String, Package> {
        let mut sorted = records.to_vec();
        let rank = |p: &Package| p.arch.as_deref() == native;
        sorted.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then_with(|| crate::version::dpkg_cmp(&b.version, &a.version))
                .then_with(|| rank(b).cmp(&rank(a)))
        });
        let mut out: BTreeMap<String, Package> = BTreeMap::new();
        for mut p in sorted {
            match out.get_mut(p.name.as_str()) {
                Some(first) => first.also.push(p.take_instance()),
                None => {
                    out.insert(p.name.to_string(), p);
                }
            }
        }
        out
    }

    #[test]
    fn multiarch_duplicates_group_in_place() {
        let records = vec![
            record("libc6", "2.39-0ubuntu8.3", Some("i386"), 1),
            record("zlib1g", "1:1.3", Some("amd64"), 2),
            record("libc6", "2.39-0ubuntu8.3", Some("amd64"), 3),
            record("libc6", "2.38-1", Some("amd64"), 4),
            record("libc6", "2.39-0ubuntu8.3", Some("i386"), 5),
            record("a", "1", None, 6),
        ];
        let p = group(
            Manager::Dpkg,
            "/db",
            records.clone(),
            Some("amd64"),
            crate::version::dpkg_cmp,
        );
        assert_eq!(p.count, 3);
        assert_eq!(
            p.installed.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["a", "libc6", "zlib1g"]
        );
        let libc = p.get("libc6").unwrap();
        // Highest version, then the native arch, then database order.
        assert_eq!(
            (libc.version.as_str(), libc.arch.as_deref()),
            ("2.39-0ubuntu8.3", Some("amd64"))
        );
        assert_eq!(libc.source, Source::at("/db", 3));
        let also: Vec<_> = libc.also.iter().map(|i| (i.version.as_str(), i.source.line)).collect();
        assert_eq!(
            also,
            [
                ("2.39-0ubuntu8.3", Some(1)),
                ("2.39-0ubuntu8.3", Some(5)),
                ("2.38-1", Some(4))
            ]
        );
        assert_eq!(libc.instances().count(), 4);
        assert!(p.get("zlib1g").unwrap().also.is_empty());
        assert!(p.installed.contains_key("a") && !p.installed.contains_key("b"));
        assert!(p.get("libc").is_none() && p.get("").is_none());
        let expected = reference(&records, Some("amd64"));
        assert_eq!(
            p.installed.values().cloned().collect::<Vec<_>>(),
            expected.into_values().collect::<Vec<_>>()
        );
    }

    #[test]
    fn grouping_matches_a_stable_sort_of_the_records() {
        // Many duplicates in a scrambled order: the index sort and the permutation by swaps must
        // give what sorting the records themselves gave.
        let mut seed = 7u32;
        let mut next = |n: u32| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) % n
        };
        let arches = [Some("amd64"), Some("i386"), Some("all"), None];
        let records: Vec<Package> = (0..2000)
            .map(|line| {
                let name = format!("p{}", next(300));
                let version = format!("1.{}", next(4));
                record(&name, &version, arches[next(4) as usize], line)
            })
            .collect();
        for native in [Some("amd64"), None] {
            let p = group(Manager::Dpkg, "/db", records.clone(), native, crate::version::dpkg_cmp);
            let expected = reference(&records, native);
            assert_eq!(p.count, expected.len());
            assert_eq!(
                p.installed.values().cloned().collect::<Vec<_>>(),
                expected.into_values().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn installed_serializes_as_the_map_by_name() {
        let records = vec![
            record("ä-unicode", "1", Some("amd64"), 1),
            record("Zed", "1", Some("amd64"), 2),
            record("a+b", "2", Some("amd64"), 3),
            record("a", "1", Some("amd64"), 4),
            record("a-b", "1", None, 5),
            record("a", "1", Some("i386"), 6),
            record(
                "a-name-longer-than-twenty-four-bytes",
                "1.0-1+really-a-long-version-string",
                Some("amd64"),
                7,
            ),
        ];
        let p = group(
            Manager::Dpkg,
            "/db",
            records.clone(),
            Some("amd64"),
            crate::version::dpkg_cmp,
        );
        let map = reference(&records, Some("amd64"));
        assert_eq!(
            serde_json::to_string_pretty(&p.installed).unwrap(),
            serde_json::to_string_pretty(&map).unwrap()
        );
        assert_eq!(
            serde_json::to_value(&p.installed).unwrap(),
            serde_json::to_value(&map).unwrap()
        );
        let names: Vec<&str> = p.installed.iter().map(|(k, _)| k).collect();
        assert_eq!(names, map.keys().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(p.installed.len(), 6);
        assert!(!p.installed.is_empty() && Installed::default().is_empty());
        assert_eq!(serde_json::to_string(&Installed::default()).unwrap(), "{}");
    }

    #[test]
    fn permute_applies_any_permutation() {
        for order in [
            vec![],
            vec![0],
            vec![1, 0],
            vec![2, 0, 1],
            vec![1, 2, 0],
            vec![3, 2, 1, 0, 4],
        ] {
            let items: Vec<usize> = (0..order.len()).map(|i| i * 10).collect();
            let expected: Vec<usize> = order.iter().map(|&i| items[i]).collect();
            let mut got = items.clone();
            permute(&mut got, &mut order.clone());
            assert_eq!(got, expected, "{order:?}");
        }
    }
}
