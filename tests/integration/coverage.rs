use crate::util::{AS_OF, fixture_copy, imagegate};

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// The text and JSON forms agree item by item, in the benchmark's order, and every item is
/// accounted for exactly once.
#[test]
fn rules_coverage_lists_every_item_in_text_and_json() {
    for profile in [
        "cis-l1-server",
        "cis-l2-server",
        "stig-rhel9",
        "stig-ubuntu2204",
        "anssi-bp028-minimal",
        "anssi-bp028-high",
    ] {
        let out = imagegate(&["rules", "coverage", profile, "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let v = json(&out);
        assert_eq!(v["schema"], "imagegate.coverage/v1");
        let items = v["items"].as_array().unwrap();
        let s = &v["summary"];
        let count = |st: &str| items.iter().filter(|i| i["status"] == st).count() as u64;
        assert_eq!(s["items"], items.len() as u64);
        for (key, st) in [
            ("covered", "covered"),
            ("manual", "manual"),
            ("runtime", "runtime"),
            ("not_covered", "not-covered"),
        ] {
            assert_eq!(s[key], count(st), "{profile} {key}");
        }
        for i in items {
            let covered = !i["rules"].as_array().unwrap().is_empty();
            assert_eq!(covered, i["status"] == "covered", "{i}");
            assert_eq!(
                i.get("why").is_some(),
                i["status"] == "manual" || i["status"] == "runtime",
                "{i}"
            );
        }
        let text = imagegate(&["rules", "coverage", profile]);
        let text = String::from_utf8(text.stdout).unwrap();
        let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
        let mut at = 0;
        for id in &ids {
            let found = text
                .get(at..)
                .unwrap()
                .find(&format!("\n{id} "))
                .unwrap_or_else(|| panic!("{id} out of order"));
            at += found + 1;
        }
        let last = format!(
            "{} items: {} covered, {} manual, {} runtime-only, {} not covered\n",
            s["items"], s["covered"], s["manual"], s["runtime"], s["not_covered"]
        );
        assert!(text.ends_with(&last), "{text}");
    }
    let out = imagegate(&["rules", "coverage", "cloud-image"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("profile \"cloud-image\" has no benchmark file"));
}

/// A benchmark in a `--rules` directory: its rules cover its items, and a rule citing an item
/// it does not list stops every command that loads the rules, at the rule's line.
#[test]
fn a_rules_directory_brings_its_benchmark() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("profiles.toml"), "[profile.site]\ntitle = \"site\"\n").unwrap();
    let rule = |cite: &str| {
        format!(
            "[[rule]]\nid = \"ssh.mine\"\ntitle = \"t\"\nseverity = \"low\"\nprofiles = [\"site\"]\nrationale = \"r\"\nremediation = \"m\"\nreferences = {{ site = \"{cite}\" }}\ncheck = {{ fact = \"sshd.effective.permitrootlogin\", eq = \"no\" }}\n"
        )
    };
    std::fs::write(d.join("ssh.toml"), rule("A-1")).unwrap();
    std::fs::create_dir(d.join("benchmarks")).unwrap();
    std::fs::write(
        d.join("benchmarks/site.toml"),
        "[benchmark]\nprofile = \"site\"\ntitle = \"Site baseline\"\nreference = \"site\"\n\n[[item]]\nid = \"A-1\"\ntitle = \"root cannot log in\"\n\n[[item]]\nid = \"A-2\"\ntitle = \"review\"\ncannot_decide = { kind = \"manual\", why = \"a person reads it\" }\n",
    )
    .unwrap();
    let rules = d.to_str().unwrap();
    let out = imagegate(&["rules", "coverage", "site", "--rules", rules]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("A-1  root cannot log in\n     covered by ssh.mine\n"),
        "{text}"
    );
    assert!(
        text.contains("A-2  review\n     cannot decide (manual): a person reads it\n"),
        "{text}"
    );
    std::fs::write(d.join("ssh.toml"), rule("A-3")).unwrap();
    for args in [
        vec!["rules", "coverage", "site", "--rules", rules],
        vec!["rules", "validate", rules],
    ] {
        let out = imagegate(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(
                "ssh.toml:1: rule ssh.mine: references.site cites \"A-3\", which the benchmark of profile site"
            ),
            "{err}"
        );
    }
}

/// The coverage of a STIG profile, derived from its benchmark: each item with the rules whose ssg
/// id it lists, and each gap with the ComplianceAsCode rules imagegate lacks.
#[test]
fn rules_coverage_of_a_derived_profile_snapshot() {
    let text = imagegate(&["rules", "coverage", "stig-ubuntu2204"]);
    assert_eq!(text.status.code(), Some(0), "{}", String::from_utf8_lossy(&text.stderr));
    insta::assert_snapshot!("coverage-stig-ubuntu2204-text", String::from_utf8(text.stdout).unwrap());
    let out = imagegate(&["rules", "coverage", "stig-ubuntu2204", "--format", "json"]);
    insta::assert_json_snapshot!("coverage-stig-ubuntu2204-json", json(&out));
}

/// A `--rules` directory may declare a profile derived from its benchmark: a rule joins it by
/// its `ssg` reference alone, and a rule naming it in `profiles` stops every command.
#[test]
fn a_rules_directory_brings_a_derived_profile() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("profiles.toml"),
        "[profile.site]\ntitle = \"site\"\n\n[profile.derived]\ntitle = \"d\"\nfrom_benchmark = true\n",
    )
    .unwrap();
    let rule = |profiles: &str| {
        format!(
            "[[rule]]\nid = \"ssh.mine\"\ntitle = \"t\"\nseverity = \"low\"\nprofiles = [{profiles}]\nrationale = \"r\"\nremediation = \"m\"\nreferences = {{ ssg = \"sshd_disable_root_login\" }}\ncheck = {{ fact = \"sshd.effective.permitrootlogin\", eq = \"no\" }}\n"
        )
    };
    std::fs::write(d.join("ssh.toml"), rule("\"site\"")).unwrap();
    std::fs::create_dir(d.join("benchmarks")).unwrap();
    std::fs::write(
        d.join("benchmarks/derived.toml"),
        "[benchmark]\nprofile = \"derived\"\ntitle = \"Derived\"\nreference = \"ssg\"\n\n[[item]]\nid = \"D-1\"\ntitle = \"root cannot log in\"\nssg = [\"sshd_disable_root_login\"]\n\n[[item]]\nid = \"D-2\"\ntitle = \"no telnet\"\nssg = [\"zz_site_only_check\"]\n",
    )
    .unwrap();
    let rules = d.to_str().unwrap();
    let out = imagegate(&["rules", "coverage", "derived", "--rules", rules]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // The shipped rule with that ssg id joins as well as the directory's own.
    assert!(
        text.contains("D-1  root cannot log in\n     covered by ssh.mine, ssh.permit-root-login-disabled\n"),
        "{text}"
    );
    assert!(
        text.contains("NOT COVERED: no rule of the profile decides it (ComplianceAsCode: zz_site_only_check)"),
        "{text}"
    );
    let list = imagegate(&["rules", "list", "--profile", "derived", "--rules", rules]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("profile derived: 2 rules"), "{list}");
    std::fs::write(d.join("ssh.toml"), rule("\"site\", \"derived\"")).unwrap();
    for args in [
        vec!["rules", "coverage", "derived", "--rules", rules],
        vec!["rules", "validate", rules],
    ] {
        let out = imagegate(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("ssh.toml:1: rule ssh.mine: profile derived takes its rules from its benchmark"),
            "{err}"
        );
    }
}

/// A profile's variable values, a tailoring file's and `--var`'s: each overrides the one before,
/// and a renamed variable's old name still works, with a warning.
#[test]
fn variables_come_from_the_profile_then_the_tailoring_then_var() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("profiles.toml"),
        "[profile.site]\ntitle = \"site\"\n\n[profile.site.vars]\nlimit = 2\n\n[profile.other]\ntitle = \"other\"\n\n[renamed-vars]\nold_limit = \"limit\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("ssh.toml"),
        "[[rule]]\nid = \"ssh.mine\"\ntitle = \"limit {limit}\"\nseverity = \"low\"\nprofiles = [\"site\", \"other\"]\nrationale = \"r\"\nremediation = \"m\"\ncheck = { fact = \"sshd.effective.maxauthtries\", le = { var = \"limit\" } }\nvars = { limit = 1 }\n",
    )
    .unwrap();
    let root = fixture_copy("debian12");
    let rules = d.to_str().unwrap();
    // Tailoring files live apart from the rule files.
    let tdir = tempfile::tempdir().unwrap();
    let tailoring = tdir.path().join("t.toml");
    std::fs::write(&tailoring, "[vars]\nlimit = 3\n").unwrap();
    let old = tdir.path().join("old.toml");
    std::fs::write(&old, "[vars]\nold_limit = 5\n").unwrap();
    let title = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "--rules",
            rules,
            "--root",
            root.path().to_str().unwrap(),
            "--as-of",
            AS_OF,
        ];
        args.extend_from_slice(&["--format", "json", "--only", "ssh.mine"]);
        args.extend_from_slice(extra);
        let out = imagegate(&args);
        let v = json(&out);
        let t = v["findings"][0]["title"].as_str().unwrap().to_owned();
        (t, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let t = tailoring.to_str().unwrap();
    assert_eq!(title(&["--profile", "other"]).0, "limit 1");
    assert_eq!(title(&["--profile", "site"]).0, "limit 2");
    assert_eq!(title(&["--profile", "site", "--tailoring", t]).0, "limit 3");
    assert_eq!(
        title(&["--profile", "site", "--tailoring", t, "--var", "limit=4"]).0,
        "limit 4"
    );
    let (got, err) = title(&["--profile", "site", "--tailoring", old.to_str().unwrap()]);
    assert_eq!(got, "limit 5");
    assert!(err.contains("variable old_limit is now named limit"), "{err}");
    let (got, err) = title(&["--profile", "site", "--var", "old_limit=6"]);
    assert_eq!(got, "limit 6");
    assert!(err.contains("variable old_limit is now named limit"), "{err}");
    // A composed profile starts from the variables of what it extends.
    let composed = tdir.path().join("c.toml");
    std::fs::write(&composed, "[profile.mine]\nextends = [\"other\", \"site\"]\n").unwrap();
    assert_eq!(
        title(&["--profile", "mine", "--tailoring", composed.to_str().unwrap()]).0,
        "limit 2"
    );
    // A profile setting a variable no rule has, or with the wrong type, does not load.
    for (vars, want) in [
        ("limt = 2", "no rule has a variable named \"limt\""),
        ("limit = \"2\"", "variable limit takes an integer"),
    ] {
        std::fs::write(
            d.join("profiles.toml"),
            format!(
                "[profile.site]\ntitle = \"site\"\n\n[profile.site.vars]\n{vars}\n\n[profile.other]\ntitle = \"o\"\n"
            ),
        )
        .unwrap();
        let out = imagegate(&["rules", "validate", rules]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("profiles.toml:1: profile site: vars:") && err.contains(want),
            "{err}"
        );
    }
}

/// The shipped variables renamed after their XCCDF values keep their old names as aliases.
#[test]
fn shipped_renamed_variables_still_work_with_a_warning() {
    let root = fixture_copy("debian12");
    let out = imagegate(&[
        "scan",
        "--root",
        root.path().to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--profile",
        "cis-l1-server",
        "--only",
        "access.pass-max-days",
        "--var",
        "max_days=90",
        "--format",
        "json",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("variable max_days is now named var_accounts_maximum_age_login_defs"),
        "{err}"
    );
    assert_eq!(
        json(&out)["findings"][0]["title"],
        "passwords expire after at most 90 days"
    );
}

/// A tailoring file written by OpenSCAP's own `autotailor`: imported whole (exit 0), and the
/// TOML it becomes drives a scan: the removed rule is not run, the set value is in force.
#[test]
fn an_openscap_tailoring_file_imports_and_scans() {
    let xml = crate::util::repo().join("tests/data/autotailor-cis-level2.xml");
    let out = imagegate(&["tailoring", "import", xml.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let toml_text = String::from_utf8(out.stdout).unwrap();
    let t: toml::Table = toml::from_str(&toml_text).unwrap();
    assert_eq!(t["vars"]["var_password_pam_minlen"].as_integer(), Some(16));
    assert_eq!(
        t["profile"]["cis-level2-server-mine"]["extends"][0].as_str(),
        Some("cis-l2-server")
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.toml");
    std::fs::write(&file, &toml_text).unwrap();
    let root = fixture_copy("debian12");
    let out = imagegate(&[
        "scan",
        "--root",
        root.path().to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--tailoring",
        file.to_str().unwrap(),
        "--profile",
        "cis-level2-server-mine",
    ]);
    let v = json(&out);
    let findings = v["findings"].as_array().unwrap();
    let by = |id: &str| findings.iter().find(|f| f["id"] == id);
    assert!(by("ssh.permit-root-login-disabled").is_none());
    assert!(by("filesystem.cramfs-disabled").is_some());
    assert_eq!(
        by("access.pwquality-minlen").unwrap()["title"],
        "new passwords are at least 16 characters long"
    );
    // An id no rule carries is reported with its line, and the exit status says so.
    let bad = dir.path().join("bad.xml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&xml)
            .unwrap()
            .replace("package_telnet_removed", "no_such_rule"),
    )
    .unwrap();
    let out = imagegate(&["tailoring", "import", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("bad.xml:1: not imported: rule no_such_rule: no imagegate rule carries this ssg reference"),
        "{err}"
    );
}
