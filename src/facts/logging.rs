//! Logging and auditing: auditd (enablement, auditd.conf, the loaded rule set), journald,
//! rsyslog, and the permissions of files under /var/log.
//!
//! - auditd.conf(5): `keyword = value`, keywords case-insensitive; the action values are
//!   compared case-insensitively by auditd, so they are lowercased here; absent keywords get
//!   auditd's compiled-in defaults (source: a note saying so).
//! - Audit rules (auditctl(8), augenrules(8)): augenrules concatenates /etc/audit/rules.d/*.rules
//!   in file-name order into /etc/audit/audit.rules, which is what is loaded at boot. When rules.d
//!   holds rules they are read (what the next boot loads); otherwise audit.rules. File watches
//!   (`-w PATH -p PERMS -k KEY`, and the `-a … -F path=/dir=… -F perm=…` form) and syscall rules
//!   (`-a always,exit -F arch=b64 -S a,b -S c …`) are parsed; `-e 2` (immutable) is the last `-e`.
//! - journald.conf(5) / systemd.syntax(7): /etc/systemd/journald.conf, then drop-ins in
//!   journald.conf.d under /etc, /run, /usr/local/lib, /usr/lib (same-name shadowing, file-name
//!   order); the last assignment in `[Journal]` wins; booleans normalised to yes/no.
//! - rsyslog: `$FileCreateMode` (legacy directive) and `FileCreateMode=` in `module(load="builtin:omfile" …)`
//!   in /etc/rsyslog.conf and /etc/rsyslog.d/*.conf; the last one read wins (rsyslog's default
//!   is 0644).
//!
//! Deliberately ignored: auditd plugins, audit rules loaded at runtime (`auditctl -l` needs the
//! kernel), rsyslog's `$IncludeConfig` placement (rsyslog.d is read after rsyslog.conf), remote
//! journal upload.
use std::collections::BTreeMap;

use serde::Serialize;

use super::files::{IdNames, systemd_unit_enabled};
use super::filesystem::dropin_files;
use super::{Context, Fact, FactError, Source};
use crate::rootfs::{Kind, RootFs};

/// Most entries listed under /var/log before the listing is an error.
pub const LOG_LIST_LIMIT: usize = 20_000;

/// Deepest directory level under /var/log that is listed (/var/log is level 0). A directory
/// deeper than this is an error, never skipped: the rules over log files would otherwise pass on
/// files they never saw.
pub const LOG_DEPTH_LIMIT: u32 = 8;

/// auditd.conf defaults (auditd.conf(5), audit 3.x).
const AUDITD_DEFAULTS: &[(&str, &str)] = &[
    ("max_log_file", "8"),
    ("max_log_file_action", "rotate"),
    ("space_left_action", "ignore"),
    ("admin_space_left_action", "suspend"),
    ("disk_full_action", "suspend"),
    ("disk_error_action", "syslog"),
    ("num_logs", "0"),
    ("log_group", "root"),
];

/// One file watch.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Watch {
    /// Watched path.
    pub path: String,
    /// Permissions in canonical order `rwxa` (all four when `-p` is not given).
    pub perms: String,
    /// `-k` key, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Where.
    pub source: Source,
}

/// One syscall rule.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct SyscallRule {
    /// `always,exit` etc. as written (`list,action` normalised to `action,list`).
    pub action: String,
    /// `b64`, `b32`, or absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Syscalls named with `-S`, sorted.
    pub syscalls: Vec<String>,
    /// Other `-F` fields as written, with `auid!=-1`/`4294967295` normalised to `auid!=unset`.
    pub fields: Vec<String>,
    /// `-k` key or `-F key=`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Where.
    pub source: Source,
}

/// The parsed audit rule set.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AuditRules {
    /// The files read, in order.
    pub files: Vec<String>,
    /// File watches.
    pub watches: Vec<Watch>,
    /// Paths watched with `w` and `a` in their perms (for `contains`).
    pub watched_wa: Vec<String>,
    /// Syscall rules.
    pub syscalls: Vec<SyscallRule>,
    /// Union of syscalls audited by `always,exit` rules, by arch (`b64`, `b32`, `any`).
    pub syscalls_by_arch: BTreeMap<String, Vec<String>>,
    /// Keys used by any rule.
    pub keys: Vec<String>,
    /// `-e 2` is the last `-e`: the configuration is locked until reboot.
    pub immutable: Fact<bool>,
}

/// auditd.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Auditd {
    /// auditd.service is enabled.
    pub enabled: Fact<bool>,
    /// auditd.conf keywords (lowercase) → values, defaults filled in.
    pub config: BTreeMap<String, Fact<String>>,
    /// The rules loaded at boot.
    pub rules: AuditRules,
}

/// journald settings in force.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Journald {
    /// `Storage=` (default `auto`).
    pub storage: Fact<String>,
    /// `Compress=` as yes/no (default yes).
    pub compress: Fact<String>,
    /// `ForwardToSyslog=` as yes/no (default no).
    pub forward_to_syslog: Fact<String>,
}

/// rsyslog.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Rsyslog {
    /// rsyslog.service is enabled.
    pub enabled: Fact<bool>,
    /// /etc/rsyslog.conf exists.
    pub configured: bool,
    /// File creation mode in force (rsyslog's default 0644 when not set).
    pub file_create_mode: Fact<String>,
}

/// One file under /var/log.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LogFile {
    /// In-image path.
    pub path: String,
    /// Base name.
    pub name: String,
    /// Mode, 4-digit octal.
    pub mode: String,
    /// Owner uid.
    pub uid: u32,
    /// Owner gid.
    pub gid: u32,
    /// Owner name from the image's /etc/passwd (absent when the uid has no entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Group name from the image's /etc/group (absent when the gid has no entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// auditd, journald and rsyslog configuration.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Logging {
    /// auditd.
    pub auditd: Auditd,
    /// journald.
    pub journald: Journald,
    /// rsyslog.
    pub rsyslog: Rsyslog,
    /// Regular files under /var/log (bounded listing).
    pub log_files: Vec<LogFile>,
}

/// `key = value` lines of auditd.conf: (lowercased key, value, line).
pub fn parse_auditd_conf(text: &str) -> Vec<(String, String, u32)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim();
            if t.is_empty() || t.starts_with('#') {
                return None;
            }
            let (k, v) = t.split_once('=')?;
            let k = k.trim().to_ascii_lowercase();
            let v = v.trim();
            let v = if k.ends_with("_action") || k == "log_format" || k == "flush" {
                v.to_ascii_lowercase()
            } else {
                v.to_owned()
            };
            Some((k, v, i as u32 + 1))
        })
        .collect()
}

fn canonical_perms(p: &str) -> String {
    "rwxa".chars().filter(|c| p.contains(*c)).collect()
}

/// Parses audit rules (auditctl(8) syntax, one rule a line) into `out`.
pub fn parse_audit_rules(text: &str, path: &str, out: &mut AuditRules) {
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let src = Source::at(path, i as u32 + 1);
        let words: Vec<&str> = t.split_whitespace().collect();
        let mut it = words.iter().copied().peekable();
        let (mut watch, mut perms, mut key) = (None::<String>, None::<String>, None::<String>);
        let (mut action, mut arch) = (None::<String>, None::<String>);
        let mut syscalls: Vec<String> = Vec::new();
        let mut fields: Vec<String> = Vec::new();
        let mut enable = None;
        let (mut fpath, mut fperm) = (None::<String>, None::<String>);
        while let Some(w) = it.next() {
            match w {
                "-w" => watch = it.next().map(|s| s.trim_end_matches('/').to_owned()),
                "-p" => perms = it.next().map(str::to_owned),
                "-k" => key = it.next().map(str::to_owned),
                "-a" | "-A" => {
                    action = it.next().map(|a| {
                        let mut p: Vec<&str> = a.split(',').collect();
                        // auditctl accepts both `always,exit` and `exit,always`.
                        if p.len() == 2
                            && matches!(p[0], "exit" | "task" | "user" | "exclude" | "filesystem" | "io_uring")
                        {
                            p.swap(0, 1);
                        }
                        p.join(",")
                    })
                }
                "-S" => {
                    if let Some(s) = it.next() {
                        syscalls.extend(s.split(',').filter(|x| !x.is_empty()).map(str::to_owned));
                    }
                }
                "-e" => enable = it.next().map(str::to_owned),
                "-F" => {
                    let Some(f) = it.next() else { continue };
                    if let Some(a) = f.strip_prefix("arch=") {
                        arch = Some(a.to_owned());
                    } else if let Some(k) = f.strip_prefix("key=") {
                        key = Some(k.to_owned());
                    } else if let Some(p) = f.strip_prefix("path=").or_else(|| f.strip_prefix("dir=")) {
                        fpath = Some(p.trim_end_matches('/').to_owned());
                        fields.push(f.to_owned());
                    } else if let Some(p) = f.strip_prefix("perm=") {
                        fperm = Some(p.to_owned());
                        fields.push(f.to_owned());
                    } else {
                        let f = f
                            .replace("auid!=-1", "auid!=unset")
                            .replace("auid!=4294967295", "auid!=unset");
                        fields.push(f);
                    }
                }
                _ => {}
            }
        }
        if let Some(e) = enable {
            out.immutable = Fact::new(e == "2", src.clone());
        }
        if let Some(k) = &key
            && !out.keys.contains(k)
        {
            out.keys.push(k.clone());
        }
        if let Some(path) = watch {
            out.watches.push(Watch {
                path,
                perms: canonical_perms(perms.as_deref().unwrap_or("rwxa")),
                key: key.clone(),
                source: src.clone(),
            });
            continue;
        }
        if let Some(action) = action {
            if syscalls.is_empty()
                && let (Some(p), true) = (fpath.clone(), action == "always,exit")
            {
                out.watches.push(Watch {
                    path: p,
                    perms: canonical_perms(fperm.as_deref().unwrap_or("rwxa")),
                    key: key.clone(),
                    source: src.clone(),
                });
            }
            syscalls.sort();
            syscalls.dedup();
            out.syscalls.push(SyscallRule {
                action,
                arch,
                syscalls,
                fields,
                key,
                source: src,
            });
        }
    }
}

impl Default for AuditRules {
    fn default() -> Self {
        AuditRules {
            files: Vec::new(),
            watches: Vec::new(),
            watched_wa: Vec::new(),
            syscalls: Vec::new(),
            syscalls_by_arch: BTreeMap::new(),
            keys: Vec::new(),
            immutable: Fact::new(false, Source::note("no -e 2 in the audit rules")),
        }
    }
}

fn finish_rules(r: &mut AuditRules) {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in &r.syscalls {
        if s.action != "always,exit" {
            continue;
        }
        let arch = s.arch.clone().unwrap_or_else(|| "any".into());
        by.entry(arch).or_default().extend(s.syscalls.iter().cloned());
    }
    for v in by.values_mut() {
        v.sort();
        v.dedup();
    }
    r.syscalls_by_arch = by;
    let mut wa: Vec<String> = r
        .watches
        .iter()
        .filter(|w| w.perms.contains('w') && w.perms.contains('a'))
        .map(|w| w.path.clone())
        .collect();
    wa.sort();
    wa.dedup();
    r.watched_wa = wa;
    r.keys.sort();
}

fn collect_audit_rules(fs: &RootFs) -> Result<AuditRules, FactError> {
    let mut r = AuditRules::default();
    let mut files: Vec<String> = fs.glob("/etc/audit/rules.d/*.rules")?;
    if files.is_empty() {
        files.push("/etc/audit/audit.rules".into());
    }
    for f in &files {
        if let Some(text) = fs.read_text(f)? {
            parse_audit_rules(&text, f, &mut r);
            r.files.push(f.clone());
        }
    }
    finish_rules(&mut r);
    Ok(r)
}

/// `Key=Value` assignments of one section of a systemd-style configuration file (systemd.syntax(7)):
/// (key, value, line).
pub fn parse_ini_section(text: &str, section: &str) -> Vec<(String, String, u32)> {
    let mut cur = String::new();
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if t.starts_with('[') && t.ends_with(']') {
            cur = t[1..t.len() - 1].to_owned();
            continue;
        }
        if cur != section {
            continue;
        }
        if let Some((k, v)) = t.split_once('=') {
            out.push((k.trim().to_owned(), v.trim().to_owned(), i as u32 + 1));
        }
    }
    out
}

/// A systemd daemon's configuration: the main file then its drop-ins (`<name>.d/*.conf` under
/// /etc, /run, /usr/local/lib and /usr/lib, same-name shadowing); the last assignment of each
/// key in `section` wins, earlier ones are kept as shadowed.
pub fn systemd_conf(fs: &RootFs, name: &str, section: &str) -> Result<BTreeMap<String, Fact<String>>, FactError> {
    let main = format!("/etc/systemd/{name}");
    let dirs: Vec<String> = [
        "/etc/systemd",
        "/run/systemd",
        "/usr/local/lib/systemd",
        "/usr/lib/systemd",
    ]
    .iter()
    .map(|d| format!("{d}/{name}.d"))
    .collect();
    let dir_refs: Vec<&str> = dirs.iter().map(String::as_str).collect();
    let mut files = vec![main];
    files.extend(dropin_files(fs, &dir_refs, ".conf")?);
    let mut out: BTreeMap<String, Fact<String>> = BTreeMap::new();
    for f in files {
        let Some(text) = fs.read_text(&f)? else { continue };
        for (k, v, line) in parse_ini_section(&text, section) {
            let new = Fact::new(v, Source::at(&f, line));
            match out.remove(&k) {
                Some(old) => {
                    let mut shadowed = old.shadowed;
                    shadowed.push(super::Shadowed {
                        value: old.value,
                        source: old.source,
                    });
                    out.insert(k, Fact { shadowed, ..new });
                }
                None => {
                    out.insert(k, new);
                }
            }
        }
    }
    Ok(out)
}

/// systemd boolean → `yes`/`no` (other values unchanged).
pub fn yes_no(v: &str) -> String {
    match v.to_ascii_lowercase().as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => "yes".into(),
        "0" | "no" | "n" | "false" | "f" | "off" => "no".into(),
        _ => v.to_owned(),
    }
}

fn setting(conf: &BTreeMap<String, Fact<String>>, key: &str, default: &str, boolean: bool) -> Fact<String> {
    match conf.get(key) {
        Some(f) => Fact {
            value: if boolean { yes_no(&f.value) } else { f.value.clone() },
            source: f.source.clone(),
            shadowed: f.shadowed.clone(),
        },
        None => Fact::new(default.to_owned(), Source::note(format!("{key} not set: the default"))),
    }
}

/// The `$FileCreateMode` / `FileCreateMode=` values in one rsyslog file: (mode, line).
pub fn parse_rsyslog_file_modes(text: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('#') {
            continue;
        }
        if let Some(rest) = t.strip_prefix("$FileCreateMode") {
            if let Some(m) = rest.split_whitespace().next() {
                out.push((m.to_owned(), i as u32 + 1));
            }
        } else if let Some(pos) = t.find("FileCreateMode=\"") {
            let rest = &t[pos + 16..];
            if let Some(end) = rest.find('"') {
                out.push((rest[..end].to_owned(), i as u32 + 1));
            }
        }
    }
    out
}

fn enabled(fs: &RootFs, unit: &str) -> Result<Fact<bool>, FactError> {
    Ok(match systemd_unit_enabled(fs, unit)? {
        Some(s) => Fact::new(true, s),
        None => Fact::new(false, Source::note(format!("no enabling link for {unit}"))),
    })
}

fn list_logs(fs: &RootFs, ids: &IdNames, dir: &str, out: &mut Vec<LogFile>, depth: u32) -> Result<(), FactError> {
    let entries = match fs.read_dir(dir) {
        Ok(Some(e)) => e,
        Ok(None) | Err(crate::rootfs::RootFsError::WrongKind { .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for e in entries {
        if out.len() >= LOG_LIST_LIMIT {
            return Err(FactError::Limit {
                path: "/var/log".into(),
                limit: LOG_LIST_LIMIT as u64,
                what: "files under it",
            });
        }
        let Some(m) = fs.symlink_metadata(&e.path)? else {
            continue;
        };
        match m.kind {
            Kind::File => out.push(LogFile {
                path: e.path.clone(),
                name: e.name.clone(),
                mode: format!("{:04o}", m.mode),
                uid: m.uid,
                gid: m.gid,
                owner: ids.users.get(&m.uid).cloned(),
                group: ids.groups.get(&m.gid).cloned(),
            }),
            Kind::Directory if depth < LOG_DEPTH_LIMIT => list_logs(fs, ids, &e.path, out, depth + 1)?,
            Kind::Directory => {
                return Err(FactError::Limit {
                    path: e.path.clone(),
                    limit: u64::from(LOG_DEPTH_LIMIT),
                    what: "directory levels under /var/log",
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Collects the facts.
pub fn collect(fs: &RootFs, _ctx: &Context) -> Result<Logging, FactError> {
    let mut config = BTreeMap::new();
    if let Some(text) = fs.read_text("/etc/audit/auditd.conf")? {
        for (k, v, line) in parse_auditd_conf(&text) {
            config.insert(k, Fact::new(v, Source::at("/etc/audit/auditd.conf", line)));
        }
    }
    for (k, v) in AUDITD_DEFAULTS {
        config
            .entry((*k).to_owned())
            .or_insert_with(|| Fact::new((*v).to_owned(), Source::note("auditd's compiled-in default")));
    }
    let journal = systemd_conf(fs, "journald.conf", "Journal")?;
    let mut file_create_mode = Fact::new("0644".to_owned(), Source::note("rsyslog's default file creation mode"));
    let mut rs_files = vec!["/etc/rsyslog.conf".to_owned()];
    rs_files.extend(fs.glob("/etc/rsyslog.d/*.conf")?);
    let mut configured = false;
    for f in rs_files {
        let Some(text) = fs.read_text(&f)? else { continue };
        configured = true;
        for (m, line) in parse_rsyslog_file_modes(&text) {
            file_create_mode = Fact::new(m, Source::at(&f, line));
        }
    }
    let mut log_files = Vec::new();
    list_logs(fs, &IdNames::load(fs)?, "/var/log", &mut log_files, 0)?;
    Ok(Logging {
        auditd: Auditd {
            enabled: enabled(fs, "auditd.service")?,
            config,
            rules: collect_audit_rules(fs)?,
        },
        journald: Journald {
            storage: setting(&journal, "Storage", "auto", false),
            compress: setting(&journal, "Compress", "yes", true),
            forward_to_syslog: setting(&journal, "ForwardToSyslog", "no", true),
        },
        rsyslog: Rsyslog {
            enabled: enabled(fs, "rsyslog.service")?,
            configured,
            file_create_mode,
        },
        log_files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Log files at every listed depth are seen, and a directory below the last listed level is
    /// an error naming it, never a silent skip (the file-permission rules would pass unseen files).
    #[test]
    fn log_files_are_listed_to_the_depth_limit_and_deeper_is_an_error() {
        let depth = LOG_DEPTH_LIMIT as usize;
        let dir = |levels: usize| {
            let mut p = "/var/log".to_owned();
            for i in 1..=levels {
                p.push_str(&format!("/d{i}"));
            }
            p
        };
        let deepest = format!("{}/app.log", dir(depth));
        let (_t, fs) = crate::testing::tree(&[("/var/log/syslog", "x"), (deepest.as_str(), "x")]);
        let mut out = Vec::new();
        list_logs(&fs, &IdNames::default(), "/var/log", &mut out, 0).expect("within the limit");
        let mut paths: Vec<&str> = out.iter().map(|f| f.path.as_str()).collect();
        paths.sort_unstable();
        assert_eq!(paths, [deepest.as_str(), "/var/log/syslog"]);

        let too_deep = format!("{}/app.log", dir(depth + 1));
        let (_t, fs) = crate::testing::tree(&[(too_deep.as_str(), "x")]);
        let e = list_logs(&fs, &IdNames::default(), "/var/log", &mut Vec::new(), 0).unwrap_err();
        assert!(
            matches!(&e, FactError::Limit { path, .. } if *path == dir(depth + 1)),
            "{e}"
        );
    }

    #[test]
    fn auditd_conf_keys_and_action_values_are_case_insensitive() {
        let v = parse_auditd_conf("# c\nMax_Log_File_Action = KEEP_LOGS\nlog_file = /var/log/audit/audit.log\n");
        assert_eq!(v[0], ("max_log_file_action".into(), "keep_logs".into(), 2));
        assert_eq!(v[1].1, "/var/log/audit/audit.log");
    }

    #[test]
    fn audit_watch_perms_are_canonical_and_path_form_counts_as_watch() {
        let mut r = AuditRules::default();
        parse_audit_rules(
            "-w /etc/sudoers -p aw -k scope\n-a always,exit -F path=/etc/passwd -F perm=wa -k identity\n-e 2\n",
            "/x",
            &mut r,
        );
        finish_rules(&mut r);
        assert_eq!(r.watches[0].perms, "wa");
        assert_eq!(r.watched_wa, ["/etc/passwd", "/etc/sudoers"]);
        assert!(r.immutable.value);
    }

    #[test]
    fn syscalls_split_over_rules_and_comma_lists_union_by_arch() {
        let mut r = AuditRules::default();
        parse_audit_rules(
            "-a exit,always -F arch=b64 -S adjtimex,settimeofday -k time-change\n-a always,exit -F arch=b64 -S clock_settime -F a0=0x0 -F auid!=4294967295\n",
            "/x",
            &mut r,
        );
        finish_rules(&mut r);
        assert_eq!(r.syscalls_by_arch["b64"], ["adjtimex", "clock_settime", "settimeofday"]);
        assert_eq!(r.syscalls[0].action, "always,exit");
        assert!(r.syscalls[1].fields.contains(&"auid!=unset".to_owned()));
    }

    #[test]
    fn ini_section_only_and_booleans_normalise() {
        let v = parse_ini_section("[Journal]\nStorage=persistent\n[Other]\nStorage=none\n", "Journal");
        assert_eq!(v.len(), 1);
        assert_eq!(yes_no("True"), "yes");
    }

    #[test]
    fn rsyslog_both_file_mode_syntaxes() {
        let v = parse_rsyslog_file_modes(
            "$FileCreateMode 0640\nmodule(load=\"builtin:omfile\" FileCreateMode=\"0600\")\n#$FileCreateMode 0777\n",
        );
        assert_eq!(v, [("0640".into(), 1), ("0600".into(), 2)]);
    }
}
