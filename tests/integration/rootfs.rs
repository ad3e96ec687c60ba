//! Root confinement, built at test time: whatever the image contains, reads stay inside it and
//! hostile file types are refused, with both resolvers.
use std::os::unix::fs::symlink;

use imagegate::rootfs::{Resolver, RootFs, RootFsError};

const MARKER: &str = "HOST-SECRET-MARKER-7f3a";

/// A root with escape attempts, and a marker file just outside it.
fn hostile() -> (tempfile::TempDir, std::path::PathBuf) {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    std::fs::create_dir_all(root.join("etc/ssh")).unwrap();
    std::fs::write(outer.path().join("secret"), MARKER).unwrap();
    std::fs::write(root.join("secret"), "inside").unwrap();
    symlink("../secret", root.join("etc/rel-escape")).unwrap();
    symlink("../../../../../../secret", root.join("etc/deep-escape")).unwrap();
    symlink(outer.path().join("secret"), root.join("etc/abs-escape")).unwrap();
    symlink("/secret", root.join("etc/abs-inside")).unwrap();
    symlink("loop-b", root.join("etc/loop-a")).unwrap();
    symlink("loop-a", root.join("etc/loop-b")).unwrap();
    symlink("/etc", root.join("etc/ssh/etc-link")).unwrap();
    nix::unistd::mkfifo(&root.join("etc/fifo"), nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    let _ = std::os::unix::net::UnixListener::bind(root.join("etc/socket"));
    symlink("/dev/zero", root.join("etc/zero")).unwrap();
    (outer, root)
}

#[test]
fn symlinks_resolve_inside_the_root_with_both_resolvers() {
    let (_outer, root) = hostile();
    for resolver in [Resolver::Kernel, Resolver::Userspace] {
        let fs = RootFs::open_with(&root, resolver).unwrap();
        for p in [
            "/etc/rel-escape",
            "/etc/deep-escape",
            "/etc/abs-inside",
            "/../../secret",
            "/etc/ssh/etc-link/../secret",
        ] {
            let text = fs
                .read_text(p)
                .unwrap()
                .unwrap_or_else(|| panic!("{resolver:?} {p}: absent"));
            assert_eq!(text, "inside", "{resolver:?} {p}");
        }
        // An absolute link to the host path is re-rooted: it names a path that does not exist inside.
        assert!(fs.read_text("/etc/abs-escape").unwrap().is_none(), "{resolver:?}");
        assert!(
            matches!(fs.read_text("/etc/loop-a"), Err(RootFsError::SymlinkLoop { .. })),
            "{resolver:?}"
        );
    }
}

#[test]
fn fifos_sockets_and_devices_are_refused_without_blocking() {
    let (_outer, root) = hostile();
    for resolver in [Resolver::Kernel, Resolver::Userspace] {
        let fs = RootFs::open_with(&root, resolver).unwrap();
        for p in ["/etc/fifo", "/etc/socket", "/etc/ssh"] {
            let e = fs.read_text(p).unwrap_err();
            assert!(matches!(e, RootFsError::WrongKind { .. }), "{resolver:?} {p}: {e}");
        }
        // /dev/zero is not in the root: the link resolves inside it, to nothing.
        assert!(fs.read_text("/etc/zero").unwrap().is_none());
    }
}

#[test]
fn reads_are_bounded_and_binary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(dir.path().join("sparse")).unwrap();
    f.set_len(1 << 30).unwrap();
    std::fs::write(dir.path().join("nul"), b"Port 22\0\n").unwrap();
    std::fs::write(dir.path().join("bom"), b"\xef\xbb\xbfPort 22\n").unwrap();
    let fs = RootFs::open(dir.path()).unwrap();
    assert!(matches!(fs.read_text("/sparse"), Err(RootFsError::TooLarge { .. })));
    assert!(matches!(
        fs.read_text("/nul"),
        Err(RootFsError::Binary { offset: 7, .. })
    ));
    assert!(matches!(fs.read_text("/bom"), Err(RootFsError::ByteOrderMark { .. })));
    // Bytes are bytes: only text reads care.
    assert_eq!(fs.read_bytes_limited("/bom", 64).unwrap().unwrap().len(), 11);
}

#[test]
fn glob_is_sorted_bytewise_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("etc/ssh/sshd_config.d");
    std::fs::create_dir_all(&d).unwrap();
    for n in [
        "b.conf",
        "B.conf",
        "10-x.conf",
        "9-y.conf",
        ".hidden.conf",
        "a.conf.bak",
    ] {
        std::fs::write(d.join(n), "").unwrap();
    }
    let fs = RootFs::open(dir.path()).unwrap();
    let got = fs.glob("/etc/ssh/sshd_config.d/*.conf").unwrap();
    let names: Vec<&str> = got.iter().map(|p| p.rsplit('/').next().unwrap()).collect();
    assert_eq!(names, ["10-x.conf", "9-y.conf", "B.conf", "b.conf"]);
    let many = dir.path().join("many");
    std::fs::create_dir_all(&many).unwrap();
    for i in 0..(imagegate::rootfs::GLOB_LIMIT + 1) {
        std::fs::write(many.join(format!("{i}.conf")), "").unwrap();
    }
    assert!(matches!(
        fs.glob("/many/*.conf"),
        Err(RootFsError::TooManyMatches { .. })
    ));
}

#[test]
fn no_output_ever_contains_the_host_marker() {
    let (_outer, root) = hostile();
    // Point every file imagegate reads at the escape links.
    for p in ["etc/os-release", "etc/passwd", "etc/shadow", "etc/ssh/sshd_config"] {
        let _ = std::fs::remove_file(root.join(p));
        let _ = symlink("../../../../secret", root.join(p));
    }
    let out = crate::util::imagegate(&["facts", "--root", root.to_str().unwrap()]);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(MARKER), "the host marker leaked: {all}");
}

/// openat2(RESOLVE_IN_ROOT) answers EAGAIN to a resolution through `..` (Debian's
/// /etc/os-release → ../usr/lib/os-release) while anything on the machine renames a file: 200
/// scans of a fixture root and 200 live scans, with a rename loop running, end without an error.
#[test]
fn scans_do_not_fail_while_files_are_renamed_elsewhere() {
    let root = crate::util::fixture_copy("debian12");
    let link = std::fs::read_link(root.path().join("etc/os-release")).unwrap();
    assert_eq!(link, std::path::Path::new("../usr/lib/os-release"));
    let root = root.path().to_str().unwrap().to_owned();
    let renames = crate::util::RenameLoop::start();
    let offline = [
        "scan",
        "--root",
        &root,
        "--only",
        "os.image-identified",
        "--format",
        "json",
    ];
    let live = ["scan", "--only", "os.image-identified", "--format", "json"];
    let mut errors = Vec::new();
    for args in [&offline[..], &live[..]] {
        for i in 0..200 {
            let out = crate::util::imagegate(args);
            if !matches!(out.status.code(), Some(0 | 1)) {
                errors.push(format!(
                    "{args:?} run {i}: {:?}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    assert!(renames.stop() > 0, "the rename loop did not run");
    assert!(
        errors.is_empty(),
        "{} of 400 scans failed:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[test]
fn read_head_reads_a_prefix_of_any_size_and_stays_confined() {
    let (_outer, root) = hostile();
    let f = std::fs::File::create(root.join("huge")).unwrap();
    f.set_len(8 << 30).unwrap();
    std::fs::write(root.join("short"), b"ClamAV-VDB:x").unwrap();
    for resolver in [Resolver::Kernel, Resolver::Userspace] {
        let fs = RootFs::open_with(&root, resolver).unwrap();
        // A file far over every read bound: only the head is read.
        assert_eq!(fs.read_head("/huge", 512).unwrap().unwrap(), vec![0u8; 512]);
        assert_eq!(fs.read_head("/short", 512).unwrap().unwrap(), b"ClamAV-VDB:x");
        assert!(fs.read_head("/absent", 512).unwrap().is_none());
        for p in ["/etc/rel-escape", "/etc/deep-escape", "/etc/abs-escape"] {
            assert_ne!(
                fs.read_head(p, 64).unwrap().as_deref(),
                Some(MARKER.as_bytes()),
                "{resolver:?} {p}"
            );
        }
        let e = fs.read_head("/etc/fifo", 64).unwrap_err();
        assert!(matches!(e, RootFsError::WrongKind { .. }), "{resolver:?}: {e}");
    }
}
