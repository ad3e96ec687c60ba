//! Helpers shared by the unit tests.

use std::time::Duration;

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
