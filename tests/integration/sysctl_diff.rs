//! Kernel parameters against the real programs.
//!
//! Persisted values: on 300 generated roots (seeded, so a failure reproduces) the files
//! systemd-sysctl would apply, their order and the value that wins for each key are compared with
//! `systemd-analyze cat-config --root=ROOT sysctl.d` (systemd 252), applying last-wins over its
//! output as the oracle: live, and offline against cat-config on the root without /run (an image's
//! /run is an empty tmpfs at boot). Skipped, loudly, when systemd-analyze is absent.
//!
//! Runtime values against procps `sysctl -n`, on the machine running the tests.
//!
//! The sysctl collector reads /proc/sys itself (through RootFs, never by running a program); this
//! test checks that what it reads, after normalisation, is exactly what `sysctl -n KEY` prints for
//! every key it reports a runtime value for: the well-known security keys plus every key this
//! machine's sysctl.d files set. A key the kernel does not have must be missing for both. Skipped
//! with a message when no sysctl binary is installed.
use std::collections::BTreeMap;
use std::process::Command;

use crate::util::Rng;
use imagegate::facts::{Collected, Context, sysctl};
use imagegate::rootfs::RootFs;

/// The first sysctl binary that runs (/usr/sbin is not on every PATH).
fn sysctl_binary() -> Option<&'static str> {
    ["sysctl", "/usr/sbin/sysctl", "/sbin/sysctl"]
        .into_iter()
        .find(|b| Command::new(b).arg("-V").output().is_ok_and(|o| o.status.success()))
}

#[test]
fn runtime_values_match_sysctl_n() {
    let Some(bin) = sysctl_binary() else {
        eprintln!("skipped: no sysctl binary on this machine");
        return;
    };
    let fs = RootFs::open(std::path::Path::new("/")).unwrap();
    let ctx = Context {
        live: true,
        as_of: "2026-11-01".parse().unwrap(),
        wanted: None,
    };
    let facts = sysctl::collect(&fs, &ctx, None).unwrap();
    let mut compared = 0;
    let mut diffs = Vec::new();
    for (key, k) in &facts.keys {
        let out = Command::new(bin).args(["-n", key]).output().unwrap();
        let theirs = out
            .status
            .success()
            .then(|| sysctl::normalize_value(&String::from_utf8_lossy(&out.stdout)));
        let ours = match &k.runtime {
            Collected::Ok(f) => Some(f.value.clone()),
            // Absent from /proc/sys: the kernel has no such key, and sysctl must fail too.
            Collected::Unavailable { unavailable } if unavailable.reason.contains("is absent") => None,
            Collected::Unavailable { unavailable } => {
                // Unreadable for us (e.g. a write-only key) must be unreadable for sysctl as well.
                if theirs.is_some() {
                    diffs.push(format!(
                        "{key}: imagegate could not read it ({}), sysctl -n printed {theirs:?}",
                        unavailable.reason
                    ));
                }
                continue;
            }
        };
        compared += 1;
        if ours != theirs {
            diffs.push(format!("{key}: imagegate {ours:?}, sysctl -n {theirs:?}"));
        }
    }
    eprintln!("compared {compared} keys with {bin} -n");
    assert!(compared >= sysctl::WELL_KNOWN.len(), "only {compared} keys compared");
    assert!(
        diffs.is_empty(),
        "runtime values differ from sysctl -n:\n{}",
        diffs.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Persisted values against systemd-analyze cat-config.

/// The first systemd-analyze that runs.
fn systemd_analyze() -> Option<&'static str> {
    ["systemd-analyze", "/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// File names: same names in several directories (overrides), byte order traps (`A` < `_` < `a`
/// < `~` < `é`), a dot file and the bare `.conf` (systemd skips both), and names that are not
/// `*.conf` at all.
const NAMES: &[&str] = &[
    "10-a.conf",
    "10-a.conf",
    "50-default.conf",
    "50-default.conf",
    "60-cis.conf",
    "99-z.conf",
    "99-sysctl.conf",
    "A.conf",
    "_u.conf",
    "a.conf",
    "~t.conf",
    "é.conf",
    ".hidden.conf",
    ".conf",
    "x.conf.dpkg-old",
    "README.sysctl",
    "40-c.con",
];

const KEYS: &[&str] = &[
    "kernel.sysrq",
    "vm.swappiness",
    "net.ipv4.ip_forward",
    "fs.suid_dumpable",
    "net.ipv4.conf.all.rp_filter",
];

/// A file body: assignments in the spellings systemd-sysctl accepts (spaces, tabs, the `-`
/// prefix), comments, blank lines, exclusions and junk it skips.
fn body(r: &mut Rng) -> String {
    let mut out = String::new();
    for _ in 0..r.below(7) {
        let k = r.pick(KEYS);
        let v = r.below(4);
        let line = match r.below(10) {
            0 => format!("{k}={v}"),
            1 => format!("  {k}\t=  {v}  "),
            2 => format!("-{k} = {v}"),
            3 => "# a comment".to_owned(),
            4 => "; another".to_owned(),
            5 => String::new(),
            6 => format!("-{k}"),
            7 => "not an assignment".to_owned(),
            _ => format!("{k} = {v}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Builds one random root; returns whether it holds a directory named `*.conf` (which
/// systemd-analyze cannot cat, and imagegate must not read as a file).
fn generate(r: &mut Rng, root: &std::path::Path) -> bool {
    use std::os::unix::fs::symlink;
    let mut conf_dir = false;
    // Identify the init system as a systemd image does.
    std::fs::create_dir_all(root.join("sbin")).unwrap();
    std::fs::create_dir_all(root.join("lib/systemd")).unwrap();
    std::fs::write(root.join("lib/systemd/systemd"), "").unwrap();
    symlink("/lib/systemd/systemd", root.join("sbin/init")).unwrap();
    let sysctl_conf = !r.one_in(4);
    if sysctl_conf {
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/sysctl.conf"), body(r)).unwrap();
    }
    for dir in sysctl::DIRS {
        if r.one_in(4) {
            continue;
        }
        let d = root.join(dir.trim_start_matches('/'));
        std::fs::create_dir_all(&d).unwrap();
        for _ in 0..r.below(6) {
            let p = d.join(r.pick(NAMES));
            if std::fs::symlink_metadata(&p).is_ok() {
                continue;
            }
            match r.below(20) {
                0 | 1 => std::fs::write(&p, "").unwrap(),
                2 | 3 => symlink("/dev/null", &p).unwrap(),
                4 if sysctl_conf => {
                    let up = "../".repeat(dir.matches('/').count());
                    symlink(format!("{up}etc/sysctl.conf"), &p).unwrap()
                }
                5 => {
                    // Not read: sysctl.d is not searched recursively.
                    std::fs::create_dir_all(d.join("sub")).unwrap();
                    std::fs::write(d.join("sub/10-a.conf"), body(r)).unwrap();
                }
                6 if r.one_in(8) => {
                    std::fs::create_dir_all(&p).unwrap();
                    conf_dir |= p.to_string_lossy().ends_with(".conf");
                }
                _ => std::fs::write(&p, body(r)).unwrap(),
            }
        }
    }
    // Debian's and the RHEL family's link, or none.
    let link = root.join("etc/sysctl.d/99-sysctl.conf");
    if sysctl_conf && r.one_in(2) && std::fs::symlink_metadata(&link).is_err() {
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        symlink("../sysctl.conf", &link).unwrap();
    }
    conf_dir
}

/// The oracle: cat-config's `# PATH` sections, in order, as in-image paths with their lines; and
/// the last assignment to each key over them (value, `path:line`).
type Oracle = (Vec<String>, BTreeMap<String, (String, String)>);

fn oracle(stdout: &str, root: &str) -> Oracle {
    let mut files = Vec::new();
    let mut values = BTreeMap::new();
    let mut line_no = 0;
    let header = format!("# {root}/");
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix(&header) {
            files.push(format!("/{rest}"));
            line_no = 0;
            continue;
        }
        line_no += 1;
        let Some(file) = files.last() else { continue };
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        if let Some((k, v)) = l.split_once('=') {
            let k = k.trim();
            let k = k.strip_prefix('-').unwrap_or(k).trim();
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            values.insert(k.to_owned(), (v, format!("{file}:{line_no}")));
        }
    }
    (files, values)
}

#[test]
fn persisted_values_match_systemd_analyze_cat_config_on_generated_roots() {
    let Some(bin) = systemd_analyze() else {
        eprintln!(
            "\n*** SKIPPED persisted_values_match_systemd_analyze_cat_config_on_generated_roots: no \
             systemd-analyze on this machine; install systemd (apt-get install systemd) to run the \
             sysctl.d differential test ***\n"
        );
        return;
    };
    // Live, /run/sysctl.d counts as it does for systemd-analyze; offline (an image, whose /run is
    // an empty tmpfs at boot) the same root must read as cat-config reads it without /run.
    let live = Context {
        live: true,
        as_of: "2026-11-01".parse().unwrap(),
        wanted: None,
    };
    let offline = Context {
        live: false,
        ..live.clone()
    };
    let (mut compared_keys, mut masked, mut overridden, mut conf_dirs, mut not_at_boot) = (0, 0, 0, 0, 0);
    let mut failures = Vec::new();
    for seed in 0..300u64 {
        let mut r = Rng::new(seed);
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let conf_dir = generate(&mut r, root);
        let cat_config = || {
            Command::new(bin)
                .arg("cat-config")
                .arg(format!("--root={}", root.display()))
                .arg("sysctl.d")
                .output()
                .unwrap()
        };
        let out = cat_config();
        let fs = RootFs::open(root).unwrap();
        let ours = sysctl::collect(&fs, &live, None);
        let ours_offline = sysctl::collect(&fs, &offline, None);
        let run = root.join("run");
        let out_offline = if run.exists() {
            std::fs::rename(&run, root.join("run.away")).unwrap();
            let out = cat_config();
            std::fs::rename(root.join("run.away"), &run).unwrap();
            out
        } else {
            out.clone()
        };
        for (mode, ours, out) in [("live", ours, out), ("offline", ours_offline, out_offline)] {
            if conf_dir && (ours.is_err() || !out.status.success()) {
                // A directory named *.conf that no file of the same name hides: systemd-sysctl
                // logs and skips it (and what it hides); imagegate refuses to guess, the fact is
                // an error, and cat-config fails as well.
                conf_dirs += 1;
                if ours.is_ok() || out.status.success() {
                    failures.push(format!(
                        "seed {seed} ({mode}): a directory named *.conf: imagegate ok={}, cat-config ok={}",
                        ours.is_ok(),
                        out.status.success()
                    ));
                }
                continue;
            }
            let ours = match ours {
                Ok(s) => s,
                Err(e) => {
                    failures.push(format!("seed {seed} ({mode}): imagegate failed: {e}"));
                    continue;
                }
            };
            if !out.status.success() {
                failures.push(format!(
                    "seed {seed} ({mode}): cat-config failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
                continue;
            }
            assert_eq!(ours.applied_by.program, sysctl::Program::SystemdSysctl, "seed {seed}");
            masked += ours.masks.len();
            overridden += ours.overridden.len();
            not_at_boot += ours.not_at_boot.len();
            let (files, values) = oracle(&String::from_utf8_lossy(&out.stdout), &root.display().to_string());
            if ours.files != files {
                failures.push(format!(
                    "seed {seed} ({mode}): files\n  imagegate  {:?}\n  cat-config {files:?}",
                    ours.files
                ));
            }
            for key in KEYS {
                let theirs = values.get(*key).cloned();
                let mine = match &ours.keys[*key].persisted {
                    Collected::Ok(v) => v.as_ref().map(|f| (f.value.clone(), f.source.to_string())),
                    Collected::Unavailable { unavailable } => Some(("error".into(), unavailable.reason.clone())),
                };
                compared_keys += 1;
                if mine != theirs {
                    failures.push(format!(
                        "seed {seed} ({mode}): {key}: imagegate {mine:?}, cat-config {theirs:?}"
                    ));
                }
            }
        }
    }
    eprintln!(
        "compared {compared_keys} keys over 300 generated roots with {bin} cat-config \
         ({masked} masks, {overridden} overridden files, {not_at_boot} image files in /run, \
         {conf_dirs} roots with a *.conf directory)"
    );
    assert!(
        masked > 50 && overridden > 50 && not_at_boot > 50 && conf_dirs > 0,
        "the generator lost its coverage"
    );
    assert!(
        failures.is_empty(),
        "{} disagreement(s) with systemd-analyze cat-config:\n{}",
        failures.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}
