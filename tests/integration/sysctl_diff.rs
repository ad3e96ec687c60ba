//! Runtime kernel parameters against procps `sysctl -n`, on the machine running the tests.
//!
//! The sysctl collector reads /proc/sys itself (through RootFs, never by running a program); this
//! test checks that what it reads, after normalisation, is exactly what `sysctl -n KEY` prints for
//! every key it reports a runtime value for: the well-known security keys plus every key this
//! machine's sysctl.d files set. A key the kernel does not have must be missing for both. Skipped
//! with a message when no sysctl binary is installed.
use std::process::Command;

use imagegate::facts::{Collected, Context, sysctl};
use imagegate::rootfs::RootFs;

/// The first sysctl binary that runs (/usr/sbin is not on every PATH).
fn sysctl_binary() -> Option<&'static str> {
    ["sysctl", "/usr/sbin/sysctl", "/sbin/sysctl"]
        .into_iter()
        .find(|b| Command::new(b).arg("-V").output().is_ok_and(|o| o.status.success()))
}

#[test]
fn runtime_values_match_sysctl_n() {
    let Some(bin) = sysctl_binary() else {
        eprintln!("skipped: no sysctl binary on this machine");
        return;
    };
    let fs = RootFs::open(std::path::Path::new("/")).unwrap();
    let ctx = Context {
        live: true,
        as_of: "2026-11-01".parse().unwrap(),
        wanted: None,
    };
    let facts = sysctl::collect(&fs, &ctx, None).unwrap();
    let mut compared = 0;
    let mut diffs = Vec::new();
    for (key, k) in &facts.keys {
        let out = Command::new(bin).args(["-n", key]).output().unwrap();
        let theirs = out
            .status
            .success()
            .then(|| sysctl::normalize_value(&String::from_utf8_lossy(&out.stdout)));
        let ours = match &k.runtime {
            Collected::Ok(f) => Some(f.value.clone()),
            // Absent from /proc/sys: the kernel has no such key, and sysctl must fail too.
            Collected::Unavailable { unavailable } if unavailable.reason.contains("is absent") => None,
            Collected::Unavailable { unavailable } => {
                // Unreadable for us (e.g. a write-only key) must be unreadable for sysctl as well.
                if theirs.is_some() {
                    diffs.push(format!(
                        "{key}: imagegate could not read it ({}), sysctl -n printed {theirs:?}",
                        unavailable.reason
                    ));
                }
                continue;
            }
        };
        compared += 1;
        if ours != theirs {
            diffs.push(format!("{key}: imagegate {ours:?}, sysctl -n {theirs:?}"));
        }
    }
    eprintln!("compared {compared} keys with {bin} -n");
    assert!(compared >= sysctl::WELL_KNOWN.len(), "only {compared} keys compared");
    assert!(
        diffs.is_empty(),
        "runtime values differ from sysctl -n:\n{}",
        diffs.join("\n")
    );
}
