//! Meta-tests over the shipped rules (clippy's missing-test-files and message conventions,
//! kube-bench's "every rule file loads").
use std::collections::BTreeSet;

use imagegate::rules::RuleSet;

use crate::util::{cases, repo};

#[test]
fn shipped_rules_load() {
    let set = RuleSet::embedded().unwrap();
    assert!(!set.rules.is_empty(), "no rules are embedded");
    assert!(set.profiles().contains("cloud-image"));
}

/// Level 2 is all of level 1 plus defence in depth (rules/profiles.toml): every level-1 rule is
/// also a level-2 rule.
#[test]
fn cis_level_2_includes_level_1() {
    let set = RuleSet::embedded().unwrap();
    let missing: Vec<&String> = set
        .rules
        .values()
        .filter(|r| r.profiles.iter().any(|p| p == "cis-l1-server") && !r.profiles.iter().any(|p| p == "cis-l2-server"))
        .map(|r| &r.id)
        .collect();
    assert!(
        missing.is_empty(),
        "in cis-l1-server but not cis-l2-server: {missing:?}"
    );
}

#[test]
fn every_rule_has_a_pass_and_a_fail_case_and_no_case_is_orphaned() {
    let set = RuleSet::embedded().unwrap();
    let cases = cases();
    let mut missing = Vec::new();
    for id in set.rules.keys() {
        for want in ["pass", "fail"] {
            if !cases.iter().any(|(_, c)| &c.rule == id && c.expect == want) {
                missing.push(format!("{id}: no `{want}` case"));
            }
        }
    }
    let with_examples = crate::util::case_rules();
    for (file, c) in &cases {
        if !with_examples.rules.contains_key(&c.rule) {
            missing.push(format!("{file}: case for unknown rule {}", c.rule));
        }
        if !["pass", "fail", "error", "not-applicable"].contains(&c.expect.as_str()) {
            missing.push(format!("{file}: {}: bad expect {:?}", c.rule, c.expect));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn titles_and_texts_follow_the_message_style() {
    let set = RuleSet::embedded().unwrap();
    let mut bad = Vec::new();
    for r in set.rules.values() {
        // Lowercase start, except a first word that is a name written with inner capitals or an
        // acronym (SSH, SELinux, AppArmor).
        let first = r.title.split(' ').next().unwrap_or("");
        if first.starts_with(|c: char| c.is_uppercase()) && !first.chars().skip(1).any(char::is_uppercase) {
            bad.push(format!("{}: title starts with a capital: {:?}", r.id, r.title));
        }
        if r.title.ends_with('.') {
            bad.push(format!("{}: title ends with a period", r.id));
        }
        if r.rationale.trim().is_empty() || r.remediation.trim().is_empty() {
            bad.push(format!("{}: empty rationale or remediation", r.id));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn ssg_references_are_real_complianceascode_ids() {
    let known: BTreeSet<String> = std::fs::read_to_string(crate::util::repo().join("rules/data/ssg-rule-ids.txt"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
        .collect();
    let set = RuleSet::embedded().unwrap();
    let mut bad = Vec::new();
    for r in set.rules.values() {
        if let Some(ids) = r.references.get("ssg") {
            for id in ids.split([',', ' ']).filter(|s| !s.is_empty()) {
                if !known.contains(id) {
                    bad.push(format!(
                        "{}: ssg reference {id:?} is not in rules/data/ssg-rule-ids.txt",
                        r.id
                    ));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn fact_groups_match_the_facts_struct() {
    let dir = crate::util::fixture_copy("debian12");
    let fs = imagegate::rootfs::RootFs::open(dir.path()).unwrap();
    let ctx = imagegate::facts::Context {
        live: false,
        as_of: crate::util::AS_OF.parse().unwrap(),
        wanted: None,
    };
    let v = serde_json::to_value(imagegate::facts::collect(&fs, &ctx)).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, imagegate::facts::GROUPS);
}

#[test]
fn every_fact_group_is_documented() {
    let doc = std::fs::read_to_string(crate::util::repo().join("docs/facts.md")).unwrap();
    let missing: Vec<_> = imagegate::facts::GROUPS
        .iter()
        .filter(|g| !doc.contains(&format!("| `{g}` |")))
        .collect();
    assert!(missing.is_empty(), "docs/facts.md does not describe {missing:?}");
}

/// Git keeps no empty directory: one in a working tree would make its snapshots differ from a
/// fresh clone's (the filesystem walk counts it).
#[test]
fn fixture_roots_have_no_empty_directories() {
    let empty: Vec<_> = walkdir::WalkDir::new(crate::util::repo().join("fixtures/roots"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir() && std::fs::read_dir(e.path()).is_ok_and(|mut d| d.next().is_none()))
        .map(|e| e.path().display().to_string())
        .collect();
    assert!(
        empty.is_empty(),
        "empty directories (git will not keep them): {empty:?}"
    );
}

/// The fact schema the rule loader checks paths against accepts every path the facts really have:
/// every node of `imagegate facts` on every fixture root, offline and live (a `Fact` is looked
/// through to its value, as rules see it).
#[test]
fn every_collected_fact_path_is_in_the_schema() {
    use imagegate::rules::schema::Shape;
    use serde_json::Value;

    fn walk(v: &Value, shape: &Shape, at: &str, bad: &mut Vec<String>, n: &mut usize) {
        *n += 1;
        let v = if imagegate::rules::view::is_fact(v) {
            &v["value"]
        } else {
            v
        };
        let kids: Vec<(String, &Value)> = match v {
            Value::Object(o) if o.len() == 1 && o.contains_key("unavailable") => return,
            Value::Object(o) => o.iter().map(|(k, x)| (k.clone(), x)).collect(),
            Value::Array(a) => a.iter().enumerate().map(|(i, x)| (i.to_string(), x)).collect(),
            _ => return,
        };
        for (k, x) in kids {
            match shape.step(&k) {
                Ok(next) => walk(x, &next, &format!("{at}/{k}"), bad, n),
                Err(e) => bad.push(format!("{at}/{k}: {e}")),
            }
        }
    }

    let mut bad = Vec::new();
    let mut n = 0;
    for name in crate::util::root_names() {
        let dir = crate::util::fixture_copy(&name);
        let fs = imagegate::rootfs::RootFs::open(dir.path()).unwrap();
        for live in [false, true] {
            let ctx = imagegate::facts::Context {
                live,
                as_of: crate::util::AS_OF.parse().unwrap(),
                wanted: None,
            };
            let v = serde_json::to_value(imagegate::facts::collect(&fs, &ctx)).unwrap();
            walk(&v, &Shape::facts(), &name, &mut bad, &mut n);
        }
    }
    assert!(n > 10_000, "{n} nodes");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// docs/fact-reference.md is what the fact types generate; `IMAGEGATE_BLESS=1` rewrites it.
#[test]
fn fact_reference_is_current() {
    let path = repo().join("docs/fact-reference.md");
    let want = imagegate::rules::schema::reference();
    if std::env::var_os("IMAGEGATE_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/fact-reference.md is not what the fact types generate: run\n  IMAGEGATE_BLESS=1 cargo test --test integration fact_reference"
    );
}

/// The profile counts README.md gives (`` `cloud-image` 27 rules, `cis-l1-server` 208, … ``) are
/// the shipped rule set's: every declared profile is named there with its number of rules.
#[test]
fn readme_profile_counts_match_the_rules() {
    let readme = std::fs::read_to_string(crate::util::repo().join("README.md")).unwrap();
    let start = readme
        .find("The shipped profiles:")
        .expect("README names the shipped profiles");
    let para: String = readme[start..].split("\n\n").next().unwrap().replace('\n', " ");
    let set = RuleSet::embedded().unwrap();
    let mut bad = Vec::new();
    for name in set.declared.keys() {
        let n = set.rules.values().filter(|r| r.profiles.contains(name)).count();
        let tag = format!("`{name}` ");
        let Some(at) = para.find(&tag) else {
            bad.push(format!("README does not give the count of profile {name} ({n} rules)"));
            continue;
        };
        let said: String = para[at + tag.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if said != n.to_string() {
            bad.push(format!("README says profile {name} has {said:?} rules; it has {n}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Every rule, shipped or in examples/site-rules, carries its Simplified Chinese text, naming the
/// same `{variables}` as its English text: a report in zh-CN never falls back to English for a
/// rule, nor shows a value the English text does not.
#[test]
fn every_rule_has_a_zh_cn_translation_with_the_same_placeholders() {
    let mut set = RuleSet::embedded().unwrap();
    set.add_dir(&repo().join("examples/site-rules")).unwrap();
    fn sorted(t: &str) -> BTreeSet<&str> {
        imagegate::rules::placeholders(t).into_iter().collect()
    }
    let mut problems = Vec::new();
    for r in set.rules.values() {
        let Some(t) = r.translations.get("zh-CN") else {
            problems.push(format!("{} ({}): no [rule.zh-CN]", r.id, r.origin));
            continue;
        };
        let mut pairs = vec![
            ("title", r.title.as_str(), t.title.as_str()),
            ("rationale", r.rationale.as_str(), t.rationale.as_str()),
            ("remediation", r.remediation.as_str(), t.remediation.as_str()),
        ];
        if let (Some(en), Some(zh)) = (&r.not_applicable, &t.not_applicable) {
            pairs.push(("not_applicable", en, zh));
        }
        for (en, zh) in r.error_when.iter().zip(&t.error_when) {
            pairs.push(("error_when", &en.reason, zh));
        }
        for (what, en, zh) in pairs {
            if sorted(en) != sorted(zh) {
                problems.push(format!(
                    "{} ({}): {what}: placeholders {:?} in English, {:?} in zh-CN",
                    r.id,
                    r.origin,
                    sorted(en),
                    sorted(zh)
                ));
            }
            if zh.trim().is_empty() {
                problems.push(format!("{} ({}): {what}: empty zh-CN text", r.id, r.origin));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
