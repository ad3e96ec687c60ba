//! The sudoers policy: /etc/sudoers and the files it includes, parsed per sudoers(5).
//!
//! Followed semantics:
//! - `\` at the end of a line continues it; `#` starts a comment, except the include directives
//!   `#include` / `#includedir` (old spelling of `@include` / `@includedir`) and `#` followed by a
//!   digit, which is a numeric uid in a user list.
//! - `@include file` / `@includedir dir`: a relative path is relative to the directory of the
//!   including file (sudo ≥ 1.9.1). In an included directory, files whose name ends in `~` or
//!   contains a `.` are skipped (so editor backups and `README.rpmsave` are not read), and the rest
//!   are read in sorted order. Nesting is bounded (sudo stops at 128; we stop at 8, far beyond real
//!   layouts) and an include loop is an error.
//! - `Defaults[@:!>scope] param, param…` with `name`, `!name`, `name=value`, `name+=value`,
//!   `name-=value`; for a boolean the last global setting wins, as sudo applies them in order.
//! - User specifications `users hosts = (runas) TAGS: cmnd, …`: a tag such as `NOPASSWD:` stays in
//!   force for the following commands of the same list until another tag overrides it.
//!
//! Deliberately ignored: alias expansion (a `Cmnd_Alias` is reported by name), `%h` in include
//! paths (the hostname is not known offline: such an include is an error), and the LDAP/SSSD
//! sudoers sources of nsswitch.conf.

use std::collections::BTreeSet;

use serde::Serialize;

use super::super::{Fact, FactError, Source};
use super::{dir_files, logical_lines};
use crate::rootfs::RootFs;

/// The main policy file.
pub const SUDOERS: &str = "/etc/sudoers";
const MAX_DEPTH: usize = 8;
const MAX_FILES: usize = 256;

/// One parameter of a `Defaults` line.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SudoDefault {
    /// The parameter name (`use_pty`, `logfile`, `authenticate`).
    pub name: String,
    /// `set`, `negate` (`!name`), `assign` (`=`), `append` (`+=`) or `remove` (`-=`).
    pub op: String,
    /// The value for assignments, quotes removed. (Not named `value`: with `source` beside it the
    /// item would read as a `Fact`.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arg: Option<String>,
    /// The scope suffix of `Defaults` (`@host`, `:user`, `!cmnd`, `>runas`); absent = global.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Where it is set.
    pub source: Source,
}

/// One command of a user specification that runs without a password.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NoPasswd {
    /// The user list, as written (`admin`, `%sudo`, `ALL`).
    pub users: String,
    /// The runas list, as written, or `root` when none is given.
    pub runas: String,
    /// The command (`ALL`, a path with arguments, or an alias name).
    pub command: String,
    /// Where it is.
    pub source: Source,
}

/// The sudoers policy.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Sudo {
    /// The files read, in order.
    pub files: Vec<String>,
    /// Every `Defaults` parameter, in order.
    pub defaults: Vec<SudoDefault>,
    /// `use_pty` in force globally (default off before sudo 1.9.14).
    pub use_pty: Fact<bool>,
    /// The global `logfile`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logfile: Option<Fact<String>>,
    /// `authenticate` in force globally (default on).
    pub authenticate: Fact<bool>,
    /// Every `!authenticate`, global or scoped.
    pub no_authenticate: Vec<SudoDefault>,
    /// `timestamp_timeout` in minutes, as written (default 5; negative = never expires).
    pub timestamp_timeout: Fact<String>,
    /// Commands granted with `NOPASSWD`.
    pub nopasswd: Vec<NoPasswd>,
}

/// What one file contributes, before includes are followed.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed {
    /// Defaults, in order.
    pub defaults: Vec<SudoDefault>,
    /// NOPASSWD commands.
    pub nopasswd: Vec<NoPasswd>,
    /// Includes, in order: (is a directory, path as written, line).
    pub includes: Vec<(bool, String, Source)>,
}

/// Splits on `sep` outside double quotes, honouring backslash escapes.
fn split_outside_quotes(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in s.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            cur.push(c);
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
            cur.push(c);
        } else if c == sep && !quoted {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

/// Removes a `#` comment: a `#` not followed by a digit (a uid) and outside quotes.
fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    let mut quoted = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'"' => quoted = !quoted,
            b'#' if !quoted && !b.get(i + 1).is_some_and(u8::is_ascii_digit) => return &line[..i],
            _ => {}
        }
    }
    line
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v)
        .replace("\\\"", "\"")
}

const TAGS: &[&str] = &[
    "NOPASSWD",
    "PASSWD",
    "NOEXEC",
    "EXEC",
    "SETENV",
    "NOSETENV",
    "LOG_INPUT",
    "NOLOG_INPUT",
    "LOG_OUTPUT",
    "NOLOG_OUTPUT",
    "MAIL",
    "NOMAIL",
    "FOLLOW",
    "NOFOLLOW",
    "INTERCEPT",
    "NOINTERCEPT",
];

/// Parses one sudoers file.
pub fn parse(path: &str, text: &str) -> Parsed {
    let mut p = Parsed::default();
    for (n, raw) in logical_lines(text) {
        let t = raw.trim();
        let source = Source::at(path, n);
        for (kw, dir) in [
            ("@includedir", true),
            ("#includedir", true),
            ("@include", false),
            ("#include", false),
        ] {
            if let Some(rest) = t.strip_prefix(kw)
                && rest.starts_with(char::is_whitespace)
            {
                p.includes.push((dir, unquote(rest), source.clone()));
            }
        }
        if t.starts_with("@include") || t.starts_with("#include") {
            continue;
        }
        let line = strip_comment(t).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("Defaults") {
            let (scope, params) = match rest.chars().next() {
                Some(c @ ('@' | ':' | '!' | '>')) => {
                    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                    (Some(format!("{c}{}", &rest[1..end])), &rest[end..])
                }
                Some(c) if c.is_whitespace() => (None, rest),
                _ => continue,
            };
            for param in split_outside_quotes(params, ',') {
                let param = param.trim();
                if param.is_empty() {
                    continue;
                }
                let (name, op, value) = if let Some(n) = param.strip_prefix('!') {
                    (n.trim().to_owned(), "negate", None)
                } else if let Some((n, v)) = param.split_once("+=") {
                    (n.trim().to_owned(), "append", Some(unquote(v)))
                } else if let Some((n, v)) = param.split_once("-=") {
                    (n.trim().to_owned(), "remove", Some(unquote(v)))
                } else if let Some((n, v)) = param.split_once('=') {
                    (n.trim().to_owned(), "assign", Some(unquote(v)))
                } else {
                    (param.to_owned(), "set", None)
                };
                p.defaults.push(SudoDefault {
                    name,
                    op: op.into(),
                    arg: value,
                    scope: scope.clone(),
                    source: source.clone(),
                });
            }
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if first.ends_with("_Alias") {
            continue;
        }
        parse_user_spec(line, &source, &mut p.nopasswd);
    }
    p
}

/// `users hosts = cmnd_spec, … [: hosts = cmnd_spec, …]`: records the NOPASSWD commands.
fn parse_user_spec(line: &str, source: &Source, out: &mut Vec<NoPasswd>) {
    let Some((head, _)) = line.split_once('=') else { return };
    let users = head.split_whitespace().next().unwrap_or("").to_owned();
    // The text after the first `hosts =`; a further `: hosts =` group is handled per spec below.
    let body = &line[head.len() + 1..];
    let mut runas = "root".to_owned();
    let mut nopasswd = false;
    for spec in split_outside_quotes(body, ',') {
        let mut s = spec.trim();
        // `: host = ` starting another group resets nothing in sudo's grammar but the host.
        if let Some((_, rest)) = s.split_once(" = ").filter(|(h, _)| h.trim_start().starts_with(':')) {
            s = rest.trim();
        }
        if let Some(rest) = s.strip_prefix('(') {
            let Some(end) = rest.find(')') else { continue };
            runas = rest[..end].trim().to_owned();
            s = rest[end + 1..].trim();
        }
        // Options such as `TIMEOUT=5m`, `CWD=/`, `ROLE=` come before tags; skip them.
        loop {
            let word = s.split_whitespace().next().unwrap_or("");
            if let Some((tag, rest)) = s.split_once(':')
                && TAGS.contains(&tag.trim())
                && !tag.contains(char::is_whitespace)
            {
                match tag.trim() {
                    "NOPASSWD" => nopasswd = true,
                    "PASSWD" => nopasswd = false,
                    _ => {}
                }
                s = rest.trim_start();
                continue;
            }
            if word.contains('=')
                && word
                    .split('=')
                    .next()
                    .is_some_and(|k| k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
                && !word.is_empty()
            {
                s = s[word.len()..].trim_start();
                continue;
            }
            break;
        }
        if nopasswd && !s.is_empty() {
            out.push(NoPasswd {
                users: users.clone(),
                runas: runas.clone(),
                command: s.to_owned(),
                source: source.clone(),
            });
        }
    }
}

/// The directory of an in-image path.
fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// sudoers(5): files in an included directory are skipped if the name ends in `~` or has a `.`.
pub fn included_name(name: &str) -> bool {
    !name.ends_with('~') && !name.contains('.')
}

/// Reads /etc/sudoers and its includes. Not applicable when /etc/sudoers does not exist.
pub fn collect(fs: &RootFs) -> Result<Sudo, FactError> {
    if fs.metadata(SUDOERS)?.is_none() {
        return Err(FactError::NotApplicable(
            "/etc/sudoers does not exist: sudo is not installed".into(),
        ));
    }
    let mut files = Vec::new();
    let mut defaults = Vec::new();
    let mut nopasswd = Vec::new();
    let mut stack = BTreeSet::new();
    read_file(fs, SUDOERS, 0, &mut stack, &mut files, &mut defaults, &mut nopasswd)?;
    Ok(resolve(files, defaults, nopasswd))
}

fn read_file(
    fs: &RootFs,
    path: &str,
    depth: usize,
    stack: &mut BTreeSet<String>,
    files: &mut Vec<String>,
    defaults: &mut Vec<SudoDefault>,
    nopasswd: &mut Vec<NoPasswd>,
) -> Result<(), FactError> {
    if depth > MAX_DEPTH {
        return Err(FactError::IncludeDepth {
            path: path.into(),
            depth: MAX_DEPTH,
        });
    }
    if files.len() >= MAX_FILES {
        return Err(FactError::Limit {
            path: path.into(),
            limit: MAX_FILES as u64,
            what: "sudoers files read through includes",
        });
    }
    if !stack.insert(path.to_owned()) {
        return Err(FactError::IncludeLoop { path: path.into() });
    }
    // An include of a missing file is ignored by sudo with a warning; so do we.
    let Some(text) = fs.read_text(path)? else {
        stack.remove(path);
        return Ok(());
    };
    files.push(path.to_owned());
    let p = parse(path, &text);
    defaults.extend(p.defaults);
    nopasswd.extend(p.nopasswd);
    for (is_dir, target, src) in p.includes {
        if target.contains("%h") {
            return Err(FactError::Invalid(format!(
                "{src}: include path {target:?} uses %h (the host name), which is not known for an offline root"
            )));
        }
        let target = if target.starts_with('/') {
            target
        } else {
            format!("{}/{target}", parent(path).trim_end_matches('/'))
        };
        if is_dir {
            for e in dir_files(fs, &target)?.unwrap_or_default() {
                if included_name(&e.name) {
                    read_file(fs, &e.path, depth + 1, stack, files, defaults, nopasswd)?;
                }
            }
        } else {
            read_file(fs, &target, depth + 1, stack, files, defaults, nopasswd)?;
        }
    }
    stack.remove(path);
    Ok(())
}

/// Derives the global settings in force from the ordered Defaults.
pub fn resolve(files: Vec<String>, defaults: Vec<SudoDefault>, nopasswd: Vec<NoPasswd>) -> Sudo {
    let global = |name: &str| defaults.iter().rev().find(|d| d.scope.is_none() && d.name == name);
    let flag = |name: &str, default: bool, note: &str| match global(name) {
        Some(d) => Fact::new(d.op != "negate", d.source.clone()),
        None => Fact::new(default, Source::note(note)),
    };
    let use_pty = flag("use_pty", false, "sudoers(5) default: off (before sudo 1.9.14)");
    let authenticate = flag("authenticate", true, "sudoers(5) default: on");
    let logfile = global("logfile").and_then(|d| {
        d.arg
            .clone()
            .filter(|_| d.op == "assign")
            .map(|v| Fact::new(v, d.source.clone()))
    });
    let timestamp_timeout = match global("timestamp_timeout") {
        Some(d) if d.op == "assign" => Fact::new(d.arg.clone().unwrap_or_default(), d.source.clone()),
        // `!timestamp_timeout` sets it to 0: always ask.
        Some(d) if d.op == "negate" => Fact::new("0".into(), d.source.clone()),
        _ => Fact::new("5".into(), Source::note("sudoers(5) default: 5 minutes")),
    };
    let no_authenticate = defaults
        .iter()
        .filter(|d| d.name == "authenticate" && d.op == "negate")
        .cloned()
        .collect();
    Sudo {
        files,
        use_pty,
        logfile,
        authenticate,
        no_authenticate,
        timestamp_timeout,
        nopasswd,
        defaults,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_with_quoted_values_commas_and_scopes() {
        let p = parse(
            "/etc/sudoers",
            "Defaults\tenv_reset\nDefaults use_pty, logfile=\"/var/log/sudo.log\"\nDefaults:backup !authenticate\n",
        );
        let names: Vec<_> = p.defaults.iter().map(|d| (d.name.as_str(), d.op.as_str())).collect();
        assert_eq!(
            names,
            vec![
                ("env_reset", "set"),
                ("use_pty", "set"),
                ("logfile", "assign"),
                ("authenticate", "negate")
            ]
        );
        assert_eq!(p.defaults[2].arg.as_deref(), Some("/var/log/sudo.log"));
        assert_eq!(p.defaults[3].scope.as_deref(), Some(":backup"));
        let s = resolve(vec![], p.defaults, vec![]);
        assert!(s.use_pty.value);
        assert!(s.authenticate.value, "a scoped !authenticate is not global");
        assert_eq!(s.no_authenticate.len(), 1);
    }

    #[test]
    fn later_negation_wins_for_a_flag() {
        let p = parse("/etc/sudoers", "Defaults use_pty\nDefaults !use_pty\n");
        assert!(!resolve(vec![], p.defaults, vec![]).use_pty.value);
    }

    #[test]
    fn hash_include_is_a_directive_and_hash_digit_is_a_uid() {
        let p = parse(
            "/etc/sudoers",
            "#includedir /etc/sudoers.d\n# plain comment\n#1000 ALL=(ALL) NOPASSWD: ALL\n",
        );
        assert_eq!(p.includes.len(), 1);
        assert!(p.includes[0].0);
        assert_eq!(p.nopasswd.len(), 1, "`#1000` is a uid, not a comment");
        assert_eq!(p.nopasswd[0].users, "#1000");
    }

    #[test]
    fn nopasswd_tag_carries_over_to_following_commands_until_passwd() {
        let p = parse(
            "/etc/sudoers.d/ops",
            "%ops ALL=(root) NOPASSWD: /usr/bin/systemctl restart nginx, /usr/bin/journalctl, PASSWD: /usr/bin/vi\nadmin ALL=(ALL:ALL) NOPASSWD:ALL\n",
        );
        let cmds: Vec<_> = p.nopasswd.iter().map(|n| n.command.as_str()).collect();
        assert_eq!(
            cmds,
            vec!["/usr/bin/systemctl restart nginx", "/usr/bin/journalctl", "ALL"]
        );
        assert_eq!(p.nopasswd[2].runas, "ALL:ALL");
        assert_eq!(p.nopasswd[2].source.line, Some(2));
    }

    #[test]
    fn includedir_skips_names_with_dots_and_tildes() {
        assert!(included_name("90-cloud-init-users"));
        assert!(!included_name("README.rpmsave"));
        assert!(!included_name("admins~"));
    }

    #[test]
    fn timeout_negation_means_zero() {
        let p = parse("/etc/sudoers", "Defaults !timestamp_timeout\n");
        assert_eq!(resolve(vec![], p.defaults, vec![]).timestamp_timeout.value, "0");
    }
}
