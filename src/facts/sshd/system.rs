//! The system databases sshd consults while it reads its configuration, taken from the scanned
//! root (live, the machine's own): /etc/passwd and /etc/group (`Match Group`, `~` and `~user`
//! paths) and /etc/services (port names: `Port ssh`, `PermitOpen host:http`, `Match LocalPort
//! ssh`). Only the files are modelled (nsswitch `files`); an LDAP or SSSD user is unknown here, as
//! it is to an sshd whose NSS has no such module.
//!
//! The files are read once per configuration; a file that cannot be read or parsed is kept as
//! its error and becomes an error only where sshd would consult it: a configuration that never
//! names a group, a home or a port by name does not depend on them.

use crate::facts::accounts::{Group, User, parse_group, parse_passwd};
use crate::rootfs::RootFs;

/// Largest passwd, group or services file read.
const LIMIT: u64 = 8 << 20;

/// One database: its entries (empty when the file is absent, as for glibc), or why it could not
/// be read.
type Db<T> = Result<Vec<T>, String>;

/// One /etc/services entry for TCP: its names (official name, then aliases) and port.
#[derive(Debug, Clone)]
struct Service {
    names: Vec<String>,
    port: i32,
}

/// The databases of one root.
#[derive(Debug, Clone)]
pub(super) struct System {
    passwd: Db<User>,
    groups: Db<Group>,
    services: Db<Service>,
}

impl Default for System {
    /// No entries in any database (unit tests of configurations that name no user or service).
    fn default() -> Self {
        System {
            passwd: Ok(Vec::new()),
            groups: Ok(Vec::new()),
            services: Ok(Vec::new()),
        }
    }
}

fn read(fs: &RootFs, path: &str) -> Result<Option<String>, String> {
    fs.read_text_limited(path, LIMIT)
        .map_err(|e| format!("{e} (sshd consults {path} for this line)"))
}

/// services(5): `name port/protocol [aliases…] [# comment]`; TCP entries only.
fn parse_services(text: &str) -> Vec<Service> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_ascii_whitespace();
        let (Some(name), Some(pp)) = (words.next(), words.next()) else {
            continue;
        };
        let Some((port, proto)) = pp.split_once('/') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else { continue };
        if proto != "tcp" {
            continue;
        }
        let mut names = vec![name.to_owned()];
        names.extend(words.map(str::to_owned));
        out.push(Service {
            names,
            port: i32::from(port),
        });
    }
    out
}

impl System {
    /// Reads the three databases of `fs`.
    pub(super) fn load(fs: &RootFs) -> System {
        let passwd = read(fs, "/etc/passwd").and_then(|t| match t {
            Some(t) => parse_passwd("/etc/passwd", &t).map_err(|e| e.to_string()),
            None => Ok(Vec::new()),
        });
        let groups = read(fs, "/etc/group").and_then(|t| match t {
            Some(t) => parse_group("/etc/group", &t).map_err(|e| e.to_string()),
            None => Ok(Vec::new()),
        });
        let services = read(fs, "/etc/services").map(|t| t.map(|t| parse_services(&t)).unwrap_or_default());
        System {
            passwd,
            groups,
            services,
        }
    }

    fn users(&self) -> Result<&[User], String> {
        self.passwd.as_deref().map_err(Clone::clone)
    }

    /// `getpwnam`: the first entry with that name.
    fn user(&self, name: &str) -> Result<Option<&User>, String> {
        Ok(self.users()?.iter().find(|u| u.name == name))
    }

    /// `getservbyname(name, "tcp")`: the port of the first TCP entry naming it.
    pub(super) fn service(&self, name: &str) -> Result<Option<i32>, String> {
        let services = self.services.as_deref().map_err(Clone::clone)?;
        Ok(services
            .iter()
            .find(|s| s.names.iter().any(|n| n == name))
            .map(|s| s.port))
    }

    /// `tilde_expand(filename, uid 0)` (misc.c): `~` and `~/path` are root's home (the first
    /// passwd entry with uid 0), `~user/path` that user's; the home gets a trailing `/` when it
    /// has none, and the slashes after the `~` part are dropped. Err with sshd's message when the
    /// user does not exist (sshd exits).
    pub(super) fn tilde_expand(&self, filename: &str) -> Result<String, String> {
        let Some(rest) = filename.strip_prefix('~') else {
            return Ok(filename.to_owned());
        };
        let (user, path) = if rest.is_empty() || rest.starts_with('/') {
            (None, rest.trim_start_matches('/'))
        } else {
            match rest.split_once('/') {
                Some((u, p)) => (Some(u), p.trim_start_matches('/')),
                None => (Some(rest), ""),
            }
        };
        let pw = match user {
            Some(u) => self.user(u)?.ok_or_else(|| format!("tilde_expand: No such user {u}"))?,
            None => self
                .users()?
                .iter()
                .find(|u| u.uid == 0)
                .ok_or_else(|| "tilde_expand: No such uid 0".to_owned())?,
        };
        let slash = if pw.home.ends_with('/') { "" } else { "/" };
        Ok(format!("{}{slash}{path}", pw.home))
    }

    /// The names of `user`'s groups as `ga_init` finds them (getgrouplist, then getgrgid for each
    /// gid): the primary gid first, then every group listing the user as a member, each gid once,
    /// each named by the first group entry with that gid (a gid without one is left out).
    /// `None` when the user does not exist (sshd: "Can't match group … user does not exist").
    pub(super) fn groups_of(&self, user: &str) -> Result<Option<Vec<String>>, String> {
        let Some(pw) = self.user(user)? else {
            return Ok(None);
        };
        let groups = self.groups.as_deref().map_err(Clone::clone)?;
        let mut gids = vec![pw.gid];
        for g in groups {
            if g.members.iter().any(|m| m == user) && !gids.contains(&g.gid) {
                gids.push(g.gid);
            }
        }
        Ok(Some(
            gids.iter()
                .filter_map(|gid| groups.iter().find(|g| g.gid == *gid).map(|g| g.name.clone()))
                .collect(),
        ))
    }
}

/// `a2port`: 0..=65535 as a number, else a TCP service name from the root's /etc/services
/// (`getservbyname`). Ok(None) when neither; Err when /etc/services cannot be read.
pub(super) fn a2port(s: &str, sys: &System) -> Result<Option<i32>, String> {
    if let Some(v) = strtonum(s, 0, 65535) {
        return Ok(Some(v as i32));
    }
    sys.service(s)
}

/// `strtonum`: a decimal integer within bounds, nothing else.
pub(super) fn strtonum(s: &str, min: i64, max: i64) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let v: i64 = t
        .strip_prefix('+')
        .unwrap_or(t)
        .parse()
        .ok()
        .filter(|_| !t.starts_with("+-"))?;
    (min..=max).contains(&v).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sys(passwd: &str, group: &str) -> System {
        System {
            passwd: parse_passwd("/etc/passwd", passwd).map_err(|e| e.to_string()),
            groups: parse_group("/etc/group", group).map_err(|e| e.to_string()),
            services: Ok(parse_services(
                "ssh 22/tcp # SSH\nhttp 80/tcp www\nudponly 9/udp\nalt 2222/tcp alt-ssh\n",
            )),
        }
    }

    #[test]
    fn tilde_expands_with_the_roots_passwd() {
        let s = sys(
            "root:x:0:0::/var/root:/bin/sh\nalice:x:1000:1000::/home/alice/:/bin/sh\n",
            "",
        );
        assert_eq!(s.tilde_expand("~").unwrap(), "/var/root/");
        assert_eq!(s.tilde_expand("~/").unwrap(), "/var/root/");
        assert_eq!(s.tilde_expand("~//x").unwrap(), "/var/root/x");
        assert_eq!(s.tilde_expand("~alice").unwrap(), "/home/alice/");
        assert_eq!(s.tilde_expand("~alice/k").unwrap(), "/home/alice/k");
        assert!(s.tilde_expand("~bob/k").unwrap_err().contains("No such user bob"));
        assert_eq!(s.tilde_expand("/abs").unwrap(), "/abs");
    }

    #[test]
    fn groups_come_from_primary_gid_and_membership_named_by_first_entry() {
        let s = sys(
            "alice:x:1000:1000::/home/alice:/bin/sh\n",
            "staff:x:1000:\nalias:x:1000:alice\nadm:x:4:bob,alice\nghost:x:77:alice\nwheel:x:10:bob\n",
        );
        assert_eq!(
            s.groups_of("alice").unwrap(),
            Some(vec!["staff".into(), "adm".into(), "ghost".into()])
        );
        assert_eq!(s.groups_of("nobody").unwrap(), None);
    }

    #[test]
    fn services_by_name_and_alias_tcp_only() {
        let s = sys("", "");
        assert_eq!(s.service("ssh").unwrap(), Some(22));
        assert_eq!(s.service("www").unwrap(), Some(80));
        assert_eq!(s.service("alt-ssh").unwrap(), Some(2222));
        assert_eq!(s.service("udponly").unwrap(), None);
    }
}
