//! Every case in fixtures/cases/*.toml: build its root, collect facts, evaluate its rule, and
//! compare the status. All mismatches are reported together.
//!
//! Each rule is evaluated twice, over the typed facts (as a scan does) and over their JSON (as
//! `imagegate facts` prints it): the two views must give the same finding, evidence included.
use imagegate::eval::evaluate_rule;
use imagegate::facts::{self, Context};
use imagegate::rootfs::RootFs;
use imagegate::rules::RuleSet;
use imagegate::rules::view::Typed;

use crate::util::{AS_OF, Case, case_root, cases};

/// Runs one case; `Err` describes a mismatch.
fn run_case(rules: &RuleSet, file: &str, c: &Case) -> Result<(), String> {
    let Some(rule) = rules.rules.get(&c.rule) else {
        return Err(format!("{file}: case names unknown rule {}", c.rule));
    };
    let dir = case_root(c);
    let fs = RootFs::open(dir.path()).unwrap();
    let ctx = Context {
        live: c.live,
        as_of: AS_OF.parse().unwrap(),
        wanted: None,
    };
    let typed = facts::collect(&fs, &ctx);
    let json = serde_json::to_value(&typed).unwrap();
    let vars = c
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap()))
        .collect();
    let f = evaluate_rule(rule, &json, &vars);
    let t = evaluate_rule(rule, &Typed(&typed), &vars);
    let (fj, tj) = (serde_json::to_string(&f).unwrap(), serde_json::to_string(&t).unwrap());
    if fj != tj {
        return Err(format!(
            "{file}: {} on {}: the typed and JSON views disagree:\n  json:  {fj}\n  typed: {tj}",
            c.rule, c.base
        ));
    }
    let reason_ok = c
        .reason
        .as_deref()
        .is_none_or(|want| f.reason.as_deref().is_some_and(|r| r.contains(want)));
    if f.status.as_str() == c.expect && reason_ok {
        return Ok(());
    }
    Err(format!(
        "{file}: {} on {}{}: expected {}{}, got {} (reason: {:?}; evidence: {})",
        c.rule,
        c.base,
        c.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default(),
        c.expect,
        c.reason
            .as_deref()
            .map(|r| format!(" with a reason containing {r:?}"))
            .unwrap_or_default(),
        f.status.as_str(),
        f.reason,
        serde_json::to_string(&f.evidence).unwrap()
    ))
}

#[test]
fn every_case_gets_its_expected_status() {
    let rules = RuleSet::embedded().unwrap();
    let all = cases();
    // Cases are independent: spread them over the cores, and report every mismatch at once.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((file, c)) = all.get(i) else { break };
                    if let Err(e) = run_case(&rules, file, c) {
                        failures.lock().unwrap().push(e);
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
