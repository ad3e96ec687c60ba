//! The PAM stacks under /etc/pam.d and the configuration files of the modules CIS asks about:
//! pam_pwquality (+ /etc/security/pwquality.conf and pwquality.conf.d), pam_faillock
//! (+ /etc/security/faillock.conf) or pam_tally2, pam_unix (hash, `remember=`, `nullok`),
//! pam_pwhistory (+ /etc/security/pwhistory.conf) and pam_wheel in /etc/pam.d/su.
//!
//! Line syntax follows pam.conf(5) for the per-service files of /etc/pam.d: `type control
//! module-path args…`, where `#` starts a comment, a trailing backslash continues the line, a
//! leading `-` on the type means "skip silently if the module is missing", and both the control
//! (`[success=1 default=ignore]`) and an argument (`[a b]`) may be a bracketed group containing
//! spaces. Debian's `@include file` lines are kept as lines of type `@include`.
//!
//! Which files are "the password stack" and "the auth stack" is decided the way the distributions
//! build them: Debian includes /etc/pam.d/common-password and common-auth from every service;
//! RHEL-family systems include system-auth and password-auth. A module counts as enabled only
//! when *every* stack file that exists has it, since a service using the other file would bypass
//! it. Settings resolve as the modules read them: compiled-in default, then the configuration
//! file(s), then the module arguments on the stack line (arguments win, per pam_pwquality(8),
//! pam_faillock(8), pam_pwhistory(8)).
//!
//! Deliberately ignored: /etc/pam.conf (pam.conf(5): it is not read when /etc/pam.d exists), and
//! the meaning of jump controls (`success=N`) — the facts say which modules are configured, not a
//! simulation of the stack.

use std::collections::BTreeMap;

use serde::Serialize;

use super::super::{Fact, FactError, Shadowed, Source};
use super::login_defs::LoginDefs;
use super::{dir_files, logical_lines};
use crate::rootfs::RootFs;

/// The PAM configuration directory.
pub const PAM_D: &str = "/etc/pam.d";
/// Stack files that carry the `password` type, Debian then RHEL names.
pub const PASSWORD_STACKS: &[&str] = &[
    "/etc/pam.d/common-password",
    "/etc/pam.d/system-auth",
    "/etc/pam.d/password-auth",
];
/// Stack files that carry the `auth` type, Debian then RHEL names.
pub const AUTH_STACKS: &[&str] = &[
    "/etc/pam.d/common-auth",
    "/etc/pam.d/system-auth",
    "/etc/pam.d/password-auth",
];

/// One line of a PAM service file.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PamLine {
    /// `auth`, `account`, `password`, `session`, or `@include`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The type had a leading `-` (a missing module is skipped silently).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    /// `required`, `requisite`, `sufficient`, `optional`, `include`, `substack` or `[…]`.
    pub control: String,
    /// The module path as written (`pam_unix.so`, `/lib/security/pam_unix.so`), or the included
    /// file for `@include`.
    pub module: String,
    /// The module arguments, brackets removed from bracketed ones.
    pub args: Vec<String>,
    /// Where the line is.
    pub source: Source,
}

impl PamLine {
    /// The module's file name without its directory (`pam_unix.so`).
    pub fn module_name(&self) -> &str {
        self.module.rsplit('/').next().unwrap_or(&self.module)
    }
    /// The value of `key=value`, the last one on the line.
    pub fn arg(&self, key: &str) -> Option<&str> {
        self.args
            .iter()
            .rev()
            .find_map(|a| a.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
    }
    /// Whether a bare flag argument is present.
    pub fn flag(&self, key: &str) -> bool {
        self.args.iter().any(|a| a == key)
    }
}

/// su restricted to a group by pam_wheel.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Su {
    /// /etc/pam.d/su has an active `auth … pam_wheel.so use_uid` line (without `trust` or
    /// `deny`, which change its meaning).
    pub restricted: Fact<bool>,
    /// The group pam_wheel checks (`group=`, else `wheel`, else the GID 0 group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Fact<String>>,
    /// The group's member list in /etc/group.
    pub group_members: Vec<String>,
    /// Users whose primary group (in /etc/passwd) is that group.
    pub primary_members: Vec<String>,
}

/// The PAM configuration and what it sets up.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Pam {
    /// Every service file's lines, by path.
    pub files: BTreeMap<String, Vec<PamLine>>,
    /// The password stack files found (common-password, or system-auth and password-auth).
    pub password_stacks: Vec<String>,
    /// The auth stack files found.
    pub auth_stacks: Vec<String>,
    /// pam_pwquality (or the older pam_cracklib) is in every password stack.
    pub pwquality_enabled: Fact<bool>,
    /// Effective pwquality settings: default, pwquality.conf.d, pwquality.conf, module arguments.
    /// Flags (`enforce_for_root`, `local_users_only`) read `"true"`/`"false"`.
    pub pwquality: BTreeMap<String, Fact<String>>,
    /// pam_faillock (or pam_tally2) is in every auth stack.
    pub faillock_enabled: Fact<bool>,
    /// Effective faillock settings (`deny`, `unlock_time`, `fail_interval`, `even_deny_root`;
    /// `root_unlock_time`, `audit`, `silent` … when set).
    pub faillock: BTreeMap<String, Fact<String>>,
    /// The hash pam_unix uses for new passwords (`sha512`, `yescrypt`, …), lowercase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unix_hash: Option<Fact<String>>,
    /// How many old passwords are remembered (the larger of pam_pwhistory and pam_unix
    /// `remember=`); 0 when neither is configured.
    pub remember: Fact<i64>,
    /// pam_pwhistory applies its history to root too (`enforce_for_root`).
    pub pwhistory_enforce_for_root: Fact<bool>,
    /// pam_unix lines in the auth and password stacks that accept empty passwords (`nullok`).
    pub nullok: Vec<PamLine>,
    /// su restriction.
    pub su: Su,
}

/// Splits a PAM line into words, keeping `[…]` groups (which may hold spaces) as one word.
/// pam.conf(5): inside brackets, `\]` stands for a literal `]`.
///
/// Not sshd's `argv_split` (facts/sshd/parse.rs), the other splitter that keeps spaces inside a
/// word: libpam knows no quotes (`"a b"` is two words, quotes kept) and no backslash outside
/// brackets, and only a word that starts with `[` is grouped; sshd groups `"…"` and `'…'`
/// anywhere in a word, unescapes `\`, and stops at a `#`. Two grammars, so two functions.
pub fn split_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '[' if !depth && cur.is_empty() => {
                depth = true;
                cur.push('[');
            }
            '\\' if depth && chars.peek() == Some(&']') => {
                cur.push(']');
                chars.next();
            }
            ']' if depth => {
                depth = false;
                cur.push(']');
            }
            c if c.is_whitespace() && !depth => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Parses one /etc/pam.d service file. Lines that are not a valid rule are skipped, as libpam
/// skips them (with a syslog message).
pub fn parse_service(path: &str, text: &str) -> Vec<PamLine> {
    let mut out = Vec::new();
    for (n, line) in logical_lines(text) {
        // pam.conf(5): `#` starts a comment anywhere on the line.
        let body = line.split('#').next().unwrap_or("").trim();
        if body.is_empty() {
            continue;
        }
        let words = split_words(body);
        let source = Source::at(path, n);
        if let Some(first) = words.first().filter(|w| *w == "@include") {
            let target = words.get(1).cloned().unwrap_or_default();
            out.push(PamLine {
                kind: first.clone(),
                optional: false,
                control: "include".into(),
                module: target,
                args: Vec::new(),
                source,
            });
            continue;
        }
        let (Some(kind), Some(control), Some(module)) = (words.first(), words.get(1), words.get(2)) else {
            continue;
        };
        let (optional, kind) = match kind.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, kind.as_str()),
        };
        let kind = kind.to_ascii_lowercase();
        if !["auth", "account", "password", "session"].contains(&kind.as_str()) {
            continue;
        }
        let args = words
            .iter()
            .skip(3)
            .map(|a| {
                a.strip_prefix('[')
                    .and_then(|a| a.strip_suffix(']'))
                    .unwrap_or(a)
                    .to_owned()
            })
            .collect();
        out.push(PamLine {
            kind,
            optional,
            control: control.clone(),
            module: module.clone(),
            args,
            source,
        });
    }
    out
}

/// Parses a `name = value` module configuration file (pwquality.conf(5), faillock.conf(5),
/// pwhistory.conf(5)): `#` comments, whitespace around `=` ignored, a bare name is a flag.
pub fn parse_module_conf(path: &str, text: &str) -> Vec<(String, String, Source)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = match line.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (line, "true"),
        };
        out.push((
            k.to_owned(),
            v.to_owned(),
            Source::at(path, u32::try_from(i + 1).unwrap_or(u32::MAX)),
        ));
    }
    out
}

/// Settings with provenance: a later `set` shadows the earlier value.
#[derive(Default)]
struct Settings(BTreeMap<String, Fact<String>>);

impl Settings {
    fn defaults(pairs: &[(&str, &str)], note: &str) -> Self {
        let mut s = Settings::default();
        for (k, v) in pairs {
            s.0.insert((*k).to_owned(), Fact::new((*v).to_owned(), Source::note(note)));
        }
        s
    }
    fn set(&mut self, key: &str, value: String, source: Source) {
        match self.0.get_mut(key) {
            Some(f) => {
                let old = std::mem::replace(f, Fact::new(value, source));
                f.shadowed = old.shadowed;
                f.shadowed.push(Shadowed {
                    value: old.value,
                    source: old.source,
                });
            }
            None => {
                self.0.insert(key.to_owned(), Fact::new(value, source));
            }
        }
    }
    /// Applies a module line's arguments: `key=value` pairs, and the listed bare flags as "true".
    fn apply_args(&mut self, line: &PamLine, flags: &[&str]) {
        for a in &line.args {
            if let Some((k, v)) = a.split_once('=') {
                self.set(k, v.to_owned(), line.source.clone());
            } else if flags.contains(&a.as_str()) {
                self.set(a, "true".into(), line.source.clone());
            }
        }
    }
}

/// The lines of `files` (in order) of `kind` whose module is one of `modules`.
fn lines_of<'a>(
    files: &'a BTreeMap<String, Vec<PamLine>>,
    stacks: &'a [String],
    kind: &'a str,
    modules: &'a [&'a str],
) -> impl Iterator<Item = &'a PamLine> + 'a {
    stacks
        .iter()
        .filter_map(move |s| files.get(s))
        .flatten()
        .filter(move |l| l.kind == kind && modules.contains(&l.module_name()))
}

/// "Every stack file has the module": the fact's source is the first line found, or a note
/// naming the stack file that lacks it.
fn enabled_in_all(
    files: &BTreeMap<String, Vec<PamLine>>,
    stacks: &[String],
    kind: &str,
    modules: &[&str],
) -> Fact<bool> {
    if stacks.is_empty() {
        return Fact::new(false, Source::note(format!("no PAM {kind} stack file found")));
    }
    let mut first = None;
    for s in stacks {
        let found = files
            .get(s)
            .into_iter()
            .flatten()
            .find(|l| l.kind == kind && modules.contains(&l.module_name()));
        match found {
            Some(l) => {
                first.get_or_insert_with(|| l.source.clone());
            }
            None => {
                return Fact::new(
                    false,
                    Source::note(format!("no {kind} line with {} in {s}", modules.join(" or "))),
                );
            }
        }
    }
    Fact::new(true, first.unwrap_or_else(|| Source::note("")))
}

/// Reads the PAM configuration. Not applicable when /etc/pam.d does not exist (PAM is not
/// installed, e.g. Alpine without linux-pam).
pub fn collect(fs: &RootFs, login_defs: Option<&LoginDefs>) -> Result<Pam, FactError> {
    let Some(entries) = dir_files(fs, PAM_D)? else {
        return Err(FactError::NotApplicable(
            "/etc/pam.d does not exist: PAM is not installed".into(),
        ));
    };
    let mut files = BTreeMap::new();
    for e in entries {
        // Only regular files (following symlinks) are service files; a dangling link is skipped.
        let Some(meta) = fs.metadata(&e.path)? else { continue };
        if meta.kind != crate::rootfs::Kind::File {
            continue;
        }
        if let Some(text) = fs.read_text(&e.path)? {
            files.insert(e.path.clone(), parse_service(&e.path, &text));
        }
    }
    let existing = |list: &[&str]| -> Vec<String> {
        list.iter()
            .filter(|p| files.contains_key(**p))
            .map(|p| (*p).to_owned())
            .collect()
    };
    let password_stacks = existing(PASSWORD_STACKS);
    let auth_stacks = existing(AUTH_STACKS);

    // pwquality: defaults (pwquality.conf(5)), conf.d in ASCII order, then pwquality.conf, then
    // the arguments of the module line (first password stack file).
    let pwq_modules = ["pam_pwquality.so", "pam_cracklib.so"];
    let pwquality_enabled = enabled_in_all(&files, &password_stacks, "password", &pwq_modules);
    let mut pwq = Settings::defaults(
        &[
            ("difok", "1"),
            ("minlen", "8"),
            ("dcredit", "0"),
            ("ucredit", "0"),
            ("lcredit", "0"),
            ("ocredit", "0"),
            ("minclass", "0"),
            ("maxrepeat", "0"),
            ("maxsequence", "0"),
            ("maxclassrepeat", "0"),
            ("gecoscheck", "0"),
            ("dictcheck", "1"),
            ("usercheck", "1"),
            ("enforcing", "1"),
            ("retry", "1"),
            ("enforce_for_root", "false"),
            ("local_users_only", "false"),
        ],
        "pwquality.conf(5) default",
    );
    let mut conf_files = Vec::new();
    if let Some(d) = dir_files(fs, "/etc/security/pwquality.conf.d")? {
        conf_files.extend(d.into_iter().filter(|e| e.name.ends_with(".conf")).map(|e| e.path));
    }
    conf_files.push("/etc/security/pwquality.conf".into());
    for p in &conf_files {
        if let Some(text) = fs.read_text(p)? {
            for (k, v, src) in parse_module_conf(p, &text) {
                pwq.set(&k, v, src);
            }
        }
    }
    let pwq_flags = ["enforce_for_root", "local_users_only"];
    if let Some(l) = lines_of(&files, &password_stacks, "password", &pwq_modules).next() {
        pwq.apply_args(l, &pwq_flags);
    }

    // faillock (pam_faillock(8), faillock.conf(5)) or the older pam_tally2.
    let fl_modules = ["pam_faillock.so", "pam_tally2.so"];
    let faillock_enabled = enabled_in_all(&files, &auth_stacks, "auth", &fl_modules);
    let mut fl = Settings::defaults(
        &[
            ("deny", "3"),
            ("unlock_time", "600"),
            ("fail_interval", "900"),
            ("even_deny_root", "false"),
        ],
        "faillock.conf(5) default",
    );
    let uses_tally2 = lines_of(&files, &auth_stacks, "auth", &["pam_tally2.so"])
        .next()
        .is_some()
        && lines_of(&files, &auth_stacks, "auth", &["pam_faillock.so"])
            .next()
            .is_none();
    if uses_tally2 {
        // pam_tally2(8): no configuration file; deny=0 (never) and no lockout unless given.
        fl = Settings::defaults(
            &[("deny", "0"), ("unlock_time", "0"), ("even_deny_root", "false")],
            "pam_tally2(8) default",
        );
    } else if let Some(text) = fs.read_text("/etc/security/faillock.conf")? {
        for (k, v, src) in parse_module_conf("/etc/security/faillock.conf", &text) {
            fl.set(&k, v, src);
        }
    }
    // Only the first auth stack's lines: system-auth and password-auth repeat the same arguments.
    if let Some(first) = auth_stacks.first() {
        for l in lines_of(&files, std::slice::from_ref(first), "auth", &fl_modules) {
            fl.apply_args(
                l,
                &["even_deny_root", "audit", "silent", "no_log_info", "local_users_only"],
            );
        }
    }

    // pam_unix: hash, remember=, nullok.
    let unix = ["pam_unix.so"];
    let unix_line = lines_of(&files, &password_stacks, "password", &unix).next();
    const HASHES: &[&str] = &[
        "md5",
        "bigcrypt",
        "sha256",
        "sha512",
        "blowfish",
        "gost_yescrypt",
        "yescrypt",
    ];
    let unix_hash = unix_line.and_then(|l| {
        l.args
            .iter()
            .rev()
            .find(|a| HASHES.contains(&a.as_str()))
            .map(|h| Fact::new(h.clone(), l.source.clone()))
    });
    // pam_unix(8): without a hash option, ENCRYPT_METHOD of login.defs decides.
    let unix_hash = unix_hash.or_else(|| {
        unix_line?;
        let f = login_defs?.keys.get("ENCRYPT_METHOD")?;
        Some(Fact::new(f.value.to_ascii_lowercase(), f.source.clone()))
    });
    let mut remember = Fact::new(
        0i64,
        Source::note("neither pam_pwhistory nor pam_unix remember= is in the password stack"),
    );
    let mut consider = |n: i64, src: Source| {
        if n > remember.value {
            remember = Fact::new(n, src);
        }
    };
    if let Some(l) = unix_line
        && let Some(n) = l.arg("remember").and_then(|v| v.parse().ok())
    {
        consider(n, l.source.clone());
    }
    let hist_line = lines_of(&files, &password_stacks, "password", &["pam_pwhistory.so"]).next();
    let mut hist = Settings::defaults(
        &[("remember", "10"), ("enforce_for_root", "false")],
        "pam_pwhistory(8) default",
    );
    if let Some(l) = hist_line {
        if let Some(text) = fs.read_text("/etc/security/pwhistory.conf")? {
            for (k, v, src) in parse_module_conf("/etc/security/pwhistory.conf", &text) {
                hist.set(&k, v, src);
            }
        }
        hist.apply_args(l, &["enforce_for_root"]);
        if let Some(f) = hist.0.get("remember")
            && let Ok(n) = f.value.parse()
        {
            consider(n, f.source.clone());
        }
    }
    let pwhistory_enforce_for_root = match (hist_line, hist.0.remove("enforce_for_root")) {
        (Some(_), Some(f)) => Fact::new(f.value == "true", f.source),
        _ => Fact::new(false, Source::note("pam_pwhistory is not in the password stack")),
    };
    let mut stacks: Vec<String> = auth_stacks.iter().chain(&password_stacks).cloned().collect();
    stacks.sort();
    stacks.dedup();
    let nullok = stacks
        .iter()
        .filter_map(|s| files.get(s))
        .flatten()
        .filter(|l| l.module_name() == "pam_unix.so" && l.flag("nullok"))
        .cloned()
        .collect();

    let su = collect_su(fs, files.get("/etc/pam.d/su"))?;
    Ok(Pam {
        files,
        password_stacks,
        auth_stacks,
        pwquality_enabled,
        pwquality: pwq.0,
        faillock_enabled,
        faillock: fl.0,
        unix_hash,
        remember,
        pwhistory_enforce_for_root,
        nullok,
        su,
    })
}

/// The active pam_wheel line of /etc/pam.d/su that restricts su, if any.
pub fn wheel_line(lines: &[PamLine]) -> Option<&PamLine> {
    lines.iter().find(|l| {
        l.kind == "auth"
            && l.module_name() == "pam_wheel.so"
            && l.flag("use_uid")
            // pam_wheel(8): `trust` grants su without a password, `deny` inverts the test.
            && !l.flag("trust")
            && !l.flag("deny")
    })
}

fn collect_su(fs: &RootFs, lines: Option<&Vec<PamLine>>) -> Result<Su, FactError> {
    let line = lines.and_then(|l| wheel_line(l));
    let Some(line) = line else {
        return Ok(Su {
            restricted: Fact::new(
                false,
                Source::note("no active `auth … pam_wheel.so use_uid` line in /etc/pam.d/su"),
            ),
            group: None,
            group_members: Vec::new(),
            primary_members: Vec::new(),
        });
    };
    let group_text = fs.read_text("/etc/group")?.unwrap_or_default();
    let groups = crate::facts::homes::parse_group("/etc/group", &group_text)?;
    let group = match line.arg("group") {
        Some(g) => Fact::new(g.to_owned(), line.source.clone()),
        None => {
            let name = if groups.iter().any(|g| g.name == "wheel") {
                "wheel".to_owned()
            } else {
                groups
                    .iter()
                    .find(|g| g.gid == 0)
                    .map(|g| g.name.clone())
                    .unwrap_or_else(|| "wheel".into())
            };
            Fact::new(name, Source::note("pam_wheel(8) default group"))
        }
    };
    let entry = groups.iter().find(|g| g.name == group.value);
    let group_members = entry.map(|g| g.members.clone()).unwrap_or_default();
    let primary_members = match entry {
        Some(g) => {
            let passwd = fs.read_text("/etc/passwd")?.unwrap_or_default();
            crate::facts::homes::parse_passwd("/etc/passwd", &passwd)?
                .into_iter()
                .filter(|u| u.gid == g.gid)
                .map(|u| u.name)
                .collect()
        }
        None => Vec::new(),
    };
    Ok(Su {
        restricted: Fact::new(true, line.source.clone()),
        group: Some(group),
        group_members,
        primary_members,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracketed_control_with_spaces_is_one_word() {
        let l = parse_service(
            "/etc/pam.d/common-auth",
            "auth\t[success=1 default=ignore]\tpam_unix.so nullok\n",
        );
        assert_eq!(l[0].control, "[success=1 default=ignore]");
        assert_eq!(l[0].module, "pam_unix.so");
        assert_eq!(l[0].args, vec!["nullok"]);
    }

    #[test]
    fn comments_dash_types_includes_and_continuations() {
        let text = "# comment\n@include common-auth\n-session optional pam_systemd.so\npassword requisite pam_pwquality.so \\\n  retry=3 # trailing\n#auth required pam_wheel.so use_uid\n";
        let l = parse_service("/etc/pam.d/x", text);
        assert_eq!(l.len(), 3);
        assert_eq!(l[0].kind, "@include");
        assert_eq!(l[0].module, "common-auth");
        assert!(l[1].optional);
        assert_eq!(l[2].args, vec!["retry=3"]);
        assert_eq!(l[2].source.line, Some(4));
    }

    #[test]
    fn bracketed_argument_keeps_its_spaces_and_loses_its_brackets() {
        let l = parse_service("/x", "auth required pam_succeed_if.so [user ingroup wheel]\n");
        assert_eq!(l[0].args, vec!["user ingroup wheel"]);
    }

    #[test]
    fn wheel_line_needs_use_uid_and_no_trust() {
        let l = parse_service("/etc/pam.d/su", "auth sufficient pam_wheel.so trust use_uid\n");
        assert!(wheel_line(&l).is_none());
        let l = parse_service("/etc/pam.d/su", "auth required pam_wheel.so use_uid group=sugroup\n");
        assert_eq!(wheel_line(&l).and_then(|l| l.arg("group")), Some("sugroup"));
    }

    #[test]
    fn module_conf_bare_name_is_a_flag_and_spaces_around_equals_are_ignored() {
        let c = parse_module_conf("/p", "# minlen = 8\nminlen = 14\nenforce_for_root\n");
        assert_eq!(c[0].0, "minlen");
        assert_eq!(c[0].1, "14");
        assert_eq!(c[1].1, "true");
    }

    #[test]
    fn arguments_override_configuration_and_shadow_it() {
        let mut s = Settings::defaults(&[("minlen", "8")], "default");
        s.set("minlen", "12".into(), Source::at("/etc/security/pwquality.conf", 3));
        let l = &parse_service(
            "/etc/pam.d/common-password",
            "password requisite pam_pwquality.so minlen=14 enforce_for_root\n",
        )[0];
        s.apply_args(l, &["enforce_for_root"]);
        assert_eq!(s.0["minlen"].value, "14");
        assert_eq!(s.0["minlen"].shadowed.len(), 2);
        assert_eq!(s.0["enforce_for_root"].value, "true");
    }
}
