//! The cron and at access lists: /etc/cron.allow, /etc/cron.deny, /etc/at.allow, /etc/at.deny.
//!
//! crontab(1) and at(1): when the allow file exists only the users listed in it may use the
//! command; otherwise, when the deny file exists, everyone not listed in it may. CIS wants the
//! allow file present (so the default is "nobody but root") and, on most benchmarks, no deny file
//! that could be mistaken for the control. One name per line; blank lines and `#` comments are
//! skipped (cronie and Debian's cron both skip them). File permissions are the `files` facts'
//! business, not this module's.

use std::collections::BTreeMap;

use serde::Serialize;

use super::super::{FactError, Source};
use crate::rootfs::RootFs;

/// The lists read.
pub const LISTS: &[&str] = &["/etc/cron.allow", "/etc/cron.deny", "/etc/at.allow", "/etc/at.deny"];

/// One allow or deny list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessList {
    /// The file exists.
    pub present: bool,
    /// The user names listed.
    pub users: Vec<String>,
    /// The file.
    pub source: Source,
}

/// The lists and whether the commands they govern are installed.
#[derive(Debug, Clone, Serialize)]
pub struct CronAt {
    /// cron is installed: /etc/crontab (shipped by Debian's cron and by cronie) or the crontab
    /// command exists.
    pub cron_installed: bool,
    /// at is installed: the at command or one of its lists exists (the at packages ship
    /// /etc/at.deny).
    pub at_installed: bool,
    /// The four lists by path.
    pub lists: BTreeMap<String, AccessList>,
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_not_users() {
        assert_eq!(parse("# allowed\nroot\n\n  admin \n"), vec!["root", "admin"]);
    }
}
