//! The Berkeley DB rpmdb reader against Debian's rpm reading the same file read-only
//! (`--define '_db_backend bdb_ro'`), and the ndb reader against Debian's rpm reading the same
//! headers from the sqlite rpmdb they were copied from.
//!
//! The databases are made from real headers (tests/data/rpmdb/make-bdb.py: packages built with
//! rpmbuild, installed with `rpm --justdb`, a gpg-pubkey imported, the blobs written into
//! Berkeley DB hash files with python3-bsddb3 at page sizes 512, 4096, 65536 and big-endian
//! 8192): thousands of packages, overflow chains of many pages, on-page values, one name in
//! several versions and two architectures. They are made once and kept under the test target
//! directory, keyed by the generator's contents. Every installed instance (instance number,
//! name, epoch:version-release, arch) and every file digest must agree with rpm's.
//!
//! Debian's rpm has no ndb backend, so its ndb databases (SUSE's `Packages.db`) are written by
//! tests/data/rpmdb/ndb.py, a port of rpm's own writer that gives the bytes rpm's rpmpkg.c gives
//! for the same puts and deletes (tests/data/rpmdb/ndb-oracle.sh; fixtures/README.md): a fresh
//! install of every header and an upgraded one (every fifth package deleted and put again under a
//! new instance number, moving blobs and freeing slots). The oracle is rpm reading the same
//! headers from the sqlite rpmdb they came from, instance numbers mapped as the writer moved
//! them. Skipped, with a message, without rpm, rpmbuild, gpg or Debian's python3-bsddb3.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use imagegate::facts::packages::rpm::{read_bdb, read_ndb};
use imagegate::rootfs::RootFs;

/// Packages built besides the multi-version and 400-file ones.
const PACKAGES: usize = 2000;
const DATABASES: &[&str] = &["bdb-4096", "bdb-512", "bdb-65536", "bdb-be"];
const PYTHON: &str = "/usr/bin/python3";

fn has(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The generated databases' directory, or `None` (with the reason printed) when the tools are
/// missing.
fn databases() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let missing: Vec<&str> = [
            ("rpm", has("rpm", &["--version"])),
            ("rpmbuild", has("rpmbuild", &["--version"])),
            ("gpg", has("gpg", &["--version"])),
            ("python3-bsddb3", has(PYTHON, &["-c", "import bsddb3"])),
        ]
        .into_iter()
        .filter_map(|(n, ok)| (!ok).then_some(n))
        .collect();
        if !missing.is_empty() {
            eprintln!(
                "skipping the Berkeley DB rpmdb differential test: {} not installed (apt-get install rpm gpg python3-bsddb3)",
                missing.join(", ")
            );
            return None;
        }
        let script = crate::util::repo().join("tests/data/rpmdb/make-bdb.py");
        let mut text = std::fs::read(&script).unwrap();
        text.extend(std::fs::read(crate::util::repo().join("tests/data/rpmdb/ndb.py")).unwrap());
        let key = text
            .iter()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("rpmdb-{PACKAGES}-{key:016x}"));
        if !dir.join("done").exists() {
            // Made beside the final place and renamed: a concurrent run sees all or nothing.
            let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
            let out = Command::new(PYTHON)
                .arg(&script)
                .arg(tmp.path())
                .arg(PACKAGES.to_string())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "make-bdb.py failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::fs::write(tmp.path().join("done"), &out.stdout).unwrap();
            let _ = std::fs::rename(tmp.keep(), &dir);
        }
        Some(dir)
    })
    .as_deref()
}

/// `(hnum, name, epoch:version-release, arch)` of every installed instance, as rpm reads them
/// (a Berkeley DB read-only, or the sqlite rpmdb the headers came from).
fn rpm_says(db: &Path) -> BTreeSet<(i64, String, String, String)> {
    let backend = if db.join("rpmdb.sqlite").exists() {
        "sqlite"
    } else {
        "bdb_ro"
    };
    let out = Command::new("rpm")
        .arg("--dbpath")
        .arg(db)
        .args(["--define", &format!("_db_backend {backend}"), "-qa", "--qf"])
        .arg("%{DBINSTANCE} %{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\\n")
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "rpm -qa on {}", db.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let arch = if f[3] == "(none)" { "" } else { f[3] };
            (f[0].parse().unwrap(), f[1].to_owned(), f[2].to_owned(), arch.to_owned())
        })
        .collect()
}

/// The same, from imagegate's reader: every instance, with epoch 0 written out as rpm does.
fn imagegate_says(db: &Path) -> BTreeSet<(i64, String, String, String)> {
    instances(
        &read_bdb("/var/lib/rpm/Packages", &std::fs::read(db.join("Packages")).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", db.display())),
    )
}

fn instances(p: &imagegate::facts::packages::Packages) -> BTreeSet<(i64, String, String, String)> {
    p.installed
        .values()
        .flat_map(|pkg| pkg.instances().map(move |i| (pkg.name.clone(), i)))
        .map(|(name, i)| {
            let hnum = i
                .source
                .note
                .as_deref()
                .unwrap()
                .strip_prefix("Packages hnum ")
                .unwrap();
            let evr = if i.version.contains(':') {
                i.version.to_string()
            } else {
                format!("0:{}", i.version)
            };
            (
                hnum.parse().unwrap(),
                name.to_string(),
                evr,
                i.arch.as_deref().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_package_agrees_with_rpm_bdb_ro() {
    let Some(dir) = databases() else { return };
    for name in DATABASES {
        let db = dir.join(name);
        let want = rpm_says(&db);
        // The corpus holds what the test claims to cover.
        assert_eq!(want.len(), PACKAGES + 6, "{name}");
        assert_eq!(want.iter().filter(|r| r.1 == "multi").count(), 4, "{name}");
        assert!(want.iter().any(|r| r.1 == "gpg-pubkey" && r.3.is_empty()), "{name}");
        let got = imagegate_says(&db);
        let missing: Vec<_> = want.difference(&got).take(5).collect();
        let extra: Vec<_> = got.difference(&want).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: rpm reads {} instances, imagegate {}; only rpm: {missing:?}; only imagegate: {extra:?}",
            want.len(),
            got.len()
        );
    }
}

/// Every instance of the ndb databases, fresh and upgraded, is rpm's (from the sqlite rpmdb the
/// headers came from), under the instance number the writer gave it.
#[test]
fn every_package_agrees_with_rpm_ndb() {
    let Some(dir) = databases() else { return };
    let want = rpm_says(&dir.join("sqlite"));
    assert_eq!(want.len(), PACKAGES + 6);
    for name in ["ndb", "ndb-churn"] {
        let renumbered: std::collections::BTreeMap<i64, i64> = if name == "ndb" {
            want.iter().map(|r| (r.0, r.0)).collect()
        } else {
            std::fs::read_to_string(dir.join(name).join("instances"))
                .unwrap()
                .lines()
                .map(|l| {
                    let (new, old) = l.split_once(' ').unwrap();
                    (new.parse().unwrap(), old.parse().unwrap())
                })
                .collect()
        };
        if name == "ndb-churn" {
            // The upgrade renumbered a fifth of the packages.
            assert!(
                renumbered.iter().filter(|(n, o)| n != o).count() >= PACKAGES / 5,
                "{name}"
            );
        }
        let bytes = std::fs::read(dir.join(name).join("Packages.db")).unwrap();
        let p = read_ndb("/usr/lib/sysimage/rpm/Packages.db", &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got: BTreeSet<_> = instances(&p)
            .into_iter()
            .map(|(hnum, n, evr, arch)| (renumbered[&hnum], n, evr, arch))
            .collect();
        let missing: Vec<_> = want.difference(&got).take(5).collect();
        let extra: Vec<_> = got.difference(&want).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: rpm reads {} instances, imagegate {}; only rpm: {missing:?}; only imagegate: {extra:?}",
            want.len(),
            got.len()
        );
    }
}

/// A root whose rpmdb is ndb (SUSE's /usr/lib/sysimage/rpm/Packages.db) is scanned: its packages,
/// and its file digests, rpm's file for file.
#[test]
fn a_suse_root_is_read_from_its_ndb() {
    let Some(dir) = databases() else { return };
    let out = Command::new("rpm")
        .arg("--dbpath")
        .arg(dir.join("sqlite"))
        .args(["-qa", "many", "--qf"])
        .arg("[%{FILEDIGESTS} %{FILENAMES}\\n]")
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let want: BTreeSet<(String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(d, _)| !d.is_empty())
        .map(|(d, p)| (p.to_owned(), d.to_owned()))
        .collect();
    assert_eq!(want.len(), 400);

    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("usr/lib/sysimage/rpm")).unwrap();
    std::fs::copy(
        dir.join("ndb-churn/Packages.db"),
        root.path().join("usr/lib/sysimage/rpm/Packages.db"),
    )
    .unwrap();
    let fs = RootFs::open(root.path()).unwrap();
    let (items, no_digests, checked) = imagegate::facts::integrity::rpm::items(&fs).unwrap();
    let got: BTreeSet<(String, String)> = items.into_iter().map(|i| (i.path, i.expected)).collect();
    assert_eq!(got, want);
    assert_eq!((no_digests.len(), checked), (0, 1));

    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(
        root.path().join("etc/os-release"),
        "ID=\"sles\"\nVERSION_ID=\"15.6\"\nID_LIKE=\"suse\"\n",
    )
    .unwrap();
    let out = crate::util::imagegate(&["facts", "--root", root.path().to_str().unwrap()]);
    let facts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &facts["packages"];
    assert_eq!(p["manager"], "rpm", "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(p["database"], "/usr/lib/sysimage/rpm/Packages.db");
    assert_eq!(p["count"], PACKAGES + 3);
}

/// Seeded byte flips and truncations of a real ndb database (14 headers): an error or headers,
/// never a panic, and never more header bytes than the file.
#[test]
fn damaged_real_ndb_databases_never_panic() {
    let Some(dir) = databases() else { return };
    let good = std::fs::read(dir.join("ndb-seed/Packages.db")).unwrap();
    assert_eq!(read_ndb("/x", &good).unwrap().installed.len(), 14 - 3);
    let mut rng = crate::util::Rng::new(0x9db);
    let (mut errors, mut read) = (0, 0);
    for round in 0..3000 {
        let mut b = good.clone();
        if round % 5 == 0 {
            b.truncate(rng.below(good.len()));
        }
        for _ in 0..1 + rng.below(8) {
            if b.is_empty() {
                break;
            }
            // Half the flips in the slot area, where a byte decides where blobs are.
            let at = if round % 2 == 0 {
                rng.below(b.len().min(4096))
            } else {
                rng.below(b.len())
            };
            b[at] = rng.next() as u8;
        }
        let mut total = 0;
        match imagegate::facts::packages::ndb::each_blob(&b, |_, v| {
            total += v.len();
            let _ = imagegate::facts::packages::rpm::parse_header(v);
            Ok(())
        }) {
            Ok(()) => read += 1,
            Err(_) => errors += 1,
        }
        assert!(
            total <= b.len(),
            "round {round}: {total} bytes of headers from {} bytes",
            b.len()
        );
        let _ = read_ndb("/x", &b);
    }
    assert!(errors > 0 && read > 0, "{errors} errors, {read} reads");
}

/// The representative of a name in several versions and architectures is rpm's newest.
#[test]
fn several_versions_of_one_name() {
    let Some(dir) = databases() else { return };
    let bytes = std::fs::read(dir.join("bdb-4096/Packages")).unwrap();
    let p = read_bdb("/var/lib/rpm/Packages", &bytes).unwrap();
    let m = p.get("multi").unwrap();
    assert_eq!(m.version, "1.10-1.el8");
    let mut others: Vec<_> = m.also.iter().map(|i| format!("{} {:?}", i.version, i.arch)).collect();
    others.sort();
    assert_eq!(
        others,
        [
            "1.0-1.el8 Some(\"x86_64\")",
            "1.9-1.el8 Some(\"i686\")",
            "1.9-1.el8 Some(\"x86_64\")"
        ]
    );
}

/// The file digests the integrity check reads from a Berkeley DB root are rpm's, file for file,
/// and the scan of such a root reads its packages.
#[test]
fn file_digests_and_the_scan_read_the_berkeley_db() {
    let Some(dir) = databases() else { return };
    let out = Command::new("rpm")
        .arg("--dbpath")
        .arg(dir.join("bdb-512"))
        .args(["--define", "_db_backend bdb_ro", "-qa", "many", "--qf"])
        .arg("[%{FILEDIGESTS} %{FILENAMES}\\n]")
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let want: BTreeSet<(String, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(d, _)| !d.is_empty())
        .map(|(d, p)| (p.to_owned(), d.to_owned()))
        .collect();
    assert_eq!(want.len(), 400);

    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("var/lib/rpm")).unwrap();
    std::fs::copy(dir.join("bdb-512/Packages"), root.path().join("var/lib/rpm/Packages")).unwrap();
    let fs = RootFs::open(root.path()).unwrap();
    let (items, no_digests, checked) = imagegate::facts::integrity::rpm::items(&fs).unwrap();
    let got: BTreeSet<(String, String)> = items.into_iter().map(|i| (i.path, i.expected)).collect();
    assert_eq!(got, want);
    assert_eq!((no_digests.len(), checked), (0, 1));

    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/os-release"), "ID=centos\nVERSION_ID=\"7\"\n").unwrap();
    let out = crate::util::imagegate(&["facts", "--root", root.path().to_str().unwrap()]);
    let facts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &facts["packages"];
    assert_eq!(p["manager"], "rpm", "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(p["database"], "/var/lib/rpm/Packages");
    assert_eq!(p["count"], PACKAGES + 3);
}

/// Peak resident memory (KiB) of `imagegate facts --root ROOT --only packages`, and its output;
/// `None` without GNU time.
fn facts_peak_kib(root: &Path) -> Option<(u64, serde_json::Value)> {
    if !Path::new("/usr/bin/time").exists() {
        eprintln!("skipping the peak-memory half: /usr/bin/time not installed (apt-get install time)");
        return None;
    }
    let report = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(report.path())
        .arg(env!("CARGO_BIN_EXE_imagegate"))
        .args(["facts", "--group", "packages", "--root"])
        .arg(root)
        .output()
        .unwrap();
    let kib = std::fs::read_to_string(report.path()).unwrap().trim().parse().unwrap();
    Some((kib, serde_json::from_slice(&out.stdout).unwrap()))
}

/// The rpmdb bound: a database above it is an error naming the bound and the file, before it is
/// read; one just under it is held once, not copied (a 500 MiB sparse rpmdb.sqlite used to peak
/// at twice its size).
#[test]
fn the_rpmdb_is_bounded_and_held_once() {
    let limit = imagegate::facts::packages::rpm::DB_LIMIT;
    let root = tempfile::tempdir().unwrap();
    let db = root.path().join("var/lib/rpm/rpmdb.sqlite");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    // A real sqlite header, then a sparse file of zeros.
    let header = {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)")
            .unwrap();
        c.serialize(rusqlite::MAIN_DB).unwrap()[..100].to_vec()
    };
    let sparse = |size: u64| {
        std::fs::write(&db, &header).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&db)
            .unwrap()
            .set_len(size)
            .unwrap();
    };

    sparse(limit + 1);
    let fs = RootFs::open(root.path()).unwrap();
    let err = imagegate::facts::packages::rpm::collect(&fs).unwrap_err().to_string();
    assert!(
        err.contains("/var/lib/rpm/rpmdb.sqlite") && err.contains(&format!("{limit}-byte limit")),
        "{err}"
    );
    if let Some((kib, facts)) = facts_peak_kib(root.path()) {
        assert!(kib < 128 * 1024, "{kib} KiB to refuse a database above the bound");
        let reason = facts["packages"]["unavailable"]["reason"].to_string();
        assert!(reason.contains("byte limit"), "{reason}");
    }

    let size = limit * 3 / 4;
    sparse(size);
    if let Some((kib, facts)) = facts_peak_kib(root.path()) {
        // Zeros after the header are no database, but they are read.
        assert_eq!(
            facts["packages"]["unavailable"]["status"], "error",
            "{}",
            facts["packages"]
        );
        let budget = (size + size / 3) / 1024;
        assert!(kib < budget, "{kib} KiB for a {size}-byte rpmdb (budget {budget} KiB)");
    }
}

/// Seeded byte flips and truncations of a real database (14 rpm-written headers at page size 512):
/// every outcome is an error or headers, never a panic, and the headers handed out never add up
/// to more than the file.
#[test]
fn damaged_real_databases_never_panic() {
    let Some(dir) = databases() else { return };
    let good = std::fs::read(dir.join("bdb-seed/Packages")).unwrap();
    assert_eq!(
        read_bdb("/var/lib/rpm/Packages", &good).unwrap().installed.len(),
        14 - 3
    );
    let mut rng = crate::util::Rng::new(0xbdb);
    let (mut errors, mut read) = (0, 0);
    for round in 0..3000 {
        let mut b = good.clone();
        if round % 5 == 0 {
            b.truncate(rng.below(good.len()));
        }
        for _ in 0..1 + rng.below(8) {
            if b.is_empty() {
                break;
            }
            let at = rng.below(b.len());
            b[at] = rng.next() as u8;
        }
        let mut total = 0;
        match imagegate::facts::packages::bdb::each_blob(&b, |_, v| {
            total += v.len();
            let _ = imagegate::facts::packages::rpm::parse_header(v);
            Ok(())
        }) {
            Ok(()) => read += 1,
            Err(_) => errors += 1,
        }
        assert!(
            total <= b.len(),
            "round {round}: {total} bytes of headers from {} bytes",
            b.len()
        );
        let _ = read_bdb("/var/lib/rpm/Packages", &b);
    }
    assert!(
        errors > 0 && read > 0,
        "{errors} errors, {read} reads: the mutations reach both outcomes"
    );
}
