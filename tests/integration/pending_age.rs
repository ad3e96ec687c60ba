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
