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

/// apk version atoms: every token kind of apk-tools' grammar, near misses of each (`_pa`, `-x`,
/// `~g`, upper case, leading zeros, a 20-digit number that wraps) and separators in wrong places.
const APK_ATOMS: &[&str] = &[
    "0",
    "00",
    "1",
    "01",
    "2",
    "9",
    "10",
    "010",
    "99",
    "18446744073709551617",
    ".",
    ".0",
    ".1",
    ".01",
    "a",
    "b",
    "z",
    "A",
    "_alpha",
    "_beta",
    "_pre",
    "_rc",
    "_cvs",
    "_svn",
    "_git",
    "_hg",
    "_p",
    "_pa",
    "_",
    "_rc1",
    "_p2",
    "_git20240101",
    "~",
    "~0a1b",
    "~abc",
    "~g",
    "-r",
    "-r0",
    "-r1",
    "-r10",
    "-r01",
    "-x",
    "-",
    "+",
];

/// Real Alpine versions (APKINDEX of 3.16–3.22 and edge), in apk's order, oldest first.
const APK_REAL_ORDER: &[&str] = &[
    "1.2.13-r0",
    "1.2.13-r1",
    "1.2.13-r10",
    "1.3_rc1-r0",
    "1.3_rc2-r0",
    "1.3-r0",
    "1.3.1-r0",
    "1.3.1_git20240101-r0",
    "1.3.1_p1-r0",
    "1.3.1a-r0",
    "1.3.1b-r0",
    "1.3.2-r0",
    "1.36.1-r29",
    "1.37.0-r0",
];

/// `(A, B)` pairs of real Alpine versions with apk's answer, one per token kind.
const APK_REAL_PAIRS: &[(&str, &str, Ordering)] = &[
    ("9.7_p1-r4", "9.7_p1-r5", Ordering::Less),
    ("9.7_p1-r4", "9.6_p1-r0", Ordering::Greater),
    ("9.7_p1-r0", "9.7-r0", Ordering::Greater),
    ("3.3.1-r0", "3.3.1-r1", Ordering::Less),
    ("3.1.4-r6", "3.3.2-r0", Ordering::Less),
    ("6.6.31-r0", "6.6.9-r0", Ordering::Greater),
    ("2.40-r0", "2.40_rc1-r0", Ordering::Greater),
    ("0.9.2_git20240101-r0", "0.9.2-r0", Ordering::Greater),
    ("1.1.1w-r1", "1.1.1v-r0", Ordering::Greater),
    ("3.21.0_alpha20240807-r0", "3.21.0-r0", Ordering::Less),
    ("8.11.1-r0", "8.11.1-r0", Ordering::Equal),
    ("2024a-r0", "2023c-r0", Ordering::Greater),
    ("1.36.1-r29", "1.36.1-r3", Ordering::Greater),
];

fn apk_version(r: &mut Rng) -> String {
    let mut v = String::from(r.pick(&["0", "1", "2", "10", "01", ""]));
    let n = r.below(7);
    v.push_str(&gen_part(r, APK_ATOMS, n));
    v
}

/// The reference implementation's answers (`tests/data/apk/apk_version.py`, ported from
/// apk-tools' src/version.c) for every pair: the order and whether A is valid.
fn apk_reference(pairs: &[(String, String)]) -> Vec<(Ordering, bool)> {
    use std::io::Write;
    let script = crate::util::repo().join("tests/data/apk/apk_version.py");
    #[allow(clippy::disallowed_methods)] // the reference implementation, in a test
    let mut child = Command::new("/usr/bin/python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run python3");
    let mut input = String::new();
    for (a, b) in pairs {
        input.push_str(&format!("{a}\t{b}\n"));
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let ord = match &l[..1] {
                "<" => Ordering::Less,
                "=" => Ordering::Equal,
                _ => Ordering::Greater,
            };
            (ord, l.ends_with('1'))
        })
        .collect()
}

/// `apk_cmp` and `apk_valid` against the reference port of apk-tools' comparison on 20 000
/// seeded pairs (generated versions and near misses of each other) and on real Alpine versions.
#[test]
fn apk_cmp_agrees_with_apk_tools_reference() {
    use imagegate::version::{apk_cmp, apk_valid};
    if !std::path::Path::new("/usr/bin/python3").exists() {
        println!("skipped: /usr/bin/python3 is not installed on this host");
        return;
    }
    for (a, b, want) in APK_REAL_PAIRS {
        assert_eq!(apk_cmp(a, b), *want, "{a} vs {b}");
        assert_eq!(apk_cmp(b, a), want.reverse(), "{b} vs {a}");
    }
    for w in APK_REAL_ORDER.windows(2) {
        assert_eq!(apk_cmp(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
    }
    let mut pairs: Vec<(String, String)> = APK_REAL_PAIRS
        .iter()
        .map(|(a, b, _)| (a.to_string(), b.to_string()))
        .collect();
    for a in APK_REAL_ORDER {
        for b in APK_REAL_ORDER {
            pairs.push((a.to_string(), b.to_string()));
        }
    }
    let mut r = Rng::new(0xa1_9e);
    while pairs.len() < 20_000 {
        let a = apk_version(&mut r);
        let b = if r.below(3) == 0 {
            apk_version(&mut r)
        } else {
            mutate(&mut r, &a)
        };
        pairs.push((a, b));
    }
    let want = apk_reference(&pairs);
    assert_eq!(want.len(), pairs.len());
    let valid = want.iter().filter(|w| w.1).count();
    // The corpus reaches both valid and invalid versions, and every answer.
    assert!(
        valid > 2000 && valid < pairs.len() - 2000,
        "{valid} valid of {}",
        pairs.len()
    );
    for o in [Ordering::Less, Ordering::Equal, Ordering::Greater] {
        assert!(want.iter().filter(|w| w.0 == o).count() > 500, "{o:?}");
    }
    let bad: Vec<String> = pairs
        .iter()
        .zip(&want)
        .filter(|((a, b), (o, v))| apk_cmp(a, b) != *o || apk_valid(a) != *v)
        .take(20)
        .map(|((a, b), (o, v))| {
            format!(
                "{a:?} vs {b:?}: imagegate {:?} (valid {}), apk-tools {o:?} (valid {v})",
                apk_cmp(a, b),
                apk_valid(a)
            )
        })
        .collect();
    assert!(bad.is_empty(), "disagreements:\n{}", bad.join("\n"));
}
