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
        // A suite is named after its area and the scanned target (`ssh @ web-01`).
        let (area, target) = suite
            .name
            .as_str()
            .split_once(" @ ")
            .unwrap_or_else(|| panic!("suite {} names no target", suite.name.as_str()));
        assert!(!target.is_empty());
        // Every testcase has the name and classname Jenkins and GitLab key results on, and a time.
        for tc in &suite.test_cases {
            assert!(tc.name.as_str().starts_with(area), "{}", tc.name.as_str());
            let class = tc.classname.as_ref().expect("classname").as_str().to_owned();
            assert!(
                class.starts_with("imagegate.") && class.ends_with(&format!(".{area}")),
                "{class}"
            );
            assert!(tc.time.is_some(), "{} has no time", tc.name.as_str());
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
    // GitHub's upload rules: every result is located at a relative file with a line (GitHub
    // rejects an upload otherwise), has a message, at most 25,000 results per run, and a rule's
    // security-severity is a number from 0 to 10.
    let results = r.sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() <= 25_000, "{name}");
    for res in results {
        let loc = &res["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(loc["uriBaseId"], "IMAGEROOT", "{name}: {res}");
        let uri = loc["uri"].as_str().unwrap();
        assert!(
            !uri.is_empty() && !uri.starts_with('/') && !uri.split('/').any(|c| c == ".."),
            "{name}: {uri}"
        );
        assert!(
            !res["message"]["text"].as_str().unwrap().trim().is_empty(),
            "{name}: {res}"
        );
        let related = res["relatedLocations"].as_array().into_iter().flatten();
        for l in res["locations"].as_array().unwrap().iter().chain(related) {
            let line = l["physicalLocation"]["region"]["startLine"].as_u64();
            assert!(line.is_some_and(|n| n >= 1), "{name}: no startLine in {l}");
        }
    }
    for rule in r.sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap() {
        if let Some(s) = rule["properties"]["security-severity"].as_str() {
            let n: f64 = s.parse().unwrap();
            assert!((0.0..=10.0).contains(&n), "{name}: {rule}");
        }
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

/// The JUnit document without what changes from run to run: the root's temporary path and the
/// times.
fn scrub_junit(xml: &str, root: &Path) -> String {
    let root = root.display().to_string();
    let class = root.trim_matches('/').replace(['/', '.'], "_");
    let xml = xml.replace(&root, "[root]").replace(&class, "[root]");
    regex::Regex::new(r#" time="[0-9.]+""#)
        .unwrap()
        .replace_all(&xml, r#" time="[t]""#)
        .into_owned()
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
        insta::assert_snapshot!(format!("junit-{name}"), scrub_junit(&r.junit, dir.path()));
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

/// Code points that must never reach a terminal or a log raw, and ones XML 1.0 forbids.
const HOSTILE: &[char] = &[
    '\u{1b}', '\u{7}', '\u{8}', '\r', '\n', '\t', '\u{0}', '\u{7f}', '\u{85}', '\u{9b}', '\u{9d}', '\u{202a}',
    '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200e}',
    '\u{200f}', '\u{61c}', '\u{2028}', '\u{2029}', '\u{fffe}', '\u{ffff}',
];

/// A raw code point the text report must not carry: a hostile one other than the line break.
fn raw_hazard(c: char) -> bool {
    c != '\n' && HOSTILE.contains(&c)
}

/// A seeded hostile string: plain text, hostile code points, terminal sequences (OSC 52
/// clipboard write, OSC 8 link, a title), markup and a forged report line.
fn hostile_string(rng: &mut crate::util::Rng, allow: impl Fn(char) -> bool) -> String {
    let pieces = [
        "\u{1b}]52;c;cm0gLXJmIC8K\u{7}",
        "\u{1b}]8;;http://evil.example/\u{1b}\\link\u{1b}]8;;\u{1b}\\",
        "\u{1b}]0;owned\u{7}",
        "\u{1b}[2J\u{1b}[H",
        "\nPASS  high     ssh.password-authentication-disabled  forged\n",
        "<b>&amp;</b>]]>",
        "é日本",
    ];
    let mut s = String::from("x");
    for _ in 0..1 + rng.below(8) {
        match rng.below(3) {
            0 => s.push_str(rng.pick(&pieces)),
            1 => s.push(HOSTILE[rng.below(HOSTILE.len())]),
            _ => s.push_str(rng.pick(&["a", "b-c", " ", "."])),
        }
    }
    s.chars().filter(|c| allow(*c)).collect()
}

/// XML 1.0's `Char` production.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

#[test]
fn strings_from_the_image_are_escaped_for_every_format() {
    let rules = tempfile::tempdir().unwrap();
    std::fs::write(
        rules.path().join("os.toml"),
        r#"[[rule]]
id = "os.pretty-name-is-plain"
title = "the name is plain"
severity = "high"
profiles = ["hostile"]
rationale = "r"
remediation = "m"
check = { fact = "os.pretty_name", eq = "plain" }

[[rule]]
id = "os.forwarding-off"
title = "the host does not route"
severity = "high"
profiles = ["hostile"]
rationale = "r"
remediation = "m"
check = { fact = "sysctl.keys[\"net.ipv4.ip_forward\"].persisted", eq = 0 }
"#,
    )
    .unwrap();
    std::fs::write(rules.path().join("profiles.toml"), "[profile.hostile]\ntitle = \"t\"\n").unwrap();
    let mut rng = crate::util::Rng::new(0x0e5c_a9e5);
    for round in 0..8 {
        let dir = fixture_copy("debian12");
        // os-release takes one line and no quote; a file name takes anything but `/` and NUL.
        let pretty = hostile_string(&mut rng, |c| !matches!(c, '\n' | '\r' | '\'' | '\\' | '\u{0}'));
        let file = hostile_string(&mut rng, |c| !matches!(c, '/' | '\u{0}'));
        std::fs::write(
            dir.path().join("etc/os-release"),
            format!("PRETTY_NAME='{pretty}'\nNAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join(format!("etc/sysctl.d/99-{file}.conf")),
            "net.ipv4.ip_forward = 1\n",
        )
        .unwrap();
        let r = render_all(
            dir.path(),
            &["--rules", rules.path().to_str().unwrap(), "--profile", "hostile"],
        );
        let what = format!("round {round}: {pretty:?} / {file:?}");
        assert_eq!(json_counts(&r.json).fail, 2, "{what}");
        // Text: no raw control, bidi or separator; one line per finding, no forged one.
        let bad: Vec<char> = r.text.chars().filter(|c| raw_hazard(*c)).collect();
        assert!(bad.is_empty(), "{what}: raw {bad:?} in\n{}", r.text);
        let status_lines = r
            .text
            .lines()
            .filter(|l| {
                ["FAIL ", "PASS ", "ERROR", "WAIVE", "N/A "]
                    .iter()
                    .any(|p| l.starts_with(p))
            })
            .count();
        assert_eq!(status_lines, 2, "{what}: a forged line in\n{}", r.text);
        assert!(r.text.contains("99-x"), "{what}: the file is not named\n{}", r.text);
        // JSON and SARIF parsed already (render_all); the values survive as data.
        let ev = r.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "os.pretty-name-is-plain")
            .unwrap()["evidence"][0]["value"]
            .clone();
        assert_eq!(ev, Value::String(pretty.clone()), "{what}");
        assert_valid_sarif(&sarif_validator(), &r.sarif, &what);
        // JUnit: only characters XML 1.0 allows, and it parses.
        let bad: Vec<char> = r
            .junit
            .chars()
            .filter(|c| !xml_char(*c) || raw_hazard(*c) && *c != '\t' && *c != '\r')
            .collect();
        assert!(bad.is_empty(), "{what}: {bad:?} in the JUnit report");
        assert_eq!(junit_counts(&r.junit).fail, 2, "{what}");
        // HTML: no raw control or bidi character, no markup from the image.
        let bad: Vec<char> = r.html.chars().filter(|c| raw_hazard(*c) && *c != '\t').collect();
        assert!(bad.is_empty(), "{what}: raw {bad:?} in the HTML report");
        assert!(!r.html.contains("<b>&amp;"), "{what}");
    }
}

#[test]
fn report_merge_text_escapes_what_the_reports_carry() {
    let dir = tempfile::tempdir().unwrap();
    let host = "web\u{1b}]0;owned\u{7}\nPASS  forged\u{202e}";
    let report = serde_json::json!({
        "schema": "imagegate.report/v1",
        "tool": {"name": "imagegate", "version": "0"},
        "profile": "p\u{9b}2J",
        "target": {"root": "/", "live": false, "as_of": "2026-01-01"},
        "host": {"os": "x", "release": "r\u{1b}[31m", "hostname": host},
        "summary": {"total": 1, "pass": 0, "fail": 1, "error": 0, "not_applicable": 0, "waived": 0, "fail_by_severity": {"high": 1}},
        "findings": [{"id": "ssh.x\u{1b}[2J", "title": "t", "area": "ssh", "severity": "high", "status": "fail",
                      "evidence": [], "rationale": "", "remediation": "", "references": {}}]
    });
    let path = dir.path().join("a.json");
    std::fs::write(&path, report.to_string()).unwrap();
    let out = imagegate(&["report", "merge", "--format", "text", path.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let bad: Vec<char> = text.chars().filter(|c| raw_hazard(*c)).collect();
    assert!(bad.is_empty(), "raw {bad:?} in\n{text}");
    assert!(!text.lines().any(|l| l.starts_with("PASS")), "{text}");
    assert!(text.contains("web\\x1b]0;owned\\x07\\nPASS  forged\\u{202e}"), "{text}");
}

/// The shipped CIS profile on the Debian root, in text, as a terminal or a log shows it.
fn cis_text(extra: &[&str]) -> String {
    let dir = fixture_copy("debian12");
    let mut args = vec!["scan", "--root", dir.path().to_str().unwrap(), "--as-of", AS_OF];
    args.extend_from_slice(&["--profile", "cis-l1-server"]);
    args.extend_from_slice(extra);
    let out = imagegate(&args);
    assert!(
        matches!(out.status.code(), Some(1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_text_report_reads_at_100_columns_and_names_a_shared_cause_once() {
    let text = cis_text(&[]);
    for l in text.lines() {
        // A line is at most 100 characters, unless it is one word that cannot be broken.
        assert!(
            l.chars().count() <= 100 || !l.trim().contains(' '),
            "{} characters: {l}",
            l.chars().count()
        );
    }
    // pam_pwquality missing fails ten rules: the evidence is shown once, the others point at it.
    let shown = text.matches("access.pam.pwquality_enabled = false").count();
    let same = text.matches("same cause as access.pwquality-complexity").count();
    assert!(same >= 5, "{text}");
    assert_eq!(shown, 1 + same, "{text}");
    // Titles show the values in force, not variable names.
    assert!(
        text.contains("an account locks after at most 5 failed attempts"),
        "{text}"
    );
    assert!(!text.contains("var_accounts_passwords_pam_faillock_deny"), "{text}");
    // A value no file sets says what is in force.
    assert!(text.contains(r#"sysctl.keys["kernel.randomize_va_space"].persisted: not set"#));
    assert!(!text.contains("= null"), "{text}");
    // The summary line is last.
    assert!(text_counts(&text).fail > 0);
}

#[test]
fn show_and_quiet_list_only_some_statuses_and_say_what_they_left_out() {
    // Without the header, which names the (temporary) root.
    let body = |t: String| t.get(t.find("\n\n").unwrap()..).unwrap().to_owned();
    let all = body(cis_text(&[]));
    let quiet = body(cis_text(&["--quiet"]));
    let show = body(cis_text(&["--show", "fail,error"]));
    assert_eq!(quiet, show);
    assert!(all.lines().any(|l| l.starts_with("PASS ")));
    assert!(
        !quiet.lines().any(|l| l.starts_with("PASS ") || l.starts_with("N/A ")),
        "{quiet}"
    );
    assert_eq!(
        quiet.lines().filter(|l| l.starts_with("FAIL ")).count(),
        all.lines().filter(|l| l.starts_with("FAIL ")).count()
    );
    let c = text_counts(&quiet);
    assert_eq!(c, text_counts(&all), "the summary still counts everything");
    assert!(
        quiet.contains(&format!("not shown (--show fail,error): {} pass", c.pass)),
        "{quiet}"
    );
    let none = cis_text(&["--show", "waived"]);
    assert!(none.contains("no finding is waived"), "{none}");
    let bad = imagegate(&["scan", "--root", "/nonexistent", "--show", "passed"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown status"));
}

#[test]
fn sarif_locates_every_result_at_the_file_that_decided_it_or_that_the_fix_changes() {
    let dir = fixture_copy("debian12");
    let r = render_all(dir.path(), &["--profile", "cis-l1-server"]);
    let results = r.sarif["runs"][0]["results"].as_array().unwrap();
    let at = |id: &str| -> (String, u64, String) {
        let res = results
            .iter()
            .find(|x| x["ruleId"] == id)
            .unwrap_or_else(|| panic!("no {id}"));
        let pl = &res["locations"][0]["physicalLocation"];
        (
            pl["artifactLocation"]["uri"].as_str().unwrap().to_owned(),
            pl["region"]["startLine"].as_u64().unwrap(),
            res["message"]["text"].as_str().unwrap().to_owned(),
        )
    };
    // A record of a list decides: the PAM line with nullok.
    let (uri, line, msg) = at("access.pam-unix-no-nullok");
    assert_eq!((uri.as_str(), line), ("etc/pam.d/common-auth", 17));
    assert!(
        msg.contains("- type=auth") && msg.contains("(/etc/pam.d/common-auth:17)") && !msg.contains('{'),
        "{msg}"
    );
    // A setting absent everywhere: where the remediation puts it.
    assert_eq!(at("kernel.randomize-va-space").0, "etc/sysctl.d/60-cis.conf");
    // A fact about one file: that file.
    assert_eq!(at("files.gshadow-permissions").0, "etc/gshadow");
    // A line looked for and not found: the file it was looked for in.
    assert_eq!(at("access.pwquality-minlen").0, "etc/pam.d/common-password");
    // Titles carry values, not variable names.
    let rules = r.sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().all(|d| {
        !d["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .contains("var_accounts_passwords_pam_faillock_deny")
    }));
    // Few results fall back to os-release, every result has a line, and fingerprints differ per
    // rule and location.
    let fallback = results
        .iter()
        .filter(|x| x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "etc/os-release")
        .count();
    assert!(
        fallback * 10 < results.len(),
        "{fallback} of {} at os-release",
        results.len()
    );
    let mut prints = std::collections::HashSet::new();
    for res in results {
        for l in std::iter::once(&res["locations"][0]).chain(res["relatedLocations"].as_array().into_iter().flatten()) {
            assert!(
                l["physicalLocation"]["region"]["startLine"].as_u64().unwrap() >= 1,
                "{res}"
            );
        }
        assert!(prints.insert(res["partialFingerprints"].to_string()), "{res}");
    }
}

#[test]
fn sarif_uri_prefix_resolves_an_image_unpacked_in_a_repository() {
    let dir = fixture_copy("debian12");
    let r = render_all(
        dir.path(),
        &["--profile", "cis-l1-server", "--sarif-uri-prefix", "images/rootfs"],
    );
    assert_valid_sarif(&sarif_validator(), &r.sarif, "prefix");
    for res in r.sarif["runs"][0]["results"].as_array().unwrap() {
        let a = &res["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(a["uriBaseId"], "%SRCROOT%", "{res}");
        assert!(
            a["uri"].as_str().unwrap().starts_with("images/rootfs/etc/")
                || a["uri"].as_str().unwrap().starts_with("images/rootfs/"),
            "{res}"
        );
    }
    let bad = imagegate(&["scan", "--root", "/nonexistent", "--sarif-uri-prefix", "../x"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn junit_names_the_target_and_fails_with_title_and_evidence() {
    let dir = fixture_copy("debian12");
    std::fs::write(dir.path().join("etc/hostname"), "web-01\n").unwrap();
    let r = render_all(dir.path(), &["--profile", "cis-l1-server"]);
    let parsed = quick_junit::Report::deserialize_from_str(&r.junit).unwrap();
    let name = parsed.name.as_ref().map(|n| n.as_str()).unwrap_or_default();
    assert!(name.ends_with("@ web-01"), "{name}");
    assert!(parsed.time.is_some());
    let access = parsed
        .test_suites
        .iter()
        .find(|s| s.name.as_str() == "access @ web-01")
        .expect("the access suite names the host");
    let tc = access
        .test_cases
        .iter()
        .find(|t| t.name.as_str() == "access.pam-unix-no-nullok")
        .unwrap();
    assert_eq!(tc.classname.as_ref().unwrap().as_str(), "imagegate.web-01.access");
    let quick_junit::TestCaseStatus::NonSuccess { message, .. } = &tc.status else {
        panic!("not a failure")
    };
    let message = message.as_ref().unwrap().as_str();
    assert!(
        message.starts_with("pam_unix does not accept empty passwords: access.pam.nullok: 1 item(s)"),
        "{message}"
    );
}

#[test]
fn html_evidence_reads_like_the_text_report() {
    let dir = fixture_copy("debian12");
    let r = render_all(dir.path(), &["--profile", "cis-l1-server"]);
    let h = &r.html;
    let start = h.find(r#"id="rule-access.pam-unix-no-nullok""#).unwrap();
    let article = &h[start..start + h[start..].find("</article>").unwrap()];
    // The list is a count, then one row per PAM line with its own file and line: no JSON blob.
    assert!(article.contains("1 item(s)"), "{article}");
    assert!(
        article.contains("type=auth control=[success=1 default=ignore] module=pam_unix.so"),
        "{article}"
    );
    assert!(article.contains("/etc/pam.d/common-auth:17"), "{article}");
    assert!(!article.contains("[{"), "{article}");
    // Nothing found is labelled as decided by "absent"; a value no file sets says so.
    assert!(!h.contains(">absent<"));
    let start = h.find(r#"id="rule-kernel.randomize-va-space""#).unwrap();
    let article = &h[start..start + h[start..].find("</article>").unwrap()];
    assert!(
        article.contains("not set") && article.contains("no file sets it"),
        "{article}"
    );
    // Group counts follow the filters, and a filter matching nothing says so.
    assert!(h.contains(r#"n + " of " + all"#) && h.contains("No finding matches these filters"));
}

/// Rules of every status on a Debian root, for the zh-CN snapshots: failures (one decided by a
/// quantifier that found nothing), a pass, not-applicable by family, by `applies_when` and by an
/// offline-only fact.
const ZH_RULES: &[&str] = &[
    "ssh.password-authentication-disabled",
    "packages.cloud-monitoring-agent-present",
    "updates-pending.no-security-updates",
    "accounts.no-empty-passwords",
    "mac.selinux-enforcing-targeted",
    "cloud-init.image-in-allow-list",
    "kernel.sysctl-runtime-matches-persisted",
];

/// A report in Simplified Chinese in every format: the rules' own text and the report's words
/// translated, ids, fact paths, values and JSON field names as in English, HTML's `lang`
/// attribute set.
#[test]
fn zh_cn_reports_in_every_format() {
    let dir = fixture_copy("debian12");
    let mut args = vec!["--lang", "zh-CN"];
    for id in ZH_RULES {
        args.extend(["--only", id]);
    }
    let r = render_all(dir.path(), &args);
    let root = dir.path().display().to_string();
    insta::assert_snapshot!("zh-cn-text", r.text.replace(&root, "[root]"));
    let mut json = r.json.clone();
    json["target"]["root"] = "[root]".into();
    insta::assert_json_snapshot!("zh-cn-json", json);
    insta::assert_snapshot!("zh-cn-junit", scrub_junit(&r.junit, dir.path()));
    insta::assert_json_snapshot!("zh-cn-sarif", scrub_sarif(r.sarif.clone()));
    // The page without its stylesheet and script, which no language changes.
    let html = regex::Regex::new(r"(?s)<style>.*?</style>|<script>.*?</script>")
        .unwrap()
        .replace_all(&r.html.replace(&root, "[root]"), "")
        .into_owned();
    insta::assert_snapshot!("zh-cn-html", html);
    assert!(html.contains(r#"<html lang="zh-CN">"#));
    assert_eq!(json["lang"], "zh-CN");
    assert_valid_sarif(&sarif_validator(), &r.sarif, "zh-CN");
    // The same findings as in English: only the words differ.
    let en = render_all(dir.path(), &args[2..]);
    assert_eq!(json_counts(&r.json), json_counts(&en.json));
    assert_eq!(junit_counts(&r.junit), junit_counts(&en.junit));
    for (zh, en) in r.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .zip(en.json["findings"].as_array().unwrap())
    {
        for k in ["id", "status", "severity", "evidence", "references"] {
            if k == "evidence" && zh["id"] == "packages.cloud-monitoring-agent-present" {
                continue;
            }
            assert_eq!(zh[k], en[k], "{}: {k}", zh["id"]);
        }
        assert_ne!(zh["title"], en["title"], "{}: the title is not translated", zh["id"]);
    }
}

/// English stays the default: no `--lang` and `--lang en` write the same report, and a zh_CN
/// locale changes nothing when stdout is not a terminal (a CI log, a pipe, a file).
#[test]
fn english_stays_the_default_and_a_locale_counts_only_on_a_terminal() {
    let dir = fixture_copy("debian12");
    let root = dir.path().to_str().unwrap();
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_imagegate"))
            .args(["scan", "--root", root, "--as-of", AS_OF])
            .args(extra)
            .env("NO_COLOR", "1")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANG")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let plain = run(&[], &[]);
    assert!(plain.contains(" rules: ") && plain.contains("FAIL "), "{plain}");
    assert_eq!(run(&["--lang", "en"], &[]), plain);
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        assert_eq!(run(&[], &[(var, "zh_CN.UTF-8")]), plain, "{var}=zh_CN.UTF-8 on a pipe");
    }
    let zh = run(&["--lang", "zh-CN"], &[("LANG", "C")]);
    assert!(zh.contains("共 ") && zh.contains("不符合"), "{zh}");
    assert_eq!(run(&["--lang", "zh_CN"], &[]), zh);
}

/// An unknown `--lang` is a usage error that names the supported languages.
#[test]
fn an_unknown_lang_exits_2_naming_the_supported_ones() {
    let out = imagegate(&["scan", "--root", "/nonexistent", "--lang", "fr"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("fr") && err.contains("en") && err.contains("zh-CN"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
