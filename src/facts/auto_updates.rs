//! Automatic updates: whether the image installs updates on its own, and by which mechanism.
//!
//! Mechanisms and the semantics followed:
//! - **unattended-upgrades** (Debian, Ubuntu): apt's daily job (apt-daily-upgrade.timer running
//!   /usr/lib/apt/apt.systemd.daily) runs unattended-upgrade when `APT::Periodic::Unattended-Upgrade`
//!   and `APT::Periodic::Update-Package-Lists` are non-zero. The configuration is read as apt.conf(5)
//!   reads it: every file in /etc/apt/apt.conf.d whose name has no extension or `.conf` and only
//!   `[A-Za-z0-9_.-]` characters, in lexical order, then /etc/apt/apt.conf; later assignments win.
//!   The syntax is apt's: `A::B "v";`, nested scopes `A { B "v"; };`, `//` and `/* */` comments,
//!   `#` comment lines, and the `#clear` directive. Keys are case-insensitive.
//! - **dnf-automatic** (RHEL family): /etc/dnf/automatic.conf `[commands] apply_updates = yes` with
//!   dnf-automatic.timer enabled, or dnf-automatic-install.timer enabled (it applies updates
//!   whatever apply_updates says); `upgrade_type` is reported.
//! - **yum-cron** (EL7): /etc/yum/yum-cron.conf `[commands] apply_updates = yes` and yum-cron.service
//!   enabled.
//!
//! Timer and service states come from the services collector (links on disk, no systemctl).
//! Whether a package is installed comes from the package database; when that could not be read,
//! from files the package ships (a binary or unit file).
//!
//! Deliberately ignored: cron-driven apt (`/etc/cron.daily/apt-compat` on non-systemd hosts),
//! unattended-upgrades' origin patterns (which updates it takes), dnf5-automatic.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Collected;
use super::services::Services;
use super::{Context, Fact, FactError, Shadowed, Source};
use crate::facts::{os_release::OsRelease, packages::Packages};
use crate::rootfs::RootFs;

const LIMIT: u64 = crate::rootfs::limits::UPDATES_CONFIG_FILE;

/// Automatic update configuration.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AutoUpdates {
    /// Updates are installed automatically by some mechanism.
    pub enabled: Fact<bool>,
    /// `unattended-upgrades`, `dnf-automatic`, `yum-cron` or `none`.
    pub mechanism: Fact<String>,
    /// apt details (absent when the image has no apt configuration).
    pub apt: Option<AptAuto>,
    /// dnf-automatic details (absent when not installed).
    pub dnf_automatic: Option<DnfAutomatic>,
    /// yum-cron details (absent when not installed).
    pub yum_cron: Option<YumCron>,
}

/// unattended-upgrades configuration.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AptAuto {
    /// unattended-upgrades is installed (evidence in `source`).
    pub installed: Fact<bool>,
    /// `APT::Periodic::Unattended-Upgrade` (interval in days, `0` off).
    pub unattended_upgrade: Option<Fact<String>>,
    /// `APT::Periodic::Update-Package-Lists`.
    pub update_package_lists: Option<Fact<String>>,
    /// State of apt-daily-upgrade.timer (`enabled`, `static`, `disabled`, `masked`; null if absent).
    pub timer: Option<Fact<String>>,
}

/// dnf-automatic configuration.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DnfAutomatic {
    /// dnf-automatic is installed (evidence in `source`).
    pub installed: Fact<bool>,
    /// `[commands] apply_updates`.
    pub apply_updates: Option<Fact<String>>,
    /// `[commands] upgrade_type` (`default` or `security`).
    pub upgrade_type: Option<Fact<String>>,
    /// State of dnf-automatic.timer.
    pub timer: Option<Fact<String>>,
    /// State of dnf-automatic-install.timer.
    pub install_timer: Option<Fact<String>>,
}

/// yum-cron configuration.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct YumCron {
    /// `[commands] apply_updates`.
    pub apply_updates: Option<Fact<String>>,
    /// State of yum-cron.service.
    pub service: Option<Fact<String>>,
}

/// One token of apt.conf syntax, with its line.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Open,
    Close,
    Semi,
    Clear,
}

fn tokenize(text: &str) -> Vec<(Tok, u32)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line) = (0usize, 1u32);
    while let Some(&c) = b.get(i) {
        match c {
            b'\n' => {
                line += 1;
                i += 1;
                continue;
            }
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while b.get(i).is_some_and(|&c| c != b'\n') {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                i += 2;
                continue;
            }
            b'#' => {
                let rest = text.get(i..).unwrap_or_default();
                if rest.starts_with("#clear") {
                    out.push((Tok::Clear, line));
                    i += 6;
                } else {
                    // `#include` is not followed (it would reach outside apt.conf.d); other `#`
                    // lines are comments.
                    while b.get(i).is_some_and(|&c| c != b'\n') {
                        i += 1;
                    }
                }
                continue;
            }
            b'{' => out.push((Tok::Open, line)),
            b'}' => out.push((Tok::Close, line)),
            b';' => out.push((Tok::Semi, line)),
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while b.get(j).is_some_and(|&c| c != b'"') {
                    if b[j] == b'\n' {
                        line += 1;
                    }
                    j += 1;
                }
                out.push((Tok::Str(text.get(start..j).unwrap_or_default().to_owned()), line));
                i = j + 1;
                continue;
            }
            _ => {
                let start = i;
                while b
                    .get(i)
                    .is_some_and(|&c| !c.is_ascii_whitespace() && !matches!(c, b'{' | b'}' | b';' | b'"'))
                {
                    i += 1;
                }
                out.push((Tok::Word(text.get(start..i).unwrap_or_default().to_owned()), line));
                continue;
            }
        }
        i += 1;
    }
    out
}

/// apt configuration values by lowercased full key (`apt::periodic::unattended-upgrade`).
pub type AptConfig = BTreeMap<String, Fact<String>>;

/// Parses one apt.conf(5) file from `path` into `cfg`, later assignments replacing earlier ones.
pub fn parse_apt_conf(path: &str, text: &str, cfg: &mut AptConfig) -> Result<(), FactError> {
    let toks = tokenize(text);
    let mut scope: Vec<String> = Vec::new();
    let mut name: Option<String> = None;
    let mut value: Option<String> = None;
    let mut clear = false;
    for (tok, line) in toks {
        match tok {
            Tok::Clear => clear = true,
            Tok::Word(w) | Tok::Str(w) if name.is_none() => name = Some(w),
            Tok::Word(w) | Tok::Str(w) => value = Some(w),
            Tok::Semi => {
                let full = |n: &str| {
                    let mut parts = scope.clone();
                    parts.push(n.to_owned());
                    parts.join("::").to_ascii_lowercase()
                };
                match (name.take(), value.take()) {
                    (Some(n), _) if clear => {
                        let prefix = full(&n);
                        cfg.retain(|k, _| k != &prefix && !k.starts_with(&format!("{prefix}::")));
                    }
                    (Some(n), Some(v)) => {
                        let key = full(&n);
                        let src = Source::at(path, line);
                        match cfg.get_mut(&key) {
                            Some(f) => {
                                let old = std::mem::replace(f, Fact::new(v, src));
                                f.shadowed = old.shadowed;
                                f.shadowed.push(Shadowed {
                                    value: old.value,
                                    source: old.source,
                                });
                            }
                            None => {
                                cfg.insert(key, Fact::new(v, src));
                            }
                        }
                    }
                    // A bare value inside a scope is a list item; lists are not needed here.
                    _ => {}
                }
                clear = false;
            }
            Tok::Open => {
                let Some(n) = name.take() else {
                    return Err(FactError::Parse {
                        path: path.to_owned(),
                        line,
                        msg: "'{' without a name".into(),
                    });
                };
                value = None;
                // One stack entry per `{`, so `A::B {` … `}` closes both components at once.
                scope.push(n);
            }
            Tok::Close => {
                if scope.is_empty() {
                    return Err(FactError::Parse {
                        path: path.to_owned(),
                        line,
                        msg: "unbalanced '}'".into(),
                    });
                }
                scope.pop();
                name = None;
                value = None;
            }
        }
    }
    Ok(())
}

/// Whether apt reads a file in apt.conf.d (apt.conf(5)): no extension or `.conf`, and only
/// alphanumerics, `-`, `_` and `.` in the name.
pub fn apt_reads(name: &str) -> bool {
    let chars_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    let ext_ok = match name.rsplit_once('.') {
        None => true,
        Some((_, ext)) => ext == "conf",
    };
    chars_ok && ext_ok && !name.starts_with('.')
}

/// Reads the apt configuration in apt's order.
pub fn read_apt_config(fs: &RootFs) -> Result<Option<AptConfig>, FactError> {
    let mut files: Vec<String> = Vec::new();
    let parts = fs.read_dir("/etc/apt/apt.conf.d")?;
    let has_parts = parts.is_some();
    for e in parts.unwrap_or_default() {
        if apt_reads(&e.name) {
            files.push(e.path);
        }
    }
    files.push("/etc/apt/apt.conf".to_owned());
    let mut cfg = AptConfig::new();
    let mut any = has_parts;
    for f in files {
        if let Some(t) = fs.read_text_limited(&f, LIMIT)? {
            any = true;
            parse_apt_conf(&f, &t, &mut cfg)?;
        }
    }
    Ok(any.then_some(cfg))
}

/// Parses an INI file (dnf-automatic, yum-cron): `section.key` → value with line.
pub fn parse_ini(path: &str, text: &str) -> BTreeMap<String, Fact<String>> {
    let mut out = BTreeMap::new();
    let mut section = String::new();
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        if let Some(s) = l.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = s.trim().to_owned();
            continue;
        }
        if let Some((k, v)) = l.split_once('=').or_else(|| l.split_once(':')) {
            out.insert(
                format!("{section}.{}", k.trim()),
                Fact::new(v.trim().to_owned(), Source::at(path, i as u32 + 1)),
            );
        }
    }
    out
}

/// Python configparser's booleans, as dnf reads them.
fn truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "1" | "yes" | "true" | "on")
}

/// apt's periodic values are intervals: `0` (or empty) turns the job off.
fn periodic_on(v: &str) -> bool {
    let v = v.trim();
    !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false") || v.eq_ignore_ascii_case("no"))
}

fn unit_fact(services: &Services, name: &str) -> Option<Fact<String>> {
    services
        .units
        .get(name)
        .map(|u| Fact::new(u.state.clone(), u.source.clone()))
}

fn runs(timer: &Option<Fact<String>>) -> bool {
    timer
        .as_ref()
        .is_some_and(|t| t.value == "enabled" || t.value == "static")
}

/// Whether a package is installed, with evidence: the package database when it could be read
/// (`packages` is `Some`), else the first of `files` (a binary or unit file the package ships)
/// present in the image. Shared with the MAC collector.
pub fn installed(
    fs: &RootFs,
    packages: Option<&Packages>,
    name: &str,
    files: &[&str],
) -> Result<Fact<bool>, FactError> {
    if let Some(p) = packages {
        return Ok(match p.get(name) {
            Some(pkg) => Fact::new(true, pkg.source.clone()),
            None => Fact::new(false, Source::note(format!("package {name} is not in {}", p.database))),
        });
    }
    for f in files {
        if fs.symlink_metadata(f)?.is_some() {
            return Ok(Fact::new(true, Source::file(*f)));
        }
    }
    Ok(Fact::new(
        false,
        Source::note(format!(
            "package database unreadable and none of {} exists",
            files.join(", ")
        )),
    ))
}

/// Collects automatic-update configuration.
pub fn collect_auto(
    fs: &RootFs,
    _ctx: &Context,
    _os: Option<&OsRelease>,
    packages: Option<&Packages>,
    services: &Collected<Services>,
) -> Result<AutoUpdates, FactError> {
    let services = services.required("services")?;
    let mut verdicts: Vec<(&str, Fact<bool>)> = Vec::new();

    let apt = match read_apt_config(fs)? {
        None => None,
        Some(cfg) => {
            let installed = installed(
                fs,
                packages,
                "unattended-upgrades",
                &[
                    "/usr/bin/unattended-upgrade",
                    "/usr/lib/systemd/system/unattended-upgrades.service",
                    "/lib/systemd/system/unattended-upgrades.service",
                ],
            )?;
            let a = AptAuto {
                installed,
                unattended_upgrade: cfg.get("apt::periodic::unattended-upgrade").cloned(),
                update_package_lists: cfg.get("apt::periodic::update-package-lists").cloned(),
                timer: unit_fact(services, "apt-daily-upgrade.timer"),
            };
            let verdict = if !a.installed.value {
                Fact::new(false, a.installed.source.clone())
            } else if let Some(f) = a.unattended_upgrade.as_ref().filter(|f| !periodic_on(&f.value)) {
                Fact::new(false, f.source.clone())
            } else if a.unattended_upgrade.is_none() {
                Fact::new(
                    false,
                    Source::note("APT::Periodic::Unattended-Upgrade is not set (apt's default is 0)"),
                )
            } else if let Some(f) = a.update_package_lists.as_ref().filter(|f| !periodic_on(&f.value)) {
                Fact::new(false, f.source.clone())
            } else if a.update_package_lists.is_none() {
                Fact::new(
                    false,
                    Source::note("APT::Periodic::Update-Package-Lists is not set (apt's default is 0)"),
                )
            } else if !runs(&a.timer) {
                let src = a.timer.as_ref().map_or_else(
                    || Source::note("apt-daily-upgrade.timer is absent"),
                    |t| t.source.clone(),
                );
                Fact::new(false, src)
            } else {
                Fact::new(
                    true,
                    a.unattended_upgrade
                        .as_ref()
                        .map(|f| f.source.clone())
                        .unwrap_or_else(|| Source::note("")),
                )
            };
            verdicts.push(("unattended-upgrades", verdict));
            Some(a)
        }
    };

    let dnf_conf = "/etc/dnf/automatic.conf";
    let dnf_timer = unit_fact(services, "dnf-automatic.timer");
    let dnf_install_timer = unit_fact(services, "dnf-automatic-install.timer");
    let dnf_automatic = match fs.read_text_limited(dnf_conf, LIMIT)? {
        None if dnf_timer.is_none() => None,
        text => {
            let ini = text.map(|t| parse_ini(dnf_conf, &t)).unwrap_or_default();
            let d = DnfAutomatic {
                installed: installed(
                    fs,
                    packages,
                    "dnf-automatic",
                    &["/usr/bin/dnf-automatic", "/usr/lib/systemd/system/dnf-automatic.timer"],
                )?,
                apply_updates: ini.get("commands.apply_updates").cloned(),
                upgrade_type: ini.get("commands.upgrade_type").cloned(),
                timer: dnf_timer,
                install_timer: dnf_install_timer,
            };
            let verdict = if !d.installed.value {
                Fact::new(false, d.installed.source.clone())
            } else if runs(&d.install_timer) {
                Fact::new(
                    true,
                    d.install_timer
                        .as_ref()
                        .map(|t| t.source.clone())
                        .unwrap_or_else(|| Source::note("")),
                )
            } else if !runs(&d.timer) {
                let src = d
                    .timer
                    .as_ref()
                    .map_or_else(|| Source::note("dnf-automatic.timer is absent"), |t| t.source.clone());
                Fact::new(false, src)
            } else {
                match &d.apply_updates {
                    Some(f) => Fact::new(truthy(&f.value), f.source.clone()),
                    None => Fact::new(
                        false,
                        Source::note("apply_updates is not set in /etc/dnf/automatic.conf (default no)"),
                    ),
                }
            };
            verdicts.push(("dnf-automatic", verdict));
            Some(d)
        }
    };

    let yum_conf = "/etc/yum/yum-cron.conf";
    let yum_cron = match fs.read_text_limited(yum_conf, LIMIT)? {
        None => None,
        Some(t) => {
            let ini = parse_ini(yum_conf, &t);
            let y = YumCron {
                apply_updates: ini.get("commands.apply_updates").cloned(),
                service: unit_fact(services, "yum-cron.service"),
            };
            let verdict = if !runs(&y.service) {
                let src = y
                    .service
                    .as_ref()
                    .map_or_else(|| Source::note("yum-cron.service is absent"), |s| s.source.clone());
                Fact::new(false, src)
            } else {
                match &y.apply_updates {
                    Some(f) => Fact::new(truthy(&f.value), f.source.clone()),
                    None => Fact::new(
                        false,
                        Source::note("apply_updates is not set in /etc/yum/yum-cron.conf (default no)"),
                    ),
                }
            };
            verdicts.push(("yum-cron", verdict));
            Some(y)
        }
    };

    // The first mechanism that is on decides; otherwise the first one present explains why not.
    let (mechanism, enabled) = match verdicts.iter().find(|(_, v)| v.value).or(verdicts.first()) {
        Some((m, v)) => (Fact::new((*m).to_owned(), v.source.clone()), v.clone()),
        None => {
            let src = Source::note("no unattended-upgrades, dnf-automatic or yum-cron configuration in the image");
            (Fact::new("none".to_owned(), src.clone()), Fact::new(false, src))
        }
    };
    Ok(AutoUpdates {
        enabled,
        mechanism,
        apt,
        dnf_automatic,
        yum_cron,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_scopes_and_flat_keys_are_the_same_key() {
        let mut cfg = AptConfig::new();
        parse_apt_conf(
            "/etc/apt/apt.conf.d/20auto-upgrades",
            "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n",
            &mut cfg,
        )
        .unwrap();
        parse_apt_conf(
            "/etc/apt/apt.conf.d/99local",
            "// off\nAPT {\n  Periodic {\n    unattended-upgrade \"0\"; /* c */\n  };\n};\n",
            &mut cfg,
        )
        .unwrap();
        let f = &cfg["apt::periodic::unattended-upgrade"];
        assert_eq!(f.value, "0");
        assert_eq!(f.source, Source::at("/etc/apt/apt.conf.d/99local", 4));
        assert_eq!(f.shadowed[0].value, "1");
    }

    #[test]
    fn scope_opened_with_double_colon_name_closes_fully() {
        let mut cfg = AptConfig::new();
        parse_apt_conf(
            "/x",
            "APT::Periodic {\n Unattended-Upgrade \"1\";\n};\nFoo \"bar\";\n",
            &mut cfg,
        )
        .unwrap();
        assert!(cfg.contains_key("apt::periodic::unattended-upgrade"));
        assert!(cfg.contains_key("foo"), "{cfg:?}");
    }

    #[test]
    fn hash_comments_clear_and_lists() {
        let mut cfg = AptConfig::new();
        parse_apt_conf(
            "/x",
            "# comment \"x\";\nUnattended-Upgrade::Allowed-Origins {\n \"${distro_id}:${distro_codename}\";\n};\nAPT::Periodic::Unattended-Upgrade \"1\";\n#clear APT::Periodic;\n",
            &mut cfg,
        )
        .unwrap();
        assert!(!cfg.contains_key("apt::periodic::unattended-upgrade"));
    }

    #[test]
    fn unbalanced_close_is_a_parse_error() {
        let e = parse_apt_conf("/etc/apt/apt.conf.d/bad", "A \"1\";\n};\n", &mut AptConfig::new()).unwrap_err();
        assert_eq!(e.to_string(), "/etc/apt/apt.conf.d/bad:2: unbalanced '}'");
    }

    #[test]
    fn apt_file_name_filter() {
        assert!(apt_reads("20auto-upgrades"));
        assert!(apt_reads("99local.conf"));
        assert!(!apt_reads("20auto-upgrades.ucf-dist"));
        assert!(!apt_reads("50unattended-upgrades.dpkg-old"));
        assert!(!apt_reads("my file"));
    }

    #[test]
    fn ini_sections_and_booleans() {
        let ini = parse_ini(
            "/etc/dnf/automatic.conf",
            "[commands]\n# c\nupgrade_type = security\napply_updates = yes\n[emitters]\nemit_via = stdio\n",
        );
        assert_eq!(
            ini["commands.apply_updates"].source,
            Source::at("/etc/dnf/automatic.conf", 4)
        );
        assert!(truthy(&ini["commands.apply_updates"].value));
        assert!(!periodic_on("0"));
        assert!(periodic_on("always"));
    }
}
