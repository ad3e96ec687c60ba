//! The checks sshd makes after parsing and before it starts: a configuration every line of which
//! parses can still make sshd exit at start-up (OpenSSH 9.2p1 `sshd.c` `main()`, right after
//! `fill_default_server_options`). They read the options of the first parsing pass, where only
//! `Match all` blocks are in force, and stop at the first failure, as sshd's `fatal()` does.
//!
//! Each check is a row of [`CHECKS`]; each row names the sshd function it models. Two refusals
//! come earlier, while sshd reads its files (`servconf.c` `load_server_config`): an included file
//! it cannot open, checked first in [`first_failure`], and a missing sshd_config where the server
//! package is installed, checked in `collect`. Checks sshd makes against the running machine (the
//! privilege separation user, /run/sshd, loadable host keys) are not made: an image's host keys
//! are normally generated at first boot.

use super::keywords::printed_name;
use super::keywords::{AUTH_METHODS, Opts};
use super::parse::Config;
use super::render::{default_of, default_source};
use super::versions::{Defaults, IMPLIED};
use crate::facts::{Fact, Source};

/// One start-up check: where sshd makes it, and the check (`Some(reason, source)` on failure).
pub(super) struct Check {
    /// The sshd source the check models.
    pub sshd: &'static str,
    /// The check itself.
    pub run: fn(&Opts, &Defaults) -> Option<(String, Source)>,
}

/// sshd's start-up checks, in the order `main()` makes them.
pub(super) const CHECKS: &[Check] = &[
    Check {
        sshd: "sshd.c main(): \"AuthorizedKeysCommand set without AuthorizedKeysCommandUser\"",
        run: |o, v| command_without_user(o, v, COMMANDS[0]),
    },
    Check {
        sshd: "sshd.c main(): \"AuthorizedPrincipalsCommand set without AuthorizedPrincipalsCommandUser\"",
        run: |o, v| command_without_user(o, v, COMMANDS[1]),
    },
    Check {
        sshd: "sshd.c main() with auth2.c auth2_methods_valid(list, need_enable = 1)",
        run: methods_satisfiable,
    },
];

/// (command option, its user option, keyword names as sshd prints them).
type CommandPair = (&'static str, &'static str, &'static str, &'static str);

const COMMANDS: [CommandPair; 2] = [
    (
        "authorizedkeyscommand",
        "authorizedkeyscommanduser",
        "AuthorizedKeysCommand",
        "AuthorizedKeysCommandUser",
    ),
    (
        "authorizedprincipalscommand",
        "authorizedprincipalscommanduser",
        "AuthorizedPrincipalsCommand",
        "AuthorizedPrincipalsCommandUser",
    ),
];

/// The value in force for `opt` and where it comes from (a line, or the compiled-in default of
/// the build), with [`IMPLIED`] applied as sshd.c applies it before its checks.
fn value(o: &Opts, opt: &str, d: &Defaults) -> Option<(String, Source)> {
    for (from, to) in IMPLIED {
        if *to == opt
            && printed_name(from, d).is_some()
            && let Some((v, src)) = value(o, from, d)
            && v == "yes"
        {
            return Some((v, src));
        }
    }
    match o.get(opt).and_then(|s| s.items.first()) {
        Some(i) => Some((i.v.clone(), i.src.clone())),
        None => Some(default_of(opt, d))
            .filter(|v| !v.is_empty())
            .map(|v| (v.to_owned(), default_source(&d.note))),
    }
}

/// A command that is set and not "none" (case-insensitive) needs its user option set, to
/// anything (`none` included: fill_default_server_options does not clear it).
fn command_without_user(o: &Opts, _d: &Defaults, pair: CommandPair) -> Option<(String, Source)> {
    let (cmd, user, cmd_kw, user_kw) = pair;
    let c = o.get(cmd).and_then(|s| s.items.first())?;
    if c.v.eq_ignore_ascii_case("none") || o.get(user).is_some_and(|s| !s.items.is_empty()) {
        return None;
    }
    Some((
        format!("{cmd_kw} set without {user_kw}: {cmd_kw} {}", c.v),
        c.src.clone(),
    ))
}

/// `AuthenticationMethods`: at least one list must name only enabled methods (a lone "any" was
/// already reset to unset, as fill_default_server_options does).
fn methods_satisfiable(o: &Opts, d: &Defaults) -> Option<(String, Source)> {
    let lists = o.get("authenticationmethods").map(|s| &s.items)?;
    let first = lists.first()?;
    let mut why = Vec::new();
    for list in lists {
        let mut disabled = Vec::new();
        for m in list.v.split(',') {
            let name = m.split_once(':').map_or(m, |(n, _)| n);
            let Some((_, Some(opt))) = AUTH_METHODS.iter().find(|(n, _)| *n == name) else {
                continue;
            };
            let (v, src) = value(o, opt, d).unwrap_or_else(|| ("no".into(), default_source(&d.note)));
            if v != "yes" {
                disabled.push(format!("{name} is disabled ({} {v}, {src})", keyword_name(opt)));
            }
        }
        if disabled.is_empty() {
            return None;
        }
        why.push(format!("{} in \"{}\"", disabled.join(", "), list.v));
    }
    Some((
        format!(
            "AuthenticationMethods cannot be satisfied by enabled authentication methods: {}",
            why.join("; ")
        ),
        first.src.clone(),
    ))
}

/// The keyword as sshd_config(5) spells it, for the options that enable a method.
fn keyword_name(opt: &str) -> &str {
    match opt {
        "pubkeyauthentication" => "PubkeyAuthentication",
        "gssapiauthentication" => "GSSAPIAuthentication",
        "passwordauthentication" => "PasswordAuthentication",
        "kbdinteractiveauthentication" => "KbdInteractiveAuthentication",
        "hostbasedauthentication" => "HostbasedAuthentication",
        other => other,
    }
}

/// The first start-up check that fails on the first-pass options `global`, as a fact: "sshd would
/// refuse to start: " and sshd's message (with the settings that lead to it), and the line that
/// caused it. An included file sshd cannot open comes first: `load_server_config` exits while
/// reading the configuration, before any option is checked.
pub(super) fn first_failure(cfg: &Config, global: &Opts, d: &Defaults) -> Option<Fact<String>> {
    if let Some((file, include)) = &cfg.unopenable_include {
        let mut source = include.clone();
        source.note = Some("as servconf.c load_server_config() opens included files".into());
        return Some(Fact::new(
            format!(
                "sshd would refuse to start: {file}: No such file or directory (a dangling symbolic link named by Include)"
            ),
            source,
        ));
    }
    CHECKS.iter().find_map(|c| {
        let (reason, mut source) = (c.run)(global, d)?;
        source.note = Some(format!("as checked by {}", c.sshd));
        Some(Fact::new(format!("sshd would refuse to start: {reason}"), source))
    })
}
