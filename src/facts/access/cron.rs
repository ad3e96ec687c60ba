//! The cron and at access lists: /etc/cron.allow, /etc/cron.deny, /etc/at.allow, /etc/at.deny.
//!
//! crontab(1) and at(1): when the allow file exists only the users listed in it may use the
//! command; otherwise, when the deny file exists, everyone not listed in it may. CIS wants the
//! allow file present (so the default is "nobody but root") and, on most benchmarks, no deny file
//! that could be mistaken for the control. One name per line; blank lines and `#` comments are
//! skipped (cronie and Debian's cron both skip them). File permissions are the `files` facts'
//! business, not this module's.
//!
//! Also the cron jobs that run AIDE (`aide_jobs`), for "filesystem integrity is regularly checked":
//! job lines of /etc/crontab, /etc/cron.d/*, root's crontab (/var/spool/cron/crontabs/root on
//! Debian, /var/spool/cron/root on RHEL) whose command runs `aide` or `aide.wrapper` (crontab(5):
//! a job line starts with a time field or an `@` nickname; `NAME=value` lines and `#` comments are
//! not jobs), and the run-parts scripts in /etc/cron.{hourly,daily,weekly,monthly} that are named
//! after aide (aide, dailyaidecheck) or run aide on a non-comment line. Files cron or run-parts
//! skip are skipped: names ending in `~` or carrying a package-manager suffix (`.dpkg-old`,
//! `.rpmnew`, …). Deliberately not modelled: Debian's stricter run-parts rule that also skips any
//! name with a dot (cronie runs them), whether the job's schedule is sensible, and whether the
//! script exits early (Debian's dailyaidecheck defers to its systemd timer when systemd runs: the
//! timer is a `services` fact).

use std::collections::BTreeMap;

use serde::Serialize;

use super::super::{Collected, FactError, Source};
use crate::rootfs::RootFs;

/// The lists read.
pub const LISTS: &[&str] = &["/etc/cron.allow", "/etc/cron.deny", "/etc/at.allow", "/etc/at.deny"];

/// One allow or deny list.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AccessList {
    /// The file exists.
    pub present: bool,
    /// The user names listed.
    pub users: Vec<String>,
    /// The file.
    pub source: Source,
}

/// The lists and whether the commands they govern are installed.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CronAt {
    /// cron is installed: /etc/crontab (shipped by Debian's cron and by cronie) or the crontab
    /// command exists.
    pub cron_installed: bool,
    /// at is installed: the at command or one of its lists exists (the at packages ship
    /// /etc/at.deny).
    pub at_installed: bool,
    /// The four lists by path.
    pub lists: BTreeMap<String, AccessList>,
    /// The cron jobs and periodic scripts that run AIDE, in the order read.
    pub aide_jobs: Collected<Vec<CronJob>>,
}

/// One cron job line or periodic script.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CronJob {
    /// The job line as written (for a periodic script, its path).
    pub command: String,
    /// The file and line.
    pub source: Source,
}

/// Crontabs in the system format (with a user field) and root's own crontab.
const CRONTABS: &[&str] = &["/etc/crontab", "/var/spool/cron/crontabs/root", "/var/spool/cron/root"];
/// Directories of system-format crontabs.
const CRON_D: &str = "/etc/cron.d";
/// run-parts directories.
const PERIODIC: &[&str] = &[
    "/etc/cron.hourly",
    "/etc/cron.daily",
    "/etc/cron.weekly",
    "/etc/cron.monthly",
];
/// Largest crontab or script read; real ones are a few KiB.
const JOB_FILE_LIMIT: u64 = crate::rootfs::limits::CRON_FILE;

/// Whether cron or run-parts would skip a file of this name: editor backups and the leftovers
/// package managers write next to a changed configuration file. A name that is not UTF-8 is
/// skipped too: Debian's cron and run-parts ignore every name outside `[A-Za-z0-9_-]` while
/// cronie reads it, so a job there is no evidence that anything runs.
pub fn skipped_name(name: &str) -> bool {
    std::str::from_utf8(&crate::names::bytes(name)).is_err()
        || name.starts_with('.')
        || name.ends_with('~')
        || [".dpkg-", ".ucf-", ".rpmsave", ".rpmorig", ".rpmnew", ".swp", ".cfsaved"]
            .iter()
            .any(|s| name.contains(s))
}

/// Whether a command line runs AIDE: one of its words is `aide` or `aide.wrapper`, by itself or
/// as the last component of a path (`/usr/bin/aide --check`, `nice aide.wrapper`).
pub fn runs_aide(command: &str) -> bool {
    command
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')' | '`' | '"' | '\''))
        .map(|w| w.rsplit('/').next().unwrap_or(w))
        .any(|w| w == "aide" || w == "aide.wrapper")
}

/// The job lines of a crontab that run AIDE, with their line numbers (1-based). crontab(5): a job
/// starts with a minute field (digit or `*`) or an `@` nickname; anything else that is not blank or
/// a comment is an environment assignment.
pub fn parse_aide_jobs(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let l = l.trim();
            let job = l.starts_with(|c: char| c.is_ascii_digit() || c == '*' || c == '@');
            (job && runs_aide(l)).then(|| (u32::try_from(i + 1).unwrap_or(u32::MAX), l.to_owned()))
        })
        .collect()
}

/// The first non-comment line of a script that runs AIDE (1-based), if any.
pub fn script_runs_aide(text: &str) -> Option<u32> {
    text.lines()
        .position(|l| {
            let l = l.trim();
            !l.starts_with('#') && runs_aide(l)
        })
        .map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX))
}

fn aide_jobs(fs: &RootFs) -> Result<Vec<CronJob>, FactError> {
    let mut jobs = Vec::new();
    let mut crontabs: Vec<String> = CRONTABS.iter().map(|p| (*p).to_owned()).collect();
    if let Some(entries) = fs.read_dir(CRON_D)? {
        crontabs.extend(entries.into_iter().filter(|e| !skipped_name(&e.name)).map(|e| e.path));
    }
    for path in &crontabs {
        let Some(text) = read_regular(fs, path)? else { continue };
        for (line, command) in parse_aide_jobs(&text) {
            jobs.push(CronJob {
                command,
                source: Source::at(path.as_str(), line),
            });
        }
    }
    for dir in PERIODIC {
        for e in fs.read_dir(dir)?.unwrap_or_default() {
            if skipped_name(&e.name) {
                continue;
            }
            let Some(text) = read_regular(fs, &e.path)? else {
                continue;
            };
            let source = match script_runs_aide(&text) {
                Some(line) => Source::at(e.path.as_str(), line),
                None if e.name.contains("aide") => Source::file(e.path.as_str()),
                None => continue,
            };
            jobs.push(CronJob {
                command: e.path.clone(),
                source,
            });
        }
    }
    Ok(jobs)
}

/// A regular file's text (following symlinks); None for anything else or absent.
fn read_regular(fs: &RootFs, path: &str) -> Result<Option<String>, FactError> {
    match fs.metadata(path)? {
        Some(m) if m.kind == crate::rootfs::Kind::File => Ok(fs.read_text_limited(path, JOB_FILE_LIMIT)?),
        _ => Ok(None),
    }
}

/// Parses an allow/deny list.
pub fn parse(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Reads the lists.
pub fn collect(fs: &RootFs) -> Result<CronAt, FactError> {
    let mut lists = BTreeMap::new();
    for p in LISTS {
        let text = fs.read_text(p)?;
        lists.insert(
            (*p).to_owned(),
            AccessList {
                present: text.is_some(),
                users: text.as_deref().map(parse).unwrap_or_default(),
                source: Source::file(*p),
            },
        );
    }
    let listed = |p: &str| lists.get(p).is_some_and(|l: &AccessList| l.present);
    let exists = |p: &str| -> Result<bool, FactError> { Ok(fs.metadata(p)?.is_some()) };
    Ok(CronAt {
        cron_installed: exists("/etc/crontab")? || exists("/usr/bin/crontab")?,
        at_installed: exists("/usr/bin/at")? || listed("/etc/at.allow") || listed("/etc/at.deny"),
        lists,
        aide_jobs: aide_jobs(fs).into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_not_users() {
        assert_eq!(parse("# allowed\nroot\n\n  admin \n"), vec!["root", "admin"]);
    }

    #[test]
    fn aide_job_lines_are_found_by_command_word_not_substring() {
        let tab = "SHELL=/bin/sh\nAIDE_OPTS=--check aide\n# 0 5 * * * root /usr/bin/aide --check\n\
                   0 5 * * * root /usr/sbin/aide --check\n@daily root nice aide.wrapper --check\n\
                   0 1 * * * root /usr/local/bin/aide-report\n*/5 * * * * root guide\n";
        assert_eq!(
            parse_aide_jobs(tab),
            vec![
                (4, "0 5 * * * root /usr/sbin/aide --check".to_owned()),
                (5, "@daily root nice aide.wrapper --check".to_owned()),
            ]
        );
    }

    #[test]
    fn environment_lines_mentioning_aide_are_not_jobs() {
        assert!(parse_aide_jobs("PATH=/usr/bin:/usr/sbin aide\nMAILTO=aide\n").is_empty());
    }

    #[test]
    fn script_comment_mentioning_aide_does_not_count() {
        assert_eq!(script_runs_aide("#!/bin/sh\n# runs aide daily\nexit 0\n"), None);
        assert_eq!(
            script_runs_aide("#!/bin/sh\n[ -x /usr/bin/aide ] || exit 0\n/usr/bin/aide --check\n"),
            Some(2)
        );
    }

    #[test]
    fn package_manager_leftovers_are_skipped_names() {
        assert!(skipped_name("aide.dpkg-old"));
        assert!(skipped_name("aide~"));
        assert!(skipped_name("aide.rpmnew"));
        assert!(!skipped_name("aide"));
        assert!(skipped_name(&crate::names::text(b"aide\xff")));
        assert!(!skipped_name("aidé"));
        assert!(!skipped_name("0hourly"));
    }
}
