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

/// xorshift64: a seeded, reproducible sequence, so a generated test that fails fails again.
#[derive(Debug, Clone)]
pub struct Xorshift(u64);

impl Xorshift {
    /// A sequence from `seed` (0, which xorshift never leaves, is taken as 1).
    pub fn new(seed: u64) -> Self {
        Xorshift(seed.max(1))
    }

    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// The next number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        let v = self.next();
        usize::try_from(v % (n.max(1) as u64)).unwrap_or(0)
    }
}

/// `rounds` damaged copies of `input`, seeded: every fourth copy (rounds 0, 4, 8, …) is truncated
/// (round `r` to `r * cut_step % input.len()` bytes), and each copy has 1 to 3 bytes overwritten
/// (`1 + r % 3`) with seeded values at seeded positions. With [`Damaged::header`], the even rounds
/// overwrite only within the first `n` bytes, where a format's header says how to read the rest.
/// For the "damaged input is an error, never a panic" tests of the binary readers.
pub fn damaged(seed: u64, input: &[u8], rounds: usize) -> Damaged<'_> {
    Damaged {
        input,
        rng: Xorshift::new(seed),
        round: 0,
        rounds,
        cut_step: 1,
        header: None,
    }
}

/// The iterator of [`damaged`].
#[derive(Debug, Clone)]
pub struct Damaged<'a> {
    input: &'a [u8],
    rng: Xorshift,
    round: usize,
    rounds: usize,
    cut_step: usize,
    header: Option<usize>,
}

impl Damaged<'_> {
    /// Truncate round `r` to `r * step % input.len()` bytes (default 1): a larger step spreads
    /// the cuts over an input longer than the rounds.
    pub fn cut_step(self, step: usize) -> Self {
        Damaged { cut_step: step, ..self }
    }

    /// Overwrite only within the first `n` bytes on even rounds.
    pub fn header(self, n: usize) -> Self {
        Damaged {
            header: Some(n.max(1)),
            ..self
        }
    }
}

impl Iterator for Damaged<'_> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        let round = self.round;
        if round >= self.rounds {
            return None;
        }
        self.round += 1;
        let mut b = self.input.to_vec();
        if round.is_multiple_of(4) {
            b.truncate(round.wrapping_mul(self.cut_step) % self.input.len().max(1));
        }
        for _ in 0..1 + round % 3 {
            let v = self.rng.next();
            let within = match self.header {
                Some(n) if round.is_multiple_of(2) => n,
                _ => b.len().max(1),
            };
            let at = usize::try_from(v % within as u64).unwrap_or(0);
            if let Some(x) = b.get_mut(at) {
                *x = (v >> 32) as u8;
            }
        }
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positions where `b` differs from the start of `input`.
    fn flipped(input: &[u8], b: &[u8]) -> Vec<usize> {
        (0..b.len()).filter(|&i| b.get(i) != input.get(i)).collect()
    }

    #[test]
    fn damaged_copies_are_bounded_and_seeded() {
        let input: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        for (rounds, step) in [(0, 1), (1, 1), (97, 1), (1000, 1), (1000, 16)] {
            let all: Vec<Vec<u8>> = damaged(7, &input, rounds).cut_step(step).collect();
            assert_eq!(all.len(), rounds);
            let mut changed = 0;
            for (r, b) in all.iter().enumerate() {
                let want = if r % 4 == 0 {
                    r * step % input.len()
                } else {
                    input.len()
                };
                assert_eq!(b.len(), want, "round {r}: truncated every fourth round only");
                let f = flipped(&input, b);
                assert!(f.len() <= 1 + r % 3, "round {r}: {} bytes changed", f.len());
                changed += usize::from(!f.is_empty());
            }
            // A flip may write the byte that was there, or fall beyond a cut: rarely.
            assert!(
                rounds < 10 || changed * 10 >= rounds * 8,
                "{changed} of {rounds} copies changed"
            );
        }
        let a: Vec<_> = damaged(7, &input, 200).collect();
        assert_eq!(
            a,
            damaged(7, &input, 200).collect::<Vec<_>>(),
            "the same seed, the same copies"
        );
        assert_ne!(
            a,
            damaged(8, &input, 200).collect::<Vec<_>>(),
            "another seed, other copies"
        );
    }

    #[test]
    fn damaged_headers_are_flipped_on_even_rounds() {
        let input = vec![0u8; 4096];
        let mut beyond = 0;
        for (r, b) in damaged(3, &input, 2000).header(96).enumerate() {
            let f = flipped(&input, &b);
            if r % 2 == 0 {
                assert!(f.iter().all(|&i| i < 96), "round {r}: {f:?}");
            } else {
                beyond += f.iter().filter(|&&i| i >= 96).count();
            }
        }
        assert!(beyond > 500, "odd rounds flip anywhere: {beyond} beyond the header");
    }

    #[test]
    fn damaged_empty_input_gives_empty_copies() {
        assert!(damaged(1, b"", 10).all(|b| b.is_empty()));
    }

    #[test]
    fn xorshift_is_seeded_and_bounded() {
        let mut a = Xorshift::new(42);
        let mut b = Xorshift::new(42);
        let xs: Vec<u64> = (0..100).map(|_| a.next()).collect();
        assert_eq!(xs, (0..100).map(|_| b.next()).collect::<Vec<_>>());
        let mut z = Xorshift::new(0);
        assert!((0..100).all(|_| z.next() != 0), "a zero seed does not stick at zero");
        let mut c = Xorshift::new(9);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let v = c.below(7);
            assert!(v < 7);
            seen[v] = true;
        }
        assert!(seen.iter().all(|&s| s), "every value below 7 comes up");
        assert_eq!(c.below(0), 0);
    }
}
