//! Interactive users' home directories and dot files, root's PATH, and the consistency of
//! /etc/passwd and /etc/group (duplicate ids and names, missing groups, the shadow group).
//!
//! /etc/passwd and /etc/group are parsed minimally here per passwd(5) and group(5): seven and four
//! colon-separated fields; NIS compat lines (`+`/`-`) and blank or `#` lines are skipped; any other
//! line with the wrong field count or a non-numeric id is a parse error (a wrong guess about who is
//! interactive would decide a pass). "Interactive" follows the CIS audits: root, and every account
//! with UID ≥ UID_MIN (from login.defs, default 1000) other than 65534 (nobody) whose shell does not
//! end in `nologin` or `false`; an empty shell field means /bin/sh (passwd(5)), so it counts.
//!
//! Root's PATH is gathered from the assignments in /root/.bashrc, /root/.profile,
//! /root/.bash_profile, /etc/profile, /etc/environment and login.defs' ENV_SUPATH, without
//! evaluating conditionals: every entry that any of them can put in the PATH is listed. `$PATH` is
//! the inherited value (skipped), `$HOME` is /root; other expansions cannot be resolved and are
//! skipped. Bounds: at most 10,000 passwd/group entries, 10,000 entries per home directory and
//! [`limits::HOME_ENTRIES_TOTAL`] over all homes, each home listed once however many accounts
//! share it — a larger input is an error rather than a partial (and so possibly wrong) answer.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Context, Fact, FactError, Source};
use crate::rootfs::{Kind, RootFs, limits};

const MAX_ENTRIES: usize = 10_000;

/// One /etc/passwd entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PasswdEntry {
    /// Login name.
    pub name: String,
    /// UID.
    pub uid: u32,
    /// Primary GID.
    pub gid: u32,
    /// Home directory.
    pub home: String,
    /// Login shell (`/bin/sh` when the field is empty).
    pub shell: String,
    /// The line.
    pub source: Source,
}

/// One /etc/group entry.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupEntry {
    /// Group name.
    pub name: String,
    /// GID.
    pub gid: u32,
    /// Member list.
    pub members: Vec<String>,
    /// The line.
    pub source: Source,
}

/// Lines that carry entries: not blank, not a comment, not NIS compat.
fn entry_lines(text: &str) -> impl Iterator<Item = (u32, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let l = l.strip_suffix('\r').unwrap_or(l);
        let skip = l.trim().is_empty() || l.starts_with('#') || l.starts_with('+') || l.starts_with('-');
        (!skip).then(|| (u32::try_from(i + 1).unwrap_or(u32::MAX), l))
    })
}

fn bounded(path: &str, n: usize) -> Result<(), FactError> {
    if n > MAX_ENTRIES {
        return Err(FactError::Limit {
            path: path.into(),
            limit: MAX_ENTRIES as u64,
            what: "entries",
        });
    }
    Ok(())
}

/// Parses /etc/passwd with the accounts parser (one reading of the file format for every
/// collector); an empty shell field means /bin/sh, as login(1) takes it.
pub fn parse_passwd(path: &str, text: &str) -> Result<Vec<PasswdEntry>, FactError> {
    let users = crate::facts::accounts::parse_passwd(path, text)?;
    bounded(path, users.len())?;
    Ok(users
        .into_iter()
        .map(|u| PasswdEntry {
            shell: if u.shell.is_empty() { "/bin/sh".into() } else { u.shell },
            name: u.name,
            uid: u.uid,
            gid: u.gid,
            home: u.home,
            source: u.source,
        })
        .collect())
}

/// Parses /etc/group.
pub fn parse_group(path: &str, text: &str) -> Result<Vec<GroupEntry>, FactError> {
    let mut out = Vec::new();
    for (n, l) in entry_lines(text) {
        let f: Vec<&str> = l.split(':').collect();
        let err = |msg: &str| FactError::Parse {
            path: path.into(),
            line: n,
            msg: msg.into(),
        };
        let [name, _, gid, members] = f.as_slice() else {
            return Err(err("expected 4 colon-separated fields"));
        };
        out.push(GroupEntry {
            name: (*name).to_owned(),
            gid: gid.parse().map_err(|_| err("the gid is not a number"))?,
            members: members
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            source: Source::at(path, n),
        });
        bounded(path, out.len())?;
    }
    Ok(out)
}

/// An interactive user and their home directory.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct HomeUser {
    /// Login name.
    pub name: String,
    /// UID.
    pub uid: u32,
    /// Home directory from passwd.
    pub home: String,
    /// Login shell.
    pub shell: String,
    /// The home exists and is a directory.
    pub home_exists: bool,
    /// The home's permission bits (`0750`), when it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_mode: Option<String>,
    /// The home's owner UID, when it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_uid: Option<u32>,
    /// The home is owned by this user (false when it does not exist).
    pub home_owned: bool,
    /// The home is also the home of this other user, listed before: its dot files are listed
    /// once, under that user, and count as owned only if every user of the home has their UID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares_home_with: Option<String>,
    /// The passwd line.
    pub source: Source,
}

/// A home directory already listed.
struct ListedHome {
    /// The first user whose home it is: its dot files are listed under that user.
    user: String,
    /// The UIDs of every user whose home it is.
    uids: std::collections::BTreeSet<u32>,
    /// Its dot files in the list.
    dot_files: std::ops::Range<usize>,
}

/// A regular file whose name starts with `.` directly in an interactive user's home.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DotFile {
    /// The owner by passwd (the home's user).
    pub user: String,
    /// The file name (`.bashrc`).
    pub name: String,
    /// Permission bits (`0644`).
    pub mode: String,
    /// Owner UID.
    pub uid: u32,
    /// Owned by the home's user (by every user, in a home several users share).
    pub owned: bool,
    /// The file.
    pub source: Source,
}

/// One directory root's PATH can contain.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PathEntry {
    /// The entry as written (after `$HOME` expansion).
    pub dir: String,
    /// An empty entry (`::`, leading or trailing `:`): the current directory.
    pub empty: bool,
    /// Not an absolute path (`.`, `bin`): resolved against the current directory.
    pub relative: bool,
    /// It exists and is a directory.
    pub exists: bool,
    /// Permission bits, when it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Owner UID, when it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// The assignment.
    pub source: Source,
}

/// Names or ids used more than once.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Duplicate {
    /// The repeated uid, gid or name.
    pub key: String,
    /// Every entry name carrying it.
    pub names: Vec<String>,
    /// The second occurrence.
    pub source: Source,
}

/// A passwd entry whose primary group is not in /etc/group.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MissingGroup {
    /// The user.
    pub user: String,
    /// The GID.
    pub gid: u32,
    /// The passwd line.
    pub source: Source,
}

/// The `shadow` group (Debian): who may read /etc/shadow through it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ShadowGroup {
    /// Its member list.
    pub members: Vec<String>,
    /// Users whose primary group it is.
    pub primary_users: Vec<String>,
    /// The group line.
    pub source: Source,
}

/// A system account with a shell one can log in with.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SystemShell {
    /// Login name.
    pub name: String,
    /// UID.
    pub uid: u32,
    /// Login shell.
    pub shell: String,
    /// The passwd line.
    pub source: Source,
}

/// Home directories, dot files, root's PATH, passwd/group consistency.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Homes {
    /// UID_MIN used to tell people from system accounts.
    pub uid_min: Fact<u32>,
    /// Interactive users (root first, then by passwd order).
    pub users: Vec<HomeUser>,
    /// System accounts (UID below UID_MIN, or 65534) whose shell is neither nologin nor false;
    /// root, sync, shutdown, halt and nfsnobody are left out, as CIS does.
    pub system_accounts_with_shell: Vec<SystemShell>,
    /// Dot files in their homes.
    pub dot_files: Vec<DotFile>,
    /// Every entry root's PATH can contain.
    pub root_path: Vec<PathEntry>,
    /// UIDs used by more than one passwd entry.
    pub duplicate_uids: Vec<Duplicate>,
    /// GIDs used by more than one group.
    pub duplicate_gids: Vec<Duplicate>,
    /// User names appearing twice.
    pub duplicate_user_names: Vec<Duplicate>,
    /// Group names appearing twice.
    pub duplicate_group_names: Vec<Duplicate>,
    /// Primary groups missing from /etc/group.
    pub missing_groups: Vec<MissingGroup>,
    /// The `shadow` group, when it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shadow_group: Option<ShadowGroup>,
}

/// Whether a passwd entry is an interactive account under the CIS definition.
pub fn is_interactive(u: &PasswdEntry, uid_min: u32) -> bool {
    has_login_shell(u) && (u.uid == 0 || (u.uid >= uid_min && u.uid != 65534))
}

/// Whether the shell lets one log in (anything but nologin and false).
fn has_login_shell(u: &PasswdEntry) -> bool {
    !(u.shell.ends_with("nologin") || u.shell.ends_with("false"))
}

/// A system account (UID below `uid_min`, or nobody's 65534) that has a login shell, except the
/// accounts whose shell is their job (CIS 5.4.2.7's list: root, sync, shutdown, halt, nfsnobody).
fn is_system_with_shell(u: &PasswdEntry, uid_min: u32) -> bool {
    const EXEMPT: [&str; 5] = ["root", "sync", "shutdown", "halt", "nfsnobody"];
    !EXEMPT.contains(&u.name.as_str()) && (u.uid < uid_min || u.uid == 65534) && has_login_shell(u)
}

/// Every entry of a value of duplicates keyed by `key`.
fn duplicates<T>(
    items: &[T],
    key: impl Fn(&T) -> String,
    name: impl Fn(&T) -> &str,
    src: impl Fn(&T) -> &Source,
) -> Vec<Duplicate> {
    let mut by: BTreeMap<String, Vec<&T>> = BTreeMap::new();
    for it in items {
        by.entry(key(it)).or_default().push(it);
    }
    by.into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, v)| Duplicate {
            key: k,
            names: v.iter().map(|i| name(i).to_owned()).collect(),
            source: v.get(1).map(|i| src(i).clone()).unwrap_or_else(|| Source::note("")),
        })
        .collect()
}

/// The PATH entries of one `PATH=…` value.
pub fn path_entries(value: &str, source: &Source) -> Vec<PathEntry> {
    value
        .split(':')
        .filter(|e| !matches!(*e, "$PATH" | "${PATH}"))
        .map(|e| e.replace("${HOME}", "/root").replace("$HOME", "/root"))
        .filter(|e| !e.contains('$') && !e.contains('`'))
        .map(|e| PathEntry {
            empty: e.is_empty(),
            relative: !e.is_empty() && !e.starts_with('/'),
            dir: e,
            exists: false,
            mode: None,
            uid: None,
            source: source.clone(),
        })
        .collect()
}

/// Finds `PATH=` assignments (also after `export`, and in login.defs' `ENV_SUPATH PATH=…`).
pub fn parse_path_assignments(path: &str, text: &str) -> Vec<PathEntry> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') {
            continue;
        }
        let source = Source::at(path, u32::try_from(i + 1).unwrap_or(u32::MAX));
        // RHEL's /etc/profile adds directories with its `pathmunge DIR [after]` function.
        if let Some(rest) = line.strip_prefix("pathmunge ") {
            if let Some(dir) = rest.split_whitespace().next().filter(|d| d.starts_with('/')) {
                out.extend(path_entries(dir, &source));
            }
            continue;
        }
        for word in line.split([';', ' ', '\t']) {
            let Some(v) = word.strip_prefix("PATH=") else { continue };
            out.extend(path_entries(v.trim_matches(|c| c == '"' || c == '\''), &source));
        }
    }
    out
}

fn mode_text(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

/// Reads passwd, group, the homes and root's PATH.
pub fn collect(fs: &RootFs, _ctx: &Context) -> Result<Homes, FactError> {
    let Some(passwd_text) = fs.read_text("/etc/passwd")? else {
        return Err(FactError::Missing {
            path: "/etc/passwd".into(),
            consequence: None,
        });
    };
    let passwd = parse_passwd("/etc/passwd", &passwd_text)?;
    let group = parse_group("/etc/group", &fs.read_text("/etc/group")?.unwrap_or_default())?;
    let login_defs = super::access::login_defs::collect(fs)?;
    let uid_min = match login_defs.keys.get("UID_MIN") {
        Some(f) => Fact::new(
            f.value.parse().map_err(|_| FactError::Parse {
                path: "/etc/login.defs".into(),
                line: f.source.line.unwrap_or(0),
                msg: "UID_MIN is not a number".into(),
            })?,
            f.source.clone(),
        ),
        None => Fact::new(1000, Source::note("login.defs(5) default UID_MIN")),
    };

    let mut users = Vec::new();
    let mut dot_files = Vec::new();
    // Each home directory is listed once, however many accounts share it (by device and inode,
    // so two paths to one directory count once): its dot files, the first user whose home it is,
    // and the UIDs of every user whose home it is.
    let mut homes: BTreeMap<(u64, u64), ListedHome> = BTreeMap::new();
    let mut listed = 0usize;
    for u in passwd.iter().filter(|u| is_interactive(u, uid_min.value)) {
        let meta = fs.metadata(&u.home)?;
        let dir = meta.filter(|m| m.kind == Kind::Directory);
        let mut shares_home_with = None;
        if let Some(m) = &dir
            && let Some(home) = homes.get_mut(&(m.dev, m.ino))
        {
            home.uids.insert(u.uid);
            shares_home_with = Some(home.user.clone());
        } else if let Some(m) = &dir {
            let entries = fs.read_dir(&u.home)?.unwrap_or_default();
            if entries.len() > MAX_ENTRIES {
                return Err(FactError::Limit {
                    path: u.home.clone(),
                    limit: MAX_ENTRIES as u64,
                    what: "entries",
                });
            }
            listed += entries.len();
            if listed > limits::HOME_ENTRIES_TOTAL {
                return Err(FactError::Limit {
                    path: u.home.clone(),
                    limit: limits::HOME_ENTRIES_TOTAL as u64,
                    what: "entries in the home directories of the interactive users together",
                });
            }
            let first = dot_files.len();
            for e in entries.iter().filter(|e| e.name.starts_with('.')) {
                // A symlinked dot file's own mode says nothing; only regular files count.
                let Some(fm) = fs.symlink_metadata(&e.path)? else {
                    continue;
                };
                if fm.kind != Kind::File {
                    continue;
                }
                dot_files.push(DotFile {
                    user: u.name.clone(),
                    name: e.name.clone(),
                    mode: mode_text(fm.mode),
                    uid: fm.uid,
                    owned: fm.uid == u.uid,
                    source: Source::file(e.path.clone()),
                });
            }
            homes.insert(
                (m.dev, m.ino),
                ListedHome {
                    user: u.name.clone(),
                    uids: std::collections::BTreeSet::from([u.uid]),
                    dot_files: first..dot_files.len(),
                },
            );
        }
        users.push(HomeUser {
            name: u.name.clone(),
            uid: u.uid,
            home: u.home.clone(),
            shell: u.shell.clone(),
            home_exists: dir.is_some(),
            home_mode: dir.as_ref().map(|m| mode_text(m.mode)),
            home_uid: dir.as_ref().map(|m| m.uid),
            home_owned: dir.as_ref().is_some_and(|m| m.uid == u.uid),
            shares_home_with,
            source: u.source.clone(),
        });
    }
    // A dot file in a shared home is owned by "the user" only if every user of the home has its
    // owner's UID.
    for home in homes.values().filter(|h| h.uids.len() > 1) {
        for d in dot_files.get_mut(home.dot_files.clone()).unwrap_or_default() {
            d.owned = false;
        }
    }

    let mut root_path: Vec<PathEntry> = Vec::new();
    for p in [
        "/root/.bashrc",
        "/root/.profile",
        "/root/.bash_profile",
        "/etc/profile",
        "/etc/environment",
    ] {
        if let Some(text) = fs.read_text(p)? {
            root_path.extend(parse_path_assignments(p, &text));
        }
    }
    if let Some(f) = login_defs.keys.get("ENV_SUPATH") {
        let v = f.value.strip_prefix("PATH=").unwrap_or(&f.value);
        root_path.extend(path_entries(v, &f.source));
    }
    let mut seen = std::collections::BTreeSet::new();
    root_path.retain(|e| seen.insert(e.dir.clone()));
    for e in root_path.iter_mut().filter(|e| e.dir.starts_with('/')) {
        if let Some(m) = fs.metadata(&e.dir)?.filter(|m| m.kind == Kind::Directory) {
            e.exists = true;
            e.mode = Some(mode_text(m.mode));
            e.uid = Some(m.uid);
        }
    }

    let missing_groups = passwd
        .iter()
        .filter(|u| !group.iter().any(|g| g.gid == u.gid))
        .map(|u| MissingGroup {
            user: u.name.clone(),
            gid: u.gid,
            source: u.source.clone(),
        })
        .collect();
    let shadow_group = group.iter().find(|g| g.name == "shadow").map(|g| ShadowGroup {
        members: g.members.clone(),
        primary_users: passwd
            .iter()
            .filter(|u| u.gid == g.gid)
            .map(|u| u.name.clone())
            .collect(),
        source: g.source.clone(),
    });
    let system_accounts_with_shell = passwd
        .iter()
        .filter(|u| is_system_with_shell(u, uid_min.value))
        .map(|u| SystemShell {
            name: u.name.clone(),
            uid: u.uid,
            shell: u.shell.clone(),
            source: u.source.clone(),
        })
        .collect();
    Ok(Homes {
        uid_min,
        users,
        system_accounts_with_shell,
        dot_files,
        root_path,
        duplicate_uids: duplicates(&passwd, |u| u.uid.to_string(), |u| &u.name, |u| &u.source),
        duplicate_user_names: duplicates(&passwd, |u| u.name.clone(), |u| &u.name, |u| &u.source),
        duplicate_gids: duplicates(&group, |g| g.gid.to_string(), |g| &g.name, |g| &g.source),
        duplicate_group_names: duplicates(&group, |g| g.name.clone(), |g| &g.name, |g| &g.source),
        missing_groups,
        shadow_group,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests run as root (/proc/self belongs to the effective user).
    #[allow(clippy::disallowed_methods)]
    fn is_root() -> bool {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }

    /// A root whose passwd has `users` interactive accounts (UIDs from `uid`), all with home
    /// /home/shared, holding `dots` dot files owned by `owner`.
    #[allow(clippy::disallowed_methods)]
    fn shared_home(users: u32, same_uid: bool, dots: usize) -> (tempfile::TempDir, RootFs) {
        use std::os::unix::fs::chown;
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(&etc).unwrap();
        let mut passwd = String::from("root:x:0:0::/root:/bin/sh\n");
        for i in 0..users {
            let uid = if same_uid { 2000 } else { 2000 + i };
            passwd.push_str(&format!("u{i}:x:{uid}:{uid}::/home/shared:/bin/bash\n"));
        }
        std::fs::write(etc.join("passwd"), passwd).unwrap();
        let home = dir.path().join("home/shared");
        std::fs::create_dir_all(&home).unwrap();
        for i in 0..dots {
            std::fs::write(home.join(format!(".dot{i}")), "x\n").unwrap();
            if is_root() {
                chown(home.join(format!(".dot{i}")), Some(2000), Some(2000)).unwrap();
            }
        }
        let fs = RootFs::open(dir.path()).unwrap();
        (dir, fs)
    }

    fn ctx() -> Context {
        Context {
            live: false,
            as_of: "2026-11-01".parse().unwrap(),
            wanted: None,
        }
    }

    /// 300 accounts sharing one home of 10,000 dot files took 28 s and 5.4 GiB, the home listed
    /// once per account. It is listed once; the other accounts name the first.
    #[test]
    fn a_home_shared_by_many_accounts_is_listed_once() {
        let (_d, fs) = shared_home(300, false, 1000);
        let h = collect(&fs, &ctx()).unwrap();
        assert_eq!(h.dot_files.len(), 1000);
        assert!(h.dot_files.iter().all(|d| d.user == "u0" && !d.owned));
        assert_eq!(h.users.len(), 301);
        assert!(
            h.users
                .iter()
                .skip(2)
                .all(|u| u.shares_home_with.as_deref() == Some("u0"))
        );
        assert_eq!(h.users[1].shares_home_with, None);
    }

    /// In a home shared by accounts of one UID, a dot file of that UID is owned, as it is for one
    /// account (run as root, where the files can be given that UID).
    #[test]
    #[allow(clippy::disallowed_macros)] // A test says why it proves nothing here.
    fn a_home_shared_by_one_uid_keeps_ownership() {
        if !is_root() {
            eprintln!("skipped: needs root to chown the dot files");
            return;
        }
        let (_d, fs) = shared_home(3, true, 5);
        let h = collect(&fs, &ctx()).unwrap();
        assert_eq!(h.dot_files.len(), 5);
        assert!(h.dot_files.iter().all(|d| d.owned), "{:?}", h.dot_files);
        let (_d, fs) = shared_home(3, false, 5);
        let h = collect(&fs, &ctx()).unwrap();
        assert!(h.dot_files.iter().all(|d| !d.owned), "{:?}", h.dot_files);
    }

    /// The homes together are bounded: an error names the home that went past the bound.
    #[test]
    #[allow(clippy::disallowed_methods)]
    fn the_homes_together_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(&etc).unwrap();
        let per = 9_000;
        let homes = limits::HOME_ENTRIES_TOTAL / per + 1;
        let mut passwd = String::new();
        for i in 0..homes {
            passwd.push_str(&format!("u{i}:x:{}:100::/home/u{i}:/bin/bash\n", 2000 + i));
            let h = dir.path().join(format!("home/u{i}"));
            std::fs::create_dir_all(&h).unwrap();
            for j in 0..per {
                std::fs::File::create(h.join(format!("f{j}"))).unwrap();
            }
        }
        std::fs::write(etc.join("passwd"), passwd).unwrap();
        let fs = RootFs::open(dir.path()).unwrap();
        let e = collect(&fs, &ctx()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "/home/u{}: more than {} entries in the home directories of the interactive users together, \
                 refusing a partial answer",
                homes - 1,
                limits::HOME_ENTRIES_TOTAL
            )
        );
        assert!(
            matches!(&e, FactError::Limit { path, limit, .. } if *path == format!("/home/u{}", homes - 1)
                && *limit == limits::HOME_ENTRIES_TOTAL as u64),
            "{e:?}"
        );
    }

    #[test]
    fn nis_compat_lines_are_skipped_and_an_empty_shell_is_bin_sh() {
        let p = parse_passwd("/etc/passwd", "+@netgroup::::::\nu:x:1001:1001::/home/u:\n").unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].shell, "/bin/sh");
        assert!(is_interactive(&p[0], 1000));
    }

    #[test]
    fn a_short_line_is_an_error_naming_the_line() {
        let e = parse_passwd("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nbroken:x:1\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/passwd:2: expected 7 colon-separated fields, found 3"
        );
    }

    #[test]
    fn nobody_and_nologin_accounts_are_not_interactive() {
        let p = parse_passwd(
            "/etc/passwd",
            "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\nsvc:x:1002:1002::/srv:/usr/sbin/nologin\nsync:x:4:65534:sync:/bin:/bin/sync\n",
        )
        .unwrap();
        assert!(p.iter().all(|u| !is_interactive(u, 1000)));
    }

    #[test]
    fn system_accounts_with_a_login_shell_are_those_below_uid_min_or_nobody() {
        let p = parse_passwd(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\nsync:x:4:65534:sync:/bin:/bin/sync\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\nbackup:x:34:34::/var/backups:/bin/sh\nsvc:x:999:999::/srv:/bin/false\nnobody:x:65534:65534::/nonexistent:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nlow:x:600:600::/home/low:/bin/bash\n",
        )
        .unwrap();
        let names = |min| {
            p.iter()
                .filter(|u| is_system_with_shell(u, min))
                .map(|u| u.name.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(1000), ["backup", "nobody", "low"]);
        // UID_MIN 500 makes `low` a person.
        assert_eq!(names(500), ["backup", "nobody"]);
    }

    #[test]
    fn path_entries_flag_empty_and_relative_and_skip_inherited() {
        let e = parse_path_assignments("/root/.profile", "export PATH=\"$PATH:.:/usr/sbin::$HOME/bin:bin\"\n");
        let v: Vec<_> = e.iter().map(|e| (e.dir.as_str(), e.empty, e.relative)).collect();
        assert_eq!(
            v,
            vec![
                (".", false, true),
                ("/usr/sbin", false, false),
                ("", true, false),
                ("/root/bin", false, false),
                ("bin", false, true)
            ]
        );
    }

    #[test]
    fn rhel_pathmunge_calls_add_entries() {
        let e = parse_path_assignments(
            "/etc/profile",
            "    pathmunge /usr/sbin\n    pathmunge /usr/local/sbin after\npathmunge () {\n",
        );
        let v: Vec<_> = e.iter().map(|e| e.dir.as_str()).collect();
        assert_eq!(v, vec!["/usr/sbin", "/usr/local/sbin"]);
    }

    #[test]
    fn duplicates_report_every_name_and_the_second_line() {
        let p = parse_passwd(
            "/etc/passwd",
            "root:x:0:0::/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\n",
        )
        .unwrap();
        let d = duplicates(&p, |u| u.uid.to_string(), |u| &u.name, |u| &u.source);
        assert_eq!(d[0].names, vec!["root", "toor"]);
        assert_eq!(d[0].source.line, Some(2));
    }
}
