//! The filesystem walk: offenders found, links never followed, loops and FIFOs harmless, any depth
//! with a bounded number of descriptors, the entry bound and unreadable directories turned into
//! errors — and the differential tests against `find -xdev`: generated trees, the live machine
//! (every local filesystem, as `df --local` lists them) and, as root, a root with proc, sysfs,
//! tmpfs and a bind mount mounted inside it.
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use crate::util::Rng;
use imagegate::facts::filesystem::walk::{WalkOptions, walk_offenders};
use imagegate::rootfs::RootFs;

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A small root: passwd/group naming root only, plus one of each kind of offender.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    // The test may run as any user: name the current uid/gid so that only the planted file is
    // unowned.
    let me = std::fs::metadata(r).unwrap();
    std::fs::write(
        r.join("etc/passwd"),
        format!("root:x:0:0::/root:/bin/sh\nme:x:{}:{}::/:/bin/sh\n", me.uid(), me.gid()),
    )
    .unwrap();
    std::fs::write(r.join("etc/group"), format!("root:x:0:\nme:x:{}:\n", me.gid())).unwrap();
    std::fs::create_dir_all(r.join("srv/data")).unwrap();
    std::fs::write(r.join("srv/data/open.txt"), "x").unwrap();
    chmod(&r.join("srv/data/open.txt"), 0o666);
    std::fs::create_dir_all(r.join("srv/drop")).unwrap();
    chmod(&r.join("srv/drop"), 0o777);
    std::fs::create_dir_all(r.join("tmp")).unwrap();
    chmod(&r.join("tmp"), 0o1777);
    std::fs::create_dir_all(r.join("usr/bin")).unwrap();
    std::fs::write(r.join("usr/bin/helper"), "#!/bin/sh\n").unwrap();
    chmod(&r.join("usr/bin/helper"), 0o4755);
    // A symlink loop, a link to a world-writable target outside the tree and a link to /.
    symlink("loop-b", r.join("srv/loop-a")).unwrap();
    symlink("loop-a", r.join("srv/loop-b")).unwrap();
    symlink("/", r.join("srv/root-link")).unwrap();
    symlink("/tmp", r.join("srv/host-tmp")).unwrap();
    nix::unistd::mkfifo(&r.join("srv/pipe"), nix::sys::stat::Mode::from_bits_truncate(0o666)).unwrap();
    // An offline root's /proc is hidden by the proc mounted over it at boot: not reported.
    std::fs::create_dir_all(r.join("proc/1")).unwrap();
    std::fs::write(r.join("proc/1/environ"), "x").unwrap();
    chmod(&r.join("proc/1/environ"), 0o666);
    // An unowned file needs chown, which only root may do.
    if me.uid() == 0 {
        std::fs::write(r.join("srv/orphan"), "x").unwrap();
        std::os::unix::fs::chown(r.join("srv/orphan"), Some(4242), Some(4242)).unwrap();
    }
    dir
}

fn running_as_root(p: &Path) -> bool {
    std::fs::metadata(p).unwrap().uid() == 0
}

fn paths(o: &imagegate::facts::filesystem::walk::Offenders) -> Vec<String> {
    o.items.iter().map(|i| i.path.clone()).collect()
}

#[test]
fn walk_finds_each_kind_of_offender_and_follows_no_link() {
    let dir = tree();
    let fs = RootFs::open(dir.path()).unwrap();
    let r = walk_offenders(&fs, &WalkOptions::default()).unwrap();
    assert_eq!(
        paths(&r.world_writable_files),
        ["/srv/data/open.txt"],
        "FIFOs, links and /proc are not files to report"
    );
    assert_eq!(paths(&r.world_writable_dirs_without_sticky), ["/srv/drop"]);
    assert_eq!(paths(&r.suid_sgid), ["/usr/bin/helper"]);
    if running_as_root(dir.path()) {
        assert_eq!(paths(&r.unowned), ["/srv/orphan"]);
        assert_eq!(paths(&r.ungrouped), ["/srv/orphan"]);
    }
    // The links to / and /tmp were not followed: the walk saw only the tree's own entries.
    assert!(
        r.entries.value < 40,
        "walked {} entries: a link was followed",
        r.entries.value
    );
    assert!(!r.world_writable_files.truncated);
    // What was covered, and why /proc was not.
    let cov = &r.coverage;
    assert_eq!(cov.walked.len(), 1);
    assert_eq!(cov.walked[0].mount_point, "/");
    assert_eq!(cov.skipped.len(), 1, "{:?}", cov.skipped);
    assert_eq!(cov.skipped[0].mount_point, "/proc");
    assert!(cov.skipped[0].reason.contains("mounts proc over it at boot"), "{cov:?}");
    let note = r.entries.source.note.as_deref().unwrap_or_default();
    assert!(
        note.contains("/proc (proc)") && note.contains("mount table: the host's"),
        "{note}"
    );
}

#[test]
fn walk_limit_is_an_error_not_a_pass() {
    let dir = tree();
    let fs = RootFs::open(dir.path()).unwrap();
    let opts = WalkOptions {
        max_entries: 5,
        ..WalkOptions::default()
    };
    let e = walk_offenders(&fs, &opts).unwrap_err().to_string();
    assert!(e.contains("walk stopped after 5 entries"), "{e}");
}

#[test]
fn walk_of_a_subtree_through_a_symlink_stays_in_the_root() {
    let dir = tree();
    let fs = RootFs::open(dir.path()).unwrap();
    // /srv/root-link points at "/", which inside the root is the root itself: clamped, not the host.
    let mut seen = Vec::new();
    fs.walk("/srv/root-link/etc", &Default::default(), |e| {
        seen.push(e.path());
        true
    })
    .unwrap();
    seen.sort();
    assert_eq!(seen, ["/etc", "/etc/group", "/etc/passwd"]);
}

/// A generated tree: directories up to 40 levels deep (so that a walk holding 2 or 3
/// descriptors must re-open its way back up), files with any mode (set-id, sticky,
/// world-writable), links to directories, to `/`, to nothing, and FIFOs.
fn generated(seed: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(seed | 1);
    let mut dirs = vec![dir.path().to_path_buf()];
    for i in 0..600 {
        let parent = if rng.below(3) == 0 {
            dirs.last().unwrap().clone()
        } else {
            dirs[rng.below(dirs.len())].clone()
        };
        if parent.components().count() - dir.path().components().count() >= 40 {
            continue;
        }
        let p = parent.join(format!("e{i}"));
        match rng.below(10) {
            0..=2 => {
                std::fs::create_dir(&p).unwrap();
                chmod(&p, [0o755, 0o777, 0o1777, 0o700, 0o2775][rng.below(5)]);
                dirs.push(p);
            }
            3..=7 => {
                std::fs::write(&p, "x").unwrap();
                chmod(&p, (rng.below(0o10000) as u32) | 0o400);
            }
            8 => {
                let target = ["/", "..", "../..", "nowhere", "/etc"][rng.below(5)];
                symlink(target, &p).unwrap();
            }
            _ => nix::unistd::mkfifo(&p, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap(),
        }
    }
    dir
}

/// `find ROOT -xdev -printf …` as (in-image path, kind letter, mode bits).
fn find_entries(root: &Path) -> BTreeSet<(String, String, u32)> {
    let out = Command::new("find")
        .arg(root)
        .args(["-xdev", "-printf", "%P\\t%y\\t%m\\n"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                format!("/{}", f[0]),
                f[1].to_owned(),
                u32::from_str_radix(f[2], 8).unwrap(),
            )
        })
        .collect()
}

#[test]
fn generated_trees_are_walked_like_find_whatever_the_descriptor_budget() {
    use imagegate::rootfs::Kind;
    for seed in [1u64, 7, 42, 1234, 99_991] {
        let dir = generated(seed);
        let fs = RootFs::open(dir.path()).unwrap();
        let want = find_entries(dir.path());
        for max_open_dirs in [2, 3, 64] {
            let opts = imagegate::rootfs::WalkOptions {
                max_open_dirs,
                ..Default::default()
            };
            let mut got = BTreeSet::new();
            fs.walk("/", &opts, |e| {
                let y = match e.meta.kind {
                    Kind::File => "f",
                    Kind::Directory => "d",
                    Kind::Symlink => "l",
                    Kind::Fifo => "p",
                    Kind::Socket => "s",
                    Kind::CharDevice => "c",
                    Kind::BlockDevice => "b",
                };
                let p = e.path();
                // find prints the start as "" (%P).
                got.insert((if p == "/" { "/".into() } else { p }, y.to_owned(), e.meta.mode));
                true
            })
            .unwrap();
            assert_eq!(
                got.len(),
                want.len(),
                "seed {seed}, {max_open_dirs} descriptors: {} entries, find {}",
                got.len(),
                want.len()
            );
            assert_eq!(got, want, "seed {seed}, {max_open_dirs} descriptors");
        }
    }
}

/// Builds a chain of `depth` nested directories with a set-uid file at the bottom, through
/// directory descriptors (the path is longer than PATH_MAX).
fn deep_chain(root: &Path, depth: usize) {
    use nix::fcntl::{OFlag, openat};
    use nix::sys::stat::{Mode, mkdirat};
    let mut fd = nix::fcntl::open(root, OFlag::O_DIRECTORY | OFlag::O_RDONLY, Mode::empty()).unwrap();
    for _ in 0..depth {
        mkdirat(&fd, "d", Mode::from_bits_truncate(0o755)).unwrap();
        fd = openat(&fd, "d", OFlag::O_DIRECTORY | OFlag::O_RDONLY, Mode::empty()).unwrap();
    }
    let f = openat(
        &fd,
        "deep-helper",
        OFlag::O_CREAT | OFlag::O_WRONLY,
        Mode::from_bits_truncate(0o755),
    )
    .unwrap();
    nix::sys::stat::fchmod(&f, Mode::from_bits_truncate(0o4755)).unwrap();
}

/// 3000 levels (a path of 6000 bytes) under a limit of 100 open files: the walk holds at most 64
/// directory descriptors, re-opening its way back up, and finds the set-uid file at the bottom.
#[test]
fn a_deep_tree_is_walked_with_a_bounded_number_of_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    std::fs::write(dir.path().join("etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\n").unwrap();
    std::fs::write(dir.path().join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
    deep_chain(dir.path(), 3000);
    let out = Command::new("prlimit")
        .arg("--nofile=100")
        .arg(env!("CARGO_BIN_EXE_imagegate"))
        .args(["facts", "--root", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let walk = &v["filesystem"]["walk"];
    let items = walk["suid_sgid"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{walk}"));
    assert_eq!(items.len(), 1, "{walk}");
    let path = items[0]["path"].as_str().unwrap();
    assert_eq!(path, format!("{}/deep-helper", "/d".repeat(3000)));
    // The root, /etc and its two files, 3000 directories and the file.
    assert_eq!(walk["entries"]["value"], 4 + 3000 + 1);
}

/// A directory the scanning user may not read stops the walk: the walk rules are errors naming
/// it, never a pass on what was seen before it.
#[test]
fn an_unreadable_directory_makes_the_walk_rules_errors() {
    if !crate::hostile::is_root() {
        eprintln!("skipped: needs root to drop to nobody with setpriv");
        return;
    }
    let outer = tempfile::tempdir().unwrap();
    chmod(outer.path(), 0o755);
    let root = outer.path().join("root");
    crate::util::copy_tree(&crate::util::repo().join("fixtures/roots/debian12"), &root);
    std::fs::create_dir_all(root.join("srv/secret")).unwrap();
    std::fs::write(root.join("srv/secret/tool"), "x").unwrap();
    crate::hostile::real_modes(&root);
    chmod(&root.join("srv/secret"), 0o700);
    chmod(&root.join("srv/secret/tool"), 0o4755);
    let bin = crate::hostile::binary_for_nobody(outer.path());
    let rules = [
        "filesystem.setid-files-reviewed",
        "filesystem.no-world-writable-files",
        "filesystem.world-writable-dirs-sticky",
        "filesystem.no-unowned-files",
        "filesystem.no-ungrouped-files",
    ];
    let mut args = vec![
        "scan",
        "--root",
        root.to_str().unwrap(),
        "--profile",
        "cis-l1-server",
        "--format",
        "json",
    ];
    for r in rules {
        args.extend(["--only", r]);
    }
    let out = crate::hostile::as_nobody(&bin, &args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), rules.len());
    for f in findings {
        assert_eq!(f["status"], "error", "{f}");
        let reason = f["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("walk stopped") && reason.contains("/srv/secret") && reason.contains("permission denied"),
            "{reason}"
        );
    }
}

/// What the walk reported, from `imagegate facts` JSON.
struct Reported {
    entries: u64,
    walked: BTreeMap<String, String>,
    skipped: BTreeMap<String, String>,
    setid: BTreeSet<String>,
    world_writable: BTreeSet<String>,
    ww_dirs: BTreeSet<String>,
    unowned: BTreeSet<String>,
}

fn reported(facts: &serde_json::Value) -> Reported {
    let w = &facts["filesystem"]["walk"];
    assert!(w["entries"]["value"].is_u64(), "the walk failed: {w}");
    let list = |k: &str| -> BTreeSet<String> {
        assert_eq!(w[k]["truncated"], false, "{k} truncated");
        w[k]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["path"].as_str().unwrap().to_owned())
            .collect()
    };
    let mounts = |k: &str| -> BTreeMap<String, String> {
        w["coverage"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["mount_point"].as_str().unwrap().to_owned(),
                    m["fstype"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    Reported {
        entries: w["entries"]["value"].as_u64().unwrap(),
        walked: mounts("walked"),
        skipped: mounts("skipped"),
        setid: list("suid_sgid"),
        world_writable: list("world_writable_files"),
        ww_dirs: list("world_writable_dirs_without_sticky"),
        unowned: list("unowned"),
    }
}

/// One line of `find -printf '%p\t%y\t%m\t%U\n'`.
struct Found {
    path: String,
    kind: char,
    mode: u32,
    uid: u32,
}

fn parse_find(text: &str, strip: &str) -> Vec<Found> {
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let rest = f[0].strip_prefix(strip).unwrap_or(f[0]);
            Found {
                path: if rest.is_empty() { "/".into() } else { rest.to_owned() },
                kind: f[1].chars().next().unwrap(),
                mode: u32::from_str_radix(f[2], 8).unwrap(),
                uid: f[3].parse().unwrap(),
            }
        })
        .collect()
}

/// Set-id and world-writable files of `find` output.
fn setid(found: &[Found]) -> BTreeSet<String> {
    found
        .iter()
        .filter(|f| f.kind == 'f' && f.mode & 0o6000 != 0)
        .map(|f| f.path.clone())
        .collect()
}
fn world_writable(found: &[Found]) -> BTreeSet<String> {
    found
        .iter()
        .filter(|f| f.kind == 'f' && f.mode & 0o002 != 0)
        .map(|f| f.path.clone())
        .collect()
}

/// The local filesystems `df --local` lists, as CIS's audit takes them, less those the walk
/// leaves out by design: tmpfs under /run and /dev (runtime state) and anything mounted under a
/// pseudo filesystem's mount point (/sys/fs/cgroup: /sys itself is not walked).
fn df_local() -> Option<BTreeMap<String, String>> {
    let out = Command::new("df")
        .args(["--local", "--output=target,fstype"])
        .output()
        .ok()?;
    let pseudo: Vec<String> = std::fs::read_to_string("/proc/self/mountinfo")
        .ok()?
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let dash = f.iter().position(|x| *x == "-")?;
            matches!(f.get(dash + 1), Some(&"proc" | &"sysfs" | &"devtmpfs")).then(|| f[4].to_owned())
        })
        .collect();
    let under = |p: &str, d: &str| p == d || p.starts_with(&format!("{}/", d.trim_end_matches('/')));
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip(1)
            .filter_map(|l| {
                let (t, ty) = l.trim().rsplit_once(' ')?;
                Some((t.trim().to_owned(), ty.to_owned()))
            })
            .filter(|(t, ty)| !(matches!(ty.as_str(), "tmpfs" | "devtmpfs") && (under(t, "/run") || under(t, "/dev"))))
            .filter(|(t, _)| !pseudo.iter().any(|p| p != "/" && under(t, p)))
            .collect(),
    )
}

fn find_on(mount_points: &[&str]) -> Vec<Found> {
    let mut all = Vec::new();
    for m in mount_points {
        let out = Command::new("find")
            .arg(m)
            .args(["-xdev", "-printf", "%p\\t%y\\t%m\\t%U\\n"])
            .output()
            .unwrap();
        // Files vanish under a live walk: find says so and exits 1; what it printed stands.
        all.extend(parse_find(&String::from_utf8_lossy(&out.stdout), ""));
    }
    all
}

/// The live machine: the filesystems walked are those `df --local` lists (less runtime tmpfs), and
/// the set-id and world-writable files are those `find -xdev` finds on each. The machine changes
/// while the test runs (other tests create set-id and world-writable files in temporary
/// directories), so find runs before and after the scan: what both saw must be reported, and
/// what is reported must have been seen by one of them; the temporary directories themselves,
/// where files come and go within a walk, are left out of the comparison.
#[test]
fn live_walk_agrees_with_find_on_every_local_filesystem() {
    let Some(df) = df_local() else {
        eprintln!("skipped: df --local or /proc/self/mountinfo is not available");
        return;
    };
    let targets: Vec<&str> = df.keys().map(String::as_str).collect();
    let before = find_on(&targets);
    // In process: the walk `imagegate scan` runs on a live system, without the other facts.
    let fs = RootFs::open(Path::new("/")).unwrap();
    let opts = WalkOptions {
        live: true,
        ..WalkOptions::default()
    };
    let walk = walk_offenders(&fs, &opts).unwrap_or_else(|e| panic!("the live walk failed: {e}"));
    let after = find_on(&targets);
    let r = reported(&serde_json::json!({ "filesystem": { "walk": walk } }));
    assert_eq!(
        r.walked.keys().collect::<BTreeSet<_>>(),
        df.keys().collect::<BTreeSet<_>>(),
        "filesystems walked (left) against df --local (right)"
    );
    for p in ["/proc", "/sys"] {
        assert!(
            r.skipped.contains_key(p),
            "{p} not reported as skipped: {:?}",
            r.skipped
        );
    }
    let tmp = std::env::temp_dir();
    let volatile = |p: &String| {
        ["/tmp", "/var/tmp", tmp.to_str().unwrap_or("/tmp")]
            .iter()
            .any(|t| p == t || p.starts_with(&format!("{}/", t.trim_end_matches('/'))))
    };
    for (what, got, b, a) in [
        ("set-id files", &r.setid, setid(&before), setid(&after)),
        (
            "world-writable files",
            &r.world_writable,
            world_writable(&before),
            world_writable(&after),
        ),
    ] {
        let got: BTreeSet<&String> = got.iter().filter(|p| !volatile(p)).collect();
        let both: BTreeSet<&String> = b.intersection(&a).filter(|p| !volatile(p)).collect();
        let either: BTreeSet<&String> = b.union(&a).collect();
        let missed: Vec<_> = both.difference(&got).collect();
        assert!(missed.is_empty(), "{what} find saw and the walk did not: {missed:?}");
        let extra: Vec<_> = got.iter().filter(|p| !either.contains(**p)).collect();
        assert!(
            extra.is_empty(),
            "{what} the walk reported and find never saw: {extra:?}"
        );
    }
    assert!(!r.setid.is_empty(), "a Debian system has set-id programs (passwd, su)");
}

/// As root, in a private mount namespace: a root directory that is itself a tmpfs, with proc,
/// sysfs and a tmpfs mounted at its /proc, /sys and /run (a chroot build root), a second tmpfs at
/// /srv/scratch and a directory of the host's own filesystem bind-mounted at /srv/data, each with
/// set-id, world-writable and unowned files. The walk must cover exactly the three local
/// filesystems and agree with `find -xdev` run on each: entries, set-id, world-writable, unowned.
#[test]
fn a_root_with_filesystems_mounted_inside_is_walked_like_find_on_each_local_one() {
    if !crate::hostile::is_root() {
        eprintln!("skipped: mounting inside a root needs root");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    let data = work.path().join("data");
    let out = work.path().join("out");
    for d in [&root, &data, &out] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(data.join("tool"), "x").unwrap();
    chmod(&data.join("tool"), 0o2755);
    std::fs::write(data.join("open"), "x").unwrap();
    chmod(&data.join("open"), 0o666);
    let script = r#"
set -eu
R=$1; DATA=$2; OUT=$3; BIN=$4
mount -t tmpfs -o mode=0755 imagegate-test-root "$R"
mkdir -p "$R/etc" "$R/usr/bin" "$R/proc" "$R/sys" "$R/run" "$R/dev" "$R/srv/data" "$R/srv/scratch" "$R/tmp"
printf 'ID=debian\nVERSION_ID="12"\n' > "$R/etc/os-release"
printf 'root:x:0:0::/root:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\n' > "$R/etc/group"
echo x > "$R/usr/bin/passwd"; chmod 4755 "$R/usr/bin/passwd"
echo x > "$R/etc/open"; chmod 0666 "$R/etc/open"
chmod 1777 "$R/tmp"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount -t tmpfs run "$R/run"
echo x > "$R/run/hidden"; chmod 4755 "$R/run/hidden"
mount -t tmpfs scratch "$R/srv/scratch"
echo x > "$R/srv/scratch/tool"; chmod 4711 "$R/srv/scratch/tool"
echo x > "$R/srv/scratch/orphan"; chown 4242:4242 "$R/srv/scratch/orphan"; chmod 0646 "$R/srv/scratch/orphan"
mkdir "$R/srv/scratch/drop"; chmod 0777 "$R/srv/scratch/drop"
mount --bind "$DATA" "$R/srv/data"
"$BIN" facts --root "$R" > "$OUT/facts.json"
"$BIN" scan --root "$R" --profile cis-l1-server --format json > "$OUT/scan.json" || true
NO_COLOR=1 "$BIN" scan --root "$R" --profile cis-l1-server --format text > "$OUT/scan.txt" || true
for m in "$R" "$R/srv/scratch" "$R/srv/data"; do find "$m" -xdev -printf '%p\t%y\t%m\t%U\n'; done > "$OUT/find.txt"
"#;
    let run = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", script, "sh"])
        .args([&root, &data, &out])
        .arg(env!("CARGO_BIN_EXE_imagegate"))
        .output()
        .unwrap();
    if !run.status.success() {
        let err = String::from_utf8_lossy(&run.stderr);
        if err.contains("unshare failed") || (err.contains("mount: ") && err.contains("permission denied")) {
            eprintln!("skipped: this machine does not let the tests mount in a private namespace: {err}");
            return;
        }
        panic!("{err}");
    }
    let facts: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("facts.json")).unwrap()).unwrap();
    let r = reported(&facts);
    let root_s = root.to_str().unwrap();
    let found = parse_find(&std::fs::read_to_string(out.join("find.txt")).unwrap(), root_s);
    // The three local filesystems, and the mount points left out with their types.
    assert_eq!(
        r.walked,
        BTreeMap::from([
            ("/".to_owned(), "tmpfs".to_owned()),
            (
                "/srv/data".to_owned(),
                r.walked.get("/srv/data").cloned().unwrap_or_default()
            ),
            ("/srv/scratch".to_owned(), "tmpfs".to_owned()),
        ])
    );
    assert_eq!(
        r.skipped,
        BTreeMap::from([
            ("/dev".to_owned(), "devtmpfs".to_owned()),
            ("/proc".to_owned(), "proc".to_owned()),
            ("/run".to_owned(), "tmpfs".to_owned()),
            ("/sys".to_owned(), "sysfs".to_owned()),
        ])
    );
    // find lists each walked mount point twice (in its parent, and as the start of its own walk).
    let unique: BTreeSet<&str> = found.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        r.entries,
        unique.len() as u64,
        "entries against find -xdev on each local filesystem"
    );
    assert_eq!(
        r.setid,
        setid(&found),
        "set-id files (/run/hidden is on the runtime tmpfs)"
    );
    assert!(r.setid.contains("/srv/scratch/tool") && r.setid.contains("/srv/data/tool"));
    assert_eq!(r.world_writable, world_writable(&found));
    let ww_dirs: BTreeSet<String> = found
        .iter()
        .filter(|f| f.kind == 'd' && f.mode & 0o002 != 0 && f.mode & 0o1000 == 0)
        .map(|f| f.path.clone())
        .collect();
    assert_eq!(r.ww_dirs, ww_dirs);
    let unowned: BTreeSet<String> = found.iter().filter(|f| f.uid != 0).map(|f| f.path.clone()).collect();
    assert_eq!(r.unowned, unowned);
    // The report itself says what is mounted inside the root, and which mounts the walk entered
    // (the host directory bind-mounted at /srv/data is read as part of the image).
    let scan: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("scan.json")).unwrap()).unwrap();
    for mounts in [&facts["target"]["mounts"], &scan["target"]["mounts"]] {
        let got: BTreeMap<String, (String, bool)> = mounts
            .as_array()
            .unwrap_or_else(|| panic!("no target.mounts: {mounts}"))
            .iter()
            .map(|m| {
                (
                    m["mount_point"].as_str().unwrap().to_owned(),
                    (m["fstype"].as_str().unwrap().to_owned(), m["walked"].as_bool().unwrap()),
                )
            })
            .collect();
        assert_eq!(
            got,
            BTreeMap::from([
                ("/proc".to_owned(), ("proc".to_owned(), false)),
                ("/run".to_owned(), ("tmpfs".to_owned(), false)),
                ("/srv/data".to_owned(), (r.walked["/srv/data"].clone(), true)),
                ("/srv/scratch".to_owned(), ("tmpfs".to_owned(), true)),
                ("/sys".to_owned(), ("sysfs".to_owned(), false)),
            ]),
            "{mounts}"
        );
    }
    // The text report's header says it too, for a reader who never opens the JSON.
    let text = std::fs::read_to_string(out.join("scan.txt")).unwrap();
    let header: String = text
        .lines()
        .take_while(|l| !l.is_empty())
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ");
    for want in [
        "mounted inside the root",
        "/srv/data",
        "(walked)",
        "/proc proc (not walked",
    ] {
        assert!(header.contains(want), "text header lacks {want:?}:\n{header}");
    }
}
