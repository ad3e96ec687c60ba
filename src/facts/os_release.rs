//! /etc/os-release, falling back to /usr/lib/os-release, parsed per os-release(5).
//!
//! The file is a list of shell-compatible `KEY=value` assignments. Values follow shell quoting
//! (the man page's reference reader is Python's `shlex.split`): single quotes are literal, double
//! quotes honour `\$ \" \\ \``, and outside quotes a backslash escapes the next character. Lines
//! starting with `#` and blank lines are ignored; a line that is not an assignment is skipped, as
//! systemd's own parser does, and so is an assignment with an unterminated quote.
//!
//! /etc/os-release is usually a symlink to ../usr/lib/os-release; the resolver follows it inside the
//! root. The fallback applies only when /etc/os-release is absent, not when it is unreadable.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Fact, FactError, Source};
use crate::rootfs::RootFs;

/// The identification fields rules use, each with its line; `fields` holds every assignment.
#[derive(Debug, Clone, Serialize, Default, schemars::JsonSchema)]
pub struct OsRelease {
    /// The file read.
    pub path: String,
    /// `ID` (e.g. `debian`, `ubuntu`, `rhel`); os-release(5) defaults it to `linux`.
    pub id: Option<Fact<String>>,
    /// `ID_LIKE`, split on whitespace.
    pub id_like: Option<Fact<Vec<String>>>,
    /// `VERSION_ID`.
    pub version_id: Option<Fact<String>>,
    /// `VERSION_CODENAME`.
    pub version_codename: Option<Fact<String>>,
    /// `VARIANT_ID`.
    pub variant_id: Option<Fact<String>>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<Fact<String>>,
    /// The distribution family imagegate groups rules by: `debian`, `rhel`, `alpine`, `suse`, or
    /// the ID itself when none of those match ID or ID_LIKE.
    pub family: String,
    /// Every assignment, by key.
    pub fields: BTreeMap<String, Fact<String>>,
}

/// Reads the first os-release file present.
pub fn collect(fs: &RootFs) -> Result<OsRelease, FactError> {
    for path in ["/etc/os-release", "/usr/lib/os-release"] {
        if let Some(text) = fs.read_text(path)? {
            return Ok(parse(path, &text));
        }
    }
    Err(FactError::Missing {
        path: "/etc/os-release".into(),
        consequence: Some("neither does /usr/lib/os-release: the distribution is unknown"),
    })
}

/// Parses os-release text read from `path`.
pub fn parse(path: &str, text: &str) -> OsRelease {
    let mut fields = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let Some(value) = unquote(value) else { continue };
        // Like a shell, a later assignment to the same key wins.
        fields.insert(key.to_owned(), Fact::new(value, Source::at(path, i as u32 + 1)));
    }
    let get = |k: &str| fields.get(k).cloned();
    let id = get("ID").map(|f| Fact {
        value: f.value.to_ascii_lowercase(),
        ..f
    });
    let id_like = get("ID_LIKE").map(|f| Fact {
        value: f.value.split_whitespace().map(str::to_owned).collect::<Vec<_>>(),
        source: f.source,
        shadowed: Vec::new(),
    });
    let family = family(
        id.as_ref().map_or("linux", |f| f.value.as_str()),
        id_like.as_ref().map(|f| f.value.as_slice()).unwrap_or(&[]),
    );
    OsRelease {
        path: path.to_owned(),
        version_id: get("VERSION_ID"),
        version_codename: get("VERSION_CODENAME"),
        variant_id: get("VARIANT_ID"),
        pretty_name: get("PRETTY_NAME"),
        id,
        id_like,
        family,
        fields,
    }
}

fn family(id: &str, like: &[String]) -> String {
    let all: Vec<&str> = std::iter::once(id).chain(like.iter().map(String::as_str)).collect();
    for (fam, members) in [
        ("debian", &["debian", "ubuntu"][..]),
        (
            "rhel",
            &["rhel", "fedora", "centos", "amzn", "alinux", "rocky", "almalinux", "ol"][..],
        ),
        ("alpine", &["alpine"][..]),
        ("suse", &["suse", "sles", "opensuse", "opensuse-leap"][..]),
    ] {
        if all.iter().any(|a| members.contains(a)) {
            return fam.to_owned();
        }
    }
    id.to_owned()
}

/// Shell-style unquoting of one value; `None` on an unterminated quote.
fn unquote(v: &str) -> Option<String> {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => match chars.next()? {
                        c @ ('$' | '"' | '\\' | '`') => out.push(c),
                        '\n' => {}
                        c => {
                            out.push('\\');
                            out.push(c);
                        }
                    },
                    c => out.push(c),
                }
            },
            '\\' => out.push(chars.next()?),
            // An unquoted space ends the value (the rest is a separate shell word); os-release(5)
            // forbids it, shlex would split there, so keep the first word.
            c if c.is_whitespace() => break,
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_per_os_release_5() {
        let r = parse(
            "/etc/os-release",
            "# comment\nNAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME='Ubuntu 24.04 LTS'\nVERSION_ID=\"24.04\"\nX=\"a\\\"b\\$c\\\\d\"\nY=a\\ b\nBAD=\"unterminated\nnot an assignment\n",
        );
        assert_eq!(r.id.as_ref().unwrap().value, "ubuntu");
        assert_eq!(r.pretty_name.as_ref().unwrap().value, "Ubuntu 24.04 LTS");
        assert_eq!(r.version_id.as_ref().unwrap().source, Source::at("/etc/os-release", 6));
        assert_eq!(r.fields["X"].value, "a\"b$c\\d");
        assert_eq!(r.fields["Y"].value, "a b");
        assert!(!r.fields.contains_key("BAD"));
        assert_eq!(r.family, "debian");
    }

    #[test]
    fn crlf_and_later_assignment_wins() {
        let r = parse(
            "/etc/os-release",
            "ID=centos\r\nID=\"rocky\"\r\nID_LIKE=\"rhel centos fedora\"\r\n",
        );
        assert_eq!(r.id.unwrap().value, "rocky");
        assert_eq!(r.id_like.unwrap().value, vec!["rhel", "centos", "fedora"]);
        assert_eq!(r.family, "rhel");
    }
}
