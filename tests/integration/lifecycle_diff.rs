//! The lifecycle table's Debian and Ubuntu rows against Debian's distro-info-data
//! (/usr/share/distro-info/{debian,ubuntu}.csv): every release since 2014 is in the table, with
//! the same release date, end of free support and other phases. Any difference fails the test and
//! lists the rows. Skipped, with a message, without distro-info-data.

use std::collections::BTreeMap;
use std::path::Path;

use imagegate::facts::lifecycle::{TABLE, parse_table};

/// The CSV rows as maps from column name to value (empty columns left out).
fn csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| ((*k).to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

#[test]
fn debian_and_ubuntu_rows_match_distro_info_data() {
    let dir = Path::new("/usr/share/distro-info");
    if !dir.join("debian.csv").exists() || !dir.join("ubuntu.csv").exists() {
        eprintln!(
            "skipping the lifecycle table check: distro-info-data is not installed (apt-get install distro-info-data)"
        );
        return;
    }
    let table = parse_table(TABLE).unwrap();
    let as_of = table.as_of.to_string();
    let mut diffs = Vec::new();
    let mut checked = 0;
    for (id, file) in [("debian", "debian.csv"), ("ubuntu", "ubuntu.csv")] {
        for r in csv(&dir.join(file)) {
            let (Some(version), Some(released)) = (r.get("version"), r.get("release")) else {
                continue; // sid, experimental, unreleased: not releases
            };
            let version = version.trim_end_matches(" LTS");
            let get = |k: &str| r.get(k).cloned();
            // The free end: Debian's LTS (or the security end before LTS existed), Ubuntu's
            // standard support.
            let (eol, mut phases) = match id {
                "debian" => {
                    let mut p = BTreeMap::new();
                    if let (Some(_), Some(sec)) = (get("eol-lts"), get("eol")) {
                        p.insert("security".to_owned(), sec);
                    }
                    if let Some(e) = get("eol-elts") {
                        p.insert("elts".to_owned(), e);
                    }
                    (get("eol-lts").or(get("eol")), p)
                }
                _ => {
                    let mut p = BTreeMap::new();
                    for (col, phase) in [("eol-esm", "esm"), ("eol-legacy", "legacy")] {
                        if let Some(e) = get(col) {
                            p.insert(phase.to_owned(), e);
                        }
                    }
                    (get("eol"), p)
                }
            };
            let last = phases.values().chain(eol.iter()).max().cloned().unwrap_or_default();
            if last.as_str() < "2014-01-01" {
                continue; // ended before 2014: the table need not list it
            }
            checked += 1;
            let Some(row) = table.release.iter().find(|t| t.id == id && t.version == version) else {
                diffs.push(format!("{id} {version}: in distro-info-data, not in the table"));
                continue;
            };
            let development = released.as_str() > as_of.as_str();
            let got_phases: BTreeMap<String, String> =
                row.phases.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
            if development {
                phases.clear();
            }
            let want = (
                Some(released.clone()),
                if development { None } else { eol.clone() },
                phases,
                development,
            );
            let got = (
                row.released.as_ref().map(ToString::to_string),
                row.eol.as_ref().map(ToString::to_string),
                if development { BTreeMap::new() } else { got_phases },
                row.development,
            );
            if want != got {
                diffs.push(format!("{id} {version}: distro-info-data {want:?}, table {got:?}"));
            }
        }
    }
    assert!(checked >= 30, "only {checked} rows checked");
    assert!(
        diffs.is_empty(),
        "{} of {checked} rows differ:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    eprintln!("{checked} Debian and Ubuntu rows agree with distro-info-data");
}
