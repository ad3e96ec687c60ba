//! `imagegate report merge`: real scan reports of several fixture roots merged into one fleet
//! summary, checked against the reports themselves; hostile and wrong inputs.
use std::path::Path;

use crate::util::{AS_OF, fixture_copy, imagegate};

/// Scans fixture `name` (with /etc/hostname set to `host` when given) into `dir/<file>`.
fn scan_into(dir: &Path, name: &str, host: Option<&str>, file: &str) -> serde_json::Value {
    let root = fixture_copy(name);
    if let Some(h) = host {
        std::fs::write(root.path().join("etc/hostname"), format!("{h}\n")).unwrap();
    }
    let path = dir.join(file);
    let spec = format!("json={}", path.display());
    let out = imagegate(&[
        "scan",
        "--root",
        root.path().to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--format",
        "text",
        "--report",
        &spec,
    ]);
    assert!(
        out.status.code().is_some_and(|c| c <= 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn merge(args: &[&str]) -> std::process::Output {
    let mut all = vec!["report", "merge"];
    all.extend_from_slice(args);
    imagegate(&all)
}

#[test]
fn merged_counts_agree_with_each_report() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = [("debian12", "web1"), ("ubuntu2204", "web2"), ("rocky9", "db1")];
    let reports: Vec<(String, serde_json::Value)> = hosts
        .iter()
        .map(|(root, host)| {
            (
                host.to_string(),
                scan_into(dir.path(), root, Some(host), &format!("{host}.json")),
            )
        })
        .collect();
    let files: Vec<String> = hosts
        .iter()
        .map(|(_, h)| dir.path().join(format!("{h}.json")).display().to_string())
        .collect();
    let args: Vec<&str> = files.iter().map(String::as_str).chain(["--format", "json"]).collect();
    let out = merge(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(m["schema"], "imagegate.merge/v1");
    assert_eq!(m["summary"]["hosts"], 3);
    let names: Vec<&str> = m["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["db1", "web1", "web2"], "named by /etc/hostname, sorted");

    // Every rule row lists exactly the hosts whose report gives it that status.
    for row in m["rules"].as_array().unwrap() {
        let id = row["id"].as_str().unwrap();
        for status in ["pass", "fail", "error", "not-applicable"] {
            let key = status.replace('-', "_");
            let mut want: Vec<&str> = reports
                .iter()
                .filter(|(_, r)| {
                    r["findings"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|f| f["id"] == id && f["status"] == status)
                })
                .map(|(h, _)| h.as_str())
                .collect();
            want.sort();
            let got: Vec<&str> = row[&key]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap())
                .collect();
            assert_eq!(got, want, "{id} {status}");
        }
    }
    // Host counts are the reports' own summaries.
    for h in m["hosts"].as_array().unwrap() {
        let (_, r) = reports.iter().find(|(n, _)| h["name"] == n.as_str()).unwrap();
        for k in ["pass", "fail", "error", "not_applicable"] {
            assert_eq!(h["counts"][k], r["summary"][k], "{} {k}", h["name"]);
        }
    }
    let failing = reports
        .iter()
        .filter(|(_, r)| r["summary"]["fail"].as_u64() > Some(0))
        .count();
    assert_eq!(m["summary"]["hosts_failing"], failing);

    // The text table names the failing hosts of a rule that fails everywhere, as n/n.
    let text_args: Vec<&str> = files.iter().map(String::as_str).collect();
    let text = String::from_utf8(merge(&text_args).stdout).unwrap();
    let all_fail = m["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["fail"].as_array().unwrap().len() == 3);
    if let Some(r) = all_fail {
        let line = text.lines().find(|l| l.starts_with(r["id"].as_str().unwrap())).unwrap();
        assert!(line.contains("3/3") && line.contains("db1, web1, web2"), "{line}");
    }

    // HTML: one self-contained page naming every host.
    let mut html_args = text_args.clone();
    html_args.extend(["--format", "html"]);
    let html = String::from_utf8(merge(&html_args).stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for n in names {
        assert!(html.contains(n), "{n}");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resources"
    );
    assert!(!html.contains("<script"), "no script");
}

#[test]
fn same_hostname_twice_is_told_apart_by_file_and_hostless_reports_use_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    scan_into(dir.path(), "debian12", Some("build"), "a.json");
    scan_into(dir.path(), "ubuntu2204", Some("build"), "b.json");
    scan_into(dir.path(), "rocky9", None, "rocky-builder.json");
    let a = dir.path().join("a.json").display().to_string();
    let b = dir.path().join("b.json").display().to_string();
    let c = dir.path().join("rocky-builder.json").display().to_string();
    let out = merge(&[&a, &b, &c, "--format", "json"]);
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = m["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            format!("build ({a})").as_str(),
            &format!("build ({b})"),
            "rocky-builder"
        ]
    );
}

#[test]
fn anything_but_a_v1_report_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = scan_into(dir.path(), "debian12", None, "good.json");
    let p = |n: &str| dir.path().join(n).display().to_string();

    let mut v0 = good.clone();
    v0["schema"] = "imagegate.report/v0".into();
    std::fs::write(p("old.json"), v0.to_string()).unwrap();
    let sarif = p("r.sarif");
    let out = imagegate(&[
        "scan",
        "--root",
        fixture_copy("debian12").path().to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--format",
        "sarif",
    ]);
    std::fs::write(&sarif, &out.stdout).unwrap();
    let facts = imagegate(&["facts", "--root", fixture_copy("debian12").path().to_str().unwrap()]);
    std::fs::write(p("facts.json"), &facts.stdout).unwrap();

    for (file, expect) in [
        (p("old.json"), "is not \"imagegate.report/v1\""),
        (sarif.clone(), "SARIF"),
        (p("facts.json"), "not an imagegate JSON report"),
        (p("missing.json"), "cannot read report"),
    ] {
        let out = merge(&[&p("good.json"), &file]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(out.stdout.is_empty(), "nothing half-merged on stdout");
        assert!(err.contains(&file) && err.contains(expect), "{file}: {err}");
    }
    // No file at all is an argument error.
    assert_eq!(merge(&[]).status.code(), Some(2));
}
