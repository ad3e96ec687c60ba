//! Every case in fixtures/cases/*.toml as a test of its own, named after its rule:
//! `cases::ssh::max-startups-limited::fail-2` is the second fail case of `ssh.max-startups-limited`,
//! so `cargo test max-startups-limited` runs that rule's cases and a failure names the case.
//!
//! Each case builds its root, collects facts and evaluates its rule twice, over the typed facts
//! (as a scan does) and over their JSON (as `imagegate facts` prints it): the two views must give
//! the same finding, evidence included. A case that changes nothing in its base root reuses one
//! collection of that root (all groups); a case that changes it collects only the groups its rule
//! reads, as a scan of a profile does.
//!
//! `profiles::<profile>::<root>` checks that assumption: a profile's scan of a fixture root, which
//! collects only the groups its rules read, gives the same findings as evaluating the same rules
//! over every fact.
#![allow(clippy::disallowed_methods, clippy::disallowed_macros, clippy::disallowed_types)]

#[allow(dead_code)]
#[path = "integration/util.rs"]
mod util;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use imagegate::eval::{Selection, evaluate, evaluate_rule};
use imagegate::facts::{self, Context, Facts};
use imagegate::rootfs::RootFs;
use imagegate::rules::view::Typed;
use imagegate::rules::{RuleSet, wanted_groups};
use libtest_mimic::{Arguments, Failed, Trial};

use util::{AS_OF, Case, case_root, case_rules, cases, fixture_copy, root_names};

/// Facts of one root, typed and as JSON.
struct Collection {
    typed: Facts,
    json: serde_json::Value,
}

/// Collects the facts of `root` (only `wanted` groups when given).
fn collect(root: &std::path::Path, live: bool, wanted: Option<BTreeSet<String>>) -> Collection {
    let fs = RootFs::open(root).expect("fixture root opens");
    let ctx = Context {
        live,
        as_of: AS_OF.parse().expect("AS_OF is a date"),
        wanted,
    };
    let typed = facts::collect(&fs, &ctx);
    let json = serde_json::to_value(&typed).expect("facts serialize");
    Collection { typed, json }
}

/// One collection per unchanged base root (and live flag), made by the first case that needs it.
type Shared = HashMap<(String, bool), Arc<OnceLock<Collection>>>;

/// Whether a case runs on its base root as it is.
fn unchanged(c: &Case) -> bool {
    c.files.is_empty()
        && c.remove.is_empty()
        && c.append.is_empty()
        && c.packages.is_empty()
        && c.modes.is_empty()
        && c.owners.is_empty()
}

/// Runs one case; `Err` describes the mismatch.
fn run_case(rules: &RuleSet, file: &str, c: &Case, shared: Option<&OnceLock<Collection>>) -> Result<(), Failed> {
    let Some(rule) = rules.rules.get(&c.rule) else {
        return Err(format!("{file}: case names unknown rule {}", c.rule).into());
    };
    let own;
    let facts = match shared {
        Some(cell) => cell.get_or_init(|| collect(fixture_copy(&c.base).path(), c.live, None)),
        None => {
            own = collect(case_root(c).path(), c.live, Some(wanted_groups(&[rule])));
            &own
        }
    };
    let vars = c
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).expect("toml value as JSON")))
        .collect();
    let f = evaluate_rule(rule, &facts.json, &vars);
    let t = evaluate_rule(rule, &Typed(&facts.typed), &vars);
    let (fj, tj) = (
        serde_json::to_string(&f).expect("finding serializes"),
        serde_json::to_string(&t).expect("finding serializes"),
    );
    if fj != tj {
        return Err(format!(
            "{file}: {} on {}: the typed and JSON views disagree:\n  json:  {fj}\n  typed: {tj}",
            c.rule, c.base
        )
        .into());
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
        serde_json::to_string(&f.evidence).expect("evidence serializes")
    )
    .into())
}

/// The test name of a case: its rule id with `.` as `::`, its expected status and its number
/// among the cases of that rule and status.
fn case_name(c: &Case, n: usize) -> String {
    format!("cases::{}::{}-{n}", c.rule.replacen('.', "::", 1), c.expect)
}

/// A profile's scan of `root` against evaluating its rules over every fact.
fn profile_agrees(rules: &RuleSet, profile: &str, root: &str) -> Result<(), Failed> {
    let ids: BTreeSet<String> = rules
        .rules
        .values()
        .filter(|r| r.profiles.iter().any(|p| p == profile))
        .map(|r| r.id.clone())
        .collect();
    let sel = Selection {
        profile: profile.to_owned(),
        ids,
        vars: BTreeMap::new(),
        severity: BTreeMap::new(),
    };
    let dir = fixture_copy(root);
    let wanted = wanted_groups(&imagegate::eval::select(rules, &sel));
    // Every group, plus the keys only the profile's rules name (declared files).
    let every: BTreeSet<String> = facts::GROUPS
        .iter()
        .map(|g| (*g).to_owned())
        .chain(wanted.iter().cloned())
        .collect();
    let all = evaluate(rules, &sel, &collect(dir.path(), false, Some(every)).typed);
    let scan = evaluate(rules, &sel, &collect(dir.path(), false, Some(wanted)).typed);
    let mut differ = Vec::new();
    for (a, s) in all.findings.iter().zip(&scan.findings) {
        let (aj, sj) = (
            serde_json::to_string(a).expect("finding serializes"),
            serde_json::to_string(s).expect("finding serializes"),
        );
        if aj != sj {
            differ.push(format!("{}:\n  all facts: {aj}\n  scan:      {sj}", a.id));
        }
    }
    if all.findings.len() != scan.findings.len() {
        differ.push(format!(
            "{} findings against {}",
            all.findings.len(),
            scan.findings.len()
        ));
    }
    if differ.is_empty() {
        Ok(())
    } else {
        Err(differ.join("\n").into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let rules = Arc::new(case_rules());
    let mut shared: Shared = HashMap::new();
    let mut numbers: HashMap<(String, String), usize> = HashMap::new();
    let mut trials = Vec::new();
    for (file, c) in cases() {
        let n = numbers.entry((c.rule.clone(), c.expect.clone())).or_default();
        *n += 1;
        let name = case_name(&c, *n);
        // Declared files are read only when a rule names them: such a case collects its own.
        let declares = rules
            .rules
            .get(&c.rule)
            .is_some_and(|r| wanted_groups(&[r]).contains(facts::declared_files::GROUP));
        let cell = (unchanged(&c) && !declares).then(|| shared.entry((c.base.clone(), c.live)).or_default().clone());
        let rules = Arc::clone(&rules);
        trials.push(Trial::test(name, move || run_case(&rules, &file, &c, cell.as_deref())));
    }
    let names: Vec<String> = rules.declared.keys().cloned().collect();
    for profile in names {
        for root in root_names() {
            let rules = Arc::clone(&rules);
            let profile = profile.clone();
            trials.push(Trial::test(format!("profiles::{profile}::{root}"), move || {
                profile_agrees(&rules, &profile, &root)
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
