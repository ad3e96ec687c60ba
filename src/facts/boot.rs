//! Bootloader and kernel command line: the GRUB password, the kernel arguments the next boot
//! gets (and, live, the running kernel's), and core dump restrictions.
//!
//! - GRUB password (grub(8) "Security"): `set superusers=…` together with a `password_pbkdf2`
//!   line, in a generated grub.cfg (/boot/grub/grub.cfg, /boot/grub2/grub.cfg) or in the
//!   /etc/grub.d scripts that generate it; or, on RHEL-likes, `GRUB2_PASSWORD=` in
//!   /boot/grub2/user.cfg (read by /etc/grub.d/01_users, which sets superusers "root").
//! - Kernel command line, the one reader of it (facts::mac reads it from here too):
//!   - `configured`: what update-grub (grub-mkconfig) puts on the normal entries,
//!     `GRUB_CMDLINE_LINUX` then `GRUB_CMDLINE_LINUX_DEFAULT`, after sourcing /etc/default/grub and
//!     then /etc/default/grub.d/*.cfg in glob order, with shell semantics: a later assignment
//!     replaces an earlier one, `$VAR`/`${VAR}` expand (`GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX
//!     audit=1"` appends), and each parameter keeps the file and line that wrote it;
//!   - `grub_entries`: the `linux` lines of the generated /boot/grub*/grub.cfg (what boots until
//!     update-grub runs again);
//!   - `bls_entries`: Boot Loader Specification entries /boot/loader/entries/*.conf (`options`,
//!     with `$kernelopts` expanded from grubenv as GRUB's blscfg does);
//!   - `runtime`: /proc/cmdline on a live system.
//!
//!   A parameter given twice: the last wins (the kernel calls the handler for each occurrence).
//! - Core dumps: pam_limits' limits.conf then limits.d/*.conf; the last `*` line for `core` of
//!   type `hard` or `-` wins. systemd-coredump: coredump.conf and its drop-ins (`[Coredump]`).
//!
//! Deliberately ignored: other bootloaders (systemd-boot's loader.conf, extlinux), shell
//! constructs in the defaults files other than assignments (`if`, command substitution: their
//! text is not evaluated), values spanning lines, per-user limits.
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
    /// From /etc/default/grub and /etc/default/grub.d/*.cfg (GRUB_CMDLINE_LINUX, then
    /// GRUB_CMDLINE_LINUX_DEFAULT).
    pub configured: Args,
    /// The files `configured` was read from, in the order they are sourced.
    pub configured_from: Vec<String>,
    /// The `linux` lines of the generated grub.cfg, one entry each.
    pub grub_entries: Vec<BlsEntry>,
    /// BLS entries (RHEL-likes); empty elsewhere.
    pub bls_entries: Vec<BlsEntry>,
    /// The running kernel's (/proc/cmdline); not-applicable offline.
    pub runtime: Collected<Args>,
}

impl Cmdline {
    /// Where `name=value` is set, if anywhere: the configured command line, any boot entry, or
    /// the running kernel's. (For switches that turn a protection off, any of them counts.)
    pub fn sets(&self, name: &str, value: &str) -> Option<Source> {
        let hit = |a: &Args| a.get(name).filter(|f| f.value == value).map(|f| f.source.clone());
        hit(&self.configured)
            .or_else(|| self.runtime.ok().and_then(hit))
            .or_else(|| {
                self.grub_entries
                    .iter()
                    .chain(&self.bls_entries)
                    .find(|e| e.args.get(name).is_some_and(|v| v == value))
                    .map(|e| e.source.clone())
            })
    }

    /// What was read, for the evidence of an absent parameter.
    pub fn read_from(&self) -> String {
        let mut from: Vec<String> = self.configured_from.clone();
        from.extend(
            self.grub_entries
                .iter()
                .chain(&self.bls_entries)
                .map(|e| e.path.clone()),
        );
        if self.runtime.ok().is_some() {
            from.push("/proc/cmdline".into());
        }
        from.dedup();
        if from.is_empty() {
            "no boot loader configuration found".into()
        } else {
            from.join(", ")
        }
    }
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
    /// The running kernel and the kernels installed in the image.
    pub kernel: Kernel,
}

/// Kernel releases: the one running (live) and the ones the image holds.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Kernel {
    /// The running kernel's release (`/proc/sys/kernel/osrelease`); null unless live.
    pub running: Option<Fact<String>>,
    /// Kernel releases installed in the image: the directories of /usr/lib/modules and
    /// /lib/modules and the `vmlinuz-<release>` images in /boot, oldest first (dpkg's order,
    /// which also orders rpm's kernel releases by number).
    pub installed: Vec<String>,
    /// The newest of `installed`, with the file that showed it.
    pub newest: Option<Fact<String>>,
}

/// The directories and boot images that name installed kernel releases.
const KERNEL_DIRS: &[&str] = &["/usr/lib/modules", "/lib/modules"];

/// Collects [`Kernel`]: installed releases from module directories and /boot, and the running
/// release on a live system.
fn kernel(fs: &RootFs, ctx: &Context) -> Result<Kernel, FactError> {
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for dir in KERNEL_DIRS {
        for e in fs.read_dir(dir)?.unwrap_or_default() {
            if fs
                .metadata(&e.path)?
                .is_some_and(|m| m.kind == crate::rootfs::Kind::Directory)
            {
                found.entry(e.name).or_insert(e.path);
            }
        }
    }
    for e in fs.read_dir("/boot")?.unwrap_or_default() {
        if let Some(release) = e.name.strip_prefix("vmlinuz-").filter(|r| !r.is_empty()) {
            found.entry(release.to_owned()).or_insert(e.path);
        }
    }
    let mut installed: Vec<(String, String)> = found.into_iter().collect();
    installed.sort_by(|a, b| crate::version::dpkg_cmp(&a.0, &b.0));
    let newest = installed.last().map(|(r, p)| Fact::new(r.clone(), Source::file(p)));
    let running = if ctx.live {
        fs.read_text("/proc/sys/kernel/osrelease")?
            .map(|t| Fact::new(t.trim().to_owned(), Source::file("/proc/sys/kernel/osrelease")))
    } else {
        None
    };
    Ok(Kernel {
        running,
        installed: installed.into_iter().map(|(r, _)| r).collect(),
        newest,
    })
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

/// A shell variable's value, and for each of its characters where it was written (an index
/// into [`Shell::sources`]).
#[derive(Debug, Clone, Default)]
struct Traced {
    text: Vec<char>,
    from: Vec<usize>,
}

/// Sourced shell fragments of `NAME=value` assignments, evaluated in order (as update-grub sources
/// /etc/default/grub and then /etc/default/grub.d/*.cfg): a later assignment replaces an earlier
/// one; `"…"` and `'…'` quote, `\` escapes, `#` starts a comment, `$NAME` and `${NAME}` expand
/// (to nothing when unset). Every character of a value remembers the line that wrote it, so
/// `GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX audit=1"` credits `audit=1` to its own line and the
/// inherited words to theirs. Lines that are not assignments are skipped.
#[derive(Debug, Clone, Default)]
pub struct Shell {
    vars: BTreeMap<String, Traced>,
    sources: Vec<Source>,
}

impl Shell {
    /// An empty environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Evaluates the assignments of `text` (the file `path`); returns `(name, line)` of each.
    pub fn source(&mut self, path: &str, text: &str) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
            let Some((name, rest)) = line.split_once('=') else {
                continue;
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                continue;
            }
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            self.sources.push(Source::at(path, n));
            let value = self.value(rest, self.sources.len() - 1);
            self.vars.insert(name.to_owned(), value);
            out.push((name.to_owned(), n));
        }
        out
    }

    /// The value of `name` (`None` when never assigned).
    pub fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).map(|t| t.text.iter().collect())
    }

    /// The kernel parameters in `name`'s value (split as the kernel does, double quotes
    /// grouping), each with the line that wrote its first character.
    pub fn params(&self, name: &str) -> Vec<(String, Source)> {
        let Some(t) = self.vars.get(name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let (mut cur, mut first, mut quoted) = (String::new(), None, false);
        for (c, from) in t.text.iter().zip(&t.from) {
            match c {
                '"' => quoted = !quoted,
                c if c.is_whitespace() && !quoted => {
                    if let Some(f) = first.take() {
                        out.push((std::mem::take(&mut cur), f));
                    }
                    continue;
                }
                c => cur.push(*c),
            }
            first.get_or_insert(*from);
        }
        if let Some(f) = first {
            out.push((cur, f));
        }
        out.into_iter()
            .filter(|(w, _)| !w.is_empty())
            .map(|(w, f)| (w, self.sources.get(f).cloned().unwrap_or_default()))
            .collect()
    }

    /// The value after `=`, evaluated; literal characters are credited to `src`.
    fn value(&self, rest: &str, src: usize) -> Traced {
        let mut out = Traced::default();
        let push = |out: &mut Traced, c: char, f: usize| {
            out.text.push(c);
            out.from.push(f);
        };
        let mut chars = rest.chars().peekable();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (quote, c) {
                (None, '#') if out.text.is_empty() || out.text.last().is_some_and(|l| l.is_whitespace()) => break,
                (None, c) if c.is_whitespace() => break,
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (Some('\''), c) => push(&mut out, c, src),
                (_, '\\') => {
                    if let Some(n) = chars.next() {
                        push(&mut out, n, src);
                    }
                }
                (_, '$') => {
                    let braced = chars.peek() == Some(&'{');
                    if braced {
                        chars.next();
                    }
                    let mut name = String::new();
                    while let Some(&n) = chars.peek() {
                        if n.is_ascii_alphanumeric() || n == '_' {
                            name.push(n);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    if braced && chars.peek() == Some(&'}') {
                        chars.next();
                    }
                    if name.is_empty() {
                        push(&mut out, '$', src);
                    } else if let Some(v) = self.vars.get(&name) {
                        for (c, f) in v.text.iter().zip(&v.from) {
                            push(&mut out, *c, *f);
                        }
                    }
                }
                (_, c) => push(&mut out, c, src),
            }
        }
        out
    }
}

/// Shell-style `NAME="value"` assignments of one defaults file: (name, value, line), each value
/// as evaluated at its line (see [`Shell`]).
pub fn parse_shell_vars(text: &str) -> Vec<(String, String, u32)> {
    let mut sh = Shell::new();
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        for (name, _) in sh.source("", l) {
            let value = sh.get(&name).unwrap_or_default();
            out.push((name, value, u32::try_from(i + 1).unwrap_or(u32::MAX)));
        }
    }
    out
}

/// The configured command line: /etc/default/grub, then /etc/default/grub.d/*.cfg, sourced in
/// that order; GRUB_CMDLINE_LINUX's parameters, then GRUB_CMDLINE_LINUX_DEFAULT's, the last
/// occurrence of a name winning (the ones it overrides kept as `shadowed`). Returns the files read.
pub fn configured_cmdline(fs: &RootFs) -> Result<(Args, Vec<String>), FactError> {
    let mut sh = Shell::new();
    let mut files = vec!["/etc/default/grub".to_owned()];
    files.extend(fs.glob("/etc/default/grub.d/*.cfg")?);
    let mut read = Vec::new();
    for path in files {
        let Some(text) = fs.read_text(&path)? else { continue };
        sh.source(&path, &text);
        read.push(path);
    }
    let mut args = Args::new();
    for name in ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"] {
        for (word, src) in sh.params(name) {
            let (k, v) = word.split_once('=').unwrap_or((&word, ""));
            let new = Fact::new(v.to_owned(), src);
            if let Some(old) = args.insert(k.to_owned(), new)
                && let Some(cur) = args.get_mut(k)
            {
                cur.shadowed.extend(old.shadowed);
                cur.shadowed.push(super::Shadowed {
                    value: old.value,
                    source: old.source,
                });
            }
        }
    }
    Ok((args, read))
}

/// The `linux` lines of generated GRUB configurations (`linux`, `linuxefi`, `linux16`): one entry
/// each, the kernel image dropped.
fn grub_entries(fs: &RootFs, cfgs: &[String]) -> Result<Vec<BlsEntry>, FactError> {
    let mut out = Vec::new();
    for path in cfgs {
        let Some(text) = fs.read_text(path)? else { continue };
        for (i, l) in text.lines().enumerate() {
            let mut words = l.trim_start().splitn(3, char::is_whitespace);
            if !matches!(words.next(), Some("linux" | "linuxefi" | "linux16")) {
                continue;
            }
            let _kernel = words.next();
            let args = parse_cmdline(words.next().unwrap_or("")).into_iter().collect();
            out.push(BlsEntry {
                path: path.clone(),
                title: None,
                args,
                source: Source::at(path.as_str(), u32::try_from(i + 1).unwrap_or(u32::MAX)),
            });
        }
    }
    Ok(out)
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
    let (configured, configured_from) = configured_cmdline(fs)?;
    let grub = !grub_cfgs.is_empty() || configured_from.iter().any(|f| f == "/etc/default/grub");
    let (superusers, password) = password(fs, &grub_cfgs)?;

    let grub_entries = grub_entries(fs, &grub_cfgs)?;
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
            Err(e) => Collected::unreadable(&e),
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
            configured_from,
            grub_entries,
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
        kernel: kernel(fs, ctx)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::tree;

    fn ctx(live: bool) -> Context {
        Context {
            live,
            as_of: "2026-11-01".parse().unwrap(),
            wanted: None,
        }
    }

    /// Installed kernels come from module directories and boot images, ordered by version (27
    /// after 9, as dpkg orders them); the running one only from a live system's /proc.
    #[test]
    fn kernels_installed_and_running() {
        let (_d, fs) = tree(&[
            ("/usr/lib/modules/6.1.0-9-amd64/", ""),
            ("/usr/lib/modules/6.1.0-27-amd64/", ""),
            ("/lib/modules/not-a-dir", "x"),
            ("/boot/vmlinuz-5.10.0-30-amd64", "image"),
            ("/boot/vmlinuz-", "no release"),
            ("/proc/sys/kernel/osrelease", "6.1.0-27-amd64\n"),
        ]);
        let k = kernel(&fs, &ctx(false)).unwrap();
        assert_eq!(k.installed, ["5.10.0-30-amd64", "6.1.0-9-amd64", "6.1.0-27-amd64"]);
        let newest = k.newest.unwrap();
        assert_eq!(newest.value, "6.1.0-27-amd64");
        assert_eq!(newest.source.path.as_deref(), Some("/usr/lib/modules/6.1.0-27-amd64"));
        assert!(k.running.is_none(), "offline, nothing is running");
        let live = kernel(&fs, &ctx(true)).unwrap();
        assert_eq!(live.running.unwrap().value, "6.1.0-27-amd64");
        let (_e, empty) = tree(&[("/etc/os-release", "ID=debian\n")]);
        let none = kernel(&empty, &ctx(false)).unwrap();
        assert!(none.installed.is_empty() && none.newest.is_none());
    }

    #[test]
    fn cmdline_quotes_and_bare_flags() {
        let a = parse_cmdline(r#"ro quiet audit=1 foo="a b" audit_backlog_limit=8192"#);
        assert_eq!(a[1], ("quiet".into(), "".into()));
        assert_eq!(a[3], ("foo".into(), "a b".into()));
    }

    #[test]
    fn each_parameter_keeps_the_line_that_wrote_it_across_sourced_files() {
        let mut sh = Shell::new();
        sh.source(
            "/etc/default/grub",
            "GRUB_CMDLINE_LINUX=\"quiet apparmor=1\"\nGRUB_CMDLINE_LINUX_DEFAULT='a b'\n",
        );
        sh.source(
            "/etc/default/grub.d/50-x.cfg",
            "# comment\nif [ -x /bin/true ]; then\n  :\nfi\nGRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX} audit=1 x=\\\"y z\\\"\" # trailing\nGRUB_CMDLINE_LINUX_DEFAULT=console=ttyS0\n",
        );
        let p = sh.params("GRUB_CMDLINE_LINUX");
        let shown: Vec<String> = p.iter().map(|(w, s)| format!("{w}@{s}")).collect();
        assert_eq!(
            shown,
            [
                "quiet@/etc/default/grub:1",
                "apparmor=1@/etc/default/grub:1",
                "audit=1@/etc/default/grub.d/50-x.cfg:5",
                "x=y z@/etc/default/grub.d/50-x.cfg:5",
            ]
        );
        assert_eq!(sh.get("GRUB_CMDLINE_LINUX_DEFAULT").as_deref(), Some("console=ttyS0"));
        assert_eq!(sh.get("NOPE"), None);
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
