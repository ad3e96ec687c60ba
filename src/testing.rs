//! Helpers shared by the unit tests.

use std::time::Duration;

use crate::rootfs::RootFs;

/// CPU time used so far by the calling thread: unlike the wall clock, it does not grow while
/// other processes have the CPU.
fn thread_cpu() -> Duration {
    use nix::time::{ClockId, clock_gettime};
    let t = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).expect("clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::from(t)
}

/// The least thread CPU time `work` takes over three runs.
fn best_of_three(mut work: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let t = thread_cpu();
            work();
            thread_cpu().saturating_sub(t)
        })
        .min()
        .unwrap_or_default()
}

/// Asserts that `work` costs about linearly in its input size: `work(4 * n)` takes less than
/// eight times the thread CPU time of `work(n)` (linear work takes four times as long, quadratic
/// work sixteen). Two runs compared with each other, never a time limit: the ratio holds on a
/// loaded machine. `n` should make `work(n)` take some milliseconds.
pub fn assert_linear(what: &str, n: usize, mut work: impl FnMut(usize)) {
    work(n); // warm up: page cache, allocator
    let small = best_of_three(|| work(n));
    let large = best_of_three(|| work(4 * n));
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-4);
    assert!(
        ratio < 8.0,
        "{what}: 4x the input took {ratio:.1}x the CPU time ({small:?} -> {large:?}): not linear"
    );
}

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
