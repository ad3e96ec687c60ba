//! Host intrusion detection and anti-malware: whether the tools an image carries can work.
//!
//! - AIDE (aide.conf(5), AIDE 0.16 to 0.18): the configuration is /etc/aide/aide.conf (Debian,
//!   Ubuntu) or /etc/aide.conf (RHEL family, Alpine), the first that exists. The database AIDE
//!   checks against is `database_in` (`database` before 0.17; the last assignment wins), a URL
//!   whose `file:` form names the file. `@@define`/`@@undef` variables are expanded in `@@{VAR}`,
//!   and `@@ifdef`/`@@ifndef`/`@@else`/`@@endif` are followed; an undefined variable or a setting
//!   under `@@ifhost`/`@@ifnhost` (which depends on the host name of the machine that runs AIDE) is
//!   an error, not a guess. The database is initialised when that file starts as AIDE writes it:
//!   `@@begin_db`, or gzip's magic bytes for a compressed database (`gzip_dbout`).
//! - ClamAV: the signature databases (`*.cvd`, `*.cld`) in freshclam.conf's `DatabaseDirectory`
//!   (/etc/clamav/freshclam.conf on Debian, /etc/freshclam.conf on the RHEL family; default
//!   /var/lib/clamav). Each has a 512-byte header `ClamAV-VDB:time:version:sigs:flevel:md5:dsig:
//!   builder:stime` (libclamav's cl_cvdparse); the build time is `stime` (seconds since the epoch)
//!   or, in old databases without it, the date at the start of the time field. The age that
//!   counts is the daily database's (daily.cvd or daily.cld, the newer), in days to `--as-of`.
//! - Wazuh and OSSEC agents: /var/ossec/etc/ossec.conf and the manager it reports to, the first
//!   `<address>` (or the older `<server-ip>` / `<server-hostname>`) inside `<client>`, comments
//!   removed. The installers' placeholder `MANAGER_IP` is no manager.
//!
//! Installation and enablement come from the `packages` and `services` facts; the schedule of
//! AIDE's check from `access.cron_at.aide_jobs` and the timers in `services`.
//!
//! Deliberately not modelled: AIDE's `@@include`/`@@x_include` files (a database setting only
//! there is not seen, so the rule fails rather than passes), ClamAV's `.cud` and unsigned
//! databases, and whether the agents' daemons can reach their manager (only the running system
//! shows that).

use serde::Serialize;

use super::{Collected, Context, Fact, FactError, Source};
use crate::rootfs::RootFs;

/// AIDE's configuration files, in the order they are tried.
pub const AIDE_CONFIGS: &[&str] = &["/etc/aide/aide.conf", "/etc/aide.conf"];
/// freshclam's configuration files, in the order they are tried.
pub const FRESHCLAM_CONFIGS: &[&str] = &["/etc/clamav/freshclam.conf", "/etc/freshclam.conf"];
/// ClamAV's compiled-in database directory.
pub const CLAMAV_DEFAULT_DIR: &str = "/var/lib/clamav";
/// The Wazuh and OSSEC agent configuration.
pub const OSSEC_CONF: &str = "/var/ossec/etc/ossec.conf";
/// The size of a ClamAV database header.
const CVD_HEADER: u64 = 512;
/// Most signature databases looked at in one directory.
const MAX_DATABASES: usize = 1000;

/// AIDE.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Aide {
    /// The configuration file read; absent when neither /etc/aide/aide.conf nor /etc/aide.conf
    /// exists.
    pub config: Option<String>,
    /// The database file AIDE checks against (`database_in`, or `database` before AIDE 0.17),
    /// with the line that set it; absent when the configuration sets none.
    pub database: Option<Fact<String>>,
    /// The database file exists and starts as AIDE writes one (`@@begin_db`, or gzip's magic
    /// bytes): `aide --init` has run and its output was put in place.
    pub database_initialised: Fact<bool>,
}

/// One ClamAV signature database.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SignatureDb {
    /// File name (`daily.cld`).
    pub name: String,
    /// The database version from its header.
    pub version: u64,
    /// Build date from its header (UTC), `YYYY-MM-DD`.
    pub built: String,
    /// The file.
    pub source: Source,
}

/// ClamAV.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ClamAv {
    /// freshclam's `DatabaseDirectory` (default /var/lib/clamav).
    pub database_dir: Fact<String>,
    /// The `.cvd` and `.cld` databases there, by name.
    pub databases: Vec<SignatureDb>,
    /// Days from the daily database's build date to `--as-of` (the newer of daily.cvd and
    /// daily.cld); absent when there is no daily database.
    pub daily_age_days: Option<Fact<i64>>,
}

/// A Wazuh or OSSEC agent's configuration.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Ossec {
    /// /var/ossec/etc/ossec.conf exists.
    pub configured: bool,
    /// The manager the agent reports to; absent when none is set (or the installer's
    /// `MANAGER_IP` placeholder is left).
    pub manager_address: Option<Fact<String>>,
}

/// Host intrusion detection and anti-malware.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Hids {
    /// AIDE's configuration and database.
    pub aide: Collected<Aide>,
    /// ClamAV's signature databases.
    pub clamav: Collected<ClamAv>,
    /// A Wazuh or OSSEC agent.
    pub ossec: Collected<Ossec>,
}

/// A condition of aide.conf: known true or false, or unknown (`@@ifhost`).
type Cond = Option<bool>;

fn expand(line: &str, vars: &std::collections::BTreeMap<String, Option<String>>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("@@{") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 3..];
        let end = after.find('}').ok_or_else(|| "an unterminated @@{".to_owned())?;
        let name = &after[..end];
        match vars.get(name) {
            Some(Some(v)) => out.push_str(v),
            Some(None) => {
                return Err(format!(
                    "@@{{{name}}} is defined under @@ifhost/@@ifnhost: its value depends on the host name"
                ));
            }
            None => return Err(format!("@@{{{name}}} is not defined")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The database `database_in` (or `database`) names in an aide.conf: (URL as written after
/// expansion, line), the last assignment; `Err((line, why))` when it cannot be told.
pub fn parse_aide_database(text: &str) -> Result<Option<(String, u32)>, (u32, String)> {
    let mut vars: std::collections::BTreeMap<String, Option<String>> = std::collections::BTreeMap::new();
    let mut stack: Vec<Cond> = Vec::new();
    let mut found = None;
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Inactive when some enclosing condition is false; unknown when none is false but one is
        // unknown.
        let active: Cond = if stack.contains(&Some(false)) {
            Some(false)
        } else if stack.contains(&None) {
            None
        } else {
            Some(true)
        };
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or_default();
        match first {
            "@@ifdef" | "@@ifndef" => {
                let name = words.next().unwrap_or_default();
                let defined = match vars.get(name) {
                    Some(Some(_)) => Some(true),
                    Some(None) => None,
                    None => Some(false),
                };
                stack.push(if first == "@@ifdef" {
                    defined
                } else {
                    defined.map(|d| !d)
                });
                continue;
            }
            "@@ifhost" | "@@ifnhost" => {
                stack.push(None);
                continue;
            }
            "@@else" => {
                match stack.last_mut() {
                    Some(top) => *top = top.map(|b| !b),
                    None => return Err((n, "@@else without @@if".into())),
                }
                continue;
            }
            "@@endif" => {
                if stack.pop().is_none() {
                    return Err((n, "@@endif without @@if".into()));
                }
                continue;
            }
            _ => {}
        }
        if active == Some(false) {
            continue;
        }
        match first {
            "@@define" => {
                let name = words.next().unwrap_or_default().to_owned();
                let value = words.collect::<Vec<_>>().join(" ");
                vars.insert(name, active.map(|_| value));
                continue;
            }
            "@@undef" => {
                let name = words.next().unwrap_or_default();
                if active.is_some() {
                    vars.remove(name);
                } else {
                    vars.insert(name.to_owned(), None);
                }
                continue;
            }
            _ if first.starts_with("@@") => continue,
            _ => {}
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key != "database_in" && key != "database" {
            continue;
        }
        if active.is_none() {
            return Err((
                n,
                format!("{key} is set under @@ifhost/@@ifnhost: which value applies depends on the host name"),
            ));
        }
        let value = expand(value.trim(), &vars).map_err(|e| (n, e))?;
        found = Some((value, n));
    }
    Ok(found)
}

/// The file a database URL names: `file:/p` and `file:///p` (and a bare absolute path) name `/p`;
/// other URL kinds (`stdin:`, `fd:`, `sql:`) name no file.
pub fn database_file(url: &str) -> Option<String> {
    let path = url
        .strip_prefix("file://")
        .or_else(|| url.strip_prefix("file:"))
        .unwrap_or(url);
    path.starts_with('/').then(|| path.to_owned())
}

/// Whether `head` starts as an AIDE database does: `@@begin_db` (plain) or gzip's magic bytes.
pub fn looks_like_aide_db(head: &[u8]) -> bool {
    head.starts_with(b"@@begin_db") || head.starts_with(&[0x1f, 0x8b])
}

fn collect_aide(fs: &RootFs) -> Result<Aide, FactError> {
    let mut config = None;
    let mut text = None;
    for c in AIDE_CONFIGS {
        if let Some(t) = fs.read_text(c)? {
            config = Some((*c).to_owned());
            text = Some(t);
            break;
        }
    }
    let (Some(config), Some(text)) = (config, text) else {
        return Ok(Aide {
            config: None,
            database: None,
            database_initialised: Fact::new(
                false,
                Source::note("no aide.conf (/etc/aide/aide.conf, /etc/aide.conf)"),
            ),
        });
    };
    let database = parse_aide_database(&text)
        .map_err(|(line, msg)| FactError::Parse {
            path: config.clone(),
            line,
            msg,
        })?
        .map(|(url, line)| Fact::new(url, Source::at(config.as_str(), line)));
    let initialised = match &database {
        None => Fact::new(false, Source::note(format!("{config} sets no database_in"))),
        Some(db) => match database_file(&db.value) {
            None => Fact::new(false, Source::note(format!("database_in {:?} names no file", db.value))),
            Some(path) => match fs.read_head(&path, 16)? {
                None => Fact::new(
                    false,
                    Source {
                        path: Some(path.clone()),
                        line: None,
                        note: Some("absent: aide --init has not run, or its output was not moved into place".into()),
                    },
                ),
                Some(head) => {
                    let ok = looks_like_aide_db(&head);
                    let note = if ok {
                        "starts as an AIDE database"
                    } else if head.is_empty() {
                        "empty"
                    } else {
                        "does not start as an AIDE database (@@begin_db, or gzip data)"
                    };
                    Fact::new(
                        ok,
                        Source {
                            path: Some(path.clone()),
                            line: None,
                            note: Some(note.into()),
                        },
                    )
                }
            },
        },
    };
    Ok(Aide {
        config: Some(config),
        database,
        database_initialised: initialised,
    })
}

/// The value of `DatabaseDirectory` in a freshclam.conf (the last one), with its line.
pub fn parse_database_directory(text: &str) -> Option<(String, u32)> {
    let mut found = None;
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.starts_with('#') {
            continue;
        }
        let mut parts = l.splitn(2, char::is_whitespace);
        if parts.next() == Some("DatabaseDirectory")
            && let Some(v) = parts.next()
        {
            let v = v.trim().trim_matches('"');
            if !v.is_empty() {
                found = Some((v.to_owned(), u32::try_from(i + 1).unwrap_or(u32::MAX)));
            }
        }
    }
    found
}

/// Why a ClamAV database header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvdError {
    /// The file does not start with `ClamAV-VDB:` (not a signature database, or a damaged one).
    #[error("no ClamAV-VDB header")]
    NoHeader,
    /// The second field is not a version number.
    #[error("the header has no version")]
    NoVersion,
    /// The build time (seconds since the epoch, or a date) does not parse.
    #[error("the build time {value:?} is not a {expected}")]
    BuildTime {
        /// The field as found.
        value: String,
        /// `"number"` (seconds since the epoch) or `"date"`.
        expected: &'static str,
    },
    /// The build time is a number outside the dates representable.
    #[error("the build time {0} is out of range")]
    OutOfRange(i64),
}

/// The (version, build date) in a ClamAV database header, or why it is not one.
pub fn parse_cvd_header(head: &[u8]) -> Result<(u64, jiff::civil::Date), CvdError> {
    let rest = head.strip_prefix(b"ClamAV-VDB:").ok_or(CvdError::NoHeader)?;
    let text = String::from_utf8_lossy(rest);
    let fields: Vec<&str> = text.split(':').collect();
    let version: u64 = fields
        .get(1)
        .and_then(|v| v.trim().parse().ok())
        .ok_or(CvdError::NoVersion)?;
    // stime: seconds since the epoch, padded with spaces (and NULs in some builders).
    let stime = fields
        .get(7)
        .map(|s| s.trim_end_matches([' ', '\0']).trim())
        .filter(|s| !s.is_empty());
    let date = match stime {
        Some(s) => {
            let secs: i64 = s.parse().map_err(|_| CvdError::BuildTime {
                value: s.to_owned(),
                expected: "number",
            })?;
            jiff::Timestamp::from_second(secs)
                .map_err(|_| CvdError::OutOfRange(secs))?
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date()
        }
        None => {
            // "16 Sep 2021 08-32 -0400": the date is the first three words.
            let t = fields.first().copied().unwrap_or_default();
            let w: Vec<&str> = t.split_whitespace().collect();
            let (Some(d), Some(m), Some(y)) = (w.first(), w.get(1), w.get(2)) else {
                return Err(CvdError::BuildTime {
                    value: t.to_owned(),
                    expected: "date",
                });
            };
            let month = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ]
            .iter()
            .position(|n| n == m)
            .ok_or_else(|| CvdError::BuildTime {
                value: t.to_owned(),
                expected: "date",
            })?;
            let (d, y): (i8, i16) = (
                d.parse().map_err(|_| CvdError::BuildTime {
                    value: t.to_owned(),
                    expected: "date",
                })?,
                y.parse().map_err(|_| CvdError::BuildTime {
                    value: t.to_owned(),
                    expected: "date",
                })?,
            );
            jiff::civil::Date::new(y, i8::try_from(month + 1).unwrap_or(1), d).map_err(|_| CvdError::BuildTime {
                value: t.to_owned(),
                expected: "date",
            })?
        }
    };
    Ok((version, date))
}

fn collect_clamav(fs: &RootFs, ctx: &Context) -> Result<ClamAv, FactError> {
    let mut database_dir = Fact::new(
        CLAMAV_DEFAULT_DIR.to_owned(),
        Source::note("DatabaseDirectory not set: ClamAV's default"),
    );
    for c in FRESHCLAM_CONFIGS {
        if let Some(text) = fs.read_text(c)? {
            if let Some((dir, line)) = parse_database_directory(&text) {
                database_dir = Fact::new(dir, Source::at(*c, line));
            }
            break;
        }
    }
    let mut databases = Vec::new();
    let entries = match fs.read_dir(&database_dir.value) {
        Ok(Some(e)) => e,
        Ok(None) | Err(crate::rootfs::RootFsError::WrongKind { .. }) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let mut names: Vec<_> = entries
        .into_iter()
        .filter(|e| e.name.ends_with(".cvd") || e.name.ends_with(".cld"))
        .collect();
    names.sort_by(|a, b| a.name.cmp(&b.name));
    if names.len() > MAX_DATABASES {
        return Err(FactError::Limit {
            path: database_dir.value.clone(),
            limit: MAX_DATABASES as u64,
            what: "signature databases",
        });
    }
    let mut daily: Option<(jiff::civil::Date, Source)> = None;
    for e in names {
        let Some(head) = fs.read_head(&e.path, CVD_HEADER)? else {
            continue;
        };
        let (version, built) = parse_cvd_header(&head).map_err(|error| FactError::Parse {
            path: e.path.clone(),
            line: 1,
            msg: error.to_string(),
        })?;
        let source = Source {
            path: Some(e.path.clone()),
            line: None,
            note: Some(format!("version {version}, built {built}")),
        };
        if (e.name == "daily.cvd" || e.name == "daily.cld") && daily.as_ref().is_none_or(|(d, _)| built > *d) {
            daily = Some((built, source.clone()));
        }
        databases.push(SignatureDb {
            name: e.name.clone(),
            version,
            built: built.to_string(),
            source,
        });
    }
    let daily_age_days =
        daily.and_then(|(d, src)| d.until(ctx.as_of).ok().map(|s| Fact::new(i64::from(s.get_days()), src)));
    Ok(ClamAv {
        database_dir,
        databases,
        daily_age_days,
    })
}

/// Replaces XML comments with spaces, keeping line ends (so line numbers stay right).
fn blank_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("<!--") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let end = after.find("-->").map_or(after.len(), |e| e + 3);
        out.extend(after[..end].chars().map(|c| if c == '\n' { '\n' } else { ' ' }));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The manager an ossec.conf's `<client>` names: (address, line); none when unset or left at the
/// installer's `MANAGER_IP` placeholder.
pub fn parse_manager_address(text: &str) -> Option<(String, u32)> {
    let text = blank_comments(text);
    let start = text.find("<client>")?;
    let end = text[start..].find("</client>").map_or(text.len(), |e| start + e);
    let client = &text[start..end];
    let mut best: Option<(usize, String)> = None;
    for tag in ["address", "server-ip", "server-hostname"] {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        if let Some(a) = client.find(&open)
            && let Some(b) = client[a..].find(&close)
        {
            let v = client[a + open.len()..a + b].trim().to_owned();
            if best.as_ref().is_none_or(|(at, _)| a < *at) {
                best = Some((a, v));
            }
        }
    }
    let (at, v) = best?;
    if v.is_empty() || v == "MANAGER_IP" {
        return None;
    }
    let line = crate::text::line_at(text, start + at);
    Some((v, u32::try_from(line).unwrap_or(u32::MAX)))
}

fn collect_ossec(fs: &RootFs) -> Result<Ossec, FactError> {
    let Some(text) = fs.read_text(OSSEC_CONF)? else {
        return Ok(Ossec {
            configured: false,
            manager_address: None,
        });
    };
    Ok(Ossec {
        configured: true,
        manager_address: parse_manager_address(&text).map(|(a, line)| Fact::new(a, Source::at(OSSEC_CONF, line))),
    })
}

/// Collects the facts; each tool's part on its own, so one unreadable file leaves the others.
pub fn collect(fs: &RootFs, ctx: &Context) -> Result<Hids, FactError> {
    Ok(Hids {
        aide: collect_aide(fs).into(),
        clamav: collect_clamav(fs, ctx).into(),
        ossec: collect_ossec(fs).into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_database_in_wins_with_defines_expanded() {
        let conf = "@@define DBDIR /var/lib/aide\n# database_in=file:/nowhere\ndatabase=file:/old/aide.db\ndatabase_in=file:@@{DBDIR}/aide.db.gz\ndatabase_out=file:@@{DBDIR}/aide.db.new.gz\n";
        assert_eq!(
            parse_aide_database(conf),
            Ok(Some(("file:/var/lib/aide/aide.db.gz".into(), 4)))
        );
        assert_eq!(parse_aide_database("database_out=file:/x\n"), Ok(None));
    }

    /// The head of aide-common 0.18.3's /etc/aide/aide.conf (Debian 12): directives this reader
    /// does not model (`@@x_include_setenv`, `@@x_include`) are passed over, and
    /// `database_attrs` is not the database.
    #[test]
    fn debian_12_aide_conf_names_var_lib_aide_aide_db() {
        let conf = "# AIDE conf\n\n# set environment for executable config files included by x_include\n@@x_include_setenv UPAC_settingsd /etc/aide/aide.settings.d\n@@x_include_setenv PATH /bin:/usr/bin\n\n# The daily cron job depends on these paths\ndatabase_in=file:/var/lib/aide/aide.db\ndatabase_out=file:/var/lib/aide/aide.db.new\ndatabase_new=file:/var/lib/aide/aide.db.new\n\ndatabase_attrs = Checksums\n@@x_include /etc/aide/aide.conf.d ^[a-zA-Z0-9_-]+$\n";
        let (url, line) = parse_aide_database(conf).unwrap().unwrap();
        assert_eq!((url.as_str(), line), ("file:/var/lib/aide/aide.db", 8));
        assert_eq!(database_file(&url).as_deref(), Some("/var/lib/aide/aide.db"));
    }

    #[test]
    fn conditionals_are_followed_and_host_conditions_are_errors() {
        let conf = "@@ifndef TOPDIR\n@@define TOPDIR /srv\n@@endif\n@@ifdef TOPDIR\ndatabase_in=file:@@{TOPDIR}/a.db\n@@else\ndatabase_in=file:/b.db\n@@endif\n";
        assert_eq!(parse_aide_database(conf), Ok(Some(("file:/srv/a.db".into(), 5))));
        let host = "@@ifhost build01\ndatabase_in=file:/x.db\n@@endif\n";
        assert!(parse_aide_database(host).unwrap_err().1.contains("host name"));
        // Skipped under a false condition even when it names an unknown variable.
        assert_eq!(
            parse_aide_database("@@ifdef NOPE\ndatabase_in=file:@@{NOPE}/x\n@@endif\n"),
            Ok(None)
        );
        assert!(
            parse_aide_database("database_in=file:@@{NOPE}/x\n")
                .unwrap_err()
                .1
                .contains("not defined")
        );
        assert!(parse_aide_database("@@endif\n").is_err());
    }

    #[test]
    fn database_urls_name_files_only_with_the_file_scheme() {
        assert_eq!(
            database_file("file:/var/lib/aide/aide.db").as_deref(),
            Some("/var/lib/aide/aide.db")
        );
        assert_eq!(
            database_file("file:///var/lib/aide/aide.db").as_deref(),
            Some("/var/lib/aide/aide.db")
        );
        assert_eq!(
            database_file("/var/lib/aide/aide.db").as_deref(),
            Some("/var/lib/aide/aide.db")
        );
        assert_eq!(database_file("stdin:"), None);
        assert_eq!(database_file("fd:3"), None);
        assert!(looks_like_aide_db(b"@@begin_db\n"));
        assert!(looks_like_aide_db(&[0x1f, 0x8b, 8, 0]));
        assert!(!looks_like_aide_db(b""));
        assert!(!looks_like_aide_db(b"# not a database"));
    }

    #[test]
    fn cvd_headers_give_version_and_build_date() {
        let h = b"ClamAV-VDB:05 Nov 2026 09-26 +0000:27812:2071364:90:X:Y:raynman:1793957160     ";
        let (v, d) = parse_cvd_header(h).unwrap();
        assert_eq!(v, 27812);
        assert_eq!(d.to_string(), "2026-11-06");
        // Without stime (old databases), the date of the time field.
        let (_, d) = parse_cvd_header(b"ClamAV-VDB:16 Sep 2021 08-32 -0400:62:6647427:90:X:Y:sigmgr").unwrap();
        assert_eq!(d.to_string(), "2021-09-16");
        assert!(parse_cvd_header(b"\x1f\x8bgzip").is_err());
        assert!(parse_cvd_header(b"ClamAV-VDB:x:notanumber:").is_err());
        assert!(parse_cvd_header(b"ClamAV-VDB:x:1:2:3:4:5:6:soon").is_err());
        assert!(parse_cvd_header(b"ClamAV-VDB:yesterday:1:2:3:4:5:6").is_err());
    }

    #[test]
    fn malformed_cvd_headers_are_typed_errors() {
        assert_eq!(parse_cvd_header(b"\x1f\x8bgzip"), Err(CvdError::NoHeader));
        assert_eq!(parse_cvd_header(b"ClamAV-VDB:x:notanumber:"), Err(CvdError::NoVersion));
        assert_eq!(
            parse_cvd_header(b"ClamAV-VDB:x:1:2:3:4:5:6:soon"),
            Err(CvdError::BuildTime {
                value: "soon".into(),
                expected: "number"
            })
        );
        let e = parse_cvd_header(b"ClamAV-VDB:yesterday:1:2:3:4:5:6").unwrap_err();
        assert_eq!(
            e,
            CvdError::BuildTime {
                value: "yesterday".into(),
                expected: "date"
            }
        );
        assert_eq!(e.to_string(), "the build time \"yesterday\" is not a date");
    }

    #[test]
    fn freshclam_database_directory_last_wins() {
        let t = "# DatabaseDirectory /nope\nDatabaseDirectory /var/lib/clamav\nDatabaseDirectory /srv/clamav\n";
        assert_eq!(parse_database_directory(t), Some(("/srv/clamav".into(), 3)));
        assert_eq!(parse_database_directory("LogVerbose yes\n"), None);
    }

    #[test]
    fn the_manager_address_ignores_comments_and_the_placeholder() {
        let conf = "<ossec_config>\n  <client>\n    <!-- <address>10.9.9.9</address> -->\n    <server>\n      <address>10.0.0.5</address>\n    </server>\n  </client>\n</ossec_config>\n";
        assert_eq!(parse_manager_address(conf), Some(("10.0.0.5".into(), 5)));
        let placeholder =
            "<ossec_config><client><server><address>MANAGER_IP</address></server></client></ossec_config>";
        assert_eq!(parse_manager_address(placeholder), None);
        let old = "<ossec_config>\n<client>\n<server-ip>192.0.2.1</server-ip>\n</client>\n</ossec_config>\n";
        assert_eq!(parse_manager_address(old), Some(("192.0.2.1".into(), 3)));
        // An address outside <client> (a manager's own configuration) is not the agent's manager.
        assert_eq!(
            parse_manager_address("<ossec_config><remote><address>1.2.3.4</address></remote></ossec_config>"),
            None
        );
    }

    /// Generated, bounded inputs: the parsers return (never panic) on arbitrary text made of the
    /// directives and punctuation they look for.
    #[test]
    fn parsers_never_panic_on_generated_input() {
        let pieces = [
            "@@define ",
            "@@undef ",
            "@@ifdef ",
            "@@ifndef ",
            "@@ifhost ",
            "@@else",
            "@@endif",
            "@@{",
            "}",
            "database_in",
            "=",
            "file:",
            "/x",
            "\n",
            " ",
            "#",
            "<client>",
            "</client>",
            "<address>",
            "</address>",
            "<!--",
            "-->",
            "ClamAV-VDB:",
            ":",
            "1",
            "Sep",
            "é",
        ];
        let mut rng = crate::testing::Xorshift::new(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3000 {
            let mut s = String::new();
            for _ in 0..rng.below(24) {
                s.push_str(pieces[rng.below(pieces.len())]);
            }
            let _ = parse_aide_database(&s);
            let _ = parse_manager_address(&s);
            let _ = parse_cvd_header(s.as_bytes());
            let _ = parse_database_directory(&s);
        }
    }
}
