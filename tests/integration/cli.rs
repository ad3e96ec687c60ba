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
    let bad = imagegate(&["man", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("available: scan"));
}
