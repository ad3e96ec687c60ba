//! The age of the pending-update index is counted from when apt fetched it, not from the suite's
//! `Date:`: a security suite frozen at end of life (Debian 11's) keeps an old date however often
//! `apt-get update` runs, and must not hide the pending updates behind an "index too old" error.

use std::time::{Duration, SystemTime};

const INRELEASE: &str = "var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_InRelease";

/// `imagegate facts --group updates` of `root` as of `as_of`.
fn updates(root: &std::path::Path, as_of: &str) -> serde_json::Value {
    let out = crate::util::imagegate(&[
        "facts",
        "--group",
        "updates",
        "--as-of",
        as_of,
        "--root",
        root.to_str().unwrap(),
    ]);
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["updates"].clone()
}

#[test]
fn index_age_counts_from_the_fetch_not_the_suite_date() {
    let root = crate::util::fixture_copy("debian12");
    // The suite was published 2026-10-28 (its Date: line); apt fetched it on 2027-03-01.
    let fetched = SystemTime::UNIX_EPOCH + Duration::from_secs(1_803_902_400); // 2027-03-01 12:00 UTC
    std::fs::File::options()
        .write(true)
        .open(root.path().join(INRELEASE))
        .unwrap()
        .set_modified(fetched)
        .unwrap();
    let u = updates(root.path(), "2027-03-03");
    assert_eq!(u["index_age_days"], 2, "{u}");
    assert_eq!(u["index_date"]["value"], "2027-03-01");
    assert_eq!(u["suite_date"]["value"], "2026-10-28");
    assert_eq!(u["pockets"][0]["fetched"], "2027-03-01");
    assert!(
        !u["pending"].as_array().unwrap().is_empty(),
        "the pending updates are still shown"
    );

    // An as-of date before the fetch: the fetch says nothing about it, the suite's date counts.
    let u = updates(root.path(), "2026-11-01");
    assert_eq!(u["index_age_days"], 4, "{u}");
    assert!(u["pockets"][0]["fetched"].is_null());

    // The rule judges the pending updates (a failure), not the suite's age (an error).
    let out = crate::util::imagegate(&[
        "scan",
        "--format",
        "json",
        "--as-of",
        "2027-03-03",
        "--root",
        root.path().to_str().unwrap(),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "updates-pending.no-security-updates")
        .unwrap()
        .clone();
    assert_eq!(finding["status"], "fail", "{finding}");
}

const ALPINE_MAIN: &str = "https://dl-cdn.alpinelinux.org/alpine/v3.20/main";
const ALPINE_COMMUNITY: &str = "https://dl-cdn.alpinelinux.org/alpine/v3.20/community";

/// apk-tools' cache name of a repository's index, computed with the host's sha1sum:
/// `APKINDEX.` + the first 4 bytes of SHA-1(`URL/ARCH/APKINDEX.tar.gz`) in hex + `.tar.gz`.
fn apk_cache_name(url: &str, arch: &str) -> String {
    use std::io::Write;
    #[allow(clippy::disallowed_methods)] // a reference implementation on the host, in a test
    let mut child = std::process::Command::new("sha1sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{url}/{arch}/APKINDEX.tar.gz").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    format!("APKINDEX.{}.tar.gz", &String::from_utf8(out.stdout).unwrap()[..8])
}

/// A cached apk index as `apk update` leaves it: a gzip stream holding the signature's tar
/// member (its end-of-archive blocks cut, as abuild-sign does), then one holding DESCRIPTION and
/// APKINDEX written by the host's tar with `built` as their time.
fn apk_index(records: &str, built: &str) -> Vec<u8> {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path()
            .join(".SIGN.RSA.alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub"),
        [7u8; 256],
    )
    .unwrap();
    std::fs::write(dir.path().join("DESCRIPTION"), "v3.20.3-165-g0a2f4e6d8e4").unwrap();
    std::fs::write(dir.path().join("APKINDEX"), records).unwrap();
    let tar = |files: &[&str]| {
        #[allow(clippy::disallowed_methods)] // the host's tar writes the test data
        let out = std::process::Command::new("tar")
            .args(["--format=ustar", "--owner=0", "--group=0", "--mtime", built, "-cf", "-"])
            .args(files)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let gz = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    let sig = tar(&[".SIGN.RSA.alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub"]);
    [gz(&sig[..1024]), gz(&tar(&["DESCRIPTION", "APKINDEX"]))].concat()
}

fn set_mtime(path: &std::path::Path, secs: u64) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

fn finding(root: &std::path::Path, as_of: &str) -> serde_json::Value {
    let out = crate::util::imagegate(&[
        "scan",
        "--format",
        "json",
        "--as-of",
        as_of,
        "--root",
        root.to_str().unwrap(),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "updates-pending.no-security-updates")
        .unwrap()
        .clone()
}

/// Alpine: every installed package with a newer version (apk's ordering, same architecture) in
/// the cached index of an untagged repository is pending; the age counts from the cached file's
/// time, the publication date is the APKINDEX member's; a configured repository without a cached
/// index is an error that says to run apk update.
#[test]
fn alpine_pending_updates_from_the_apk_cache() {
    let root = crate::util::fixture_copy("alpine320");
    let r = root.path();
    std::fs::write(r.join("etc/apk/arch"), "x86_64\n").unwrap();
    std::fs::write(
        r.join("etc/apk/repositories"),
        format!("{ALPINE_MAIN}\n# a comment\n{ALPINE_COMMUNITY}\n@testing https://dl-cdn.alpinelinux.org/alpine/edge/testing\n"),
    )
    .unwrap();
    let cache = r.join("var/cache/apk");
    std::fs::create_dir_all(&cache).unwrap();
    let main = "C:Q1a=\nP:openssh-server\nV:9.7_p1-r5\nA:x86_64\nS:1\n\n\
                C:Q1b=\nP:busybox\nV:1.36.1-r29\nA:x86_64\n\n\
                C:Q1c=\nP:zlib\nV:1.3.1-r0\nA:x86_64\n\n\
                C:Q1d=\nP:musl\nV:1.2.5-r1\nA:aarch64\n\n\
                C:Q1e=\nP:musl\nV:1.2.5-r10\nA:x86_64\n\n\
                C:Q1f=\nP:musl\nV:1.2.5-r2\nA:x86_64\n\n\
                C:Q1g=\nP:libssl3\nV:3.3.2_rc1-r1\nA:x86_64\n\n";
    let community = "C:Q1h=\nP:py3-yaml\nV:6.0.2-r0\nA:x86_64\n\nC:Q1i=\nP:not-installed\nV:9-r0\nA:x86_64\n";
    let testing = "P:openssh-server\nV:9.9_p1-r0\nA:x86_64\n";
    let main_file = cache.join(apk_cache_name(ALPINE_MAIN, "x86_64"));
    std::fs::write(&main_file, apk_index(main, "2024-11-02 10:00:00 UTC")).unwrap();
    std::fs::write(
        cache.join(apk_cache_name(ALPINE_COMMUNITY, "x86_64")),
        apk_index(community, "2024-11-01 10:00:00 UTC"),
    )
    .unwrap();
    std::fs::write(
        cache.join(apk_cache_name(
            "https://dl-cdn.alpinelinux.org/alpine/edge/testing",
            "x86_64",
        )),
        apk_index(testing, "2024-11-01 10:00:00 UTC"),
    )
    .unwrap();
    for f in std::fs::read_dir(&cache).unwrap() {
        set_mtime(&f.unwrap().path(), 1_730_808_000); // 2024-11-05 12:00 UTC: apk update
    }

    let u = updates(r, "2024-11-07");
    assert_eq!(u["manager"], "apk", "{u}");
    assert_eq!(u["index_age_days"], 2, "{u}");
    assert_eq!(u["index_date"]["value"], "2024-11-05");
    assert_eq!(u["suite_date"]["value"], "2024-11-02");
    let pending: Vec<(String, String, String, String)> = u["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_owned();
            (s("package"), s("installed"), s("candidate"), s("pocket"))
        })
        .collect();
    let row = |p: &str, i: &str, c: &str, repo: &str| (p.to_owned(), i.to_owned(), c.to_owned(), repo.to_owned());
    assert_eq!(
        pending,
        [
            // The newest of three x86_64 candidates (r10 > r2 numerically); aarch64 is not offered.
            row("musl", "1.2.5-r0", "1.2.5-r10", ALPINE_MAIN),
            // _p1-r5 above _p1-r4; the @testing repository's 9.9_p1 serves pinned packages only.
            row("openssh-server", "9.7_p1-r4", "9.7_p1-r5", ALPINE_MAIN),
            row("py3-yaml", "6.0.1-r3", "6.0.2-r0", ALPINE_COMMUNITY),
        ],
        "{u}"
    );
    let src = &u["pending"][1]["source"];
    assert_eq!(
        src["path"],
        format!("/var/cache/apk/{}:APKINDEX", apk_cache_name(ALPINE_MAIN, "x86_64"))
    );
    assert_eq!(src["line"], 1);
    assert_eq!(u["pockets"].as_array().unwrap().len(), 2);
    let f = finding(r, "2024-11-07");
    assert_eq!(f["status"], "fail", "{f}");

    // Ten days after apk update: the cache is too old to vouch for anything.
    let f = finding(r, "2024-11-15");
    assert_eq!(f["status"], "error", "{f}");

    // A configured repository whose index is not cached (apk add --no-cache, rm -rf /var/cache/apk).
    std::fs::remove_file(&main_file).unwrap();
    let f = finding(r, "2024-11-07");
    assert_eq!(f["status"], "error", "{f}");
    let why = f.to_string();
    assert!(
        why.contains(ALPINE_MAIN) && why.contains("apk update") && why.contains(&apk_cache_name(ALPINE_MAIN, "x86_64")),
        "{why}"
    );
}
