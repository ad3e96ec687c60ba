//! Access-control facts: PAM stacks, /etc/login.defs, sudoers, shell timeout and umask in the
//! profile files, cron and at allow/deny lists, login banners and the MTA's listening interfaces.
//!
//! Each part is collected on its own and stored as a nested [`Collected`], so one unreadable file
//! (say a sudoers.d file only root can read) turns the rules that need that part into errors while
//! every other part is still evaluated. The parsers and the man pages they follow are documented in
//! the submodules; this module only wires them together.

pub mod banners;
pub mod cron;
pub mod login_defs;
pub mod mta;
pub mod pam;
pub mod shell;
pub mod sudo;

use serde::Serialize;

use super::{Collected, Context, FactError};
use crate::rootfs::RootFs;

/// The most directory entries read from one drop-in directory (/etc/pam.d, sudoers.d,
/// profile.d): a bound against hostile roots, far above what real systems have.
pub(crate) const MAX_DIR_ENTRIES: usize = 1024;

/// PAM, login.defs, sudo, su, shell timeout and umask, cron and at, banners, MTA.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Access {
    /// The PAM stacks and what they configure.
    pub pam: Collected<pam::Pam>,
    /// /etc/login.defs.
    pub login_defs: Collected<login_defs::LoginDefs>,
    /// The sudoers policy.
    pub sudo: Collected<sudo::Sudo>,
    /// TMOUT and umask in the shell start-up files.
    pub shell: Collected<shell::Shell>,
    /// cron.allow, cron.deny, at.allow, at.deny, by path.
    pub cron_at: Collected<cron::CronAt>,
    /// /etc/issue, /etc/issue.net, /etc/motd, by path.
    pub banners: Collected<banners::Banners>,
    /// The local MTA's listening interfaces.
    pub mta: Collected<mta::Mta>,
}

/// Collects every part; a part that fails is recorded as unavailable, the others still count.
pub fn collect(fs: &RootFs, _ctx: &Context) -> Result<Access, FactError> {
    let login_defs: Collected<login_defs::LoginDefs> = login_defs::collect(fs).into();
    let pam = pam::collect(fs, login_defs.ok()).into();
    Ok(Access {
        pam,
        sudo: sudo::collect(fs).into(),
        shell: shell::collect(fs).into(),
        cron_at: cron::collect(fs).into(),
        banners: banners::collect(fs).into(),
        mta: mta::collect(fs).into(),
        login_defs,
    })
}

/// Joins lines ending in a backslash with the next one (PAM and sudoers both allow it), keeping
/// the 1-based number of the first physical line of each logical line.
pub(crate) fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0u32;
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if cur.is_empty() {
            start = n;
        }
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(body) = raw.strip_suffix('\\') {
            cur.push_str(body);
            cur.push(' ');
            continue;
        }
        cur.push_str(raw);
        out.push((start, std::mem::take(&mut cur)));
    }
    if !cur.is_empty() {
        out.push((start, cur));
    }
    out
}

/// The files of a drop-in directory, sorted, bounded; `None` when the directory is absent.
pub(crate) fn dir_files(fs: &RootFs, dir: &str) -> Result<Option<Vec<crate::rootfs::Entry>>, FactError> {
    let Some(entries) = fs.read_dir(dir)? else {
        return Ok(None);
    };
    if entries.len() > MAX_DIR_ENTRIES {
        return Err(FactError::Limit {
            path: dir.into(),
            limit: MAX_DIR_ENTRIES as u64,
            what: "entries",
        });
    }
    Ok(Some(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backslash_continues_a_line_and_keeps_the_first_line_number() {
        let l = logical_lines("a \\\nb\nc\n");
        assert_eq!(l, vec![(1, "a  b".to_owned()), (3, "c".to_owned())]);
    }
}
