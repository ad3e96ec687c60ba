//! Pending security updates, from the package indexes already cached in the root (no network).
//!
//! **apt** (dpkg roots): /var/lib/apt/lists holds one `…_InRelease` (or `…_Release`) per
//! suite and `…_<component>_binary-<arch>_Packages[.lz4|.gz]` per component, file names being the
//! URI with `/` turned into `_` (apt's URItoFileName). A suite is a security pocket when its
//! Release file says `Suite:`/`Codename:` `…-security` (Ubuntu `noble-security`, Debian
//! `bookworm-security`) or `Label: Debian-Security`. A package is pending when the pocket's
//! Packages index has a version of an installed package, for the same architecture or `all`, that
//! sorts above the installed one with dpkg ordering (deb-version(7)).
//!
//! **dnf/yum** (rpm roots): the cached updateinfo (`/var/cache/dnf/<repo>/repodata/*updateinfo.xml`,
//! `.gz` too; yum's /var/cache/yum/<arch>/<ver>/<repo>/…) lists advisories; an `<update
//! type="security">` whose `<package>` NEVRA is newer (rpmvercmp) than the installed instance of
//! the same name and architecture (or noarch) is pending, as `dnf updateinfo list --security`
//! reports it. Module streams and `reboot_suggested` are ignored.
//!
//! **apk** (Alpine): every pending update, security or not. Alpine's index (APKINDEX) says which
//! versions exist, not which of them fix a vulnerability, and its security database (secdb) is
//! not kept in the image, so a gate cannot tell a security update from another: on Alpine any
//! pending update fails. The repositories are those of /etc/apk/repositories and
//! /etc/apk/repositories.d/*.list (tagged `@tag` repositories serve only packages pinned to them
//! and are not read); each one's index is where `apk update` caches it, `APKINDEX.<h>.tar.gz` in
//! /etc/apk/cache when that exists, else /var/cache/apk, `<h>` the first four bytes of the SHA-1
//! of `<url>/<arch>/APKINDEX.tar.gz` in hex (apk-tools' `apk_repo_format_cache_index`; `<arch>`
//! from /etc/apk/arch). A local repository (a path, not a URL) is read in place. An installed
//! package is pending when an index offers its name, for its architecture, in a version that
//! sorts above the installed one with apk's ordering ([`crate::version::apk_cmp`]). The index's
//! publication date is its `APKINDEX` member's time; the fetch time is the cached file's.
//!
//! Index age is counted from when the index was fetched, not from when the archive published it:
//! a suite frozen at end of life (Debian 11's security suite) keeps an old `Date:` however often
//! `apt-get update` runs. apt and dnf write the Release/InRelease file and repomd.xml when they
//! fetch them, so the file's modification time is the fetch time; it counts only when it is not
//! after `--as-of` (a fixture checked out later, or an as-of date in the past, says nothing about
//! that date). The publication date is shown apart (`suite_date`, `pockets[].date`): the `Date:`
//! of the Release file, or the newest `<timestamp>` of repomd.xml (falling back to the file's
//! modification time). `index_date` is the newer of the two, with the file it came from, and
//! `index_age_days` its distance to `--as-of`.
//!
//! **Missing data, one policy for every family**: what the reader needs and does not find is an
//! error whose reason names what is missing and the command that provides it, never a pass (an
//! empty cache cannot show an update as pending) nor not-applicable (the question applies to every
//! package-managed image). So: no apt lists, no `-security` suite among them, or a security suite
//! without its Packages index ("run apt-get update"); no dnf/yum updateinfo cached, or none that is
//! a regular file ("run dnf makecache"); no apk repository configured, or one whose index is not
//! cached ("run apk update", and do not build with `apk add --no-cache` or delete /var/cache/apk).
//! Compression other than lz4 and gzip (xz, bz2, zstd, zchunk) is an error naming the file. InRelease signatures are not verified (the file is read as apt left it).

use std::collections::BTreeMap;
use std::io::Read;

use serde::Serialize;

use super::packages::dpkg::{Stanza, StanzaBuilder, stanzas_only};
use super::packages::{Manager, Packages};
use super::{Collected, Context, Fact, FactError, Source};
use crate::facts::os_release::OsRelease;
use crate::names;
use crate::rootfs::{Budget, Kind, LineChunks, RootFs, limits, text_of};
use crate::version::{dpkg_cmp, rpm_cmp};

/// apt lists directory.
pub const APT_LISTS: &str = "/var/lib/apt/lists";
/// Bound on one compressed index file.
const FILE_LIMIT: u64 = limits::APT_INDEX_COMPRESSED;
/// Bound on one decompressed index.
const INFLATED_LIMIT: u64 = limits::APT_INDEX_INFLATED;

/// One pending security update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord, schemars::JsonSchema)]
pub struct Pending {
    /// Binary package name.
    pub package: String,
    /// Architecture of the installed instance.
    pub arch: Option<String>,
    /// Installed version.
    pub installed: String,
    /// Newest version in the security pocket / advisory.
    pub candidate: String,
    /// The suite (`noble-security`) or dnf repository id.
    pub pocket: String,
    /// Advisory id (dnf: `RLSA-2024:3214`); apt indexes carry none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advisory: Option<String>,
    /// Advisory severity (dnf), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// The index record that offers the candidate.
    pub source: Source,
}

/// A security pocket / repository whose index was read.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Pocket {
    /// Suite or repository id.
    pub name: String,
    /// Release (apt) or repomd.xml/updateinfo (dnf) file.
    pub release: String,
    /// Publication date, when known (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// When it was fetched (the file's modification time), when not after `--as-of`.
    pub fetched: Option<String>,
    /// Index files read.
    pub indexes: Vec<String>,
}

/// Pending security updates.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PendingUpdates {
    /// `apt`, `dnf` or `apk` (which judges every pending update: Alpine has no local advisory data).
    pub manager: String,
    /// Days between the newest security index and `--as-of`; `None` when no date was found.
    pub index_age_days: Option<i64>,
    /// When the newest security index was fetched (its file's modification time) or, when that is
    /// later than `--as-of` or older, published: the date `index_age_days` counts from.
    pub index_date: Option<Fact<String>>,
    /// When the newest security index was published (Release `Date:` line, repomd.xml
    /// `<timestamp>`), shown apart from when it was fetched.
    pub suite_date: Option<Fact<String>>,
    /// The security pockets read.
    pub pockets: Vec<Pocket>,
    /// Pending updates, sorted by package and architecture.
    pub pending: Vec<Pending>,
}

/// Collects pending security updates with the manager that `packages` was read from.
pub fn collect_pending(
    fs: &RootFs,
    ctx: &Context,
    _os: Option<&OsRelease>,
    packages: &Collected<Packages>,
) -> Result<PendingUpdates, FactError> {
    let pkgs = packages.required("installed packages unknown")?;
    match pkgs.manager {
        Manager::Dpkg => apt(fs, ctx, pkgs),
        Manager::Rpm => dnf(fs, ctx, pkgs),
        Manager::Apk => apk(fs, ctx, pkgs),
    }
}

/// Bound on one apk index after decompression (Alpine's largest, edge/community, is about 30 MiB).
const APK_INDEX_INFLATED: u64 = 128 << 20;

/// apk's repository list files, read in this order as apk-tools does.
const APK_REPOSITORIES: &str = "/etc/apk/repositories";
const APK_REPOSITORIES_D: &str = "/etc/apk/repositories.d";

/// The untagged repositories of the root's apk configuration, with the file and line naming each.
fn apk_repositories(fs: &RootFs) -> Result<Vec<(String, Source)>, FactError> {
    let mut files = vec![APK_REPOSITORIES.to_owned()];
    if let Some(entries) = fs.read_dir(APK_REPOSITORIES_D)? {
        let mut lists: Vec<String> = entries
            .into_iter()
            .filter(|e| e.name.ends_with(".list"))
            .map(|e| e.path)
            .collect();
        lists.sort();
        files.extend(lists);
    }
    let mut out: Vec<(String, Source)> = Vec::new();
    for path in files {
        let Some(text) = fs.read_text_limited(&path, limits::APT_RELEASE)? else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            // `@tag url` repositories only serve packages pinned to the tag.
            if line.is_empty() || line.starts_with('#') || line.starts_with('@') {
                continue;
            }
            if !out.iter().any(|(u, _)| u == line) {
                out.push((
                    line.to_owned(),
                    Source::at(&path, u32::try_from(i + 1).unwrap_or(u32::MAX)),
                ));
            }
        }
    }
    Ok(out)
}

/// apk-tools' cache file name of a repository's index.
pub fn apk_cache_name(url: &str, arch: &str) -> String {
    use sha1::Digest;
    let sep = if url.ends_with('/') { "" } else { "/" };
    let sum = sha1::Sha1::digest(format!("{url}{sep}{arch}/APKINDEX.tar.gz").as_bytes());
    let hex: String = sum.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("APKINDEX.{hex}.tar.gz")
}

fn apk(fs: &RootFs, ctx: &Context, pkgs: &Packages) -> Result<PendingUpdates, FactError> {
    let repos = apk_repositories(fs)?;
    if repos.is_empty() {
        return Err(FactError::NotCached {
            what: format!("no apk repository in {APK_REPOSITORIES} or {APK_REPOSITORIES_D}/*.list"),
            remedy: "configure the Alpine repositories and run apk update so that pending updates can be judged",
        });
    }
    let arch = match fs.read_text_limited("/etc/apk/arch", 4096)? {
        Some(a) if !a.trim().is_empty() => a.trim().to_owned(),
        _ => pkgs
            .get("apk-tools")
            .and_then(|p| p.arch.as_deref())
            .map(str::to_owned)
            .ok_or_else(|| FactError::Unavailable {
                what: "the root's apk architecture".into(),
                reason: "/etc/apk/arch is absent or empty and no apk-tools package is installed".into(),
            })?,
    };
    let cache = if fs
        .metadata("/etc/apk/cache")?
        .is_some_and(|m| m.kind == Kind::Directory)
    {
        "/etc/apk/cache"
    } else {
        "/var/cache/apk"
    };
    let mut pockets = Vec::new();
    let mut newest: Option<(jiff::civil::Date, Source)> = None;
    let mut published: Option<(jiff::civil::Date, Source)> = None;
    let mut best = BTreeMap::new();
    for (url, from) in repos {
        let path = if url.contains("://") {
            format!("{cache}/{}", apk_cache_name(&url, &arch))
        } else {
            format!("{}/{arch}/APKINDEX.tar.gz", url.trim_end_matches('/'))
        };
        let where_from = from.path.as_deref().unwrap_or(APK_REPOSITORIES);
        let line = from.line.unwrap_or(0);
        let bytes = fs
            .read_bytes_limited(&path, FILE_LIMIT)?
            .ok_or_else(|| FactError::NotCached {
                what: format!("{url} ({where_from}:{line}) has no cached index {path}"),
                remedy: "run apk update in the image build and keep its cache (no apk add --no-cache, \
                         no rm -rf /var/cache/apk) so that pending updates can be judged",
            })?;
        let index = crate::facts::packages::apk::read_index(&path, &bytes, APK_INDEX_INFLATED)?;
        let got = fetched(fs, ctx, &path)?;
        let built = index.built.and_then(date_of_mtime).map(|d| {
            (
                d,
                Source {
                    path: Some(path.clone()),
                    line: None,
                    note: Some(format!("APKINDEX built {d}")),
                },
            )
        });
        newer(&mut published, built.as_ref());
        newer(&mut newest, built.as_ref());
        newer(&mut newest, got.as_ref());
        for r in &index.records {
            let Some(inst) = pkgs.get(&r.name) else { continue };
            for i in inst.instances() {
                let arch_ok =
                    r.arch.is_none() || r.arch.as_deref() == i.arch.as_deref() || r.arch.as_deref() == Some("noarch");
                if arch_ok && crate::version::apk_cmp(&r.version, &i.version).is_gt() {
                    let p = Pending {
                        package: r.name.clone(),
                        arch: i.arch.as_deref().map(str::to_owned),
                        installed: i.version.to_string(),
                        candidate: r.version.clone(),
                        pocket: url.clone(),
                        advisory: None,
                        severity: None,
                        source: Source::at(format!("{path}:APKINDEX"), r.line),
                    };
                    keep_newest(&mut best, p, crate::version::apk_cmp);
                }
            }
        }
        pockets.push(Pocket {
            name: url,
            release: path.clone(),
            date: built.map(|(d, _)| d.to_string()),
            fetched: got.map(|(d, _)| d.to_string()),
            indexes: vec![path],
        });
    }
    Ok(finish("apk", ctx, newest, published, pockets, best))
}

/// Reads an index file, decompressing `.lz4` and `.gz`; other compressions are errors.
pub fn read_index(fs: &RootFs, path: &str) -> Result<String, FactError> {
    read_index_limited(fs, path, INFLATED_LIMIT)
}

/// [`read_index`] with a bound on the text (and on the file) below the index bound.
pub fn read_index_limited(fs: &RootFs, path: &str, limit: u64) -> Result<String, FactError> {
    let bytes = fs
        .read_bytes_limited(path, FILE_LIMIT.min(limit))?
        .ok_or_else(|| FactError::Vanished { path: path.into() })?;
    let inflated = if path.ends_with(".lz4") {
        inflate(path, "lz4", lz4_flex::frame::FrameDecoder::new(bytes.as_slice()), limit)?
    } else if path.ends_with(".gz") {
        inflate(path, "gzip", flate2::read::GzDecoder::new(bytes.as_slice()), limit)?
    } else if let Some(ext) = [".xz", ".bz2", ".zst", ".zck", ".lzma"]
        .iter()
        .find(|e| path.ends_with(**e))
    {
        return Err(FactError::UnsupportedCompression {
            path: path.into(),
            codec: ext,
            reads: "imagegate reads plain, .gz and .lz4 indexes",
        });
    } else {
        bytes
    };
    if inflated.contains(&0) {
        return Err(FactError::Binary {
            path: path.into(),
            what: "index",
        });
    }
    Ok(text_of(inflated))
}

/// The budget of one reader of apt indexes: every index it reads in the scan, after decompression.
pub fn index_budget() -> Budget {
    Budget::new("apt indexes (decompressed)", limits::APT_INDEXES_TOTAL)
}

/// Feeds the lines of an index file to `line` (1-based number, the line as [`str::lines`] yields
/// it) as the file is read and decompressed, the text never held whole: an index that inflates
/// to 500 MiB took 1.5 GiB when it was inflated into memory first. The bytes after decompression
/// count against the index's bound ([`limits::APT_INDEX_INFLATED`]) and against `budget`. The
/// first error of `line` ends the read and is returned.
pub fn index_lines(
    fs: &RootFs,
    path: &str,
    budget: &mut Budget,
    line: impl FnMut(u32, &str) -> Result<(), FactError>,
) -> Result<(), FactError> {
    let mut feed = IndexFeed {
        path,
        budget,
        line,
        chunks: LineChunks::default(),
        inflated: 0,
        lineno: 0,
    };
    let vanished = || FactError::Vanished { path: path.into() };
    let compressed = [".lz4", ".gz"].iter().any(|e| path.ends_with(e));
    if let Some(ext) = [".xz", ".bz2", ".zst", ".zck", ".lzma"]
        .iter()
        .find(|e| path.ends_with(**e))
    {
        return Err(FactError::UnsupportedCompression {
            path: path.into(),
            codec: ext,
            reads: "imagegate reads plain, .gz and .lz4 indexes",
        });
    }
    if compressed {
        let bytes = fs.read_bytes_limited(path, FILE_LIMIT)?.ok_or_else(vanished)?;
        let mut r: Box<dyn Read> = if path.ends_with(".lz4") {
            Box::new(lz4_flex::frame::FrameDecoder::new(bytes.as_slice()))
        } else {
            Box::new(flate2::read::GzDecoder::new(bytes.as_slice()))
        };
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    return Err(FactError::Decompress {
                        path: path.into(),
                        codec: if path.ends_with(".lz4") { "lz4" } else { "gzip" },
                        error,
                    });
                }
            };
            feed.bytes(buf.get(..n).unwrap_or_default())?;
        }
    } else {
        let mut failed = None;
        fs.read_streaming(path, INFLATED_LIMIT, |b| {
            if failed.is_none() {
                failed = feed.bytes(b).err();
            }
        })?
        .ok_or_else(vanished)?;
        if let Some(e) = failed {
            return Err(e);
        }
    }
    feed.finish()
}

/// The state of [`index_lines`].
struct IndexFeed<'a, F> {
    path: &'a str,
    budget: &'a mut Budget,
    line: F,
    chunks: LineChunks,
    inflated: u64,
    lineno: u32,
}

impl<F: FnMut(u32, &str) -> Result<(), FactError>> IndexFeed<'_, F> {
    fn bytes(&mut self, b: &[u8]) -> Result<(), FactError> {
        let path = self.path;
        self.inflated += b.len() as u64;
        if self.inflated > INFLATED_LIMIT {
            return Err(FactError::Limit {
                path: path.into(),
                limit: INFLATED_LIMIT,
                what: "bytes decompressed",
            });
        }
        self.budget.charge(path, b.len() as u64)?;
        if memchr::memchr(0, b).is_some() {
            return Err(FactError::Binary {
                path: path.into(),
                what: "index",
            });
        }
        let mut result = Ok(());
        let (line, lineno) = (&mut self.line, &mut self.lineno);
        self.chunks
            .push(b, |text| result = feed_lines(&names::text(text), lineno, line));
        result
    }

    fn finish(mut self) -> Result<(), FactError> {
        let rest = self.chunks.rest();
        feed_lines(&names::text(&rest), &mut self.lineno, &mut self.line)
    }
}

fn feed_lines(
    text: &str,
    lineno: &mut u32,
    line: &mut impl FnMut(u32, &str) -> Result<(), FactError>,
) -> Result<(), FactError> {
    for l in super::packages::dpkg::lines(text) {
        *lineno = lineno.saturating_add(1);
        line(*lineno, l)?;
    }
    Ok(())
}

fn inflate(path: &str, codec: &'static str, r: impl Read, limit: u64) -> Result<Vec<u8>, FactError> {
    let mut out = Vec::new();
    r.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|error| FactError::Decompress {
            path: path.into(),
            codec,
            error,
        })?;
    if out.len() as u64 > limit {
        return Err(FactError::Limit {
            path: path.into(),
            limit,
            what: "bytes decompressed",
        });
    }
    Ok(out)
}

/// Strips an OpenPGP clearsigned wrapper (RFC 4880 §7): the armor header line, the `Hash:` headers
/// up to the first empty line, the signature block, and dash-escaping.
pub fn strip_clearsign(text: &str) -> String {
    if !text.starts_with("-----BEGIN PGP SIGNED MESSAGE-----") {
        return text.to_owned();
    }
    // The armor line becomes an empty line, so line numbers stay those of the file.
    let mut out = String::from("\n");
    let mut in_headers = true;
    for line in text.lines().skip(1) {
        if in_headers {
            if line.trim().is_empty() {
                in_headers = false;
            }
            // Keep line numbers aligned with the file: headers become empty lines (a deb822
            // stanza separator, harmless before the first stanza).
            out.push('\n');
            continue;
        }
        if line.starts_with("-----BEGIN PGP SIGNATURE-----") {
            break;
        }
        out.push_str(line.strip_prefix("- ").unwrap_or(line));
        out.push('\n');
    }
    out
}

/// Parses a Release `Date:` (RFC 2822 as apt writes it: `Sat, 26 Oct 2024 09:12:41 UTC`) to its
/// calendar date.
pub fn parse_release_date(s: &str) -> Option<jiff::civil::Date> {
    let s = s.split_once(',').map_or(s, |(_, r)| r);
    let mut it = s.split_whitespace();
    let day: i8 = it.next()?.parse().ok()?;
    let month = match it.next()?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let year: i16 = it.next()?.parse().ok()?;
    jiff::civil::Date::new(year, month, day).ok()
}

fn date_of_mtime(mtime: i64) -> Option<jiff::civil::Date> {
    Some(
        jiff::Timestamp::from_second(mtime)
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date(),
    )
}

/// When apt or dnf fetched `path`: its modification time, as evidence about the as-of date only
/// when not after it.
fn fetched(fs: &RootFs, ctx: &Context, path: &str) -> Result<Option<(jiff::civil::Date, Source)>, FactError> {
    Ok(fs
        .metadata(path)?
        .and_then(|m| date_of_mtime(m.mtime))
        .filter(|d| *d <= ctx.as_of)
        .map(|d| {
            (
                d,
                Source {
                    path: Some(path.to_owned()),
                    line: None,
                    note: Some(format!("fetched {d} (the file's modification time)")),
                },
            )
        }))
}

/// Keeps the newer of two dated sources.
fn newer(cur: &mut Option<(jiff::civil::Date, Source)>, cand: Option<&(jiff::civil::Date, Source)>) {
    if let Some((d, src)) = cand
        && cur.as_ref().is_none_or(|(n, _)| d > n)
    {
        *cur = Some((*d, src.clone()));
    }
}

fn age_days(ctx: &Context, d: jiff::civil::Date) -> Option<i64> {
    d.until(ctx.as_of).ok().map(|s| i64::from(s.get_days()))
}

/// Keeps, per (package, arch), the candidate with the highest version.
fn keep_newest(
    best: &mut BTreeMap<(String, Option<String>), Pending>,
    p: Pending,
    cmp: fn(&str, &str) -> std::cmp::Ordering,
) {
    let key = (p.package.clone(), p.arch.clone());
    match best.get(&key) {
        Some(old) if cmp(&old.candidate, &p.candidate).is_ge() => {}
        _ => {
            best.insert(key, p);
        }
    }
}

/// The fields of a Release file that say which suite it is and when it was published.
const RELEASE_FIELDS: &[&str] = &["suite", "codename", "label", "date"];

fn apt(fs: &RootFs, ctx: &Context, pkgs: &Packages) -> Result<PendingUpdates, FactError> {
    let no_index = || FactError::NotCached {
        what: "no apt package index".into(),
        remedy: "run apt-get update",
    };
    let entries = fs.read_dir(APT_LISTS)?.ok_or_else(no_index)?;
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    // Prefer InRelease over Release for the same prefix, as apt does.
    let mut releases: BTreeMap<&str, &str> = BTreeMap::new();
    for n in &names {
        if let Some(prefix) = n.strip_suffix("_InRelease") {
            releases.insert(prefix, n);
        } else if let Some(prefix) = n.strip_suffix("_Release") {
            releases.entry(prefix).or_insert(n);
        }
    }
    if releases.is_empty() {
        return Err(no_index());
    }
    let mut pockets = Vec::new();
    let mut newest: Option<(jiff::civil::Date, Source)> = None;
    let mut published: Option<(jiff::civil::Date, Source)> = None;
    let mut best = BTreeMap::new();
    let mut budget = index_budget();
    for (prefix, file) in releases {
        let path = format!("{APT_LISTS}/{file}");
        let text = strip_clearsign(&read_index_limited(fs, &path, limits::APT_RELEASE)?);
        // A Release file is one stanza: read only that, without its long checksum lists.
        let Some(st) = stanzas_only(&path, &text, RELEASE_FIELDS).next().transpose()? else {
            continue;
        };
        let st = &st;
        let field = |k: &str| st.get(k).map(|(v, _)| v);
        let security = ["suite", "codename"]
            .iter()
            .any(|k| field(k).is_some_and(|v| v.ends_with("-security")))
            || field("label") == Some("Debian-Security");
        if !security {
            continue;
        }
        // The pocket's name: whichever of Suite/Codename says `-security` (Ubuntu: Suite
        // `noble-security`, Codename `noble`; Debian: Suite `oldstable-security`, Codename
        // `bookworm-security`), else the codename.
        let suite = ["suite", "codename"]
            .iter()
            .filter_map(|k| field(k))
            .find(|v| v.ends_with("-security"))
            .or(field("codename"))
            .unwrap_or(prefix)
            .to_owned();
        let date = match st
            .get("date")
            .and_then(|(d, l)| Some((parse_release_date(d)?, Source::at(&path, l))))
        {
            Some(d) => Some(d),
            None => fs
                .metadata(&path)?
                .and_then(|m| Some((date_of_mtime(m.mtime)?, Source::file(&path)))),
        };
        let got = fetched(fs, ctx, &path)?;
        newer(&mut published, date.as_ref());
        newer(&mut newest, date.as_ref());
        newer(&mut newest, got.as_ref());
        let mut indexes = Vec::new();
        let want = format!("{prefix}_");
        for n in names.iter().filter(|n| n.starts_with(&want) && n.contains("_binary-")) {
            let Some(rest) = n.strip_prefix(&want) else { continue };
            let base = rest.split('.').next().unwrap_or(rest);
            if !base.ends_with("_Packages") {
                continue;
            }
            let ipath = format!("{APT_LISTS}/{n}");
            let mut stanzas = StanzaBuilder::only(&["package", "version", "architecture"]);
            let mut offer = |st: Stanza| {
                let (Some((name, _)), Some((version, _))) = (st.get("package"), st.get("version")) else {
                    return;
                };
                let Some(inst) = pkgs.get(name) else { return };
                let arch = st.get("architecture").map(|(a, _)| a);
                for i in inst.instances() {
                    let arch_ok = arch == Some("all") || arch.is_none() || arch == i.arch.as_deref();
                    if arch_ok && dpkg_cmp(version, &i.version).is_gt() {
                        let p = Pending {
                            package: name.to_owned(),
                            arch: i.arch.as_deref().map(str::to_owned),
                            installed: i.version.to_string(),
                            candidate: version.to_owned(),
                            pocket: suite.clone(),
                            advisory: None,
                            severity: None,
                            source: Source::at(&ipath, st.line),
                        };
                        keep_newest(&mut best, p, dpkg_cmp);
                    }
                }
            };
            index_lines(fs, &ipath, &mut budget, |n, l| {
                if let Some(st) = stanzas.line(&ipath, n, l)? {
                    offer(st);
                }
                Ok(())
            })?;
            if let Some(st) = stanzas.finish() {
                offer(st);
            }
            indexes.push(ipath);
        }
        if indexes.is_empty() {
            return Err(FactError::NotCached {
                what: format!("{path}: the security suite {suite} has no Packages index in {APT_LISTS}"),
                remedy: "run apt-get update",
            });
        }
        pockets.push(Pocket {
            name: suite,
            release: path,
            date: date.map(|(d, _)| d.to_string()),
            fetched: got.map(|(d, _)| d.to_string()),
            indexes,
        });
    }
    if pockets.is_empty() {
        return Err(FactError::NotCached {
            what: format!("no security suite among the apt lists in {APT_LISTS}"),
            remedy: "add the -security suite to the apt sources (/etc/apt/sources.list or sources.list.d) \
                     and run apt-get update",
        });
    }
    Ok(finish("apt", ctx, newest, published, pockets, best))
}

fn finish(
    manager: &str,
    ctx: &Context,
    newest: Option<(jiff::civil::Date, Source)>,
    published: Option<(jiff::civil::Date, Source)>,
    pockets: Vec<Pocket>,
    best: BTreeMap<(String, Option<String>), Pending>,
) -> PendingUpdates {
    PendingUpdates {
        manager: manager.into(),
        index_age_days: newest.as_ref().and_then(|(d, _)| age_days(ctx, *d)),
        index_date: newest.map(|(d, s)| Fact::new(d.to_string(), s)),
        suite_date: published.map(|(d, s)| Fact::new(d.to_string(), s)),
        pockets,
        pending: best.into_values().collect(),
    }
}

/// One security advisory's package, from updateinfo.xml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryPackage {
    /// Advisory id.
    pub id: String,
    /// Severity, if any.
    pub severity: Option<String>,
    /// Package name.
    pub name: String,
    /// `[epoch:]version-release`.
    pub evr: String,
    /// Architecture.
    pub arch: String,
    /// 1-based line of the `<package>` element.
    pub line: u32,
}

/// Parses updateinfo.xml and returns the packages of `type="security"` advisories.
pub fn parse_updateinfo(path: &str, text: &str) -> Result<Vec<AdvisoryPackage>, FactError> {
    use quick_xml::events::Event;
    use quick_xml::reader::Reader;
    let mut r = Reader::from_str(text);
    let mut out = Vec::new();
    let mut in_security = false;
    let (mut id, mut severity) = (String::new(), None::<String>);
    let mut pending_pkgs: Vec<AdvisoryPackage> = Vec::new();
    let mut text_target: Option<&'static str> = None;
    let line_at = |pos: u64| -> u32 {
        let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(text.len());
        u32::try_from(crate::text::line_at(text, pos)).unwrap_or(u32::MAX)
    };
    loop {
        let pos = r.buffer_position();
        let ev = r.read_event().map_err(|e| FactError::Parse {
            path: path.into(),
            line: line_at(r.error_position()),
            msg: format!("invalid XML: {e}"),
        })?;
        let attr = |e: &quick_xml::events::BytesStart<'_>, k: &str| -> Option<String> {
            e.attributes().flatten().find(|a| a.key.as_ref() == k).and_then(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.into_owned())
            })
        };
        match ev {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "update" => {
                    in_security = attr(&e, "type").as_deref() == Some("security");
                    id.clear();
                    severity = None;
                    pending_pkgs.clear();
                }
                "id" if in_security => text_target = Some("id"),
                "severity" if in_security => text_target = Some("severity"),
                "package" if in_security => {
                    let (Some(name), Some(version)) = (attr(&e, "name"), attr(&e, "version")) else {
                        continue;
                    };
                    let mut evr = String::new();
                    if let Some(ep) = attr(&e, "epoch").filter(|ep| !ep.is_empty() && ep != "0") {
                        evr.push_str(&ep);
                        evr.push(':');
                    }
                    evr.push_str(&version);
                    if let Some(rel) = attr(&e, "release") {
                        evr.push('-');
                        evr.push_str(&rel);
                    }
                    pending_pkgs.push(AdvisoryPackage {
                        id: String::new(),
                        severity: None,
                        name,
                        evr,
                        arch: attr(&e, "arch").unwrap_or_else(|| "noarch".into()),
                        line: line_at(pos),
                    });
                }
                _ => {}
            },
            Event::Text(t) => match text_target {
                Some("id") => id.push_str(t.xml10_content().trim()),
                Some("severity") => {
                    severity
                        .get_or_insert_with(String::new)
                        .push_str(t.xml10_content().trim());
                }
                _ => {}
            },
            Event::End(e) => {
                text_target = None;
                if e.name().as_ref() == "update" && in_security {
                    for mut p in pending_pkgs.drain(..) {
                        p.id.clone_from(&id);
                        p.severity = severity.clone().filter(|s| !s.is_empty());
                        out.push(p);
                    }
                    in_security = false;
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Newest `<timestamp>` (or `<revision>`) in a repomd.xml, as a date.
fn repomd_date(text: &str) -> Option<jiff::civil::Date> {
    let mut newest: Option<i64> = None;
    for tag in ["<timestamp>", "<revision>"] {
        for part in text.split(tag).skip(1) {
            let v = part.split('<').next().unwrap_or("").trim();
            if let Ok(n) = v.parse::<i64>() {
                newest = Some(newest.map_or(n, |o| o.max(n)));
            }
        }
    }
    date_of_mtime(newest?)
}

fn dnf(fs: &RootFs, ctx: &Context, pkgs: &Packages) -> Result<PendingUpdates, FactError> {
    let mut files = Vec::new();
    for pat in [
        "/var/cache/dnf/*/repodata/*updateinfo.xml*",
        "/var/cache/yum/*/*/*/*updateinfo.xml*",
        "/var/cache/yum/*/*/*/gen/updateinfo.xml",
    ] {
        files.extend(fs.glob(pat)?);
    }
    if files.is_empty() {
        return Err(FactError::NotCached {
            what: "no dnf/yum updateinfo cached under /var/cache/dnf or /var/cache/yum".into(),
            remedy: "run dnf makecache",
        });
    }
    let mut pockets = Vec::new();
    let mut newest: Option<(jiff::civil::Date, Source)> = None;
    let mut published: Option<(jiff::civil::Date, Source)> = None;
    let mut best = BTreeMap::new();
    for path in files {
        if !matches!(fs.metadata(&path)?, Some(m) if m.kind == Kind::File) {
            continue;
        }
        // /var/cache/dnf/baseos-1a2b3c4d5e6f7a8b/repodata/… → repository id `baseos`.
        let dir = path.rsplit_once("/repodata/").map_or(path.as_str(), |(d, _)| d);
        let dir_name = dir.rsplit('/').next().unwrap_or(dir);
        let repo = match dir_name.rsplit_once('-') {
            Some((id, hash)) if hash.len() == 16 && hash.bytes().all(|c| c.is_ascii_hexdigit()) => id,
            _ => dir_name,
        }
        .to_owned();
        let repomd = format!("{dir}/repodata/repomd.xml");
        let date = match fs.read_text(&repomd)?.as_deref().and_then(repomd_date) {
            Some(d) => Some((d, Source::file(&repomd))),
            None => fs
                .metadata(&path)?
                .and_then(|m| Some((date_of_mtime(m.mtime)?, Source::file(&path)))),
        };
        let got = fetched(fs, ctx, &repomd)?;
        newer(&mut published, date.as_ref());
        newer(&mut newest, date.as_ref());
        newer(&mut newest, got.as_ref());
        let text = read_index(fs, &path)?;
        for a in parse_updateinfo(&path, &text)? {
            let Some(inst) = pkgs.get(&a.name) else { continue };
            for i in inst.instances() {
                let arch_ok = a.arch == "noarch" || Some(a.arch.as_str()) == i.arch.as_deref();
                if arch_ok && rpm_cmp(&a.evr, &i.version).is_gt() {
                    let p = Pending {
                        package: a.name.clone(),
                        arch: i.arch.as_deref().map(str::to_owned),
                        installed: i.version.to_string(),
                        candidate: a.evr.clone(),
                        pocket: repo.clone(),
                        advisory: Some(a.id.clone()),
                        severity: a.severity.clone(),
                        source: Source::at(&path, a.line),
                    };
                    keep_newest(&mut best, p, rpm_cmp);
                }
            }
        }
        pockets.push(Pocket {
            name: repo,
            release: repomd,
            date: date.map(|(d, _)| d.to_string()),
            fetched: got.map(|(d, _)| d.to_string()),
            indexes: vec![path],
        });
    }
    if pockets.is_empty() {
        return Err(FactError::NotCached {
            what: "no dnf/yum updateinfo under /var/cache/dnf or /var/cache/yum is a regular file".into(),
            remedy: "run dnf makecache",
        });
    }
    Ok(finish("dnf", ctx, newest, published, pockets, best))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A root holding `name` with `bytes`, gzipped when the name ends in `.gz`.
    #[allow(clippy::disallowed_methods)]
    fn index_root(name: &str, bytes: &[u8]) -> (tempfile::TempDir, RootFs) {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        if name.ends_with(".gz") {
            let mut w =
                flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
            w.write_all(bytes).unwrap();
            w.finish().unwrap();
        } else {
            std::fs::write(&path, bytes).unwrap();
        }
        let fs = RootFs::open(dir.path()).unwrap();
        (dir, fs)
    }

    /// The streamed lines are those of the whole inflated text, plain or compressed, with chunk
    /// boundaries inside long lines and multibyte characters.
    #[test]
    fn index_lines_are_those_of_the_inflated_text() {
        let mut text = String::new();
        for i in 0..30_000 {
            text.push_str(&format!("Package: p{i}\r\nDescription: é€ {}\n\n", "x".repeat(i % 300)));
        }
        text.push_str("Package: last-without-newline");
        for name in ["Packages", "Packages.gz"] {
            let (_d, fs) = index_root(name, text.as_bytes());
            let mut got = Vec::new();
            let mut budget = index_budget();
            index_lines(&fs, &format!("/{name}"), &mut budget, |n, l| {
                got.push((n, l.to_owned()));
                Ok(())
            })
            .unwrap();
            let want: Vec<(u32, String)> = text
                .lines()
                .enumerate()
                .map(|(i, l)| (u32::try_from(i + 1).unwrap(), l.to_owned()))
                .collect();
            assert_eq!(got, want, "{name}");
            assert_eq!(budget.used(), text.len() as u64, "{name}");
        }
    }

    /// The budget counts the inflated bytes over every index one reader reads, and names the file
    /// that goes past it; NUL bytes are refused.
    #[test]
    fn index_budget_counts_inflated_bytes() {
        let (_d, fs) = index_root("Packages.gz", &vec![b'a'; 3 << 20]);
        let mut budget = Budget::new("apt indexes (decompressed)", 5 << 20);
        index_lines(&fs, "/Packages.gz", &mut budget, |_, _| Ok(())).unwrap();
        let e = index_lines(&fs, "/Packages.gz", &mut budget, |_, _| Ok(()))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "cannot read /Packages.gz: the apt indexes (decompressed) read in this scan would exceed 5242880 bytes in total (imagegate's bound on them; no real image comes near it)"
        );
        let (_d, fs) = index_root("Packages", b"Package: a\n\0\n");
        let e = index_lines(&fs, "/Packages", &mut index_budget(), |_, _| Ok(())).unwrap_err();
        assert_eq!(e.to_string(), "/Packages: binary data in a text index");
        assert!(matches!(e, FactError::Binary { what: "index", .. }));
    }

    /// Reading an index costs linear time in its inflated size, also for one long line.
    #[test]
    fn index_lines_are_read_in_linear_time() {
        let mut roots = BTreeMap::new();
        crate::testing::assert_linear("apt index lines", 16 << 20, |n| {
            let (_d, fs) = roots.entry(n).or_insert_with(|| {
                let mut text = Vec::with_capacity(n);
                while text.len() < n / 2 {
                    text.extend_from_slice(b"Package: p\nVersion: 1\n\n");
                }
                text.extend_from_slice(b"Description: ");
                text.resize(n, b'x');
                index_root("Packages.gz", &text)
            });
            let mut total = 0;
            index_lines(fs, "/Packages.gz", &mut index_budget(), |_, l| {
                total += l.len() + 1;
                Ok(())
            })
            .unwrap();
            assert_eq!(total, n + 1, "every line and its newline, the last one having none");
        });
    }

    #[test]
    fn clearsigned_release_keeps_line_numbers() {
        let t = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Ubuntu\nDate: Thu, 29 Oct 2026 10:00:00 UTC\n-----BEGIN PGP SIGNATURE-----\nxyz\n-----END PGP SIGNATURE-----\n";
        let s = strip_clearsign(t);
        let st = crate::facts::packages::dpkg::parse_stanzas("/r", &s).unwrap();
        assert_eq!(st[0].get("date"), Some(("Thu, 29 Oct 2026 10:00:00 UTC", 5)));
        assert_eq!(st.len(), 1);
    }

    #[test]
    fn release_date_rfc2822() {
        assert_eq!(
            parse_release_date("Sat, 26 Oct 2024 09:12:41 UTC"),
            Some(jiff::civil::date(2024, 10, 26))
        );
        assert_eq!(
            parse_release_date("26 Oct 2024 09:12:41 +0000"),
            Some(jiff::civil::date(2024, 10, 26))
        );
        assert_eq!(parse_release_date("yesterday"), None);
    }

    #[test]
    fn updateinfo_security_only_with_epoch_and_line() {
        let x = r#"<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="a" status="final" type="bugfix" version="2"><id>RLBA-1</id>
    <pkglist><collection><package name="bash" version="9" release="1" epoch="0" arch="x86_64"/></collection></pkglist></update>
  <update from="a" status="final" type="security" version="2">
    <id>RLSA-2024:3214</id><severity>Important</severity>
    <pkglist><collection>
      <package name="openssh-server" version="8.7p1" release="38.el9_4.1" epoch="0" arch="x86_64" src="x"><filename>f</filename></package>
      <package name="grub2-common" version="2.06" release="80.el9" epoch="1" arch="noarch"/>
    </collection></pkglist>
  </update>
</updates>"#;
        let v = parse_updateinfo("/u", x).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].name, "openssh-server");
        assert_eq!(v[0].evr, "8.7p1-38.el9_4.1");
        assert_eq!(v[0].id, "RLSA-2024:3214");
        assert_eq!(v[0].severity.as_deref(), Some("Important"));
        assert_eq!(v[0].line, 8);
        assert_eq!(v[1].evr, "1:2.06-80.el9");
    }

    #[test]
    fn broken_xml_is_a_parse_error() {
        assert!(parse_updateinfo("/u", "<updates><update type=\"security\"></updates>").is_err());
    }

    #[test]
    fn lz4_frames_decompress() {
        use std::io::Write;
        let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
        enc.write_all(b"Package: a\nVersion: 1\n").unwrap();
        let bytes = enc.finish().unwrap();
        let out = inflate(
            "/x.lz4",
            "lz4",
            lz4_flex::frame::FrameDecoder::new(bytes.as_slice()),
            INFLATED_LIMIT,
        )
        .unwrap();
        assert_eq!(out, b"Package: a\nVersion: 1\n");
        let e = inflate(
            "/x.lz4",
            "lz4",
            lz4_flex::frame::FrameDecoder::new(&b"garbage"[..]),
            INFLATED_LIMIT,
        )
        .unwrap_err();
        assert!(
            matches!(&e, FactError::Decompress { path, codec: "lz4", .. } if path == "/x.lz4"),
            "{e:?}"
        );
        assert!(e.to_string().starts_with("/x.lz4: cannot decompress: "), "{e}");
    }
}
