//! Local accounts from /etc/passwd, /etc/shadow and /etc/group, per passwd(5), shadow(5), group(5)
//! and crypt(5).
//!
//! What is derived, each item with the file and line that decided it:
//! - `uid0_non_root`: passwd entries other than `root` with UID 0 (another superuser);
//! - `empty_password`: accounts anyone can log in to without a password: an empty password field in
//!   /etc/shadow, or an empty second field in /etc/passwd (no shadow entry is consulted then);
//! - `root_password`: root's shadow state — `locked` (the field starts with `!` or `*`, which covers
//!   `!!`, `*`, `!*` and `usermod -L`'s `!$6$…`: no password can match), `empty` (no password), `hash`
//!   (a usable password), or `missing` (no shadow entry for root);
//! - the hash algorithm of every shadow entry, from the crypt(5) prefix;
//! - duplicate user names, UIDs, group names and GIDs;
//! - `weak_hashes`: usable hashes in a weak scheme (md5crypt, DES, BSDi DES, NT hash, or a form
//!   crypt(5) does not know), value `name:algorithm`;
//! - `weak_passwords`: accounts whose password is a vendor default or a variant of the name, found
//!   by trying candidates against the hash (see [`super::passwords`]); collected only when a selected
//!   rule reads it, since it costs up to a second per account.
//!
//! /etc/shadow is readable only by root. When it cannot be read, the shadow-derived facts are errors
//! with that reason while the passwd-derived ones stay available: a rule that needs the password
//! state must not pass because the scan ran unprivileged.
//!
//! Deliberately ignored: NIS `+`/`-` compat lines (skipped), password ageing fields, /etc/gshadow,
//! and PAM/NSS sources other than the files (LDAP, SSSD).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Collected, Context, Fact, FactError, Source};
use crate::rootfs::RootFs;

/// Largest account database read.
const LIMIT: u64 = crate::rootfs::limits::ACCOUNT_DB;

/// Local accounts.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Accounts {
    /// /etc/passwd entries, in file order.
    pub users: Vec<User>,
    /// /etc/group entries, in file order.
    pub groups: Vec<Group>,
    /// /etc/shadow entries (an error when /etc/shadow cannot be read).
    pub shadow: Collected<Vec<ShadowEntry>>,
    /// Accounts other than root with UID 0.
    pub uid0_non_root: Vec<Fact<String>>,
    /// Accounts without a password.
    pub empty_password: Collected<Vec<Fact<String>>>,
    /// root's password state: `locked`, `empty`, `hash` or `missing`.
    pub root_password: Collected<Fact<String>>,
    /// User names that appear more than once (each occurrence listed).
    pub duplicate_names: Vec<Fact<String>>,
    /// UIDs shared by more than one account (each occurrence listed, value `name:uid`).
    pub duplicate_uids: Vec<Fact<String>>,
    /// Group names that appear more than once.
    pub duplicate_group_names: Vec<Fact<String>>,
    /// GIDs shared by more than one group (value `name:gid`).
    pub duplicate_gids: Vec<Fact<String>>,
    /// Usable hashes in a weak scheme (value `name:algorithm`).
    pub weak_hashes: Collected<Vec<Fact<String>>>,
    /// Accounts whose password is a default or a name variant (the password is never kept).
    pub weak_passwords: Collected<Vec<Fact<String>>>,
}

/// One /etc/passwd entry.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct User {
    /// Login name.
    pub name: String,
    /// The password field (`x` when the shadow file holds it).
    pub password_field: String,
    /// UID.
    pub uid: u32,
    /// Primary GID.
    pub gid: u32,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
    /// Where it is defined.
    pub source: Source,
}

/// One /etc/group entry.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// GID.
    pub gid: u32,
    /// Supplementary members.
    pub members: Vec<String>,
    /// Where it is defined.
    pub source: Source,
}

/// One /etc/shadow entry (the hash itself is never kept).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ShadowEntry {
    /// Login name.
    pub name: String,
    /// `locked`, `empty` or `hash`.
    pub state: String,
    /// Hash algorithm from the crypt(5) prefix (`sha512`, `yescrypt`, …), also for a locked hash.
    pub algorithm: Option<String>,
    /// Field 3: the day of the last password change, in days since 1970-01-01 (0: the password
    /// must be changed at the next login); null when empty or not a number.
    pub last_change: Option<i64>,
    /// Days from `last_change` to the as-of date (negative: a change dated in the future); null
    /// when `last_change` is.
    pub last_change_days_ago: Option<i64>,
    /// Field 4: minimum days between password changes; null when empty (no minimum).
    pub min_days: Option<i64>,
    /// Field 5: maximum days a password is valid; null when empty (it never expires).
    pub max_days: Option<i64>,
    /// Field 6: days of warning before the password expires; null when empty.
    pub warn_days: Option<i64>,
    /// Field 7: days after expiry during which the password is still accepted (then the account
    /// is locked); null when empty (no inactivity lock).
    pub inactive_days: Option<i64>,
    /// Where it is defined.
    pub source: Source,
}

fn parse_id(s: &str) -> Option<u32> {
    s.trim().parse().ok()
}

/// Splits a colon-separated database into `(line number, fields)`, skipping blank lines, comments
/// and NIS compat entries.
fn records(text: &str) -> impl Iterator<Item = (u32, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let l = l.trim_end_matches('\r');
        if l.trim().is_empty() || l.starts_with('#') || l.starts_with('+') || l.starts_with('-') {
            return None;
        }
        Some((i as u32 + 1, l.split(':').collect()))
    })
}

/// Parses /etc/passwd; a line with fewer than seven fields or a non-numeric id is a parse error,
/// since a broken passwd file is itself a finding.
pub fn parse_passwd(path: &str, text: &str) -> Result<Vec<User>, FactError> {
    let mut out = Vec::new();
    for (line, f) in records(text) {
        let err = |msg: &str| FactError::Parse {
            path: path.to_owned(),
            line,
            msg: msg.to_owned(),
        };
        if f.len() < 7 {
            return Err(err(&format!("expected 7 colon-separated fields, found {}", f.len())));
        }
        let (Some(uid), Some(gid)) = (parse_id(f[2]), parse_id(f[3])) else {
            return Err(err("uid or gid is not a number"));
        };
        out.push(User {
            name: f[0].to_owned(),
            password_field: f[1].to_owned(),
            uid,
            gid,
            home: f[5].to_owned(),
            shell: f[6].to_owned(),
            source: Source::at(path, line),
        });
    }
    Ok(out)
}

/// Parses /etc/group.
pub fn parse_group(path: &str, text: &str) -> Result<Vec<Group>, FactError> {
    let mut out = Vec::new();
    for (line, f) in records(text) {
        if f.len() < 4 {
            return Err(FactError::Parse {
                path: path.to_owned(),
                line,
                msg: "expected 4 colon-separated fields".into(),
            });
        }
        let Some(gid) = parse_id(f[2]) else {
            return Err(FactError::Parse {
                path: path.to_owned(),
                line,
                msg: "gid is not a number".into(),
            });
        };
        out.push(Group {
            name: f[0].to_owned(),
            gid,
            members: f[3].split(',').filter(|m| !m.is_empty()).map(str::to_owned).collect(),
            source: Source::at(path, line),
        });
    }
    Ok(out)
}

/// The state of a shadow password field.
pub fn password_state(field: &str) -> &'static str {
    if field.is_empty() {
        "empty"
    } else if field.starts_with('!') || field.starts_with('*') {
        "locked"
    } else {
        "hash"
    }
}

/// The hash algorithm named by a crypt(5) prefix; `None` when the field holds no hash.
pub fn hash_algorithm(field: &str) -> Option<&'static str> {
    let h = field.trim_start_matches('!');
    if h.is_empty() || h.starts_with('*') {
        return None;
    }
    Some(match h {
        _ if h.starts_with("$1$") => "md5",
        _ if h.starts_with("$2a$") || h.starts_with("$2b$") || h.starts_with("$2y$") || h.starts_with("$2x$") => {
            "bcrypt"
        }
        _ if h.starts_with("$3$") => "nthash",
        _ if h.starts_with("$5$") => "sha256",
        _ if h.starts_with("$6$") => "sha512",
        _ if h.starts_with("$7$") => "scrypt",
        _ if h.starts_with("$y$") => "yescrypt",
        _ if h.starts_with("$gy$") => "gost-yescrypt",
        _ if h.starts_with("$sha1$") => "sha1crypt",
        _ if h.starts_with("$md5") => "sunmd5",
        _ if h.starts_with('_') => "bsdicrypt",
        // 13 characters from the DES alphabet: traditional crypt.
        _ if h.len() == 13 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/') => "descrypt",
        _ => "unknown",
    })
}

/// Parses /etc/shadow.
pub fn parse_shadow(path: &str, text: &str) -> Result<Vec<ShadowEntry>, FactError> {
    let mut out = Vec::new();
    for (line, f) in records(text) {
        // glibc (shadow/sgetspent_r.c) accepts the full nine fields or the old two-field form
        // `name:password`; a record cut anywhere in between is skipped by getspnam(3), so the
        // account has no shadow entry at all on the running system: a damaged file, not a state.
        if f.len() < 2 || (f.len() > 2 && f.len() < 9) {
            return Err(FactError::Parse {
                path: path.to_owned(),
                line,
                msg: format!(
                    "expected 9 colon-separated fields (or the old 2-field form), found {} (a truncated record?)",
                    f.len()
                ),
            });
        }
        // shadow(5): an empty aging field means the feature is off; the old two-field form has none.
        let num = |i: usize| f.get(i).and_then(|v| v.trim().parse::<i64>().ok());
        out.push(ShadowEntry {
            name: f[0].to_owned(),
            state: password_state(f[1]).to_owned(),
            algorithm: hash_algorithm(f[1]).map(str::to_owned),
            last_change: num(2),
            last_change_days_ago: None,
            min_days: num(3),
            max_days: num(4),
            warn_days: num(5),
            inactive_days: num(6),
            source: Source::at(path, line),
        });
    }
    Ok(out)
}

/// Every occurrence of a key that occurs more than once, in file order.
fn duplicates<T>(
    items: &[T],
    key: impl Fn(&T) -> String,
    shown: impl Fn(&T) -> String,
    src: impl Fn(&T) -> Source,
) -> Vec<Fact<String>> {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for i in items {
        *count.entry(key(i)).or_default() += 1;
    }
    items
        .iter()
        .filter(|i| count.get(&key(i)).copied().unwrap_or(0) > 1)
        .map(|i| Fact::new(shown(i), src(i)))
        .collect()
}

/// Hash schemes too weak for a password today: md5crypt, traditional and BSDi DES (8 significant
/// characters), the unsalted NT hash, and anything crypt(5) does not name.
pub const WEAK_SCHEMES: &[&str] = &["md5", "descrypt", "bsdicrypt", "nthash", "unknown"];

/// Derives the account facts from parsed databases.
pub fn derive(users: Vec<User>, groups: Vec<Group>, shadow: Collected<Vec<ShadowEntry>>) -> Accounts {
    let uid0_non_root = users
        .iter()
        .filter(|u| u.uid == 0 && u.name != "root")
        .map(|u| Fact::new(u.name.clone(), u.source.clone()))
        .collect();
    let empty_password = match &shadow {
        Collected::Ok(sh) => {
            let mut v: Vec<Fact<String>> = users
                .iter()
                .filter(|u| u.password_field.is_empty())
                .map(|u| Fact::new(u.name.clone(), u.source.clone()))
                .collect();
            v.extend(
                sh.iter()
                    .filter(|s| s.state == "empty")
                    .map(|s| Fact::new(s.name.clone(), s.source.clone())),
            );
            Collected::Ok(v)
        }
        Collected::Unavailable { unavailable } => Collected::Unavailable {
            unavailable: unavailable.clone(),
        },
    };
    let root_password = match &shadow {
        Collected::Ok(sh) => Collected::Ok(match sh.iter().find(|s| s.name == "root") {
            Some(s) => Fact::new(s.state.clone(), s.source.clone()),
            None => Fact::new("missing".to_owned(), Source::note("no root entry in /etc/shadow")),
        }),
        Collected::Unavailable { unavailable } => Collected::Unavailable {
            unavailable: unavailable.clone(),
        },
    };
    let weak_hashes = match &shadow {
        Collected::Ok(sh) => Collected::Ok(
            sh.iter()
                .filter(|s| s.state == "hash")
                .filter_map(|s| {
                    let a = s.algorithm.as_deref()?;
                    WEAK_SCHEMES
                        .contains(&a)
                        .then(|| Fact::new(format!("{}:{a}", s.name), s.source.clone()))
                })
                .collect(),
        ),
        Collected::Unavailable { unavailable } => Collected::Unavailable {
            unavailable: unavailable.clone(),
        },
    };
    Accounts {
        weak_hashes,
        weak_passwords: Collected::not_applicable("not needed by the selected rules"),
        duplicate_names: duplicates(&users, |u| u.name.clone(), |u| u.name.clone(), |u| u.source.clone()),
        duplicate_uids: duplicates(
            &users,
            |u| u.uid.to_string(),
            |u| format!("{}:{}", u.name, u.uid),
            |u| u.source.clone(),
        ),
        duplicate_group_names: duplicates(&groups, |g| g.name.clone(), |g| g.name.clone(), |g| g.source.clone()),
        duplicate_gids: duplicates(
            &groups,
            |g| g.gid.to_string(),
            |g| format!("{}:{}", g.name, g.gid),
            |g| g.source.clone(),
        ),
        uid0_non_root,
        empty_password,
        root_password,
        users,
        groups,
        shadow,
    }
}

/// Reads passwd, group and shadow.
pub fn collect(fs: &RootFs, ctx: &Context) -> Result<Accounts, FactError> {
    let passwd = fs
        .read_text_limited("/etc/passwd", LIMIT)?
        .ok_or_else(|| FactError::Missing {
            path: "/etc/passwd".into(),
            consequence: None,
        })?;
    let users = parse_passwd("/etc/passwd", &passwd)?;
    let groups = match fs.read_text_limited("/etc/group", LIMIT)? {
        Some(t) => parse_group("/etc/group", &t)?,
        None => Vec::new(),
    };
    let (shadow, text) = match fs.read_text_limited("/etc/shadow", LIMIT) {
        Ok(Some(t)) => (parse_shadow("/etc/shadow", &t).into(), Some(t)),
        Ok(None) => (
            Collected::error("/etc/shadow does not exist: password state is unknown"),
            None,
        ),
        Err(e) => (Collected::error(e.to_string()), None),
    };
    let mut shadow = shadow;
    if let Collected::Ok(entries) = &mut shadow {
        let today = ctx
            .as_of
            .since(jiff::civil::date(1970, 1, 1))
            .map(|s| i64::from(s.get_days()))
            .ok();
        for e in entries.iter_mut() {
            e.last_change_days_ago = e.last_change.zip(today).map(|(day, today)| today - day);
        }
    }
    let mut a = derive(users, groups, shadow);
    if ctx.wants("accounts.weak_passwords") {
        a.weak_passwords = match (&a.shadow, text) {
            (Collected::Ok(_), Some(t)) => {
                super::passwords::weak_passwords("/etc/shadow", &t, super::passwords::BUDGET_US).into()
            }
            (Collected::Unavailable { unavailable }, _) => Collected::Unavailable {
                unavailable: unavailable.clone(),
            },
            (Collected::Ok(_), None) => Collected::error("/etc/shadow could not be read"),
        };
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\nnopw::1001:1001::/home/nopw:/bin/sh\nubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n";

    #[test]
    fn shadow_record_cut_between_the_second_and_ninth_field_is_an_error() {
        assert!(parse_shadow("/etc/shadow", "root:!:19000:0:99999:7:::\n").is_ok());
        assert!(parse_shadow("/etc/shadow", "root:!\n").is_ok());
        // Aging fields: numbers where set, null where empty (the feature is off) or garbled.
        let e = parse_shadow(
            "/etc/shadow",
            "alice:$6$s$h:19000:1:365:7:30::\nbob:$6$s$h:19000::::::\nold:x\neve:$6$s$h:x1:-1: 99999 :7:::\n",
        )
        .unwrap();
        let aging = |i: usize| {
            (
                e[i].last_change,
                e[i].min_days,
                e[i].max_days,
                e[i].warn_days,
                e[i].inactive_days,
            )
        };
        assert_eq!(aging(0), (Some(19000), Some(1), Some(365), Some(7), Some(30)));
        assert_eq!(aging(1), (Some(19000), None, None, None, None));
        assert_eq!(aging(2), (None, None, None, None, None));
        assert_eq!(aging(3), (None, Some(-1), Some(99999), Some(7), None));
        let e = parse_shadow("/etc/shadow", "root:!:19000:0:99999:7:::\nbin:*:190").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/shadow:2: expected 9 colon-separated fields (or the old 2-field form), found 3 (a truncated record?)"
        );
    }

    #[test]
    fn locked_forms_are_all_locked() {
        for f in ["!", "!!", "*", "!*", "!$6$salt$hash", "*LK*"] {
            assert_eq!(password_state(f), "locked", "{f}");
        }
        assert_eq!(password_state(""), "empty");
        assert_eq!(password_state("$y$j9T$salt$hash"), "hash");
    }

    #[test]
    fn hash_algorithm_from_crypt_prefix() {
        assert_eq!(hash_algorithm("$6$abc$def"), Some("sha512"));
        assert_eq!(hash_algorithm("$y$j9T$abc$def"), Some("yescrypt"));
        assert_eq!(hash_algorithm("$1$abc$def"), Some("md5"));
        assert_eq!(hash_algorithm("$2b$10$abc"), Some("bcrypt"));
        assert_eq!(hash_algorithm("!$5$abc$def"), Some("sha256"));
        assert_eq!(hash_algorithm("abcdefghijklm"), Some("descrypt"));
        assert_eq!(hash_algorithm("*"), None);
        assert_eq!(hash_algorithm("!!"), None);
    }

    #[test]
    fn uid0_other_than_root_and_empty_passwd_field() {
        let users = parse_passwd("/etc/passwd", PASSWD).unwrap();
        let shadow = parse_shadow("/etc/shadow", "root:*:19000:0:99999:7:::\nubuntu::19000:0:99999:7:::\n").unwrap();
        let a = derive(users, vec![], Collected::Ok(shadow));
        assert_eq!(
            a.uid0_non_root.iter().map(|f| f.value.as_str()).collect::<Vec<_>>(),
            ["toor"]
        );
        let empty = a.empty_password.ok().unwrap();
        assert_eq!(
            empty.iter().map(|f| f.value.as_str()).collect::<Vec<_>>(),
            ["nopw", "ubuntu"]
        );
        assert_eq!(empty[1].source, Source::at("/etc/shadow", 2));
        assert_eq!(a.root_password.ok().unwrap().value, "locked");
        assert_eq!(a.duplicate_uids.len(), 2);
    }

    #[test]
    fn unreadable_shadow_makes_password_facts_errors_but_keeps_passwd_facts() {
        let users = parse_passwd("/etc/passwd", PASSWD).unwrap();
        let a = derive(
            users,
            vec![],
            Collected::error("cannot read /etc/shadow: permission denied (run as root or with sudo)"),
        );
        assert!(a.empty_password.ok().is_none());
        assert!(a.root_password.ok().is_none());
        assert_eq!(a.uid0_non_root.len(), 1);
    }

    #[test]
    fn short_passwd_line_is_a_parse_error_with_line() {
        let e = parse_passwd("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nbroken:x:1\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/passwd:2: expected 7 colon-separated fields, found 3"
        );
    }
}
