//! Unit tests over small trees built in a temporary directory.

use super::*;

fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, RootFs) {
    let dir = tempfile::tempdir().unwrap();
    for (p, c) in files {
        let host = dir.path().join(p.trim_start_matches('/'));
        std::fs::create_dir_all(host.parent().unwrap()).unwrap();
        std::fs::write(host, c).unwrap();
    }
    let fs = RootFs::open(dir.path()).unwrap();
    (dir, fs)
}

fn eff(s: &Sshd, k: &str) -> String {
    match &s.effective[k].value {
        Value::One(v) => v.clone(),
        Value::Many(v) => v.join(","),
    }
}

#[test]
fn absent_config_is_not_installed_not_an_error() {
    let (_d, fs) = tree(&[("/etc/hostname", "x\n")]);
    let s = collect_sshd(&fs, None).unwrap();
    assert!(!s.installed && !s.present);
}

#[test]
fn cloud_init_dropin_included_first_wins_over_later_no() {
    let (_d, fs) = tree(&[
        (
            "/etc/ssh/sshd_config",
            "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\n",
        ),
        (
            "/etc/ssh/sshd_config.d/50-cloud-init.conf",
            "PasswordAuthentication yes\n",
        ),
    ]);
    let s = collect_sshd(&fs, None).unwrap();
    let f = &s.effective["passwordauthentication"];
    assert_eq!(f.value, Value::One("yes".into()));
    assert_eq!(f.source, Source::at("/etc/ssh/sshd_config.d/50-cloud-init.conf", 1));
    assert_eq!(f.shadowed[0].source, Source::at("/etc/ssh/sshd_config", 2));
}

#[test]
fn aliases_and_canonical_forms() {
    let (_d, fs) = tree(&[(
        "/etc/ssh/sshd_config",
        "challengeresponseauthentication=no\r\nPermitRootLogin without-password\r\nLoginGraceTime 2m\r\n",
    )]);
    let s = collect_sshd(&fs, None).unwrap();
    assert_eq!(eff(&s, "kbdinteractiveauthentication"), "no");
    assert_eq!(eff(&s, "permitrootlogin"), "prohibit-password");
    assert_eq!(eff(&s, "logingracetime"), "120");
    assert!(s.effective["usepam"].source.note.as_deref().unwrap().contains("9.2p1"));
}

#[test]
fn match_block_does_not_override_global_for_other_users() {
    let cfg = "PasswordAuthentication no\nMatch User alice\n  PasswordAuthentication yes\n";
    let (_d, fs) = tree(&[("/etc/ssh/sshd_config", cfg)]);
    let s = collect_sshd(&fs, None).unwrap();
    assert_eq!(eff(&s, "passwordauthentication"), "no");
    assert_eq!(s.match_overrides.len(), 1);
    assert_eq!(s.match_overrides[0].criteria, "User alice");
    let alice = render_sshd_t(
        &fs,
        None,
        Some(&parse_conn_spec("user=alice,host=h,addr=10.0.0.1").unwrap()),
    )
    .unwrap();
    assert!(alice.contains("\npasswordauthentication yes\n"));
    let bob = render_sshd_t(&fs, None, Some(&parse_conn_spec("user=bob").unwrap())).unwrap();
    assert!(bob.contains("\npasswordauthentication no\n"));
}

#[test]
fn include_loop_is_invalid_not_a_hang() {
    let (_d, fs) = tree(&[("/etc/ssh/sshd_config", "Include sshd_config\n")]);
    assert!(matches!(collect_sshd(&fs, None), Err(FactError::Invalid(m)) if m.contains("recursive")));
}

#[test]
fn unknown_keyword_is_invalid_with_file_and_line() {
    let (_d, fs) = tree(&[("/etc/ssh/sshd_config", "Port 22\nPasswordAuth no\n")]);
    match collect_sshd(&fs, None) {
        Err(FactError::Parse { path, line, msg }) => {
            assert_eq!((path.as_str(), line), ("/etc/ssh/sshd_config", 2));
            assert!(msg.contains("bad configuration option"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn global_only_keyword_inside_match_is_invalid() {
    let (_d, fs) = tree(&[("/etc/ssh/sshd_config", "Match User x\nPort 2222\n")]);
    assert!(collect_sshd(&fs, None).is_err());
}

#[test]
fn default_dump_matches_sshd_t_of_empty_config() {
    let (_d, fs) = tree(&[("/etc/ssh/sshd_config", "\n")]);
    let out = render_sshd_t(&fs, None, None).unwrap();
    assert!(
        out.starts_with("port 22\naddressfamily any\nlistenaddress [::]:22\nlistenaddress 0.0.0.0:22\nusepam no\n")
    );
    assert!(out.ends_with("permituserenvironment no\npubkeyauthoptions none\n"));
}

#[test]
fn conn_spec_parsing() {
    let c = parse_conn_spec("user=alice,host=h.example,addr=10.0.0.1,lport=22").unwrap();
    assert_eq!(c.user.as_deref(), Some("alice"));
    assert_eq!(c.lport, Some(22));
    assert!(parse_conn_spec("colour=red").is_err());
}

#[test]
fn weakening_table() {
    assert!(is_weaker("permitrootlogin", "yes", "prohibit-password"));
    assert!(!is_weaker("permitrootlogin", "no", "prohibit-password"));
    assert!(is_weaker("maxauthtries", "10", "3"));
}

fn root(name: &str) -> RootFs {
    RootFs::open(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/roots")
            .join(name),
    )
    .unwrap()
}

#[test]
fn fixture_roots_have_the_expected_effective_values() {
    // (root, passwordauthentication, kbdinteractive, permitemptypasswords, permitrootlogin, pubkey, overrides)
    let expect = [
        ("ubuntu2204", "no", "no", "no", "no", "yes", 0),
        ("ubuntu2404", "yes", "no", "no", "prohibit-password", "yes", 0),
        ("debian12", "yes", "no", "no", "prohibit-password", "yes", 0),
        ("rocky9", "yes", "no", "no", "yes", "yes", 0),
        ("al2023", "no", "no", "no", "forced-commands-only", "yes", 0),
        ("alinux3", "yes", "no", "no", "yes", "yes", 0),
        ("centos7", "no", "no", "no", "no", "yes", 1),
        ("alpine320", "no", "yes", "no", "no", "yes", 0),
    ];
    for (name, pw, kbd, empty, root_login, pubkey, overrides) in expect {
        let s = collect_sshd(&root(name), None).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = (
            eff(&s, "passwordauthentication"),
            eff(&s, "kbdinteractiveauthentication"),
            eff(&s, "permitemptypasswords"),
            eff(&s, "permitrootlogin"),
            eff(&s, "pubkeyauthentication"),
            s.match_overrides.len(),
        );
        assert_eq!(
            got,
            (
                pw.into(),
                kbd.into(),
                empty.into(),
                root_login.into(),
                pubkey.into(),
                overrides
            ),
            "{name}"
        );
    }
    let rocky = collect_sshd(&root("rocky9"), None).unwrap();
    assert!(
        rocky
            .files
            .contains(&"/etc/crypto-policies/back-ends/opensshserver.config".to_owned())
    );
    assert_eq!(eff(&rocky, "requiredrsasize"), "2048");
    let u = collect_sshd(&root("ubuntu2404"), None).unwrap();
    let pw = &u.effective["passwordauthentication"];
    assert_eq!(
        pw.source.path.as_deref(),
        Some("/etc/ssh/sshd_config.d/50-cloud-init.conf")
    );
    assert_eq!(pw.shadowed.len(), 2);
}

#[test]
fn fact_json_shape() {
    let s = collect_sshd(&root("centos7"), None).unwrap();
    let j = serde_json::to_value(&s).unwrap();
    assert_eq!(j["effective"]["passwordauthentication"]["value"], "no");
    assert_eq!(j["effective"]["port"]["value"][0], "22");
    assert_eq!(j["match_overrides"][0]["keyword"], "passwordauthentication");
    assert_eq!(j["match_overrides"][0]["criteria"], "User backup Address 10.20.0.0/16");
    assert_eq!(j["match_blocks"][0]["settings"]["allowtcpforwarding"]["value"], "no");
}

#[test]
fn mfa_guide_on_debian_kbd_setting_is_a_startup_error_with_its_line() {
    // Debian's shipped `KbdInteractiveAuthentication no` plus a typical MFA drop-in: sshd exits
    // with "AuthenticationMethods cannot be satisfied by enabled authentication methods".
    let (_d, fs) = tree(&[
        (
            "/etc/ssh/sshd_config",
            "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\n",
        ),
        (
            "/etc/ssh/sshd_config.d/60-mfa.conf",
            "AuthenticationMethods publickey,keyboard-interactive\n",
        ),
    ]);
    let s = collect_sshd(&fs, None).unwrap();
    let e = s.startup_error.expect("sshd refuses this configuration");
    assert!(
        e.value
            .starts_with("sshd would refuse to start: AuthenticationMethods cannot be satisfied"),
        "{}",
        e.value
    );
    assert!(
        e.value
            .contains("keyboard-interactive is disabled (KbdInteractiveAuthentication no, /etc/ssh/sshd_config:2)"),
        "{}",
        e.value
    );
    assert_eq!(e.source.path.as_deref(), Some("/etc/ssh/sshd_config.d/60-mfa.conf"));
    assert_eq!(e.source.line, Some(1));
    let t = render_sshd_t(&fs, None, None).unwrap_err().to_string();
    assert!(
        t.contains("sshd would refuse to start: AuthenticationMethods cannot be satisfied"),
        "{t}"
    );
    // One satisfiable list is enough.
    let (_d, fs) = tree(&[(
        "/etc/ssh/sshd_config",
        "KbdInteractiveAuthentication no\nAuthenticationMethods publickey,keyboard-interactive publickey\n",
    )]);
    assert_eq!(collect_sshd(&fs, None).unwrap().startup_error, None);
}

#[test]
fn command_without_its_user_is_a_startup_error_unless_only_in_an_unmatched_block() {
    for (cfg, refused) in [
        ("AuthorizedKeysCommand /usr/bin/true\n", true),
        ("AuthorizedPrincipalsCommand /usr/bin/true\n", true),
        (
            "AuthorizedKeysCommand /usr/bin/true\nAuthorizedKeysCommandUser none\n",
            false,
        ),
        ("AuthorizedKeysCommand none\n", false),
        ("Match User alice\n AuthorizedKeysCommand /usr/bin/true\n", false),
        ("Match all\n AuthorizedKeysCommand /usr/bin/true\n", true),
    ] {
        let (_d, fs) = tree(&[("/etc/ssh/sshd_config", cfg)]);
        let s = collect_sshd(&fs, None).unwrap();
        assert_eq!(s.startup_error.is_some(), refused, "{cfg:?}: {:?}", s.startup_error);
    }
}

#[test]
fn any_after_stored_methods_is_refused_even_in_an_unmatched_block() {
    for (cfg, ok) in [
        (
            "AuthenticationMethods publickey\nMatch User nobody\n AuthenticationMethods any\n",
            false,
        ),
        ("AuthenticationMethods any\nAuthenticationMethods any\n", false),
        ("AuthenticationMethods publickey any\n", false),
        ("Match User nobody\n AuthenticationMethods publickey any\n", true),
        ("DenyUsers *@10.0.0.0/40\n", false),
        ("DenyUsers *@10.0.0.0/129\n", true),
        ("AuthenticationMethods publickey:x\n", true),
    ] {
        let (_d, fs) = tree(&[("/etc/ssh/sshd_config", cfg)]);
        assert_eq!(collect_sshd(&fs, None).is_ok(), ok, "{cfg:?}");
    }
}

#[test]
fn banner_file_is_shown_only_for_a_regular_file_of_one_byte_to_one_mib() {
    let state = |cfg: &str, extra: &[(&str, &str)]| {
        let mut files = vec![("/etc/ssh/sshd_config", cfg)];
        files.extend_from_slice(extra);
        let (_d, fs) = tree(&files);
        let s = collect_sshd(&fs, None).unwrap();
        let Collected::Ok(f) = s.banner_file else {
            panic!("{cfg:?}: {:?}", s.banner_file)
        };
        (f.value, f.source, s.match_blocks)
    };
    assert_eq!(state("Port 22\n", &[]).0, "none");
    assert_eq!(state("Banner /etc/issue.net\n", &[]).0, "absent");
    assert_eq!(state("Banner /etc/issue.net\n", &[("/etc/issue.net", "")]).0, "empty");
    assert_eq!(state("Banner /etc/ssh\n", &[]).0, "not a regular file");
    let big = "x".repeat(1024 * 1024 + 1);
    assert_eq!(
        state("Banner /etc/issue.net\n", &[("/etc/issue.net", &big)]).0,
        "too large"
    );
    let (v, src, _) = state(
        "Banner /etc/issue.net\n",
        &[("/etc/issue.net", "Authorised use only\n")],
    );
    assert_eq!(v, "shown");
    assert_eq!(src.path.as_deref(), Some("/etc/issue.net"));
    assert_eq!(src.note.as_deref(), Some("named by Banner at /etc/ssh/sshd_config:1"));
    // A Match block's own Banner is examined too; blocks that do not set one have none.
    let (_, _, blocks) = state(
        "Banner /etc/issue.net\nMatch User a\n Banner /nope\nMatch User b\n X11Forwarding no\n",
        &[("/etc/issue.net", "x\n")],
    );
    assert!(matches!(&blocks[0].banner_file, Some(Collected::Ok(f)) if f.value == "absent"));
    assert!(blocks[1].banner_file.is_none());
}

#[test]
#[allow(clippy::disallowed_methods)]
fn a_dangling_included_link_is_a_startup_error_at_the_include_line() {
    let (d, _) = tree(&[(
        "/etc/ssh/sshd_config",
        "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n",
    )]);
    let dir = d.path().join("etc/ssh/sshd_config.d");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink("/nowhere", dir.join("10-gone.conf")).unwrap();
    let fs = RootFs::open(d.path()).unwrap();
    let e = collect_sshd(&fs, None).unwrap().startup_error.unwrap();
    assert!(
        e.value
            .contains("/etc/ssh/sshd_config.d/10-gone.conf: No such file or directory"),
        "{}",
        e.value
    );
    assert_eq!(e.source.line, Some(1));
    assert!(render_sshd_t(&fs, None, None).is_err());
}
