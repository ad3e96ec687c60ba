//! Filesystem hardening: kernel modules disabled in modprobe.d and loaded in /proc/modules, mount
//! options of /tmp, /dev/shm, /var/tmp, the other CIS partitions and /boot, /opt, /srv, /usr,
//! automounting, and the filesystem walk ([`walk`]).
//!
//! modprobe.d(5) semantics: `*.conf` files in /etc/modprobe.d, /run/modprobe.d,
//! /usr/local/lib/modprobe.d, /usr/lib/modprobe.d and /lib/modprobe.d, a file in an earlier
//! directory shadowing a same-named file in a later one, then all read in file-name order; a line
//! ending in `\` continues; `-` and `_` in module names are the same (kmod normalises both to
//! `_`); for `install` the *first* matching command wins (libkmod stops at the first, as
//! module-init-tools did). A module is `disabled` when that command is `/bin/false` or
//! `/bin/true` (any path ending in `false`/`true`: CIS accepts both).
//!
//! Mount options: fstab(5) (octal escapes in the mount point, `defaults`, later flags overriding
//! earlier ones, `user`/`users` implying `noexec,nosuid,nodev` per mount(8)), systemd.mount(5)
//! units (`Options=` in `[Mount]`; a unit in /etc/systemd/system overrides the fstab generator's
//! output, a vendor unit in /usr/lib/systemd/system counts only when enabled), and systemd's
//! built-in /dev/shm mount (`nosuid,nodev`, from mount-setup.c) when nothing configures it.
//! /proc/mounts is read only on a live system (the last entry for a mount point is the one on
//! top).
//!
//! Deliberately ignored: modprobe `softdep`/`options`/`alias` (they cannot re-enable a disabled
//! module), the kernel command line's `modprobe.blacklist=`, /etc/modprobe.conf (kmod does not read
//! it), swap and bind mounts.
pub mod walk;

use std::collections::BTreeMap;

use serde::Serialize;

use super::files::systemd_unit_enabled;
use super::{Collected, Context, Fact, FactError, Source};
use crate::rootfs::RootFs;

/// modprobe.d directories in precedence order (modprobe.d(5)).
pub const MODPROBE_DIRS: [&str; 5] = [
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/usr/lib/modprobe.d",
    "/lib/modprobe.d",
];

/// Modules always reported, configured or not: CIS's unused filesystems and USB storage, the
/// uncommon network protocols, and the peripheral buses and radios a server never uses
/// (Bluetooth, FireWire, wireless, webcams, ATM, CAN).
pub const TRACKED_MODULES: &[&str] = &[
    "cramfs",
    "freevxfs",
    "hfs",
    "hfsplus",
    "jffs2",
    "squashfs",
    "udf",
    "usb_storage",
    "vfat",
    "dccp",
    "sctp",
    "rds",
    "tipc",
    "atm",
    "bluetooth",
    "can",
    "cfg80211",
    "firewire_core",
    "iwlmvm",
    "iwlwifi",
    "mac80211",
    "uvcvideo",
];

/// Mount points reported: the CIS separate-partition list, then the other partitions
/// ComplianceAsCode's STIG and ANSSI rules name (/boot, /boot/efi, /opt, /srv, /usr).
pub const MOUNT_POINTS: &[&str] = &[
    "/tmp",
    "/dev/shm",
    "/var",
    "/var/tmp",
    "/var/log",
    "/var/log/audit",
    "/home",
    "/boot",
    "/boot/efi",
    "/opt",
    "/srv",
    "/usr",
];

/// What modprobe would do with one module.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Module {
    /// The `install` command in force, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install: Option<Fact<String>>,
    /// The install command is `/bin/false` or `/bin/true`: `modprobe <name>` loads nothing.
    pub disabled: Fact<bool>,
    /// A `blacklist <name>` line exists (stops alias-based autoloading only).
    pub blacklisted: Fact<bool>,
    /// Loaded now (/proc/modules); not-applicable offline.
    pub loaded: Collected<Fact<bool>>,
}

/// One mount point.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MountPoint {
    /// A separate filesystem is configured for it (fstab line, mount unit, or built in).
    pub configured: Fact<bool>,
    /// Filesystem type of the configured mount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fstype: Option<String>,
    /// Effective options of the configured mount (see the module docs for the normalisation).
    pub options: Fact<Vec<String>>,
    /// Options of what is mounted there now (/proc/mounts); null when nothing is;
    /// not-applicable offline.
    pub mounted_options: Collected<Option<Fact<Vec<String>>>>,
}

/// Filesystem hardening: kernel filesystem modules, mount options, the filesystem walk.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Filesystem {
    /// Kernel modules by normalised name (`usb_storage`): the tracked ones and every module named
    /// in modprobe.d.
    pub modules: BTreeMap<String, Module>,
    /// Mount points by path (`filesystem.mounts["/tmp"]`).
    pub mounts: BTreeMap<String, MountPoint>,
    /// The autofs service is enabled.
    pub autofs_enabled: Fact<bool>,
    /// The whole-tree walk (an error when it could not finish).
    pub walk: Collected<walk::WalkReport>,
}

/// One modprobe.d directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// `install`, `blacklist`, …
    pub keyword: String,
    /// Normalised module name.
    pub module: String,
    /// The rest of the line (the command for `install`).
    pub rest: String,
    /// 1-based line where the directive starts.
    pub line: u32,
}

/// kmod's module name normalisation: `-` becomes `_`.
pub fn normalize_module(name: &str) -> String {
    name.replace('-', "_")
}

/// Parses one modprobe.d file: comments, `\` continuations, directive keyword and module name.
pub fn parse_modprobe(text: &str) -> Vec<Directive> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut start = 0u32;
    for (i, raw) in text.lines().enumerate() {
        let n = i as u32 + 1;
        if buf.is_empty() {
            start = n;
        }
        if let Some(cont) = raw.strip_suffix('\\') {
            buf.push_str(cont);
            buf.push(' ');
            continue;
        }
        buf.push_str(raw);
        let line = std::mem::take(&mut buf);
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut words = t.split_whitespace();
        let (Some(kw), Some(module)) = (words.next(), words.next()) else {
            continue;
        };
        let rest = words.collect::<Vec<_>>().join(" ");
        out.push(Directive {
            keyword: kw.to_owned(),
            module: normalize_module(module),
            rest,
            line: start,
        });
    }
    out
}

/// True for an install command that loads nothing: `/bin/false`, `/bin/true` (any directory),
/// alone. modprobe hands the command to `/bin/sh -c`, so anything the shell could run after or
/// instead of it (`/bin/false || modprobe --ignore-install cramfs`, `;`, `&&`, `|`, `&`, a
/// substitution, a redirection, a second line) may load the module after all: not disabling.
pub fn is_disabling_command(cmd: &str) -> bool {
    if cmd.contains([';', '&', '|', '`', '$', '(', ')', '<', '>', '\n']) {
        return false;
    }
    let first = cmd.split_whitespace().next().unwrap_or("");
    let base = first.rsplit('/').next().unwrap_or(first);
    base == "false" || base == "true"
}

/// The `*.conf` files of a set of directories with same-name shadowing (earlier directory wins),
/// in file-name order (by bytes, as systemd and kmod sort). Shared with the other `*.d` readers
/// of the CIS collectors.
pub fn dropin_files(fs: &RootFs, dirs: &[&str], suffix: &str) -> Result<Vec<String>, FactError> {
    let mut by_name: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    for d in dirs {
        let Some(entries) = (match fs.read_dir(d) {
            Err(crate::rootfs::RootFsError::WrongKind { .. }) => None,
            r => r?,
        }) else {
            continue;
        };
        for e in entries {
            if e.name.ends_with(suffix) && !e.name.starts_with('.') {
                by_name
                    .entry(crate::names::bytes(&e.name).into_owned())
                    .or_insert(e.path);
            }
        }
    }
    Ok(by_name.into_values().collect())
}

fn collect_modules(fs: &RootFs, ctx: &Context) -> Result<BTreeMap<String, Module>, FactError> {
    let mut install: BTreeMap<String, Fact<String>> = BTreeMap::new();
    let mut blacklist: BTreeMap<String, Source> = BTreeMap::new();
    for path in dropin_files(fs, &MODPROBE_DIRS, ".conf")? {
        let Some(text) = fs.read_text(&path)? else { continue };
        for d in parse_modprobe(&text) {
            match d.keyword.as_str() {
                "install" => {
                    install
                        .entry(d.module)
                        .or_insert_with(|| Fact::new(d.rest, Source::at(&path, d.line)));
                }
                "blacklist" => {
                    blacklist.entry(d.module).or_insert_with(|| Source::at(&path, d.line));
                }
                _ => {}
            }
        }
    }
    let loaded: Collected<BTreeMap<String, u32>> = if ctx.live {
        match fs.read_text("/proc/modules") {
            Ok(Some(t)) => Collected::Ok(
                t.lines()
                    .enumerate()
                    .filter_map(|(i, l)| l.split_whitespace().next().map(|m| (normalize_module(m), i as u32 + 1)))
                    .collect(),
            ),
            // No /proc/modules on a live system: a kernel without module support loads none.
            Ok(None) => Collected::Ok(BTreeMap::new()),
            Err(e) => Collected::unreadable(&e),
        }
    } else {
        Collected::not_applicable("loaded modules are known only on a live system")
    };
    let mut names: Vec<String> = TRACKED_MODULES.iter().map(|s| (*s).to_owned()).collect();
    names.extend(install.keys().cloned());
    names.extend(blacklist.keys().cloned());
    names.sort();
    names.dedup();
    let mut out = BTreeMap::new();
    for name in names {
        let inst = install.get(&name).cloned();
        let disabled = match &inst {
            Some(f) => Fact::new(is_disabling_command(&f.value), f.source.clone()),
            None => Fact::new(false, Source::note("no install command in modprobe.d")),
        };
        let blacklisted = match blacklist.get(&name) {
            Some(s) => Fact::new(true, s.clone()),
            None => Fact::new(false, Source::note("no blacklist line in modprobe.d")),
        };
        let loaded = match &loaded {
            Collected::Ok(m) => Collected::Ok(match m.get(&name) {
                Some(l) => Fact::new(true, Source::at("/proc/modules", *l)),
                None => Fact::new(false, Source::file("/proc/modules")),
            }),
            Collected::Unavailable { unavailable } => Collected::Unavailable {
                unavailable: unavailable.clone(),
            },
        };
        out.insert(
            name,
            Module {
                install: inst,
                disabled,
                blacklisted,
                loaded,
            },
        );
    }
    Ok(out)
}

/// Decodes fstab's octal escapes (`\040` is a space).
fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    crate::names::text_owned(out)
}

/// Effective options of a comma-separated option string, per mount(8): `defaults` expands to
/// nothing restrictive; a later `dev`/`suid`/`exec` cancels an earlier `nodev`/`nosuid`/`noexec`
/// and vice versa; `user`/`users` imply `noexec,nosuid,nodev` unless overridden afterwards. The
/// result keeps the other options in order and the three flags as they end up.
pub fn effective_options(opts: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let set = |out: &mut Vec<String>, flag: &str, on: bool| {
        let neg = flag.trim_start_matches("no");
        out.retain(|o| o != flag && o != neg);
        out.push(if on { flag.to_owned() } else { neg.to_owned() });
    };
    for o in opts.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        match o {
            "nodev" | "nosuid" | "noexec" => set(&mut out, o, true),
            "dev" | "suid" | "exec" => set(&mut out, &format!("no{o}"), false),
            "user" | "users" => {
                out.push(o.to_owned());
                for f in ["noexec", "nosuid", "nodev"] {
                    set(&mut out, f, true);
                }
            }
            other => {
                if !out.iter().any(|x| x == other) {
                    out.push(other.to_owned());
                }
            }
        }
    }
    // Positive flags are the default: keep only the restrictive ones in the list.
    out.retain(|o| !matches!(o.as_str(), "dev" | "suid" | "exec"));
    out
}

/// One fstab(5) entry: (mount point, type, options, line).
pub fn parse_fstab(text: &str) -> Vec<(String, String, String, u32)> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = t.split_whitespace().collect();
        if f.len() < 3 {
            continue;
        }
        let opts = f.get(3).copied().unwrap_or("defaults");
        let mp = unescape_octal(f[1]);
        let mp = if mp.len() > 1 {
            mp.trim_end_matches('/').to_owned()
        } else {
            mp
        };
        out.push((mp, f[2].to_owned(), opts.to_owned(), i as u32 + 1));
    }
    out
}

/// systemd-escape --path: `/var/tmp` → `var-tmp` (only the characters CIS mount points use).
fn unit_name(mp: &str) -> String {
    let t = mp.trim_matches('/');
    if t.is_empty() {
        return "-.mount".into();
    }
    format!("{}.mount", t.replace('-', "\\x2d").replace('/', "-"))
}

/// `[Mount]` `Type=`, `Options=` (and their lines) from a mount unit; the last assignment wins.
pub fn parse_mount_unit(text: &str) -> (Option<String>, Option<(String, u32)>) {
    let mut section = String::new();
    let (mut ty, mut opts) = (None, None);
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('#') || t.starts_with(';') || t.is_empty() {
            continue;
        }
        if t.starts_with('[') {
            section = t.to_owned();
            continue;
        }
        if section != "[Mount]" {
            continue;
        }
        if let Some((k, v)) = t.split_once('=') {
            match k.trim() {
                "Type" => ty = Some(v.trim().to_owned()),
                "Options" => opts = Some((v.trim().to_owned(), i as u32 + 1)),
                _ => {}
            }
        }
    }
    (ty, opts)
}

fn collect_mounts(fs: &RootFs, ctx: &Context) -> Result<BTreeMap<String, MountPoint>, FactError> {
    let fstab = fs.read_text("/etc/fstab")?.map(|t| parse_fstab(&t)).unwrap_or_default();
    let systemd = fs.metadata("/usr/lib/systemd/systemd")?.is_some() || fs.metadata("/lib/systemd/systemd")?.is_some();
    let runtime: Collected<Vec<(String, String, u32)>> = if ctx.live {
        match fs.read_text("/proc/mounts") {
            Ok(Some(t)) => Collected::Ok(
                t.lines()
                    .enumerate()
                    .filter_map(|(i, l)| {
                        let f: Vec<&str> = l.split_whitespace().collect();
                        Some((unescape_octal(f.get(1)?), (*f.get(3)?).to_owned(), i as u32 + 1))
                    })
                    .collect(),
            ),
            Ok(None) => Collected::error("cannot read /proc/mounts: absent on a live system"),
            Err(e) => Collected::unreadable(&e),
        }
    } else {
        Collected::not_applicable("current mounts are known only on a live system")
    };
    let mut out = BTreeMap::new();
    for mp in MOUNT_POINTS {
        let unit = unit_name(mp);
        let mut found: Option<(Option<String>, String, Source)> = None;
        // 1. An administrator's unit in /etc/systemd/system overrides the fstab generator.
        let admin = format!("/etc/systemd/system/{unit}");
        if fs.read_link(&admin)?.as_deref() != Some("/dev/null")
            && let Some(text) = fs.read_text(&admin)?
            && systemd_unit_enabled(fs, &unit)?.is_some()
        {
            let (ty, o) = parse_mount_unit(&text);
            let (o, line) = o.unwrap_or_default();
            found = Some((ty, o, Source::at(&admin, line)));
        }
        // 2. fstab (the last line for a mount point is the one mounted on top).
        if found.is_none()
            && let Some((_, ty, o, line)) = fstab.iter().rev().find(|e| e.0 == *mp)
        {
            found = Some((Some(ty.clone()), o.clone(), Source::at("/etc/fstab", *line)));
        }
        // 3. A vendor unit, when enabled (e.g. tmp.mount on Fedora-derived systems).
        if found.is_none() {
            for dir in ["/usr/lib/systemd/system", "/lib/systemd/system"] {
                let p = format!("{dir}/{unit}");
                if let Some(text) = fs.read_text(&p)? {
                    if systemd_unit_enabled(fs, &unit)?.is_some() {
                        let (ty, o) = parse_mount_unit(&text);
                        let (o, line) = o.unwrap_or_default();
                        found = Some((ty, o, Source::at(&p, line)));
                    }
                    break;
                }
            }
        }
        // 4. systemd mounts /dev/shm itself (mount-setup.c: MS_NOSUID|MS_NODEV|MS_STRICTATIME).
        if found.is_none() && *mp == "/dev/shm" && systemd {
            found = Some((
                Some("tmpfs".into()),
                "nosuid,nodev,strictatime,mode=1777".into(),
                Source::note("systemd's built-in /dev/shm mount (mount-setup.c)"),
            ));
        }
        let mounted_options = match &runtime {
            Collected::Ok(list) => Collected::Ok(
                list.iter()
                    .rev()
                    .find(|e| e.0 == *mp)
                    .map(|(_, o, line)| Fact::new(effective_options(o), Source::at("/proc/mounts", *line))),
            ),
            Collected::Unavailable { unavailable } => Collected::Unavailable {
                unavailable: unavailable.clone(),
            },
        };
        let point = match found {
            Some((ty, o, src)) => MountPoint {
                configured: Fact::new(true, src.clone()),
                fstype: ty,
                options: Fact::new(effective_options(&o), src),
                mounted_options,
            },
            None => MountPoint {
                configured: Fact::new(
                    false,
                    Source::note(format!("no /etc/fstab line or enabled {unit} unit")),
                ),
                fstype: None,
                options: Fact::new(Vec::new(), Source::note("not a separate mount")),
                mounted_options,
            },
        };
        out.insert((*mp).to_owned(), point);
    }
    Ok(out)
}

/// Collects the facts.
pub fn collect(fs: &RootFs, ctx: &Context) -> Result<Filesystem, FactError> {
    let autofs_enabled = match systemd_unit_enabled(fs, "autofs.service")? {
        Some(src) => Fact::new(true, src),
        None => Fact::new(false, Source::note("no enabling link for autofs.service")),
    };
    Ok(Filesystem {
        modules: collect_modules(fs, ctx)?,
        mounts: collect_mounts(fs, ctx)?,
        autofs_enabled,
        // The whole-tree walk is the expensive part: only when a selected rule reads it.
        walk: if ctx.wants("filesystem.walk") {
            walk::walk_offenders(
                fs,
                &walk::WalkOptions {
                    live: ctx.live,
                    ..walk::WalkOptions::default()
                },
            )
            .into()
        } else {
            Collected::not_applicable("not needed by the selected rules")
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modprobe_dash_and_underscore_are_one_name_and_continuations_join() {
        let d = parse_modprobe("# x\ninstall usb-storage \\\n  /bin/false\nblacklist usb_storage\n");
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].module, "usb_storage");
        assert_eq!(d[0].rest, "/bin/false");
        assert_eq!(d[0].line, 2);
        assert_eq!(d[1].line, 4);
    }

    #[test]
    fn install_true_and_false_disable_anything_else_does_not() {
        assert!(is_disabling_command("/bin/false"));
        assert!(is_disabling_command("/usr/bin/true"));
        assert!(!is_disabling_command("/sbin/modprobe --ignore-install cramfs"));
        assert!(!is_disabling_command(""));
        // The shell runs what follows: the module is loaded after all.
        for cmd in [
            "/bin/false || /sbin/modprobe --ignore-install cramfs",
            "/bin/true; modprobe --ignore-install cramfs",
            "/bin/true && modprobe --ignore-install cramfs",
            "/bin/true | modprobe --ignore-install cramfs",
            "/bin/true & modprobe --ignore-install cramfs",
            "/bin/true $(modprobe --ignore-install cramfs)",
            "/bin/true `modprobe --ignore-install cramfs`",
        ] {
            assert!(!is_disabling_command(cmd), "{cmd}");
        }
    }

    #[test]
    fn later_option_overrides_earlier_and_user_implies_noexec() {
        assert_eq!(effective_options("defaults,nodev,dev"), ["defaults"]);
        assert_eq!(
            effective_options("rw,nosuid,nodev,noexec"),
            ["rw", "nosuid", "nodev", "noexec"]
        );
        let u = effective_options("user,exec");
        assert!(u.contains(&"nodev".to_owned()) && !u.contains(&"noexec".to_owned()));
    }

    #[test]
    fn fstab_octal_escapes_and_trailing_slash() {
        let e = parse_fstab("# c\nUUID=1 /my\\040dir ext4 defaults 0 2\ntmpfs /tmp/ tmpfs nodev 0 0\n");
        assert_eq!(e[0].0, "/my dir");
        assert_eq!(e[1].0, "/tmp");
        assert_eq!(e[1].3, 3);
    }

    #[test]
    fn mount_unit_names_are_path_escaped() {
        assert_eq!(unit_name("/var/tmp"), "var-tmp.mount");
        assert_eq!(unit_name("/dev/shm"), "dev-shm.mount");
    }

    #[test]
    fn mount_unit_options_only_in_mount_section() {
        let (t, o) = parse_mount_unit(
            "[Unit]\nOptions=x\n[Mount]\nWhat=tmpfs\nType=tmpfs\nOptions=mode=1777,strictatime,nosuid,nodev\n",
        );
        assert_eq!(t.as_deref(), Some("tmpfs"));
        assert_eq!(o.map(|x| x.1), Some(6));
    }
}
