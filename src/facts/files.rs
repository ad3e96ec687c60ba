//! Owner, group and mode of a fixed, documented list of well-known paths that rules ask about,
//! read with `lstat`-then-`stat` semantics through [`RootFs`] (a symlink is followed inside the
//! root, as `stat(1)` would, and the link itself is recorded as the source).
//!
//! The list ([`WELL_KNOWN`] plus the globbed sets in [`collect`]) is the CIS/SSG set: account
//! databases and their `-` backups, sshd configuration and host keys, cron and at, banners,
//! the GRUB configuration, sudoers. Owner and group names are resolved with the *image's*
//! /etc/passwd and /etc/group (never the host's), as `ls -l` inside the image would.
//!
//! Also here: small helpers other CIS collectors share — the uid/gid name tables and
//! [`systemd_unit_enabled`] (a stopgap reading of `.wants/` links, used until the services
//! collector lands on main).
//!
//! Deliberately ignored: ACLs and extended attributes (CIS checks only the mode bits), files not
//! on the list (the filesystem walk covers the whole tree).
use std::collections::BTreeMap;

use serde::Serialize;

use super::{Context, FactError, Source};
use crate::rootfs::{Kind, RootFs};

/// The single paths reported in [`Files::paths`], absent ones included (`present = false`).
pub const WELL_KNOWN: &[&str] = &[
    "/etc/passwd",
    "/etc/passwd-",
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/group",
    "/etc/group-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/security/opasswd",
    "/etc/ssh/sshd_config",
    "/etc/ssh/sshd_config.d",
    "/etc/crontab",
    "/etc/cron.d",
    "/etc/cron.hourly",
    "/etc/cron.daily",
    "/etc/cron.weekly",
    "/etc/cron.monthly",
    "/etc/cron.allow",
    "/etc/cron.deny",
    "/etc/at.allow",
    "/etc/at.deny",
    "/etc/issue",
    "/etc/issue.net",
    "/etc/motd",
    "/boot/grub/grub.cfg",
    "/boot/grub2/grub.cfg",
    "/boot/grub2/user.cfg",
    "/boot/grub2/grubenv",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/audit/auditd.conf",
    "/etc/audit/audit.rules",
    "/etc/audit/rules.d",
    "/etc/rsyslog.conf",
    "/etc/systemd/journald.conf",
];

/// Metadata of one path.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FileMeta {
    /// Whether the path exists.
    pub present: bool,
    /// `file`, `directory`, … (absent when not present).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// Permission bits as a 4-digit octal string (`"0640"`), for `mode_max`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Owner uid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// Owner gid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// Owner name from the image's /etc/passwd (absent when the uid has no entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Group name from the image's /etc/group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The path itself (and, for a followed symlink, the note that it was one).
    pub source: Source,
}

/// Ownership and permissions of well-known files.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Files {
    /// Single paths by in-image path (every entry of [`WELL_KNOWN`]).
    #[schemars(schema_with = "well_known_table")]
    pub paths: BTreeMap<String, FileMeta>,
    /// Each item carries `path`: `/etc/ssh/ssh_host_*_key`.
    pub ssh_host_private_keys: Vec<Named>,
    /// `/etc/ssh/ssh_host_*_key.pub`.
    pub ssh_host_public_keys: Vec<Named>,
    /// `/etc/ssh/sshd_config.d/*.conf`.
    pub sshd_config_dropins: Vec<Named>,
}

/// The schema of `paths`: its keys are exactly [`WELL_KNOWN`], so a rule naming another path is
/// rejected when it loads (it would read as absent everywhere).
fn well_known_table(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::rules::schema::closed_map::<FileMeta>(g, WELL_KNOWN.iter().map(|p| (*p).to_owned()))
}

/// A [`FileMeta`] with its path, for lists that `every`/`none` quantify over.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Named {
    /// In-image path.
    pub path: String,
    /// Its metadata.
    #[serde(flatten)]
    pub meta: FileMeta,
}

/// uid → name and gid → name tables from the image's /etc/passwd and /etc/group.
#[derive(Debug, Clone, Default)]
pub struct IdNames {
    /// uid → user name.
    pub users: BTreeMap<u32, String>,
    /// gid → group name.
    pub groups: BTreeMap<u32, String>,
}

/// Parses the id column (third field) of passwd(5) / group(5) text: `name:x:id:…`. Lines that are
/// comments, NIS `+`/`-` entries or malformed are skipped (they name no local id).
pub fn parse_id_table(text: &str) -> BTreeMap<u32, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.starts_with('+') || line.starts_with('-') {
            continue;
        }
        let mut f = line.split(':');
        let (Some(name), Some(_), Some(id)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if let Ok(id) = id.trim().parse::<u32>() {
            // The first entry for an id is the one getpwuid(3) returns.
            out.entry(id).or_insert_with(|| name.to_owned());
        }
    }
    out
}

impl IdNames {
    /// Reads /etc/passwd and /etc/group of the image (absent files give empty tables).
    pub fn load(fs: &RootFs) -> Result<Self, FactError> {
        Ok(IdNames {
            users: fs
                .read_text("/etc/passwd")?
                .map(|t| parse_id_table(&t))
                .unwrap_or_default(),
            groups: fs
                .read_text("/etc/group")?
                .map(|t| parse_id_table(&t))
                .unwrap_or_default(),
        })
    }
}

/// The metadata of `path` (following a symlink inside the root) with names resolved.
pub fn file_meta(fs: &RootFs, ids: &IdNames, path: &str) -> Result<FileMeta, FactError> {
    let link = fs.symlink_metadata(path)?;
    let meta = match &link {
        Some(l) if l.kind == Kind::Symlink => fs.metadata(path)?,
        other => other.clone(),
    };
    let source = match (&link, &meta) {
        (Some(l), Some(_)) if l.kind == Kind::Symlink => {
            let target = fs.read_link(path)?.unwrap_or_default();
            Source {
                path: Some(path.to_owned()),
                line: None,
                note: Some(format!("symbolic link to {target}")),
            }
        }
        _ => Source::file(path),
    };
    Ok(match meta {
        None => FileMeta {
            present: false,
            kind: None,
            mode: None,
            uid: None,
            gid: None,
            owner: None,
            group: None,
            source,
        },
        Some(m) => FileMeta {
            present: true,
            kind: Some(m.kind),
            mode: Some(format!("{:04o}", m.mode)),
            uid: Some(m.uid),
            gid: Some(m.gid),
            owner: ids.users.get(&m.uid).cloned(),
            group: ids.groups.get(&m.gid).cloned(),
            source,
        },
    })
}

fn named_list(fs: &RootFs, ids: &IdNames, pattern: &str) -> Result<Vec<Named>, FactError> {
    fs.glob(pattern)?
        .into_iter()
        .map(|path| {
            Ok(Named {
                meta: file_meta(fs, ids, &path)?,
                path,
            })
        })
        .collect()
}

/// Whether a systemd unit is enabled by the administrator: a link named after it in a `*.wants/`
/// or `*.requires/` directory of /etc/systemd/system (what `systemctl enable` creates, see
/// systemctl(1)), or of the vendor directories /usr/lib/systemd/system and /lib/systemd/system
/// (units a package enables unconditionally). A unit masked in /etc/systemd/system (a link to
/// /dev/null) is never enabled. On Alpine, an OpenRC link /etc/runlevels/*/<name> counts. Returns
/// the deciding link as the source, or `None`.
///
/// A stopgap shared by the CIS collectors until `facts.services` lands on main.
pub fn systemd_unit_enabled(fs: &RootFs, unit: &str) -> Result<Option<Source>, FactError> {
    let mask = format!("/etc/systemd/system/{unit}");
    if fs.read_link(&mask)?.is_some_and(|t| t == "/dev/null") {
        return Ok(None);
    }
    for base in ["/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"] {
        for kind in ["wants", "requires"] {
            let hits = fs.glob(&format!("{base}/*.{kind}/{unit}"))?;
            if let Some(hit) = hits.into_iter().next() {
                return Ok(Some(Source::file(hit)));
            }
        }
    }
    if let Some(name) = unit.strip_suffix(".service")
        && let Some(hit) = fs.glob(&format!("/etc/runlevels/*/{name}"))?.into_iter().next()
    {
        return Ok(Some(Source::file(hit)));
    }
    Ok(None)
}

/// Collects the facts.
pub fn collect(fs: &RootFs, _ctx: &Context) -> Result<Files, FactError> {
    let ids = IdNames::load(fs)?;
    let mut paths = BTreeMap::new();
    for p in WELL_KNOWN {
        paths.insert((*p).to_owned(), file_meta(fs, &ids, p)?);
    }
    Ok(Files {
        paths,
        ssh_host_private_keys: named_list(fs, &ids, "/etc/ssh/ssh_host_*_key")?,
        ssh_host_public_keys: named_list(fs, &ids, "/etc/ssh/ssh_host_*_key.pub")?,
        sshd_config_dropins: named_list(fs, &ids, "/etc/ssh/sshd_config.d/*.conf")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_table_first_entry_wins_and_nis_lines_are_skipped() {
        let t = parse_id_table("root:x:0:0::/root:/bin/bash\ntoor:x:0:0::/:/bin/sh\n+::::::\n# c\nbad\n");
        assert_eq!(t.get(&0).map(String::as_str), Some("root"));
        assert_eq!(t.len(), 1);
    }
}
