//! Hostile roots, built at test time (issue 5): escape symlinks, loops, special files, include
//! bombs, huge and damaged files, million-entry databases, an unprivileged scanner.
//!
//! Every variant is a fixture root with one kind of damage at the paths imagegate reads, scanned
//! by the real binary under a wall-clock limit. For each the suite asserts that
//! - the scan finishes (the binary is killed and the test fails past the limit);
//! - nothing outside the root is read: a marker file planted next to the root, which every escape
//!   link points at, never appears in the report, the facts or the list of files read;
//! - the rules that need the broken input end in **error** with a reason naming the problem;
//! - no other rule changes: a finding that differs from the undamaged root's is an error, never a
//!   pass or a fail that the damage produced. Only where the damage removes configuration (a
//!   dangling /etc) may a rule also turn into fail or not-applicable, as for a root that never
//!   had the files; never into pass.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{AS_OF, fixture_copy};

/// Written next to every hostile root; escape links point at it.
const MARKER: &str = "HOST-SECRET-MARKER-5e1d9c";
/// Wall-clock limit of one scan of a small root (debug build, 2 shared cores).
const LIMIT: Duration = Duration::from_secs(20);
/// Limit for the million-entry databases: the debug build parses ~80 MB per scan in about a
/// minute on two shared cores (the release build in 3 s).
const BIG_LIMIT: Duration = Duration::from_secs(240);

/// The output of one bounded run.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` with stdout and stderr in files (no pipe can fill up and stall it) and kills it
/// after `limit`: a run that had to be killed fails the test.
pub fn bounded(mut cmd: Command, limit: Duration, what: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (o, e) = (dir.path().join("out"), dir.path().join("err"));
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(&o).unwrap())
        .stderr(std::fs::File::create(&e).unwrap())
        .env("NO_COLOR", "1");
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|err| panic!("{what}: cannot start: {err}"));
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&std::fs::read(&o).unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&std::fs::read(&e).unwrap()).into_owned(),
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_imagegate"))
}

/// A fixture root copied to `<tmp>/root`, with the marker at `<tmp>/secret`.
pub struct Hostile {
    pub outer: tempfile::TempDir,
    pub root: PathBuf,
}

impl Hostile {
    pub fn new(base: &str) -> Self {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        crate::util::copy_tree(fixture_copy(base).path(), &root);
        std::fs::write(outer.path().join("secret"), format!("{MARKER}\n")).unwrap();
        // The marker, shaped like the files it replaces, so a parser would keep it if it got it.
        let etc = outer.path().join("etc");
        std::fs::create_dir_all(etc.join("ssh")).unwrap();
        std::fs::write(etc.join("shadow"), format!("root:{MARKER}:19000:0:99999:7:::\n")).unwrap();
        std::fs::write(etc.join("passwd"), format!("{MARKER}:x:0:0::/root:/bin/sh\n")).unwrap();
        std::fs::write(etc.join("os-release"), format!("ID={MARKER}\nPRETTY_NAME={MARKER}\n")).unwrap();
        std::fs::write(
            etc.join("ssh/sshd_config"),
            format!("Banner /{MARKER}\nPermitRootLogin yes\n"),
        )
        .unwrap();
        Hostile { outer, root }
    }

    /// The host path of an in-image path.
    pub fn at(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    /// The host path of the decoy tree outside the root.
    pub fn outside(&self, path: &str) -> PathBuf {
        self.outer.path().join(path.trim_start_matches('/'))
    }

    /// Removes whatever is at `path` (file, link or tree) and creates its parent.
    pub fn clear(&self, path: &str) -> PathBuf {
        let p = self.at(path);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p).unwrap(),
            Ok(_) => std::fs::remove_file(&p).unwrap(),
            Err(_) => {}
        }
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        p
    }

    pub fn link(&self, path: &str, target: impl AsRef<Path>) {
        symlink(target, self.clear(path)).unwrap();
    }

    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        std::fs::write(self.clear(path), content).unwrap();
    }

    pub fn fifo(&self, path: &str) {
        nix::unistd::mkfifo(&self.clear(path), nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    }

    /// A character device node inside the root (`/dev/zero` is 1:5, `/dev/urandom` 1:9).
    pub fn chardev(&self, path: &str, major: u64, minor: u64) {
        use nix::sys::stat::{Mode, SFlag, makedev, mknod};
        mknod(
            &self.clear(path),
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o666),
            makedev(major, minor),
        )
        .unwrap();
    }

    pub fn root_str(&self) -> &str {
        self.root.to_str().unwrap()
    }
}

/// One finding: status and reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub status: String,
    pub reason: String,
}

/// A scan's findings by rule id, its exit code and everything it printed.
pub struct Scanned {
    pub code: Option<i32>,
    pub findings: BTreeMap<String, Finding>,
    pub text: String,
}

/// Scans `root` with `profile` (JSON), then dumps its facts and the files it reads.
pub fn scan(root: &str, profile: &str, limit: Duration, what: &str) -> Scanned {
    scan_with(root, profile, limit, what, true)
}

/// [`scan`], with or without the facts dump and the list of files read (a million packages as
/// JSON is a 300 MB dump that proves nothing the scan does not).
pub fn scan_with(root: &str, profile: &str, limit: Duration, what: &str, dumps: bool) -> Scanned {
    let mut c = bin();
    c.args([
        "scan",
        "--root",
        root,
        "--as-of",
        AS_OF,
        "--profile",
        profile,
        "--format",
        "json",
    ]);
    let run = bounded(c, limit, what);
    let v: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{what}: no JSON report ({e}); stderr: {}", run.stderr));
    let findings = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                Finding {
                    status: f["status"].as_str().unwrap().to_owned(),
                    reason: f["reason"].as_str().unwrap_or_default().to_owned(),
                },
            )
        })
        .collect();
    let mut text = format!("{}{}", run.stdout, run.stderr);
    for sub in ["facts", "inputs"].into_iter().filter(|_| dumps) {
        let mut c = bin();
        c.args([sub, "--root", root, "--as-of", AS_OF]);
        let r = bounded(c, limit, &format!("{what} ({sub})"));
        assert_eq!(r.code, Some(0), "{what}: {sub} exited {:?}: {}", r.code, r.stderr);
        if sub == "inputs" {
            for line in r.stdout.lines() {
                assert!(line.starts_with(root), "{what}: read outside the root: {line}");
            }
        }
        text.push_str(&r.stdout);
        text.push_str(&r.stderr);
    }
    Scanned {
        code: run.code,
        findings,
        text,
    }
}

/// What one variant must produce: rules (by id prefix) that end in error with a reason
/// containing the text, and rules (by id prefix) that must keep their undamaged status.
/// `removes` marks damage that takes configuration away (a dangling /etc): then a rule may also
/// turn into fail or not-applicable, as it would for a root that never had the files.
pub struct Expect<'a> {
    pub errors: &'a [(&'a str, &'a str)],
    pub unchanged: &'a [&'a str],
    pub removes: bool,
}

/// The assertions every variant shares (see the module doc).
pub fn check(what: &str, base: &Scanned, got: &Scanned, expect: &Expect) {
    assert!(
        !got.text.contains(MARKER),
        "{what}: the host marker leaked:\n{}",
        got.text
    );
    assert_eq!(
        base.findings.keys().collect::<Vec<_>>(),
        got.findings.keys().collect::<Vec<_>>(),
        "{what}: not every rule was evaluated"
    );
    for (id, f) in &got.findings {
        let b = &base.findings[id];
        if f.status != b.status {
            assert!(
                f.status == "error" || (expect.removes && f.status != "pass"),
                "{what}: {id} went from {} to {} ({}): damage may only produce errors",
                b.status,
                f.status,
                f.reason
            );
        }
        if f.status == "error" {
            assert!(!f.reason.is_empty(), "{what}: {id} is an error without a reason");
        }
    }
    let any_error = got.findings.values().any(|f| f.status == "error");
    if any_error {
        assert_eq!(got.code, Some(2), "{what}: an error finding must exit 2");
    }
    for (prefix, reason) in expect.errors {
        assert!(
            got.findings
                .iter()
                .any(|(id, f)| id.starts_with(prefix) && f.status == "error" && f.reason.contains(reason)),
            "{what}: expected a {prefix}* error mentioning {reason:?}; got {:#?}",
            got.findings
                .iter()
                .filter(|(id, _)| id.starts_with(prefix))
                .collect::<Vec<_>>()
        );
    }
    for prefix in expect.unchanged {
        let mut n = 0;
        for (id, f) in got.findings.iter().filter(|(id, _)| id.starts_with(prefix)) {
            assert_eq!(f, &base.findings[id], "{what}: {id} does not depend on the damage");
            n += 1;
        }
        assert!(n > 0, "{what}: no rule {prefix}*");
    }
}

type Setup = fn(&Hostile);

/// Builds each variant over `base`, scans it and checks it against the undamaged root.
fn family(base: &str, profile: &str, variants: &[(&str, Setup, Expect)]) {
    let clean = Hostile::new(base);
    let baseline = scan(clean.root_str(), profile, LIMIT, &format!("{base} undamaged"));
    for (name, setup, expect) in variants {
        let h = Hostile::new(base);
        setup(&h);
        let got = scan(h.root_str(), profile, LIMIT, name);
        check(name, &baseline, &got, expect);
    }
}

const ACCOUNTS_OK: &[&str] = &["lifecycle.", "os.", "kernel."];

#[test]
fn symlinks_out_of_the_root_loops_and_chains() {
    family(
        "debian12",
        "cloud-image",
        &[
            (
                "shadow -> the host's /etc/shadow (absolute)",
                |h| h.link("/etc/shadow", h.outside("/etc/shadow")),
                Expect {
                    // Re-rooted, the link names a path that does not exist inside: unknown state.
                    errors: &[("accounts.", "/etc/shadow does not exist")],
                    unchanged: &["lifecycle.", "os.", "ssh."],
                    removes: false,
                },
            ),
            (
                "shadow -> ../../../../etc/shadow (relative, climbing out)",
                |h| {
                    h.link("/etc/shadow", "../../../../../../etc/shadow");
                    // What the clamped link really names: the root's own /etc/shadow is gone.
                },
                Expect {
                    errors: &[("accounts.", "/etc/shadow")],
                    unchanged: &["lifecycle.", "os.", "ssh."],
                    removes: false,
                },
            ),
            (
                "passwd and sshd_config -> ../../.. (the root itself, a directory)",
                |h| {
                    h.link("/etc/passwd", "../../..");
                    h.link("/etc/ssh/sshd_config", "../../../..");
                },
                Expect {
                    errors: &[("accounts.", "directory"), ("ssh.", "directory")],
                    unchanged: &["lifecycle.", "os.", "kernel."],
                    removes: false,
                },
            ),
            (
                "os-release and /usr/lib/os-release: a symlink loop",
                |h| {
                    h.link("/etc/os-release", "/usr/lib/os-release");
                    h.link("/usr/lib/os-release", "../../etc/os-release");
                },
                Expect {
                    errors: &[("os.", "symbolic links"), ("lifecycle.", "symbolic links")],
                    unchanged: &["accounts.", "ssh.", "kernel."],
                    removes: false,
                },
            ),
            (
                "shadow: a chain of 60 links (over the 40-link limit)",
                |h| {
                    let shadow = std::fs::read(h.at("/etc/shadow")).unwrap();
                    h.write("/etc/shadow.real", shadow);
                    for i in 0..60 {
                        h.link(&format!("/etc/chain{i}"), format!("chain{}", i + 1));
                    }
                    h.link("/etc/chain60", "shadow.real");
                    h.link("/etc/shadow", "chain0");
                },
                Expect {
                    errors: &[("accounts.", "too many levels of symbolic links")],
                    unchanged: &["lifecycle.", "os.", "ssh."],
                    removes: false,
                },
            ),
            (
                "shadow: a chain of 30 links that stays inside resolves",
                |h| {
                    let shadow = std::fs::read(h.at("/etc/shadow")).unwrap();
                    h.write("/etc/shadow.real", shadow);
                    for i in 0..30 {
                        h.link(&format!("/etc/chain{i}"), format!("/etc/chain{}", i + 1));
                    }
                    h.link("/etc/chain30", "shadow.real");
                    h.link("/etc/shadow", "chain0");
                },
                Expect {
                    errors: &[],
                    unchanged: &["accounts.", "lifecycle.", "os.", "ssh."],
                    removes: false,
                },
            ),
            (
                "/etc is a symlink to a copy of etc outside the root",
                |h| {
                    crate::util::copy_tree(&h.at("/etc"), &h.outside("/etc-copy"));
                    std::fs::write(h.outside("/etc-copy/shadow"), format!("root:{MARKER}:1::::::\n")).unwrap();
                    h.link("/etc", h.outside("/etc-copy"));
                },
                Expect {
                    errors: &[("accounts.", "/etc/passwd does not exist")],
                    unchanged: &[],
                    removes: true,
                },
            ),
            (
                "/etc is a relative symlink climbing out of the root",
                |h| {
                    crate::util::copy_tree(&h.at("/etc"), &h.outside("/etc-copy"));
                    h.link("/etc", "../etc-copy");
                },
                Expect {
                    errors: &[("accounts.", "/etc/passwd does not exist")],
                    unchanged: &[],
                    removes: true,
                },
            ),
        ],
    );
}

#[test]
fn fifos_sockets_devices_and_directories_where_files_belong() {
    family(
        "debian12",
        "cloud-image",
        &[
            (
                "shadow is a FIFO",
                |h| h.fifo("/etc/shadow"),
                Expect {
                    errors: &[("accounts.", "it is a FIFO, not a regular file")],
                    unchanged: &["lifecycle.", "os.", "ssh."],
                    removes: false,
                },
            ),
            (
                "passwd is a socket",
                |h| {
                    let p = h.clear("/etc/passwd");
                    // Keep the listener alive for the scan: the node must stay a socket.
                    std::mem::forget(std::os::unix::net::UnixListener::bind(p).unwrap());
                },
                Expect {
                    errors: &[("accounts.", "it is a socket")],
                    unchanged: &["lifecycle.", "os.", "ssh."],
                    removes: false,
                },
            ),
            (
                "dpkg status is /dev/urandom and os-release /dev/zero (device nodes inside the root)",
                |h| {
                    h.chardev("/dev/urandom", 1, 9);
                    h.chardev("/dev/zero", 1, 5);
                    h.link("/var/lib/dpkg/status", "/dev/urandom");
                    h.link("/etc/os-release", "../dev/zero");
                    h.link("/usr/lib/os-release", "/dev/zero");
                },
                Expect {
                    errors: &[
                        ("packages.", "character device"),
                        ("os.", "character device"),
                        ("lifecycle.", "character device"),
                    ],
                    unchanged: &["accounts.", "kernel."],
                    removes: false,
                },
            ),
            (
                "shadow is a character device node",
                |h| h.chardev("/etc/shadow", 1, 5),
                Expect {
                    errors: &[("accounts.", "character device")],
                    unchanged: &["lifecycle.", "os.", "ssh."],
                    removes: false,
                },
            ),
            (
                "sshd_config is a directory",
                |h| std::fs::create_dir_all(h.clear("/etc/ssh/sshd_config")).unwrap(),
                Expect {
                    errors: &[("ssh.", "directory")],
                    unchanged: ACCOUNTS_OK,
                    removes: false,
                },
            ),
            (
                "a sysctl.d drop-in is a FIFO",
                |h| h.fifo("/etc/sysctl.d/60-fifo.conf"),
                Expect {
                    errors: &[("kernel.", "FIFO")],
                    unchanged: &["accounts.", "lifecycle.", "os.", "ssh."],
                    removes: false,
                },
            ),
        ],
    );
}

#[test]
fn sshd_include_loops_bombs_and_devices() {
    family(
        "debian12",
        "cloud-image",
        &[
            (
                "sshd_config includes itself",
                |h| {
                    h.write(
                        "/etc/ssh/sshd_config",
                        "Include /etc/ssh/sshd_config\nPermitRootLogin no\n",
                    )
                },
                Expect {
                    errors: &[("ssh.", "include")],
                    unchanged: ACCOUNTS_OK,
                    removes: false,
                },
            ),
            (
                "two drop-ins include each other",
                |h| {
                    h.write(
                        "/etc/ssh/sshd_config",
                        "Include sshd_config.d/*.conf\nPermitRootLogin no\n",
                    );
                    h.write(
                        "/etc/ssh/sshd_config.d/a.conf",
                        "Include /etc/ssh/sshd_config.d/b.conf\n",
                    );
                    h.write(
                        "/etc/ssh/sshd_config.d/b.conf",
                        "Include /etc/ssh/sshd_config.d/a.conf\n",
                    );
                },
                Expect {
                    errors: &[("ssh.", "include")],
                    unchanged: ACCOUNTS_OK,
                    removes: false,
                },
            ),
            (
                "an Include glob that matches ten thousand files",
                |h| {
                    let d = h.at("/etc/ssh/sshd_config.d");
                    for i in 0..10_000 {
                        std::fs::write(d.join(format!("{i:05}.conf")), "PermitRootLogin no\n").unwrap();
                    }
                },
                Expect {
                    errors: &[("ssh.", "matches more than")],
                    unchanged: ACCOUNTS_OK,
                    removes: false,
                },
            ),
            (
                "a fan-out of includes without a loop (10 files per level, each including the next level, 15 deep: 10^15 inclusions)",
                |h| {
                    h.write(
                        "/etc/ssh/sshd_config",
                        "Include /etc/ssh/l00/*.conf\nPermitRootLogin no\n",
                    );
                    for level in 0..15 {
                        for i in 0..10 {
                            let body = if level == 14 {
                                "PermitRootLogin no\n".to_owned()
                            } else {
                                format!("Include /etc/ssh/l{:02}/*.conf\n", level + 1)
                            };
                            h.write(&format!("/etc/ssh/l{level:02}/{i}.conf"), body);
                        }
                    }
                },
                Expect {
                    errors: &[("ssh.", "include")],
                    unchanged: ACCOUNTS_OK,
                    removes: false,
                },
            ),
            (
                "Include of /dev/zero (a device node inside the root)",
                |h| {
                    h.chardev("/dev/zero", 1, 5);
                    h.write("/etc/ssh/sshd_config", "Include /dev/zero\nPermitRootLogin no\n");
                },
                Expect {
                    errors: &[("ssh.", "character device")],
                    unchanged: ACCOUNTS_OK,
                    removes: false,
                },
            ),
            (
                "Include of the host's sshd_config by an escaping relative path",
                |h| {
                    // Outside: a drop-in that would weaken everything; inside, the link is
                    // clamped to the root's own (empty) sshd_config.d.
                    std::fs::create_dir_all(h.outside("/etc/ssh/sshd_config.d")).unwrap();
                    std::fs::write(
                        h.outside("/etc/ssh/sshd_config.d/evil.conf"),
                        format!("PermitRootLogin yes\nBanner /{MARKER}\n"),
                    )
                    .unwrap();
                    let orig = std::fs::read_to_string(h.at("/etc/ssh/sshd_config")).unwrap();
                    h.write(
                        "/etc/ssh/sshd_config",
                        format!("Include ../../../../../../etc/ssh/sshd_config.d/*.conf\n{orig}"),
                    );
                },
                Expect {
                    errors: &[],
                    unchanged: ACCOUNTS_OK,
                    removes: false,
                },
            ),
        ],
    );
}

#[test]
fn huge_binary_and_damaged_files() {
    family(
        "debian12",
        "cloud-image",
        &[
            (
                "dpkg status is a 1 GiB sparse file",
                |h| {
                    let f = std::fs::File::create(h.clear("/var/lib/dpkg/status")).unwrap();
                    f.set_len(1 << 30).unwrap();
                },
                Expect {
                    errors: &[("packages.", "limit")],
                    unchanged: &["accounts.", "kernel.", "lifecycle."],
                    removes: false,
                },
            ),
            (
                "sshd_config has a single 10 MiB line",
                |h| {
                    let mut s = std::fs::read_to_string(h.at("/etc/ssh/sshd_config")).unwrap();
                    s.push_str("Banner /");
                    s.push_str(&"x".repeat(10 << 20));
                    s.push('\n');
                    h.write("/etc/ssh/sshd_config", s);
                },
                Expect {
                    errors: &[],
                    unchanged: ACCOUNTS_OK,
                    removes: false,
                },
            ),
            (
                "passwd contains NUL bytes",
                |h| {
                    let mut p = std::fs::read(h.at("/etc/passwd")).unwrap();
                    p.extend_from_slice(b"evil\0:x:0:0::/:/bin/sh\n");
                    h.write("/etc/passwd", p);
                },
                Expect {
                    errors: &[("accounts.", "binary content")],
                    unchanged: &["lifecycle.", "os.", "ssh."],
                    removes: false,
                },
            ),
            (
                "os-release and sshd_config are invalid UTF-8",
                |h| {
                    let mut p = std::fs::read(h.at("/etc/os-release")).unwrap();
                    p.extend_from_slice(b"VARIANT=\xff\xfe\xc3\x28\n");
                    h.write("/etc/os-release", p);
                    let mut s = std::fs::read(h.at("/etc/ssh/sshd_config")).unwrap();
                    s.extend_from_slice(b"# \xff\xfe comment\n");
                    h.write("/etc/ssh/sshd_config", s);
                },
                Expect {
                    errors: &[],
                    unchanged: &["accounts.", "lifecycle.", "kernel."],
                    removes: false,
                },
            ),
            (
                "sshd_config, passwd and shadow start with a UTF-8 BOM",
                |h| {
                    for p in ["/etc/ssh/sshd_config", "/etc/passwd", "/etc/shadow"] {
                        let mut b = b"\xef\xbb\xbf".to_vec();
                        b.extend(std::fs::read(h.at(p)).unwrap());
                        h.write(p, b);
                    }
                },
                Expect {
                    errors: &[("accounts.", "byte order mark"), ("ssh.", "byte order mark")],
                    unchanged: &["lifecycle.", "os.", "kernel."],
                    removes: false,
                },
            ),
            (
                "CRLF line ends everywhere imagegate reads",
                |h| {
                    for p in [
                        "/etc/ssh/sshd_config",
                        "/etc/passwd",
                        "/etc/shadow",
                        "/etc/group",
                        "/etc/os-release",
                        "/etc/sysctl.conf",
                        "/var/lib/dpkg/status",
                    ] {
                        let t = std::fs::read_to_string(h.at(p)).unwrap();
                        h.write(p, t.replace('\n', "\r\n"));
                    }
                },
                Expect {
                    errors: &[],
                    unchanged: &["lifecycle."],
                    removes: false,
                },
            ),
            (
                "dpkg status truncated in the middle of a stanza",
                |h| {
                    let t = std::fs::read_to_string(h.at("/var/lib/dpkg/status")).unwrap();
                    let cut = t.find("\nStatus: install ok installed\n").unwrap() + "\nStatus: inst".len();
                    h.write("/var/lib/dpkg/status", &t[..cut]);
                },
                Expect {
                    errors: &[("packages.", "/var/lib/dpkg/status")],
                    unchanged: &["accounts.", "kernel."],
                    removes: false,
                },
            ),
            (
                "apt Packages index truncated in the middle of a record",
                |h| {
                    let p = "/var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages";
                    let t = std::fs::read_to_string(h.at(p)).unwrap();
                    let cut = t.rfind("\nVersion:").unwrap() + "\nVersi".len();
                    h.write(p, &t[..cut]);
                },
                Expect {
                    errors: &[("updates-pending.", "Packages")],
                    unchanged: &["accounts.", "kernel.", "lifecycle.", "ssh."],
                    removes: false,
                },
            ),
            (
                "shadow truncated in the middle of a record",
                |h| {
                    let t = std::fs::read_to_string(h.at("/etc/shadow")).unwrap();
                    // Cut inside the last record's third field (a two-field record is valid).
                    let start = t.trim_end().rfind('\n').map_or(0, |i| i + 1);
                    let third = start + t[start..].match_indices(':').nth(1).unwrap().0 + 3;
                    h.write("/etc/shadow", &t[..third]);
                },
                Expect {
                    errors: &[("accounts.", "/etc/shadow")],
                    unchanged: &["lifecycle.", "os.", "ssh."],
                    removes: false,
                },
            ),
            (
                "passwd has duplicate names",
                |h| {
                    let mut p = std::fs::read_to_string(h.at("/etc/passwd")).unwrap();
                    p.push_str("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n");
                    h.write("/etc/passwd", p);
                },
                Expect {
                    errors: &[],
                    unchanged: &["lifecycle.", "os.", "ssh."],
                    removes: false,
                },
            ),
        ],
    );
}

/// A dpkg status of `n` minimal installed packages, as dpkg writes them.
fn dpkg_status(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 110);
    for i in 0..n {
        writeln!(
            out,
            "Package: pkg{i}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.{i}-1\n"
        )
        .unwrap();
    }
    out
}

#[test]
fn million_entry_databases() {
    let base = "debian12";
    let clean = Hostile::new(base);
    let baseline = scan(clean.root_str(), "cloud-image", LIMIT, "undamaged");
    // A million installed packages: either read, or refused with a clear reason; never a hang.
    let h = Hostile::new(base);
    let mut status = std::fs::read(h.at("/var/lib/dpkg/status")).unwrap();
    status.extend(dpkg_status(1_000_000));
    h.write("/var/lib/dpkg/status", status);
    let got = scan_with(h.root_str(), "cloud-image", BIG_LIMIT, "a million dpkg entries", false);
    check(
        "a million dpkg entries",
        &baseline,
        &got,
        &Expect {
            errors: &[],
            unchanged: &["accounts.", "kernel.", "ssh."],
            removes: false,
        },
    );
    // A million-entry security Packages index.
    let h = Hostile::new(base);
    let p = "/var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages";
    let mut idx = std::fs::read(h.at(p)).unwrap();
    idx.extend(dpkg_status(1_000_000));
    h.write(p, idx);
    let got = scan_with(h.root_str(), "cloud-image", BIG_LIMIT, "a million apt entries", false);
    check(
        "a million apt entries",
        &baseline,
        &got,
        &Expect {
            errors: &[],
            unchanged: &["accounts.", "kernel.", "ssh.", "packages."],
            removes: false,
        },
    );
}

/// Peak resident memory one scan of a generated hostile root may use (debug build; the largest
/// case measured takes about 80 MiB).
const RSS_BUDGET_KIB: u64 = 256 * 1024;
/// Address space a scan may map before the kernel refuses more: a blow-up ends in an abort the
/// test reports, not in a machine out of memory.
const AS_CAP: &str = "--as=8589934592";
/// Hang guard of one scan of a generated hostile root: every case takes a few seconds at most
/// (debug build, 2 shared cores); only a hang, never a loaded machine, comes near it.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// Runs `imagegate ARGS` under [`AS_CAP`] with [`bounded`]'s hang guard, sampling its peak
/// resident memory (`VmHWM`, a high-water mark: any sample after the peak sees it) until it
/// exits. Returns the run and the peak in KiB.
fn measured(args: &[&str], what: &str) -> (Run, u64) {
    let dir = tempfile::tempdir().unwrap();
    let (o, e) = (dir.path().join("out"), dir.path().join("err"));
    let mut cmd = Command::new("prlimit");
    cmd.arg(AS_CAP)
        .arg(env!("CARGO_BIN_EXE_imagegate"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&o).unwrap())
        .stderr(std::fs::File::create(&e).unwrap())
        .env("NO_COLOR", "1");
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|err| panic!("{what}: cannot start: {err}"));
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        // prlimit execs the binary in place: the same process.
        if let Ok(s) = std::fs::read_to_string(&status_file)
            && let Some(kib) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {HANG_GUARD:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let run = Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&std::fs::read(&o).unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&std::fs::read(&e).unwrap()).into_owned(),
    };
    eprintln!(
        "{what}: {:.2} s, peak RSS {} KiB, exit {:?}",
        start.elapsed().as_secs_f64(),
        peak,
        run.code
    );
    (run, peak)
}

/// Scans `root` with every shipped profile together (so every collector runs) and an optional
/// tailoring and profile, measured; the scan must end (exit 0, 1 or 2, never a signal) within
/// the memory budget.
fn scan_measured(root: &str, tailoring: &Path, profile: &str, what: &str) -> Scanned {
    let args = [
        "scan",
        "--root",
        root,
        "--as-of",
        AS_OF,
        "--tailoring",
        tailoring.to_str().unwrap(),
        "--profile",
        profile,
        "--format",
        "json",
    ];
    let (run, peak) = measured(&args, what);
    assert!(
        matches!(run.code, Some(0..=2)),
        "{what}: exited {:?} (killed or crashed): {}",
        run.code,
        run.stderr.chars().take(2000).collect::<String>()
    );
    assert!(
        peak <= RSS_BUDGET_KIB,
        "{what}: peak RSS {peak} KiB over the {RSS_BUDGET_KIB} KiB budget"
    );
    let v: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{what}: no JSON report ({e}); stderr: {}", run.stderr));
    let findings = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                Finding {
                    status: f["status"].as_str().unwrap().to_owned(),
                    reason: f["reason"].as_str().unwrap_or_default().to_owned(),
                },
            )
        })
        .collect();
    Scanned {
        code: run.code,
        findings,
        text: format!("{}{}", run.stdout, run.stderr),
    }
}

/// The findings of a prefix that are errors, for messages.
fn errors_of<'a>(s: &'a Scanned, prefix: &str) -> Vec<(&'a String, &'a Finding)> {
    s.findings
        .iter()
        .filter(|(id, f)| id.starts_with(prefix) && f.status == "error")
        .collect()
}

/// The second hostile suite: damage written by someone who read docs/robustness.md, aimed at
/// time and memory rather than at confinement. Each root is generated here, with bounded sizes,
/// and scanned by the real binary with every profile's collectors, under a peak-RSS budget and a
/// hang guard. Each case ends in a result or in error findings naming the bound and the file.
#[test]
fn bounded_work_and_memory_on_generated_hostile_roots() {
    let base = "debian12";
    let outer = tempfile::tempdir().unwrap();
    let all = outer.path().join("all.toml");
    std::fs::write(
        &all,
        "[profile.all]\nextends = [\"cloud-image\", \"cis-l1-server\", \"cis-l2-server\", \"supply-chain\", \"capture\"]\n",
    )
    .unwrap();
    let clean = Hostile::new(base);
    let baseline = scan_measured(clean.root_str(), &all, "all", "undamaged");

    // Tailoring profiles extending each other in a wide fan-out: 8 per level, each extending all
    // 8 of the next, 15 levels (8^15 paths; it hung).
    let mut fan = String::new();
    for l in 0..15 {
        for i in 0..8 {
            let ext: Vec<String> = if l < 14 {
                (0..8).map(|j| format!("\"l{}_{j}\"", l + 1)).collect()
            } else {
                vec!["\"all\"".into()]
            };
            writeln!(fan, "[profile.l{l}_{i}]\nextends = [{}]", ext.join(", ")).unwrap();
        }
    }
    let fan_file = outer.path().join("fan.toml");
    std::fs::write(&fan_file, format!("{}\n{fan}", std::fs::read_to_string(&all).unwrap())).unwrap();
    let got = scan_measured(clean.root_str(), &fan_file, "l0_0", "tailoring fan-out 8^15");
    assert_eq!(
        got.findings, baseline.findings,
        "the fan-out selects exactly what it extends"
    );

    // A dpkg status field of 32 MiB on one line (64 MiB took 59 s): read, not an error.
    let h = Hostile::new(base);
    let mut status = std::fs::read(h.at("/var/lib/dpkg/status")).unwrap();
    status.extend_from_slice(b"\nPackage: zz-long\nStatus: install ok installed\nVersion: 1\nDescription: ");
    status.resize(status.len() + (32 << 20), b'x');
    status.push(b'\n');
    h.write("/var/lib/dpkg/status", status);
    let got = scan_measured(h.root_str(), &all, "all", "a 32 MiB dpkg status line");
    assert!(
        errors_of(&got, "packages.").is_empty(),
        "{:?}",
        errors_of(&got, "packages.")
    );

    // A dpkg status stanza of 5000 fields: an error at the field past the bound.
    let h = Hostile::new(base);
    let mut status = std::fs::read(h.at("/var/lib/dpkg/status")).unwrap();
    status.extend_from_slice(b"\nPackage: zz-wide\nStatus: install ok installed\nVersion: 1\n");
    for i in 0..5000 {
        writeln!(status, "X-{i}: v").unwrap();
    }
    h.write("/var/lib/dpkg/status", status);
    let got = scan_measured(h.root_str(), &all, "all", "a 5000-field dpkg stanza");
    check(
        "a 5000-field dpkg stanza",
        &baseline,
        &got,
        &Expect {
            errors: &[("packages.", "has more than 1024 fields")],
            unchanged: &["accounts.", "kernel.", "ssh."],
            removes: false,
        },
    );

    // 300 accounts sharing one home directory holding 10,000 dot files (28 s and 5.4 GiB): the
    // home is listed once.
    let h = Hostile::new(base);
    let home = h.at("/home/shared");
    std::fs::create_dir_all(&home).unwrap();
    for i in 0..10_000 {
        std::fs::write(home.join(format!(".dot{i}")), "x\n").unwrap();
    }
    let mut passwd = std::fs::read_to_string(h.at("/etc/passwd")).unwrap();
    let mut group = std::fs::read_to_string(h.at("/etc/group")).unwrap();
    for i in 0..300 {
        writeln!(passwd, "share{i}:x:{}:{}::/home/shared:/bin/bash", 3000 + i, 3000 + i).unwrap();
        writeln!(group, "share{i}:x:{}:", 3000 + i).unwrap();
    }
    h.write("/etc/passwd", passwd);
    h.write("/etc/group", group);
    let got = scan_measured(h.root_str(), &all, "all", "300 accounts sharing 10,000 dot files");
    assert!(errors_of(&got, "homes.").is_empty(), "{:?}", errors_of(&got, "homes."));
    assert_eq!(
        got.findings["homes.dot-files-owned"].status, "fail",
        "dot files in a home of 300 UIDs are not owned by each"
    );

    // 200 sysctl.d names hard-linked to one 1 MiB file (killed at 6 GiB, then past 60 s): the
    // kernel rules are errors naming the bound and the file that went past it.
    let h = Hostile::new(base);
    let d = h.at("/etc/sysctl.d");
    std::fs::create_dir_all(&d).unwrap();
    let mut big = String::new();
    let mut i = 0;
    while big.len() < (1 << 20) - 64 {
        writeln!(big, "net.k{i} = {i}").unwrap();
        i += 1;
    }
    std::fs::write(d.join("000-big.conf"), &big).unwrap();
    for n in 1..200 {
        std::fs::hard_link(d.join("000-big.conf"), d.join(format!("{n:03}-big.conf"))).unwrap();
    }
    let got = scan_measured(h.root_str(), &all, "all", "200 sysctl.d hard links to 1 MiB");
    check(
        "200 sysctl.d hard links to 1 MiB",
        &baseline,
        &got,
        &Expect {
            errors: &[(
                "kernel.",
                "cannot read /etc/sysctl.d/004-big.conf: the sysctl.d files read in this scan would exceed 4194304 bytes in total",
            )],
            unchanged: &["accounts.", "ssh."],
            removes: false,
        },
    );

    // A security Packages index that inflates to 500 MiB (1.5 GiB peak): streamed.
    let h = Hostile::new(base);
    let p = "/var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages";
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(h.clear(&format!("{p}.gz"))).unwrap(),
        flate2::Compression::fast(),
    );
    std::fs::remove_file(h.at(p)).unwrap_or_default();
    let mut stanza = b"Package: zz-inflated\nVersion: 1\nArchitecture: amd64\nDescription: ".to_vec();
    stanza.resize(stanza.len() + 4000, b'y');
    stanza.extend_from_slice(b"\n\n");
    for _ in 0..(500 << 20) / stanza.len() {
        gz.write_all(&stanza).unwrap();
    }
    gz.finish().unwrap();
    let got = scan_measured(h.root_str(), &all, "all", "an apt index inflating to 500 MiB");
    assert!(
        errors_of(&got, "updates-pending.").is_empty(),
        "{:?}",
        errors_of(&got, "updates-pending.")
    );

    // A sysctl.d directory of more entries than one listing may hold: an error naming it.
    let h = Hostile::new(base);
    let d = h.at("/etc/sysctl.d");
    std::fs::create_dir_all(&d).unwrap();
    for n in 0..=262_144 {
        std::fs::File::create(d.join(format!("{n}.conf"))).unwrap();
    }
    let got = scan_measured(h.root_str(), &all, "all", "262,145 entries in sysctl.d");
    check(
        "262,145 entries in sysctl.d",
        &baseline,
        &got,
        &Expect {
            errors: &[("kernel.", "cannot list /etc/sysctl.d: more than 262144 entries")],
            unchanged: &["accounts.", "ssh."],
            removes: false,
        },
    );
}

/// Whether the tests run as root (needed for device nodes and to drop to `nobody`).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// A copy of the binary that `nobody` can execute (the target directory may not be reachable).
pub fn binary_for_nobody(dir: &Path) -> PathBuf {
    let bin = dir.join("imagegate");
    std::fs::copy(env!("CARGO_BIN_EXE_imagegate"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// Makes a tree owned by root and readable by all, except the files that are root-only on a
/// real system (shadow, gshadow and their backups: 0600/0640; sshd_config: 0600 on RHEL).
pub fn real_modes(root: &Path) {
    for e in walkdir::WalkDir::new(root) {
        let e = e.unwrap();
        if e.file_type().is_symlink() {
            continue;
        }
        let name = e.file_name().to_string_lossy();
        let mode = if e.file_type().is_dir() {
            0o755
        } else if matches!(
            name.as_ref(),
            // sshd_config is 0600 on the RHEL family: the ssh rules need root there too.
            "shadow" | "gshadow" | "shadow-" | "gshadow-" | "sshd_config"
        ) {
            0o600
        } else {
            0o644
        };
        std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        std::os::unix::fs::chown(e.path(), Some(0), Some(0)).unwrap();
    }
}

/// Runs the scan as `nobody` (uid/gid 65534, no groups) with setpriv(1).
pub fn as_nobody(bin: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(bin)
        .args(args);
    c
}

/// For a scan as nobody: a directory nobody may enter, holding a copy of the binary nobody may
/// run. `None` when not root (nobody is out of reach).
pub fn nobody_workspace() -> Option<(tempfile::TempDir, PathBuf)> {
    if !is_root() {
        return None;
    }
    let outer = tempfile::tempdir().unwrap();
    std::fs::set_permissions(outer.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = binary_for_nobody(outer.path());
    Some((outer, bin))
}

#[test]
fn unprivileged_scans_never_pass_on_what_they_cannot_read() {
    let Some((outer, bin)) = nobody_workspace() else {
        eprintln!("skipped: needs root to drop to nobody with setpriv");
        return;
    };
    let mut roots: Vec<(String, &str)> = crate::util::root_names()
        .into_iter()
        .map(|n| {
            let p = if n.contains("cleaned") {
                "capture"
            } else {
                "cloud-image"
            };
            (n, p)
        })
        .collect();
    roots.push(("debian12".into(), "capture"));
    for (name, profile) in roots {
        let root = outer.path().join(format!("{name}-{profile}"));
        crate::util::copy_tree(fixture_copy(&name).path(), &root);
        real_modes(&root);
        let r = root.to_str().unwrap();
        let as_root = scan(r, profile, LIMIT, &format!("{name} as root"));
        let args = [
            "scan",
            "--root",
            r,
            "--as-of",
            AS_OF,
            "--profile",
            profile,
            "--format",
            "json",
        ];
        let run = bounded(as_nobody(&bin, &args), LIMIT, &format!("{name} as nobody"));
        let v: Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{name} as nobody: {e}: {}", run.stderr));
        let mut errors = 0;
        for f in v["findings"].as_array().unwrap() {
            let id = f["id"].as_str().unwrap();
            let (status, reason) = (f["status"].as_str().unwrap(), f["reason"].as_str().unwrap_or(""));
            let before = &as_root.findings[id];
            if status != before.status {
                assert_eq!(
                    status, "error",
                    "{name}/{profile}: {id} as nobody is {status}, as root {}: only an error may differ",
                    before.status
                );
            }
            if reason.contains("permission denied") {
                assert_eq!(status, "error", "{name}: {id}");
                assert!(reason.contains("run as root or with sudo"), "{name}: {id}: {reason}");
                errors += 1;
            }
        }
        let has_shadow = root.join("etc/shadow").exists();
        let reads_shadow = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"].as_str().unwrap().starts_with("accounts."));
        let has_sshd = root.join("etc/ssh/sshd_config").exists();
        if has_sshd && profile == "cloud-image" {
            assert!(
                v["findings"].as_array().unwrap().iter().any(|f| {
                    f["id"].as_str().unwrap().starts_with("ssh.")
                        && f["status"] == "error"
                        && f["reason"].as_str().unwrap_or("").contains("permission denied")
                }),
                "{name}: an unreadable sshd_config produced no ssh error"
            );
        }
        if has_shadow && reads_shadow {
            assert!(errors > 0, "{name}/{profile}: unreadable /etc/shadow produced no error");
            assert_eq!(
                run.code,
                Some(2),
                "{name}/{profile}: an unprivileged scan with errors exits 2"
            );
        }
    }
}

/// The hint to scan as root counts the rules that ended in error because permissions refused a
/// read, from the typed signal: the same count whatever the report's language.
#[test]
fn the_scan_as_root_hint_counts_denied_reads_in_every_language() {
    let Some((outer, bin)) = nobody_workspace() else {
        eprintln!("skipped: needs root to drop to nobody with setpriv");
        return;
    };
    let root = outer.path().join("root");
    crate::util::copy_tree(&crate::util::repo().join("fixtures/roots/debian12"), &root);
    real_modes(&root);
    let r = root.to_str().unwrap();
    let mut hints = Vec::new();
    for lang in ["en", "zh-CN"] {
        let args = [
            "scan",
            "--root",
            r,
            "--as-of",
            AS_OF,
            "--profile",
            "cloud-image",
            "--format",
            "json",
            "--lang",
            lang,
        ];
        let out = as_nobody(&bin, &args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{lang}: {e}: {stderr}"));
        assert_eq!(v["lang"].as_str().unwrap_or("en"), lang);
        let denied = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["status"] == "error" && f["reason"].as_str().unwrap_or("").contains("cannot read /etc/shadow")
            })
            .count();
        assert!(denied > 0, "{lang}: an unreadable /etc/shadow ended no rule in error");
        let hint = stderr
            .lines()
            .find(|l| l.contains("rules ended in error because files were not readable"))
            .unwrap_or_else(|| panic!("{lang}: no hint to scan as root: {stderr}"));
        let n: usize = hint
            .split_whitespace()
            .find_map(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("{lang}: {hint}"));
        assert!(n >= denied, "{lang}: {hint}: {denied} rules could not read /etc/shadow");
        hints.push(n);
    }
    assert_eq!(hints[0], hints[1], "the same count in English and Chinese");
}

/// imagegate executes nothing, neither from the scanned root nor from the host: no fact needs a
/// program (the Berkeley DB rpmdb of CentOS 7 / EL8 is read in-process, not by the host's rpm). clippy.toml bans `Command::new` everywhere; this test is the second lock, on the source
/// text, and it covers the spellings a lint on one path does not.
#[test]
fn nothing_in_src_can_spawn_a_process() {
    const FORBIDDEN: &[&str] = &[
        "Command::new",
        "process::Command",
        "Command}",
        "Command,",
        // `.spawn(` alone would also match scoped threads (the parallel digest check); a process
        // spawn needs a `Command`, which the patterns above catch.
        "process::Child",
        "execv",
        "execve",
        "posix_spawn",
        "fork(",
        "libc::system",
    ];
    let mut hits = Vec::new();
    for e in walkdir::WalkDir::new(crate::util::repo().join("src")) {
        let e = e.unwrap();
        if e.path().extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for f in FORBIDDEN {
                if code.contains(f) {
                    hits.push(format!("{}:{}: {}", e.path().display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "process spawning in src/ (see docs/robustness.md):\n{}",
        hits.join("\n")
    );
}
