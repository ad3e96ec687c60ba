//! Differential test: `imagegate::version::dpkg_cmp` against the real `dpkg --compare-versions`
//! over a generated corpus (random versions plus near-miss mutations of each other: epochs, `~`,
//! `+`, `.`, letters, digit runs with leading zeros, with and without revisions). Any
//! disagreement fails the test and lists the pairs. Skipped, with a message, when dpkg is absent.

use std::cmp::Ordering;
use std::process::{Command, Stdio};

use crate::util::Rng;
use imagegate::version::{dpkg_cmp, dpkg_valid};

const ATOMS: &[&str] = &[
    "0", "00", "1", "01", "2", "9", "10", "010", "99", "100", "a", "b", "z", "A", "Z", "p", "rc", "dfsg", "ubuntu",
    "deb", "git", "~", "~~", "+", ".", "-",
];
const REV_ATOMS: &[&str] = &[
    "0", "1", "01", "2", "10", "ubuntu", "deb12u", "build", "a", "~", "+", ".", "~bpo",
];

fn gen_part(r: &mut Rng, atoms: &[&str], len: usize) -> String {
    let mut s = String::new();
    for _ in 0..len {
        s.push_str(r.pick(atoms));
    }
    s
}

fn gen_version(r: &mut Rng) -> String {
    let mut v = String::new();
    if r.below(4) == 0 {
        v.push_str(r.pick(&["0", "1", "2", "10", "01"]));
        v.push(':');
    }
    v.push_str(r.pick(&["0", "1", "2", "9", "10", "01"]));
    let n = r.below(6);
    v.push_str(&gen_part(r, ATOMS, n));
    if r.below(2) == 0 {
        v.push('-');
        let n = 1 + r.below(4);
        let rev = gen_part(r, REV_ATOMS, n);
        v.push_str(&rev);
    }
    v
}

/// A near-miss of `v`: one character inserted, deleted or replaced, so pairs share prefixes.
fn mutate(r: &mut Rng, v: &str) -> String {
    let mut chars: Vec<char> = v.chars().collect();
    let alphabet: Vec<char> = "0123456789azAZ~+.-:".chars().collect();
    for _ in 0..=r.below(2) {
        let at = r.below(chars.len() + 1);
        let c = alphabet[r.below(alphabet.len())];
        match r.below(3) {
            0 => chars.insert(at, c),
            1 if at < chars.len() => {
                chars.remove(at);
            }
            _ if at < chars.len() => chars[at] = c,
            _ => chars.push(c),
        }
    }
    chars.into_iter().collect()
}

fn dpkg_says(a: &str, b: &str) -> Ordering {
    let run = |op: &str| {
        #[allow(clippy::disallowed_methods)] // the reference implementation, on the host, in a test
        let st = Command::new("dpkg")
            .args(["--compare-versions", a, op, b])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run dpkg");
        match st.code() {
            Some(0) => true,
            Some(1) => false,
            other => panic!("dpkg --compare-versions {a:?} {op} {b:?} exited {other:?}"),
        }
    };
    if run("lt") {
        Ordering::Less
    } else if run("eq") {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

fn corpus() -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = [
        ("1.0~rc1", "1.0"),
        ("1.0~~", "1.0~"),
        ("1.0~~a", "1.0~~"),
        ("1.0a", "1.0+"),
        ("1.0+", "1.0."),
        ("1:1.0", "2.0"),
        ("0:1.0", "1.0"),
        ("1.001", "1.1"),
        ("1.0-1-2", "1.0-1-10"),
        ("1.0", "1.0-0"),
        ("1:9.6p1-3ubuntu13.5", "1:9.6p1-3ubuntu13.4"),
        ("24.1.3-0ubuntu1~22.04.1", "24.1.3-0ubuntu1"),
        ("2.36.1-8+deb12u1", "2.36.1-8"),
        ("1:2:3-4", "1:2:3-5"),
        ("1.0Z", "1.0a"),
        ("10", "9"),
        ("1.2.3+dfsg-1", "1.2.3-1"),
        ("0.17+2.5-3", "0.17-2.5-3"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    while pairs.len() < 2400 {
        let a = gen_version(&mut r);
        let b = if r.below(3) == 0 {
            gen_version(&mut r)
        } else {
            mutate(&mut r, &a)
        };
        if dpkg_valid(&a) && dpkg_valid(&b) {
            pairs.push((a, b));
        }
    }
    pairs
}

#[test]
fn dpkg_cmp_agrees_with_dpkg_compare_versions() {
    #[allow(clippy::disallowed_methods)]
    let have = Command::new("dpkg")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !have.is_ok_and(|s| s.success()) {
        println!("skipped: dpkg is not installed on this host");
        return;
    }
    let pairs = corpus();
    assert!(pairs.len() >= 2000);
    // Two workers: dpkg start-up dominates, and the machine has two cores.
    let (left, right) = pairs.split_at(pairs.len() / 2);
    let check = |chunk: &[(String, String)]| {
        chunk
            .iter()
            .filter_map(|(a, b)| {
                let (ours, theirs) = (dpkg_cmp(a, b), dpkg_says(a, b));
                (ours != theirs).then(|| format!("{a:?} vs {b:?}: imagegate {ours:?}, dpkg {theirs:?}"))
            })
            .collect::<Vec<_>>()
    };
    let mut bad = std::thread::scope(|s| {
        let h = s.spawn(|| check(left));
        let mut mine = check(right);
        mine.extend(h.join().expect("worker"));
        mine
    });
    bad.sort();
    assert!(bad.is_empty(), "{} disagreements:\n{}", bad.len(), bad.join("\n"));
}
