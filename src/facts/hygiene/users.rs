//! A minimal reading of /etc/passwd and /etc/shadow for the capture checks: each account's name,
//! uid, home and shell (passwd(5)), and whether it can still log in (shadow(5)).
//!
//! "Locked" here means no way in, including SSH keys. passwd(1) warns that `passwd -l` "does not
//! disable the account. The user may still be able to login using another authentication token
//! (e.g. an SSH key). To disable the account, administrators should use `usermod --expiredate 1`".
//! With `UsePAM yes` (Debian and Ubuntu) sshd does not look at the `!` prefix at all; pam_unix's
//! account check refuses an expired account. So an account is locked when it is expired
//! (shadow(5) field 8, days since the epoch, 1 ≤ expire ≤ today), or when its password cannot
//! match (crypt(5): a field starting with `!` or `*`) *and* its shell refuses a session
//! (`nologin`, `false`).
//!
//! Ignored: NIS compat lines (`+`/`-`), comment lines (not in passwd(5), tolerated by the shadow
//! tools), and everything the accounts collector reads for the CIS checks (groups, aging policy).

use std::collections::BTreeMap;

use serde::Serialize;

use super::Home;
use crate::facts::{Context, FactError, Source};
use crate::rootfs::RootFs;

/// One account and whether it can still log in.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct User {
    /// Login name.
    pub name: String,
    /// uid.
    pub uid: u32,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
    /// The password field cannot match (`!…`, `*…`).
    pub password_locked: bool,
    /// The account expired (shadow field 8 in the past, e.g. `usermod --expiredate 1`).
    pub expired: bool,
    /// The shell refuses a session (`nologin`, `false`).
    pub nologin_shell: bool,
    /// No way in: expired, or password locked with a refusing shell.
    pub locked: bool,
    /// The passwd line.
    pub source: Source,
}

/// One passwd(5) line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    /// Login name.
    pub name: String,
    /// The password field (`x` when the hash is in shadow).
    pub password: String,
    /// uid.
    pub uid: u32,
    /// Home.
    pub home: String,
    /// Shell.
    pub shell: String,
    /// 1-based line.
    pub line: u32,
}

/// One shadow(5) line: the password field and the expiry day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowEntry {
    /// The password field.
    pub password: String,
    /// Field 8, days since 1970-01-01; `None` when empty.
    pub expire: Option<i64>,
}

/// Parses /etc/passwd with the accounts parser (one reading of the file format for every
/// collector); a short line or a non-numeric id is an error with its line.
pub fn parse_passwd(path: &str, text: &str) -> Result<Vec<PasswdEntry>, FactError> {
    Ok(crate::facts::accounts::parse_passwd(path, text)?
        .into_iter()
        .map(|u| PasswdEntry {
            line: u.source.line.unwrap_or(0),
            name: u.name,
            password: u.password_field,
            uid: u.uid,
            home: u.home,
            shell: u.shell,
        })
        .collect())
}

/// Parses /etc/shadow into name → entry; malformed lines are left out (the account then has no
/// shadow entry, and its passwd field decides).
pub fn parse_shadow(text: &str) -> BTreeMap<String, ShadowEntry> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 8 || line.starts_with('#') {
            continue;
        }
        let name = f.first().copied().unwrap_or_default();
        let password = f.get(1).copied().unwrap_or_default();
        let expire = f.get(7).and_then(|e| e.trim().parse::<i64>().ok());
        out.entry(name.to_owned()).or_insert(ShadowEntry {
            password: password.to_owned(),
            expire,
        });
    }
    out
}

/// crypt(5): a field starting with `!` or `*` can never match a password.
pub fn password_locked(field: &str) -> bool {
    field.starts_with('!') || field.starts_with('*')
}

/// A shell whose only effect is to refuse the session.
pub fn nologin_shell(shell: &str) -> bool {
    matches!(shell.rsplit('/').next(), Some("nologin" | "false"))
}

/// The accounts, and their homes for the other parts.
pub fn collect(fs: &RootFs, ctx: &Context) -> Result<(Vec<User>, Vec<Home>), FactError> {
    let path = "/etc/passwd";
    let Some(text) = fs.read_text(path)? else {
        return Err(FactError::Missing {
            path: path.into(),
            consequence: Some("accounts and their homes are unknown"),
        });
    };
    let entries = parse_passwd(path, &text)?;
    let shadow = fs
        .read_text("/etc/shadow")?
        .map(|t| parse_shadow(&t))
        .unwrap_or_default();
    let epoch = jiff::civil::date(1970, 1, 1);
    let today = ctx
        .as_of
        .since(epoch)
        .map(|s| i64::from(s.get_days()))
        .unwrap_or(i64::MAX);
    let mut users = Vec::new();
    let mut homes = Vec::new();
    for e in entries {
        let sh = shadow.get(&e.name);
        let field = match (e.password.as_str(), sh) {
            ("x", Some(s)) => s.password.as_str(),
            (p, _) => p,
        };
        let expired = sh.and_then(|s| s.expire).is_some_and(|d| d >= 1 && d <= today);
        let password_locked = password_locked(field);
        let nologin = nologin_shell(&e.shell);
        homes.push(Home {
            user: Some(e.name.clone()),
            dir: e.home.clone(),
            interactive: e.uid == 0 || e.uid >= 1000 && e.uid != 65534,
        });
        users.push(User {
            locked: expired || password_locked && nologin,
            name: e.name,
            uid: e.uid,
            home: e.home,
            shell: e.shell,
            password_locked,
            expired,
            nologin_shell: nologin,
            source: Source::at(path, e.line),
        });
    }
    Ok((users, homes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_skips_nis_compat_and_blank_lines() {
        let p = parse_passwd(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\n\n+::::::\npacker:x:1001:1001::/home/packer:/bin/bash\n",
        )
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].line, 4);
        assert_eq!(p[1].home, "/home/packer");
    }

    #[test]
    fn passwd_short_line_is_an_error_with_its_line() {
        let e = parse_passwd("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nbroken:x:1\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/passwd:2: expected 7 colon-separated fields, found 3"
        );
    }

    #[test]
    fn shadow_empty_expire_is_none_and_usermod_expiredate_1_is_1() {
        let s = parse_shadow("a:!:19000:0:99999:7:::\nb:$6$x$y:19000:0:99999:7::1:\n");
        assert_eq!(s["a"].expire, None);
        assert_eq!(s["b"].expire, Some(1));
    }

    #[test]
    fn bang_and_star_lock_a_password_but_empty_does_not() {
        assert!(password_locked("!$6$abc"));
        assert!(password_locked("*"));
        assert!(password_locked("!!"));
        assert!(!password_locked(""));
        assert!(!password_locked("$y$j9T$abc"));
    }

    #[test]
    fn nologin_and_false_refuse_sessions() {
        assert!(nologin_shell("/usr/sbin/nologin"));
        assert!(nologin_shell("/bin/false"));
        assert!(!nologin_shell("/bin/bash"));
        assert!(!nologin_shell(""));
    }
}
