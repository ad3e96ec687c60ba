//! Service enablement read from the unit files and links on disk, without running systemctl, per
//! systemd.unit(5) and systemctl(1) `is-enabled`; and OpenRC runlevels on Alpine.
//!
//! systemd:
//! - unit search path, most important first: /etc/systemd/system, /run/systemd/system,
//!   /usr/local/lib/systemd/system, /usr/lib/systemd/system, /lib/systemd/system; the first
//!   directory holding a unit name decides its fragment (on merged-/usr systems /lib is a link to
//!   /usr/lib and simply repeats it);
//! - `masked`: the deciding entry is a symlink to /dev/null or an empty file (systemd.unit(5));
//! - `enabled`: a link named after the unit in a `*.wants/` or `*.requires/` directory of
//!   /etc/systemd/system or /run/systemd/system (what `systemctl enable` creates), or an alias link
//!   to it in /etc/systemd/system; an instance link (`getty@tty1.service`) enables that instance;
//! - `static`: no `[Install]` section, or pulled in by a vendor `*.wants/` link under /usr/lib —
//!   the unit starts whenever what wants it starts, and `systemctl disable` cannot change that;
//! - `disabled`: has an `[Install]` section and nothing links to it.
//!
//! OpenRC (Alpine): a service is `enabled` when /etc/runlevels/<level>/<name> exists; services in
//! /etc/init.d not linked in any runlevel are `disabled`.
//!
//! Deliberately ignored: generators (their output lives in /run only at runtime), user units,
//! presets (they only matter when a package is installed), drop-in `.d/` directories.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Context, FactError, Source};
use crate::rootfs::{Kind, RootFs};

/// systemd system unit directories, in precedence order.
pub const UNIT_DIRS: [&str; 5] = [
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// Directories whose `.wants/`/`.requires/` links are the administrator's `systemctl enable`.
const ADMIN_DIRS: [&str; 2] = ["/etc/systemd/system", "/run/systemd/system"];

/// Unit name suffixes (systemd.unit(5)).
const SUFFIXES: [&str; 11] = [
    ".service",
    ".socket",
    ".timer",
    ".target",
    ".path",
    ".mount",
    ".automount",
    ".swap",
    ".slice",
    ".scope",
    ".device",
];

/// Largest unit file read.
const UNIT_LIMIT: u64 = crate::rootfs::limits::UNIT_FILE;

/// Service enablement.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Services {
    /// The init system found: `systemd`, `openrc` or `none`.
    pub init: String,
    /// Units (systemd) or services (OpenRC) by name.
    pub units: BTreeMap<String, Unit>,
}

/// One unit or service.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Unit {
    /// `enabled`, `disabled`, `masked`, `static` or `alias`.
    pub state: String,
    /// What decided the state: the enabling link, the mask, or the unit file.
    pub source: Source,
    /// The unit file in force (absent for instances enabled by link only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fragment: Option<String>,
    /// Every link that pulls the unit in (`…/multi-user.target.wants/ssh.service`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wanted_by: Vec<String>,
}

/// A name systemd loads as a unit (`unit_name_is_valid`): a known suffix, and only the characters
/// systemd allows, so a file whose name is not UTF-8 (or has a space) is ignored as systemd does.
fn is_unit_name(name: &str) -> bool {
    SUFFIXES.iter().any(|s| name.ends_with(s) && name.len() > s.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_' | b'.' | b'\\' | b'@'))
}

/// True when `text` has an `[Install]` section with at least one setting.
pub fn has_install_section(text: &str) -> bool {
    let mut in_install = false;
    for l in text.lines() {
        let l = l.trim();
        if l.starts_with('[') {
            in_install = l == "[Install]";
            continue;
        }
        if in_install && !l.is_empty() && !l.starts_with('#') && !l.starts_with(';') && l.contains('=') {
            return true;
        }
    }
    false
}

/// The template of an instance name: `getty@tty1.service` → `getty@.service`.
fn template_of(name: &str) -> Option<String> {
    let (pre, rest) = name.split_once('@')?;
    let dot = rest.rfind('.')?;
    let suffix = rest.get(dot..)?;
    if dot == 0 {
        return None;
    }
    Some(format!("{pre}@{suffix}"))
}

fn is_dev_null(target: &str) -> bool {
    target == "/dev/null"
}

/// Collects systemd or OpenRC enablement.
pub fn collect(fs: &RootFs, _ctx: &Context) -> Result<Services, FactError> {
    let systemd = collect_systemd(fs)?;
    if !systemd.is_empty() {
        return Ok(Services {
            init: "systemd".into(),
            units: systemd,
        });
    }
    let openrc = collect_openrc(fs)?;
    if !openrc.is_empty() {
        return Ok(Services {
            init: "openrc".into(),
            units: openrc,
        });
    }
    Ok(Services {
        init: "none".into(),
        units: BTreeMap::new(),
    })
}

fn collect_systemd(fs: &RootFs) -> Result<BTreeMap<String, Unit>, FactError> {
    // name → (path, masked, alias target) of the deciding entry.
    let mut fragments: BTreeMap<String, (String, bool, Option<String>)> = BTreeMap::new();
    // unit name → links in admin wants dirs / vendor wants dirs.
    let mut admin_links: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut vendor_links: BTreeMap<String, Vec<String>> = BTreeMap::new();

    for dir in UNIT_DIRS {
        let Some(entries) = fs.read_dir(dir)? else { continue };
        let admin = ADMIN_DIRS.contains(&dir);
        for e in entries {
            let Some(meta) = fs.symlink_metadata(&e.path)? else {
                continue;
            };
            if meta.kind == Kind::Directory
                || (meta.kind == Kind::Symlink && (e.name.ends_with(".wants") || e.name.ends_with(".requires")))
            {
                if e.name.ends_with(".wants") || e.name.ends_with(".requires") {
                    let Some(links) = fs.read_dir(&e.path)? else { continue };
                    let into = if admin { &mut admin_links } else { &mut vendor_links };
                    for l in links.into_iter().filter(|l| is_unit_name(&l.name)) {
                        into.entry(l.name).or_default().push(l.path);
                    }
                }
                continue;
            }
            if !is_unit_name(&e.name) || fragments.contains_key(&e.name) {
                continue;
            }
            let (masked, alias) = if meta.kind == Kind::Symlink {
                let target = fs.read_link(&e.path)?.unwrap_or_default();
                let base = target.rsplit('/').next().unwrap_or_default().to_owned();
                (
                    is_dev_null(&target),
                    (is_unit_name(&base) && base != e.name).then_some(base),
                )
            } else {
                // systemd.unit(5): an empty unit file is masked just like a link to /dev/null.
                (meta.size == 0, None)
            };
            fragments.insert(e.name.clone(), (e.path, masked, alias));
        }
    }

    let mut units = BTreeMap::new();
    let mut names: Vec<String> = fragments.keys().cloned().collect();
    names.extend(admin_links.keys().cloned());
    names.extend(vendor_links.keys().cloned());
    names.sort();
    names.dedup();
    for name in names {
        let frag = fragments
            .get(&name)
            .or_else(|| template_of(&name).and_then(|t| fragments.get(&t)));
        let admin = admin_links.get(&name).cloned().unwrap_or_default();
        let vendor = vendor_links.get(&name).cloned().unwrap_or_default();
        let mut wanted_by = admin.clone();
        wanted_by.extend(vendor.iter().cloned());
        let fragment = frag.map(|f| f.0.clone());
        let unit = match frag {
            Some((path, true, _)) => Unit {
                state: "masked".into(),
                source: Source::file(path),
                fragment,
                wanted_by,
            },
            _ if !admin.is_empty() => Unit {
                state: "enabled".into(),
                source: Source::file(&admin[0]),
                fragment,
                wanted_by,
            },
            // An alias link in /etc is what `systemctl enable` creates for `Alias=`.
            Some((path, false, Some(_))) if path.starts_with("/etc/") => Unit {
                state: "alias".into(),
                source: Source::file(path),
                fragment,
                wanted_by,
            },
            _ if !vendor.is_empty() => Unit {
                state: "static".into(),
                source: Source::file(&vendor[0]),
                fragment,
                wanted_by,
            },
            Some((path, false, _)) => {
                let text = fs.read_text_limited(path, UNIT_LIMIT)?.unwrap_or_default();
                let state = if has_install_section(&text) {
                    "disabled"
                } else {
                    "static"
                };
                Unit {
                    state: state.into(),
                    source: Source::file(path),
                    fragment,
                    wanted_by,
                }
            }
            None => continue,
        };
        units.insert(name, unit);
    }
    // An alias enabled in /etc makes its target enabled too (`systemctl enable` writes both).
    let aliases: Vec<(String, String)> = fragments
        .iter()
        .filter(|(_, (p, m, _))| !m && p.starts_with("/etc/"))
        .filter_map(|(n, (_, _, a))| a.clone().map(|a| (n.clone(), a)))
        .collect();
    for (alias, target) in aliases {
        let alias_path = fragments.get(&alias).map(|f| f.0.clone()).unwrap_or_default();
        if let Some(u) = units.get_mut(&target)
            && u.state == "disabled"
        {
            u.state = "enabled".into();
            u.source = Source::file(alias_path);
        }
    }
    Ok(units)
}

fn collect_openrc(fs: &RootFs) -> Result<BTreeMap<String, Unit>, FactError> {
    let mut units = BTreeMap::new();
    if let Some(levels) = fs.read_dir("/etc/runlevels")? {
        for level in levels {
            let Some(services) = fs.read_dir(&level.path)? else {
                continue;
            };
            for s in services {
                let u = units.entry(s.name.clone()).or_insert_with(|| Unit {
                    state: "enabled".into(),
                    source: Source::file(&s.path),
                    fragment: Some(format!("/etc/init.d/{}", s.name)),
                    wanted_by: Vec::new(),
                });
                u.wanted_by.push(s.path);
            }
        }
    }
    if let Some(scripts) = fs.read_dir("/etc/init.d")?
        && !units.is_empty()
    {
        for s in scripts {
            units.entry(s.name.clone()).or_insert_with(|| Unit {
                state: "disabled".into(),
                source: Source::file(&s.path),
                fragment: Some(s.path.clone()),
                wanted_by: Vec::new(),
            });
        }
    }
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_are_what_systemd_loads() {
        for ok in [
            "ssh.service",
            "getty@tty1.service",
            "dev-sda1.mount",
            "a\\x2db.slice",
            "x:y.socket",
        ] {
            assert!(is_unit_name(ok), "{ok}");
        }
        let not_utf8 = crate::names::text(b"ssh\xff.service");
        for bad in [".service", "a b.service", "é.service", not_utf8.as_ref(), "ssh.conf"] {
            assert!(!is_unit_name(bad), "{bad}");
        }
    }

    #[test]
    fn install_section_needs_a_setting() {
        assert!(has_install_section(
            "[Unit]\nDescription=x\n[Install]\nWantedBy=multi-user.target\n"
        ));
        assert!(!has_install_section("[Unit]\nDescription=x\n[Install]\n# nothing\n"));
        assert!(!has_install_section("[Unit]\n[Service]\nExecStart=/bin/true\n"));
    }

    #[test]
    fn instance_maps_to_template() {
        assert_eq!(template_of("getty@tty1.service").as_deref(), Some("getty@.service"));
        assert_eq!(template_of("getty@.service"), None);
        assert_eq!(template_of("ssh.service"), None);
    }
}
