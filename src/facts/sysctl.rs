//! Kernel parameters: the values the program that applies sysctl.d files at boot would set, and,
//! on a live system, the values the running kernel has in /proc/sys.
//!
//! Which program that is depends on the init system, decided from the root's contents
//! ([`applier`], recorded in `applied_by` with the file that decided it):
//! - **systemd-sysctl** (systemd images: Debian, Ubuntu, the RHEL family, Fedora, Amazon Linux,
//!   Alibaba Cloud Linux). It reads only the sysctl.d directories, most important first:
//!   /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d, and /lib/sysctl.d
//!   where systemd is built for a split /usr (`CONF_PATHS_NULSTR("sysctl.d")`; systemd 252 in
//!   Debian 12 reads it, and on merged-/usr roots it is /usr/lib again). Only names ending in
//!   `.conf` that do not start with a dot count; a name in a more important directory hides the
//!   same name in the others; a link to /dev/null or an empty file under a name masks it; the
//!   survivors are applied in byte order of their *file names*, whatever their directories.
//!   **/etc/sysctl.conf is not read** unless a sysctl.d entry links to it, as Debian's and the
//!   RHEL family's /etc/sysctl.d/99-sysctl.conf does.
//! - **Alpine's OpenRC sysctl service** (aports main/openrc/sysctl.initd, installed as
//!   /etc/init.d/sysctl), which runs busybox `sysctl -p` per file, directory by directory: every
//!   `*.conf` of /lib/sysctl.d then /usr/lib/sysctl.d unless /etc/sysctl.d or /run/sysctl.d has a
//!   regular file of that name; then /etc/sysctl.d (unless /run/sysctl.d has the name); then
//!   /etc/sysctl.conf; then /run/sysctl.d. /usr/local/lib/sysctl.d is not read, and a /dev/null
//!   link is not a regular file, so it masks nothing. The service must be in a runlevel.
//! - **procps `sysctl --system`** (upstream OpenRC's sysctl service, as on Gentoo; sysvinit's
//!   /etc/init.d/procps): sysctl.d as systemd lists it (dot files included), then /etc/sysctl.conf.
//! - **none**: systemd-sysctl.service is masked, or OpenRC's sysctl service is in no runlevel:
//!   nothing is applied at boot and no key is persisted.
//! - **unknown**: nothing in the root says which init runs. Both systemd-sysctl and
//!   `sysctl --system` are evaluated; a key on which they disagree is an error naming both values,
//!   never a guess.
//!
//! /run/sysctl.d is read on live scans only: /run is an empty tmpfs at boot, so an image's own files
//! there are never applied (offline they are listed in `not_at_boot`). An entry systemd-sysctl would
//! read that is not a regular file (a directory or FIFO named `*.conf`) makes the fact an error:
//! systemd logs and skips it, together with the file it hides.
//!
//! Within a file, as systemd-sysctl 252 reads it (src/sysctl/sysctl.c):
//! - `key = value` with whitespace around `=` ignored; lines starting with `#` or `;` are comments;
//! - a key may use `/` as separator: when the first separator is `/`, `/` and `.` are swapped
//!   (`net/ipv4/conf/eth0.100/rp_filter` is `net.ipv4.conf.eth0/100.rp_filter`), and empty and `.`
//!   components are dropped, as systemd's `sysctl_normalize` does ([`normalize_key`]);
//! - a leading `-` means "ignore failure" and is dropped from the key; `-key` without `=` excludes
//!   the key from glob assignments;
//! - a key with glob characters (`net.ipv4.conf.*.rp_filter`) applies to every matching key, except
//!   keys that have an explicit assignment or exclusion (systemd's sysctl.c: "explicit setting
//!   exists"), whatever the order. systemd expands globs against /proc/sys; offline there is no
//!   /proc/sys to enumerate, so a glob is applied to the keys imagegate knows (those set
//!   explicitly in some file plus [`WELL_KNOWN`]) and is recorded in `globs` as evidence;
//! - a later assignment to a key wins; each key keeps the assignments it shadowed as evidence (the
//!   [`SHADOWED_LIMIT`] most recent).
//!
//! The other programs are read with the same line syntax (busybox `sysctl -p` knows neither the
//! `-` prefix nor globs: a limitation, stated here).
//!
//! Runtime values are read from /proc/sys only when the root is the running system
//! (`Context::live`); offline they are not-applicable. They are read for every persisted key plus
//! [`WELL_KNOWN`] (the security keys the shipped rules and CIS benchmarks look at) and, when live,
//! every key a glob expands to. Values are normalised by collapsing whitespace, so a multi-value
//! key such as `net.ipv4.tcp_rmem` compares equal whether tabs or spaces separate its fields.
//! `disagreements` compares each runtime value with the persisted one; where the persisted value
//! is unknown (see above) it is an error, not an empty list.
//!
//! Deliberately ignored: the kernel's compiled-in defaults for keys no file sets (they depend on the
//! kernel build; `persisted` is then null), and `sysctl -p FILE` invocations from scripts.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::os_release::OsRelease;
use super::{Collected, Context, Fact, FactError, Shadowed, Source};
use crate::rootfs::{Budget, Entry, Kind, RootFs, fnmatch, limits};

/// sysctl.d directories, in precedence order: systemd's `CONF_PATHS_NULSTR("sysctl.d")` with the
/// split-/usr /lib entry (systemd 252), and procps `sysctl --system`'s list.
pub const DIRS: [&str; 5] = [
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
];

/// The runtime directory: a tmpfs mounted empty at boot, so an image's own files there are never
/// applied; read on live scans only.
pub const RUN_DIR: &str = "/run/sysctl.d";

/// The legacy file: read by procps `sysctl --system` after every sysctl.d file and by Alpine's
/// OpenRC service; systemd-sysctl reads it only through a sysctl.d link.
pub const SYSCTL_CONF: &str = "/etc/sysctl.conf";

/// Keys whose runtime values are always read on a live system, even when no file sets them: the
/// CIS network and kernel parameters and the other security-relevant keys rules ask about.
pub const WELL_KNOWN: &[&str] = &[
    "fs.protected_fifos",
    "fs.protected_hardlinks",
    "fs.protected_regular",
    "fs.protected_symlinks",
    "fs.suid_dumpable",
    "kernel.dmesg_restrict",
    "kernel.kptr_restrict",
    "kernel.perf_event_paranoid",
    "kernel.randomize_va_space",
    "kernel.sysrq",
    "kernel.unprivileged_bpf_disabled",
    "kernel.yama.ptrace_scope",
    "net.ipv4.conf.all.accept_redirects",
    "net.ipv4.conf.all.accept_source_route",
    "net.ipv4.conf.all.log_martians",
    "net.ipv4.conf.all.rp_filter",
    "net.ipv4.conf.all.secure_redirects",
    "net.ipv4.conf.all.send_redirects",
    "net.ipv4.conf.default.accept_redirects",
    "net.ipv4.conf.default.accept_source_route",
    "net.ipv4.conf.default.log_martians",
    "net.ipv4.conf.default.rp_filter",
    "net.ipv4.conf.default.secure_redirects",
    "net.ipv4.conf.default.send_redirects",
    "net.ipv4.icmp_echo_ignore_broadcasts",
    "net.ipv4.icmp_ignore_bogus_error_responses",
    "net.ipv4.ip_forward",
    "net.ipv4.tcp_syncookies",
    "net.ipv6.conf.all.accept_ra",
    "net.ipv6.conf.all.accept_redirects",
    "net.ipv6.conf.all.accept_source_route",
    "net.ipv6.conf.all.forwarding",
    "net.ipv6.conf.default.accept_ra",
    "net.ipv6.conf.default.accept_redirects",
    "net.ipv6.conf.default.accept_source_route",
    "vm.swappiness",
];

/// Largest sysctl.d file read; real ones are a few KiB.
const FILE_LIMIT: u64 = limits::SYSCTL_FILE;
/// Largest /proc/sys value read (a page is what the kernel hands out per read).
const PROC_LIMIT: u64 = limits::PROC_SYS_VALUE;
/// Glob assignments one model of boot may apply (each is matched against every key without an
/// explicit value, and live expanded against /proc/sys); systemd's own files have a handful.
pub const GLOB_LIMIT: usize = 1024;
/// Shadowed assignments kept as evidence per key: the most recent ones, closest to the winner (a
/// file that sets one key a million times must not make a million-entry report).
pub const SHADOWED_LIMIT: usize = 16;

/// Records `old` as shadowed, keeping the [`SHADOWED_LIMIT`] most recent.
fn push_shadowed(shadowed: &mut Vec<Shadowed<String>>, old: Shadowed<String>) {
    if shadowed.len() == SHADOWED_LIMIT {
        shadowed.remove(0);
    }
    shadowed.push(old);
}

/// Kernel parameters, persisted and runtime.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Sysctl {
    /// The program that applies the files at boot, and what in the root says so.
    pub applied_by: Applier,
    /// Every key imagegate knows, by dotted name.
    pub keys: BTreeMap<String, SysctlKey>,
    /// Glob assignments, in the order applied (offline they were applied to known keys only).
    pub globs: Vec<GlobAssignment>,
    /// The files applied, in order (for `unknown`: systemd-sysctl's, then any file only
    /// `sysctl --system` reads).
    pub files: Vec<String>,
    /// Applied files that mask a name: links to /dev/null and empty files.
    pub masks: Vec<String>,
    /// Files not read because a more important directory has the same name.
    pub overridden: Vec<Overridden>,
    /// The image's own /run/sysctl.d files (offline scans): /run is an empty tmpfs at boot, so
    /// they are never applied.
    pub not_at_boot: Vec<String>,
    /// Keys whose runtime value differs from the persisted one (live only).
    pub disagreements: Collected<Vec<Disagreement>>,
}

/// The program that applies sysctl.d files at boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Program {
    /// systemd-sysctl.service.
    SystemdSysctl,
    /// Alpine's OpenRC sysctl service (busybox `sysctl -p` per file).
    OpenrcAlpine,
    /// procps `sysctl --system`.
    SysctlSystem,
    /// Nothing: the service is masked or not enabled.
    None,
    /// Not identified: systemd-sysctl and `sysctl --system` both evaluated.
    Unknown,
}

impl std::fmt::Display for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Program::SystemdSysctl => "systemd-sysctl",
            Program::OpenrcAlpine => "Alpine's OpenRC sysctl service",
            Program::SysctlSystem => "sysctl --system",
            Program::None => "nothing",
            Program::Unknown => "an unidentified program",
        })
    }
}

/// Which program applies the files, and the evidence for it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Applier {
    /// The program.
    pub program: Program,
    /// The file that decided it and what it showed (`/sbin/init`, "links to /lib/systemd/systemd").
    pub evidence: Source,
}

/// A sysctl.d file hidden by a file of the same name in a more important directory.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Overridden {
    /// The file not read.
    pub path: String,
    /// The file read in its place.
    pub by: String,
}

/// One kernel parameter.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SysctlKey {
    /// The value the files set at boot (null when none sets it), with what it shadowed; an error
    /// when the program is unknown and the candidates disagree.
    pub persisted: Collected<Option<Fact<String>>>,
    /// The value in /proc/sys (not-applicable offline or when the kernel has no such key).
    pub runtime: Collected<Fact<String>>,
}

/// A glob assignment such as `net.ipv4.conf.*.rp_filter = 2`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct GlobAssignment {
    /// The pattern, normalised to dots.
    pub pattern: String,
    /// The value.
    pub value: String,
    /// Where it was set.
    pub source: Source,
}

/// A key whose running value is not what the files would set at boot.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Disagreement {
    /// The dotted key.
    pub key: String,
    /// The value in /proc/sys.
    pub runtime: String,
    /// The persisted value.
    pub persisted: String,
    /// Where the persisted value was set.
    pub source: Source,
}

/// One line of a sysctl.d file.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// `key = value` (glob or not).
    Assign {
        /// Normalised dotted key (may contain glob characters).
        key: String,
        /// Normalised value.
        value: String,
        /// 1-based line.
        line: u32,
    },
    /// `-key` without `=`: exclude the key from glob assignments.
    Exclude {
        /// Normalised dotted key.
        key: String,
        /// 1-based line.
        line: u32,
    },
}

/// Swaps `.` and `/`.
fn swap_separators(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '/' => '.',
            '.' => '/',
            c => c,
        })
        .collect()
}

/// Normalises a key as systemd's `sysctl_normalize` does, then writes it dotted. systemd's form is
/// the /proc/sys path: when the first separator is `.`, dots and slashes swap; then the path is
/// simplified (empty and `.` components dropped, the leading slash removed). So
/// `net/ipv4/conf/eth0.100/rp_filter` is `net.ipv4.conf.eth0/100.rp_filter`,
/// `net.ipv4..ip_forward` is `net.ipv4.ip_forward`, and `/net.ipv4.ip_forward` is one component
/// (`net/ipv4/ip_forward` dotted), as it is for systemd.
pub fn normalize_key(key: &str) -> String {
    let key = key.trim();
    let slashed = match key.find(['.', '/']) {
        Some(i) if key.as_bytes().get(i) == Some(&b'.') => swap_separators(key),
        _ => key.to_owned(),
    };
    let simplified: Vec<&str> = slashed.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    swap_separators(&simplified.join("/"))
}

/// Collapses runs of whitespace to one space and trims, and writes integer fields in decimal, so
/// values compare as the kernel means them: integer sysctls are parsed with base 0
/// (`proc_dointvec` → `strtoul` base 0), so `0x01b6` and `0666` in a file set 438 — the decimal
/// /proc/sys prints back.
pub fn normalize_value(v: &str) -> String {
    v.split_whitespace().map(normalize_int).collect::<Vec<_>>().join(" ")
}

/// One whitespace-separated field: a C integer literal becomes decimal, anything else is kept.
fn normalize_int(tok: &str) -> String {
    let (neg, digits) = match tok.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, tok),
    };
    let parsed = if let Some(h) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(digits.get(1..).unwrap_or_default(), 8).ok()
    } else {
        None
    };
    match parsed {
        Some(n) if neg => format!("-{n}"),
        Some(n) => n.to_string(),
        None => tok.to_owned(),
    }
}

fn is_glob(key: &str) -> bool {
    key.contains(['*', '?', '['])
}

/// Parses one sysctl.d file. Lines that are neither assignments nor exclusions are skipped, as
/// systemd-sysctl skips them with a warning.
pub fn parse(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        match line.split_once('=') {
            Some((k, v)) => {
                // The "-" prefix only says "ignore a failure to set"; it does not change the key.
                let k = k.trim();
                let k = k.strip_prefix('-').unwrap_or(k);
                let key = normalize_key(k);
                if key.is_empty() {
                    continue;
                }
                out.push(Line::Assign {
                    key,
                    value: normalize_value(v),
                    line: line_no,
                });
            }
            None => {
                if let Some(k) = line.strip_prefix('-') {
                    let key = normalize_key(k);
                    if !key.is_empty() {
                        out.push(Line::Exclude { key, line: line_no });
                    }
                }
            }
        }
    }
    out
}

/// Matches a dotted key against a dotted glob, component by component (systemd globs paths under
/// /proc/sys, so `*` never crosses a separator).
pub fn glob_matches(pattern: &str, key: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = key.split('.').collect();
    p.len() == k.len() && p.iter().zip(&k).all(|(p, k)| fnmatch(p.as_bytes(), k.as_bytes()))
}

/// The files one program applies, in application order, and the files it passes over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// In-image paths, in application order.
    pub files: Vec<String>,
    /// Files not read because another file of the same name takes their place.
    pub overridden: Vec<Overridden>,
}

/// The `*.conf` entries of one directory, in byte order; dot files too unless `skip_hidden`
/// (systemd's directory iteration and the shell's `*.conf` skip them, procps does not).
fn conf_entries(fs: &RootFs, dir: &str, skip_hidden: bool) -> Result<Vec<Entry>, FactError> {
    let Some(entries) = fs.read_dir(dir)? else {
        return Ok(Vec::new());
    };
    Ok(entries
        .into_iter()
        .filter(|e| e.name.ends_with(".conf") && !(skip_hidden && e.name.starts_with('.')))
        .collect())
}

/// The sysctl.d files in all [`DIRS`], one per name (the most important directory's), in byte
/// order of the name.
fn by_name(fs: &RootFs, skip_hidden: bool, run: bool) -> Result<Plan, FactError> {
    // Keyed by the name's bytes: systemd orders by strcmp, which a `String` key does not for a
    // name that is not UTF-8 (crate::names).
    let mut chosen: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    let mut overridden = Vec::new();
    for dir in DIRS.into_iter().filter(|d| run || *d != RUN_DIR) {
        for e in conf_entries(fs, dir, skip_hidden)? {
            let key = crate::names::bytes(&e.name).into_owned();
            match chosen.get(&key) {
                Some(by) => overridden.push(Overridden {
                    path: e.path,
                    by: by.clone(),
                }),
                None => {
                    chosen.insert(key, e.path);
                }
            }
        }
    }
    Ok(Plan {
        files: chosen.into_values().collect(),
        overridden,
    })
}

/// The files systemd-sysctl applies (systemd 252 `conf_files_list_strv(".conf", …)`): sysctl.d
/// only. /etc/sysctl.conf is read only through an entry that links to it.
pub fn systemd_files(fs: &RootFs, run: bool) -> Result<Plan, FactError> {
    by_name(fs, true, run)
}

/// The files procps `sysctl --system` applies (procps 4 `PreloadSystem`): sysctl.d by name, dot
/// files included, then /etc/sysctl.conf when it is a regular file.
pub fn procps_files(fs: &RootFs, run: bool) -> Result<Plan, FactError> {
    let mut plan = by_name(fs, false, run)?;
    if is_regular(fs, SYSCTL_CONF)? {
        plan.files.push(SYSCTL_CONF.to_owned());
    }
    Ok(plan)
}

/// `[ -f PATH ]`: a regular file after following links.
fn is_regular(fs: &RootFs, path: &str) -> Result<bool, FactError> {
    Ok(fs.metadata(path)?.is_some_and(|m| m.kind == Kind::File))
}

/// The files Alpine's OpenRC sysctl service applies (aports main/openrc/sysctl.initd), directory
/// by directory: /lib/sysctl.d and /usr/lib/sysctl.d unless /etc/sysctl.d or /run/sysctl.d has a
/// regular file of the name, /etc/sysctl.d unless /run/sysctl.d has it, /etc/sysctl.conf, then
/// /run/sysctl.d. Only regular files (`[ -f ]`) are applied or hide another.
pub fn alpine_files(fs: &RootFs, run: bool) -> Result<Plan, FactError> {
    let mut plan = Plan::default();
    let mut lib_dirs = vec!["/lib/sysctl.d", "/usr/lib/sysctl.d"];
    // On a merged-/usr root both name one directory: the script applies each file twice in a row,
    // which sets nothing new; listing it once keeps the evidence free of self-shadowing.
    if let (Some(a), Some(b)) = (fs.metadata(lib_dirs[0])?, fs.metadata(lib_dirs[1])?)
        && (a.dev, a.ino) == (b.dev, b.ino)
    {
        lib_dirs.pop();
    }
    let hidden_by = |name: &str, dirs: &[&str]| -> Result<Option<String>, FactError> {
        for d in dirs {
            let p = format!("{d}/{name}");
            if is_regular(fs, &p)? {
                return Ok(Some(p));
            }
        }
        Ok(None)
    };
    let pass = |dir: &str, hiding: &[&str], plan: &mut Plan| -> Result<(), FactError> {
        for e in conf_entries(fs, dir, true)? {
            if let Some(by) = hidden_by(&e.name, hiding)? {
                plan.overridden.push(Overridden { path: e.path, by });
            } else if is_regular(fs, &e.path)? {
                plan.files.push(e.path);
            }
        }
        Ok(())
    };
    for dir in lib_dirs {
        pass(
            dir,
            if run {
                &["/etc/sysctl.d", RUN_DIR]
            } else {
                &["/etc/sysctl.d"]
            },
            &mut plan,
        )?;
    }
    pass("/etc/sysctl.d", if run { &[RUN_DIR] } else { &[] }, &mut plan)?;
    if is_regular(fs, SYSCTL_CONF)? {
        plan.files.push(SYSCTL_CONF.to_owned());
    }
    if run {
        pass(RUN_DIR, &[], &mut plan)?;
    }
    Ok(plan)
}

/// What the kernel runs as init, as far as the root shows it.
enum Init {
    Systemd,
    OpenRc,
    SysV,
    Unknown,
}

/// The last component of a path.
fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Decides the init system: /sbin/init's link target first (it is what the kernel runs), then an
/// init binary, then the configuration directories each init system owns.
fn init_system(fs: &RootFs) -> Result<(Init, Source), FactError> {
    let is_dir =
        |p: &str| -> Result<bool, FactError> { Ok(fs.metadata(p)?.is_some_and(|m| m.kind == Kind::Directory)) };
    let openrc = || -> Result<Option<&'static str>, FactError> {
        for p in ["/sbin/openrc", "/etc/runlevels"] {
            if fs.metadata(p)?.is_some() {
                return Ok(Some(p));
            }
        }
        Ok(None)
    };
    if let Some(target) = fs.read_link("/sbin/init")? {
        let how = Source {
            path: Some("/sbin/init".into()),
            line: None,
            note: Some(format!("links to {target}")),
        };
        match base_name(&target) {
            "systemd" => return Ok((Init::Systemd, how)),
            "openrc-init" => return Ok((Init::OpenRc, how)),
            "busybox" => {
                return Ok(match openrc()? {
                    Some(p) => (Init::OpenRc, Source::file(p)),
                    None => (
                        Init::Unknown,
                        Source {
                            note: Some(format!("links to {target}, and no OpenRC in the root")),
                            ..how
                        },
                    ),
                });
            }
            _ => {}
        }
    } else if is_regular(fs, "/sbin/init")? && fs.metadata("/etc/inittab")?.is_some() {
        return Ok((Init::SysV, Source::file("/etc/inittab")));
    }
    for p in ["/lib/systemd/systemd", "/usr/lib/systemd/systemd"] {
        if is_regular(fs, p)? {
            return Ok((Init::Systemd, Source::file(p)));
        }
    }
    if let Some(p) = openrc()? {
        return Ok((Init::OpenRc, Source::file(p)));
    }
    for p in ["/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"] {
        if is_dir(p)? {
            return Ok((
                Init::Systemd,
                Source {
                    path: Some(p.into()),
                    line: None,
                    note: Some("systemd unit directory (the root has no init binary)".into()),
                },
            ));
        }
    }
    Ok((
        Init::Unknown,
        Source::note("no /sbin/init, systemd, OpenRC or sysvinit in the root"),
    ))
}

/// OpenRC's sysctl service link in a runlevel that boot enters (sysinit, boot, default: what
/// Alpine's and Gentoo's inittab run); a link in `shutdown` or a custom runlevel does not count.
fn boot_runlevel_link(fs: &RootFs) -> Result<Option<String>, FactError> {
    for level in ["sysinit", "boot", "default"] {
        let p = format!("/etc/runlevels/{level}/sysctl");
        if fs.symlink_metadata(&p)?.is_some() {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// The program that applies sysctl.d files at boot in this root, with the evidence.
pub fn applier(fs: &RootFs, os: Option<&OsRelease>) -> Result<Applier, FactError> {
    let (init, evidence) = init_system(fs)?;
    let (program, evidence) = match init {
        Init::Systemd => {
            let mut masked = None;
            for p in [
                "/etc/systemd/system/systemd-sysctl.service",
                "/run/systemd/system/systemd-sysctl.service",
            ] {
                if fs.read_link(p)?.as_deref() == Some("/dev/null") {
                    masked = Some(p);
                    break;
                }
            }
            match masked {
                Some(p) => (
                    Program::None,
                    Source {
                        path: Some(p.into()),
                        line: None,
                        note: Some("systemd-sysctl.service is masked".into()),
                    },
                ),
                None => (Program::SystemdSysctl, evidence),
            }
        }
        Init::OpenRc => match boot_runlevel_link(fs)? {
            // Alpine ships its own /etc/init.d/sysctl; upstream OpenRC's runs `sysctl --system`.
            Some(link) => {
                let alpine = os.is_some_and(|o| o.family == "alpine");
                let evidence = Source {
                    path: Some(link),
                    line: None,
                    note: Some(format!(
                        "OpenRC ({evidence}) enables its sysctl service{}",
                        if alpine { " on Alpine" } else { "" }
                    )),
                };
                let program = if alpine {
                    Program::OpenrcAlpine
                } else {
                    Program::SysctlSystem
                };
                (program, evidence)
            }
            None => (
                Program::None,
                Source::note(
                    "OpenRC's sysctl service is in no runlevel boot enters (no /etc/runlevels/{sysinit,boot,default}/sysctl)",
                ),
            ),
        },
        Init::SysV if fs.metadata("/etc/init.d/procps")?.is_some() => {
            (Program::SysctlSystem, Source::file("/etc/init.d/procps"))
        }
        Init::SysV => (
            Program::Unknown,
            Source {
                note: Some("sysvinit without /etc/init.d/procps".into()),
                ..evidence
            },
        ),
        Init::Unknown => (Program::Unknown, evidence),
    };
    Ok(Applier { program, evidence })
}

/// The result of applying parsed files: explicit assignments, exclusions and globs.
#[derive(Debug, Default)]
pub struct Persisted {
    /// Explicit keys with their winning value and what it shadowed.
    pub explicit: BTreeMap<String, Fact<String>>,
    /// Keys excluded from globs.
    pub excluded: BTreeSet<String>,
    /// Glob assignments in order.
    pub globs: Vec<GlobAssignment>,
}

impl Persisted {
    /// Applies one parsed file read from `path`.
    pub fn apply(&mut self, path: &str, lines: Vec<Line>) {
        for l in lines {
            match l {
                Line::Assign { key, value, line } if is_glob(&key) => {
                    self.globs.push(GlobAssignment {
                        pattern: key,
                        value,
                        source: Source::at(path, line),
                    });
                }
                Line::Assign { key, value, line } => {
                    let source = Source::at(path, line);
                    match self.explicit.get_mut(&key) {
                        Some(f) => {
                            let old = std::mem::replace(&mut f.value, value);
                            let old_src = std::mem::replace(&mut f.source, source);
                            push_shadowed(
                                &mut f.shadowed,
                                Shadowed {
                                    value: old,
                                    source: old_src,
                                },
                            );
                        }
                        None => {
                            self.explicit.insert(key, Fact::new(value, source));
                        }
                    }
                }
                Line::Exclude { key, .. } => {
                    self.excluded.insert(key);
                }
            }
        }
    }

    /// The persisted value of `key`: its explicit assignment, else the last glob that matches it
    /// (unless excluded), with earlier matching globs as shadowed.
    pub fn value_of(&self, key: &str) -> Option<Fact<String>> {
        if let Some(f) = self.explicit.get(key) {
            return Some(f.clone());
        }
        if self.excluded.contains(key) {
            return None;
        }
        let mut out: Option<Fact<String>> = None;
        for g in self.globs.iter().filter(|g| glob_matches(&g.pattern, key)) {
            let new = Fact::new(g.value.clone(), g.source.clone());
            out = Some(match out {
                None => new,
                Some(prev) => {
                    let mut shadowed = prev.shadowed;
                    push_shadowed(
                        &mut shadowed,
                        Shadowed {
                            value: prev.value,
                            source: prev.source,
                        },
                    );
                    Fact { shadowed, ..new }
                }
            });
        }
        out
    }
}

/// The /proc/sys path of a dotted key (the inverse swap of [`normalize_key`]).
pub fn proc_path(key: &str) -> String {
    format!("/proc/sys/{}", swap_separators(key))
}

/// The dotted key of a /proc/sys path.
fn key_of_proc_path(path: &str) -> String {
    normalize_key(&format!("/{}", path.trim_start_matches("/proc/sys/")))
}

/// Reads one runtime value.
fn read_runtime(fs: &RootFs, key: &str) -> Collected<Fact<String>> {
    let path = proc_path(key);
    match fs.read_text_limited(&path, PROC_LIMIT) {
        Ok(Some(v)) => Collected::Ok(Fact::new(normalize_value(&v), Source::file(path))),
        Ok(None) => Collected::not_applicable(format!("the running kernel has no parameter {key} ({path} is absent)")),
        Err(e) => Collected::unreadable(&e),
    }
}

/// Reads one listed file as the programs do: a link to /dev/null reads as empty. Returns the text
/// and whether it is empty (a mask); `None` when absent (a dangling link, which systemd-sysctl
/// skips).
fn read_listed(fs: &RootFs, path: &str) -> Result<Option<(String, bool)>, FactError> {
    if fs.read_link(path)?.as_deref() == Some("/dev/null") {
        return Ok(Some((String::new(), true)));
    }
    Ok(fs.read_text_limited(path, FILE_LIMIT)?.map(|t| {
        let empty = t.is_empty();
        (t, empty)
    }))
}

/// Applies a plan's files in order; returns the result and the files that read as empty.
/// The bytes of all files together are bounded ([`limits::SYSCTL_TOTAL`]: 200 names linked to one
/// 1 MiB file are 200 MiB of assignments), and so are the glob assignments ([`GLOB_LIMIT`]).
fn apply_plan(fs: &RootFs, plan: &Plan) -> Result<(Persisted, Vec<String>), FactError> {
    let mut persisted = Persisted::default();
    let mut masks = Vec::new();
    let mut budget = Budget::new("sysctl.d files", limits::SYSCTL_TOTAL);
    for path in &plan.files {
        let Some((text, empty)) = read_listed(fs, path)? else {
            continue;
        };
        budget.charge(path, text.len() as u64)?;
        if empty {
            masks.push(path.clone());
        }
        persisted.apply(path, parse(&text));
        if persisted.globs.len() > GLOB_LIMIT {
            return Err(FactError::Limit {
                path: path.clone(),
                limit: GLOB_LIMIT as u64,
                what: "glob assignments in the sysctl.d files applied",
            });
        }
    }
    Ok((persisted, masks))
}

/// The persisted values: one program's, or (program unknown) systemd-sysctl's and
/// `sysctl --system`'s side by side.
enum Model {
    One(Persisted),
    Either { systemd: Persisted, procps: Persisted },
}

impl Model {
    fn explicit_keys(&self) -> BTreeSet<String> {
        match self {
            Model::One(p) => p.explicit.keys().cloned().collect(),
            Model::Either { systemd, procps } => {
                systemd.explicit.keys().chain(procps.explicit.keys()).cloned().collect()
            }
        }
    }

    fn globs(&self) -> Vec<&GlobAssignment> {
        match self {
            Model::One(p) => p.globs.iter().collect(),
            Model::Either { systemd, procps } => systemd.globs.iter().chain(&procps.globs).collect(),
        }
    }

    /// The persisted value of `key`; an error when the candidate programs disagree on it.
    fn value_of(&self, key: &str, applier: &Applier) -> Collected<Option<Fact<String>>> {
        match self {
            Model::One(p) => Collected::Ok(p.value_of(key)),
            Model::Either { systemd, procps } => {
                let (a, b) = (systemd.value_of(key), procps.value_of(key));
                if a.as_ref().map(|f| &f.value) == b.as_ref().map(|f| &f.value) {
                    return Collected::Ok(a);
                }
                let say = |f: &Option<Fact<String>>| match f {
                    Some(f) => format!("{} ({})", f.value, f.source),
                    None => "nothing".to_owned(),
                };
                Collected::error(format!(
                    "the value set at boot depends on which program applies sysctl.d, and the root does not show it ({}): systemd-sysctl would set {}, `sysctl --system` would set {}",
                    applier.evidence,
                    say(&a),
                    say(&b)
                ))
            }
        }
    }
}

/// Collects persisted and (when live) runtime kernel parameters. `os` tells Alpine's OpenRC
/// service from upstream OpenRC's.
pub fn collect(fs: &RootFs, ctx: &Context, os: Option<&OsRelease>) -> Result<Sysctl, FactError> {
    let applied_by = applier(fs, os)?;
    let (model, files, masks, overridden, globs) = match applied_by.program {
        Program::SystemdSysctl | Program::OpenrcAlpine | Program::SysctlSystem => {
            let plan = match applied_by.program {
                Program::SystemdSysctl => systemd_files(fs, ctx.live)?,
                Program::OpenrcAlpine => alpine_files(fs, ctx.live)?,
                _ => procps_files(fs, ctx.live)?,
            };
            let (p, masks) = apply_plan(fs, &plan)?;
            let globs = p.globs.clone();
            (Model::One(p), plan.files, masks, plan.overridden, globs)
        }
        Program::None => (
            Model::One(Persisted::default()),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        ),
        Program::Unknown => {
            let (sd, pp) = (systemd_files(fs, ctx.live)?, procps_files(fs, ctx.live)?);
            let (systemd, mut masks) = apply_plan(fs, &sd)?;
            let (procps, more) = apply_plan(fs, &pp)?;
            let mut files = sd.files;
            let mut overridden = sd.overridden;
            for f in pp.files {
                if !files.contains(&f) {
                    files.push(f);
                }
            }
            for o in pp.overridden {
                if !overridden.contains(&o) {
                    overridden.push(o);
                }
            }
            for m in more {
                if !masks.contains(&m) {
                    masks.push(m);
                }
            }
            let globs = systemd.globs.clone();
            (Model::Either { systemd, procps }, files, masks, overridden, globs)
        }
    };

    let not_at_boot = if ctx.live {
        Vec::new()
    } else {
        conf_entries(fs, RUN_DIR, false)?.into_iter().map(|e| e.path).collect()
    };

    let mut names = model.explicit_keys();
    names.extend(WELL_KNOWN.iter().map(|s| (*s).to_owned()));
    if ctx.live {
        // Live, a glob is expanded the way systemd-sysctl expands it: against /proc/sys.
        for g in model.globs() {
            for p in fs.glob(&proc_path(&g.pattern))? {
                names.insert(key_of_proc_path(&p));
            }
        }
    }

    let mut keys = BTreeMap::new();
    let mut disagreements = Vec::new();
    let mut undecided = Vec::new();
    for name in names {
        let persisted_value = model.value_of(&name, &applied_by);
        let runtime = if ctx.live {
            read_runtime(fs, &name)
        } else {
            Collected::not_applicable("runtime value exists only on a running system")
        };
        match (&persisted_value, &runtime) {
            (Collected::Ok(Some(p)), Collected::Ok(r)) if p.value != r.value => {
                disagreements.push(Disagreement {
                    key: name.clone(),
                    runtime: r.value.clone(),
                    persisted: p.value.clone(),
                    source: p.source.clone(),
                });
            }
            (Collected::Unavailable { .. }, Collected::Ok(_)) => undecided.push(name.clone()),
            _ => {}
        }
        keys.insert(
            name,
            SysctlKey {
                persisted: persisted_value,
                runtime,
            },
        );
    }
    let disagreements = if !ctx.live {
        Collected::not_applicable("runtime values exist only on a running system")
    } else if !undecided.is_empty() {
        Collected::error(format!(
            "cannot compare runtime values with the persisted ones: which program applies sysctl.d at boot is unknown ({}), and the candidates disagree on {}",
            applied_by.evidence,
            undecided.join(", ")
        ))
    } else {
        Collected::Ok(disagreements)
    };
    Ok(Sysctl {
        applied_by,
        keys,
        globs,
        files,
        masks,
        overridden,
        not_at_boot,
        disagreements,
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;

    /// A root from `(path, content)` pairs; content `-> TARGET` makes a symlink, a path ending in
    /// `/` a directory.
    fn tree(entries: &[(&str, &str)]) -> (tempfile::TempDir, RootFs) {
        let dir = tempfile::tempdir().unwrap();
        for (p, c) in entries {
            let host = dir.path().join(p.trim_start_matches('/'));
            if p.ends_with('/') {
                std::fs::create_dir_all(&host).unwrap();
                continue;
            }
            std::fs::create_dir_all(host.parent().unwrap()).unwrap();
            match c.strip_prefix("-> ") {
                Some(target) => std::os::unix::fs::symlink(target, &host).unwrap(),
                None => std::fs::write(&host, c).unwrap(),
            }
        }
        let fs = RootFs::open(dir.path()).unwrap();
        (dir, fs)
    }

    fn offline() -> Context {
        Context {
            live: false,
            as_of: "2026-11-01".parse().unwrap(),
            wanted: None,
        }
    }

    /// The temporary root as the running system (its /proc/sys is empty): /run/sysctl.d counts.
    fn live() -> Context {
        Context {
            live: true,
            ..offline()
        }
    }

    fn alpine() -> OsRelease {
        OsRelease {
            family: "alpine".into(),
            ..OsRelease::default()
        }
    }

    /// The persisted value of `key` and the file that set it.
    fn persisted(s: &Sysctl, key: &str) -> Option<(String, String)> {
        match &s.keys.get(key)?.persisted {
            Collected::Ok(v) => v.as_ref().map(|f| (f.value.clone(), f.source.to_string())),
            Collected::Unavailable { unavailable } => panic!("{key}: {}", unavailable.reason),
        }
    }

    const SYSTEMD: [(&str, &str); 2] = [("/sbin/init", "-> /lib/systemd/systemd"), ("/lib/systemd/systemd", "")];

    /// Hard links to one large file under many names are read once per name, as systemd-sysctl
    /// reads them: together they are bounded, and the name that goes past the bound is the error
    /// (200 links to a 1 MiB file kept 6 GiB of shadowed assignments).
    #[test]
    fn hard_links_to_one_large_file_are_bounded_together() {
        let mut big = String::new();
        let mut i = 0;
        while big.len() < (1 << 20) - 64 {
            big.push_str(&format!("net.k{i} = {i}\n"));
            i += 1;
        }
        let (dir, _) = tree(&SYSTEMD);
        let d = dir.path().join("etc/sysctl.d");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("000.conf"), &big).unwrap();
        let per = big.len() as u64;
        let fit = usize::try_from(limits::SYSCTL_TOTAL / per).unwrap();
        for n in 1..fit {
            std::fs::hard_link(d.join("000.conf"), d.join(format!("{n:03}.conf"))).unwrap();
        }
        let fs = RootFs::open(dir.path()).unwrap();
        let s = collect(&fs, &offline(), None).unwrap();
        let k = &s.keys["net.k0"];
        let Collected::Ok(Some(f)) = &k.persisted else {
            panic!("{k:?}")
        };
        assert_eq!(f.shadowed.len(), fit - 1);
        std::fs::hard_link(d.join("000.conf"), d.join(format!("{fit:03}.conf"))).unwrap();
        let e = collect(&fs, &offline(), None).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "cannot read /etc/sysctl.d/{fit:03}.conf: the sysctl.d files read in this scan would exceed {} bytes in total (imagegate's bound on them; no real image comes near it)",
                limits::SYSCTL_TOTAL
            )
        );
    }

    /// Glob assignments are bounded: each is matched against every key without an explicit value.
    #[test]
    fn glob_assignments_are_bounded() {
        let globs: String = (0..=GLOB_LIMIT).map(|i| format!("net.g{i}.* = 1\n")).collect();
        let files = [("/etc/sysctl.d/10-globs.conf", globs.as_str())];
        let (_d, fs) = tree(&[&SYSTEMD[..], &files[..]].concat());
        let e = collect(&fs, &offline(), None).unwrap_err().to_string();
        assert!(
            e.starts_with("/etc/sysctl.d/10-globs.conf: more than 1024 glob assignments"),
            "{e}"
        );
        let globs: String = (0..GLOB_LIMIT).map(|i| format!("net.g{i}.* = 1\n")).collect();
        let files = [("/etc/sysctl.d/10-globs.conf", globs.as_str())];
        let (_d, fs) = tree(&[&SYSTEMD[..], &files[..]].concat());
        assert_eq!(collect(&fs, &offline(), None).unwrap().globs.len(), GLOB_LIMIT);
    }

    /// Parsing costs linear time in the file, whatever its lines look like.
    #[test]
    fn parsing_is_linear() {
        crate::testing::assert_linear("sysctl.d parse", 4 << 20, |n| {
            let mut text = String::with_capacity(n + 64);
            let mut i = 0;
            while text.len() < n {
                text.push_str(&format!("net.k{i} = {}\n-x.y{i}\n", "v ".repeat(i % 50)));
                i += 1;
            }
            text.push_str(&"z".repeat(n));
            assert!(parse(&text).len() >= i);
        });
    }

    #[test]
    fn systemd_reads_sysctl_conf_only_through_a_sysctl_d_link() {
        let files = [
            ("/etc/sysctl.d/60-forward.conf", "net.ipv4.ip_forward = 1\n"),
            ("/etc/sysctl.conf", "net.ipv4.ip_forward = 0\n"),
        ];
        let (_d, fs) = tree(&[&SYSTEMD[..], &files[..]].concat());
        let s = collect(&fs, &offline(), None).unwrap();
        assert_eq!(s.applied_by.program, Program::SystemdSysctl);
        assert_eq!(s.applied_by.evidence.path.as_deref(), Some("/sbin/init"));
        assert_eq!(s.files, ["/etc/sysctl.d/60-forward.conf"]);
        assert_eq!(
            persisted(&s, "net.ipv4.ip_forward"),
            Some(("1".into(), "/etc/sysctl.d/60-forward.conf:1".into()))
        );

        let link = [("/etc/sysctl.d/99-sysctl.conf", "-> ../sysctl.conf")];
        let (_d, fs) = tree(&[&SYSTEMD[..], &files[..], &link[..]].concat());
        let s = collect(&fs, &offline(), None).unwrap();
        assert_eq!(
            persisted(&s, "net.ipv4.ip_forward"),
            Some(("0".into(), "/etc/sysctl.d/99-sysctl.conf:1".into()))
        );
    }

    #[test]
    fn dev_null_links_and_empty_files_mask_and_dot_files_are_not_read() {
        let files = [
            ("/usr/lib/sysctl.d/10-a.conf", "kernel.sysrq = 1\n"),
            ("/etc/sysctl.d/10-a.conf", "-> /dev/null"),
            ("/usr/lib/sysctl.d/20-b.conf", "vm.swappiness = 5\n"),
            ("/run/sysctl.d/20-b.conf", ""),
            ("/etc/sysctl.d/.30-c.conf", "fs.suid_dumpable = 2\n"),
            ("/usr/local/lib/sysctl.d/40-d.conf", "kernel.dmesg_restrict = 1\n"),
            ("/etc/sysctl.d/40-d.conf.dpkg-old", "kernel.dmesg_restrict = 0\n"),
            ("/etc/sysctl.d/sub/40-d.conf", "kernel.dmesg_restrict = 0\n"),
        ];
        let (_d, fs) = tree(&[&SYSTEMD[..], &files[..]].concat());
        let s = collect(&fs, &live(), None).unwrap();
        assert_eq!(
            s.files,
            [
                "/etc/sysctl.d/10-a.conf",
                "/run/sysctl.d/20-b.conf",
                "/usr/local/lib/sysctl.d/40-d.conf"
            ]
        );
        assert_eq!(s.masks, ["/etc/sysctl.d/10-a.conf", "/run/sysctl.d/20-b.conf"]);
        assert_eq!(
            s.overridden,
            [
                Overridden {
                    path: "/usr/lib/sysctl.d/10-a.conf".into(),
                    by: "/etc/sysctl.d/10-a.conf".into()
                },
                Overridden {
                    path: "/usr/lib/sysctl.d/20-b.conf".into(),
                    by: "/run/sysctl.d/20-b.conf".into()
                },
            ]
        );
        assert_eq!(persisted(&s, "kernel.sysrq"), None);
        assert_eq!(persisted(&s, "vm.swappiness"), None);
        assert_eq!(persisted(&s, "fs.suid_dumpable"), None);
        assert_eq!(persisted(&s, "kernel.dmesg_restrict").unwrap().0, "1");
    }

    #[test]
    fn an_images_own_run_sysctl_d_is_not_applied_at_boot() {
        let files = [
            ("/etc/sysctl.d/10-forward.conf", "net.ipv4.ip_forward = 1\n"),
            ("/run/sysctl.d/60-cis.conf", "net.ipv4.ip_forward = 0\n"),
            ("/usr/lib/sysctl.d/50-pid.conf", "kernel.pid_max = 4194304\n"),
            ("/run/sysctl.d/50-pid.conf", ""),
        ];
        let (_d, fs) = tree(&[&SYSTEMD[..], &files[..]].concat());
        let s = collect(&fs, &offline(), None).unwrap();
        assert_eq!(persisted(&s, "net.ipv4.ip_forward").unwrap().0, "1");
        assert_eq!(persisted(&s, "kernel.pid_max").unwrap().0, "4194304");
        assert_eq!(
            s.not_at_boot,
            ["/run/sysctl.d/50-pid.conf", "/run/sysctl.d/60-cis.conf"]
        );
        // On the running system they are what systemd-sysctl applied at this boot.
        let s = collect(&fs, &live(), None).unwrap();
        assert_eq!(persisted(&s, "net.ipv4.ip_forward").unwrap().0, "0");
        assert_eq!(persisted(&s, "kernel.pid_max"), None);
        assert!(s.not_at_boot.is_empty());
    }

    #[test]
    fn masked_systemd_sysctl_service_applies_nothing() {
        let files = [
            ("/etc/systemd/system/systemd-sysctl.service", "-> /dev/null"),
            ("/etc/sysctl.d/60-cis.conf", "net.ipv4.ip_forward = 0\n"),
        ];
        let (_d, fs) = tree(&[&SYSTEMD[..], &files[..]].concat());
        let s = collect(&fs, &offline(), None).unwrap();
        assert_eq!(s.applied_by.program, Program::None);
        assert!(s.files.is_empty());
        assert_eq!(persisted(&s, "net.ipv4.ip_forward"), None);
    }

    #[test]
    fn alpine_applies_directory_by_directory_and_dev_null_masks_nothing() {
        let (_d, fs) = tree(&[
            ("/sbin/init", "-> /bin/busybox"),
            ("/etc/runlevels/boot/sysctl", "-> /etc/init.d/sysctl"),
            // /lib before /etc whatever the names.
            ("/lib/sysctl.d/99-a.conf", "kernel.sysrq = 1\n"),
            ("/etc/sysctl.d/10-b.conf", "kernel.sysrq = 0\n"),
            // `[ -f ]` is false for a /dev/null link: the vendor file is still applied.
            ("/usr/lib/sysctl.d/50-c.conf", "vm.swappiness = 5\n"),
            ("/etc/sysctl.d/50-c.conf", "-> /dev/null"),
            // A regular file in /etc hides the vendor file of the same name.
            ("/lib/sysctl.d/60-d.conf", "kernel.dmesg_restrict = 0\n"),
            ("/etc/sysctl.d/60-d.conf", "kernel.dmesg_restrict = 1\n"),
            // Not read at all.
            ("/usr/local/lib/sysctl.d/70-e.conf", "kernel.kptr_restrict = 1\n"),
            // /etc/sysctl.conf after /etc/sysctl.d, /run/sysctl.d last.
            ("/etc/sysctl.d/80-f.conf", "fs.suid_dumpable = 1\n"),
            ("/etc/sysctl.conf", "fs.suid_dumpable = 0\nnet.ipv4.ip_forward = 0\n"),
            ("/run/sysctl.d/00-g.conf", "net.ipv4.ip_forward = 1\n"),
        ]);
        let s = collect(&fs, &live(), Some(&alpine())).unwrap();
        assert_eq!(s.applied_by.program, Program::OpenrcAlpine);
        assert_eq!(
            s.files,
            [
                "/lib/sysctl.d/99-a.conf",
                "/usr/lib/sysctl.d/50-c.conf",
                "/etc/sysctl.d/10-b.conf",
                "/etc/sysctl.d/60-d.conf",
                "/etc/sysctl.d/80-f.conf",
                "/etc/sysctl.conf",
                "/run/sysctl.d/00-g.conf",
            ]
        );
        assert_eq!(persisted(&s, "kernel.sysrq").unwrap().0, "0");
        assert_eq!(persisted(&s, "vm.swappiness").unwrap().0, "5");
        assert_eq!(persisted(&s, "kernel.dmesg_restrict").unwrap().0, "1");
        assert_eq!(persisted(&s, "kernel.kptr_restrict"), None);
        assert_eq!(persisted(&s, "fs.suid_dumpable").unwrap().1, "/etc/sysctl.conf:1");
        assert_eq!(
            persisted(&s, "net.ipv4.ip_forward").unwrap().1,
            "/run/sysctl.d/00-g.conf:1"
        );
    }

    #[test]
    fn openrc_sysctl_service_in_no_runlevel_applies_nothing() {
        let (_d, fs) = tree(&[
            ("/sbin/init", "-> /bin/busybox"),
            ("/etc/runlevels/default/", ""),
            ("/etc/runlevels/shutdown/sysctl", "-> /etc/init.d/sysctl"),
            ("/etc/sysctl.d/60-cis.conf", "net.ipv4.ip_forward = 0\n"),
        ]);
        let s = collect(&fs, &offline(), Some(&alpine())).unwrap();
        assert_eq!(s.applied_by.program, Program::None);
        assert_eq!(persisted(&s, "net.ipv4.ip_forward"), None);
    }

    #[test]
    fn upstream_openrc_runs_sysctl_system_with_sysctl_conf_last() {
        let (_d, fs) = tree(&[
            ("/sbin/openrc", ""),
            ("/etc/runlevels/boot/sysctl", "-> /etc/init.d/sysctl"),
            ("/etc/sysctl.d/60-forward.conf", "net.ipv4.ip_forward = 1\n"),
            ("/etc/sysctl.d/.10-hidden.conf", "kernel.sysrq = 0\n"),
            ("/etc/sysctl.conf", "net.ipv4.ip_forward = 0\n"),
        ]);
        let s = collect(&fs, &offline(), None).unwrap();
        assert_eq!(s.applied_by.program, Program::SysctlSystem);
        assert_eq!(persisted(&s, "net.ipv4.ip_forward").unwrap().1, "/etc/sysctl.conf:1");
        // procps lists dot files; systemd and the shell's `*.conf` do not.
        assert_eq!(persisted(&s, "kernel.sysrq").unwrap().0, "0");
    }

    #[test]
    fn unknown_init_is_an_error_only_where_the_candidates_disagree() {
        let (_d, fs) = tree(&[
            (
                "/etc/sysctl.d/60-forward.conf",
                "net.ipv4.ip_forward = 1\nkernel.sysrq = 0\n",
            ),
            ("/etc/sysctl.conf", "net.ipv4.ip_forward = 0\n"),
        ]);
        let s = collect(&fs, &offline(), None).unwrap();
        assert_eq!(s.applied_by.program, Program::Unknown);
        assert_eq!(persisted(&s, "kernel.sysrq").unwrap().0, "0");
        match &s.keys["net.ipv4.ip_forward"].persisted {
            Collected::Unavailable { unavailable } => {
                assert_eq!(unavailable.status, super::super::Missing::Error);
                assert!(
                    unavailable
                        .reason
                        .contains("systemd-sysctl would set 1 (/etc/sysctl.d/60-forward.conf:1)")
                        && unavailable
                            .reason
                            .contains("`sysctl --system` would set 0 (/etc/sysctl.conf:1)"),
                    "{}",
                    unavailable.reason
                );
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn slash_first_separator_swaps_dots_and_slashes() {
        assert_eq!(
            normalize_key("net/ipv4/conf/enp3s0.200/forwarding"),
            "net.ipv4.conf.enp3s0/200.forwarding"
        );
        assert_eq!(
            normalize_key("net.ipv4.conf.enp3s0/200.forwarding"),
            "net.ipv4.conf.enp3s0/200.forwarding"
        );
        // systemd's sysctl_normalize simplifies the path, and a leading slash decides the
        // separator before it is dropped.
        assert_eq!(normalize_key("net.ipv4..ip_forward"), "net.ipv4.ip_forward");
        assert_eq!(normalize_key("net/ipv4//ip_forward/"), "net.ipv4.ip_forward");
        assert_eq!(normalize_key("/net.ipv4.ip_forward"), "net/ipv4/ip_forward");
        assert_eq!(normalize_key("/net/ipv4/ip_forward"), "net.ipv4.ip_forward");
        assert_eq!(
            proc_path("net.ipv4.conf.enp3s0/200.forwarding"),
            "/proc/sys/net/ipv4/conf/enp3s0.200/forwarding"
        );
    }

    #[test]
    fn comments_dash_prefix_and_whitespace_around_equals() {
        let lines = parse(
            "# c\n; c\n  kernel.sysrq   =   176  \n-net.ipv4.conf.all.rp_filter\n-vm.swappiness=10\nnonsense\nnet.ipv4.tcp_rmem = 4096\t87380   6291456\n",
        );
        assert_eq!(
            lines,
            vec![
                Line::Assign {
                    key: "kernel.sysrq".into(),
                    value: "176".into(),
                    line: 3
                },
                Line::Exclude {
                    key: "net.ipv4.conf.all.rp_filter".into(),
                    line: 4
                },
                Line::Assign {
                    key: "vm.swappiness".into(),
                    value: "10".into(),
                    line: 5
                },
                Line::Assign {
                    key: "net.ipv4.tcp_rmem".into(),
                    value: "4096 87380 6291456".into(),
                    line: 7
                },
            ]
        );
    }

    #[test]
    fn later_assignment_wins_and_keeps_what_it_shadowed() {
        let mut p = Persisted::default();
        p.apply("/usr/lib/sysctl.d/50-default.conf", parse("kernel.sysrq = 16\n"));
        p.apply("/etc/sysctl.d/99-local.conf", parse("kernel.sysrq = 0\n"));
        let f = p.value_of("kernel.sysrq").unwrap();
        assert_eq!(f.value, "0");
        assert_eq!(f.source, Source::at("/etc/sysctl.d/99-local.conf", 1));
        assert_eq!(f.shadowed[0].value, "16");
    }

    #[test]
    fn shadowed_evidence_keeps_the_most_recent_assignments() {
        let text: String = (0..1000).map(|i| format!("kernel.sysrq = {i}\n")).collect();
        let mut p = Persisted::default();
        p.apply("/etc/sysctl.d/10-many.conf", parse(&text));
        let f = p.value_of("kernel.sysrq").unwrap();
        assert_eq!(f.value, "999");
        assert_eq!(f.shadowed.len(), SHADOWED_LIMIT);
        assert_eq!(f.shadowed[SHADOWED_LIMIT - 1].value, "998");
        assert_eq!(f.shadowed[0].source, Source::at("/etc/sysctl.d/10-many.conf", 984));
    }

    #[test]
    fn explicit_assignment_beats_glob_regardless_of_order_and_exclusion_blocks_glob() {
        // systemd's 50-default.conf.
        let mut p = Persisted::default();
        p.apply(
            "/usr/lib/sysctl.d/50-default.conf",
            parse("net.ipv4.conf.default.rp_filter = 2\nnet.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\n"),
        );
        p.apply(
            "/etc/sysctl.d/10-early.conf",
            parse("net.ipv4.conf.default.rp_filter = 1\n"),
        );
        assert_eq!(p.value_of("net.ipv4.conf.eth0.rp_filter").unwrap().value, "2");
        assert!(p.value_of("net.ipv4.conf.all.rp_filter").is_none());
        assert_eq!(p.value_of("net.ipv4.conf.default.rp_filter").unwrap().value, "1");
    }

    #[test]
    fn hex_and_octal_integers_compare_as_the_kernel_parses_them() {
        assert_eq!(normalize_value("0x01b6"), "438");
        assert_eq!(normalize_value("010"), "8");
        assert_eq!(normalize_value(" 4096\t87380  0x10 "), "4096 87380 16");
        assert_eq!(
            normalize_value("|/usr/lib/systemd/systemd-coredump %P"),
            "|/usr/lib/systemd/systemd-coredump %P"
        );
        assert_eq!(normalize_value("0"), "0");
    }

    #[test]
    fn glob_star_does_not_cross_separators() {
        assert!(glob_matches("net.ipv4.conf.*.rp_filter", "net.ipv4.conf.all.rp_filter"));
        assert!(!glob_matches("net.ipv4.*.rp_filter", "net.ipv4.conf.all.rp_filter"));
        assert!(!glob_matches("net.*", "net.ipv4.ip_forward"));
    }
}
