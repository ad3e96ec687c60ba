//! The filesystem walk over a generated tree: offenders found, links never followed, loops and
//! FIFOs harmless, the entry bound turned into an error.
use std::os::unix::fs::{PermissionsExt, symlink};

use imagegate::facts::filesystem::walk::{WalkOptions, walk_offenders};
use imagegate::rootfs::RootFs;

fn chmod(p: &std::path::Path, mode: u32) {
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
    use std::os::unix::fs::MetadataExt;
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
    // Skipped directories: /proc contents must not be reported.
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

fn running_as_root(p: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).unwrap().uid() == 0
}

#[test]
fn walk_finds_each_kind_of_offender_and_follows_no_link() {
    let dir = tree();
    let fs = RootFs::open(dir.path()).unwrap();
    let r = walk_offenders(&fs, &WalkOptions::default()).unwrap();
    let paths =
        |o: &imagegate::facts::filesystem::walk::Offenders| o.items.iter().map(|i| i.path.clone()).collect::<Vec<_>>();
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
    assert!(r.entries < 40, "walked {} entries: a link was followed", r.entries);
    assert!(!r.world_writable_files.truncated);
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
    fs.walk("/srv/root-link/etc", &WalkOptions::default(), |e| seen.push(e.path()))
        .unwrap();
    assert_eq!(seen, ["/etc", "/etc/group", "/etc/passwd"]);
}
