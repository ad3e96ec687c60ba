//! One integration-test binary (ripgrep's layout): each module says what belongs in it.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros, clippy::disallowed_types)]

/// Fixture roots in temporary directories, running the binary, loading cases (shared with
/// tests/cases.rs, which uses parts this binary does not).
#[allow(dead_code)]
mod util;

/// Exit codes, argument errors, output streams.
mod cli;
/// The rule corpus: every rule loads, has pass and fail cases, follows the message style.
mod corpus;
/// Benchmarks and `rules coverage`, profile variables, XCCDF tailoring import.
mod coverage;
/// Facts against the distribution's own tools (dpkg-query, the shell) on real systems.
mod differential;
/// Every report format for every fixture root: count agreement, SARIF schema, escaping, --report.
mod formats;
/// The framework benchmarks (rules/benchmarks): every clause cited or marked, every citation known.
mod frameworks;
/// Hostile roots built at test time: escapes, loops, special files, bombs, damage, no privileges.
mod hostile;
/// The layering of src/: which module may name which.
mod layers;
/// The lifecycle table's Debian and Ubuntu rows against Debian's distro-info-data.
mod lifecycle_diff;
/// `report merge`: fleet summaries of real scan reports, wrong inputs.
mod merge;
/// File names that are not UTF-8: read, ordered by bytes, shown as `\xNN` in every format.
mod names;
/// The pending-update index's age: from when apt fetched it, the suite's date apart.
mod pending_age;
/// Scans change nothing: manifests of fixture roots and live config files before and after.
mod readonly;
/// Root confinement: symlink escapes, loops, FIFOs and devices, with both resolvers.
mod rootfs;
/// The Berkeley DB rpmdb reader against rpm's own read-only backend, on generated databases.
mod rpmdb_diff;
/// Facts and findings of every fixture root, snapshotted.
mod snapshots;
/// sshd -T against the in-process effective configuration.
mod sshd_diff;
/// Runtime sysctl values against `sysctl -n` on the machine running the tests.
mod sysctl_diff;
/// dpkg_cmp against the real `dpkg --compare-versions` (skipped without dpkg).
mod version_diff;
/// The bounded filesystem walk over a generated tree (offenders, links, loops, FIFOs, the bound).
mod walk;
