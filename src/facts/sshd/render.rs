//! OpenSSH 9.2p1's compiled-in defaults (Debian 12 build), the two parsing passes sshd makes
//! (global, then Match with a connection spec, `parse_server_match_config`), the algorithm list
//! assembly (`kex_assemble_names`: `+` append, `-` remove, `^` prepend, patterns) and the
//! `dump_config` printer behind `sshd -T`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::ConnSpec;
use super::algorithms::{ALL_CIPHERS, ALL_KEX, ALL_KEYS, ALL_MACS, ALL_SIGS, IPQOS};
#[cfg(test)]
use super::keywords::Item;
use super::keywords::{self, Opts, Slot};
use super::matching::{addr_match_list, filter_allow, filter_deny, match_pattern_list};
use super::parse::{Config, Criterion};
use super::versions::{Defaults, IMPLIED};
use crate::facts::{FactError, Source};

/// KEX_SERVER_ENCRYPT (myproposal.h), for the tests of list assembly.
#[cfg(test)]
const DEF_CIPHERS: &str =
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com";
/// KEX_SERVER_MAC, for the tests of list assembly.
#[cfg(test)]
const DEF_MACS: &str = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";
/// SSH_ALLOWED_CA_SIGALGS of 9.2p1, for a release without CASignatureAlgorithms.
const DEF_CA_SIGS: &str = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256";
/// GSS_KEX_DEFAULT_KEX (Debian's GSSAPI key-exchange patch).
const DEF_GSS_KEX: &str = "gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,gss-curve25519-sha256-,gss-group14-sha1-,gss-gex-sha1-";
fn iptos2str(v: i32) -> String {
    IPQOS
        .iter()
        .find(|(_, x)| *x == v)
        .map_or_else(|| format!("0x{v:02x}"), |(n, _)| (*n).to_owned())
}

/// Compiled-in defaults of single-valued options (fill_default_server_options, 9.2p1 Debian, and
/// of the options other releases and builds add), as `sshd -T` prints them; where a release or a
/// build differs, `versions::DEFAULT_CHANGES` has it.
pub(super) const DEFAULTS: &[(&str, &str)] = &[
    ("addressfamily", "any"),
    ("usepam", "no"),
    ("logingracetime", "120"),
    ("x11displayoffset", "10"),
    ("maxauthtries", "6"),
    ("maxsessions", "10"),
    ("clientaliveinterval", "0"),
    ("clientalivecountmax", "3"),
    ("requiredrsasize", "1024"),
    ("streamlocalbindmask", "0177"),
    ("unusedconnectiontimeout", "0"),
    ("permitrootlogin", "without-password"),
    ("ignorerhosts", "yes"),
    ("ignoreuserknownhosts", "no"),
    ("hostbasedauthentication", "no"),
    ("hostbasedusesnamefrompacketonly", "no"),
    ("pubkeyauthentication", "yes"),
    ("kerberosauthentication", "no"),
    ("kerberosorlocalpasswd", "yes"),
    ("kerberosticketcleanup", "yes"),
    ("gssapiauthentication", "no"),
    ("gssapicleanupcredentials", "yes"),
    ("gssapikeyexchange", "no"),
    ("gssapistrictacceptorcheck", "yes"),
    ("gssapistorecredentialsonrekey", "no"),
    ("gssapikexalgorithms", DEF_GSS_KEX),
    ("passwordauthentication", "yes"),
    ("kbdinteractiveauthentication", "yes"),
    ("challengeresponseauthentication", "yes"),
    ("useprivilegeseparation", "sandbox"),
    ("pamservicename", "sshd"),
    ("refuseconnection", "no"),
    ("persourcepenaltyexemptlist", "none"),
    ("sshdsessionpath", "/usr/lib/openssh/sshd-session"),
    ("sshdauthpath", "/usr/lib/openssh/sshd-auth"),
    ("gssapienablek5users", "no"),
    ("kerberosusekuserok", "yes"),
    ("debianbanner", "yes"),
    ("printmotd", "yes"),
    ("printlastlog", "yes"),
    ("x11forwarding", "no"),
    ("x11uselocalhost", "yes"),
    ("permittty", "yes"),
    ("permituserrc", "yes"),
    ("strictmodes", "yes"),
    ("tcpkeepalive", "yes"),
    ("permitemptypasswords", "no"),
    ("compression", "yes"),
    ("gatewayports", "no"),
    ("usedns", "no"),
    ("allowtcpforwarding", "yes"),
    ("allowagentforwarding", "yes"),
    ("disableforwarding", "no"),
    ("allowstreamlocalforwarding", "yes"),
    ("streamlocalbindunlink", "no"),
    ("fingerprinthash", "SHA256"),
    ("exposeauthinfo", "no"),
    ("pidfile", "/run/sshd.pid"),
    ("modulifile", "/etc/ssh/moduli"),
    ("xauthlocation", "/usr/bin/xauth"),
    ("ciphers", ""),
    ("macs", ""),
    ("banner", "none"),
    ("forcecommand", "none"),
    ("chrootdirectory", "none"),
    ("trustedusercakeys", "none"),
    ("revokedkeys", "none"),
    ("securitykeyprovider", "internal"),
    ("authorizedprincipalsfile", "none"),
    ("versionaddendum", "none"),
    ("authorizedkeyscommand", "none"),
    ("authorizedkeyscommanduser", "none"),
    ("authorizedprincipalscommand", "none"),
    ("authorizedprincipalscommanduser", "none"),
    ("hostkeyagent", "none"),
    ("kexalgorithms", ""),
    ("casignaturealgorithms", ""),
    ("hostbasedacceptedalgorithms", ""),
    ("hostkeyalgorithms", ""),
    ("pubkeyacceptedalgorithms", ""),
    ("loglevel", "INFO"),
    ("syslogfacility", "AUTH"),
    ("authorizedkeysfile", ".ssh/authorized_keys .ssh/authorized_keys2"),
    ("hostkey", "/etc/ssh/ssh_host_rsa_key"),
    ("authenticationmethods", "any"),
    ("maxstartups", "10:30:100"),
    ("persourcemaxstartups", "none"),
    ("persourcenetblocksize", "32:128"),
    ("permittunnel", "no"),
    ("ipqos", "af21 cs1"),
    ("rekeylimit", "0 0"),
    ("permitopen", "any"),
    ("permitlisten", "any"),
    ("permituserenvironment", "no"),
    ("pubkeyauthoptions", "none"),
    ("port", "22"),
];

/// Options a matching Match block copies over the global ones (copy_set_server_options).
pub(super) const MATCH_COPIED: &[&str] = &[
    "passwordauthentication",
    "gssapiauthentication",
    "pubkeyauthentication",
    "pubkeyauthoptions",
    "kerberosauthentication",
    "hostbasedauthentication",
    "hostbasedusesnamefrompacketonly",
    "kbdinteractiveauthentication",
    "permitrootlogin",
    "permitemptypasswords",
    "ignorerhosts",
    "allowtcpforwarding",
    "allowstreamlocalforwarding",
    "allowagentforwarding",
    "disableforwarding",
    "exposeauthinfo",
    "permittunnel",
    "gatewayports",
    "streamlocalbindunlink",
    "x11displayoffset",
    "x11forwarding",
    "x11uselocalhost",
    "permittty",
    "permituserrc",
    "maxsessions",
    "maxauthtries",
    "clientalivecountmax",
    "clientaliveinterval",
    "ipqos",
    "rekeylimit.bytes",
    "rekeylimit.interval",
    "loglevel",
    "requiredrsasize",
    "unusedconnectiontimeout",
    "streamlocalbindmask",
    "banner",
    "trustedusercakeys",
    "revokedkeys",
    "authorizedkeyscommand",
    "authorizedkeyscommanduser",
    "authorizedprincipalsfile",
    "authorizedprincipalscommand",
    "authorizedprincipalscommanduser",
    "hostbasedacceptedalgorithms",
    "pubkeyacceptedalgorithms",
    "casignaturealgorithms",
    "authorizedkeysfile",
    "allowusers",
    "denyusers",
    "allowgroups",
    "denygroups",
    "acceptenv",
    "setenv",
    "authenticationmethods",
    "permitopen",
    "permitlisten",
    "channeltimeout",
    "logverbose",
    "forcecommand",
    "chrootdirectory",
];

/// String options fill_default_server_options resets to unset when they say "none".
const CLEARED_ON_NONE: &[&str] = &[
    "pidfile",
    "xauthlocation",
    "banner",
    "trustedusercakeys",
    "revokedkeys",
    "securitykeyprovider",
    "authorizedprincipalsfile",
    "forcecommand",
    "chrootdirectory",
    "hostkeyagent",
];

/// A HostKey or HostCertificate entry as `dump_cfg_strarray` prints it: fill_default_server_options
/// clears a `none` entry to NULL (CLEAR_ON_NONE), which glibc's printf shows as `(null)`.
fn null_if_none(v: &str) -> String {
    if v.eq_ignore_ascii_case("none") {
        "(null)".into()
    } else {
        v.to_owned()
    }
}

/// The algorithm list sshd -T prints: `kex_assemble_names` at start-up, then again after the
/// Match pass (copy_set_server_options calls assemble_algorithms): a list that the first pass
/// emptied (`-*`) is empty the second time, and an empty list becomes the default.
fn assembled(list: Option<&str>, def: &str, all: &str) -> Result<String, String> {
    let first = assemble(list, def, all)?;
    assemble(Some(&first), def, all)
}

/// A list option as printed: assembled twice, or once when a Match block set it ([`MATCH_ALGOS`]).
fn algos(o: &Opts, k: &str, def: &str, all: &str) -> Result<String, String> {
    let list = one(o, k);
    if MATCH_ALGOS
        .iter()
        .any(|(opt, marker)| *opt == k && o.contains_key(marker))
    {
        assemble(list.as_deref(), def, all)
    } else {
        assembled(list.as_deref(), def, all)
    }
}

/// `kex_assemble_names(list, def, all)`.
pub(super) fn assemble(list: Option<&str>, def: &str, all: &str) -> Result<String, String> {
    let Some(list) = list.filter(|l| !l.is_empty()) else {
        return Ok(def.to_owned());
    };
    let cat = |a: &str, b: &str| -> String {
        let mut out: Vec<String> = a.split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect();
        for n in b.split(',') {
            if n.is_empty() {
                break;
            }
            if !out.iter().any(|o| o == n) {
                out.push(n.to_owned());
            }
        }
        out.join(",")
    };
    let list = if let Some(r) = list.strip_prefix('+') {
        cat(def, r)
    } else if let Some(r) = list.strip_prefix('-') {
        return Ok(filter_deny(def, r).join(","));
    } else if let Some(r) = list.strip_prefix('^') {
        cat(r, def)
    } else {
        list.to_owned()
    };
    let mut ret = String::new();
    for p in list.split(',') {
        if p.starts_with('!') {
            return Err("negated algorithm patterns are not supported".into());
        }
        ret = cat(&ret, &filter_allow(all, p).join(","));
    }
    if ret.is_empty() {
        return Err(format!("no supported algorithms in \"{list}\""));
    }
    Ok(ret)
}

/// Whether each Match block applies, in block order. `ci` None: the first pass, where only
/// `Match all` is active. Each block's criteria are evaluated once per pass (a Match line of many
/// criteria over a block of many lines stays linear).
fn blocks_active(cfg: &Config, ci: Option<&ConnSpec>) -> Vec<Result<bool, String>> {
    let mut out: Vec<Result<bool, String>> = Vec::with_capacity(cfg.blocks.len());
    for b in 0..cfg.blocks.len() {
        // A parent comes before the blocks of the files it includes.
        let parent = cfg
            .blocks
            .get(b)
            .and_then(|blk| blk.parent)
            .map(|p| out.get(p).cloned().unwrap_or(Ok(false)));
        let r = match parent {
            Some(Err(e)) => Err(e),
            // sshd parses includes inside an inactive block with SSHCFG_NEVERMATCH.
            Some(Ok(false)) => Ok(false),
            _ => block_active(cfg, b, ci),
        };
        out.push(r);
    }
    out
}

/// Whether Match block `b`'s own criteria hold (its parent is active).
fn block_active(cfg: &Config, b: usize, ci: Option<&ConnSpec>) -> Result<bool, String> {
    let Some(block) = cfg.blocks.get(b) else {
        return Ok(false);
    };
    let mut result = true;
    for c in &block.criteria {
        let ok = match (c, ci) {
            (Criterion::All, _) => return Ok(true),
            (Criterion::LocalPort(p), Some(ci)) => match ci.lport {
                Some(l) => l == *p,
                None => {
                    return Err(format!(
                        "{}: 'Match LocalPort' in configuration but 'lport' not in connection test specification",
                        block.source
                    ));
                }
            },
            (_, None) => false,
            (Criterion::User(pat), Some(ci)) => ci
                .user
                .as_deref()
                .is_some_and(|u| match_pattern_list(u, pat, false) == 1),
            // match_cfg_line_group: the user's groups from the root's passwd and group files
            // (ga_init), matched by ga_match_pattern_list: a negated match of any group wins.
            // A user the passwd file does not have matches no Group criterion.
            (Criterion::Group(pat), Some(ci)) => match ci.user.as_deref() {
                None => false,
                Some(u) => match cfg
                    .sys
                    .groups_of(u)
                    .map_err(|e| format!("{}: Match Group: {e}", block.source))?
                {
                    None => false,
                    Some(groups) => {
                        let mut found = false;
                        let mut negated = false;
                        for g in &groups {
                            match match_pattern_list(g, pat, false) {
                                -1 => negated = true,
                                1 => found = true,
                                _ => {}
                            }
                        }
                        found && !negated
                    }
                },
            },
            (Criterion::Host(pat), Some(ci)) => ci
                .host
                .as_deref()
                .is_some_and(|h| match_pattern_list(&h.to_ascii_lowercase(), pat, true) == 1),
            (Criterion::Address(l), Some(ci)) => ci.addr.as_deref().is_some_and(|a| addr_match_list(Some(a), l) == 1),
            (Criterion::LocalAddress(l), Some(ci)) => {
                ci.laddr.as_deref().is_some_and(|a| addr_match_list(Some(a), l) == 1)
            }
            (Criterion::RDomain(pat), Some(ci)) => ci
                .rdomain
                .as_deref()
                .is_some_and(|r| match_pattern_list(r, pat, false) == 1),
        };
        result &= ok;
    }
    Ok(result)
}

/// sshd's refusal of directive `d`: at its file and line when it has them.
pub(super) fn invalid(d: &super::parse::Directive, msg: String) -> FactError {
    match (&d.source.path, d.source.line) {
        (Some(p), Some(l)) => FactError::Parse {
            path: p.clone(),
            line: l,
            msg,
        },
        _ => FactError::SshdRejects { msg },
    }
}

/// The global options (first pass) and, separately, what the Match blocks that apply to `ci`
/// set (second pass). sshd -T always makes the second pass (with an empty spec if none given).
pub(super) fn evaluate(cfg: &Config, ci: Option<&ConnSpec>, build: &Defaults) -> Result<(Opts, Opts), FactError> {
    let mut global = Opts::new();
    let first_pass = blocks_active(cfg, None);
    for d in &cfg.directives {
        let kw = keywords::lookup(&d.keyword, build).ok_or_else(|| {
            invalid(
                d,
                format!("bad configuration option: {}", super::parse::shown_keyword(&d.keyword)),
            )
        })?;
        let active = match d.block {
            None => true,
            Some(b) => first_pass
                .get(b)
                .cloned()
                .unwrap_or(Ok(false))
                .map_err(|m| invalid(d, m))?,
        };
        if !active && !kw.in_match {
            return Err(invalid(
                d,
                format!("directive '{}' is not allowed within a Match block", d.keyword),
            ));
        }
        keywords::apply(&mut global, kw, d, active, &cfg.sys, build).map_err(|m| invalid(d, m))?;
    }
    // fill_default_server_options: a lone "none" ChannelTimeout / "any" AuthenticationMethods
    // is the same as unset.
    for (opt, none) in [("channeltimeout", "none"), ("authenticationmethods", "any")] {
        if let Some(s) = global.get_mut(opt)
            && s.items.len() == 1
            && s.items.first().is_some_and(|i| i.v.eq_ignore_ascii_case(none))
        {
            let old = std::mem::take(&mut s.items);
            s.shadowed.extend(old);
        }
    }
    let blank = ConnSpec::default();
    let ci = ci.unwrap_or(&blank);
    let mut matched = Opts::new();
    let second_pass = blocks_active(cfg, Some(ci));
    for d in &cfg.directives {
        let Some(b) = d.block else { continue };
        let Some(kw) = keywords::lookup(&d.keyword, build) else {
            continue;
        };
        let active = second_pass
            .get(b)
            .cloned()
            .unwrap_or(Ok(false))
            .map_err(|msg| FactError::SshdRejects { msg })?;
        if !active && !kw.in_match {
            continue;
        }
        keywords::apply(&mut matched, kw, d, active, &cfg.sys, build).map_err(|m| invalid(d, m))?;
    }
    Ok((global, matched))
}

/// The key-type lists a Match block can set, each with the marker [`overlay`] leaves when a block
/// set it: sshd assembles a global list at start-up and again after the Match pass, but a list a
/// block set only once (copy_set_server_options copies it as written, then assembles): `-*` in a
/// block prints an empty list, where at the top level it prints the default.
const MATCH_ALGOS: &[(&str, &str)] = &[
    ("hostbasedacceptedalgorithms", "hostbasedacceptedalgorithms.from-match"),
    ("pubkeyacceptedalgorithms", "pubkeyacceptedalgorithms.from-match"),
    ("casignaturealgorithms", "casignaturealgorithms.from-match"),
];

/// copy_set_server_options: options a matching block set replace the global ones.
pub(super) fn overlay(global: &mut Opts, matched: &Opts) {
    for (opt, marker) in MATCH_ALGOS {
        if matched.get(opt).is_some_and(|m| !m.items.is_empty()) {
            global.insert(marker, Slot::default());
        }
    }
    for opt in MATCH_COPIED {
        if let Some(m) = matched.get(opt).filter(|m| !m.items.is_empty()) {
            let g = global.entry(opt).or_default();
            let old = std::mem::take(&mut g.items);
            g.shadowed.extend(old);
            g.items = m.items.clone();
        }
    }
}

/// One line of `sshd -T` output, with the option slot that decided it (None: default).
#[derive(Debug, Clone)]
pub(super) struct Line {
    /// The option (the keyword 9.2p1 prints; the facts' key).
    pub keyword: &'static str,
    /// The keyword this build prints for it (`pubkeyacceptedkeytypes` before 8.5p1).
    pub printed: &'static str,
    /// Value as printed.
    pub value: String,
    /// The items that decided it, if configured.
    pub slot: Option<Slot>,
}

fn get<'a>(o: &'a Opts, k: &str) -> Option<&'a Slot> {
    o.get(k).filter(|s| !s.items.is_empty())
}

fn one(o: &Opts, k: &str) -> Option<String> {
    get(o, k).and_then(|s| s.items.first()).map(|i| i.v.clone())
}

/// The compiled-in default of `k` on the build `d`.
pub(super) fn default_of(k: &str, d: &Defaults) -> &'static str {
    d.changed_default(k)
        .or_else(|| DEFAULTS.iter().find(|(n, _)| *n == k).map(|(_, v)| *v))
        .unwrap_or("")
}

/// The `dump_config` output for fully evaluated options.
pub(super) fn dump(o: &Opts, d: &Defaults) -> Result<Vec<Line>, String> {
    dump_with(o, d, true)
}

/// The lines of one Match block's own settings: [`IMPLIED`] is not applied (sshd.c applies it
/// once, to the global options after the defaults are filled).
pub(super) fn dump_block(o: &Opts, d: &Defaults) -> Result<Vec<Line>, String> {
    dump_with(o, d, false)
}

fn dump_with(o: &Opts, d: &Defaults, apply_implied: bool) -> Result<Vec<Line>, String> {
    let mut out: Vec<Line> = Vec::new();
    let mut push = |keyword: &'static str, value: String, slot: Option<&Slot>| {
        out.push(Line {
            keyword,
            printed: keyword,
            value,
            slot: slot.cloned(),
        });
    };
    let simple = |k: &str| -> String {
        match one(o, k) {
            // CLEAR_ON_NONE in fill_default_server_options: these print "none" however written.
            Some(v) if v.eq_ignore_ascii_case("none") && CLEARED_ON_NONE.contains(&k) => "none".into(),
            Some(v) => v,
            None => default_of(k, d).to_owned(),
        }
    };
    // Ports and listen addresses.
    let ports: Vec<String> = match get(o, "port") {
        Some(s) => s.items.iter().map(|i| i.v.clone()).collect(),
        None => vec!["22".into()],
    };
    for p in &ports {
        push("port", p.clone(), get(o, "port"));
    }
    let family = simple("addressfamily");
    push("addressfamily", family.clone(), get(o, "addressfamily"));
    let entries: Vec<(Option<String>, i32)> = match get(o, "listenaddress") {
        Some(s) => s
            .items
            .iter()
            .map(|i| {
                let (h, p) = i.v.split_once('\t').unwrap_or((&i.v, "0"));
                (Some(h.to_owned()), p.parse().unwrap_or(0))
            })
            .collect(),
        None => vec![(None, 0)],
    };
    for (host, port) in entries {
        let ps: Vec<String> = if port > 0 {
            vec![port.to_string()]
        } else {
            ports.clone()
        };
        for p in ps {
            let addrs: Vec<String> = match &host {
                None => match family.as_str() {
                    "inet" => vec!["0.0.0.0".into()],
                    "inet6" => vec!["[::]".into()],
                    _ => vec!["[::]".into(), "0.0.0.0".into()],
                },
                Some(h) => {
                    let ip: IpAddr = h
                        .parse()
                        .map_err(|_| format!("ListenAddress {h}: host names are not resolved offline"))?;
                    let fam_ok = match family.as_str() {
                        "inet" => ip.is_ipv4(),
                        "inet6" => ip.is_ipv6(),
                        _ => true,
                    };
                    if !fam_ok {
                        return Err(format!("bad addr or host: {h} (address family mismatch)"));
                    }
                    vec![if ip.is_ipv6() {
                        format!("[{ip}]")
                    } else {
                        ip.to_string()
                    }]
                }
            };
            for a in addrs {
                push("listenaddress", format!("{a}:{p}"), get(o, "listenaddress"));
            }
        }
    }
    macro_rules! simple {
        ($($k:literal),*) => { $( push($k, simple($k), get(o, $k)); )* };
    }
    simple!(
        "usepam",
        "pamservicename",
        "logingracetime",
        "x11displayoffset",
        "maxauthtries",
        "maxsessions",
        "clientaliveinterval",
        "clientalivecountmax",
        "requiredrsasize",
        "streamlocalbindmask"
    );
    let uct = simple("unusedconnectiontimeout");
    push(
        "unusedconnectiontimeout",
        if uct == "0" { "none".into() } else { uct },
        get(o, "unusedconnectiontimeout"),
    );
    simple!(
        "permitrootlogin",
        "ignorerhosts",
        "ignoreuserknownhosts",
        "hostbasedauthentication",
        "hostbasedusesnamefrompacketonly",
        "pubkeyauthentication",
        "kerberosauthentication",
        "kerberosorlocalpasswd",
        "kerberosticketcleanup",
        "gssapiauthentication",
        "gssapicleanupcredentials",
        "gssapikeyexchange",
        "gssapistrictacceptorcheck",
        "gssapistorecredentialsonrekey",
        "gssapikexalgorithms",
        "passwordauthentication",
        "kbdinteractiveauthentication",
        "challengeresponseauthentication",
        "gssapienablek5users",
        "kerberosusekuserok",
        "useprivilegeseparation",
        "printmotd",
        "printlastlog",
        "x11forwarding",
        "x11uselocalhost",
        "permittty",
        "permituserrc",
        "strictmodes",
        "tcpkeepalive",
        "permitemptypasswords",
        "compression",
        "gatewayports",
        "usedns",
        "allowtcpforwarding",
        "allowagentforwarding",
        "disableforwarding",
        "allowstreamlocalforwarding",
        "streamlocalbindunlink",
        "fingerprinthash",
        "exposeauthinfo",
        "refuseconnection",
        "debianbanner",
        "pidfile",
        "modulifile",
        "xauthlocation"
    );
    push(
        "ciphers",
        assembled(
            one(o, "ciphers").as_deref(),
            d.release.ciphers,
            &d.supported(ALL_CIPHERS, d.release.ciphers),
        )?,
        get(o, "ciphers"),
    );
    push(
        "macs",
        assembled(
            one(o, "macs").as_deref(),
            d.release.macs,
            &d.supported(ALL_MACS, d.release.macs),
        )?,
        get(o, "macs"),
    );
    simple!(
        "banner",
        "forcecommand",
        "chrootdirectory",
        "trustedusercakeys",
        "revokedkeys",
        "securitykeyprovider",
        "authorizedprincipalsfile"
    );
    let va = simple("versionaddendum");
    push(
        "versionaddendum",
        if va.is_empty() { "none".into() } else { va },
        get(o, "versionaddendum"),
    );
    simple!(
        "authorizedkeyscommand",
        "authorizedkeyscommanduser",
        "authorizedprincipalscommand",
        "authorizedprincipalscommanduser",
        "hostkeyagent"
    );
    push(
        "kexalgorithms",
        assembled(one(o, "kexalgorithms").as_deref(), d.kex, &d.supported(ALL_KEX, d.kex))?,
        get(o, "kexalgorithms"),
    );
    push(
        "casignaturealgorithms",
        algos(
            o,
            "casignaturealgorithms",
            d.release.ca_signature_algorithms.unwrap_or(DEF_CA_SIGS),
            &d.supported(ALL_SIGS, ""),
        )?,
        get(o, "casignaturealgorithms"),
    );
    for k in [
        "hostbasedacceptedalgorithms",
        "hostkeyalgorithms",
        "pubkeyacceptedalgorithms",
    ] {
        push(
            k,
            algos(
                o,
                k,
                d.release.host_key_algorithms,
                &d.supported(ALL_KEYS, d.release.host_key_algorithms),
            )?,
            get(o, k),
        );
    }
    simple!("sshdsessionpath", "sshdauthpath", "persourcepenaltyexemptlist");
    simple!("loglevel", "syslogfacility");
    let joined = |k: &str| get(o, k).map(|s| s.items.iter().map(|i| i.v.as_str()).collect::<Vec<_>>().join(" "));
    let akf = joined("authorizedkeysfile");
    // CLEAR_ON_NONE_ARRAY is not applied to AuthorizedKeysFile in 9.2p1: "none" prints as is.
    push(
        "authorizedkeysfile",
        akf.unwrap_or_else(|| default_of("authorizedkeysfile", d).into()),
        get(o, "authorizedkeysfile"),
    );
    match get(o, "hostkey") {
        Some(s) => {
            for i in &s.items {
                push("hostkey", null_if_none(&i.v), Some(s));
            }
        }
        None => {
            for k in [
                "/etc/ssh/ssh_host_rsa_key",
                "/etc/ssh/ssh_host_ecdsa_key",
                "/etc/ssh/ssh_host_ed25519_key",
            ] {
                push("hostkey", k.into(), None);
            }
        }
    }
    for k in [
        "hostcertificate",
        "allowusers",
        "denyusers",
        "allowgroups",
        "denygroups",
        "acceptenv",
        "setenv",
    ] {
        if let Some(s) = get(o, k) {
            for i in &s.items {
                let v = if k == "hostcertificate" {
                    null_if_none(&i.v)
                } else {
                    i.v.clone()
                };
                push(k, v, Some(s));
            }
        }
    }
    push(
        "authenticationmethods",
        joined("authenticationmethods").unwrap_or_else(|| "any".into()),
        get(o, "authenticationmethods"),
    );
    for k in ["logverbose", "channeltimeout"] {
        // Unset, 9.2p1 prints nothing; 9.3p1 and later print `channeltimeout none`
        // (dump_cfg_strarray_oneline), a changed default.
        if let Some(v) = joined(k).or_else(|| Some(default_of(k, d).to_owned()).filter(|v| !v.is_empty())) {
            push(k, v, get(o, k));
        }
    }
    if let Some(s) = get(o, "subsystem") {
        for i in &s.items {
            push("subsystem", i.v.clone(), Some(s));
        }
    }
    let ms = [
        ("maxstartups.begin", "10"),
        ("maxstartups.rate", "30"),
        ("maxstartups.max", "100"),
    ]
    .map(|(k, d)| one(o, k).unwrap_or_else(|| d.to_owned()));
    let ms_slot = get(o, "maxstartups.max").or_else(|| get(o, "maxstartups.begin"));
    push("maxstartups", ms.join(":"), ms_slot);
    simple!("persourcemaxstartups", "persourcenetblocksize", "permittunnel");
    let ipqos = match one(o, "ipqos") {
        Some(v) => {
            let (a, b) = v.split_once('\t').unwrap_or((&v, &v));
            format!(
                "{} {}",
                iptos2str(a.parse().unwrap_or(0)),
                iptos2str(b.parse().unwrap_or(0))
            )
        }
        None => default_of("ipqos", d).into(),
    };
    push("ipqos", ipqos, get(o, "ipqos"));
    let rk = format!(
        "{} {}",
        one(o, "rekeylimit.bytes").unwrap_or_else(|| "0".into()),
        one(o, "rekeylimit.interval").unwrap_or_else(|| "0".into())
    );
    push(
        "rekeylimit",
        rk,
        get(o, "rekeylimit.bytes").or_else(|| get(o, "rekeylimit.interval")),
    );
    for k in ["permitopen", "permitlisten"] {
        push(k, joined(k).unwrap_or_else(|| "any".into()), get(o, k));
    }
    simple!("permituserenvironment", "pubkeyauthoptions");
    push("persourcepenalties", penalties(o), get(o, "persourcepenalties.enabled"));
    if apply_implied {
        implied(&mut out, d);
    }
    // The build's own table decides what is printed and under which name: the options it does
    // not have, and those it has but does not print, are left out.
    Ok(out
        .into_iter()
        .filter_map(|mut l| {
            l.printed = keywords::printed_name(l.keyword, d)?;
            (!d.unprinted(l.keyword)).then_some(l)
        })
        .collect())
}

/// `persourcepenalties` as 9.8p1 and later print it (defaults from fill_default_server_options).
fn penalties(o: &Opts) -> String {
    if one(o, "persourcepenalties.enabled").as_deref() == Some("0") {
        return "no".into();
    }
    let f = |k: &str, def: &str| one(o, &format!("persourcepenalties.{k}")).unwrap_or_else(|| def.to_owned());
    let overflow = f("overflow", "permissive");
    let overflow6 = one(o, "persourcepenalties.overflow6").unwrap_or_else(|| overflow.clone());
    format!(
        "crash:{} authfail:{} noauth:{} grace-exceeded:{} refuseconnection:{} max:{} min:{} max-sources4:{} max-sources6:{} overflow:{overflow} overflow6:{overflow6}",
        f("crash", "90"),
        f("authfail", "5"),
        f("noauth", "1"),
        f("grace-exceeded", "10"),
        f("refuseconnection", "10"),
        f("max", "600"),
        f("min", "15"),
        f("max-sources4", "65536"),
        f("max-sources6", "65536"),
    )
}

/// [`IMPLIED`]: where the build has both options, a yes turns the other on (before 8.7p1,
/// ChallengeResponseAuthentication yes is KbdInteractiveAuthentication yes). The line that
/// decided it is the one of the option that turned it on; the other's lines are shadowed.
fn implied(out: &mut [Line], d: &Defaults) {
    for (from, to) in IMPLIED {
        if keywords::printed_name(from, d).is_none() || keywords::printed_name(to, d).is_none() {
            continue;
        }
        let Some(f) = out.iter().find(|l| l.keyword == *from).cloned() else {
            continue;
        };
        if f.value != "yes" {
            continue;
        }
        if let Some(t) = out.iter_mut().find(|l| l.keyword == *to && l.value != "yes") {
            let src = match f.slot.as_ref().and_then(|s| s.items.first()) {
                Some(i) => i.src.clone(),
                None => default_source(&format!("{}: {from} yes", d.note)),
            };
            let mut slot = t.slot.clone().unwrap_or_default();
            let old = std::mem::take(&mut slot.items);
            slot.shadowed.extend(old);
            slot.items.push(keywords::Item { v: "yes".into(), src });
            t.value = "yes".into();
            t.slot = Some(slot);
        }
    }
}

/// `sshd -T` text for fully evaluated options.
pub(super) fn to_text(lines: &[Line]) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(l.printed);
        s.push(' ');
        s.push_str(&l.value);
        s.push('\n');
    }
    s
}

/// Groups dump lines by keyword: single-line keywords map to one value, multi-line ones
/// (port, listenaddress, hostkey, acceptenv, …) to the list of their lines.
pub(super) fn by_keyword(lines: &[Line]) -> BTreeMap<&'static str, (Vec<String>, Option<Slot>)> {
    let mut m: BTreeMap<&'static str, (Vec<String>, Option<Slot>)> = BTreeMap::new();
    for l in lines {
        let e = m.entry(l.keyword).or_insert_with(|| (Vec::new(), l.slot.clone()));
        e.0.push(l.value.clone());
    }
    m
}

/// The source a default value carries: whose defaults decided ([`Defaults::note`]).
pub(super) fn default_source(note: &str) -> Source {
    Source::note(note)
}

/// Unused helper kept for symmetry with [`Item`] construction in tests.
#[cfg(test)]
pub(super) fn item(v: &str) -> Item {
    Item {
        v: v.into(),
        src: Source::note("test"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_minus_caret_modifiers() {
        assert_eq!(
            assemble(Some("+aes128-cbc"), DEF_CIPHERS, ALL_CIPHERS).unwrap(),
            format!("{DEF_CIPHERS},aes128-cbc")
        );
        assert_eq!(
            assemble(Some("-chacha20-poly1305@openssh.com"), DEF_CIPHERS, ALL_CIPHERS).unwrap(),
            "aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"
        );
        assert!(
            assemble(Some("^aes256-gcm@openssh.com"), DEF_CIPHERS, ALL_CIPHERS)
                .unwrap()
                .starts_with("aes256-gcm@openssh.com,chacha20")
        );
        assert_eq!(
            assemble(Some("-*-cbc,aes1*"), "aes128-ctr,aes256-ctr,aes128-cbc", ALL_CIPHERS).unwrap(),
            "aes256-ctr"
        );
        assert_eq!(assemble(None, DEF_MACS, ALL_MACS).unwrap(), DEF_MACS);
    }

    #[test]
    fn iptos_names() {
        assert_eq!(iptos2str(0x10), "lowdelay");
        assert_eq!(iptos2str(0x2a), "0x2a");
        let _ = item("x");
    }
}
