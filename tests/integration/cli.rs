//! The command line: exit codes, where output goes, argument errors.
use crate::util::{AS_OF, fixture_copy, imagegate, repo};

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn exit_code_follows_the_findings() {
    for name in crate::util::root_names() {
        let dir = fixture_copy(&name);
        let root = dir.path().to_str().unwrap();
        let out = imagegate(&["scan", "--root", root, "--as-of", AS_OF, "--format", "json"]);
        let v = json(&out);
        let findings = v["findings"].as_array().unwrap();
        let has = |s: &str| findings.iter().any(|f| f["status"] == s);
        let want = if has("error") {
            2
        } else if has("fail") {
            1
        } else {
            0
        };
        assert_eq!(out.status.code(), Some(want), "{name}");
        // The summary agrees with the findings.
        let count = |s: &str| findings.iter().filter(|f| f["status"] == s).count();
        assert_eq!(v["summary"]["fail"], count("fail"));
        assert_eq!(v["summary"]["pass"], count("pass"));
        assert_eq!(v["summary"]["error"], count("error"));
        // Nothing on stderr for a clean run: diagnostics only.
        assert!(
            out.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn fail_on_raises_the_threshold_but_never_hides_errors() {
    let dir = fixture_copy("ubuntu2404");
    let root = dir.path().to_str().unwrap();
    let out = imagegate(&["scan", "--root", root, "--as-of", AS_OF, "--format", "json"]);
    let v = json(&out);
    let findings = v["findings"].as_array().unwrap();
    let errors = findings.iter().any(|f| f["status"] == "error");
    let critical_fail = findings
        .iter()
        .any(|f| f["status"] == "fail" && f["severity"] == "critical");
    let out = imagegate(&["scan", "--root", root, "--as-of", AS_OF, "--fail-on", "critical"]);
    let want = if errors {
        2
    } else if critical_fail {
        1
    } else {
        0
    };
    assert_eq!(out.status.code(), Some(want));
}

#[test]
fn bad_arguments_exit_2_with_a_message_on_stderr() {
    for args in [
        &["scan", "--profile", "no-such-profile", "--root", "/nonexistent-root"][..],
        &["scan", "--fail-on", "urgent"][..],
        &["scan", "--only", "no.such-rule"][..],
        &["scan", "--var", "no_such_var=1"][..],
        &["scan", "--root", "/nonexistent-root-dir"][..],
        &["rules", "explain", "no.such-rule"][..],
        &["frobnicate"][..],
    ] {
        let out = imagegate(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
        assert!(!out.stderr.is_empty(), "{args:?} said nothing on stderr");
    }
}

#[test]
fn an_invalid_user_rule_file_exits_2_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ssh.toml"),
        "[[rule]]\nid = \"ssh.x\"\ntitle = \"t\"\nseverity = \"urgent\"\nprofiles = [\"p\"]\nrationale = \"r\"\nremediation = \"m\"\ncheck = { fact = \"os.id\", eq = \"x\" }\n",
    )
    .unwrap();
    let out = imagegate(&["rules", "list", "--rules", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ssh.toml:4"), "{err}");
}

#[test]
fn a_user_rule_replaces_a_shipped_one_and_adds_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("os.toml"),
        "[[rule]]\nid = \"os.release-is-debian\"\ntitle = \"the release is Debian\"\nseverity = \"low\"\nprofiles = [\"mine\"]\nrationale = \"r\"\nremediation = \"m\"\ncheck = { fact = \"os.id\", eq = \"debian\" }\n",
    )
    .unwrap();
    // A new profile is declared; without the declaration the rule does not load.
    let check = ["rules", "validate", dir.path().to_str().unwrap()];
    let out = imagegate(&check);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("os.toml:1: rule os.release-is-debian: unknown profile \"mine\""),
        "{err}"
    );
    std::fs::write(dir.path().join("profiles.toml"), "[profile.mine]\ntitle = \"ours\"\n").unwrap();
    assert_eq!(imagegate(&check).status.code(), Some(0));
    let fixture = fixture_copy("debian12");
    let args = [
        "scan",
        "--rules",
        dir.path().to_str().unwrap(),
        "--profile",
        "mine",
        "--root",
        fixture.path().to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ];
    let out = imagegate(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["findings"][0]["status"], "pass");
    assert_eq!(v["findings"][0]["evidence"][0]["source"]["path"], "/etc/os-release");
}

#[test]
fn rules_list_shows_counts_per_profile() {
    let out = imagegate(&["rules", "list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("profile cloud-image:"), "{text}");
    assert!(repo().join("README.md").exists());
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

const RULE: &str = "ssh.password-authentication-disabled";

#[test]
fn a_waiver_accepts_a_failure_until_it_expires() {
    let fixture = fixture_copy("debian12");
    let root = fixture.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan", "--root", root, "--as-of", AS_OF, "--only", RULE, "--format", "json",
        ];
        args.extend_from_slice(extra);
        imagegate(&args)
    };
    assert_eq!(scan(&[]).status.code(), Some(1), "the rule fails on the Debian fixture");
    let valid = write(
        dir.path(),
        "valid.toml",
        &format!("[[waiver]]\nrule = \"{RULE}\"\nreason = \"bastion\"\nowner = \"ops\"\nexpires = 2026-11-10\n"),
    );
    let out = scan(&["--waivers", &valid]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["findings"][0]["status"], "waived");
    assert_eq!(v["findings"][0]["waiver"]["owner"], "ops");
    assert_eq!(v["summary"]["waived"], 1);
    // Nine days before expiry: a warning on stderr, stdout untouched.
    assert!(String::from_utf8_lossy(&out.stderr).contains("expires on 2026-11-10"));
    // After the expiry date the waiver stops applying and is a failure of its own.
    let out = imagegate(&[
        "scan",
        "--root",
        root,
        "--as-of",
        "2026-11-11",
        "--only",
        RULE,
        "--format",
        "json",
        "--waivers",
        &valid,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    let statuses: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [(RULE, "fail"), ("waivers.expired", "fail")]);
    // A waiver for a rule that does not exist is an error that names the line.
    let bad = write(
        dir.path(),
        "bad.toml",
        "# header\n[[waiver]]\nrule = \"ssh.no-such\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2027-01-01\n",
    );
    let out = scan(&["--waivers", &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.toml:2:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = imagegate(&["waivers", "check", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let out = imagegate(&["waivers", "check", &valid, "--as-of", "2026-12-01"]);
    assert_eq!(out.status.code(), Some(1), "an expired waiver fails the check");
    assert!(String::from_utf8_lossy(&out.stdout).contains("EXPIRED"));
}

#[test]
fn tailoring_sets_vars_disables_rules_overrides_severity_and_composes_profiles() {
    let fixture = fixture_copy("debian12");
    let root = fixture.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let t = write(
        dir.path(),
        "t.toml",
        &format!(
            "[[disable]]\nrule = \"ssh.permit-root-login-disabled\"\nreason = \"checked elsewhere\"\n\n[severity]\n\"{RULE}\" = \"low\"\n\n[profile.mine]\nextends = [\"cloud-image\"]\nremove = [\"lifecycle.lts-release\"]\n"
        ),
    );
    let out = imagegate(&[
        "scan",
        "--root",
        root,
        "--as-of",
        AS_OF,
        "--tailoring",
        &t,
        "--profile",
        "mine",
        "--format",
        "json",
    ]);
    let v = json(&out);
    assert_eq!(v["profile"], "mine");
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&RULE));
    assert!(
        !ids.contains(&"ssh.permit-root-login-disabled"),
        "disabled rule was evaluated"
    );
    assert!(!ids.contains(&"lifecycle.lts-release"), "removed rule was evaluated");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == RULE)
        .unwrap();
    assert_eq!(f["severity"], "low");
    // With the failure now low, --fail-on medium no longer counts it.
    let only = imagegate(&[
        "scan",
        "--root",
        root,
        "--as-of",
        AS_OF,
        "--tailoring",
        &t,
        "--only",
        RULE,
        "--fail-on",
        "medium",
    ]);
    assert_eq!(only.status.code(), Some(0));
    // An unknown variable points at its line.
    let bad = write(
        dir.path(),
        "bad.toml",
        "[vars]\nmax_index_age_days = 3\nno_such_var = 1\n",
    );
    let out = imagegate(&["scan", "--root", root, "--tailoring", &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.toml:3:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn version_names_the_rule_pack_and_the_lifecycle_table() {
    let out = imagegate(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let rules = imagegate(&["rules", "validate"]);
    let count = String::from_utf8(rules.stdout).unwrap();
    let count = count.split_whitespace().next().unwrap().to_owned();
    let table = std::fs::read_to_string(repo().join("rules/data/lifecycle.toml")).unwrap();
    let as_of = table.lines().find_map(|l| l.strip_prefix("as_of = ")).unwrap().trim();
    assert!(
        text.starts_with(&format!("imagegate {} (rule pack ", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(
        text.contains(&format!(", {count} rules; lifecycle table as of {as_of})")),
        "{text}"
    );
    // Stable: the same binary gives the same line.
    assert_eq!(imagegate(&["-V"]).stdout, text.as_bytes());
}

#[test]
fn completions_cover_every_subcommand_in_each_shell() {
    let subcommands = ["scan", "facts", "rules", "report", "sshd-config", "completions", "man"];
    for shell in ["bash", "zsh", "fish"] {
        let out = imagegate(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for sub in subcommands {
            assert!(text.contains(sub), "{shell}: {sub}");
        }
        assert!(text.contains("fail-on"), "{shell}: scan flags");
    }
    // bash parses what it is given.
    let out = imagegate(&["completions", "bash"]);
    if let Ok(status) = std::process::Command::new("bash")
        .args(["-n", "-c", &String::from_utf8(out.stdout).unwrap()])
        .status()
    {
        assert!(status.success(), "bash -n rejects the completion script");
    }
    let bad = imagegate(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn man_prints_roff_for_the_tool_and_each_subcommand() {
    let out = imagegate(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH imagegate 1"), "{page}");
    assert!(page.contains("imagegate\\-scan"), "lists subcommands");
    let scan = String::from_utf8(imagegate(&["man", "scan"]).stdout).unwrap();
    assert!(scan.contains(".TH imagegate-scan 1"), "{scan}");
    assert!(scan.contains("fail\\-on"), "documents scan's flags");
    // What a pipeline branches on, and every shipped profile with its rule count.
    let rules = imagegate::rules::RuleSet::embedded().unwrap();
    for p in [&page, &scan] {
        assert!(p.contains(".SH \"EXIT STATUS\""), "{p}");
        assert!(p.contains(".SH PROFILES"), "{p}");
        for name in rules.declared.keys() {
            let n = rules.rules.values().filter(|r| r.profiles.contains(name)).count();
            let want = format!("\\fB{}\\fR ({n} rules)", name.replace('-', "\\-"));
            assert!(p.contains(&want), "{want} not in the page");
        }
    }
    let bad = imagegate(&["man", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("available: scan"));
}

/// `imagegate scan | head`: the reader leaving early neither prints an error nor changes the
/// verdict; a listing that is cut short exits 0.
#[test]
fn a_closed_pipe_keeps_the_verdict_and_says_nothing() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let fixture = fixture_copy("debian12");
    let root = fixture.path().to_str().unwrap();
    let want = imagegate(&["scan", "--root", root, "--as-of", AS_OF]).status.code();
    for (args, expect) in [
        (
            vec!["scan", "--root", root, "--as-of", AS_OF, "--profile", "cis-l2-server"],
            None,
        ),
        (vec!["scan", "--root", root, "--as-of", AS_OF], want),
        (vec!["facts", "--root", root], Some(0)),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_imagegate"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // then the pipe closes
        let out = child.wait_with_output().unwrap();
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(code) = expect {
            assert_eq!(out.status.code(), Some(code), "{args:?}");
        } else {
            assert!(
                matches!(out.status.code(), Some(1 | 2)),
                "{args:?}: the verdict must survive"
            );
        }
    }
}

/// A user rule naming a fact no fact has, a misspelled profile, a variable value of the wrong
/// type, `--only` a rule outside the profile: each would quietly check nothing, so each is an
/// error (exit 2) that says where and what instead.
#[test]
fn user_mistakes_that_would_switch_the_gate_off_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |check: &str, profile: &str| {
        format!(
            "# mine\n[[rule]]\nid = \"ssh.mine\"\ntitle = \"t\"\nseverity = \"high\"\nprofiles = [\"{profile}\"]\nrationale = \"r\"\nremediation = \"m\"\n{check}\n"
        )
    };
    let fixture = fixture_copy("debian12");
    let root = fixture.path().to_str().unwrap();
    let rules = dir.path().to_str().unwrap();
    for (check, profile, want) in [
        (
            r#"check = { fact = "sshd.effective.permitrootlgin", eq = "no" }"#,
            "cloud-image",
            "ssh.toml:9: rule ssh.mine: check: unknown fact `sshd.effective.permitrootlgin`: `sshd.effective` has no `permitrootlgin` (did you mean `permitrootlogin`?)",
        ),
        (
            r#"check = { fact = "packages.instaled", none = { field = "name", eq = "telnetd" } }"#,
            "cloud-image",
            "ssh.toml:9: rule ssh.mine: check: unknown fact `packages.instaled`",
        ),
        (
            r#"check = { fact = "packages.installed", none = { field = "nmae", eq = "telnetd" } }"#,
            "cloud-image",
            "ssh.toml:9: rule ssh.mine: check: unknown fact `packages.installed[*].nmae`",
        ),
        (
            r#"check = { fact = "sshd.effective.permitrootlogin", eq = "no" }"#,
            "cloud-imgae",
            "ssh.toml:2: rule ssh.mine: unknown profile \"cloud-imgae\" (did you mean \"cloud-image\"?",
        ),
    ] {
        std::fs::write(dir.path().join("ssh.toml"), rule(check, profile)).unwrap();
        for args in [
            vec!["rules", "validate", rules],
            vec!["scan", "--rules", rules, "--root", root, "--as-of", AS_OF],
        ] {
            let out = imagegate(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains(want), "{args:?}: {err}");
        }
    }
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "--root", root, "--as-of", AS_OF];
        args.extend_from_slice(extra);
        let out = imagegate(&args);
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    for bad in ["7d", "abc", "1.5", "true", "[7]"] {
        let var = format!("max_index_age_days={bad}");
        let (code, err) = scan(&["--var", &var]);
        assert_eq!(code, Some(2), "{var}: {err}");
        assert!(
            err.contains("--var max_index_age_days: variable max_index_age_days takes an integer"),
            "{var}: {err}"
        );
    }
    let tailoring = dir.path().join("t.toml");
    std::fs::write(&tailoring, "[vars]\nmax_index_age_days = \"7d\"\n").unwrap();
    let (code, err) = scan(&["--tailoring", tailoring.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("t.toml:2: variable max_index_age_days takes an integer"),
        "{err}"
    );
    let (code, err) = scan(&["--profile", "capture", "--only", "ssh.password-authentication-disabled"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(
            "--only ssh.password-authentication-disabled: profile \"capture\" does not select it; it is in cloud-image"
        ),
        "{err}"
    );
    let (code, err) = scan(&["--only", "ssh.password-authentication-disabld"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no such rule \"ssh.password-authentication-disabld\" (did you mean \"ssh.password-authentication-disabled\"?)"), "{err}");
    let (code, err) = scan(&["--skip", "ssh.no-such-rule"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no such rule"), "{err}");
}

#[test]
fn a_missing_rules_directory_names_the_os_error_once() {
    let fixture = fixture_copy("debian12");
    let root = fixture.path().to_str().unwrap();
    for args in [
        &["scan", "--rules", "/nonexistent-rules-dir", "--root", root][..],
        &["rules", "list", "--rules", "/nonexistent-rules-dir"][..],
        &["rules", "validate", "/nonexistent-rules-dir"][..],
    ] {
        let out = imagegate(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.matches("No such file or directory").count(), 1, "{args:?}: {err}");
        assert!(err.contains("/nonexistent-rules-dir"), "{args:?}: {err}");
    }
}

#[test]
fn as_of_takes_a_date_and_refuses_a_datetime() {
    for bad in [
        "2026-11-01T10:00:00",
        "2026-11-01 10:00",
        "2026-11-1",
        "20261101",
        "2026-13-01",
    ] {
        for args in [
            &["scan", "--root", "/nonexistent-root", "--as-of", bad][..],
            &["waivers", "check", "/nonexistent-waivers.toml", "--as-of", bad][..],
        ] {
            let out = imagegate(args);
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("--as-of"), "{args:?}: {err}");
            assert!(!err.contains("nonexistent"), "{args:?} went past the argument: {err}");
        }
    }
}

#[test]
fn rules_validate_takes_the_rules_option_as_scan_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ssh.toml"),
        "[[rule]]\nid = \"ssh.x\"\ntitle = \"t\"\nseverity = \"urgent\"\nprofiles = [\"cloud-image\"]\nrationale = \"r\"\nremediation = \"m\"\ncheck = { fact = \"os.id\", eq = \"x\" }\n",
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    for args in [&["rules", "validate", d][..], &["rules", "validate", "--rules", d][..]] {
        let out = imagegate(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("ssh.toml:4"), "{args:?}");
    }
}

#[test]
fn an_expired_waiver_for_a_rule_the_profile_does_not_run_decides_nothing() {
    let fixture = fixture_copy("debian12");
    let root = fixture.path().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let w = write(
        dir.path(),
        "w.toml",
        &format!("[[waiver]]\nrule = \"{RULE}\"\nreason = \"r\"\nowner = \"ops\"\nexpires = 2026-01-31\n"),
    );
    let scan = |only: &str| {
        json(&imagegate(&[
            "scan",
            "--root",
            root,
            "--as-of",
            AS_OF,
            "--only",
            only,
            "--format",
            "json",
            "--waivers",
            &w,
        ]))
    };
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // The scan runs another rule: the waiver's rule is not evaluated, the waiver is not its business.
    let other = "ssh.permit-root-login-disabled";
    assert_eq!(ids(&scan(other)), [other]);
    // The scan runs the rule: the expired waiver is a failure of its own.
    assert_eq!(ids(&scan(RULE)), [RULE, "waivers.expired"]);
}

#[test]
fn a_tailoring_profile_named_like_a_shipped_one_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let t = write(
        dir.path(),
        "t.toml",
        "# ours\n[profile.cloud-image]\nextends = [\"cloud-image\"]\n",
    );
    let fixture = fixture_copy("debian12");
    let root = fixture.path().to_str().unwrap();
    let out = imagegate(&["scan", "--root", root, "--tailoring", &t]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("t.toml:2: profile cloud-image: a shipped profile has this name"),
        "{err}"
    );
    assert!(!err.contains("unknown profile"), "{err}");
}

#[test]
fn rules_explain_shows_the_check_of_a_site_rule() {
    let dir = repo().join("examples/site-rules");
    let out = imagegate(&[
        "rules",
        "explain",
        "site.app-token-private",
        "--rules",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let check = &text[text.find("\ncheck:\n").expect("a check section")..];
    for want in [
        "all of:",
        "declared_files[\"/etc/app/token.conf\"].present eq true",
        "declared_files[\"/etc/app/token.conf\"].file.mode mode_max \"0600\"",
        "declared_files[\"/etc/app/token.conf\"].file.lines — some item:",
        "(the item) matches",
    ] {
        assert!(check.contains(want), "{want:?} not in:\n{text}");
    }
}

#[test]
fn a_site_rule_reads_its_declared_file_and_names_the_line() {
    let fixture = fixture_copy("debian12");
    let root = fixture.path();
    std::fs::write(
        root.join("etc/motd"),
        "Welcome.\nAuthorized use only. Activity is monitored.\n",
    )
    .unwrap();
    let dir = repo().join("examples/site-rules");
    let args = [
        "scan",
        "--root",
        root.to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--rules",
        dir.to_str().unwrap(),
        "--profile",
        "site",
        "--only",
        "site.motd-banner",
        "--format",
        "json",
    ];
    let v = json(&imagegate(&args));
    let f = &v["findings"][0];
    assert_eq!(f["status"], "pass", "{f}");
    assert_eq!(f["evidence"][0]["source"]["path"], "/etc/motd");
    assert_eq!(f["evidence"][0]["source"]["line"], 2);
    // A link to a host file outside the root is re-rooted: the host's banner is never read.
    let outside = tempfile::tempdir().unwrap();
    let host_motd = outside.path().join("motd");
    std::fs::write(&host_motd, "Authorized use only. Activity is monitored.\n").unwrap();
    std::fs::remove_file(root.join("etc/motd")).unwrap();
    std::os::unix::fs::symlink(&host_motd, root.join("etc/motd")).unwrap();
    let v = json(&imagegate(&args));
    let f = &v["findings"][0];
    assert_ne!(f["status"], "pass", "{f}");
    assert!(!f["evidence"].to_string().contains("Authorized"), "{f}");
    // A FIFO is refused unread: an error, never a pass, and no hang.
    std::fs::remove_file(root.join("etc/motd")).unwrap();
    nix::unistd::mkfifo(&root.join("etc/motd"), nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    let out = imagegate(&args);
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out);
    assert_eq!(v["findings"][0]["status"], "error", "{}", v["findings"][0]);
}

/// `--var` takes a list variable comma-separated (as XCCDF writes it) or as a TOML array, with the
/// same verdict; the evidence names the offending items; a list where one value is needed, and an
/// empty item, are refused before anything is scanned.
#[test]
fn a_list_variable_is_set_comma_separated_on_the_command_line() {
    let root = repo().join("fixtures/roots/debian12");
    let root = root.to_str().unwrap();
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "--root",
            root,
            "--as-of",
            AS_OF,
            "--profile",
            "cis-l1-server",
            "--only",
            "ssh.no-weak-ciphers",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = imagegate(&args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The profile's list approves OpenSSH 9.2's default ciphers.
    let (code, _, err) = scan(&[]);
    assert_eq!(code, Some(0), "{err}");
    // The STIG's FIPS list does not: chacha20 and the GCM ciphers are named as evidence.
    for var in [
        "sshd_approved_ciphers=aes256-ctr,aes192-ctr,aes128-ctr",
        "sshd_approved_ciphers=aes256-ctr, aes192-ctr ,aes128-ctr",
        r#"sshd_approved_ciphers=["aes256-ctr","aes192-ctr","aes128-ctr"]"#,
    ] {
        let (code, out, err) = scan(&["--var", var]);
        assert_eq!(code, Some(1), "{var}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let ev = &v["findings"][0]["evidence"];
        let named: Vec<&str> = ev.as_array().unwrap()[1..]
            .iter()
            .map(|e| e["value"].as_str().unwrap())
            .collect();
        assert_eq!(
            named,
            [
                "chacha20-poly1305@openssh.com",
                "aes128-gcm@openssh.com",
                "aes256-gcm@openssh.com"
            ],
            "{var}: {ev}"
        );
        assert_eq!(ev[1]["fact"], "sshd.effective.ciphers[0]", "{ev}");
    }
    for (var, want) in [
        ("sshd_approved_ciphers=aes256-ctr,,aes128-ctr", "empty item"),
        ("sshd_approved_ciphers=[1,2]", "takes a list of string"),
    ] {
        let (code, _, err) = scan(&["--var", var]);
        assert_eq!(code, Some(2), "{var}: {err}");
        assert!(err.contains(want), "{var}: {err}");
    }
    // A MaxStartups threshold without its third field cannot be compared: the rule errs.
    let out = imagegate(&[
        "scan",
        "--root",
        root,
        "--as-of",
        AS_OF,
        "--profile",
        "cis-l1-server",
        "--only",
        "ssh.max-startups-limited",
        "--var",
        "var_sshd_set_maxstartups=10:30",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("ERROR") && text.contains("field 2"), "{text}");
}
