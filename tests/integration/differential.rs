//! Facts against the distribution's own tools, on the machine running the tests (a real, booted
//! Debian system in CI) and, with `IMAGEGATE_E2E_ROOT` set (`make e2e`), on a debootstrapped root.
//! A tool that is missing skips its comparison with a message; any disagreement fails.
use std::collections::BTreeMap;
use std::process::Command;

use crate::util::imagegate;

/// The facts of `root`, only the groups asked for (the live machine's filesystem walk and package
/// digests are not needed here).
fn facts(root: &str, groups: &[&str]) -> serde_json::Value {
    let mut args = vec!["facts", "--root", root];
    for g in groups {
        args.extend(["--group", g]);
    }
    let out = imagegate(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn dpkg_query(admindir: &str) -> Option<BTreeMap<String, String>> {
    let out = Command::new("dpkg-query")
        .args([
            "--admindir",
            admindir,
            "-W",
            "-f",
            "${db:Status-Abbrev}\t${Package}\t${Version}\n",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut it = l.split('\t');
                let (status, name, version) = (it.next()?, it.next()?, it.next()?);
                // "ii " = installed; imagegate counts only installed packages.
                status.starts_with("ii").then(|| (name.to_owned(), version.to_owned()))
            })
            .collect(),
    )
}

fn compare_packages(root: &str) {
    let admindir = format!("{}/var/lib/dpkg", root.trim_end_matches('/'));
    let Some(want) = dpkg_query(&admindir) else {
        eprintln!("skipped: dpkg-query is not available or {admindir} is not a dpkg database");
        return;
    };
    let v = facts(root, &["packages"]);
    let installed = v["packages"]["installed"]
        .as_object()
        .unwrap_or_else(|| panic!("no packages: {}", v["packages"]));
    let got: BTreeMap<String, String> = installed
        .iter()
        .map(|(name, p)| (name.clone(), p["version"].as_str().unwrap_or_default().to_owned()))
        .collect();
    let missing: Vec<_> = want.iter().filter(|(n, ver)| got.get(*n) != Some(ver)).collect();
    let extra: Vec<_> = got.keys().filter(|n| !want.contains_key(*n)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "dpkg-query disagrees: missing/different {missing:?}, extra {extra:?}"
    );
    assert!(want.len() > 20, "suspiciously few packages: {}", want.len());
}

#[test]
fn live_packages_match_dpkg_query() {
    compare_packages("/");
}

#[test]
fn live_os_release_matches_the_shell() {
    let Ok(out) = Command::new("sh")
        .args(["-c", ". /etc/os-release && printf '%s\\n%s\\n' \"$ID\" \"$VERSION_ID\""])
        .output()
    else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let v = facts("/", &["os"]);
    assert_eq!(v["os"]["id"]["value"].as_str(), lines.next());
    let version = lines.next().filter(|s| !s.is_empty());
    assert_eq!(v["os"]["version_id"]["value"].as_str(), version);
}

#[test]
fn e2e_root_packages_match_dpkg_query() {
    let Ok(root) = std::env::var("IMAGEGATE_E2E_ROOT") else {
        eprintln!("skipped: set IMAGEGATE_E2E_ROOT (make e2e) to compare on a debootstrapped root");
        return;
    };
    compare_packages(&root);
}

/// `apt list --upgradable` names the pocket of each candidate: every package apt would upgrade
/// from a security pocket must be pending for imagegate, and everything imagegate lists must be
/// upgradable for apt (its candidate may come from another pocket when that one is newer still).
#[test]
fn live_pending_security_updates_match_apt() {
    let Ok(out) = Command::new("apt")
        .args(["list", "--upgradable"])
        .env("LC_ALL", "C")
        .output()
    else {
        eprintln!("skipped: apt is not available");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let upgradable: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once('/')?;
            Some((name, rest.split_whitespace().next()?))
        })
        .collect();
    let v = facts("/", &["updates"]);
    let Some(pending) = v["updates"]["pending"].as_array() else {
        eprintln!("skipped: no apt index on this machine ({})", v["updates"]);
        return;
    };
    let ours: std::collections::BTreeSet<&str> = pending.iter().filter_map(|p| p["package"].as_str()).collect();
    for (name, suites) in &upgradable {
        if suites.split(',').any(|s| s.ends_with("-security")) {
            assert!(
                ours.contains(name),
                "apt upgrades {name} from {suites}, imagegate does not list it"
            );
        }
    }
    for name in &ours {
        assert!(
            upgradable.iter().any(|(n, _)| n == name),
            "imagegate lists {name}, apt cannot upgrade it"
        );
    }
}

/// The debootstrapped root is intact by debsums' standard (every md5sums entry matches), and a
/// binary altered in a copy of it is reported as changed with its package.
#[test]
fn e2e_root_integrity_intact_then_altered_binary_reported() {
    let Ok(root) = std::env::var("IMAGEGATE_E2E_ROOT") else {
        eprintln!("skipped: set IMAGEGATE_E2E_ROOT (make e2e) to verify package files on a debootstrapped root");
        return;
    };
    let v = facts(&root, &["integrity"]);
    let i = &v["integrity"];
    assert!(
        i["files_checked"].as_u64().unwrap_or(0) > 1000,
        "too few files verified: {i}"
    );
    for k in ["changed", "missing", "unreadable"] {
        assert_eq!(
            i[k],
            serde_json::json!([]),
            "{k} in an untouched debootstrap root: {}",
            i[k]
        );
    }
    // A copy with one byte appended to ls (cp -a keeps links and modes; the copy is ours to alter).
    let copy = tempfile::tempdir().unwrap();
    let dest = copy.path().join("root");
    let ok = Command::new("cp").args(["-a", &root]).arg(&dest).status().unwrap();
    assert!(ok.success(), "cp -a {root} failed");
    let ls = dest.join("usr/bin/ls");
    let mut bytes = std::fs::read(&ls).unwrap();
    bytes.push(0);
    std::fs::write(&ls, bytes).unwrap();
    let v = facts(dest.to_str().unwrap(), &["integrity"]);
    let changed = v["integrity"]["changed"].as_array().unwrap();
    assert!(
        changed
            .iter()
            .any(|c| c["package"] == "coreutils" && c["path"].as_str().is_some_and(|p| p.ends_with("bin/ls"))),
        "altered ls not reported: {changed:?}"
    );
    let out = imagegate(&[
        "scan",
        "--root",
        dest.to_str().unwrap(),
        "--profile",
        "supply-chain",
        "--only",
        "integrity.package-files-unchanged",
        "--format",
        "json",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["findings"][0]["status"], "fail", "{r}");
}
