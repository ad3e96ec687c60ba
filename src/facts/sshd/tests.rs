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
    assert!(matches!(
        collect_sshd(&fs, None),
        Err(FactError::IncludeDepth { path, .. }) if path == "/etc/ssh/sshd_config"
    ));
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
fn conn_spec_typos_are_typed_errors_with_sshds_message() {
    let e = parse_conn_spec("user=alice,colour=red").unwrap_err();
    assert_eq!(
        e,
        ConnSpecError::Field {
            field: "colour=red".into()
        }
    );
    assert_eq!(e.to_string(), "invalid test mode specification colour=red");
    // A key without `=` is no field either.
    assert_eq!(
        parse_conn_spec("user"),
        Err(ConnSpecError::Field { field: "user".into() })
    );
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

#[test]
fn a_long_match_line_over_a_long_block_is_evaluated_as_sshd_does() {
    // 8,000 criteria on one Match line (within the word bound) over 20,000 lines: each
    // block's criteria are evaluated once per pass, and every one of them counts (the last
    // fails, so the block does not apply).
    let dir = tempfile::tempdir().unwrap();
    let ssh = dir.path().join("etc/ssh");
    #[allow(clippy::disallowed_methods)]
    {
        std::fs::create_dir_all(&ssh).unwrap();
        let mut text = String::from("Match");
        for _ in 0..8_000 {
            text.push_str(" User alice");
        }
        text.push_str(" Host nomatch\n");
        for _ in 0..20_000 {
            text.push_str("    PasswordAuthentication no\n");
        }
        std::fs::write(ssh.join("sshd_config"), text).unwrap();
    }
    let fs = RootFs::open(dir.path()).unwrap();
    let cfg = parse::load(&fs, "/etc/ssh/sshd_config", true).unwrap().unwrap();
    assert_eq!(cfg.blocks.first().map(|b| b.criteria.len()), Some(8_001));
    let conn = parse_conn_spec("user=alice,host=h").unwrap();
    let (_, matched) = render::evaluate(&cfg, Some(&conn), &versions::select(None)).unwrap();
    assert!(matched.get("passwordauthentication").is_none_or(|s| s.items.is_empty()));
    let conn = parse_conn_spec("user=alice,host=nomatch").unwrap();
    let (_, matched) = render::evaluate(&cfg, Some(&conn), &versions::select(None)).unwrap();
    assert!(
        matched
            .get("passwordauthentication")
            .is_some_and(|s| s.items.len() == 1)
    );
}

/// The IPQoS default is the release's: Debian 13's 10.0p1 prints `ef cs1` (its sshd -T in
/// `make e2e-roots`), Debian 11's and 12's `lowdelay throughput`.
#[test]
fn ipqos_default_follows_the_release() {
    let ipqos = |pkg: &str| {
        let lines = render::dump(&keywords::Opts::new(), &versions::select(Some(pkg)));
        lines
            .ok()
            .and_then(|l| l.into_iter().find(|l| l.keyword == "ipqos").map(|l| l.value))
    };
    assert_eq!(ipqos("1:10.0p1-7+deb13u4").as_deref(), Some("ef cs1"));
    assert_eq!(ipqos("1:9.2p1-2+deb12u10").as_deref(), Some("lowdelay throughput"));
    assert_eq!(ipqos("1:8.4p1-5+deb11u3").as_deref(), Some("lowdelay throughput"));
}

/// What `sshd -T` of an empty configuration prints on each release (upstream's build) is what
/// servconf.c's dump_config at that release prints: the same keywords, under the names of the
/// release's table. dump_config prints some only when they are set; those may be absent.
#[test]
#[allow(clippy::disallowed_methods)]
fn every_release_prints_the_keywords_of_its_dump_config() {
    // Printed only when set, or (rdomain) only where routing domains are compiled in.
    const WHEN_SET: &[&str] = &[
        "hostcertificate",
        "allowusers",
        "denyusers",
        "allowgroups",
        "denygroups",
        "acceptenv",
        "setenv",
        "subsystem",
        "logverbose",
        "channeltimeout",
        "rdomain",
    ];
    for r in versions::RELEASES {
        let d = versions::select(Some(r.version));
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/openssh-source")
            .join(r.version)
            .join("servconf.c");
        let text = std::fs::read_to_string(path).unwrap();
        let body = &text[text.find("\ndump_config(").unwrap()..];
        let table = keywords::tests::upstream_keywords(r.version);
        let mut theirs: Vec<String> = Vec::new();
        let words: Vec<&str> = body.split(|c: char| !(c.is_alphanumeric() || c == '_')).collect();
        for w in words.windows(2) {
            // dump_cfg_*(sOpcode, …) prints lookup_opcode_name(sOpcode): its first keyword.
            // sKerberosGetAFSToken is dumped only with USE_AFS, which the builds do not define.
            if w[0].starts_with("dump_cfg_") && w[1].starts_with('s') && w[1] != "sKerberosGetAFSToken" {
                let name = table.iter().find(|(_, op, _)| op == w[1]).map(|(n, _, _)| n.clone());
                theirs.push(name.unwrap_or_else(|| panic!("{}: no keyword for {}", r.version, w[1])));
            }
        }
        // printf("keyword …") and the listenaddress strings.
        for (i, _) in body.match_indices('"') {
            let lit: String = body[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                .collect();
            if !lit.is_empty()
                && body[i + 1 + lit.len()..].starts_with([' ', '"'])
                && table.iter().any(|(n, _, _)| *n == lit)
            {
                theirs.push(lit);
            }
        }
        // 8.0p1 and later print the listen addresses through format_listen_addrs.
        if body.contains("format_listen_addrs(") {
            theirs.push("listenaddress".into());
        }
        theirs.sort_unstable();
        theirs.dedup();
        let lines = render::dump(&keywords::Opts::new(), &d).unwrap();
        let mut ours: Vec<String> = lines.iter().map(|l| l.printed.to_owned()).collect();
        ours.sort_unstable();
        ours.dedup();
        let missing: Vec<&String> = theirs
            .iter()
            .filter(|t| !ours.contains(t) && !WHEN_SET.contains(&t.as_str()))
            .collect();
        let extra: Vec<&String> = ours.iter().filter(|o| !theirs.contains(o)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}: sshd -T prints {missing:?} too; not {extra:?}",
            r.version
        );
    }
}

/// The compiled-in defaults that changed between releases are those of each release's
/// fill_default_server_options (fixtures/openssh-source/<release>/servconf.c), on upstream's build.
#[test]
#[allow(clippy::disallowed_methods)]
fn changed_defaults_are_each_releases_fill_default_server_options() {
    /// (option, the assignment in fill_default_server_options, C value → sshd -T value).
    type Case = (&'static str, &'static str, &'static [(&'static str, &'static str)]);
    let cases: &[Case] = &[
        (
            "kbdinteractiveauthentication",
            "kbd_interactive_authentication = ",
            &[("0", "no"), ("1", "yes")],
        ),
        (
            "gssapistrictacceptorcheck",
            "gss_strict_acceptor = ",
            &[("0", "no"), ("1", "yes")],
        ),
        (
            "ipqos",
            "ip_qos_interactive = ",
            &[
                ("IPTOS_LOWDELAY", "lowdelay throughput"),
                ("IPTOS_DSCP_AF21", "af21 cs1"),
            ],
        ),
        (
            "challengeresponseauthentication",
            "challenge_response_authentication = ",
            &[("1", "yes")],
        ),
    ];
    for r in versions::RELEASES {
        let d = versions::select(Some(r.version));
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/openssh-source")
                .join(r.version)
                .join("servconf.c"),
        )
        .unwrap();
        let fill = &text[text.find("\nfill_default_server_options(").unwrap()..text.find("} keywords[] = {").unwrap()];
        let printed = render::dump(&keywords::Opts::new(), &d).unwrap();
        for (opt, assignment, values) in cases {
            let Some(at) = fill.find(assignment) else {
                assert!(keywords::printed_name(opt, &d).is_none(), "{} {opt}", r.version);
                continue;
            };
            let c_value: String = fill[at + assignment.len()..]
                .chars()
                .take_while(|c| *c != ';')
                .collect();
            let want = values.iter().find(|(c, _)| *c == c_value).map(|(_, v)| *v);
            assert_eq!(
                Some(render::default_of(opt, &d)),
                want,
                "{} {opt} ({assignment}{c_value})",
                r.version
            );
            // Where it is printed, it prints so (before 8.7p1 ChallengeResponseAuthentication yes
            // turns KbdInteractiveAuthentication on after the defaults are filled).
            if let Some(l) = printed.iter().find(|l| l.keyword == *opt)
                && *opt != "kbdinteractiveauthentication"
            {
                assert_eq!(Some(l.value.as_str()), want, "{} {opt}", r.version);
            }
        }
    }
}

/// RHEL 8: the crypto policy reaches sshd on its command line (sshd.service, $CRYPTO_POLICY from
/// the crypto-policies back-end), before sshd_config, so it wins over sshd_config's own Ciphers;
/// the evidence is the back-end file and line. `CRYPTO_POLICY=` in /etc/sysconfig/sshd opts out.
#[test]
#[allow(clippy::disallowed_methods)]
fn rhel8_crypto_policy_is_on_the_command_line_and_wins_over_sshd_config() {
    let backend = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/crypto-policies/rhel8-DEFAULT-opensshserver.txt"),
    )
    .unwrap();
    let os = "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"8.10\"\n";
    let config = "Ciphers aes128-ctr\nPasswordAuthentication no\n";
    let sysconfig = "# System-wide crypto policy:\n# To opt-out, uncomment the following line\n# CRYPTO_POLICY=\n";
    let (_d, fs) = tree(&[
        ("/etc/os-release", os),
        ("/etc/ssh/sshd_config", config),
        (cryptopolicy::BACKEND, &backend),
        (cryptopolicy::SYSCONFIG, sysconfig),
    ]);
    let s = collect_sshd(&fs, Some("8.0p1-25.el8_10")).unwrap();
    assert_eq!(
        eff(&s, "ciphers"),
        "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-ctr,aes256-cbc,aes128-gcm@openssh.com,aes128-ctr,aes128-cbc"
    );
    let src = &s.effective["ciphers"].source;
    assert_eq!(src.path.as_deref(), Some(cryptopolicy::BACKEND));
    assert_eq!(src.line, Some(1));
    assert!(
        src.note.as_deref().is_some_and(|n| n.contains("CRYPTO_POLICY")),
        "{src:?}"
    );
    assert_eq!(
        s.effective["ciphers"].shadowed.first().map(|x| x.source.line),
        Some(Some(1))
    );
    assert!(eff(&s, "kexalgorithms").ends_with("diffie-hellman-group14-sha1"));
    assert!(eff(&s, "hostkeyalgorithms").contains("ssh-rsa"));
    assert_eq!(eff(&s, "passwordauthentication"), "no");
    assert_eq!(s.files.first().map(String::as_str), Some(cryptopolicy::BACKEND));
    // 8.0p1 prints the RHEL names of the time.
    let t = render_sshd_t(&fs, Some("8.0p1-25.el8_10"), None).unwrap();
    assert!(t.contains("\npubkeyacceptedkeytypes rsa-sha2-256,"), "{t}");
    assert!(t.contains("\nciphers aes256-gcm@openssh.com,"), "{t}");

    // Opted out: sshd_config decides.
    let (_d, fs) = tree(&[
        ("/etc/os-release", os),
        ("/etc/ssh/sshd_config", config),
        (cryptopolicy::BACKEND, &backend),
        (cryptopolicy::SYSCONFIG, "CRYPTO_POLICY=\n"),
    ]);
    let s = collect_sshd(&fs, Some("8.0p1-25.el8_10")).unwrap();
    assert_eq!(eff(&s, "ciphers"), "aes128-ctr");
    // Not a RHEL 8 family image (a Debian image with the same files): sshd_config decides.
    let (_d, fs) = tree(&[
        ("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
        ("/etc/ssh/sshd_config", config),
        (cryptopolicy::BACKEND, &backend),
    ]);
    assert_eq!(
        eff(&collect_sshd(&fs, Some("1:9.2p1-2+deb12u10")).unwrap(), "ciphers"),
        "aes128-ctr"
    );
    // A word that is no -o option is an error, never skipped.
    let (_d, fs) = tree(&[
        ("/etc/os-release", os),
        ("/etc/ssh/sshd_config", config),
        (cryptopolicy::BACKEND, "CRYPTO_POLICY='-oCiphers=aes128-ctr -x'\n"),
    ]);
    assert!(collect_sshd(&fs, Some("8.0p1-25.el8_10")).is_err());
}

/// RHEL 9: 50-redhat.conf includes the crypto-policies back-end (the real RHEL 9 DEFAULT file in
/// the rocky9 root, with RequiredRSASize, which Red Hat backports to 8.7p1): its lines decide,
/// with the back-end file and line as evidence, on the image's own 8.7p1 defaults.
#[test]
fn rhel9_crypto_policy_is_included_from_sshd_config_d() {
    let s = collect_sshd(&root("rocky9"), Some("8.7p1-43.el9")).unwrap();
    assert_eq!(s.openssh_version_defaults, "8.7p1");
    assert_eq!(
        eff(&s, "ciphers"),
        "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-ctr,aes128-gcm@openssh.com,aes128-ctr"
    );
    let src = &s.effective["ciphers"].source;
    assert_eq!(src.path.as_deref(), Some(cryptopolicy::BACKEND));
    assert_eq!(src.line, Some(1));
    assert_eq!(eff(&s, "requiredrsasize"), "2048");
    assert_eq!(
        s.effective["requiredrsasize"].source.path.as_deref(),
        Some(cryptopolicy::BACKEND)
    );
    // A value no line sets says whose defaults decided.
    assert_eq!(
        s.effective["logingracetime"].source.note.as_deref(),
        Some("compiled-in default, OpenSSH 8.7p1 (RHEL)")
    );
    // Without Red Hat's backport (upstream's 8.7p1), RequiredRSASize is refused.
    assert!(collect_sshd(&root("rocky9"), Some("8.7p1")).is_err());
}

/// Debian 11's 8.4p1 prints the names and options of its release (its sshd -T in `make
/// e2e-roots`): PubkeyAcceptedKeyTypes, ChallengeResponseAuthentication as an option of its own,
/// no 8.5p1+ keywords; a 9.2p1 keyword is refused.
#[test]
fn debian11_prints_its_own_keywords_and_refuses_later_ones() {
    let (_d, fs) = tree(&[("/etc/ssh/sshd_config", "ChallengeResponseAuthentication no\n")]);
    let t = render_sshd_t(&fs, Some("1:8.4p1-5+deb11u3"), None).unwrap();
    for want in [
        "\npubkeyacceptedkeytypes ",
        "\nhostbasedacceptedkeytypes ",
        "\nchallengeresponseauthentication no\n",
        "\nkbdinteractiveauthentication no\n",
        "\nipqos lowdelay throughput\n",
    ] {
        assert!(t.contains(want), "{want:?} in\n{t}");
    }
    for absent in [
        "pubkeyacceptedalgorithms",
        "modulifile",
        "persourcemaxstartups",
        "requiredrsasize",
        "unusedconnectiontimeout",
    ] {
        assert!(!t.contains(absent), "{absent} in\n{t}");
    }
    // ChallengeResponseAuthentication yes (the default) turns keyboard-interactive on, and the
    // fact says so with the line that did it.
    let (_d, fs) = tree(&[("/etc/ssh/sshd_config", "KbdInteractiveAuthentication no\n")]);
    let s = collect_sshd(&fs, Some("1:8.4p1-5+deb11u3")).unwrap();
    assert_eq!(eff(&s, "kbdinteractiveauthentication"), "yes");
    let f = &s.effective["kbdinteractiveauthentication"];
    assert!(
        f.source
            .note
            .as_deref()
            .is_some_and(|n| n.contains("OpenSSH 8.4p1 (Debian)") && n.contains("challengeresponseauthentication yes")),
        "{f:?}"
    );
    assert_eq!(f.shadowed.first().and_then(|x| x.source.line), Some(1));
    let (_d, fs) = tree(&[("/etc/ssh/sshd_config", "UnusedConnectionTimeout 5m\n")]);
    let e = render_sshd_t(&fs, Some("1:8.4p1-5+deb11u3"), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad configuration option: \"UnusedConnectionTimeout\""),
        "{e}"
    );
    assert!(render_sshd_t(&fs, Some("1:9.2p1-2+deb12u10"), None).is_ok());
    // 10.0p1 keywords: refused by 9.2p1, accepted by 10.0p1.
    let (_d, fs) = tree(&[(
        "/etc/ssh/sshd_config",
        "RefuseConnection yes\nPerSourcePenalties crash:2m max:1h\n",
    )]);
    assert!(render_sshd_t(&fs, Some("1:9.2p1-2+deb12u10"), None).is_err());
    let t = render_sshd_t(&fs, Some("1:10.0p1-7+deb13u4"), None).unwrap();
    assert!(t.contains("\nrefuseconnection yes\n"), "{t}");
    assert!(
        t.contains(
            "\npersourcepenalties crash:120 authfail:5 noauth:1 grace-exceeded:10 refuseconnection:10 max:3600 min:15 "
        ),
        "{t}"
    );
    // 7.4p1: no Include; UsePrivilegeSeparation is an option.
    let (_d, fs) = tree(&[("/etc/ssh/sshd_config", "UsePrivilegeSeparation yes\n")]);
    let t = render_sshd_t(&fs, Some("7.4p1-22.el7_9"), None).unwrap();
    assert!(t.contains("\nuseprivilegeseparation yes\n"), "{t}");
    let (_d, fs) = tree(&[("/etc/ssh/sshd_config", "Include /etc/ssh/x.conf\n")]);
    assert!(render_sshd_t(&fs, Some("7.4p1-22.el7_9"), None).is_err());
}
