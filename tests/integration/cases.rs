//! Every case in fixtures/cases/*.toml: build its root, collect facts, evaluate its rule, and
//! compare the status. All mismatches are reported together.
use imagegate::eval::evaluate_rule;
use imagegate::facts::{self, Context};
use imagegate::rootfs::RootFs;
use imagegate::rules::RuleSet;

use crate::util::{AS_OF, case_root, cases};

#[test]
fn every_case_gets_its_expected_status() {
    let rules = RuleSet::embedded().unwrap();
    let mut failures = Vec::new();
    let all = cases();
    for (file, c) in &all {
        let Some(rule) = rules.rules.get(&c.rule) else {
            failures.push(format!("{file}: case names unknown rule {}", c.rule));
            continue;
        };
        let dir = case_root(c);
        let fs = RootFs::open(dir.path()).unwrap();
        let ctx = Context {
            live: c.live,
            as_of: AS_OF.parse().unwrap(),
            wanted: None,
        };
        let facts = serde_json::to_value(facts::collect(&fs, &ctx)).unwrap();
        let vars = c
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap()))
            .collect();
        let f = evaluate_rule(rule, &facts, &vars);
        if f.status.as_str() != c.expect {
            failures.push(format!(
                "{file}: {} on {}{}: expected {}, got {} (reason: {:?}; evidence: {})",
                c.rule,
                c.base,
                c.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default(),
                c.expect,
                f.status.as_str(),
                f.reason,
                serde_json::to_string(&f.evidence).unwrap()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
