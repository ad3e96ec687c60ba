//! Mandatory access control: SELinux and AppArmor, from configuration and (on a live system) from
//! the kernel's own interfaces.
//!
//! SELinux (selinux_config(5), the kernel's selinuxfs):
//! - /etc/selinux/config `SELINUX=` (enforcing | permissive | disabled) and `SELINUXTYPE=`;
//! - live: /sys/fs/selinux/enforce (`1` enforcing, `0` permissive; absent: SELinux is not running);
//! - `selinux=0` on the kernel command line disables it whatever the config says; `enforcing=0`
//!   boots it permissive.
//!
//! AppArmor (apparmor(7), the kernel's securityfs):
//! - live: /sys/module/apparmor/parameters/enabled (`Y`/`N`) and the loaded profiles with their mode
//!   from /sys/kernel/security/apparmor/profiles (lines `name (enforce)`);
//! - offline: the profiles under /etc/apparmor.d (top-level files, minus those linked in
//!   /etc/apparmor.d/disable/), and which of them are in complain mode by configuration
//!   (`flags=(complain)` in a profile header, or a link in /etc/apparmor.d/force-complain/);
//! - `apparmor=0` on the kernel command line disables it;
//! - the boot loads the profiles through apparmor.service: `service` is that unit's state, from
//!   the services fact (offline: the enablement links under /etc/systemd/system).
//!
//! The kernel command line is the boot fact's ([`super::boot::Cmdline`], the one reader of
//! /etc/default/grub, /etc/default/grub.d/*.cfg, the generated grub.cfg, BLS entries and, live,
//! /proc/cmdline): a switch found in any of them counts. A MAC system is off on the command line
//! when its own switch is 0 (`selinux=0`, `apparmor=0`), or when `lsm=` lists the LSMs to start
//! and it is not among them, or when the legacy `security=` selects another major LSM.
//!
//! `active` is the derived, distribution-neutral answer: `selinux`, `apparmor` or `none`. Runtime-only
//! details are not-applicable offline, so a rule over them is left out by `all` rather than passed.
//!
//! Deliberately ignored: `lsm=`/`security=` ordering beyond recognising the disable switches,
//! SELinux booleans and policy modules, AppArmor profile contents.

use serde::Serialize;

use super::boot::{Boot, Cmdline, parse_shell_vars};
use super::services::Services;
use super::{Collected, Context, Fact, FactError, Source};
use crate::facts::{os_release::OsRelease, packages::Packages};
use crate::rootfs::{Kind, RootFs};

const LIMIT: u64 = crate::rootfs::limits::MAC_FILE;

/// Mandatory access control state.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Mac {
    /// The MAC system in force: `selinux`, `apparmor` or `none`.
    pub active: Fact<String>,
    /// SELinux details.
    pub selinux: Selinux,
    /// AppArmor details.
    pub apparmor: Apparmor,
}

/// SELinux state.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Selinux {
    /// /etc/selinux/config exists.
    pub installed: bool,
    /// `SELINUX=` from /etc/selinux/config, lowercased.
    pub mode_config: Option<Fact<String>>,
    /// `SELINUXTYPE=` from /etc/selinux/config.
    pub type_config: Option<Fact<String>>,
    /// `enforcing`, `permissive` or `disabled` from selinuxfs (live only).
    pub enforce_runtime: Collected<Fact<String>>,
    /// `selinux=0` is on the kernel command line.
    pub cmdline_disabled: Fact<bool>,
    /// `enforcing=0` is on the kernel command line.
    pub cmdline_permissive: Fact<bool>,
}

/// AppArmor state.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Apparmor {
    /// The apparmor package is installed (evidence in `source`: the package database, or a file it
    /// ships when the database is unreadable).
    pub installed: Fact<bool>,
    /// The kernel module reports AppArmor enabled (live only).
    pub enabled_runtime: Collected<Fact<bool>>,
    /// Loaded profiles in enforce mode (live only).
    pub profiles_enforce: Collected<Vec<String>>,
    /// Loaded profiles in complain mode (live only).
    pub profiles_complain: Collected<Vec<String>>,
    /// Loaded profiles in any other mode (`unconfined`, `kill`, …), as `name (mode)` (live only).
    pub profiles_other: Collected<Vec<String>>,
    /// Profile files in /etc/apparmor.d that are not disabled.
    pub profiles_in_config: Vec<Fact<String>>,
    /// Profiles configured for complain mode.
    pub profiles_complain_config: Vec<Fact<String>>,
    /// `apparmor=0` is on the kernel command line.
    pub cmdline_disabled: Fact<bool>,
    /// The state of the unit that loads the profiles at boot (apparmor.service, or OpenRC's
    /// apparmor): `enabled`, `disabled`, `masked`, `static`, … or `absent`.
    pub service: Fact<String>,
}

/// Whether the kernel command line turns the LSM `lsm` off (its switch `switch=0`, an `lsm=`
/// list without it, or a legacy `security=` naming another), with the deciding parameter.
fn cmdline_off(cmd: &Cmdline, lsm: &str, switch: &str) -> Fact<bool> {
    if let Some(src) = cmd.sets(switch, "0") {
        return Fact::new(true, src);
    }
    let other = |name: &str, keep: &dyn Fn(&str) -> bool| {
        let args = std::iter::once(&cmd.configured)
            .chain(cmd.runtime.ok())
            .flat_map(|a| a.get(name).map(|f| (f.value.as_str(), f.source.clone())));
        let entries = cmd
            .grub_entries
            .iter()
            .chain(&cmd.bls_entries)
            .flat_map(|e| e.args.get(name).map(|v| (v.as_str(), e.source.clone())));
        args.chain(entries).find(|(v, _)| !keep(v)).map(|(_, s)| s)
    };
    if let Some(src) = other("lsm", &|v| v.split(',').any(|x| x.trim() == lsm)) {
        return Fact::new(true, src);
    }
    if let Some(src) = other("security", &|v| v == lsm) {
        return Fact::new(true, src);
    }
    Fact::new(
        false,
        Source::note(format!(
            "neither {switch}=0 nor an lsm=/security= without {lsm} on the kernel command line ({})",
            cmd.read_from()
        )),
    )
}

/// Parses /etc/selinux/config into (SELINUX, SELINUXTYPE).
pub fn parse_selinux_config(path: &str, text: &str) -> (Option<Fact<String>>, Option<Fact<String>>) {
    let mut mode = None;
    let mut ty = None;
    for (name, value, line) in parse_shell_vars(text) {
        match name.as_str() {
            "SELINUX" => mode = Some(Fact::new(value.to_ascii_lowercase(), Source::at(path, line))),
            "SELINUXTYPE" => ty = Some(Fact::new(value, Source::at(path, line))),
            _ => {}
        }
    }
    (mode, ty)
}

/// Parses /sys/kernel/security/apparmor/profiles: `name (mode)` per line.
pub fn parse_loaded_profiles(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let open = l.rfind(" (")?;
            let mode = l.get(open + 2..)?.strip_suffix(')')?;
            Some((l.get(..open)?.to_owned(), mode.to_owned()))
        })
        .collect()
}

/// Finds profile headers configured for complain mode: `profile NAME … flags=(…complain…) {` or
/// `/path/to/bin flags=(complain) {`. Returns `(profile name, line)`.
pub fn parse_complain_flags(text: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.starts_with('#') || !l.ends_with('{') {
            continue;
        }
        let Some(fi) = l.find("flags=(") else { continue };
        let flags = l.get(fi + 7..).and_then(|r| r.split(')').next()).unwrap_or_default();
        if !flags.split([',', ' ']).any(|f| f.trim() == "complain") {
            continue;
        }
        let head = l.get(..fi).unwrap_or_default().trim();
        let head = head.strip_prefix("profile ").unwrap_or(head).trim();
        let name = head.split_whitespace().next().unwrap_or(head).trim_matches('"');
        out.push((name.to_owned(), i as u32 + 1));
    }
    out
}

/// Directories under /etc/apparmor.d that hold no profiles of their own.
const NOT_PROFILES: [&str; 8] = [
    "abstractions",
    "tunables",
    "local",
    "disable",
    "force-complain",
    "cache",
    "abi",
    "apache2.d",
];

fn collect_apparmor(
    fs: &RootFs,
    ctx: &Context,
    cmdline: &Cmdline,
    packages: Option<&Packages>,
    services: &Services,
) -> Result<Apparmor, FactError> {
    let service = ["apparmor.service", "apparmor"]
        .iter()
        .find_map(|n| services.units.get(*n))
        .map_or_else(
            || {
                Fact::new(
                    "absent".to_owned(),
                    Source::note(format!("no apparmor unit ({} init)", services.init)),
                )
            },
            |u| Fact::new(u.state.clone(), u.source.clone()),
        );
    let installed = super::auto_updates::installed(
        fs,
        packages,
        "apparmor",
        &[
            "/usr/sbin/apparmor_parser",
            "/sbin/apparmor_parser",
            "/usr/lib/systemd/system/apparmor.service",
            "/lib/systemd/system/apparmor.service",
            "/etc/init.d/apparmor",
        ],
    )?;

    let disabled: Vec<String> = fs
        .read_dir("/etc/apparmor.d/disable")?
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.name)
        .collect();
    let forced: Vec<String> = fs
        .read_dir("/etc/apparmor.d/force-complain")?
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.name)
        .collect();
    let mut profiles_in_config = Vec::new();
    let mut profiles_complain_config = Vec::new();
    for e in fs.read_dir("/etc/apparmor.d")?.unwrap_or_default() {
        if NOT_PROFILES.contains(&e.name.as_str()) || e.name.starts_with('.') || e.name.ends_with(".dpkg-dist") {
            continue;
        }
        if !matches!(fs.metadata(&e.path)?, Some(m) if m.kind == Kind::File) || disabled.contains(&e.name) {
            continue;
        }
        let text = fs.read_text_limited(&e.path, LIMIT)?.unwrap_or_default();
        for (name, line) in parse_complain_flags(&text) {
            profiles_complain_config.push(Fact::new(name, Source::at(e.path.as_str(), line)));
        }
        if forced.contains(&e.name) {
            profiles_complain_config.push(Fact::new(
                e.name.clone(),
                Source::file(format!("/etc/apparmor.d/force-complain/{}", e.name)),
            ));
        }
        profiles_in_config.push(Fact::new(e.name.clone(), Source::file(e.path)));
    }

    let cmdline_disabled = cmdline_off(cmdline, "apparmor", "apparmor");
    let (enabled_runtime, profiles_enforce, profiles_complain, profiles_other) = if ctx.live {
        let p = "/sys/module/apparmor/parameters/enabled";
        let enabled = match fs.read_text_limited(p, 4096)? {
            Some(t) => Fact::new(t.trim() == "Y", Source::file(p)),
            None => Fact::new(
                false,
                Source::note(format!("{p} is absent: the kernel has no AppArmor")),
            ),
        };
        let lists = if enabled.value {
            let pp = "/sys/kernel/security/apparmor/profiles";
            match fs.read_text_limited(pp, LIMIT) {
                Ok(Some(t)) => {
                    let loaded = parse_loaded_profiles(&t);
                    let pick = |m: &str| {
                        loaded
                            .iter()
                            .filter(|(_, mode)| mode == m)
                            .map(|(n, _)| n.clone())
                            .collect::<Vec<_>>()
                    };
                    let other = loaded
                        .iter()
                        .filter(|(_, m)| m != "enforce" && m != "complain")
                        .map(|(n, m)| format!("{n} ({m})"))
                        .collect();
                    (
                        Collected::Ok(pick("enforce")),
                        Collected::Ok(pick("complain")),
                        Collected::Ok(other),
                    )
                }
                Ok(None) => {
                    let r = format!("{pp} is absent: securityfs is not mounted");
                    (
                        Collected::error(r.clone()),
                        Collected::error(r.clone()),
                        Collected::error(r),
                    )
                }
                Err(e) => (
                    Collected::unreadable(&e),
                    Collected::unreadable(&e),
                    Collected::unreadable(&e),
                ),
            }
        } else {
            (
                Collected::Ok(Vec::new()),
                Collected::Ok(Vec::new()),
                Collected::Ok(Vec::new()),
            )
        };
        (Collected::Ok(enabled), lists.0, lists.1, lists.2)
    } else {
        let r = "runtime value exists only on a running system";
        (
            Collected::not_applicable(r),
            Collected::not_applicable(r),
            Collected::not_applicable(r),
            Collected::not_applicable(r),
        )
    };
    Ok(Apparmor {
        installed,
        enabled_runtime,
        profiles_enforce,
        profiles_complain,
        profiles_other,
        profiles_in_config,
        profiles_complain_config,
        cmdline_disabled,
        service,
    })
}

fn collect_selinux(fs: &RootFs, ctx: &Context, cmdline: &Cmdline) -> Result<Selinux, FactError> {
    let path = "/etc/selinux/config";
    let text = fs.read_text_limited(path, LIMIT)?;
    let installed = text.is_some();
    let (mode_config, type_config) = text.map(|t| parse_selinux_config(path, &t)).unwrap_or((None, None));
    let enforce_runtime = if ctx.live {
        let p = "/sys/fs/selinux/enforce";
        match fs.read_text_limited(p, 4096) {
            Ok(Some(t)) => Collected::Ok(Fact::new(
                if t.trim() == "1" { "enforcing" } else { "permissive" }.to_owned(),
                Source::file(p),
            )),
            Ok(None) => Collected::Ok(Fact::new(
                "disabled".to_owned(),
                Source::note(format!("{p} is absent: selinuxfs is not mounted")),
            )),
            Err(e) => Collected::unreadable(&e),
        }
    } else {
        Collected::not_applicable("runtime value exists only on a running system")
    };
    Ok(Selinux {
        installed,
        mode_config,
        type_config,
        enforce_runtime,
        cmdline_disabled: cmdline_off(cmdline, "selinux", "selinux"),
        cmdline_permissive: match cmdline.sets("enforcing", "0") {
            Some(src) => Fact::new(true, src),
            None => Fact::new(
                false,
                Source::note(format!(
                    "enforcing=0 not on the kernel command line ({})",
                    cmdline.read_from()
                )),
            ),
        },
    })
}

/// Collects SELinux and AppArmor state; `boot` is the boot fact (its kernel command line),
/// `services` the unit enablement.
pub fn collect(
    fs: &RootFs,
    ctx: &Context,
    _os: Option<&OsRelease>,
    packages: Option<&Packages>,
    boot: &Collected<Boot>,
    services: &Collected<Services>,
) -> Result<Mac, FactError> {
    let cmdline = &boot.required("the kernel command line")?.cmdline;
    let selinux = collect_selinux(fs, ctx, cmdline)?;
    let apparmor = collect_apparmor(fs, ctx, cmdline, packages, services.required("service enablement")?)?;
    let active = derive_active(ctx, &selinux, &apparmor);
    Ok(Mac {
        active,
        selinux,
        apparmor,
    })
}

/// Which MAC system is in force.
fn derive_active(ctx: &Context, se: &Selinux, aa: &Apparmor) -> Fact<String> {
    let s = |v: &str, src: Source| Fact::new(v.to_owned(), src);
    if ctx.live {
        if let Collected::Ok(f) = &se.enforce_runtime
            && f.value != "disabled"
        {
            return s("selinux", f.source.clone());
        }
        if let Collected::Ok(f) = &aa.enabled_runtime
            && f.value
        {
            return s("apparmor", f.source.clone());
        }
        return s(
            "none",
            Source::note("neither selinuxfs nor an enabled AppArmor module on the running kernel"),
        );
    }
    if let Some(m) = &se.mode_config
        && m.value != "disabled"
        && !se.cmdline_disabled.value
    {
        return s("selinux", m.source.clone());
    }
    if aa.installed.value && !aa.profiles_in_config.is_empty() && !aa.cmdline_disabled.value {
        return s("apparmor", aa.installed.source.clone());
    }
    s(
        "none",
        Source::note("no SELinux configuration in force and no AppArmor with profiles in the image"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selinux_config_mode_is_lowercased() {
        let (m, t) = parse_selinux_config("/etc/selinux/config", "SELINUX=Enforcing\nSELINUXTYPE=targeted\n");
        assert_eq!(m.unwrap().value, "enforcing");
        assert_eq!(t.unwrap().source, Source::at("/etc/selinux/config", 2));
    }

    #[test]
    fn loaded_profiles_with_spaces_in_names() {
        let p = parse_loaded_profiles("/usr/sbin/ntpd (enforce)\nfirefox (unconfined)\nmy profile (complain)\n");
        assert_eq!(p[2], ("my profile".into(), "complain".into()));
        assert_eq!(p[1].1, "unconfined");
    }

    #[test]
    fn complain_flag_in_profile_header() {
        let t = "abi <abi/4.0>,\ninclude <tunables/global>\nprofile foo /usr/bin/foo flags=(attach_disconnected,complain) {\n}\n/usr/bin/bar flags=(complain) {\n}\nprofile baz flags=(unconfined) {\n}\n";
        assert_eq!(
            parse_complain_flags(t),
            vec![("foo".into(), 3), ("/usr/bin/bar".into(), 5)]
        );
    }
}
