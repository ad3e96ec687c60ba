//! Roots for unit tests, written into temporary directories.
#![allow(clippy::disallowed_methods)]

use crate::rootfs::RootFs;

/// A root from `(path, content)` pairs; content `-> TARGET` makes a symlink, a path ending in
/// `/` a directory.
pub fn tree(entries: &[(&str, &str)]) -> (tempfile::TempDir, RootFs) {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (p, c) in entries {
        let host = dir.path().join(p.trim_start_matches('/'));
        if p.ends_with('/') {
            std::fs::create_dir_all(&host).expect("directory in the test root");
            continue;
        }
        std::fs::create_dir_all(host.parent().expect("a path in the root has a parent"))
            .expect("parent directory in the test root");
        match c.strip_prefix("-> ") {
            Some(target) => std::os::unix::fs::symlink(target, &host).expect("symlink in the test root"),
            None => std::fs::write(&host, c).expect("file in the test root"),
        }
    }
    let fs = RootFs::open(dir.path()).expect("the test root opens");
    (dir, fs)
}
