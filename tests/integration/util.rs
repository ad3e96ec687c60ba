//! Shared helpers: fixture roots copied to temporary directories, the binary, the case files.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fixture root names (directories under fixtures/roots).
pub fn root_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("fixtures/roots"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Copies a tree, keeping symlinks as symlinks.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in walkdir::WalkDir::new(from).min_depth(1).sort_by_file_name() {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        let ft = e.file_type();
        if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).unwrap(), &dest).unwrap();
        } else if ft.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A variant root's description, `fixtures/roots/<name>.toml`: the variant directory is an
/// overlay on `base`, after `remove` is applied to the base.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Variant {
    base: String,
    #[serde(default)]
    remove: Vec<String>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

/// A fixture root (a variant is materialised over its base) copied into a fresh temporary
/// directory.
pub fn fixture_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let roots = repo().join("fixtures/roots");
    let meta = roots.join(format!("{name}.toml"));
    if let Ok(text) = std::fs::read_to_string(&meta) {
        let v: Variant = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", meta.display()));
        let base = fixture_copy(&v.base);
        copy_tree(base.path(), dir.path());
        for r in &v.remove {
            let p = dir.path().join(r.trim_start_matches('/'));
            match std::fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p).unwrap(),
                Ok(_) => std::fs::remove_file(&p).unwrap(),
                Err(_) => panic!("{}: remove {r}: not in {}", meta.display(), v.base),
            }
        }
        overlay_tree(&roots.join(name), dir.path());
        return dir;
    }
    copy_tree(&roots.join(name), dir.path());
    dir
}

/// Copies `from` over `to`, replacing files (and links) that exist.
fn overlay_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from).min_depth(1).sort_by_file_name() {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            continue;
        }
        if std::fs::symlink_metadata(&dest).is_ok() {
            std::fs::remove_file(&dest).unwrap();
        }
        if e.file_type().is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(e.path()).unwrap(), &dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Runs the imagegate binary.
pub fn imagegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_imagegate"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// One case of fixtures/cases/*.toml.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub rule: String,
    pub expect: String,
    pub base: String,
    #[serde(default)]
    pub live: bool,
    #[serde(default)]
    pub files: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub remove: Vec<String>,
    /// Text added to the end of a file of the base root (the file is created when absent), after
    /// `files`: a drop-in line or a stanza without copying the whole file.
    #[serde(default)]
    pub append: std::collections::BTreeMap<String, String>,
    /// Packages added to the base root's dpkg database as installed, after `append`: `name` (at
    /// version 1.0-1) or `name=version`.
    #[serde(default)]
    pub packages: Vec<String>,
    #[serde(default)]
    pub vars: std::collections::BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub note: Option<String>,
    /// Text the finding's reason must contain (what is missing, the command that provides it).
    #[serde(default)]
    pub reason: Option<String>,
    /// Permission bits to set after `files` (octal strings: `{ "/etc/shadow" = "0640" }`): git
    /// keeps no modes, and permission rules need both sides.
    #[serde(default)]
    pub modes: std::collections::BTreeMap<String, String>,
    /// Owner and group to set after `modes`, as numbers (`{ "/etc/shells" = "1000:1000" }`): git
    /// keeps no owners, and ownership rules need both sides (the tests run as root).
    #[serde(default)]
    pub owners: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(default)]
    case: Vec<Case>,
}

/// The rules the cases are written against: the shipped ones and the example site rules of
/// examples/site-rules (rules over files they declare themselves).
pub fn case_rules() -> imagegate::rules::RuleSet {
    let mut set = imagegate::rules::RuleSet::embedded().unwrap();
    set.add_dir(&repo().join("examples/site-rules")).unwrap();
    set
}

/// Every case, with the file it came from.
pub fn cases() -> Vec<(String, Case)> {
    let mut out = Vec::new();
    let dir = repo().join("fixtures/cases");
    let Ok(rd) = std::fs::read_dir(&dir) else { return out };
    let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    for f in files.into_iter().filter(|f| f.extension().is_some_and(|x| x == "toml")) {
        let text = std::fs::read_to_string(&f).unwrap();
        let parsed: CaseFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        out.extend(parsed.case.into_iter().map(|c| (name.clone(), c)));
    }
    out
}

/// The dpkg status stanza of a package a case adds (`name` or `name=version`).
fn dpkg_stanza(spec: &str) -> String {
    let (name, version) = spec.split_once('=').unwrap_or((spec, "1.0-1"));
    format!(
        "\nPackage: {name}\nStatus: install ok installed\nPriority: optional\nSection: misc\n\
         Architecture: amd64\nVersion: {version}\nDescription: added by a case\n"
    )
}

/// Appends `text` to the file at `path` (created when absent), keeping a line break between.
fn append_to(path: &Path, text: &str) {
    let mut old = std::fs::read_to_string(path).unwrap_or_default();
    if !old.is_empty() && !old.ends_with('\n') {
        old.push('\n');
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        std::fs::remove_file(path).unwrap();
    }
    std::fs::write(path, old + text).unwrap();
}

/// Builds a case's root: the base copied, `remove` applied, `files` written, `append` and
/// `packages` added, then `modes` and `owners` set.
pub fn case_root(c: &Case) -> tempfile::TempDir {
    let dir = fixture_copy(&c.base);
    for r in &c.remove {
        let p = dir.path().join(r.trim_start_matches('/'));
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p).unwrap(),
            Ok(_) => std::fs::remove_file(&p).unwrap(),
            Err(_) => panic!("case for {}: remove {r}: not in base root {}", c.rule, c.base),
        }
    }
    for (path, content) in &c.files {
        let p = dir.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
            std::fs::remove_file(&p).unwrap();
        }
        std::fs::write(&p, content).unwrap();
    }
    for (path, text) in &c.append {
        append_to(&dir.path().join(path.trim_start_matches('/')), text);
    }
    if !c.packages.is_empty() {
        let status = dir.path().join("var/lib/dpkg/status");
        assert!(
            status.is_file(),
            "case for {}: `packages` adds to a dpkg database, and base root {} has none",
            c.rule,
            c.base
        );
        append_to(&status, &c.packages.iter().map(|p| dpkg_stanza(p)).collect::<String>());
    }
    for (path, mode) in &c.modes {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.path().join(path.trim_start_matches('/'));
        let mode = u32::from_str_radix(mode, 8).unwrap_or_else(|e| panic!("case for {}: mode {mode}: {e}", c.rule));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("case for {}: chmod {path}: {e}", c.rule));
    }
    for (path, owner) in &c.owners {
        let p = dir.path().join(path.trim_start_matches('/'));
        let parse = |s: &str| {
            s.parse::<u32>()
                .unwrap_or_else(|e| panic!("case for {}: owner {owner}: {e}", c.rule))
        };
        let (uid, gid) = owner
            .split_once(':')
            .unwrap_or_else(|| panic!("case for {}: owner {owner}: expected uid:gid", c.rule));
        std::os::unix::fs::lchown(&p, Some(parse(uid)), Some(parse(gid)))
            .unwrap_or_else(|e| panic!("case for {}: chown {path}: {e}", c.rule));
    }
    dir
}

/// The fixed date every fixture scan uses, so end-of-life and index ages do not drift.
pub const AS_OF: &str = "2026-11-01";

/// A thread renaming a file back and forth in its own temporary directory until dropped: what
/// makes the kernel's `RESOLVE_IN_ROOT` answer `EAGAIN` to any resolution through `..` meanwhile.
pub struct RenameLoop {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
    _dir: tempfile::TempDir,
}

impl RenameLoop {
    /// Starts the loop.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "x").unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut n = 0u64;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                std::fs::rename(&a, &b).unwrap();
                std::fs::rename(&b, &a).unwrap();
                n += 2;
            }
            n
        });
        RenameLoop {
            stop,
            thread: Some(thread),
            _dir: dir,
        }
    }

    /// Stops the loop; the renames made.
    pub fn stop(mut self) -> u64 {
        self.halt()
    }

    fn halt(&mut self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().map_or(0, |t| t.join().unwrap_or(0))
    }
}

impl Drop for RenameLoop {
    fn drop(&mut self) {
        self.halt();
    }
}

/// A small deterministic PRNG (xorshift64*) for generated test inputs: seeded, so a failure
/// reproduces from its seed.
pub struct Rng(pub u64);

impl Rng {
    /// A generator from any seed (spread, and never the all-zero state xorshift cannot leave).
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A number below `n` (> 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    /// True once in `n` times.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}
