//! Every report format for every fixture root: the counts agree across text, JSON, JUnit, SARIF and
//! HTML; SARIF validates against the OASIS 2.1.0 schema; JUnit has the shape GitLab and Jenkins
//! read; hostile evidence is escaped; `--report` errors exit 2. JUnit and SARIF are snapshotted for
//! two roots. The rule set is tests/data/report-rules (profile `report-formats`), which gives
//! every status on every root and does not move when the shipped rules change; the shipped
//! `cloud-image` profile is checked for agreement too, once it exists.
use std::path::Path;

use serde_json::Value;

use crate::util::{AS_OF, fixture_copy, imagegate, repo, root_names};

/// Counts by status as one format tells them.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Counts {
    total: usize,
    pass: usize,
    fail: usize,
    error: usize,
    not_applicable: usize,
    waived: usize,
}

/// Everything one scan wrote.
struct Rendered {
    code: i32,
    text: String,
    json: Value,
    junit: String,
    sarif: Value,
    html: String,
}

fn test_rules() -> String {
    repo().join("tests/data/report-rules").display().to_string()
}

/// One scan of `root` writing every format: text on stdout, the others with `--report`.
fn render_all(root: &Path, profile_args: &[&str]) -> Rendered {
    let out_dir = tempfile::tempdir().unwrap();
    let o = |name: &str| out_dir.path().join(name).display().to_string();
    let (json, junit, sarif, html) = (o("r.json"), o("sub/r.xml"), o("r.sarif"), o("r.html"));
    let reports = [
        format!("json={json}"),
        format!("junit={junit}"),
        format!("sarif={sarif}"),
        format!("html={html}"),
    ];
    let mut args = vec!["scan", "--root", root.to_str().unwrap(), "--as-of", AS_OF];
    args.extend_from_slice(profile_args);
    for r in &reports {
        args.extend(["--report", r.as_str()]);
    }
    let out = imagegate(&args);
    let code = out.status.code().unwrap();
    assert!(
        (0..=2).contains(&code) && out.stderr.is_empty(),
        "exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    Rendered {
        code,
        text: String::from_utf8(out.stdout).unwrap(),
        json: serde_json::from_str(&read(&json)).unwrap(),
        junit: read(&junit),
        sarif: serde_json::from_str(&read(&sarif)).unwrap(),
        html: read(&html),
    }
}

fn text_counts(text: &str) -> Counts {
    let line = text.lines().last().unwrap();
    let re = regex::Regex::new(
        r"^(\d+) rules: (\d+) fail(?: \([^)]*\))?, (\d+) error, (\d+) waived, (\d+) pass, (\d+) not-applicable$",
    )
    .unwrap();
    let c = re.captures(line).unwrap_or_else(|| panic!("no summary line: {line:?}"));
    let n = |i: usize| c[i].parse::<usize>().unwrap();
    Counts {
        total: n(1),
        fail: n(2),
        error: n(3),
        waived: n(4),
        pass: n(5),
        not_applicable: n(6),
    }
}

fn json_counts(v: &Value) -> Counts {
    let s = &v["summary"];
    let n = |k: &str| s[k].as_u64().unwrap() as usize;
    Counts {
        total: n("total"),
        pass: n("pass"),
        fail: n("fail"),
        error: n("error"),
        not_applicable: n("not_applicable"),
        waived: n("waived"),
    }
}

/// The JUnit counts, read twice: from the `<testsuites>` attributes (what GitLab shows) and by
/// counting elements after parsing the document back (which proves it is well-formed).
fn junit_counts(xml: &str) -> Counts {
    let parsed = quick_junit::Report::deserialize_from_str(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let mut c = Counts {
        total: 0,
        pass: 0,
        fail: 0,
        error: 0,
        not_applicable: 0,
        waived: 0,
    };
    for suite in &parsed.test_suites {
        // Every testcase has the name and classname Jenkins and GitLab key results on.
        for tc in &suite.test_cases {
            assert!(
                tc.name.as_str().starts_with(suite.name.as_str()),
                "{}",
                tc.name.as_str()
            );
            let class = tc.classname.as_ref().expect("classname").as_str().to_owned();
            assert_eq!(class, format!("imagegate.{}", suite.name.as_str()));
            c.total += 1;
            match &tc.status {
                quick_junit::TestCaseStatus::Success { .. } => c.pass += 1,
                quick_junit::TestCaseStatus::NonSuccess { kind, message, .. } => {
                    assert!(message.is_some(), "{} has no message attribute", tc.name.as_str());
                    match kind {
                        quick_junit::NonSuccessKind::Failure => c.fail += 1,
                        quick_junit::NonSuccessKind::Error => c.error += 1,
                    }
                }
                quick_junit::TestCaseStatus::Skipped { ty, .. } => {
                    if ty.as_ref().is_some_and(|t| t.as_str() == "waived") {
                        c.waived += 1
                    } else {
                        c.not_applicable += 1
                    }
                }
            }
        }
    }
    let attr = |name: &str| -> usize {
        let re = regex::Regex::new(&format!(r#"<testsuites [^>]*\b{name}="(\d+)""#)).unwrap();
        re.captures(xml).unwrap_or_else(|| panic!("no {name} attribute"))[1]
            .parse()
            .unwrap()
    };
    assert_eq!(
        (attr("tests"), attr("failures"), attr("errors"), attr("skipped")),
        (c.total, c.fail, c.error, c.not_applicable + c.waived),
        "the <testsuites> attributes disagree with its testcases"
    );
    c
}

/// `(fail, error, waived)` results of a SARIF log; a waived result carries a suppression.
fn sarif_counts(v: &Value) -> (usize, usize, usize) {
    let results = v["runs"][0]["results"].as_array().unwrap();
    let by = |s: &str| results.iter().filter(|r| r["properties"]["status"] == s).count();
    assert_eq!(
        by("fail") + by("error") + by("waived"),
        results.len(),
        "a result that is neither fail, error nor waived"
    );
    let suppressed = results
        .iter()
        .filter(|r| r["suppressions"].as_array().is_some_and(|a| !a.is_empty()))
        .count();
    assert_eq!(
        suppressed,
        by("waived"),
        "waived results carry a suppression, and only they"
    );
    (by("fail"), by("error"), by("waived"))
}

fn html_counts(html: &str) -> Counts {
    let count = |s: &str| {
        regex::Regex::new(&format!(r#"<article class="finding" [^>]*data-status="{s}""#))
            .unwrap()
            .find_iter(html)
            .count()
    };
    let total = html.matches(r#"<article class="finding" "#).count();
    let c = Counts {
        total,
        pass: count("pass"),
        fail: count("fail"),
        error: count("error"),
        not_applicable: count("not-applicable"),
        waived: count("waived"),
    };
    // The summary section's data attributes say the same.
    let attr = |k: &str| -> usize {
        let re = regex::Regex::new(&format!(r#"<section class="summary"[^>]* data-{k}="(\d+)""#)).unwrap();
        re.captures(html).unwrap_or_else(|| panic!("no data-{k}"))[1]
            .parse()
            .unwrap()
    };
    assert_eq!(
        Counts {
            total: attr("total"),
            pass: attr("pass"),
            fail: attr("fail"),
            error: attr("error"),
            not_applicable: attr("not-applicable"),
            waived: attr("waived"),
        },
        c,
        "the HTML summary disagrees with its findings"
    );
    c
}

/// The vendored OASIS schema, with its one known defect repaired in memory: the published file
/// puts region's `anyOf` (startLine, charOffset or byteOffset is required) inside `properties`,
/// where the metaschema rejects it; it belongs beside `properties`. The file itself stays exactly
/// as published (tests/data/README.md).
fn sarif_validator() -> jsonschema::Validator {
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("tests/data/sarif-schema-2.1.0.json")).unwrap())
            .unwrap();
    let region = schema.pointer_mut("/definitions/region").unwrap();
    let any_of = region["properties"]
        .as_object_mut()
        .unwrap()
        .remove("anyOf")
        .expect("the known defect: region.properties.anyOf");
    region["anyOf"] = any_of;
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn assert_valid_sarif(validator: &jsonschema::Validator, v: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

/// Checks one scan: all formats agree, SARIF is valid and located, the exit code matches.
fn check_agreement(name: &str, r: &Rendered, validator: &jsonschema::Validator) -> Counts {
    let c = json_counts(&r.json);
    assert_eq!(
        c.total,
        c.pass + c.fail + c.error + c.not_applicable + c.waived,
        "{name}"
    );
    assert_eq!(text_counts(&r.text), c, "{name}: text vs JSON");
    assert_eq!(junit_counts(&r.junit), c, "{name}: JUnit vs JSON");
    assert_eq!(html_counts(&r.html), c, "{name}: HTML vs JSON");
    assert_eq!(
        sarif_counts(&r.sarif),
        (c.fail, c.error, c.waived),
        "{name}: SARIF results vs JSON"
    );
    assert_valid_sarif(validator, &r.sarif, name);
    // Every result is located at a file inside the image (GitHub rejects an upload otherwise).
    for res in r.sarif["runs"][0]["results"].as_array().unwrap() {
        let loc = &res["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(loc["uriBaseId"], "IMAGEROOT", "{name}: {res}");
        let uri = loc["uri"].as_str().unwrap();
        assert!(!uri.is_empty() && !uri.starts_with('/'), "{name}: {uri}");
    }
    let base = r.sarif["runs"][0]["originalUriBaseIds"]["IMAGEROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(base.starts_with("file:///") && base.ends_with('/'), "{name}: {base}");
    let want = if c.error > 0 {
        2
    } else if c.fail > 0 {
        1
    } else {
        0
    };
    assert_eq!(r.code, want, "{name}: exit code");
    c
}

#[test]
fn every_format_agrees_on_the_counts_for_every_fixture_root() {
    let validator = sarif_validator();
    let rules = test_rules();
    let mut seen = Counts {
        total: 0,
        pass: 0,
        fail: 0,
        error: 0,
        not_applicable: 0,
        waived: 0,
    };
    for name in root_names() {
        let dir = fixture_copy(&name);
        // Relative, so the waiver origin in snapshots does not depend on where the checkout lives
        // (cargo runs tests from the package root).
        let waivers = "tests/data/report-waivers.toml".to_owned();
        let r = render_all(
            dir.path(),
            &["--rules", &rules, "--profile", "report-formats", "--waivers", &waivers],
        );
        let c = check_agreement(&name, &r, &validator);
        seen.pass += c.pass;
        seen.fail += c.fail;
        seen.error += c.error;
        seen.not_applicable += c.not_applicable;
        seen.waived += c.waived;
    }
    // The test rules exercise every status somewhere.
    assert!(
        seen.pass > 0 && seen.fail > 0 && seen.error > 0 && seen.not_applicable > 0 && seen.waived > 0,
        "{seen:?}"
    );
}

#[test]
fn the_shipped_profile_agrees_across_formats_too() {
    let list = imagegate(&["rules", "list"]);
    if !String::from_utf8_lossy(&list.stdout).contains("profile cloud-image:") {
        // No shipped rules yet (the rule corpus lands separately): nothing to compare.
        return;
    }
    let validator = sarif_validator();
    for name in root_names() {
        let dir = fixture_copy(&name);
        let r = render_all(dir.path(), &[]);
        check_agreement(&name, &r, &validator);
    }
}

fn scrub_sarif(mut v: Value) -> Value {
    if let Some(u) = v.pointer_mut("/runs/0/originalUriBaseIds/IMAGEROOT/uri") {
        *u = "file:///[root]/".into();
    }
    v
}

#[test]
fn junit_and_sarif_snapshots() {
    let rules = test_rules();
    for name in ["ubuntu2404", "rocky9"] {
        let dir = fixture_copy(name);
        // Relative, so the waiver origin in snapshots does not depend on where the checkout lives
        // (cargo runs tests from the package root).
        let waivers = "tests/data/report-waivers.toml".to_owned();
        let r = render_all(
            dir.path(),
            &["--rules", &rules, "--profile", "report-formats", "--waivers", &waivers],
        );
        insta::assert_snapshot!(format!("junit-{name}"), r.junit);
        insta::assert_json_snapshot!(format!("sarif-{name}"), scrub_sarif(r.sarif));
    }
}

#[test]
fn sarif_locates_a_failure_at_the_deciding_file_and_line() {
    let dir = fixture_copy("ubuntu2404");
    let r = render_all(dir.path(), &["--rules", &test_rules(), "--profile", "report-formats"]);
    let results = r.sarif["runs"][0]["results"].as_array().unwrap();
    let res = results
        .iter()
        .find(|x| x["ruleId"] == "os.release-is-debian-or-rocky")
        .expect("the ubuntu root fails the debian-or-rocky rule");
    assert_eq!(res["level"], "error", "high → error");
    let pl = &res["locations"][0]["physicalLocation"];
    assert_eq!(pl["artifactLocation"]["uri"], "etc/os-release");
    assert_eq!(pl["region"]["startLine"], 6);
    assert!(res["message"]["text"].as_str().unwrap().contains(r#"os.id = "ubuntu""#));
    let rule = &r.sarif["runs"][0]["tool"]["driver"]["rules"][res["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], "os.release-is-debian-or-rocky");
    assert_eq!(
        rule["shortDescription"]["text"],
        "the image is built on Debian or Rocky Linux"
    );
    assert_eq!(rule["properties"]["security-severity"], "8.0");
    assert_eq!(rule["properties"]["references"]["cis"], "1.1.1");
}

#[test]
fn hostile_evidence_is_escaped_in_html_and_junit_and_valid_in_sarif() {
    let dir = fixture_copy("debian12");
    let hostile = r#"<script>alert("owned")</script><img src=x onerror=alert(1)> & ]]>"#;
    std::fs::write(
        dir.path().join("etc/os-release"),
        format!("PRETTY_NAME='{hostile}'\nNAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n"),
    )
    .unwrap();
    // A user rule that fails with the hostile value as its evidence, and a hostile title.
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("os.toml"),
        r#"[[rule]]
id = "os.pretty-name-is-plain"
title = "the name is plain <b>text</b>"
severity = "high"
profiles = ["hostile"]
rationale = "r <i>"
remediation = "m </details><script>alert(2)</script>"
check = { fact = "os.pretty_name", eq = "plain" }
"#,
    )
    .unwrap();
    std::fs::write(
        rules.path().join("profiles.toml"),
        "[profile.hostile]\ntitle = \"a hostile title\"\n",
    )
    .unwrap();
    let r = render_all(
        dir.path(),
        &["--rules", rules.path().to_str().unwrap(), "--profile", "hostile"],
    );
    assert_eq!(json_counts(&r.json).fail, 1);
    // HTML: no markup from the image survives; the one <script> is ours.
    assert_eq!(r.html.matches("<script").count(), 1, "an unescaped <script>");
    assert!(!r.html.contains("<img"), "an unescaped <img>");
    assert!(!r.html.contains("<b>text"), "an unescaped title");
    assert!(r.html.contains("&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;"));
    assert!(r.html.contains("&lt;/details&gt;&lt;script&gt;alert(2)"));
    // JUnit: parses back (escaped), and the value is intact inside.
    assert_eq!(junit_counts(&r.junit).fail, 1);
    assert!(r.junit.contains("&lt;script&gt;"));
    // SARIF: still valid, the value carried as text.
    assert_valid_sarif(&sarif_validator(), &r.sarif, "hostile");
    let msg = r.sarif["runs"][0]["results"][0]["message"]["text"].as_str().unwrap();
    assert!(
        msg.contains("<script>alert(") && msg.contains("onerror=alert(1)> & ]]>"),
        "{msg}"
    );
}

#[test]
fn html_is_self_contained() {
    let dir = fixture_copy("ubuntu2404");
    let r = render_all(dir.path(), &["--rules", &test_rules(), "--profile", "report-formats"]);
    let h = &r.html;
    assert!(h.starts_with("<!DOCTYPE html>"));
    for banned in ["http://", "https://", "<link", "src=", "@import", "url("] {
        // The SVG namespace is an identifier, not a fetch.
        let n = h.replace("http://www.w3.org/2000/svg", "").matches(banned).count();
        assert_eq!(n, 0, "the page refers to something outside itself: {banned}");
    }
    assert!(h.contains("Content-Security-Policy"));
    // The host facts and the filters are there.
    assert!(h.contains("Ubuntu 24.04.1 LTS") && h.contains("ubuntu 24.04") && h.contains(AS_OF));
    for k in ["status", "severity", "area"] {
        assert!(h.contains(&format!(r#"data-k="{k}""#)), "no {k} filter");
    }
    // Failing findings come first.
    let first = h.find(r#"<article class="finding""#).unwrap();
    assert!(
        h[first..]
            .starts_with(r#"<article class="finding" id="rule-os.release-is-debian-or-rocky" data-status="fail""#)
    );
}

#[test]
fn an_unwritable_report_file_exits_2_and_says_why() {
    let dir = fixture_copy("debian12");
    let out = tempfile::tempdir().unwrap();
    let blocker = out.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let target = blocker.join("report.xml");
    let good = out.path().join("ok.json");
    let res = imagegate(&[
        "scan",
        "--rules",
        &test_rules(),
        "--profile",
        "report-formats",
        "--root",
        dir.path().to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--report",
        &format!("junit={}", target.display()),
        "--report",
        &format!("json={}", good.display()),
    ]);
    assert_eq!(res.status.code(), Some(2));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("cannot write the junit report to") && err.contains("report.xml"),
        "{err}"
    );
    // The other report and stdout are still written.
    assert!(good.is_file());
    assert!(String::from_utf8_lossy(&res.stdout).contains("rules:"));
}

#[test]
fn bad_report_arguments_exit_2() {
    for spec in ["junit", "pdf=out.pdf", "junit="] {
        let out = imagegate(&["scan", "--root", "/nonexistent-root", "--report", spec]);
        assert_eq!(out.status.code(), Some(2), "{spec}");
        assert!(out.stdout.is_empty(), "{spec}");
        assert!(!out.stderr.is_empty(), "{spec}");
    }
    let out = imagegate(&["scan", "--report", "json=/tmp/x.json", "--report", "html=/tmp/x.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("twice"));
}
