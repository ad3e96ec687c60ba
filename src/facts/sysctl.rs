//! Kernel parameters: the values persisted in sysctl.d files and, on a live system, the values the
//! running kernel has in /proc/sys.
//!
//! Persisted values follow sysctl.d(5) as systemd-sysctl applies them, plus /etc/sysctl.conf last as
//! procps `sysctl --system` does (unless a sysctl.d link such as 99-sysctl.conf already names it):
//! - directories, most important first: /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d,
//!   /usr/lib/sysctl.d, /lib/sysctl.d; only `*.conf` files; a file name in an earlier directory
//!   shadows the same name in later ones (that is how /etc masks a vendor file);
//! - the surviving files are applied in lexical order of their *file name* (whatever directory
//!   they are in), each line in order: a later assignment to a key wins;
//! - `key = value` with whitespace around `=` ignored; lines starting with `#` or `;` are comments;
//! - a key may use `/` as separator: when the first separator is `/`, `/` and `.` are swapped
//!   (`net/ipv4/conf/eth0.100/rp_filter` is `net.ipv4.conf.eth0/100.rp_filter`);
//! - a leading `-` means "ignore failure" and is dropped from the key; `-key` without `=` excludes
//!   the key from glob assignments;
//! - a key with glob characters (`net.ipv4.conf.*.rp_filter`) applies to every matching key, except
//!   keys that have an explicit assignment or exclusion (systemd's sysctl.c: "explicit setting
//!   exists"), whatever the order. systemd expands globs against /proc/sys; offline there is no
//!   /proc/sys to enumerate, so a glob is applied to the keys imagegate knows (those set
//!   explicitly in some file plus [`WELL_KNOWN`]) and is recorded in `globs` as evidence.
//!
//! Runtime values are read from /proc/sys only when the root is the running system
//! (`Context::live`); offline they are not-applicable. They are read for every persisted key plus
//! [`WELL_KNOWN`] (the security keys the shipped rules and CIS benchmarks look at) and, when live,
//! every key a glob expands to. Values are normalised by collapsing whitespace, so a multi-value
//! key such as `net.ipv4.tcp_rmem` compares equal whether tabs or spaces separate its fields.
//!
//! Deliberately ignored: the kernel's compiled-in defaults for keys no file sets (they depend on the
//! kernel build; `persisted` is then null), and `sysctl -p FILE` invocations from scripts.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Collected, Context, Fact, FactError, Shadowed, Source};
use crate::rootfs::{RootFs, fnmatch};

/// sysctl.d directories, in precedence order (sysctl.d(5)).
pub const DIRS: [&str; 5] = [
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
];

/// The legacy file procps applies after every sysctl.d file.
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
const FILE_LIMIT: u64 = 1 << 20;
/// Largest /proc/sys value read (a page is what the kernel hands out per read).
const PROC_LIMIT: u64 = 64 << 10;

/// Kernel parameters, persisted and runtime.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Sysctl {
    /// Every key imagegate knows, by dotted name.
    pub keys: BTreeMap<String, SysctlKey>,
    /// Glob assignments, in the order applied (offline they were applied to known keys only).
    pub globs: Vec<GlobAssignment>,
    /// The files applied, in order.
    pub files: Vec<String>,
    /// Keys whose runtime value differs from the persisted one (live only).
    pub disagreements: Collected<Vec<Disagreement>>,
}

/// One kernel parameter.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SysctlKey {
    /// The value the sysctl.d files set (null when none sets it), with what it shadowed.
    pub persisted: Option<Fact<String>>,
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

/// Normalises a key per sysctl.d(5): when the first separator is `/`, swap `/` and `.`.
pub fn normalize_key(key: &str) -> String {
    let key = key.trim().trim_start_matches('/');
    match key.find(['.', '/']) {
        Some(i) if key.as_bytes().get(i) == Some(&b'/') => key
            .chars()
            .map(|c| match c {
                '/' => '.',
                '.' => '/',
                c => c,
            })
            .collect(),
        _ => key.to_owned(),
    }
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

/// The files sysctl.d(5) applies, in application order: `(file name, in-image path)`.
pub fn config_files(fs: &RootFs) -> Result<Vec<String>, FactError> {
    let mut by_name: BTreeMap<String, String> = BTreeMap::new();
    for dir in DIRS {
        let Some(entries) = fs.read_dir(dir)? else { continue };
        for e in entries {
            if !e.name.ends_with(".conf") {
                continue;
            }
            // The first directory that has a name wins; later ones are shadowed.
            by_name.entry(e.name.clone()).or_insert(e.path);
        }
    }
    let mut files: Vec<String> = by_name.into_values().collect();
    // Debian and the RHEL family link /etc/sysctl.d/99-sysctl.conf to ../sysctl.conf, which
    // systemd-sysctl reads in its place; procps reads /etc/sysctl.conf again at the end. Applying it
    // twice changes nothing but would list every setting in it as shadowed by itself.
    let mut linked = false;
    for f in &files {
        if let Some(t) = fs.read_link(f)? {
            linked |= t == SYSCTL_CONF || t == "../sysctl.conf" || t == "../../etc/sysctl.conf";
        }
    }
    if !linked && fs.metadata(SYSCTL_CONF)?.is_some() {
        files.push(SYSCTL_CONF.to_owned());
    }
    Ok(files)
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
                            f.shadowed.push(Shadowed {
                                value: old,
                                source: old_src,
                            });
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
                    shadowed.push(Shadowed {
                        value: prev.value,
                        source: prev.source,
                    });
                    Fact { shadowed, ..new }
                }
            });
        }
        out
    }
}

/// The /proc/sys path of a dotted key (the inverse swap of [`normalize_key`]).
pub fn proc_path(key: &str) -> String {
    let swapped: String = key
        .chars()
        .map(|c| match c {
            '.' => '/',
            '/' => '.',
            c => c,
        })
        .collect();
    format!("/proc/sys/{swapped}")
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
        Err(e) => Collected::error(e.to_string()),
    }
}

/// Collects persisted and (when live) runtime kernel parameters.
pub fn collect(fs: &RootFs, ctx: &Context) -> Result<Sysctl, FactError> {
    let files = config_files(fs)?;
    let mut persisted = Persisted::default();
    for path in &files {
        let Some(text) = fs.read_text_limited(path, FILE_LIMIT)? else {
            continue;
        };
        persisted.apply(path, parse(&text));
    }

    let mut names: BTreeSet<String> = persisted.explicit.keys().cloned().collect();
    names.extend(WELL_KNOWN.iter().map(|s| (*s).to_owned()));
    if ctx.live {
        // Live, a glob is expanded the way systemd-sysctl expands it: against /proc/sys.
        for g in &persisted.globs {
            for p in fs.glob(&proc_path(&g.pattern))? {
                names.insert(key_of_proc_path(&p));
            }
        }
    }

    let mut keys = BTreeMap::new();
    let mut disagreements = Vec::new();
    for name in names {
        let persisted_value = persisted.value_of(&name);
        let runtime = if ctx.live {
            read_runtime(fs, &name)
        } else {
            Collected::not_applicable("runtime value exists only on a running system")
        };
        if let (Some(p), Collected::Ok(r)) = (&persisted_value, &runtime)
            && p.value != r.value
        {
            disagreements.push(Disagreement {
                key: name.clone(),
                runtime: r.value.clone(),
                persisted: p.value.clone(),
                source: p.source.clone(),
            });
        }
        keys.insert(
            name,
            SysctlKey {
                persisted: persisted_value,
                runtime,
            },
        );
    }
    let disagreements = if ctx.live {
        Collected::Ok(disagreements)
    } else {
        Collected::not_applicable("runtime values exist only on a running system")
    };
    Ok(Sysctl {
        keys,
        globs: persisted.globs,
        files,
        disagreements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
