//! Package sources and how they are verified, the installed packages no source offers, and the
//! image's provenance — the supply chain as far as it can be read offline.
//!
//! **apt** (sources.list(5)): /etc/apt/sources.list and /etc/apt/sources.list.d/*.list in the
//! one-line format (`deb [opt=value …] uri suite [component …]`), and
//! /etc/apt/sources.list.d/*.sources in the deb822 format (`Types`, `URIs`, `Suites`,
//! `Components`, `Enabled`, `Signed-By`, …). Options read: `signed-by`, `trusted`,
//! `allow-insecure`, `allow-weak`, `allow-downgrade-to-insecure`, `check-valid-until`. apt
//! verifies every repository's Release signature unless `trusted=yes` (or an `allow-*` option
//! lets an unsigned or weakly signed one through), so a source is `signed` unless one of those is
//! set. /etc/apt/trusted.gpg is the deprecated global keyring apt-key wrote (apt-key(8)): any key in
//! it is trusted for every source. Other extensions in sources.list.d are ignored, as apt ignores
//! them; `Dir::Etc::*` overrides are not followed.
//!
//! **dnf/yum** (dnf.conf(5), yum.conf(5)): `[main]` of /etc/dnf/dnf.conf (else /etc/yum.conf) and
//! each section of /etc/yum.repos.d/*.repo. A repository option that is not set takes the
//! `[main]` value, which defaults to dnf's compiled-in default (`gpgcheck=0`,
//! `repo_gpgcheck=0`, `sslverify=1`); booleans are `1/0, yes/no, true/false, on/off`. `$releasever`
//! and other variables are left unexpanded (scheme and host do not depend on them).
//!
//! **apk** (apk-repositories(5), apk(8)): /etc/apk/repositories (`[@tag] url` per line), the
//! public keys in /etc/apk/keys, and `allow-untrusted` in /etc/apk/config (apk-tools 3 reads its
//! long options from there).
//!
//! **Unknown packages** (apt): an installed package is offered by a configured source when one of
//! that source's cached Packages indexes in /var/lib/apt/lists lists its name at the installed
//! version (same architecture or `all`), or at a newer one (then it is upgradable, not foreign).
//! What is left is what `apt list --installed` marks `[installed,local]`: .deb files installed by
//! hand and leftovers of removed repositories. rpm and apk roots: not supported yet
//! (not-applicable with the reason).
//!
//! **Provenance**: the DMI identification the firmware gives (/sys/class/dmi/id: vendor, product,
//! asset tags) on a live system; the image id and owner come from cloud-init's instance data
//! (`cloud_init.instance`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::packages::dpkg::parse_stanzas;
use super::packages::{Manager, Packages};
use super::{Collected, Context, Fact, FactError, Source};
use crate::rootfs::{Kind, RootFs};
use crate::version::dpkg_cmp;

/// The apt lists directory.
const APT_LISTS: &str = "/var/lib/apt/lists";

/// Host names (and their subdomains) of the distributions' own archives and their cloud mirrors.
pub const DISTRIBUTION_HOSTS: &[&str] = &[
    "debian.org",
    "ubuntu.com",
    "canonical.com",
    "rockylinux.org",
    "almalinux.org",
    "centos.org",
    "fedoraproject.org",
    "redhat.com",
    "amazonaws.com",
    "amazonlinux.com",
    "aliyun.com",
    "aliyuncs.com",
    "alpinelinux.org",
];

/// One configured repository, whatever the package manager.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Repository {
    /// `apt`, `dnf`, `yum` or `apk`.
    pub manager: String,
    /// apt: `<uri> <suite>`; dnf/yum: the section id; apk: the URL (with its `@tag`).
    pub id: String,
    /// apt `deb`/`deb-src`; dnf `rpm-md`; apk `apk`.
    pub kind: String,
    /// The URL (dnf: the first `baseurl`, else the `mirrorlist` or `metalink`).
    pub uri: String,
    /// URL scheme, lowercase (`http`, `https`, `file`, `cdrom`, `mirror+http`…).
    pub scheme: String,
    /// The host part of the URL, lowercase, when it has one.
    pub host: Option<String>,
    /// Whether the package manager uses it.
    pub enabled: bool,
    /// Whether what it serves is verified with a key before use (apt: the Release signature;
    /// dnf: `gpgcheck`; apk: the index signature).
    pub signed: bool,
    /// The host is one of the distribution's own archives ([`DISTRIBUTION_HOSTS`]).
    pub distribution: bool,
    /// apt: suites.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suites: Vec<String>,
    /// apt: components.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
    /// apt `signed-by`: keyring paths or fingerprints (`(embedded key)` for an inline key block).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// apt `trusted=yes`: signatures are not checked at all.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub trusted: bool,
    /// apt `allow-insecure`, `allow-weak` or `allow-downgrade-to-insecure` set to yes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_insecure: bool,
    /// apt `check-valid-until`, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_valid_until: Option<bool>,
    /// dnf/yum effective `gpgcheck`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpgcheck: Option<Fact<bool>>,
    /// dnf/yum effective `repo_gpgcheck`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo_gpgcheck: Option<Fact<bool>>,
    /// dnf/yum effective `sslverify`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sslverify: Option<Fact<bool>>,
    /// dnf/yum `gpgkey` URLs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gpgkey: Vec<String>,
    /// The line (apt one-line, apk) or stanza/section start that defines it.
    pub source: Source,
}

/// apt's keyrings.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AptKeys {
    /// /etc/apt/trusted.gpg when present and not empty (size in bytes): keys trusted for every
    /// source, deprecated since apt 2.4.
    pub legacy_keyring: Option<Fact<u64>>,
    /// The keyring files of /etc/apt/trusted.gpg.d (trusted for every source too).
    pub trusted_parts: Vec<String>,
}

/// dnf/yum `[main]`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DnfMain {
    /// The configuration file read (absent: compiled-in defaults).
    pub config: String,
    /// `gpgcheck`.
    pub gpgcheck: Fact<bool>,
    /// `repo_gpgcheck`.
    pub repo_gpgcheck: Fact<bool>,
    /// `sslverify`.
    pub sslverify: Fact<bool>,
}

/// apk's verification setup.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ApkSetup {
    /// Public keys in /etc/apk/keys.
    pub keys: Vec<String>,
    /// `allow-untrusted` is set in /etc/apk/config.
    pub allow_untrusted: Fact<bool>,
}

/// An installed package that no configured source offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord, schemars::JsonSchema)]
pub struct UnknownPackage {
    /// Package name.
    pub name: String,
    /// Installed version.
    pub version: String,
    /// Architecture.
    pub arch: Option<String>,
    /// Its database record.
    pub source: Source,
}

/// The installed packages matched against the configured sources' indexes.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Offered {
    /// Packages indexes read.
    pub indexes: Vec<String>,
    /// Enabled sources that have no cached index (apt-get update has not run since they were
    /// added): what they offer is unknown.
    pub sources_without_index: Vec<String>,
    /// Installed packages no source offers.
    pub unknown: Vec<UnknownPackage>,
}

/// DMI identification (live systems only).
#[derive(Debug, Clone, Serialize, Default, schemars::JsonSchema)]
pub struct Provenance {
    /// /sys/class/dmi/id/sys_vendor (`Amazon EC2`, `Google`, `Microsoft Corporation`, `QEMU`).
    pub sys_vendor: Option<Fact<String>>,
    /// product_name (`t3.micro`, `Google Compute Engine`, `Virtual Machine`).
    pub product_name: Option<Fact<String>>,
    /// product_uuid (root only).
    pub product_uuid: Option<Fact<String>>,
    /// board_asset_tag (EC2: the instance id).
    pub board_asset_tag: Option<Fact<String>>,
    /// chassis_asset_tag (Azure: `7783-7084-3265-9085-8269-3286-77`).
    pub chassis_asset_tag: Option<Fact<String>>,
    /// DMI files that exist but could not be read, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
}

/// Package sources and provenance.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Sources {
    /// `apt`, `dnf`, `yum` or `apk` (from the package database that was found).
    pub manager: String,
    /// Every configured repository, in file order.
    pub repositories: Vec<Repository>,
    /// apt keyrings (apt only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apt: Option<AptKeys>,
    /// dnf/yum `[main]` (dnf/yum only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dnf: Option<DnfMain>,
    /// apk keys and options (apk only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apk: Option<ApkSetup>,
    /// Installed packages matched against the sources' indexes.
    pub offered: Collected<Offered>,
    /// DMI identification.
    pub provenance: Collected<Provenance>,
}

/// Collects the package sources of the manager `packages` was read with.
pub fn collect(fs: &RootFs, ctx: &Context, packages: &Collected<Packages>) -> Result<Sources, FactError> {
    let pkgs = packages.required("installed packages unknown")?;
    let provenance = provenance(fs, ctx).into();
    Ok(match pkgs.manager {
        Manager::Dpkg => {
            let repositories = apt_sources(fs)?;
            // Reads every cached Packages index (tens of MB): only when a rule needs it.
            let offered = if ctx.wants("sources.offered") {
                apt_offered(fs, pkgs, &repositories).into()
            } else {
                Collected::not_applicable("not needed by the selected rules")
            };
            Sources {
                manager: "apt".into(),
                apt: Some(apt_keys(fs)?),
                repositories,
                dnf: None,
                apk: None,
                offered,
                provenance,
            }
        }
        Manager::Rpm => {
            let (manager, main, repositories) = dnf(fs)?;
            Sources {
                manager,
                repositories,
                apt: None,
                dnf: Some(main),
                apk: None,
                offered: Collected::not_applicable(
                    "matching rpm packages against repository metadata is not supported yet",
                ),
                provenance,
            }
        }
        Manager::Apk => {
            let (repositories, setup) = apk(fs)?;
            Sources {
                manager: "apk".into(),
                repositories,
                apt: None,
                dnf: None,
                apk: Some(setup),
                offered: Collected::not_applicable(
                    "matching apk packages against repository indexes is not supported yet",
                ),
                provenance,
            }
        }
    })
}

/// `(scheme, host)` of a URL; `mirror+http://h/…` keeps `mirror+http` as the scheme.
pub fn split_url(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.split(':').next().unwrap_or("").to_ascii_lowercase(), None);
    };
    let authority = rest.split('/').next().unwrap_or("");
    let hostport = authority.rsplit('@').next().unwrap_or(authority);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    (
        scheme.to_ascii_lowercase(),
        (!host.is_empty()).then(|| host.to_ascii_lowercase()),
    )
}

fn is_distribution(host: Option<&str>) -> bool {
    host.is_some_and(|h| {
        DISTRIBUTION_HOSTS
            .iter()
            .any(|d| h == *d || h.strip_suffix(d).is_some_and(|p| p.ends_with('.')))
    })
}

/// A boolean as apt writes it (`yes`/`no`; apt's StringToBool also takes true/false, on/off, 1/0).
fn apt_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" | "1" | "with" | "enable" => Some(true),
        "no" | "false" | "off" | "0" | "without" | "disable" => Some(false),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn apt_repo(
    kind: &str,
    uri: &str,
    suite: &str,
    components: Vec<String>,
    enabled: bool,
    opts: &BTreeMap<String, String>,
    source: Source,
) -> Repository {
    let (scheme, host) = split_url(uri);
    let yes = |k: &str| opts.get(k).and_then(|v| apt_bool(v)) == Some(true);
    let trusted = yes("trusted");
    let allow_insecure = yes("allow-insecure") || yes("allow-weak") || yes("allow-downgrade-to-insecure");
    Repository {
        manager: "apt".into(),
        id: format!("{uri} {suite}"),
        kind: kind.into(),
        uri: uri.into(),
        distribution: is_distribution(host.as_deref()),
        scheme,
        host,
        enabled,
        signed: !trusted && !allow_insecure,
        suites: vec![suite.to_owned()],
        components,
        signed_by: opts.get("signed-by").cloned(),
        trusted,
        allow_insecure,
        check_valid_until: opts.get("check-valid-until").and_then(|v| apt_bool(v)),
        gpgcheck: None,
        repo_gpgcheck: None,
        sslverify: None,
        gpgkey: Vec::new(),
        source,
    }
}

/// Parses a one-line sources.list file.
pub fn parse_sources_list(path: &str, text: &str) -> Result<Vec<Repository>, FactError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |msg: &str| FactError::Parse {
            path: path.into(),
            line: lineno,
            msg: msg.into(),
        };
        let (kind, rest) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| err("incomplete source line"))?;
        if kind != "deb" && kind != "deb-src" {
            return Err(err(&format!("unknown source type {kind:?} (expected deb or deb-src)")));
        }
        let mut rest = rest.trim_start();
        let mut opts = BTreeMap::new();
        if let Some(r) = rest.strip_prefix('[') {
            let (o, after) = r.split_once(']').ok_or_else(|| err("unterminated option list `[`"))?;
            for kv in o.split_whitespace() {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| err(&format!("option {kv:?} without `=`")))?;
                // `opt+=v` / `opt-=v` add to or remove from a list option; the value is what we keep.
                let k = k.trim_end_matches(['+', '-']).to_ascii_lowercase();
                opts.insert(k, v.to_owned());
            }
            rest = after;
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            return Err(err("expected a URI and a suite"));
        };
        out.push(apt_repo(
            kind,
            uri,
            suite,
            words.map(str::to_owned).collect(),
            true,
            &opts,
            Source::at(path, lineno),
        ));
    }
    Ok(out)
}

/// Parses a deb822 `.sources` file: one repository per (type, URI, suite) of each stanza.
pub fn parse_deb822_sources(path: &str, text: &str) -> Result<Vec<Repository>, FactError> {
    let mut out = Vec::new();
    for st in parse_stanzas(path, text)? {
        let get = |k: &str| st.get(k).map(|(v, _)| v);
        let list = |k: &str| -> Vec<String> {
            get(k)
                .map(|v| v.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let (types, uris, suites) = (list("types"), list("uris"), list("suites"));
        if types.is_empty() || uris.is_empty() || suites.is_empty() {
            return Err(FactError::Parse {
                path: path.into(),
                line: st.line,
                msg: "a sources stanza needs Types, URIs and Suites".into(),
            });
        }
        let enabled = get("enabled").and_then(apt_bool).unwrap_or(true);
        let mut opts = BTreeMap::new();
        for (k, v, _) in &st.fields {
            if !matches!(k.as_str(), "types" | "uris" | "suites" | "components" | "enabled") {
                let v = if k == "signed-by" && v.contains("BEGIN PGP PUBLIC KEY BLOCK") {
                    "(embedded key)".to_owned()
                } else {
                    v.split_whitespace().collect::<Vec<_>>().join(" ")
                };
                opts.insert(k.clone(), v);
            }
        }
        for t in &types {
            for u in &uris {
                for s in &suites {
                    out.push(apt_repo(
                        t,
                        u,
                        s,
                        list("components"),
                        enabled,
                        &opts,
                        Source::at(path, st.line),
                    ));
                }
            }
        }
    }
    Ok(out)
}

fn apt_sources(fs: &RootFs) -> Result<Vec<Repository>, FactError> {
    let mut out = Vec::new();
    if let Some(t) = fs.read_text("/etc/apt/sources.list")? {
        out.extend(parse_sources_list("/etc/apt/sources.list", &t)?);
    }
    for e in fs.read_dir("/etc/apt/sources.list.d")?.unwrap_or_default() {
        // apt's GetListOfFilesInDir skips names with a character other than an ASCII letter,
        // digit, `_`, `-`, `:` or `.` (a name that is not UTF-8 among them), as run-parts does.
        if !e
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':' | b'.'))
        {
            continue;
        }
        let parse: fn(&str, &str) -> Result<Vec<Repository>, FactError> = if e.name.ends_with(".list") {
            parse_sources_list
        } else if e.name.ends_with(".sources") {
            parse_deb822_sources
        } else {
            continue;
        };
        if let Some(t) = fs.read_text(&e.path)? {
            out.extend(parse(&e.path, &t)?);
        }
    }
    Ok(out)
}

fn apt_keys(fs: &RootFs) -> Result<AptKeys, FactError> {
    let legacy = fs
        .metadata("/etc/apt/trusted.gpg")?
        .filter(|m| m.kind == Kind::File && m.size > 0)
        .map(|m| Fact::new(m.size, Source::file("/etc/apt/trusted.gpg")));
    let parts = fs
        .read_dir("/etc/apt/trusted.gpg.d")?
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.name.ends_with(".gpg") || e.name.ends_with(".asc"))
        .map(|e| e.path)
        .collect();
    Ok(AptKeys {
        legacy_keyring: legacy,
        trusted_parts: parts,
    })
}

/// apt's URItoFileName: the URI without scheme and credentials, `/` turned into `_`.
fn uri_to_file_name(uri: &str) -> String {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let rest = match rest.split_once('/') {
        Some((auth, path)) => format!("{}/{path}", auth.rsplit('@').next().unwrap_or(auth)),
        None => rest.rsplit('@').next().unwrap_or(rest).to_owned(),
    };
    rest.trim_end_matches('/').replace('/', "_")
}

fn apt_offered(fs: &RootFs, pkgs: &Packages, repos: &[Repository]) -> Result<Offered, FactError> {
    let names: Vec<String> = fs
        .read_dir(APT_LISTS)?
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.name)
        .collect();
    let mut indexes = Vec::new();
    let mut without = Vec::new();
    for r in repos.iter().filter(|r| r.enabled && r.kind == "deb") {
        let Some(suite) = r.suites.first() else { continue };
        // Flat repositories (`suite` ending in `/`) keep their index next to the suite path.
        let prefix = if suite.ends_with('/') {
            format!(
                "{}_{}",
                uri_to_file_name(&r.uri),
                suite.trim_end_matches('/').replace('/', "_")
            )
        } else {
            format!("{}_dists_{}", uri_to_file_name(&r.uri), suite.replace('/', "_"))
        };
        let mine: Vec<String> = names
            .iter()
            .filter(|n| {
                n.strip_prefix(&prefix).is_some_and(|rest| {
                    rest.starts_with('_') && rest.split('.').next().is_some_and(|b| b.ends_with("_Packages"))
                })
            })
            .map(|n| format!("{APT_LISTS}/{n}"))
            .collect();
        if mine.is_empty() {
            without.push(r.id.clone());
        }
        for m in mine {
            if !indexes.contains(&m) {
                indexes.push(m);
            }
        }
    }
    if indexes.is_empty() {
        return Err(FactError::NotCached {
            what: "no apt package index for the configured sources".into(),
            remedy: "run apt-get update",
        });
    }
    // name → (arch, version) offered
    let mut offered: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut budget = crate::facts::updates::pending::index_budget();
    for path in &indexes {
        let mut entries = IndexEntries::default();
        let mut keep = |n: &str, a: &str, v: &str| {
            if pkgs.installed.contains_key(n) {
                offered
                    .entry(n.to_owned())
                    .or_default()
                    .push((a.to_owned(), v.to_owned()));
            }
        };
        crate::facts::updates::pending::index_lines(fs, path, &mut budget, |_, line| {
            entries.line(line, &mut keep);
            Ok(())
        })?;
        entries.finish(&mut keep);
    }
    let mut unknown = Vec::new();
    for p in pkgs.installed.values() {
        for i in p.instances() {
            let arch_ok = |a: &str| a == "all" || Some(a) == i.arch.as_deref() || i.arch.as_deref() == Some("all");
            let known = offered.get(p.name.as_str()).is_some_and(|vs| {
                vs.iter()
                    .any(|(a, v)| arch_ok(a) && (*v == i.version || dpkg_cmp(v, &i.version).is_gt()))
            });
            if !known {
                unknown.push(UnknownPackage {
                    name: p.name.to_string(),
                    version: i.version.to_string(),
                    arch: i.arch.as_deref().map(str::to_owned),
                    source: i.source.clone(),
                });
            }
        }
    }
    unknown.sort();
    Ok(Offered {
        indexes,
        sources_without_index: without,
        unknown,
    })
}

/// `(Package, Architecture, Version)` of each stanza of a Packages index, fed a line at a time,
/// without building the stanzas (a full archive's index has ~60k of them): only those three fields
/// are looked at; a missing Architecture reads as `all`.
#[derive(Debug, Default)]
pub struct IndexEntries {
    /// Package, Architecture, Version of the current stanza.
    cur: [Option<String>; 3],
}

impl IndexEntries {
    /// Takes one line (as [`str::lines`] yields it); a stanza it ends goes to `out`.
    pub fn line(&mut self, line: &str, out: &mut impl FnMut(&str, &str, &str)) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            self.finish(out);
        } else if let Some((k, val)) = line.split_once(':')
            && !line.starts_with([' ', '\t'])
        {
            let slot = ["package", "architecture", "version"]
                .iter()
                .position(|f| k.eq_ignore_ascii_case(f));
            if let Some(slot) = slot.and_then(|i| self.cur.get_mut(i)) {
                *slot = Some(val.trim().to_owned());
            }
        }
    }

    /// Ends the stanza in progress, if any.
    pub fn finish(&mut self, out: &mut impl FnMut(&str, &str, &str)) {
        if let [Some(n), a, Some(v)] = &self.cur {
            out(n, a.as_deref().unwrap_or("all"), v);
        }
        self.cur = Default::default();
    }
}

/// [`IndexEntries`] over a whole text.
pub fn index_entries(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut keep = |n: &str, a: &str, v: &str| out.push((n.to_owned(), a.to_owned(), v.to_owned()));
    let mut e = IndexEntries::default();
    for line in text.lines() {
        e.line(line, &mut keep);
    }
    e.finish(&mut keep);
    out
}

/// A dnf/yum boolean (libdnf's OptionBool: 1/0, yes/no, true/false, on/off).
fn dnf_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// One INI section: name, its line, and `key → (value, line)` (continuation lines joined with
/// a space, as dnf's parser does for indented lines).
type Section = (String, u32, BTreeMap<String, (String, u32)>);

/// Parses a dnf/yum INI file (`[section]`, `key=value`, `#`/`;` comments, indented continuations).
pub fn parse_ini(path: &str, text: &str) -> Result<Vec<Section>, FactError> {
    let mut out: Vec<Section> = Vec::new();
    let mut last_key: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if raw.starts_with([' ', '\t'])
            && let (Some(k), Some((_, _, map))) = (&last_key, out.last_mut())
            && let Some((v, _)) = map.get_mut(k)
        {
            v.push(' ');
            v.push_str(t);
            continue;
        }
        if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            out.push((name.trim().to_owned(), lineno, BTreeMap::new()));
            last_key = None;
            continue;
        }
        let Some((k, v)) = t.split_once('=') else {
            return Err(FactError::Parse {
                path: path.into(),
                line: lineno,
                msg: "expected `key=value` or `[section]`".into(),
            });
        };
        let Some((_, _, map)) = out.last_mut() else {
            return Err(FactError::Parse {
                path: path.into(),
                line: lineno,
                msg: "option before any [section]".into(),
            });
        };
        let k = k.trim().to_ascii_lowercase();
        map.insert(k.clone(), (v.trim().to_owned(), lineno));
        last_key = Some(k);
    }
    Ok(out)
}

fn dnf(fs: &RootFs) -> Result<(String, DnfMain, Vec<Repository>), FactError> {
    let (manager, config) = if fs.metadata("/etc/dnf/dnf.conf")?.is_some() {
        ("dnf", "/etc/dnf/dnf.conf")
    } else {
        ("yum", "/etc/yum.conf")
    };
    let main_sections = match fs.read_text(config)? {
        Some(t) => parse_ini(config, &t)?,
        None => Vec::new(),
    };
    let main = main_sections.iter().find(|(n, _, _)| n == "main").map(|(_, _, m)| m);
    let default = |k: &str, d: bool| -> Result<Fact<bool>, FactError> {
        match main.and_then(|m| m.get(k)) {
            Some((v, line)) => dnf_bool(v)
                .map(|b| Fact::new(b, Source::at(config, *line)))
                .ok_or_else(|| FactError::Parse {
                    path: config.into(),
                    line: *line,
                    msg: format!("{k}: not a boolean: {v:?}"),
                }),
            None => Ok(Fact::new(
                d,
                Source::note(format!("{manager}'s compiled-in default ({manager}.conf(5))")),
            )),
        }
    };
    let dm = DnfMain {
        config: config.into(),
        gpgcheck: default("gpgcheck", false)?,
        repo_gpgcheck: default("repo_gpgcheck", false)?,
        sslverify: default("sslverify", true)?,
    };
    let mut repos = Vec::new();
    // Repositories in the main config file (sections other than [main]) count too.
    let mut files: Vec<(String, Vec<Section>)> = vec![(
        config.to_owned(),
        main_sections.into_iter().filter(|(n, _, _)| n != "main").collect(),
    )];
    for dir in ["/etc/yum.repos.d", "/etc/yum/repos.d", "/etc/distro.repos.d"] {
        for e in fs.read_dir(dir)?.unwrap_or_default() {
            if !e.name.ends_with(".repo") {
                continue;
            }
            if let Some(t) = fs.read_text(&e.path)? {
                files.push((e.path.clone(), parse_ini(&e.path, &t)?));
            }
        }
    }
    for (path, sections) in files {
        for (id, line, opts) in sections {
            let flag = |k: &str, inherited: &Fact<bool>| -> Result<Fact<bool>, FactError> {
                match opts.get(k) {
                    Some((v, l)) => {
                        dnf_bool(v)
                            .map(|b| Fact::new(b, Source::at(&path, *l)))
                            .ok_or_else(|| FactError::Parse {
                                path: path.clone(),
                                line: *l,
                                msg: format!("{k}: not a boolean: {v:?}"),
                            })
                    }
                    None => Ok(inherited.clone()),
                }
            };
            let urls = |k: &str| -> Vec<String> {
                opts.get(k)
                    .map(|(v, _)| {
                        v.split([' ', ',', '\t'])
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let uri = urls("baseurl")
                .into_iter()
                .next()
                .or_else(|| urls("mirrorlist").into_iter().next())
                .or_else(|| urls("metalink").into_iter().next())
                .unwrap_or_default();
            let (scheme, host) = split_url(&uri);
            let gpgcheck = flag("gpgcheck", &dm.gpgcheck)?;
            let enabled = match opts.get("enabled") {
                Some((v, _)) => dnf_bool(v).unwrap_or(true),
                None => true,
            };
            repos.push(Repository {
                manager: manager.into(),
                kind: "rpm-md".into(),
                signed: gpgcheck.value,
                distribution: is_distribution(host.as_deref()),
                id,
                uri,
                scheme,
                host,
                enabled,
                suites: Vec::new(),
                components: Vec::new(),
                signed_by: None,
                trusted: false,
                allow_insecure: false,
                check_valid_until: None,
                repo_gpgcheck: Some(flag("repo_gpgcheck", &dm.repo_gpgcheck)?),
                sslverify: Some(flag("sslverify", &dm.sslverify)?),
                gpgcheck: Some(gpgcheck),
                gpgkey: urls("gpgkey"),
                source: Source::at(&path, line),
            });
        }
    }
    Ok((manager.into(), dm, repos))
}

fn apk(fs: &RootFs) -> Result<(Vec<Repository>, ApkSetup), FactError> {
    const CONFIG: &str = "/etc/apk/config";
    let mut allow = Fact::new(false, Source::note("apk verifies index signatures by default"));
    if let Some(t) = fs.read_text(CONFIG)? {
        for (i, l) in t.lines().enumerate() {
            let opt = l.trim().trim_start_matches("--");
            if opt == "allow-untrusted" {
                allow = Fact::new(true, Source::at(CONFIG, u32::try_from(i + 1).unwrap_or(u32::MAX)));
            }
        }
    }
    const REPOS: &str = "/etc/apk/repositories";
    let mut repos = Vec::new();
    if let Some(t) = fs.read_text(REPOS)? {
        for (i, l) in t.lines().enumerate() {
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let url = l.split_whitespace().last().unwrap_or(l);
            let (scheme, host) = split_url(url);
            // A bare path is a local repository directory.
            let scheme = if url.starts_with('/') {
                "file".to_owned()
            } else {
                scheme
            };
            repos.push(Repository {
                manager: "apk".into(),
                id: l.to_owned(),
                kind: "apk".into(),
                uri: url.to_owned(),
                distribution: is_distribution(host.as_deref()),
                scheme,
                host,
                enabled: true,
                signed: !allow.value,
                suites: Vec::new(),
                components: Vec::new(),
                signed_by: None,
                trusted: false,
                allow_insecure: false,
                check_valid_until: None,
                gpgcheck: None,
                repo_gpgcheck: None,
                sslverify: None,
                gpgkey: Vec::new(),
                source: Source::at(REPOS, u32::try_from(i + 1).unwrap_or(u32::MAX)),
            });
        }
    }
    let keys = fs
        .read_dir("/etc/apk/keys")?
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.name.ends_with(".pub"))
        .map(|e| e.path)
        .collect();
    Ok((
        repos,
        ApkSetup {
            keys,
            allow_untrusted: allow,
        },
    ))
}

/// DMI identification from /sys/class/dmi/id (live only: an image root has no firmware).
fn provenance(fs: &RootFs, ctx: &Context) -> Result<Provenance, FactError> {
    if !ctx.live {
        return Err(FactError::NotApplicable(
            "DMI identification is read on a live system only".into(),
        ));
    }
    let mut p = Provenance::default();
    let mut read = |name: &str| -> Option<Fact<String>> {
        let path = format!("/sys/class/dmi/id/{name}");
        match fs.read_text_limited(&path, 4096) {
            Ok(Some(t)) => Some(t.trim().to_owned())
                .filter(|v| !v.is_empty())
                .map(|v| Fact::new(v, Source::file(&path))),
            Ok(None) => None,
            Err(e) => {
                p.unreadable.push(e.to_string());
                None
            }
        }
    };
    let sys_vendor = read("sys_vendor");
    let product_name = read("product_name");
    let product_uuid = read("product_uuid");
    let board_asset_tag = read("board_asset_tag");
    let chassis_asset_tag = read("chassis_asset_tag");
    Ok(Provenance {
        sys_vendor,
        product_name,
        product_uuid,
        board_asset_tag,
        chassis_asset_tag,
        unreadable: p.unreadable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_options_and_comments() {
        let t = "# comment\ndeb http://deb.debian.org/debian bookworm main contrib # trailing\n\
deb [arch=amd64 signed-by=/usr/share/keyrings/docker.gpg] https://download.docker.com/linux/debian bookworm stable\n\
deb [ trusted=yes ] http://repo.example.com/apt ./\n\
deb-src [check-valid-until=no allow-insecure=yes] http://snapshot.debian.org/archive/debian/20240101T000000Z bookworm main\n";
        let r = parse_sources_list("/etc/apt/sources.list", t).unwrap();
        assert_eq!(r.len(), 4);
        assert!(r[0].distribution && r[0].signed && r[0].signed_by.is_none());
        assert_eq!(r[0].components, ["main", "contrib"]);
        assert_eq!(r[0].source, Source::at("/etc/apt/sources.list", 2));
        assert_eq!(r[1].signed_by.as_deref(), Some("/usr/share/keyrings/docker.gpg"));
        assert!(!r[1].distribution);
        assert_eq!(r[1].host.as_deref(), Some("download.docker.com"));
        assert!(r[2].trusted && !r[2].signed);
        assert_eq!(r[3].check_valid_until, Some(false));
        assert!(r[3].allow_insecure);
        assert!(parse_sources_list("/x", "deb [trusted=yes http://x y\n").is_err());
        assert!(parse_sources_list("/x", "rpm http://x y\n").is_err());
    }

    #[test]
    fn deb822_expands_uris_and_suites_and_hides_embedded_keys() {
        let t = "Types: deb\nURIs: http://archive.ubuntu.com/ubuntu/\nSuites: noble noble-updates\nComponents: main restricted\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n\n\
Types: deb\nURIs: https://packages.example.com/apt\nSuites: stable\nComponents: main\nEnabled: no\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mQINBF\n -----END PGP PUBLIC KEY BLOCK-----\n";
        let r = parse_deb822_sources("/etc/apt/sources.list.d/ubuntu.sources", t).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].suites, ["noble-updates"]);
        assert!(r[0].distribution);
        assert!(!r[2].enabled);
        assert_eq!(r[2].signed_by.as_deref(), Some("(embedded key)"));
        assert_eq!(r[2].source.line, Some(7));
        assert!(parse_deb822_sources("/x", "Types: deb\nSuites: x\n").is_err());
    }

    #[test]
    fn distribution_hosts_match_whole_labels_only() {
        assert!(is_distribution(Some("deb.debian.org")));
        assert!(is_distribution(Some("us-east-1.ec2.archive.ubuntu.com")));
        assert!(!is_distribution(Some("evilubuntu.com")));
        assert!(!is_distribution(None));
    }

    #[test]
    fn urls_and_list_file_names() {
        assert_eq!(
            split_url("http://user:pw@Mirror.example.com:8080/debian"),
            ("http".into(), Some("mirror.example.com".into()))
        );
        assert_eq!(split_url("file:/srv/repo"), ("file".into(), None));
        assert_eq!(
            uri_to_file_name("http://deb.debian.org/debian/"),
            "deb.debian.org_debian"
        );
        assert_eq!(uri_to_file_name("https://u:p@h/x"), "h_x");
    }

    #[test]
    fn index_entries_default_arch_and_ignore_continuations() {
        let t = "Package: a\nVersion: 1\nDescription: x\n Version: 9\n\nPackage: b\r\nArchitecture: amd64\r\nVersion: 2\r\n";
        let got = index_entries(t);
        let got: Vec<(&str, &str, &str)> = got
            .iter()
            .map(|(n, a, v)| (n.as_str(), a.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, [("a", "all", "1"), ("b", "amd64", "2")]);
    }

    #[test]
    fn ini_sections_continuations_and_errors() {
        let t = "[main]\ngpgcheck=1\n\n[baseos]\nname=Rocky Linux $releasever - BaseOS\nbaseurl=http://a/x\n  http://b/x\ngpgcheck = 0\n";
        let s = parse_ini("/r", t).unwrap();
        assert_eq!(s[1].0, "baseos");
        assert_eq!(s[1].2["baseurl"].0, "http://a/x http://b/x");
        assert_eq!(s[1].2["gpgcheck"], ("0".into(), 8));
        assert!(parse_ini("/r", "gpgcheck=1\n").is_err());
        assert!(parse_ini("/r", "[main]\nnonsense\n").is_err());
    }
}
