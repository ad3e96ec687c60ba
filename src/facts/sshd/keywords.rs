//! The sshd_config keywords of OpenSSH 7.4p1 to 10.0p1 (PAM, Kerberos and GSSAPI compiled in, no
//! routing domains; each entry with the releases and the distribution patches that have it) and
//! what each line does to the options: validation, canonical value and the precedence rule of its
//! `case` in `process_server_config_line_depth` (servconf.c; 9.2p1's, where later releases did
//! not change it).
//!
//! Precedence, from servconf.c (sshd_config(5) only says "the first obtained value will be used"):
//! - most keywords: the first value wins (`if (*activep && *intptr == -1)`);
//! - appended across lines: AllowUsers, DenyUsers, AllowGroups, DenyGroups, AcceptEnv, HostKey,
//!   HostCertificate, Port, ListenAddress, Subsystem (a repeated name is fatal);
//! - first *line* wins, all its words kept: AuthorizedKeysFile, SetEnv, PermitOpen, PermitListen,
//!   AuthenticationMethods, LogVerbose, ChannelTimeout;
//! - last value wins: MaxStartups, PerSourceMaxStartups, PerSourceNetBlockSize, IPQoS,
//!   StreamLocalBindMask, FingerprintHash, `UnusedConnectionTimeout none`, and (a servconf.c
//!   quirk) AuthorizedPrincipalsCommand while AuthorizedKeysCommand is unset.

use std::collections::BTreeMap;

use super::algorithms::{ALL_CIPHERS, ALL_KEX, ALL_KEYS, ALL_MACS, GSS_KEX_NAMES, IPQOS};
use super::matching::addr_match_list;
use super::parse::Directive;
use super::system::{System, a2port, strtonum};
use super::versions::{Defaults, parse_version};
use crate::facts::Source;

/// One value set by a line, with its source.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Item {
    /// Canonical value (as `sshd -T` prints it, or the raw form that is assembled at print time).
    pub v: String,
    /// Where it was set.
    pub src: Source,
}

/// What the lines did to one option.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Slot {
    /// Values in force (one for single-valued options).
    pub items: Vec<Item>,
    /// Values ignored because another line won.
    pub shadowed: Vec<Item>,
}

/// The options set by configuration lines, keyed by internal option name (mostly the keyword
/// `sshd -T` prints). Unset options are absent: defaults are filled at print time.
pub(super) type Opts = BTreeMap<&'static str, Slot>;

/// How a keyword's single argument is parsed.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    /// yes/no.
    Flag,
    /// One of a table of words (case-insensitive) → the word `sshd -T` prints for its value.
    Multi(&'static [(&'static str, &'static str)]),
    /// A time (`convtime`): seconds.
    Time,
    /// A non-negative integer.
    Int,
    /// A file name (`derelativise_path`).
    Path,
    /// Handled by name in [`apply`].
    Special,
    /// Accepted and ignored with a log line (sDeprecated, sIgnore, sUnsupported).
    Ignored,
    /// `Match` and `Include`: the file structure, read by `parse.rs`, never applied here.
    Structural,
}

/// One keyword of one range of releases and builds.
#[derive(Debug)]
pub(super) struct Keyword {
    /// Lowercase name as written in sshd_config (aliases have their own entries).
    pub name: &'static str,
    /// The option it sets: the name `sshd -T` prints (a release prints the first keyword of its
    /// table that sets the option: `pubkeyacceptedkeytypes` before 8.5p1).
    pub opt: &'static str,
    /// Allowed inside Match (SSHCFG_MATCH).
    pub in_match: bool,
    /// Argument parsing.
    pub kind: Kind,
    /// The first release whose keywords[] has this entry ("" : every modelled release).
    pub since: &'static str,
    /// The first release whose keywords[] no longer has it, or has it differently ("": none).
    pub until: &'static str,
    /// The builds that have it: OpenSSH's own table, or a distribution's patch.
    pub builds: Builds,
}

/// Which builds have a keyword.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Builds {
    /// servconf.c upstream, as compiled by every distribution (PAM, Kerberos, GSSAPI in).
    Upstream,
    /// A distribution patch: the distributions (as `versions::distribution` names them) that
    /// carry it.
    Patch(&'static [&'static str]),
}

/// The distributions that carry the GSSAPI key-exchange patch (Debian's
/// `gssapi.patch`, Red Hat's `openssh-*-gsskex.patch`).
const GSSKEX: Builds = Builds::Patch(&[
    "Debian",
    "Ubuntu",
    "RHEL",
    "Fedora",
    "Amazon Linux",
    "Alibaba Cloud Linux",
]);
/// Debian's own patches (`debian-banner.patch`), also in Ubuntu's package.
const DEBIAN: Builds = Builds::Patch(&["Debian", "Ubuntu"]);
/// Red Hat's patches (`openssh-6.6p1-kuserok.patch`, `openssh-6.6p1-force_krb.patch`), also in
/// Fedora and the RHEL rebuilds.
const REDHAT: Builds = Builds::Patch(&["RHEL", "Fedora", "Amazon Linux", "Alibaba Cloud Linux"]);

impl Keyword {
    /// Whether the build `d` describes has this entry.
    pub(super) fn available(&self, d: &Defaults) -> bool {
        let v = parse_version(d.release.version);
        let after = |bound: &str| parse_version(bound) <= v;
        (self.since.is_empty() || after(self.since))
            && (self.until.is_empty() || !after(self.until))
            && match self.builds {
                Builds::Upstream => true,
                Builds::Patch(ds) => d.distribution.is_some_and(|x| ds.contains(&x)),
            }
    }
}

const FLAG: &[(&str, &str)] = &[("yes", "yes"), ("no", "no")];
const ADDRESS_FAMILY: &[(&str, &str)] = &[("inet", "inet"), ("inet6", "inet6"), ("any", "any")];
/// `fmt_multistate_int` prints the first name with the value: prohibit-password → without-password.
const PERMIT_ROOT: &[(&str, &str)] = &[
    ("without-password", "without-password"),
    ("prohibit-password", "without-password"),
    ("forced-commands-only", "forced-commands-only"),
    ("yes", "yes"),
    ("no", "no"),
];
const IGNORE_RHOSTS: &[(&str, &str)] = &[("yes", "yes"), ("no", "no"), ("shosts-only", "shosts-only")];
const COMPRESSION: &[(&str, &str)] = &[("yes", "yes"), ("delayed", "yes"), ("no", "no")];
const GATEWAY: &[(&str, &str)] = &[("clientspecified", "clientspecified"), ("yes", "yes"), ("no", "no")];
/// 7.4p1's UsePrivilegeSeparation (`multistate_privsep`: yes is "no sandbox", the default
/// sandbox).
const PRIVSEP: &[(&str, &str)] = &[("yes", "yes"), ("sandbox", "sandbox"), ("no", "no")];
const TCPFWD: &[(&str, &str)] = &[
    ("yes", "yes"),
    ("all", "yes"),
    ("no", "no"),
    ("remote", "remote"),
    ("local", "local"),
];

macro_rules! kw {
    ($name:literal, $opt:literal, $m:literal, $kind:expr) => {
        kw!($name, $opt, $m, $kind; "", "", Builds::Upstream)
    };
    ($name:literal, $opt:literal, $m:literal, $kind:expr; $since:literal, $until:literal) => {
        kw!($name, $opt, $m, $kind; $since, $until, Builds::Upstream)
    };
    ($name:literal, $opt:literal, $m:literal, $kind:expr; $since:literal, $until:literal, $b:expr) => {
        Keyword {
            name: $name,
            opt: $opt,
            in_match: $m,
            kind: $kind,
            since: $since,
            until: $until,
            builds: $b,
        }
    };
}

/// The keyword tables of servconf.c from 7.4p1 to 10.0p1 (and of the distribution patches), in
/// servconf.c's order: one entry per keyword and range of releases, from `since` to before
/// `until` (held to each release's keywords[] in fixtures/openssh-source/ by the tests below).
/// The next release is entries here, not code.
pub(super) static KEYWORDS: &[Keyword] = &[
    kw!("usepam", "usepam", false, Kind::Flag),
    kw!("pamservicename", "pamservicename", true, Kind::Special; "9.8p1", ""),
    kw!("pamauthenticationviakbdint", "-", false, Kind::Ignored),
    kw!("port", "port", false, Kind::Special),
    kw!("hostkey", "hostkey", false, Kind::Special),
    kw!("hostdsakey", "hostkey", false, Kind::Special),
    kw!("hostkeyagent", "hostkeyagent", false, Kind::Special),
    kw!("pidfile", "pidfile", false, Kind::Path),
    kw!("modulifile", "modulifile", false, Kind::Path; "8.6p1", ""),
    kw!("serverkeybits", "-", false, Kind::Ignored),
    kw!("logingracetime", "logingracetime", false, Kind::Time),
    kw!("keyregenerationinterval", "-", false, Kind::Ignored),
    kw!("permitrootlogin", "permitrootlogin", true, Kind::Multi(PERMIT_ROOT)),
    kw!("syslogfacility", "syslogfacility", false, Kind::Special),
    kw!("loglevel", "loglevel", false, Kind::Special; "", "7.6p1"),
    kw!("loglevel", "loglevel", true, Kind::Special; "7.6p1", ""),
    kw!("logverbose", "logverbose", true, Kind::Special; "8.5p1", ""),
    kw!("rhostsauthentication", "-", false, Kind::Ignored),
    kw!("rhostsrsaauthentication", "-", true, Kind::Ignored),
    kw!("hostbasedauthentication", "hostbasedauthentication", true, Kind::Flag),
    kw!(
        "hostbasedusesnamefrompacketonly",
        "hostbasedusesnamefrompacketonly",
        true,
        Kind::Flag
    ),
    kw!("hostbasedacceptedalgorithms", "hostbasedacceptedalgorithms", true, Kind::Special; "8.5p1", ""),
    kw!(
        "hostbasedacceptedkeytypes",
        "hostbasedacceptedalgorithms",
        true,
        Kind::Special
    ),
    kw!("hostkeyalgorithms", "hostkeyalgorithms", false, Kind::Special),
    kw!("rsaauthentication", "-", true, Kind::Ignored),
    kw!("pubkeyauthentication", "pubkeyauthentication", true, Kind::Flag),
    kw!("pubkeyacceptedalgorithms", "pubkeyacceptedalgorithms", true, Kind::Special; "8.5p1", ""),
    kw!(
        "pubkeyacceptedkeytypes",
        "pubkeyacceptedalgorithms",
        true,
        Kind::Special
    ),
    kw!("pubkeyauthoptions", "pubkeyauthoptions", true, Kind::Special; "8.2p1", ""),
    kw!("dsaauthentication", "pubkeyauthentication", false, Kind::Flag),
    kw!("kerberosauthentication", "kerberosauthentication", true, Kind::Flag),
    kw!("kerberosorlocalpasswd", "kerberosorlocalpasswd", false, Kind::Flag),
    kw!("kerberosticketcleanup", "kerberosticketcleanup", false, Kind::Flag),
    kw!("kerberosusekuserok", "kerberosusekuserok", true, Kind::Flag; "", "", REDHAT),
    kw!("kerberosgetafstoken", "-", false, Kind::Ignored),
    kw!("kerberostgtpassing", "-", false, Kind::Ignored),
    kw!("afstokenpassing", "-", false, Kind::Ignored),
    kw!("gssapiauthentication", "gssapiauthentication", true, Kind::Flag),
    kw!(
        "gssapicleanupcredentials",
        "gssapicleanupcredentials",
        false,
        Kind::Flag
    ),
    kw!("gssapicleanupcreds", "gssapicleanupcredentials", false, Kind::Flag; "", "", GSSKEX),
    kw!(
        "gssapistrictacceptorcheck",
        "gssapistrictacceptorcheck",
        false,
        Kind::Flag
    ),
    kw!("gssapikeyexchange", "gssapikeyexchange", false, Kind::Flag; "", "", GSSKEX),
    kw!("gssapistorecredentialsonrekey", "gssapistorecredentialsonrekey", false, Kind::Flag; "", "", GSSKEX),
    kw!("gssapikexalgorithms", "gssapikexalgorithms", false, Kind::Special; "", "", GSSKEX),
    kw!("gssusesessionccache", "-", false, Kind::Ignored; "", "", GSSKEX),
    kw!("gssapiusesessioncredcache", "-", false, Kind::Ignored; "", "", GSSKEX),
    kw!("gssapienablek5users", "gssapienablek5users", true, Kind::Flag; "", "", REDHAT),
    kw!("passwordauthentication", "passwordauthentication", true, Kind::Flag),
    kw!(
        "kbdinteractiveauthentication",
        "kbdinteractiveauthentication",
        true,
        Kind::Flag
    ),
    // Before 8.7p1 ChallengeResponseAuthentication is an option of its own (global only), which
    // sshd.c turns into KbdInteractiveAuthentication yes when it is yes (versions::IMPLIED).
    kw!("challengeresponseauthentication", "challengeresponseauthentication", false, Kind::Flag; "", "8.7p1"),
    kw!("challengeresponseauthentication", "kbdinteractiveauthentication", true, Kind::Flag; "8.7p1", ""),
    kw!("skeyauthentication", "challengeresponseauthentication", false, Kind::Flag; "", "7.8p1"),
    kw!("skeyauthentication", "-", false, Kind::Ignored; "7.8p1", "8.7p1"),
    kw!("skeyauthentication", "kbdinteractiveauthentication", true, Kind::Flag; "8.7p1", ""),
    kw!("checkmail", "-", false, Kind::Ignored),
    kw!("listenaddress", "listenaddress", false, Kind::Special),
    kw!("addressfamily", "addressfamily", false, Kind::Multi(ADDRESS_FAMILY)),
    kw!("printmotd", "printmotd", false, Kind::Flag),
    kw!("printlastlog", "printlastlog", false, Kind::Flag),
    kw!("ignorerhosts", "ignorerhosts", false, Kind::Multi(IGNORE_RHOSTS); "", "8.3p1"),
    kw!("ignorerhosts", "ignorerhosts", true, Kind::Multi(IGNORE_RHOSTS); "8.3p1", ""),
    kw!("ignoreuserknownhosts", "ignoreuserknownhosts", false, Kind::Flag),
    kw!("x11forwarding", "x11forwarding", true, Kind::Flag),
    kw!("x11displayoffset", "x11displayoffset", true, Kind::Int),
    kw!("x11uselocalhost", "x11uselocalhost", true, Kind::Flag),
    kw!("xauthlocation", "xauthlocation", false, Kind::Path),
    kw!("strictmodes", "strictmodes", false, Kind::Flag),
    kw!("permitblacklistedkeys", "-", false, Kind::Ignored; "", "", DEBIAN),
    kw!("permitemptypasswords", "permitemptypasswords", true, Kind::Flag),
    kw!("permituserenvironment", "permituserenvironment", false, Kind::Special),
    kw!("uselogin", "-", false, Kind::Ignored),
    kw!("compression", "compression", false, Kind::Multi(COMPRESSION)),
    kw!("rekeylimit", "rekeylimit", true, Kind::Special),
    kw!("tcpkeepalive", "tcpkeepalive", false, Kind::Flag),
    kw!("keepalive", "tcpkeepalive", false, Kind::Flag),
    kw!("allowtcpforwarding", "allowtcpforwarding", true, Kind::Multi(TCPFWD)),
    kw!("allowagentforwarding", "allowagentforwarding", true, Kind::Flag),
    kw!("allowusers", "allowusers", true, Kind::Special),
    kw!("denyusers", "denyusers", true, Kind::Special),
    kw!("allowgroups", "allowgroups", true, Kind::Special),
    kw!("denygroups", "denygroups", true, Kind::Special),
    kw!("ciphers", "ciphers", false, Kind::Special),
    kw!("macs", "macs", false, Kind::Special),
    kw!("protocol", "-", false, Kind::Ignored),
    kw!("gatewayports", "gatewayports", true, Kind::Multi(GATEWAY)),
    kw!("subsystem", "subsystem", false, Kind::Special; "", "9.5p1"),
    kw!("subsystem", "subsystem", true, Kind::Special; "9.5p1", ""),
    kw!("maxstartups", "maxstartups", false, Kind::Special),
    kw!("persourcemaxstartups", "persourcemaxstartups", false, Kind::Special; "8.5p1", ""),
    kw!("persourcenetblocksize", "persourcenetblocksize", false, Kind::Special; "8.5p1", ""),
    kw!("persourcepenalties", "persourcepenalties", false, Kind::Special; "9.8p1", ""),
    kw!("persourcepenaltyexemptlist", "persourcepenaltyexemptlist", false, Kind::Special; "9.8p1", ""),
    kw!("maxauthtries", "maxauthtries", true, Kind::Int),
    kw!("maxsessions", "maxsessions", true, Kind::Int),
    kw!("banner", "banner", true, Kind::Path),
    kw!("usedns", "usedns", false, Kind::Flag),
    kw!("verifyreversemapping", "-", false, Kind::Ignored),
    kw!("reversemappingcheck", "-", false, Kind::Ignored),
    kw!("clientaliveinterval", "clientaliveinterval", true, Kind::Time),
    kw!("clientalivecountmax", "clientalivecountmax", true, Kind::Int),
    kw!("authorizedkeysfile", "authorizedkeysfile", true, Kind::Special),
    kw!("authorizedkeysfile2", "-", true, Kind::Ignored),
    kw!("useprivilegeseparation", "useprivilegeseparation", false, Kind::Multi(PRIVSEP); "", "7.5p1"),
    kw!("useprivilegeseparation", "-", false, Kind::Ignored; "7.5p1", ""),
    kw!("acceptenv", "acceptenv", true, Kind::Special),
    kw!("setenv", "setenv", true, Kind::Special; "7.8p1", ""),
    kw!("permittunnel", "permittunnel", true, Kind::Special),
    kw!("permittty", "permittty", true, Kind::Flag),
    kw!("permituserrc", "permituserrc", true, Kind::Flag),
    kw!("permitopen", "permitopen", true, Kind::Special),
    kw!("match", "-", true, Kind::Structural),
    kw!("permitlisten", "permitlisten", true, Kind::Special; "7.8p1", ""),
    kw!("forcecommand", "forcecommand", true, Kind::Special),
    kw!("chrootdirectory", "chrootdirectory", true, Kind::Special),
    kw!("hostcertificate", "hostcertificate", false, Kind::Special),
    kw!("revokedkeys", "revokedkeys", true, Kind::Path),
    kw!("trustedusercakeys", "trustedusercakeys", true, Kind::Path),
    kw!(
        "authorizedprincipalsfile",
        "authorizedprincipalsfile",
        true,
        Kind::Special
    ),
    kw!("kexalgorithms", "kexalgorithms", false, Kind::Special),
    kw!("include", "-", true, Kind::Structural; "8.2p1", ""),
    kw!("ipqos", "ipqos", true, Kind::Special),
    kw!("authorizedkeyscommand", "authorizedkeyscommand", true, Kind::Special),
    kw!(
        "authorizedkeyscommanduser",
        "authorizedkeyscommanduser",
        true,
        Kind::Special
    ),
    kw!(
        "authorizedprincipalscommand",
        "authorizedprincipalscommand",
        true,
        Kind::Special
    ),
    kw!(
        "authorizedprincipalscommanduser",
        "authorizedprincipalscommanduser",
        true,
        Kind::Special
    ),
    kw!("versionaddendum", "versionaddendum", false, Kind::Special),
    kw!("authenticationmethods", "authenticationmethods", true, Kind::Special),
    kw!("streamlocalbindmask", "streamlocalbindmask", true, Kind::Special),
    kw!("streamlocalbindunlink", "streamlocalbindunlink", true, Kind::Flag),
    kw!(
        "allowstreamlocalforwarding",
        "allowstreamlocalforwarding",
        true,
        Kind::Multi(TCPFWD)
    ),
    kw!("fingerprinthash", "fingerprinthash", false, Kind::Special),
    kw!("disableforwarding", "disableforwarding", true, Kind::Flag),
    kw!("exposeauthinfo", "exposeauthinfo", true, Kind::Flag; "7.6p1", ""),
    kw!("rdomain", "rdomain", true, Kind::Special; "7.7p1", ""),
    kw!("casignaturealgorithms", "casignaturealgorithms", true, Kind::Special; "7.9p1", ""),
    kw!("securitykeyprovider", "securitykeyprovider", false, Kind::Special; "8.2p1", ""),
    // Red Hat's openssh-8.7p1-minrsabits.patch backports RequiredRSASize to RHEL 9's 8.7p1 (its
    // crypto policy back-end sets it).
    kw!("requiredrsasize", "requiredrsasize", true, Kind::Int; "8.7p1", "9.1p1", REDHAT),
    kw!("requiredrsasize", "requiredrsasize", true, Kind::Int; "9.1p1", ""),
    kw!("channeltimeout", "channeltimeout", true, Kind::Special; "9.2p1", ""),
    kw!("unusedconnectiontimeout", "unusedconnectiontimeout", true, Kind::Special; "9.2p1", ""),
    kw!("sshdsessionpath", "sshdsessionpath", false, Kind::Path; "9.8p1", ""),
    kw!("sshdauthpath", "sshdauthpath", false, Kind::Path; "10.0p1", ""),
    kw!("refuseconnection", "refuseconnection", true, Kind::Flag; "9.9p1", ""),
    kw!("debianbanner", "debianbanner", false, Kind::Flag; "", "", DEBIAN),
];

/// Looks a keyword up in the table of the build `d` describes, case-insensitively (`parse_token`
/// uses strcasecmp). `Match` and `Include` are not keywords here (`parse.rs` reads them).
pub(super) fn lookup(word: &str, d: &Defaults) -> Option<&'static Keyword> {
    KEYWORDS
        .iter()
        .find(|k| k.name.eq_ignore_ascii_case(word) && k.available(d))
        .filter(|k| !matches!(k.kind, Kind::Structural))
}

/// Whether the build reads `Include` (OpenSSH 8.2p1 and later).
pub(super) fn has_include(d: &Defaults) -> bool {
    KEYWORDS.iter().any(|k| k.name == "include" && k.available(d))
}

/// The keyword `sshd -T` prints for option `opt` on the build `d` (`lookup_opcode_name`: the
/// first keyword of the table that sets it), None when the build has no such option.
pub(super) fn printed_name(opt: &str, d: &Defaults) -> Option<&'static str> {
    KEYWORDS
        .iter()
        .find(|k| k.opt == opt && !matches!(k.kind, Kind::Ignored | Kind::Structural) && k.available(d))
        .map(|k| k.name)
}

/// `convtime`: `90`, `2m`, `1h30m`, … in seconds; None when invalid or above INT_MAX.
pub(super) fn convtime(s: &str) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let mut i = 0;
    let mut total: i64 = 0;
    while i < b.len() {
        // strtol: optional leading whitespace and sign, then digits.
        let start = i;
        let mut j = i;
        while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c') {
            j += 1;
        }
        let mut neg = false;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            neg = b[j] == b'-';
            j += 1;
        }
        let ds = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j == ds {
            let _ = start;
            return None;
        }
        let secs: i64 = s.get(ds..j)?.parse().ok()?;
        if neg && secs != 0 {
            return None;
        }
        let mult = match b.get(j) {
            None => 1,
            Some(c) => {
                j += 1;
                match c.to_ascii_lowercase() {
                    b's' => 1,
                    b'm' => 60,
                    b'h' => 3600,
                    b'd' => 86400,
                    b'w' => 604800,
                    _ => return None,
                }
            }
        };
        if secs > i64::from(i32::MAX) / mult {
            return None;
        }
        let secs = secs * mult;
        if total > i64::from(i32::MAX) - secs {
            return None;
        }
        total += secs;
        i = j;
    }
    Some(total)
}

/// `derelativise_path`: "none" (any case) is "none", `~` is expanded with the root's passwd
/// (sshd runs as root), and a relative path is joined to sshd's working directory `/` with a
/// slash: `banner.txt` becomes `//banner.txt`, as sshd -T prints it.
fn derelativise(p: &str, sys: &System) -> Result<String, String> {
    if p.eq_ignore_ascii_case("none") {
        return Ok("none".into());
    }
    let e = sys.tilde_expand(p)?;
    Ok(if e.starts_with('/') { e } else { format!("//{e}") })
}

/// First value wins for a value sshd computes only when it stores it (a path it expands):
/// `compute` runs only for the line that wins; a shadowed line keeps its text as written.
fn first_computed(
    o: &mut Opts,
    opt: &'static str,
    raw: &str,
    src: &Source,
    compute: impl FnOnce() -> Result<String, String>,
) -> Result<(), String> {
    let v = if is_set(o, opt) { raw.to_owned() } else { compute()? };
    first(o, opt, v, src);
    Ok(())
}

/// First value wins: record `v` unless the option is already set (then it is shadowed).
fn first(o: &mut Opts, opt: &'static str, v: String, src: &Source) {
    let slot = o.entry(opt).or_default();
    let item = Item { v, src: src.clone() };
    if slot.items.is_empty() {
        slot.items.push(item);
    } else {
        slot.shadowed.push(item);
    }
}

/// Last value wins.
fn last(o: &mut Opts, opt: &'static str, v: String, src: &Source) {
    let slot = o.entry(opt).or_default();
    let old = std::mem::take(&mut slot.items);
    slot.shadowed.extend(old);
    slot.items.push(Item { v, src: src.clone() });
}

/// Appended across lines.
fn append(o: &mut Opts, opt: &'static str, v: String, src: &Source) {
    o.entry(opt).or_default().items.push(Item { v, src: src.clone() });
}

/// First line wins, all its values kept.
fn first_line(o: &mut Opts, opt: &'static str, vals: Vec<String>, src: &Source) {
    let slot = o.entry(opt).or_default();
    let set = !slot.items.is_empty();
    for v in vals {
        let item = Item { v, src: src.clone() };
        if set {
            slot.shadowed.push(item)
        } else {
            slot.items.push(item)
        }
    }
}

fn is_set(o: &Opts, opt: &str) -> bool {
    o.get(opt).is_some_and(|s| !s.items.is_empty())
}

/// Validates an algorithm list the way servconf.c does before storing it: a `-` list is not
/// checked; otherwise every name (after a `+`/`^` prefix) must be known, and only key-type lists
/// accept wildcards.
fn valid_algos(arg: &str, all: &str, wildcards: bool) -> bool {
    if arg.starts_with('-') {
        return true;
    }
    let list = arg.strip_prefix(['+', '^']).unwrap_or(arg);
    if list.is_empty() {
        return false;
    }
    for name in list.split(',') {
        if name.is_empty() {
            break;
        }
        if wildcards && name.contains(['*', '?']) {
            if super::matching::filter_allow(all, name).is_empty() {
                return false;
            }
        } else if !all.split(',').any(|a| a == name) {
            return false;
        }
    }
    true
}

/// `parse_ipqos` (misc.c): a name of the `ipqos[]` table (any case), else `strtol(cp, &ep, 0)`:
/// decimal, `0x` hexadecimal or `0` octal (`IPQoS 16` is 16, `010` is 8), the whole word, 0 to
/// 255. `none` is i32::MAX as in misc.c. With `decimal` (9.8p1 and later), `strtonum`: decimal
/// digits only.
pub(super) fn parse_ipqos(s: &str, decimal: bool) -> Option<i32> {
    if let Some((_, v)) = IPQOS.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
        return Some(*v);
    }
    if decimal {
        return strtonum(s, 0, 255).map(|v| v as i32);
    }
    let v = strtol0(s)?;
    (0..=255).contains(&v).then_some(v as i32)
}

/// C `strtol(s, &end, 0)` requiring `*end == '\0'` and a non-empty `s`: leading whitespace, a
/// sign, then `0x`/`0X` hexadecimal, `0` octal or decimal digits. None on anything else or on
/// overflow.
fn strtol0(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, t.get(1..)?),
        Some(b'+') => (false, t.get(1..)?),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        // strtol takes "0x" not followed by a hex digit as the number 0 ending before the x.
        if !h.starts_with(|c: char| c.is_ascii_hexdigit()) {
            return None;
        }
        (16, h)
    } else if t.len() > 1 && t.starts_with('0') {
        (8, t.get(1..)?)
    } else {
        (10, t)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i64::from_str_radix(digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// `scan_scaled` (openbsd-compat/fmt_scaled.c) for RekeyLimit: optional leading whitespace and
/// one sign, digits with at most one `.`, then nothing or one of `BKMGTPE` (any case, powers of
/// 1024) not followed by a letter or digit. A fraction is scaled by the unit and truncated
/// (`1.5G` is 1610612736); without a unit it is dropped.
fn scan_scaled(s: &str) -> Option<i64> {
    const MAX_DIGITS: u32 = 21;
    let b = s.as_bytes();
    let mut i = 0;
    while b.get(i).is_some_and(|c| c.is_ascii_whitespace() || *c == 0x0b) {
        i += 1;
    }
    let mut sign = 0i64;
    while let Some(&c) = b.get(i) {
        if c != b'-' && c != b'+' {
            break;
        }
        if sign != 0 {
            return None;
        }
        sign = if c == b'-' { -1 } else { 1 };
        i += 1;
    }
    let (mut whole, mut fpart) = (0i64, 0i64);
    let (mut ndigits, mut fract_digits) = (0u32, 0u32);
    while let Some(&c) = b.get(i) {
        if c == b'.' {
            if fract_digits > 0 {
                return None;
            }
            fract_digits = 1;
        } else if c.is_ascii_digit() {
            let d = i64::from(c - b'0');
            if fract_digits > 0 {
                if fract_digits < MAX_DIGITS - 1 {
                    fract_digits += 1;
                    fpart = fpart.checked_mul(10)?.checked_add(d)?;
                }
            } else {
                ndigits += 1;
                if ndigits >= MAX_DIGITS {
                    return None;
                }
                whole = whole.checked_mul(10)?.checked_add(d)?;
            }
        } else {
            break;
        }
        i += 1;
    }
    if sign != 0 {
        whole *= sign;
    }
    let Some(&unit) = b.get(i) else {
        return Some(whole);
    };
    let idx = b"BKMGTPE".iter().position(|u| *u == unit.to_ascii_uppercase())?;
    if b.get(i + 1).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    let fact = 1i64 << (10 * idx);
    whole = whole.checked_mul(fact)?;
    while fpart >= i64::MAX / fact || fpart <= i64::MIN / fact {
        fpart /= 10;
        fract_digits = fract_digits.saturating_sub(1);
    }
    fpart *= fact;
    for _ in 1..fract_digits {
        fpart /= 10;
    }
    Some(if sign == -1 { whole - fpart } else { whole + fpart })
}

/// C `sscanf("%d")` on a prefix: (value, rest).
fn scan_int(s: &str) -> Option<(i64, &str)> {
    let t = s.trim_start();
    let digits_at = usize::from(t.starts_with(['+', '-']));
    let end = t
        .get(digits_at..)?
        .find(|c: char| !c.is_ascii_digit())
        .map_or(t.len(), |e| e + digits_at);
    if end == digits_at {
        return None;
    }
    Some((t.get(..end)?.parse().ok()?, t.get(end..)?))
}

/// Applies one directive to `o`. `active` is whether the line's context is in force (sshd
/// validates inactive lines too). Errors are sshd's, lowercase.
pub(super) fn apply(
    o: &mut Opts,
    kw: &'static Keyword,
    d: &Directive,
    active: bool,
    sys: &System,
    build: &Defaults,
) -> Result<(), String> {
    let src = &d.source;
    let k = d.keyword.as_str();
    let args = &d.args;
    let mut used = 1usize;
    let arg0 = args.first().map(String::as_str);
    let need = |what: &str| -> Result<&str, String> {
        match arg0 {
            Some(a) if !a.is_empty() => Ok(a),
            _ => Err(format!("{k} {what}")),
        }
    };
    match kw.kind {
        Kind::Flag | Kind::Multi(_) => {
            let table = if let Kind::Multi(t) = kw.kind { t } else { FLAG };
            let a = need("missing argument")?;
            let Some((_, canon)) = table.iter().find(|(n, _)| n.eq_ignore_ascii_case(a)) else {
                return Err(format!("unsupported option \"{a}\""));
            };
            if active {
                first(o, kw.opt, (*canon).to_owned(), src);
            }
        }
        Kind::Time => {
            let a = need("missing time value")?;
            let v = convtime(a).ok_or_else(|| format!("invalid time value \"{a}\""))?;
            if active {
                first(o, kw.opt, v.to_string(), src);
            }
        }
        Kind::Int => {
            let v = arg0.and_then(|a| strtonum(a, 0, i64::from(i32::MAX)));
            let v = v.ok_or_else(|| format!("{k} integer value invalid: {}", arg0.unwrap_or("")))?;
            if active {
                first(o, kw.opt, v.to_string(), src);
            }
        }
        Kind::Path => {
            let a = need("missing file name")?;
            if active {
                first_computed(o, kw.opt, a, src, || derelativise(a, sys))?;
            }
        }
        Kind::Ignored => used = args.len(),
        Kind::Structural => return Err(format!("keyword {k} not handled")),
        Kind::Special => used = special(o, kw, d, active, sys, build)?,
    }
    if args.len() > used {
        return Err(format!("keyword {k} extra arguments at end of line"));
    }
    Ok(())
}

/// The keywords with their own `case`. Returns how many arguments were consumed.
fn special(
    o: &mut Opts,
    kw: &'static Keyword,
    d: &Directive,
    active: bool,
    sys: &System,
    build: &Defaults,
) -> Result<usize, String> {
    let src = &d.source;
    let k = d.keyword.as_str();
    let args = &d.args;
    let arg0 = args.first().map(String::as_str).unwrap_or("");
    let missing = || format!("{k} missing argument");
    let opt = kw.opt;
    match opt {
        "port" => {
            let p = a2port(arg0, sys)?
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("badly formatted port number \"{arg0}\""))?;
            if o.get("port").map_or(0, |s| s.items.len()) >= 256 {
                return Err("too many ports".into());
            }
            if active {
                append(o, "port", p.to_string(), src);
            }
            Ok(1)
        }
        "listenaddress" => {
            if arg0.is_empty() {
                return Err("missing address".into());
            }
            if args.len() > 1 {
                // "rdomain NAME": routing domains are not compiled into this sshd.
                return Err(
                    if args.get(1).map(String::as_str) == Some("rdomain") && args.len() == 3 {
                        "bad routing domain (not supported on this platform)".into()
                    } else {
                        "bad ListenAddress syntax".into()
                    },
                );
            }
            let (host, port) = split_hostport(arg0, sys)?;
            if active {
                append(o, "listenaddress", format!("{host}\t{port}"), src);
            }
            Ok(1)
        }
        "hostkey" | "hostcertificate" => {
            if arg0.is_empty() {
                return Err(format!("{k} missing file name"));
            }
            if active {
                append(o, opt, derelativise(arg0, sys)?, src);
            }
            Ok(1)
        }
        "hostkeyagent" => {
            if arg0.is_empty() {
                return Err("missing socket name".into());
            }
            if active {
                first_computed(o, opt, arg0, src, || {
                    if arg0 == "SSH_AUTH_SOCK" {
                        Ok(arg0.to_owned())
                    } else {
                        derelativise(arg0, sys)
                    }
                })?;
            }
            Ok(1)
        }
        "syslogfacility" => {
            const F: &[&str] = &[
                "DAEMON", "USER", "AUTH", "AUTHPRIV", "LOCAL0", "LOCAL1", "LOCAL2", "LOCAL3", "LOCAL4", "LOCAL5",
                "LOCAL6", "LOCAL7",
            ];
            let f = F
                .iter()
                .find(|f| f.eq_ignore_ascii_case(arg0))
                .ok_or_else(|| format!("unsupported log facility '{arg0}'"))?;
            // No activep check in servconf.c (the keyword is global-only anyway).
            first(o, opt, (*f).to_owned(), src);
            Ok(1)
        }
        "loglevel" => {
            // log_level_name() prints the first name with the value: QUIET → SILENT, DEBUG1 → DEBUG.
            const L: &[(&str, &str)] = &[
                ("SILENT", "SILENT"),
                ("QUIET", "SILENT"),
                ("FATAL", "FATAL"),
                ("ERROR", "ERROR"),
                ("INFO", "INFO"),
                ("VERBOSE", "VERBOSE"),
                ("DEBUG", "DEBUG"),
                ("DEBUG1", "DEBUG"),
                ("DEBUG2", "DEBUG2"),
                ("DEBUG3", "DEBUG3"),
            ];
            let (_, c) = L
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(arg0))
                .ok_or_else(|| format!("unsupported log level '{arg0}'"))?;
            if active {
                first(o, opt, (*c).to_owned(), src);
            }
            Ok(1)
        }
        "logverbose" | "channeltimeout" | "authenticationmethods" => {
            let mut any = false;
            // servconf.c sAuthenticationMethods: "any" is refused once a method list is stored
            // (num_auth_methods > 0), whether or not this line is active, and the lists of an
            // active first line are stored as they are read: `publickey any` fails only where
            // the line is in force.
            let stored = o.get(opt).map_or(0, |s| s.items.len());
            let appends = stored == 0 && active;
            for (i, a) in args.iter().enumerate() {
                if opt == "authenticationmethods" {
                    if a == "any" {
                        if stored > 0 || (appends && i > 0) {
                            return Err(format!("\"any\" must appear alone in {k}"));
                        }
                        any = true;
                    } else if any {
                        return Err(format!("\"any\" must appear alone in {k}"));
                    } else if !valid_auth_methods(a) {
                        return Err(format!("invalid {k} method list"));
                    }
                    continue;
                }
                if a.is_empty() {
                    return Err(format!("keyword {k} empty argument"));
                }
                if a.eq_ignore_ascii_case("none") {
                    if i > 0 || args.len() > 1 {
                        return Err(format!("keyword {k} \"none\" argument must appear alone"));
                    }
                } else if opt == "channeltimeout" {
                    let ok = a
                        .split_once('=')
                        .is_some_and(|(t, v)| !t.is_empty() && convtime(v).is_some());
                    if !ok {
                        return Err(format!("invalid channel timeout {a}"));
                    }
                }
            }
            if args.is_empty() {
                return Err(format!("no {k} specified"));
            }
            if active {
                first_line(o, opt, args.clone(), src);
            }
            Ok(args.len())
        }
        "hostbasedacceptedalgorithms" | "hostkeyalgorithms" | "pubkeyacceptedalgorithms" | "casignaturealgorithms" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            if !valid_algos(
                arg0,
                &build.supported(ALL_KEYS, build.release.host_key_algorithms),
                true,
            ) {
                return Err(format!("bad key types '{arg0}'"));
            }
            if active {
                first(o, opt, arg0.to_owned(), src);
            }
            Ok(1)
        }
        "ciphers" | "macs" | "kexalgorithms" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            let all = match opt {
                "ciphers" => build.supported(ALL_CIPHERS, build.release.ciphers),
                "macs" => build.supported(ALL_MACS, build.release.macs),
                _ => build.supported(ALL_KEX, build.kex),
            };
            if !valid_algos(arg0, &all, false) {
                return Err(format!("bad SSH2 {opt} spec '{arg0}'"));
            }
            // servconf.c has no activep check here (global-only keywords).
            first(o, opt, arg0.to_owned(), src);
            Ok(1)
        }
        "gssapikexalgorithms" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            if !arg0.split(',').all(|n| GSS_KEX_NAMES.split(',').any(|g| g == n)) {
                return Err(format!("bad GSSAPI KexAlgorithms '{arg0}'"));
            }
            if active {
                first(o, opt, arg0.to_owned(), src);
            }
            Ok(1)
        }
        "pubkeyauthoptions" => {
            let (mut touch, mut verify) = (false, false);
            for a in args {
                match a.to_ascii_lowercase().as_str() {
                    "none" => {}
                    "touch-required" => touch = true,
                    "verify-required" => verify = true,
                    _ => return Err(format!("unsupported {k} option {a}")),
                }
            }
            let mut v = Vec::new();
            if touch {
                v.push("touch-required");
            }
            if verify {
                v.push("verify-required");
            }
            if active {
                first(o, opt, if v.is_empty() { "none".into() } else { v.join(" ") }, src);
            }
            Ok(args.len())
        }
        "permituserenvironment" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            if active {
                first(o, opt, arg0.to_owned(), src);
            }
            Ok(1)
        }
        "rekeylimit" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            let bytes = if arg0 == "default" {
                0
            } else {
                let v = scan_scaled(arg0).ok_or_else(|| format!("bad {k} number '{arg0}'"))?;
                if v != 0 && v < 16 {
                    return Err(format!("{k} too small"));
                }
                v
            };
            if active {
                first(o, "rekeylimit.bytes", bytes.to_string(), src);
            }
            match args.get(1).map(String::as_str) {
                None => Ok(1),
                Some("none") => Ok(2),
                Some(t) => {
                    let s = convtime(t).ok_or_else(|| "invalid time value".to_owned())?;
                    if active {
                        first(o, "rekeylimit.interval", s.to_string(), src);
                    }
                    Ok(2)
                }
            }
        }
        "allowusers" | "denyusers" | "allowgroups" | "denygroups" | "acceptenv" => {
            for a in args {
                // AllowUsers/DenyUsers: match_user(NULL, NULL, NULL, pattern) validates the part
                // after the first '@' with addr_match_list (a CIDR with host bits or a mask too
                // long is refused).
                let bad_host = matches!(opt, "allowusers" | "denyusers")
                    && a.split_once('@').is_some_and(|(_, h)| addr_match_list(None, h) == -2);
                let bad = a.is_empty() || (opt == "acceptenv" && a.contains('=')) || bad_host;
                if bad {
                    return Err(if opt == "acceptenv" {
                        "invalid environment name".into()
                    } else {
                        format!("invalid {k} pattern: \"{a}\"")
                    });
                }
                if active {
                    append(o, opt, a.clone(), src);
                }
            }
            Ok(args.len())
        }
        "setenv" => {
            if args.iter().any(|a| a.is_empty() || !a.contains('=')) {
                return Err("invalid environment".into());
            }
            if active {
                // First line wins; within it a repeated name keeps its first value.
                let mut vals: Vec<String> = Vec::new();
                for a in args {
                    let name = a.split('=').next().unwrap_or("");
                    if !vals.iter().any(|v| v.split('=').next() == Some(name)) {
                        vals.push(a.clone());
                    }
                }
                first_line(o, opt, vals, src);
            }
            Ok(args.len())
        }
        "subsystem" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            if !active {
                return Ok(2.min(args.len()));
            }
            if o.get(opt)
                .is_some_and(|s| s.items.iter().any(|i| i.v.split(' ').next() == Some(arg0)))
            {
                return Err(format!("subsystem '{arg0}' already defined"));
            }
            if o.get(opt).map_or(0, |s| s.items.len()) >= 256 {
                return Err("too many subsystems defined".into());
            }
            if args.get(1).is_none_or(|c| c.is_empty()) {
                return Err("missing subsystem command".into());
            }
            append(o, opt, args.join(" "), src);
            Ok(args.len())
        }
        "maxstartups" => {
            let bad = || format!("invalid {k} spec");
            if arg0.is_empty() {
                return Err(missing());
            }
            // sscanf("%d:%d:%d"): 3 fields, or 1 (then full = begin; rate untouched).
            let (b, r1) = scan_int(arg0).ok_or_else(bad)?;
            let three = r1
                .strip_prefix(':')
                .and_then(scan_int)
                .and_then(|(r, r2)| r2.strip_prefix(':').and_then(scan_int).map(|(m, _)| (r, m)));
            let partial = r1.starts_with(':') && three.is_none();
            if partial {
                return Err(bad());
            }
            let (rate, max) = match three {
                Some((r, m)) => {
                    if b > m || !(1..=100).contains(&r) {
                        return Err(bad());
                    }
                    (Some(r), m)
                }
                None => (None, b),
            };
            if max <= 0 || b <= 0 {
                return Err(bad());
            }
            // No activep check in servconf.c: the last line wins.
            last(o, "maxstartups.begin", b.to_string(), src);
            if let Some(r) = rate {
                last(o, "maxstartups.rate", r.to_string(), src);
            }
            last(o, "maxstartups.max", max.to_string(), src);
            Ok(1)
        }
        "persourcemaxstartups" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            let v = if arg0 == "none" {
                "none".to_owned()
            } else {
                strtonum(arg0, 0, i64::from(i32::MAX))
                    .ok_or_else(|| format!("{k} integer value invalid"))?
                    .to_string()
            };
            if active {
                last(o, opt, v, src);
            }
            Ok(1)
        }
        "persourcenetblocksize" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            let bad = || format!("invalid {k} spec");
            let (v4, r) = scan_int(arg0).ok_or_else(bad)?;
            // sscanf("%d:%d"): with one field servconf.c stores `value2`, a local it never set;
            // Debian 12's sshd -T shows 0 there (`24` prints `24:0`), and so does this.
            let v6 = match r.strip_prefix(':').and_then(scan_int) {
                Some((v6, _)) => v6,
                None => 0,
            };
            if !(0..=32).contains(&v4) || !(0..=128).contains(&v6) {
                return Err(bad());
            }
            if active {
                last(o, opt, format!("{v4}:{v6}"), src);
            }
            Ok(1)
        }
        "authorizedkeysfile" => {
            if args.iter().any(String::is_empty) {
                return Err(format!("keyword {k} empty argument"));
            }
            // tilde_expand_filename runs on every word, in force or not.
            let vals = args
                .iter()
                .map(|a| sys.tilde_expand(a))
                .collect::<Result<Vec<_>, _>>()?;
            if active {
                first_line(o, opt, vals, src);
            }
            Ok(args.len())
        }
        "authorizedprincipalsfile" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            if active {
                first_computed(o, opt, arg0, src, || sys.tilde_expand(arg0))?;
            }
            Ok(1)
        }
        "permittunnel" => {
            const T: &[&str] = &["no", "point-to-point", "ethernet", "yes"];
            // strcmp: case-sensitive, unlike the other yes/no keywords.
            let t = T
                .iter()
                .find(|t| **t == arg0)
                .ok_or_else(|| format!("bad {k} argument {arg0}"))?;
            if active {
                first(o, opt, (*t).to_owned(), src);
            }
            Ok(1)
        }
        "permitopen" | "permitlisten" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            if arg0 == "any" || arg0 == "none" {
                if active {
                    first_line(o, opt, vec![arg0.to_owned()], src);
                }
                return Ok(1);
            }
            let mut vals = Vec::new();
            for a in args {
                if a.is_empty() {
                    break;
                }
                let (v, port) = if opt == "permitlisten" && !a.contains(':') {
                    (format!("*:{a}"), a.as_str())
                } else {
                    let (h, p) = hpdelim(a).ok_or_else(|| format!("{k} missing host"))?;
                    let _ = h;
                    (a.clone(), p.unwrap_or(""))
                };
                if port != "*" && a2port(port, sys)?.is_none_or(|p| p <= 0) {
                    return Err(format!("{k} bad port number"));
                }
                vals.push(v);
            }
            if active {
                first_line(o, opt, vals, src);
            }
            Ok(args.len())
        }
        "forcecommand" | "versionaddendum" | "authorizedkeyscommand" | "authorizedprincipalscommand" => {
            let mut rest = d.rest.trim_start_matches([' ', '\t', '\r', '\n']).to_owned();
            if opt == "versionaddendum" {
                if rest.contains('\r') {
                    return Err(format!("invalid {k} argument"));
                }
                // servconf.c means to cut a trailing comment here, but searches `line`, which
                // strdelim has already cut after the keyword: the comment stays (sshd -T shows it).
                if rest.eq_ignore_ascii_case("none") {
                    rest = String::new();
                }
            }
            if opt.ends_with("command")
                && opt != "forcecommand"
                && !rest.starts_with('/')
                && !rest.eq_ignore_ascii_case("none")
            {
                return Err(format!("{k} must be an absolute path"));
            }
            if active {
                if opt == "authorizedprincipalscommand" {
                    // servconf.c tests authorized_keys_command here (a 9.2p1 quirk): while that
                    // is unset every line overwrites, once it is set nothing does.
                    if !is_set(o, "authorizedkeyscommand") {
                        last(o, opt, rest, src);
                    }
                } else {
                    first(o, opt, rest, src);
                }
            }
            Ok(args.len())
        }
        "chrootdirectory" | "authorizedkeyscommanduser" | "authorizedprincipalscommanduser" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            if active {
                first(o, opt, arg0.to_owned(), src);
            }
            Ok(1)
        }
        "securitykeyprovider" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            if active {
                first_computed(o, opt, arg0, src, || {
                    if arg0.eq_ignore_ascii_case("internal") {
                        Ok(arg0.to_owned())
                    } else {
                        derelativise(arg0, sys)
                    }
                })?;
            }
            Ok(1)
        }
        "ipqos" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            let decimal = build.release.ipqos_decimal;
            let a = parse_ipqos(arg0, decimal).ok_or_else(|| format!("bad {k} value: {arg0}"))?;
            let b = match args.get(1) {
                None => a,
                Some(s) => parse_ipqos(s, decimal).ok_or_else(|| format!("bad {k} value: {s}"))?,
            };
            if active {
                last(o, opt, format!("{}\t{}", a, b), src);
            }
            Ok(2.min(args.len()))
        }
        "streamlocalbindmask" => {
            if arg0.is_empty() {
                return Err(missing());
            }
            // strtol(arg, &p, 8): leading octal digits; trailing garbage is accepted.
            let digits: String = arg0.chars().take_while(|c| ('0'..='7').contains(c)).collect();
            let v = i64::from_str_radix(&digits, 8)
                .ok()
                .filter(|v| *v <= 0o777)
                .ok_or_else(|| format!("invalid {k}"))?;
            if active {
                last(o, opt, format!("0{v:o}"), src);
            }
            Ok(1)
        }
        "fingerprinthash" => {
            const H: &[&str] = &["MD5", "SHA1", "SHA256", "SHA384", "SHA512"];
            let h = H
                .iter()
                .find(|h| h.eq_ignore_ascii_case(arg0))
                .ok_or_else(|| format!("invalid {k} algorithm \"{arg0}\""))?;
            if active {
                last(o, opt, (*h).to_owned(), src);
            }
            Ok(1)
        }
        "rdomain" => Err("setting RDomain not supported on this platform".into()),
        "pamservicename" => {
            if arg0.is_empty() {
                return Err("missing argument".into());
            }
            if active {
                first(o, opt, arg0.to_owned(), src);
            }
            Ok(1)
        }
        "persourcepenaltyexemptlist" => {
            if arg0.is_empty() {
                return Err("missing argument".into());
            }
            if addr_match_list(None, arg0) != 0 {
                return Err(format!("keyword {k} invalid address argument"));
            }
            if active {
                first(o, opt, arg0.to_owned(), src);
            }
            Ok(1)
        }
        "persourcepenalties" => {
            if args.is_empty() {
                return Err(format!("no {k} specified"));
            }
            for (i, a) in args.iter().enumerate() {
                if a.eq_ignore_ascii_case("no") || a.eq_ignore_ascii_case("yes") {
                    if i + 1 < args.len() {
                        return Err(format!("keyword {k} \"{a}\" argument must appear alone"));
                    }
                    if active {
                        let v = if a.eq_ignore_ascii_case("yes") { "1" } else { "0" };
                        first(o, "persourcepenalties.enabled", v.into(), src);
                    }
                    continue;
                }
                let (field, value) = penalty(a).ok_or_else(|| format!("unsupported {k} keyword {a}"))?;
                let value = match value {
                    Penalty::Time(t) => convtime(t)
                        .ok_or_else(|| format!("invalid {k} time value"))?
                        .to_string(),
                    Penalty::Count(n) => strtonum(n, 0, i64::from(i32::MAX))
                        .ok_or_else(|| format!("{k} value invalid"))?
                        .to_string(),
                    Penalty::Word(w) => w.to_owned(),
                };
                if active && !is_set(o, field) {
                    first(o, field, value, src);
                    // Any setting enables penalties, overriding an earlier `no`.
                    last(o, "persourcepenalties.enabled", "1".into(), src);
                }
            }
            Ok(args.len())
        }
        "unusedconnectiontimeout" => {
            if arg0.eq_ignore_ascii_case("none") {
                // Sets 0 unconditionally (not first-wins) when active.
                if active {
                    last(o, opt, "0".into(), src);
                }
                return Ok(1);
            }
            let v = convtime(arg0).ok_or_else(|| "invalid time value".to_owned())?;
            if active {
                first(o, opt, v.to_string(), src);
            }
            Ok(1)
        }
        _ => Err(format!("keyword {k} not handled")),
    }
}

/// One PerSourcePenalties word's value.
enum Penalty<'a> {
    /// A time (`crash:90s`).
    Time(&'a str),
    /// A count (`max-sources4:65536`).
    Count(&'a str),
    /// A word printed as is (`overflow:deny-all`).
    Word(&'a str),
}

/// The PerSourcePenalties words of servconf.c 9.8p1 and later: the field a word sets, and its
/// value.
fn penalty(a: &str) -> Option<(&'static str, Penalty<'_>)> {
    const TIMES: &[(&str, &str)] = &[
        ("crash:", "persourcepenalties.crash"),
        ("authfail:", "persourcepenalties.authfail"),
        ("noauth:", "persourcepenalties.noauth"),
        ("grace-exceeded:", "persourcepenalties.grace-exceeded"),
        ("refuseconnection:", "persourcepenalties.refuseconnection"),
        ("max:", "persourcepenalties.max"),
        ("min:", "persourcepenalties.min"),
    ];
    for (prefix, field) in TIMES {
        if let Some(v) = a.strip_prefix(prefix) {
            return Some((field, Penalty::Time(v)));
        }
    }
    for (prefix, field) in [
        ("max-sources4:", "persourcepenalties.max-sources4"),
        ("max-sources6:", "persourcepenalties.max-sources6"),
    ] {
        if let Some(v) = a.strip_prefix(prefix) {
            return Some((field, Penalty::Count(v)));
        }
    }
    match a {
        "overflow:deny-all" | "overflow:permissive" => Some(("persourcepenalties.overflow", Penalty::Word(&a[9..]))),
        "overflow6:deny-all" | "overflow6:permissive" => {
            Some(("persourcepenalties.overflow6", Penalty::Word(&a[10..])))
        }
        _ => None,
    }
}

/// `hpdelim`: host and optional port of `host:port`, `[v6]:port`, `host/port`.
fn hpdelim(s: &str) -> Option<(String, Option<&str>)> {
    if let Some(r) = s.strip_prefix('[') {
        let end = r.find(']')?;
        let host = r.get(..end)?.to_owned();
        let after = r.get(end + 1..)?;
        return match after.chars().next() {
            None => Some((host, None)),
            Some(':' | '/') => Some((host, after.get(1..))),
            Some(_) => None,
        };
    }
    match s.find([':', '/']) {
        None => Some((s.to_owned(), None)),
        Some(i) => Some((s.get(..i)?.to_owned(), s.get(i + 1..))),
    }
}

/// ListenAddress argument → (host, port or 0).
fn split_hostport(a: &str, sys: &System) -> Result<(String, i32), String> {
    if !a.contains('[') && a.matches(':').count() >= 2 {
        return Ok((a.to_owned(), 0));
    }
    let (h, p) = hpdelim(a).ok_or_else(|| "bad address:port usage".to_owned())?;
    let port = match p {
        None => 0,
        Some(p) => a2port(p, sys)?
            .filter(|v| *v > 0)
            .ok_or_else(|| "bad port number".to_owned())?,
    };
    Ok((h, port))
}

/// `auth2_methods_valid(…, 0)`: comma-separated method names (keyboard-interactive may carry a
/// `:device`).
fn valid_auth_methods(list: &str) -> bool {
    !list.is_empty()
        && list.split(',').all(|m| {
            // auth2_methods_valid cuts every method at ':' before looking it up, whatever the
            // method: `publickey:x` is as valid as `keyboard-interactive:pam`.
            let name = m.split_once(':').map_or(m, |(n, _)| n);
            AUTH_METHODS.iter().any(|(n, _)| *n == name)
        })
}

/// The `authmethods[]` table of auth2.c (9.2p1 Debian: GSSAPI compiled in, plus the
/// `gssapi-keyex` method of Debian's GSSAPI key-exchange patch) and the option that enables each
/// one (`Authmethod.enabled`); `none` has a static flag that is set at start-up.
pub(super) const AUTH_METHODS: &[(&str, Option<&str>)] = &[
    ("none", None),
    ("publickey", Some("pubkeyauthentication")),
    ("gssapi-with-mic", Some("gssapiauthentication")),
    ("gssapi-keyex", Some("gssapiauthentication")),
    ("password", Some("passwordauthentication")),
    ("keyboard-interactive", Some("kbdinteractiveauthentication")),
    ("hostbased", Some("hostbasedauthentication")),
];

#[cfg(test)]
pub(super) mod tests {
    use super::super::versions::select;
    use super::*;

    #[test]
    fn convtime_units_and_sums() {
        assert_eq!(convtime("2m"), Some(120));
        assert_eq!(convtime("1h30m"), Some(5400));
        assert_eq!(convtime("90"), Some(90));
        assert_eq!(convtime("1W"), Some(604800));
        assert_eq!(convtime("5x"), None);
        assert_eq!(convtime(""), None);
    }

    #[test]
    fn aliases_share_one_option() {
        let d = select(None);
        assert_eq!(
            lookup("ChallengeResponseAuthentication", &d).map(|k| k.opt),
            Some("kbdinteractiveauthentication")
        );
        assert_eq!(
            lookup("PUBKEYACCEPTEDKEYTYPES", &d).map(|k| k.opt),
            Some("pubkeyacceptedalgorithms")
        );
        assert!(lookup("PasswordAuth", &d).is_none());
    }

    /// The keywords[] table of servconf.c at `release` (fixtures/openssh-source/<release>/servconf.c)
    /// as a build with PAM, Kerberos and GSSAPI compiles it (no AFS, lastlog kept): (name, opcode,
    /// flags), in order.
    #[allow(clippy::disallowed_methods)]
    pub(in super::super) fn upstream_keywords(release: &str) -> Vec<(String, String, String)> {
        const DEFINED: &[&str] = &["USE_PAM", "KRB5", "GSSAPI"];
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/openssh-source")
            .join(release)
            .join("servconf.c");
        let text = std::fs::read_to_string(path).unwrap();
        let start = text.find("} keywords[] = {").unwrap();
        let end = start + text[start..].find("sBadOption").unwrap();
        let mut out = Vec::new();
        let mut stack: Vec<bool> = Vec::new();
        for line in text[start..end].lines().skip(1) {
            let t = line.trim();
            if let Some(m) = t.strip_prefix("#ifdef ") {
                stack.push(DEFINED.contains(&m.trim()));
            } else if let Some(m) = t.strip_prefix("#ifndef ") {
                stack.push(!DEFINED.contains(&m.trim()));
            } else if t.starts_with("#else") {
                let top = stack.pop().unwrap();
                stack.push(!top);
            } else if t.starts_with("#endif") {
                stack.pop();
            } else if t.starts_with('#') {
                panic!("{release}: unexpected {t}");
            } else if stack.iter().all(|b| *b)
                && let Some(entry) = t.strip_prefix("{ \"")
            {
                let (name, rest) = entry.split_once('"').unwrap();
                let f: Vec<&str> = rest
                    .split([',', '}'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect();
                out.push((name.to_owned(), f[0].to_owned(), f[1].to_owned()));
            }
        }
        out
    }

    /// Each release's table is its servconf.c's: the same keywords, each allowed in Match exactly
    /// where servconf.c says SSHCFG_ALL, ignored exactly where it is sDeprecated, sIgnore or
    /// sUnsupported, aliases (one opcode) setting one option and different opcodes different
    /// options, and `sshd -T` printing each option under the opcode's first keyword.
    #[test]
    fn every_release_table_is_its_servconf_c() {
        for r in super::super::versions::RELEASES {
            // No distribution: upstream's table only.
            let d = select(Some(r.version));
            assert_eq!(d.release.version, r.version);
            assert!(d.distribution.is_none());
            let table = upstream_keywords(r.version);
            assert!(table.len() > 100, "{}", r.version);
            let ours: Vec<&Keyword> = KEYWORDS.iter().filter(|k| k.available(&d)).collect();
            let mut names: Vec<&str> = ours.iter().map(|k| k.name).collect();
            let mut theirs: Vec<&str> = table.iter().map(|(n, _, _)| n.as_str()).collect();
            names.sort_unstable();
            theirs.sort_unstable();
            assert_eq!(names, theirs, "{}: keyword names", r.version);
            let mut first_name: Vec<(&str, &str)> = Vec::new();
            for (name, opcode, flags) in &table {
                let k = ours.iter().find(|k| k.name == name).unwrap();
                let ctx = format!("{} {name} {opcode} {flags}", r.version);
                assert_eq!(k.in_match, flags == "SSHCFG_ALL", "{ctx}: in_match");
                let ignored = matches!(opcode.as_str(), "sDeprecated" | "sIgnore" | "sUnsupported");
                assert_eq!(matches!(k.kind, Kind::Ignored), ignored, "{ctx}: ignored");
                let structural = matches!(opcode.as_str(), "sMatch" | "sInclude");
                assert_eq!(matches!(k.kind, Kind::Structural), structural, "{ctx}: structural");
                if ignored || structural {
                    continue;
                }
                for (other, op2, _) in &table {
                    let k2 = ours.iter().find(|k| k.name == other).unwrap();
                    if matches!(k2.kind, Kind::Ignored | Kind::Structural) {
                        continue;
                    }
                    assert_eq!(op2 == opcode, k2.opt == k.opt, "{ctx}: same option as {other} ({op2})");
                }
                if !first_name.iter().any(|(op, _)| op == opcode) {
                    first_name.push((opcode, name));
                    assert_eq!(printed_name(k.opt, &d), Some(name.as_str()), "{ctx}: printed name");
                }
            }
        }
    }

    #[test]
    fn keywords_of_other_releases_are_refused_and_renamed_ones_printed_under_their_name() {
        let d = |v: &str| select(Some(v));
        assert!(lookup("RefuseConnection", &d("1:9.2p1-2+deb12u5")).is_none());
        assert!(lookup("PerSourcePenalties", &d("1:9.2p1-2+deb12u5")).is_none());
        assert!(lookup("RefuseConnection", &d("1:10.0p1-7")).is_some());
        assert!(lookup("ChannelTimeout", &d("1:8.9p1-3ubuntu0.10")).is_none());
        assert!(lookup("UnusedConnectionTimeout", &d("1:8.4p1-5+deb11u3")).is_none());
        assert!(lookup("Include", &d("7.4p1-21.el7")).is_none());
        assert_eq!(
            printed_name("pubkeyacceptedalgorithms", &d("1:8.4p1-5+deb11u3")),
            Some("pubkeyacceptedkeytypes")
        );
        assert_eq!(
            lookup("UsePrivilegeSeparation", &d("7.4p1-21.el7")).map(|k| k.opt),
            Some("useprivilegeseparation")
        );
        assert!(lookup("UsePrivilegeSeparation", &d("8.0p1-19.el8")).is_some_and(|k| matches!(k.kind, Kind::Ignored)));
        // Distribution patches: DebianBanner on Debian and Ubuntu only, GSSAPIKeyExchange where
        // the GSSAPI key-exchange patch is carried (not Alpine).
        assert!(lookup("DebianBanner", &d("1:8.9p1-3ubuntu0.10")).is_some());
        assert!(lookup("DebianBanner", &d("8.7p1-38.el9")).is_none());
        assert!(lookup("GSSAPIKeyExchange", &d("8.7p1-38.el9")).is_some());
        assert!(lookup("GSSAPIKeyExchange", &d("9.9_p1-r2")).is_none());
    }

    #[test]
    fn algorithm_lists_validate_like_sshd() {
        assert!(valid_algos("+aes128-cbc", ALL_CIPHERS, false));
        assert!(valid_algos("-nonsense*", ALL_CIPHERS, false));
        assert!(!valid_algos("aes*", ALL_CIPHERS, false));
        assert!(valid_algos("+ssh-rsa*", ALL_KEYS, true));
    }
}
