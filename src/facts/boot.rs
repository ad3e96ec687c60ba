//! Bootloader and kernel command line: the GRUB password, the kernel arguments the next boot
//! gets (and, live, the running kernel's), and core dump restrictions.
//!
//! - GRUB password (grub(8) "Security"): `set superusers=…` together with a `password_pbkdf2`
//!   line, in a generated grub.cfg (/boot/grub/grub.cfg, /boot/grub2/grub.cfg) or in the
//!   /etc/grub.d scripts that generate it; or, on RHEL-likes, `GRUB2_PASSWORD=` in
//!   /boot/grub2/user.cfg (read by /etc/grub.d/01_users, which sets superusers "root").
//! - Kernel command line: /etc/default/grub (a shell fragment; grub-mkconfig puts
//!   `GRUB_CMDLINE_LINUX` then `GRUB_CMDLINE_LINUX_DEFAULT` on the normal entries), the Boot
//!   Loader Specification entries /boot/loader/entries/*.conf (`options`, with `$kernelopts`
//!   expanded from grubenv as GRUB's blscfg does), and /proc/cmdline on a live system. A
//!   parameter given twice: the last wins (the kernel calls the handler for each occurrence).
//! - Core dumps: pam_limits' limits.conf then limits.d/*.conf; the last `*` line for `core` of
//!   type `hard` or `-` wins. systemd-coredump: coredump.conf and its drop-ins (`[Coredump]`).
//!
//! Deliberately ignored: other bootloaders (systemd-boot's loader.conf, extlinux), GRUB
//! variables other than the two command-line ones, `${var}` expansion inside them beyond
//! `$kernelopts`, per-user limits.
use std::collections::BTreeMap;

use serde::Serialize;

use super::logging::systemd_conf;
use super::{Collected, Context, Fact, FactError, Source};
use crate::rootfs::RootFs;

/// Generated GRUB configurations, most common first.
pub const GRUB_CFGS: [&str; 2] = ["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"];

/// Kernel arguments: name → value (`""` for a bare flag like `quiet`).
pub type Args = BTreeMap<String, Fact<String>>;

/// One Boot Loader Specification entry.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BlsEntry {
    /// The entry file.
    pub path: String,
    /// `title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Its kernel arguments.
    pub args: BTreeMap<String, String>,
    /// The line of `options`.
    pub source: Source,
}

/// The kernel command line.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Cmdline {
    /// From /etc/default/grub (GRUB_CMDLINE_LINUX, then GRUB_CMDLINE_LINUX_DEFAULT).
    pub configured: Args,
    /// BLS entries (RHEL-likes); empty elsewhere.
    pub bls_entries: Vec<BlsEntry>,
    /// The running kernel's (/proc/cmdline); not-applicable offline.
    pub runtime: Collected<Args>,
}

/// systemd-coredump settings.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SystemdCoredump {
    /// systemd-coredump is installed (its helper binary exists).
    pub installed: bool,
    /// `Storage=` (default external).
    pub storage: Fact<String>,
    /// `ProcessSizeMax=` (default 1G/32G depending on the version; reported as "default").
    pub process_size_max: Fact<String>,
}

/// Core dump restrictions.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CoreDumps {
    /// The hard `core` limit for `*` (null when none is set).
    pub hard_limit: Option<Fact<String>>,
    /// systemd-coredump.
    pub systemd_coredump: SystemdCoredump,
}

/// Bootloader configuration and the kernel command line.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Boot {
    /// A GRUB configuration exists (grub.cfg or /etc/default/grub).
    pub grub: bool,
    /// The GRUB configuration files found.
    pub grub_cfgs: Vec<String>,
    /// `set superusers=` value.
    pub superusers: Option<Fact<String>>,
    /// A bootloader password is set (superusers + password_pbkdf2, or GRUB2_PASSWORD).
    pub password: Fact<bool>,
    /// Kernel command line.
    pub cmdline: Cmdline,
    /// Core dumps.
    pub core_dumps: CoreDumps,
}

/// Splits a kernel command line into name → value, honouring double quotes
/// (kernel-parameters.txt: `param="value with spaces"`); the last occurrence wins.
pub fn parse_cmdline(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut push = |cur: &mut String| {
        if !cur.is_empty() {
            let w = std::mem::take(cur);
            let (k, v) = w.split_once('=').unwrap_or((&w, ""));
            out.push((k.to_owned(), v.to_owned()));
        }
    };
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => push(&mut cur),
            c => cur.push(c),
        }
    }
    push(&mut cur);
    out
}

/// Shell-style `NAME="value"` / `NAME='value'` / `NAME=value` assignments of a defaults file:
/// (name, value, line). `$NAME` references to earlier variables are expanded (the common
/// `GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX audit=1"` idiom).
pub fn parse_shell_vars(text: &str) -> Vec<(String, String, u32)> {
    let mut out: Vec<(String, String, u32)> = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim().trim_start_matches("export ").trim();
        if t.starts_with('#') {
            continue;
        }
        let Some((k, v)) = t.split_once('=') else { continue };
        if !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || k.is_empty() {
            continue;
        }
        let v = v.trim();
        let v = if let Some(x) = v.strip_prefix('"').and_then(|x| x.rsplit_once('"')) {
            x.0.to_owned()
        } else if let Some(x) = v.strip_prefix('\'').and_then(|x| x.rsplit_once('\'')) {
            x.0.to_owned()
        } else {
            v.split_whitespace().next().unwrap_or("").to_owned()
        };
        let mut expanded = v.clone();
        for (name, val, _) in out.iter().rev() {
            for pat in [format!("${{{name}}}"), format!("${name}")] {
                expanded = expanded.replace(&pat, val);
            }
        }
        out.push((k.to_owned(), expanded, i as u32 + 1));
    }
    out
}

fn set_args(args: &mut Args, line: &str, src: &Source) {
    for (k, v) in parse_cmdline(line) {
        args.insert(k, Fact::new(v, src.clone()));
    }
}

/// The value of the last `* hard core N` / `* - core N` line: (value, line).
pub fn parse_core_limit(text: &str) -> Option<(String, u32)> {
    let mut found = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.split('#').next().unwrap_or("");
        let f: Vec<&str> = t.split_whitespace().collect();
        if let [domain, ty, item, value] = f.as_slice()
            && *domain == "*"
            && (*ty == "hard" || *ty == "-")
            && *item == "core"
        {
            found = Some(((*value).to_owned(), i as u32 + 1));
        }
    }
    found
}

fn password(fs: &RootFs, cfgs: &[String]) -> Result<(Option<Fact<String>>, Fact<bool>), FactError> {
    let mut files: Vec<String> = cfgs.to_vec();
    files.extend(fs.glob("/etc/grub.d/*")?);
    let (mut superusers, mut pbkdf2) = (None, None);
    for f in &files {
        let Ok(Some(text)) = fs.read_text(f) else { continue };
        for (i, l) in text.lines().enumerate() {
            let t = l.trim();
            if t.starts_with('#') {
                continue;
            }
            if let Some(v) = t.strip_prefix("set superusers=") {
                superusers = Some(Fact::new(
                    v.trim_matches(['"', '\'']).to_owned(),
                    Source::at(f, i as u32 + 1),
                ));
            }
            // RHEL's 01_users block (`password_pbkdf2 root ${GRUB2_PASSWORD}`) is conditional on
            // user.cfg: it sets nothing by itself, so user.cfg decides below.
            if t.contains("${GRUB2_PASSWORD}") || t.contains("$GRUB2_PASSWORD") {
                continue;
            }
            if t.starts_with("password_pbkdf2 ") && pbkdf2.is_none() {
                pbkdf2 = Some(Source::at(f, i as u32 + 1));
            }
        }
    }
    if let (Some(_), Some(src)) = (&superusers, &pbkdf2) {
        return Ok((superusers.clone(), Fact::new(true, src.clone())));
    }
    if let Some(text) = fs.read_text("/boot/grub2/user.cfg")? {
        for (k, v, line) in parse_shell_vars(&text) {
            if k == "GRUB2_PASSWORD" && v.starts_with("grub.pbkdf2.") {
                return Ok((
                    Some(Fact::new(
                        "root".into(),
                        Source::note("/etc/grub.d/01_users with user.cfg"),
                    )),
                    Fact::new(true, Source::at("/boot/grub2/user.cfg", line)),
                ));
            }
        }
    }
    Ok((
        superusers,
        Fact::new(
            false,
            Source::note("no superusers with password_pbkdf2 and no GRUB2_PASSWORD"),
        ),
    ))
}

/// Collects the facts.
pub fn collect(fs: &RootFs, ctx: &Context) -> Result<Boot, FactError> {
    let mut grub_cfgs = Vec::new();
    for c in GRUB_CFGS {
        if fs.metadata(c)?.is_some() {
            grub_cfgs.push(c.to_owned());
        }
    }
    let defaults = fs.read_text("/etc/default/grub")?;
    let grub = !grub_cfgs.is_empty() || defaults.is_some();
    let (superusers, password) = password(fs, &grub_cfgs)?;

    let mut configured = Args::new();
    if let Some(text) = &defaults {
        let vars = parse_shell_vars(text);
        for name in ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"] {
            if let Some((_, v, line)) = vars.iter().rev().find(|(k, _, _)| k == name) {
                set_args(&mut configured, v, &Source::at("/etc/default/grub", *line));
            }
        }
    }
    let kernelopts = match fs.read_text("/boot/grub2/grubenv") {
        Ok(Some(t)) => t
            .lines()
            .find_map(|l| l.strip_prefix("kernelopts=").map(str::to_owned))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let mut bls_entries = Vec::new();
    for path in fs.glob("/boot/loader/entries/*.conf")? {
        let Some(text) = fs.read_text(&path)? else { continue };
        let (mut title, mut args, mut source) = (None, BTreeMap::new(), Source::file(&path));
        for (i, l) in text.lines().enumerate() {
            let t = l.trim();
            if let Some(v) = t.strip_prefix("title") {
                title = Some(v.trim().to_owned());
            } else if let Some(v) = t.strip_prefix("options") {
                let v = v.replace("$kernelopts", &kernelopts);
                for (k, val) in parse_cmdline(&v) {
                    args.insert(k, val);
                }
                source = Source::at(&path, i as u32 + 1);
            }
        }
        bls_entries.push(BlsEntry {
            path,
            title,
            args,
            source,
        });
    }
    let runtime = if ctx.live {
        match fs.read_text("/proc/cmdline") {
            Ok(Some(t)) => {
                let mut a = Args::new();
                set_args(&mut a, t.trim(), &Source::file("/proc/cmdline"));
                Collected::Ok(a)
            }
            Ok(None) => Collected::error("cannot read /proc/cmdline: absent on a live system"),
            Err(e) => Collected::error(e.to_string()),
        }
    } else {
        Collected::not_applicable("the running kernel's command line is known only on a live system")
    };

    let mut hard_limit = None;
    let mut limit_files = vec!["/etc/security/limits.conf".to_owned()];
    limit_files.extend(fs.glob("/etc/security/limits.d/*.conf")?);
    for f in limit_files {
        if let Some(text) = fs.read_text(&f)?
            && let Some((v, line)) = parse_core_limit(&text)
        {
            hard_limit = Some(Fact::new(v, Source::at(&f, line)));
        }
    }
    let cd = systemd_conf(fs, "coredump.conf", "Coredump")?;
    let installed = fs.metadata("/usr/lib/systemd/systemd-coredump")?.is_some()
        || fs.metadata("/lib/systemd/systemd-coredump")?.is_some();
    let get = |k: &str, d: &str| {
        cd.get(k)
            .cloned()
            .unwrap_or_else(|| Fact::new(d.to_owned(), Source::note(format!("{k} not set: the default"))))
    };
    Ok(Boot {
        grub,
        grub_cfgs,
        superusers,
        password,
        cmdline: Cmdline {
            configured,
            bls_entries,
            runtime,
        },
        core_dumps: CoreDumps {
            hard_limit,
            systemd_coredump: SystemdCoredump {
                installed,
                storage: get("Storage", "external"),
                process_size_max: get("ProcessSizeMax", "default"),
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_quotes_and_bare_flags() {
        let a = parse_cmdline(r#"ro quiet audit=1 foo="a b" audit_backlog_limit=8192"#);
        assert_eq!(a[1], ("quiet".into(), "".into()));
        assert_eq!(a[3], ("foo".into(), "a b".into()));
    }

    #[test]
    fn shell_vars_expand_earlier_references() {
        let v = parse_shell_vars(
            "GRUB_CMDLINE_LINUX=\"quiet\"\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX audit=1\"\n# x=1\n",
        );
        assert_eq!(v[1].1, "quiet audit=1");
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn core_limit_dash_type_sets_hard_and_last_line_wins() {
        assert_eq!(
            parse_core_limit("* hard core 0\n* - core unlimited # x\n"),
            Some(("unlimited".into(), 2))
        );
        assert_eq!(parse_core_limit("@admin hard core 0\n* soft core 0\n"), None);
    }
}
