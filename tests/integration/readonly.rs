//! Read-only, proven: a manifest (path, type, mode, owner, size, mtime, content hash) of every
//! fixture root and of the live machine's files a scan reads is identical before and after
//! `scan` with every profile and `facts`; the only file a scan creates is the report it was asked
//! to write, and its working directory stays empty.
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use crate::hostile::bounded;
use crate::util::{AS_OF, fixture_copy, root_names};

/// A hang guard, not a timing: a live supply-chain scan hashes every package file of the machine
/// with the debug build (12 s of CPU here), and a loaded 2-core CI machine stretches that several
/// times over.
const LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

/// One manifest line: type, mode, uid, gid, size, mtime (s, ns), content hash (or link target).
type Line = (char, u32, u32, u32, u64, i64, i64, u64);

fn line(p: &Path) -> Option<Line> {
    let m = std::fs::symlink_metadata(p).ok()?;
    let ft = m.file_type();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let kind = if ft.is_symlink() {
        std::fs::read_link(p).ok()?.hash(&mut h);
        'l'
    } else if ft.is_dir() {
        'd'
    } else if ft.is_file() {
        // Unreadable content (a race with the system, or /proc-like files) hashes as absent.
        std::fs::read(p).ok().hash(&mut h);
        'f'
    } else {
        'o'
    };
    Some((
        kind,
        m.mode(),
        m.uid(),
        m.gid(),
        m.size(),
        m.mtime(),
        m.mtime_nsec(),
        h.finish(),
    ))
}

/// Every path under `root` (not following links).
fn tree(root: &Path) -> BTreeMap<String, Line> {
    walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.path().display().to_string(), line(e.path())?)))
        .collect()
}

fn assert_same(what: &str, before: &BTreeMap<String, Line>, after: &BTreeMap<String, Line>) {
    for (p, l) in before {
        assert_eq!(Some(l), after.get(p), "{what}: {p} changed");
    }
    for p in after.keys() {
        assert!(before.contains_key(p), "{what}: {p} appeared");
    }
}

fn profiles() -> Vec<String> {
    let out = crate::util::imagegate(&["rules", "list"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("profile "))
        .filter_map(|l| l.split(':').next())
        .map(str::to_owned)
        .collect()
}

fn run_in(cwd: &Path, args: &[&str], what: &str) -> crate::hostile::Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_imagegate"));
    c.args(args).current_dir(cwd);
    let r = bounded(c, LIMIT, what);
    assert!(matches!(r.code, Some(0..=2)), "{what}: exit {:?}: {}", r.code, r.stderr);
    r
}

#[test]
fn scans_leave_every_fixture_root_untouched() {
    let profiles = profiles();
    assert!(profiles.len() >= 2, "profiles: {profiles:?}");
    for name in root_names() {
        let dir = fixture_copy(&name);
        let root = dir.path().to_str().unwrap();
        let cwd = tempfile::tempdir().unwrap();
        let reports = tempfile::tempdir().unwrap();
        let before = tree(dir.path());
        for p in &profiles {
            let report = reports.path().join(format!("{p}.json"));
            let spec = format!("json={}", report.display());
            run_in(
                cwd.path(),
                &[
                    "scan",
                    "--root",
                    root,
                    "--as-of",
                    AS_OF,
                    "--profile",
                    p,
                    "--report",
                    &spec,
                ],
                &format!("{name} {p}"),
            );
            assert!(report.is_file(), "{name} {p}: the asked-for report is missing");
        }
        for sub in ["facts", "inputs", "sshd-config"] {
            run_in(
                cwd.path(),
                &[sub, "--root", root, "--as-of", AS_OF],
                &format!("{name} {sub}"),
            );
        }
        assert_same(&name, &before, &tree(dir.path()));
        // Nothing written anywhere else we can see: the working directory stays empty, and the
        // report directory holds exactly the reports asked for.
        assert_eq!(
            std::fs::read_dir(cwd.path()).unwrap().count(),
            0,
            "{name}: wrote into the cwd"
        );
        assert_eq!(
            std::fs::read_dir(reports.path()).unwrap().count(),
            profiles.len(),
            "{name}: unexpected files next to the reports"
        );
    }
}

#[test]
fn a_live_scan_leaves_the_files_it_reads_untouched() {
    let cwd = tempfile::tempdir().unwrap();
    let inputs = run_in(cwd.path(), &["inputs"], "live inputs");
    // The configuration a scan reads. Left out: kernel interfaces (/proc, /sys: counters change on
    // their own) and home directories, /tmp and /var/log (read by the capture checks, written by
    // every other process on a shared build machine while the test runs).
    let files: Vec<String> = inputs
        .stdout
        .lines()
        .filter(|p| {
            ["/etc/", "/usr/", "/lib/", "/boot/", "/var/lib/"]
                .iter()
                .any(|d| p.starts_with(d))
        })
        .map(str::to_owned)
        .collect();
    assert!(!files.is_empty(), "a live scan reads no file");
    let manifest = |files: &[String]| -> BTreeMap<String, Line> {
        let mut m = BTreeMap::new();
        for f in files {
            // The file itself and every directory above it.
            let mut p = Some(Path::new(f));
            while let Some(q) = p {
                if let Some(l) = line(q) {
                    m.insert(q.display().to_string(), l);
                }
                p = q.parent();
            }
        }
        // A live system's own directories change under us (/var/log, /tmp, /run, /): compare
        // the files and their immediate configuration directories only.
        m.retain(|p, l| l.0 != 'd' || p.starts_with("/etc/"));
        m
    };
    let before = manifest(&files);
    for p in profiles() {
        run_in(
            cwd.path(),
            &["scan", "--profile", &p, "--format", "json"],
            &format!("live {p}"),
        );
    }
    run_in(cwd.path(), &["facts"], "live facts");
    let after = manifest(&files);
    assert_same("live", &before, &after);
    assert_eq!(
        std::fs::read_dir(cwd.path()).unwrap().count(),
        0,
        "live: wrote into the cwd"
    );
}
