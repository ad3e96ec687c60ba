//! The framework benchmarks under rules/benchmarks (等保2.0 三级, PCI DSS v4.0): each lists a
//! profile's clauses in order; every clause is either judged by a rule of the profile that cites it
//! (`references.<reference>`, space-separated ids) or marked `cannot_decide` with a kind and a
//! reason; no rule cites a clause the list does not have; ids have no spaces, so a citation can
//! name several.
use std::collections::{BTreeMap, BTreeSet};

use imagegate::rules::RuleSet;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Benchmark {
    benchmark: Head,
    item: Vec<Item>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    profile: String,
    title: String,
    reference: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    id: String,
    title: String,
    cannot_decide: Option<CannotDecide>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CannotDecide {
    kind: String,
    why: String,
}

fn load(name: &str) -> Benchmark {
    let path = crate::util::repo().join("rules/benchmarks").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What is wrong with one benchmark against the shipped rules (empty when nothing).
fn problems(b: &Benchmark, set: &RuleSet) -> Vec<String> {
    let mut bad = Vec::new();
    let prof = &b.benchmark.profile;
    if !set.declared.contains_key(prof) {
        bad.push(format!("profile {prof} is not declared in rules/profiles.toml"));
    }
    if b.benchmark.title.is_empty() {
        bad.push("the benchmark has no title".into());
    }
    let mut ids = BTreeSet::new();
    for i in &b.item {
        if i.id.is_empty() || i.id.contains(char::is_whitespace) {
            bad.push(format!("item id {:?} is empty or has a space", i.id));
        }
        if !ids.insert(i.id.as_str()) {
            bad.push(format!("item {} is listed twice", i.id));
        }
        if i.title.is_empty() {
            bad.push(format!("item {} has no title", i.id));
        }
    }
    let mut cited: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut in_profile = 0;
    for r in set.rules.values().filter(|r| r.profiles.contains(prof)) {
        in_profile += 1;
        let Some(refs) = r.references.get(&b.benchmark.reference) else {
            bad.push(format!(
                "rule {} is in {prof} but cites no {} clause",
                r.id, b.benchmark.reference
            ));
            continue;
        };
        for c in refs.split_whitespace() {
            if !ids.contains(c) {
                bad.push(format!(
                    "rule {} cites {c}, which {prof}'s benchmark does not list",
                    r.id
                ));
            }
            cited.entry(c).or_default().push(r.id.as_str());
        }
    }
    for r in set.rules.values().filter(|r| !r.profiles.contains(prof)) {
        if r.references.contains_key(&b.benchmark.reference) {
            bad.push(format!(
                "rule {} cites a {} clause but is not in {prof}",
                r.id, b.benchmark.reference
            ));
        }
    }
    if in_profile < 40 {
        bad.push(format!("{prof} has {in_profile} rules, fewer than 40"));
    }
    for i in &b.item {
        match (&i.cannot_decide, cited.contains_key(i.id.as_str())) {
            (None, false) => bad.push(format!(
                "item {} is neither cited by a rule nor marked cannot_decide",
                i.id
            )),
            (Some(_), true) => bad.push(format!(
                "item {} is cited by {:?} and marked cannot_decide",
                i.id,
                cited[i.id.as_str()]
            )),
            (Some(c), false) => {
                if !["manual", "runtime"].contains(&c.kind.as_str()) || c.why.trim().is_empty() {
                    bad.push(format!(
                        "item {}: cannot_decide needs kind manual|runtime and a why",
                        i.id
                    ));
                }
            }
            (None, true) => {}
        }
    }
    bad
}

#[test]
fn every_clause_is_judged_by_a_rule_or_marked_and_every_citation_is_listed() {
    let set = RuleSet::embedded().unwrap();
    for name in ["mlps-l3.toml", "pci-dss-4.toml"] {
        let b = load(name);
        let bad = problems(&b, &set);
        assert!(bad.is_empty(), "rules/benchmarks/{name}:\n{}", bad.join("\n"));
    }
}

#[test]
fn the_check_finds_an_unlisted_citation_and_an_unmarked_clause() {
    let set = RuleSet::embedded().unwrap();
    let mut b = load("mlps-l3.toml");
    // A listed clause dropped: the rules citing it now cite an unknown id.
    b.item.retain(|i| i.id != "8.1.4.1b");
    // A manual clause unmarked: nothing judges it.
    for i in b.item.iter_mut().filter(|i| i.id == "8.1.4.9a") {
        i.cannot_decide = None;
    }
    let bad = problems(&b, &set);
    assert!(bad.iter().any(|p| p.contains("cites 8.1.4.1b")), "{bad:?}");
    assert!(bad.iter().any(|p| p.contains("item 8.1.4.9a is neither")), "{bad:?}");
}
