//! File names that are not UTF-8: read like any other name, ordered by bytes as glob(3) and
//! systemd order them, and shown as `\xNN` in every report format (src/names.rs). The sshd side of
//! the ordering, against the real sshd, is in sshd_diff.rs.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use imagegate::names;
use imagegate::rootfs::{Resolver, RootFs};
use serde_json::Value;

use crate::util::{fixture_copy, imagegate};

const AS_OF: &str = "2026-12-01";

use crate::util::Rng;

impl Rng {
    /// `count` distinct file names `x<1 to 3 units>.conf` that differ only past the `x`, in the
    /// bytes where orders disagree: lone high bytes (not UTF-8), `é` (valid, C3 A9), the UTF-8 of
    /// a private-use code point imagegate uses for its escapes (EE BE 80, EE BF BF), and an ASCII
    /// letter. Byte order and `String` order differ between most pairs of them.
    pub fn names(&mut self, count: usize) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        while out.len() < count {
            let mut n = b"x".to_vec();
            for _ in 0..1 + self.below(3) {
                match self.below(6) {
                    0 => n.extend_from_slice("é".as_bytes()),
                    1 => n.extend_from_slice(if self.below(2) == 0 {
                        b"\xee\xbe\x80"
                    } else {
                        b"\xee\xbf\xbf"
                    }),
                    2 => n.push(b'a' + self.below(3) as u8),
                    _ => n.push(0x80 + self.below(128) as u8),
                }
            }
            n.extend_from_slice(b".conf");
            if !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }
}

/// `dir/name` on the host, with the name's exact bytes.
pub fn host_path(dir: &Path, name: &[u8]) -> PathBuf {
    dir.join(OsStr::from_bytes(name))
}

fn append(path: &Path, text: &str) {
    let mut t = std::fs::read(path).unwrap();
    t.extend_from_slice(text.as_bytes());
    std::fs::write(path, t).unwrap();
}

/// Every string in a JSON document.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push(k.clone());
            strings(x, out);
        }),
        _ => {}
    }
}

/// No output shows an escape code point raw, or a replacement character for a lost byte.
fn assert_no_raw_escapes(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| c == '\u{FFFD}' || ('\u{EF80}'..='\u{EFFF}').contains(&c))
        .collect();
    assert!(bad.is_empty(), "{what} shows {bad:?} instead of \\xNN");
}

/// Scans `root` with `args`, every report format written; returns (exit code, text, json, junit,
/// sarif, html).
fn scan_all_formats(root: &Path, args: &[&str]) -> (i32, String, String, String, String, String) {
    let out_dir = tempfile::tempdir().unwrap();
    let o = |name: &str| out_dir.path().join(name).display().to_string();
    let reports = [
        format!("json={}", o("r.json")),
        format!("junit={}", o("r.xml")),
        format!("sarif={}", o("r.sarif")),
        format!("html={}", o("r.html")),
    ];
    let mut all = vec!["scan", "--root", root.to_str().unwrap(), "--as-of", AS_OF];
    all.extend_from_slice(args);
    for r in &reports {
        all.extend(["--report", r.as_str()]);
    }
    let out = imagegate(&all);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = |n: &str| String::from_utf8(std::fs::read(o(n)).unwrap()).unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        read("r.json"),
        read("r.xml"),
        read("r.sarif"),
        read("r.html"),
    )
}

/// Asserts `shown` (the escaped in-image path) is in every format, and the failure is reported.
fn assert_shown_everywhere(rule: &str, out: (i32, String, String, String, String, String), shown: &str, uri: &str) {
    let (code, text, json, junit, sarif, html) = out;
    assert_eq!(code, 1, "{rule} must fail:\n{text}");
    assert!(text.contains("FAIL") && text.contains(shown), "text:\n{text}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    let finding = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == rule)
        .unwrap();
    assert_eq!(finding["status"], "fail", "{finding}");
    let mut s = Vec::new();
    strings(finding, &mut s);
    assert!(
        s.iter().any(|x| x.contains(shown)),
        "json evidence lacks {shown}: {finding}"
    );
    assert!(junit.contains(shown), "junit:\n{junit}");
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    let mut s = Vec::new();
    strings(&doc, &mut s);
    assert!(s.iter().any(|x| x == uri), "sarif has no location {uri}");
    assert!(s.iter().any(|x| x.contains(shown)), "sarif message lacks {shown}");
    assert!(html.contains(shown), "html lacks {shown}");
    for (what, t) in [
        ("text", &text),
        ("json", &json),
        ("junit", &junit),
        ("sarif", &sarif),
        ("html", &html),
    ] {
        assert_no_raw_escapes(what, t);
    }
}

#[test]
fn an_sshd_drop_in_whose_name_is_not_utf8_fails_the_password_rule_in_every_format() {
    let root = fixture_copy("debian12");
    let r = root.path();
    // The main file says no; the drop-in, included at the top, says yes: sshd takes the first.
    append(&r.join("etc/ssh/sshd_config"), "PasswordAuthentication no\n");
    std::fs::write(
        host_path(&r.join("etc/ssh/sshd_config.d"), b"10-\xff\xfe.conf"),
        "PasswordAuthentication yes\n",
    )
    .unwrap();
    let rule = "ssh.password-authentication-disabled";
    let out = scan_all_formats(r, &["--only", rule]);
    assert_shown_everywhere(
        rule,
        out,
        r"/etc/ssh/sshd_config.d/10-\xff\xfe.conf",
        "etc/ssh/sshd_config.d/10-%FF%FE.conf",
    );
    // `imagegate facts` shows the same name.
    let facts = imagegate(&["facts", "--root", r.to_str().unwrap(), "--group", "sshd"]);
    let text = String::from_utf8(facts.stdout).unwrap();
    assert_no_raw_escapes("facts", &text);
    let doc: Value = serde_json::from_str(&text).unwrap();
    let src = &doc["sshd"]["effective"]["passwordauthentication"]["source"]["path"];
    assert_eq!(
        src, r"/etc/ssh/sshd_config.d/10-\xff\xfe.conf",
        "{}",
        doc["sshd"]["effective"]
    );
}

#[test]
fn a_sysctl_drop_in_whose_name_is_not_utf8_fails_the_kernel_rule_in_every_format() {
    let root = fixture_copy("debian12");
    let r = root.path();
    let d = r.join("etc/sysctl.d");
    std::fs::write(d.join("10-forward.conf"), "net.ipv4.ip_forward = 0\n").unwrap();
    // Sorts after 10-forward.conf and sets the insecure value last: it wins.
    std::fs::write(host_path(&d, b"90-\xff.conf"), "net.ipv4.ip_forward = 1\n").unwrap();
    let rule = "kernel.ip-forward-disabled";
    let out = scan_all_formats(r, &["--profile", "cis-l1-server", "--only", rule]);
    assert_shown_everywhere(rule, out, r"/etc/sysctl.d/90-\xff.conf", "etc/sysctl.d/90-%FF.conf");
}

/// The `# /path` headers of `systemd-analyze cat-config`, as bytes, in its order.
fn systemd_order(root: &Path, what: &str) -> Option<Vec<Vec<u8>>> {
    let out = Command::new("systemd-analyze")
        .arg("cat-config")
        .arg(format!("--root={}", root.display()))
        .arg(what)
        .output()
        .ok()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let prefix = root.as_os_str().as_bytes();
    Some(
        out.stdout
            .split(|&b| b == b'\n')
            .filter_map(|l| l.strip_prefix(b"# "))
            .filter_map(|p| p.strip_prefix(prefix))
            .map(<[u8]>::to_vec)
            .collect(),
    )
}

const KEYS: [&str; 5] = [
    "net.ipv4.ip_forward",
    "kernel.randomize_va_space",
    "vm.swappiness",
    "fs.suid_dumpable",
    "net.ipv4.tcp_syncookies",
];

#[test]
fn sysctl_d_names_that_differ_in_high_bytes_are_ordered_like_systemd() {
    if Command::new("systemd-analyze").arg("--version").output().is_err() {
        println!("skipping: systemd-analyze not installed");
        return;
    }
    let mut rng = Rng(0x5eed_5c71);
    let mut telling = 0;
    for round in 0..40 {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().join("etc/sysctl.d");
        std::fs::create_dir_all(&d).unwrap();
        let count = 2 + rng.below(7);
        let names = rng.names(count);
        telling += usize::from(crate::names::text_order_differs(&names));
        // File i sets a random subset of the keys to 100 + i: the last file (in order) setting a
        // key decides its value.
        let mut sets: Vec<Vec<&str>> = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let keys: Vec<&str> = KEYS.iter().copied().filter(|_| rng.below(2) == 0).collect();
            let text: String = keys.iter().map(|k| format!("{k} = {}\n", 100 + i)).collect();
            std::fs::write(host_path(&d, n), text).unwrap();
            sets.push(keys);
        }
        let mut sorted = names.clone();
        sorted.sort();
        let want: Vec<Vec<u8>> = sorted
            .iter()
            .map(|n| [b"/etc/sysctl.d/".as_slice(), n].concat())
            .collect();
        let systemd = systemd_order(root.path(), "sysctl.d").unwrap();
        assert_eq!(systemd, want, "round {round}: systemd does not order by bytes?");
        // The directory listing imagegate's readers go through.
        let fs = RootFs::open(root.path()).unwrap();
        let listed: Vec<Vec<u8>> = fs
            .read_dir("/etc/sysctl.d")
            .unwrap()
            .unwrap()
            .iter()
            .map(|e| imagegate::names::bytes(&e.path).into_owned())
            .collect();
        assert_eq!(listed, want, "round {round}: listing order");
        // The values the binary reports as persisted.
        let out = imagegate(&["facts", "--root", root.path().to_str().unwrap(), "--group", "sysctl"]);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        for k in KEYS {
            let winner = systemd.iter().rev().find_map(|p| {
                let i = names
                    .iter()
                    .position(|n| [b"/etc/sysctl.d/".as_slice(), n].concat() == *p)?;
                sets[i].contains(&k).then(|| (100 + i).to_string())
            });
            let got = doc["sysctl"]["keys"][k]["persisted"]["value"]
                .as_str()
                .map(str::to_owned);
            let shown: Vec<String> = systemd
                .iter()
                .map(|p| imagegate::names::display(&imagegate::names::text(p)).into_owned())
                .collect();
            assert_eq!(got, winner, "round {round}: {k}; files in systemd's order: {shown:?}");
        }
    }
    println!("{telling} rounds where text order and byte order differ");
    assert!(
        telling >= 5,
        "only {telling} rounds where text order and byte order differ"
    );
}

/// True when sorting the names' text (`String` order) would give another order than their bytes:
/// the rounds where a reader sorting text instead of bytes would be caught.
pub fn text_order_differs(names: &[Vec<u8>]) -> bool {
    let mut by_bytes = names.to_vec();
    by_bytes.sort();
    let mut by_text: Vec<String> = names.iter().map(|n| imagegate::names::text(n).into_owned()).collect();
    by_text.sort();
    let by_text: Vec<Vec<u8>> = by_text
        .iter()
        .map(|t| imagegate::names::bytes(t).into_owned())
        .collect();
    by_text != by_bytes
}

#[test]
fn both_resolvers_list_open_glob_and_follow_names_byte_for_byte() {
    let root = tempfile::tempdir().unwrap();
    let etc = root.path().join("etc");
    let d = etc.join("x.d");
    std::fs::create_dir_all(&d).unwrap();
    // Byte 0x80 alone, and U+EF80 (EE BE 80), the code point that stands for byte 0x80 inside
    // imagegate: two files, which must not be taken for one another.
    let files: [(&[u8], &str); 4] = [
        (b"a\x80", "one"),
        (b"a\xee\xbe\x80", "two"),
        (b"a\xff\xfe", "three"),
        ("aé".as_bytes(), "four"),
    ];
    for (n, t) in files {
        std::fs::write(host_path(&d, n), t).unwrap();
    }
    std::os::unix::fs::symlink(OsStr::from_bytes(b"x.d/a\xff\xfe"), host_path(&etc, b"l\xfe")).unwrap();
    // A path written in a file names the file with those bytes.
    std::fs::write(etc.join("list"), b"/etc/x.d/a\x80\n/etc/x.d/a\xee\xbe\x80\n").unwrap();
    for resolver in [Resolver::Kernel, Resolver::Userspace] {
        let fs = RootFs::open_with(root.path(), resolver).unwrap();
        let entries = fs.read_dir("/etc/x.d").unwrap().unwrap();
        let mut want: Vec<&[u8]> = files.iter().map(|f| f.0).collect();
        want.sort();
        let got: Vec<Vec<u8>> = entries.iter().map(|e| names::bytes(&e.name).into_owned()).collect();
        assert_eq!(got, want, "{resolver:?}: listing in byte order");
        for (n, t) in files {
            let e = entries.iter().find(|e| names::bytes(&e.name) == n).unwrap();
            assert_eq!(
                fs.read_text(&e.path).unwrap().as_deref(),
                Some(t),
                "{resolver:?}: {}",
                e.path
            );
            assert!(fs.metadata(&e.path).unwrap().is_some());
        }
        let glob = |p: &str| -> Vec<Vec<u8>> {
            fs.glob(p)
                .unwrap()
                .iter()
                .map(|m| names::bytes(m).into_owned())
                .collect()
        };
        // `?` is one byte, as for glob(3) in sshd's C locale.
        assert_eq!(glob("/etc/x.d/a?"), [b"/etc/x.d/a\x80".to_vec()], "{resolver:?}");
        assert_eq!(
            glob("/etc/x.d/a??"),
            [b"/etc/x.d/a\xc3\xa9".to_vec(), b"/etc/x.d/a\xff\xfe".to_vec()],
            "{resolver:?}"
        );
        assert_eq!(
            glob("/etc/x.d/a???"),
            [b"/etc/x.d/a\xee\xbe\x80".to_vec()],
            "{resolver:?}"
        );
        let link = names::text(b"/etc/l\xfe").into_owned();
        let target = fs.read_link(&link).unwrap().unwrap();
        assert_eq!(names::bytes(&target).as_ref(), b"x.d/a\xff\xfe");
        assert_eq!(fs.read_text(&link).unwrap().as_deref(), Some("three"), "{resolver:?}");
        let list = fs.read_text("/etc/list").unwrap().unwrap();
        let read: Vec<String> = list.lines().map(|p| fs.read_text(p).unwrap().unwrap()).collect();
        assert_eq!(read, ["one", "two"], "{resolver:?}");
    }
}

/// Every drop-in directory imagegate reads: a file there whose name is not UTF-8 is read when the
/// program that owns the directory reads it (sshd, systemd-sysctl, kmod, sudo, the shell, pam,
/// rsyslog, augenrules, grub-mkconfig, cloud-init), and left alone where that program skips such
/// names (apt: only ASCII letters, digits, `_-:.`; Debian's cron and run-parts).
#[test]
fn every_drop_in_reader_opens_a_name_that_is_not_utf8_where_its_program_does() {
    let root = fixture_copy("debian12");
    let r = root.path();
    let read: &[(&str, &str)] = &[
        ("etc/ssh/sshd_config.d", ".conf"),
        ("etc/sysctl.d", ".conf"),
        ("etc/modprobe.d", ".conf"),
        ("etc/sudoers.d", ""),
        ("etc/profile.d", ".sh"),
        ("etc/security/limits.d", ".conf"),
        ("etc/security/pwquality.conf.d", ".conf"),
        ("etc/rsyslog.d", ".conf"),
        ("etc/audit/rules.d", ".rules"),
        ("etc/default/grub.d", ".cfg"),
        ("etc/cloud/cloud.cfg.d", ".cfg"),
    ];
    // Debian's cron and run-parts skip any name outside [A-Za-z0-9_-]; cronie reads it: a job
    // there is not counted either way.
    let skipped: &[(&str, &str)] = &[
        ("etc/apt/apt.conf.d", ""),
        ("etc/apt/sources.list.d", ".list"),
        ("etc/cron.d", ""),
        ("etc/cron.daily", ""),
    ];
    let plant = |dir: &str, suffix: &str| -> String {
        let d = r.join(dir);
        std::fs::create_dir_all(&d).unwrap();
        let name = [b"zz\xff\xfe".as_slice(), suffix.as_bytes()].concat();
        std::fs::write(host_path(&d, &name), "# planted\n").unwrap();
        names::text(&[b"/", dir.as_bytes(), b"/", &name].concat()).into_owned()
    };
    let want_read: Vec<String> = read.iter().map(|(d, s)| plant(d, s)).collect();
    let want_skipped: Vec<String> = skipped.iter().map(|(d, s)| plant(d, s)).collect();
    for resolver in [Resolver::Kernel, Resolver::Userspace] {
        let fs = RootFs::open_with(r, resolver).unwrap();
        let ctx = imagegate::facts::Context {
            live: false,
            as_of: jiff::civil::date(2026, 12, 1),
            wanted: None,
        };
        let facts = serde_json::to_value(imagegate::facts::collect(&fs, &ctx)).unwrap();
        let files = fs.files_read();
        let missed: Vec<_> = want_read
            .iter()
            .filter(|p| !files.contains(p))
            .map(|p| names::display(p))
            .collect();
        assert!(missed.is_empty(), "{resolver:?}: not read: {missed:?}");
        let wrongly: Vec<_> = want_skipped
            .iter()
            .filter(|p| files.contains(p))
            .map(|p| names::display(p))
            .collect();
        assert!(
            wrongly.is_empty(),
            "{resolver:?}: read although the program skips it: {wrongly:?}"
        );
        // No reader failed on one of them.
        let mut s = Vec::new();
        strings(&facts, &mut s);
        let errors: Vec<_> = s
            .iter()
            .filter(|x| x.contains("zz\u{EFFF}\u{EFFE}") && x.contains("cannot"))
            .collect();
        assert!(errors.is_empty(), "{resolver:?}: {errors:?}");
    }
}

/// systemd loads a unit only under a name of ASCII letters, digits and `:-_.\@`: with random unit
/// file names (high bytes, `é`, spaces among them), the units imagegate reports are exactly those
/// `systemctl --root list-unit-files` lists.
#[test]
fn unit_files_named_outside_systemds_alphabet_are_ignored_like_systemctl_does() {
    if Command::new("systemctl").arg("--version").output().is_err() {
        println!("skipping: systemctl not installed");
        return;
    }
    let mut rng = Rng(0x0511_17c7);
    let parts: [&[u8]; 8] = [b"a", b"b", b"-", b"_", b":", b" ", "é".as_bytes(), b"\xff"];
    let (mut telling, mut loaded) = (0, 0);
    for round in 0..10 {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().join("etc/systemd/system");
        std::fs::create_dir_all(&d).unwrap();
        for _ in 0..6 {
            let mut n = b"u".to_vec();
            for _ in 0..1 + rng.below(3) {
                n.extend_from_slice(parts[rng.below(parts.len())]);
            }
            n.extend_from_slice(b".service");
            std::fs::write(
                host_path(&d, &n),
                "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
            )
            .unwrap();
        }
        let out = Command::new("systemctl")
            .arg(format!("--root={}", root.path().display()))
            .args([
                "list-unit-files",
                "--no-legend",
                "--no-pager",
                "--plain",
                "--type=service",
            ])
            .env("SYSTEMD_LOG_LEVEL", "err")
            .output()
            .unwrap();
        let mut listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        listed.sort();
        let facts = imagegate(&["facts", "--root", root.path().to_str().unwrap(), "--group", "services"]);
        let doc: Value = serde_json::from_slice(&facts.stdout).unwrap();
        let mut ours: Vec<String> = doc["services"]["units"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        ours.sort();
        let files = std::fs::read_dir(&d).unwrap().count();
        telling += usize::from(listed.len() < files);
        loaded += listed.len();
        assert_eq!(ours, listed, "round {round}");
    }
    println!("{telling} rounds where systemd ignores some unit files, {loaded} units loaded");
    assert!(loaded >= 10, "only {loaded} units loaded in all");
    assert!(
        telling >= 5,
        "only {telling} rounds where systemd ignores some unit files"
    );
}
