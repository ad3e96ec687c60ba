//! The effective sshd configuration, computed in-process from /etc/ssh/sshd_config and the files
//! it includes, with the semantics of OpenSSH 9.2p1's `servconf.c` (sshd_config(5)):
//! first value wins (with the per-keyword exceptions listed in `keywords.rs`), case-insensitive
//! keywords, `keyword value` and `keyword=value`, `argv_split` quoting, `#` comments, CRLF,
//! `Include` (globs in byte order, relative to /etc/ssh, nesting up to 16 levels, inside Match),
//! `Match` blocks (kept apart, each setting with its file:line), compiled-in defaults and the
//! `+`/`-`/`^` algorithm list modifiers. [`render_sshd_t`] prints what `sshd -T [-C spec]` prints.
//!
//! `Match Group`, `~`/`~user` paths and port names are resolved with the root's own /etc/passwd,
//! /etc/group and /etc/services (`system.rs`), as the sshd in the image would resolve them.
//!
//! Deliberately not done: nothing is executed (no `sshd -T`); host names in ListenAddress are not
//! resolved. A configuration sshd would reject is an error, never a guess.

mod algorithms;
mod cryptopolicy;
mod keywords;
mod matching;
mod parse;
mod render;
mod startup;
mod system;
mod versions;

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Collected, Context, Fact, FactError, Shadowed, Source};
use crate::facts::packages::Packages;
use crate::rootfs::Kind;
use crate::rootfs::RootFs;

/// The main configuration file.
pub const CONFIG_PATH: &str = "/etc/ssh/sshd_config";
/// The OpenSSH version whose defaults and keyword table are modelled.
pub const MODELLED_VERSION: &str = "9.2p1";

/// A value of an sshd option: one string for keywords `sshd -T` prints on one line, a list for
/// those it prints once per value (port, listenaddress, hostkey, hostcertificate, allowusers,
/// denyusers, allowgroups, denygroups, acceptenv, setenv, subsystem).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Value {
    /// Single value, canonical and lowercase where sshd prints it so ("no", "120").
    One(String),
    /// One entry per printed line.
    Many(Vec<String>),
}

/// Keywords `sshd -T` prints once per value.
const MULTI_LINE: &[&str] = &[
    "port",
    "listenaddress",
    "hostkey",
    "hostcertificate",
    "allowusers",
    "denyusers",
    "allowgroups",
    "denygroups",
    "acceptenv",
    "setenv",
    "subsystem",
];

/// One Match block and what it sets.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MatchBlock {
    /// The criteria as written after `Match` ("User alice Address 10.0.0.0/8").
    pub criteria: String,
    /// Where the Match line is.
    pub source: Source,
    /// The settings inside the block (first value wins within it), by lowercase keyword.
    #[schemars(schema_with = "keyword_table")]
    pub settings: BTreeMap<String, Fact<Value>>,
    /// What sshd would show for the block's own Banner (see [`Sshd::banner_file`]); null when
    /// the block does not set Banner.
    pub banner_file: Option<Collected<Fact<String>>>,
}

/// A Match block setting that is weaker than the global value of the same keyword.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MatchOverride {
    /// The block's criteria.
    pub criteria: String,
    /// Lowercase keyword.
    pub keyword: String,
    /// The block's value.
    pub value: String,
    /// The effective global value it weakens.
    pub global_value: String,
    /// Where the block sets it.
    pub source: Source,
}

/// The effective sshd configuration.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Sshd {
    /// sshd is installed (its configuration file exists).
    pub installed: bool,
    /// /etc/ssh/sshd_config exists.
    pub present: bool,
    /// The OpenSSH server package is installed (openssh-server or openssh-server-pam, state
    /// `installed`); null when the package database could not be read.
    pub package_installed: Option<bool>,
    /// The main configuration file.
    pub config_path: String,
    /// Every file read, in the order sshd reads them.
    pub files: Vec<String>,
    /// Whose compiled-in defaults fill unset keywords ("9.2p1").
    pub openssh_version_defaults: String,
    /// Set when the caller asked for another version's defaults, which are not modelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defaults_note: Option<String>,
    /// The global configuration as `sshd -T` would print it, by lowercase keyword; each value
    /// carries the line that won (or the compiled-in default) and the lines it shadowed.
    #[schemars(schema_with = "keyword_table")]
    pub effective: BTreeMap<String, Fact<Value>>,
    /// Match blocks in file order.
    pub match_blocks: Vec<MatchBlock>,
    /// Match block settings that weaken a security-relevant global value (see [`WEAKER`]).
    pub match_overrides: Vec<MatchOverride>,
    /// Why sshd would refuse to start with this configuration although every line parses (a
    /// check `sshd.c` makes after parsing, see `startup.rs`): sshd's message and the line that
    /// caused it ("sshd would refuse to start: …"); null when sshd would start.
    pub startup_error: Option<Fact<String>>,
    /// What sshd shows for the global Banner, read the way `auth2_read_banner` does: "shown" (a
    /// regular file of 1 byte to 1 MiB), "none" (Banner none), "absent" (no such file in the
    /// image), "empty", "too large" or "not a regular file" (sshd shows nothing for these). Its
    /// source is the banner file, with the Banner line in the note; an error when the file
    /// cannot be examined.
    pub banner_file: Collected<Fact<String>>,
}

/// Which values of a keyword are weaker than which: values listed from strongest to weakest; a
/// Match block value later in the list than the global value weakens it. `None`: a number,
/// higher is weaker.
pub const WEAKER: &[(&str, Option<&[&str]>)] = &[
    ("passwordauthentication", Some(&["no", "yes"])),
    ("kbdinteractiveauthentication", Some(&["no", "yes"])),
    ("permitemptypasswords", Some(&["no", "yes"])),
    (
        "permitrootlogin",
        Some(&["no", "forced-commands-only", "prohibit-password", "yes"]),
    ),
    ("hostbasedauthentication", Some(&["no", "yes"])),
    ("ignorerhosts", Some(&["yes", "shosts-only", "no"])),
    ("x11forwarding", Some(&["no", "yes"])),
    ("allowtcpforwarding", Some(&["no", "local", "yes"])),
    ("allowagentforwarding", Some(&["no", "yes"])),
    ("allowstreamlocalforwarding", Some(&["no", "local", "yes"])),
    ("disableforwarding", Some(&["yes", "no"])),
    ("gatewayports", Some(&["no", "clientspecified", "yes"])),
    ("permittunnel", Some(&["no", "point-to-point", "ethernet", "yes"])),
    ("maxauthtries", None),
];

/// Rank of a value in a WEAKER list; "remote" forwarding ranks with "local".
fn rank(list: &[&str], v: &str) -> Option<usize> {
    let v = if v == "remote" { "local" } else { v };
    list.iter().position(|x| *x == v)
}

/// Whether `value` (in a Match block) is weaker than `global` for keyword `kw`.
pub fn is_weaker(kw: &str, value: &str, global: &str) -> bool {
    match WEAKER.iter().find(|(k, _)| *k == kw) {
        Some((_, Some(list))) => matches!((rank(list, value), rank(list, global)), (Some(a), Some(b)) if a > b),
        Some((_, None)) => matches!((value.parse::<i64>(), global.parse::<i64>()), (Ok(a), Ok(b)) if a > b),
        None => false,
    }
}

/// A connection to evaluate Match blocks for (`sshd -T -C user=…,host=…,addr=…`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnSpec {
    /// `user=`.
    pub user: Option<String>,
    /// `host=`.
    pub host: Option<String>,
    /// `addr=`.
    pub addr: Option<String>,
    /// `laddr=`.
    pub laddr: Option<String>,
    /// `lport=`.
    pub lport: Option<i32>,
    /// `rdomain=`.
    pub rdomain: Option<String>,
}

/// Why a `-C` connection spec was refused; the messages are sshd's own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnSpecError {
    /// A field that is not `user=`, `host=`, `addr=`, `laddr=`, `lport=` or `rdomain=`.
    #[error("invalid test mode specification {field}")]
    Field {
        /// The field as given.
        field: String,
    },
    /// An `lport=` that is not a port number or service name.
    #[error("invalid port '{port}' in test mode specification {field}")]
    Port {
        /// The value of `lport=`.
        port: String,
        /// The field as given.
        field: String,
    },
}

/// Parses a `-C` spec the way `parse_server_match_testspec` does: comma-separated `key=value`
/// (user, host, addr, laddr, lport, rdomain); parsing stops at an empty field.
pub fn parse_conn_spec(spec: &str) -> Result<ConnSpec, ConnSpecError> {
    let mut ci = ConnSpec::default();
    for p in spec.split(',') {
        if p.is_empty() {
            break;
        }
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let v = v.to_owned();
        match k {
            "user" if p.contains('=') => ci.user = Some(v),
            "host" if p.contains('=') => ci.host = Some(v),
            "addr" if p.contains('=') => ci.addr = Some(v),
            "laddr" if p.contains('=') => ci.laddr = Some(v),
            "rdomain" if p.contains('=') => ci.rdomain = Some(v),
            "lport" if p.contains('=') => {
                ci.lport = Some(
                    system::a2port(&v, &system::System::default())
                        .ok()
                        .flatten()
                        .ok_or_else(|| ConnSpecError::Port {
                            port: v.clone(),
                            field: p.to_owned(),
                        })?,
                );
            }
            _ => return Err(ConnSpecError::Field { field: p.to_owned() }),
        }
    }
    Ok(ci)
}

/// Reads the configuration as the image's sshd service starts sshd: its command-line options
/// (RHEL 8's crypto policy, `cryptopolicy.rs`) first, then /etc/ssh/sshd_config and its includes.
fn load(fs: &RootFs, defaults: &versions::Defaults) -> Result<Option<parse::Config>, FactError> {
    let Some(mut cfg) = parse::load(fs, CONFIG_PATH, keywords::has_include(defaults))? else {
        return Ok(None);
    };
    let cmdline = cryptopolicy::command_line(fs)?;
    if let Some(d) = cmdline.first()
        && let Some(p) = &d.source.path
    {
        cfg.files.insert(0, p.clone());
    }
    cfg.directives.splice(0..0, cmdline);
    Ok(Some(cfg))
}

/// Set when the defaults are not the package's own release: the nearest older one, say so.
fn check_version(d: &versions::Defaults) -> Option<String> {
    d.note.contains(" is used").then(|| d.note.clone())
}

/// Prints the effective configuration exactly as `sshd -T` (with `conn`: `sshd -T -C spec`)
/// would on OpenSSH 9.2p1: same keywords, order and canonical values, one per line.
pub fn render_sshd_t(fs: &RootFs, version: Option<&str>, conn: Option<&ConnSpec>) -> Result<String, FactError> {
    let defaults = versions::select(version);
    let cfg = load(fs, &defaults)?.ok_or_else(|| FactError::Missing {
        path: CONFIG_PATH.into(),
        consequence: None,
    })?;
    let (mut global, matched) = render::evaluate(&cfg, conn, &defaults)?;
    // sshd makes its start-up checks on the first pass, before -T's Match pass and the dump.
    if let Some(e) = startup::first_failure(&cfg, &global, &defaults) {
        return Err(match (e.source.path, e.source.line) {
            (Some(path), Some(line)) => FactError::Parse {
                path,
                line,
                msg: e.value,
            },
            _ => FactError::SshdRejects { msg: e.value },
        });
    }
    render::overlay(&mut global, &matched);
    let lines = render::dump(&global, &defaults).map_err(|msg| FactError::SshdRejects { msg })?;
    Ok(render::to_text(&lines))
}

fn shadowed(items: &[keywords::Item]) -> Vec<Shadowed<Value>> {
    items
        .iter()
        .map(|i| Shadowed {
            value: Value::One(facts_value("", &i.v)),
            source: i.src.clone(),
        })
        .collect()
}

/// The value rules see: `sshd -T` form, except PermitRootLogin's without-password is given its
/// documented name prohibit-password.
fn facts_value(kw: &str, v: &str) -> String {
    if (kw == "permitrootlogin" || kw.is_empty()) && v == "without-password" {
        "prohibit-password".into()
    } else {
        v.to_owned()
    }
}

fn to_fact(kw: &str, values: Vec<String>, slot: Option<&keywords::Slot>, note: &str) -> Fact<Value> {
    let values: Vec<String> = values.iter().map(|v| facts_value(kw, v)).collect();
    let value = if MULTI_LINE.contains(&kw) {
        Value::Many(values)
    } else {
        Value::One(values.join(" "))
    };
    match slot {
        Some(s) => Fact {
            value,
            source: s
                .items
                .first()
                .map_or_else(|| render::default_source(note), |i| i.src.clone()),
            shadowed: shadowed(&s.shadowed),
        },
        None => Fact::new(value, render::default_source(note)),
    }
}

/// The largest banner `auth2_read_banner` sends.
const BANNER_MAX: u64 = 1024 * 1024;

/// What sshd would show for the Banner setting `setting`: `auth2_read_banner` opens the file,
/// and sends nothing when that fails, when its size is 0 or above 1 MiB, or when it cannot read
/// it whole (a directory).
fn banner_file(fs: &RootFs, setting: &Fact<Value>) -> Collected<Fact<String>> {
    let path = match &setting.value {
        Value::One(p) => p.as_str(),
        Value::Many(_) => return Collected::error("Banner has more than one value"),
    };
    if path.eq_ignore_ascii_case("none") {
        return Collected::Ok(Fact::new("none".into(), setting.source.clone()));
    }
    let state = match fs.metadata(path) {
        Err(e) => {
            return Collected::error(format!(
                "cannot examine the banner file named by Banner ({}): {e}",
                setting.source
            ));
        }
        Ok(None) => "absent",
        Ok(Some(m)) if m.kind != Kind::File => "not a regular file",
        Ok(Some(m)) if m.size == 0 => "empty",
        Ok(Some(m)) if m.size > BANNER_MAX => "too large",
        Ok(Some(_)) => "shown",
    };
    let mut source = Source::file(path);
    source.note = Some(format!("named by Banner at {}", setting.source));
    Collected::Ok(Fact::new(state.into(), source))
}

/// Builds the fact from `fs` (pure apart from reading through RootFs).
pub fn collect_sshd(fs: &RootFs, version: Option<&str>) -> Result<Sshd, FactError> {
    let defaults = versions::select(version);
    let defaults_note = check_version(&defaults);
    let Some(cfg) = load(fs, &defaults)? else {
        return Ok(Sshd {
            installed: false,
            present: false,
            package_installed: None,
            config_path: CONFIG_PATH.into(),
            files: Vec::new(),
            openssh_version_defaults: defaults.version.clone(),
            defaults_note,
            effective: BTreeMap::new(),
            match_blocks: Vec::new(),
            match_overrides: Vec::new(),
            startup_error: None,
            banner_file: Collected::not_applicable("sshd is not installed"),
        });
    };
    // The global view: what `sshd -T` prints with no connection (only `Match all` applies).
    let (mut global, matched) = render::evaluate(&cfg, None, &defaults)?;
    let startup_error = startup::first_failure(&cfg, &global, &defaults);
    render::overlay(&mut global, &matched);
    let lines = render::dump(&global, &defaults).map_err(|msg| FactError::SshdRejects { msg })?;
    let mut effective = BTreeMap::new();
    for (kw, (values, slot)) in render::by_keyword(&lines) {
        effective.insert(kw.to_owned(), to_fact(kw, values, slot.as_ref(), &defaults.note));
    }
    // Each block on its own: its lines applied to empty options, first value wins inside it.
    let mut match_blocks = Vec::new();
    let mut match_overrides = Vec::new();
    for (bi, b) in cfg.blocks.iter().enumerate() {
        let mut o = keywords::Opts::new();
        for d in cfg.directives.iter().filter(|d| d.block == Some(bi)) {
            if let Some(kw) = keywords::lookup(&d.keyword, &defaults) {
                // A line that fails only where it is in force (`AuthenticationMethods publickey
                // any`) ends the connections the block matches, not sshd: the first pass, which
                // decides start-up, has validated it as sshd does. It sets nothing here.
                if keywords::apply(&mut o, kw, d, true, &cfg.sys, &defaults).is_err() {
                    keywords::apply(&mut keywords::Opts::new(), kw, d, false, &cfg.sys, &defaults)
                        .map_err(|m| render::invalid(d, m))?;
                }
            }
        }
        let mut settings = BTreeMap::new();
        let block_lines = render::dump_block(&o, &defaults).map_err(|msg| FactError::SshdRejects { msg })?;
        for (kw, (values, slot)) in render::by_keyword(&block_lines) {
            let Some(slot) = slot else { continue };
            let fact = to_fact(kw, values, Some(&slot), &defaults.note);
            if let (
                Value::One(v),
                Some(Fact {
                    value: Value::One(g), ..
                }),
            ) = (&fact.value, effective.get(kw))
                && is_weaker(kw, v, g)
            {
                match_overrides.push(MatchOverride {
                    criteria: b.text.clone(),
                    keyword: kw.to_owned(),
                    value: v.clone(),
                    global_value: g.clone(),
                    source: fact.source.clone(),
                });
            }
            settings.insert(kw.to_owned(), fact);
        }
        let banner_file = settings.get("banner").map(|f| banner_file(fs, f));
        match_blocks.push(MatchBlock {
            criteria: b.text.clone(),
            source: b.source.clone(),
            settings,
            banner_file,
        });
    }
    let banner_file = match effective.get("banner") {
        Some(f) => banner_file(fs, f),
        None => Collected::error("sshd -T printed no banner line"),
    };
    Ok(Sshd {
        installed: true,
        present: true,
        package_installed: None,
        config_path: CONFIG_PATH.into(),
        files: cfg.files,
        openssh_version_defaults: defaults.version.clone(),
        defaults_note,
        effective,
        match_blocks,
        match_overrides,
        startup_error,
        banner_file,
    })
}

/// Collects the effective sshd configuration. sshd counts as installed when its configuration
/// file exists; the compiled-in algorithm defaults are those of the installed OpenSSH server's
/// release (the nearest older modelled one, said so, for another), see `versions.rs`.
///
/// The server package installed without /etc/ssh/sshd_config is a start-up error: sshd exits with
/// "/etc/ssh/sshd_config: No such file or directory" (`load_server_config`).
pub fn collect(fs: &RootFs, _ctx: &Context, packages: Option<&Packages>) -> Result<Sshd, FactError> {
    let mut s = collect_sshd(fs, openssh_version(packages).as_deref())?;
    let server = packages.map(|p| {
        SERVER_PACKAGES
            .iter()
            .find_map(|n| p.get(n).filter(|p| p.state == "installed"))
    });
    s.package_installed = server.map(|p| p.is_some());
    if let Some(Some(p)) = server
        && !s.present
    {
        let mut source = Source::file(CONFIG_PATH);
        source.note = Some(format!("package {} {} is installed ({})", p.name, p.version, p.source));
        s.startup_error = Some(Fact::new(
            format!("sshd would refuse to start: {CONFIG_PATH}: No such file or directory"),
            source,
        ));
    }
    Ok(s)
}

/// The packages that install sshd (Debian, RPM family, Alpine).
const SERVER_PACKAGES: &[&str] = &["openssh-server", "openssh-server-pam"];

/// The package version of the installed OpenSSH server (`1:9.2p1-2+deb12u5`), from the package
/// database: openssh-server (Debian, RPM family) or openssh-server-pam/openssh (Alpine). Its
/// upstream part picks the release whose compiled-in defaults apply, the rest the distribution
/// (`versions.rs`).
pub fn openssh_version(packages: Option<&Packages>) -> Option<String> {
    let p = ["openssh-server", "openssh-server-pam", "openssh"]
        .iter()
        .find_map(|n| packages?.get(n))?;
    Some(p.version.to_string())
}

/// The schema of a keyword table (`effective`, a Match block's `settings`): only keywords `sshd -T`
/// prints are keys, so a rule naming another one is rejected when it loads.
fn keyword_table(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut keys: Vec<String> = keywords::KEYWORDS.iter().map(|k| k.opt.to_owned()).collect();
    if let Ok(lines) = render::dump(&keywords::Opts::new(), &versions::select(None)) {
        keys.extend(lines.iter().map(|l| l.keyword.to_owned()));
    }
    crate::rules::schema::closed_map::<Fact<Value>>(g, keys)
}

#[cfg(test)]
mod tests;
