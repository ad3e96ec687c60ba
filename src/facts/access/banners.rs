//! The login banners /etc/issue, /etc/issue.net and /etc/motd, checked for what they reveal about
//! the operating system.
//!
//! agetty(8) expands the escapes `\m` (architecture), `\r` (kernel release), `\s` (system name) and
//! `\v` (kernel version) in /etc/issue; CIS also flags the os-release `ID` written out literally.
//! Like the CIS audit (`grep -E -i`), the match is case-insensitive, so `\S` (the os-release
//! PRETTY_NAME escape of newer agetty) counts as well. The first matching line is the evidence.

use std::collections::BTreeMap;

use serde::Serialize;

use super::super::{Fact, FactError, Source};
use crate::rootfs::RootFs;

/// The banner files read.
pub const BANNERS: &[&str] = &["/etc/issue", "/etc/issue.net", "/etc/motd"];

/// One banner file.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Banner {
    /// The file exists.
    pub present: bool,
    /// It has no visible text.
    pub empty: bool,
    /// It shows OS or kernel details (an escape or the os-release ID).
    pub mentions_os: bool,
    /// What matched, and the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched: Option<Fact<String>>,
    /// The file.
    pub source: Source,
}

/// The banners by path.
pub type Banners = BTreeMap<String, Banner>;

/// Finds the first OS detail in a banner: an agetty escape or `os_id` as a word.
pub fn find_os_mention(path: &str, text: &str, os_id: Option<&str>) -> Option<Fact<String>> {
    let id = os_id.map(str::to_ascii_lowercase).filter(|s| !s.is_empty());
    for (i, line) in text.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        let src = || Source::at(path, u32::try_from(i + 1).unwrap_or(u32::MAX));
        for esc in ["\\m", "\\r", "\\s", "\\v"] {
            if lower.contains(esc) {
                return Some(Fact::new(esc.to_owned(), src()));
            }
        }
        if let Some(id) = &id {
            let words = lower.split(|c: char| !c.is_ascii_alphanumeric());
            if words.into_iter().any(|w| w == id) {
                return Some(Fact::new(id.clone(), src()));
            }
        }
    }
    None
}

/// Reads the banners.
pub fn collect(fs: &RootFs) -> Result<Banners, FactError> {
    // No os-release at all leaves only the escapes to look for; an os-release that cannot be read
    // leaves the banners unjudged (an error), never a pass that did not look for the ID.
    let id = match super::super::os_release::collect(fs) {
        Ok(os) => os.id.map(|f| f.value),
        Err(FactError::Missing { .. }) => None,
        Err(e) => return Err(e),
    };
    let mut out = BTreeMap::new();
    for p in BANNERS {
        let text = fs.read_text(p)?;
        let matched = text.as_deref().and_then(|t| find_os_mention(p, t, id.as_deref()));
        out.insert(
            (*p).to_owned(),
            Banner {
                present: text.is_some(),
                empty: text.as_deref().is_none_or(|t| t.trim().is_empty()),
                mentions_os: matched.is_some(),
                matched,
                source: Source::file(*p),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A root with `/etc/issue` naming the OS and the given os-release (`None`: a directory where
    /// the file should be, which cannot be read).
    fn root_with_issue(os_release: Option<&str>) -> Result<Banners, FactError> {
        #![allow(clippy::disallowed_methods)]
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/issue"), "Debian GNU/Linux 12\n").unwrap();
        match os_release {
            Some(text) => std::fs::write(dir.path().join("etc/os-release"), text).unwrap(),
            None => std::fs::create_dir(dir.path().join("etc/os-release")).unwrap(),
        }
        collect(&RootFs::open(dir.path()).unwrap())
    }

    #[test]
    fn an_unreadable_os_release_leaves_the_banners_unjudged() {
        let found = root_with_issue(Some("ID=debian\n")).unwrap();
        assert!(found["/etc/issue"].mentions_os);
        // Before, the error was dropped, the ID never looked for, and the banner rule passed.
        assert!(root_with_issue(None).is_err());
    }

    /// No os-release at all is the typed `Missing` of os-release, which leaves only the escapes to
    /// look for: the banners are still read.
    #[test]
    fn no_os_release_still_reads_the_banners() {
        #![allow(clippy::disallowed_methods)]
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/issue"), "\\S \\r\n").unwrap();
        let fs = RootFs::open(dir.path()).unwrap();
        let e = crate::facts::os_release::collect(&fs).unwrap_err();
        assert!(
            matches!(&e, FactError::Missing { path, .. } if path == "/etc/os-release"),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "/etc/os-release does not exist: neither does /usr/lib/os-release: the distribution is unknown"
        );
        let found = collect(&fs).unwrap();
        assert!(found["/etc/issue"].present);
        assert!(found["/etc/issue"].mentions_os);
    }

    #[test]
    fn agetty_escapes_match_case_insensitively() {
        let m = find_os_mention("/etc/issue", "\\S\nKernel \\r on an \\m\n", None).unwrap();
        assert_eq!(m.value, "\\s");
        assert_eq!(m.source.line, Some(1));
    }

    #[test]
    fn os_id_must_be_a_whole_word() {
        assert!(find_os_mention("/etc/motd", "Debian GNU/Linux 12", Some("debian")).is_some());
        assert!(find_os_mention("/etc/motd", "Authorized uses only. debianized", Some("debian")).is_none());
        assert!(find_os_mention("/etc/issue", "Authorized users only\n", Some("rocky")).is_none());
    }
}
