//! Evaluating a rule set against collected facts: one [`Finding`] per selected rule.
//!
//! A rule's status is decided in this order: the distribution family (`families`), `applies_when`
//! (false → not-applicable), `error_when` (true → error: the inputs are too stale to trust), then
//! `check`. Any fact that could not be read turns the rule into an error with the collector's
//! reason; nothing unknown is ever reported as a pass (see rules/expr.rs for the logic).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::facts::{Facts, Missing};
use crate::i18n::{Lang, Reason};
pub use crate::model::{Finding, Host, Report, SCHEMA, Status, Summary, Tool, summarize};
use crate::rules::expr::{Eval, Truth, Vars};
use crate::rules::view::{FactView, Node, Typed};
use crate::rules::{Rule, RuleSet, Severity};

/// Fact paths (JSON pointers into the facts JSON) tried in order for [`Host::kernel`]; the first that
/// holds a string wins. A path that no collector provides is simply skipped.
pub const HOST_KERNEL_FACTS: &[&str] = &["/boot/kernel/running", "/boot/kernel/newest"];

/// Fact paths tried in order for [`Host::image_id`] (cloud-init's record of the instance's image).
pub const HOST_IMAGE_ID_FACTS: &[&str] = &["/cloud_init/instance/image_id"];

/// Fact paths tried in order for [`Host::platform`]: cloud-init's platform, then the firmware's
/// vendor (DMI, live systems).
pub const HOST_PLATFORM_FACTS: &[&str] = &[
    "/cloud_init/instance/platform",
    "/cloud_init/instance/cloud_name",
    "/sources/provenance/sys_vendor",
];

/// Fact paths tried in order for [`Host::owner`] (the account cloud-init's instance data names).
pub const HOST_OWNER_FACTS: &[&str] = &["/cloud_init/instance/owner"];

/// The first of `pointers` that holds a string in the facts, looking through a `Fact`'s
/// `{"value": …}` wrapper; header fields are conveniences, so anything else is just absent.
fn header_fact(facts: &dyn FactView, pointers: &[&str]) -> Option<String> {
    pointers.iter().find_map(|p| {
        let path: Vec<String> = p.split('/').skip(1).map(str::to_owned).collect();
        let Node::Found(node) = facts.node(&path) else {
            return None;
        };
        let v = node.get("value").unwrap_or(&node);
        v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
    })
}

/// Which rules to run, with what variables and severities.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Profile name (for the report).
    pub profile: String,
    /// The rule ids to evaluate (the profile's, after `--only`, `--skip` and tailoring).
    pub ids: BTreeSet<String>,
    /// Variable overrides (by name, for every rule that declares it).
    pub vars: BTreeMap<String, Value>,
    /// Severity overrides by rule id.
    pub severity: BTreeMap<String, Severity>,
}

/// The rules a selection picks, sorted by id.
pub fn select<'a>(rules: &'a RuleSet, sel: &Selection) -> Vec<&'a Rule> {
    rules.rules.values().filter(|r| sel.ids.contains(&r.id)).collect()
}

/// Evaluates the selected rules against the facts. Rules read the typed facts through a
/// [`Typed`] view: only the values they look at are ever turned into JSON.
pub fn evaluate(rules: &RuleSet, sel: &Selection, facts: &Facts) -> Report {
    let view = Typed(facts);
    let findings: Vec<Finding> = select(rules, sel)
        .into_iter()
        .map(|r| {
            let mut f = evaluate_rule(r, &view, &sel.vars);
            if let Some(sev) = sel.severity.get(&r.id) {
                f.severity = *sev;
            }
            f
        })
        .collect();
    let summary = summarize(&findings);
    let os = facts.os.ok();
    Report {
        schema: SCHEMA,
        tool: Tool {
            name: "imagegate",
            version: env!("CARGO_PKG_VERSION"),
        },
        profile: sel.profile.clone(),
        target: facts.target.clone(),
        host: Host {
            os: os.and_then(|o| o.pretty_name.as_ref().map(|f| f.value.clone())),
            release: os.and_then(|o| {
                let id = o.id.as_ref()?.value.clone();
                Some(match &o.version_id {
                    Some(v) => format!("{id} {}", v.value),
                    None => id,
                })
            }),
            hostname: facts.target.hostname.clone(),
            kernel: header_fact(&view, HOST_KERNEL_FACTS),
            image_id: header_fact(&view, HOST_IMAGE_ID_FACTS),
            platform: header_fact(&view, HOST_PLATFORM_FACTS),
            owner: header_fact(&view, HOST_OWNER_FACTS),
        },
        summary,
        findings,
        elapsed: None,
        lang: Lang::En,
    }
}

/// Evaluates one rule against the facts (the typed facts' [`Typed`] view, or the facts JSON).
pub fn evaluate_rule(rule: &Rule, facts: &dyn FactView, overrides: &BTreeMap<String, Value>) -> Finding {
    let started = std::time::Instant::now();
    let mut vars: Vars = rule.vars.clone();
    for (k, v) in overrides {
        if let Some(slot) = vars.get_mut(k) {
            *slot = v.clone();
        }
    }
    let mut ev = Eval::new(facts, &vars);
    let (status, why) = decide(rule, &mut ev);
    // Titles and reasons name the values in force, not the variables (`{var_accounts_passwords_pam_faillock_deny}` → `5`).
    let reason = why
        .as_ref()
        .map(|r| crate::rules::fill(&crate::i18n::reason(Lang::En, r, rule), &vars));
    let localized = crate::i18n::localize_rule(rule, why.as_ref(), &vars);
    Finding {
        id: rule.id.clone(),
        title: crate::rules::fill(&rule.title, &vars),
        area: rule.area.clone(),
        severity: rule.severity,
        status,
        reason,
        permission_denied: matches!(
            &why,
            Some(Reason::Fact(r) | Reason::NoDistribution(r)) if r.permission_denied
        ),
        evidence: ev.evidence,
        rationale: rule.rationale.clone(),
        remediation: rule.remediation.clone(),
        references: rule.references.clone(),
        waiver: None,
        fix_file: rule.fix_file.clone(),
        elapsed: started.elapsed(),
        lang: Lang::En,
        localized,
    }
}

fn unknown(m: Missing, r: Reason) -> (Status, Option<Reason>) {
    match m {
        Missing::Error => (Status::Error, Some(r)),
        Missing::NotApplicable => (Status::NotApplicable, Some(r)),
    }
}

fn decide(rule: &Rule, ev: &mut Eval<'_>) -> (Status, Option<Reason>) {
    if !rule.families.is_empty() {
        let os = ev.facts.node(&["os".to_owned()]);
        let family = match &os {
            Node::Unavailable(_, reason) => {
                return (Status::Error, Some(Reason::NoDistribution(reason.clone())));
            }
            Node::Found(o) => o.get("family").and_then(Value::as_str).unwrap_or("unknown"),
            Node::Absent => "unknown",
        };
        if !rule.families.iter().any(|f| f == family) {
            return (
                Status::NotApplicable,
                Some(Reason::OtherFamily {
                    families: rule.families.join("/"),
                    family: family.to_owned(),
                }),
            );
        }
    }
    if let Some(cond) = &rule.applies_when {
        let before = ev.evidence.len();
        match ev.eval(cond, None) {
            Truth::True => ev.evidence.truncate(before),
            Truth::False => return (Status::NotApplicable, Some(Reason::NotApplicable)),
            Truth::Unknown(m, r) => return unknown(m, r),
        }
    }
    for (i, ew) in rule.error_when.iter().enumerate() {
        match ev.eval(&ew.check, None) {
            Truth::True => return (Status::Error, Some(Reason::ErrorWhen(i))),
            Truth::Unknown(Missing::Error, r) => return (Status::Error, Some(r)),
            Truth::False | Truth::Unknown(Missing::NotApplicable, _) => {}
        }
    }
    match ev.eval(&rule.check, None) {
        Truth::True => (Status::Pass, None),
        Truth::False => (Status::Fail, None),
        Truth::Unknown(m, r) => unknown(m, r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_facts_come_from_groups_every_scan_collects() {
        let all = [
            HOST_KERNEL_FACTS,
            HOST_IMAGE_ID_FACTS,
            HOST_PLATFORM_FACTS,
            HOST_OWNER_FACTS,
        ];
        for p in all.concat() {
            let group = p.split('/').nth(1).unwrap_or_default();
            assert!(
                crate::facts::HEADER_GROUPS.contains(&group),
                "{p}: {group} is not a header group"
            );
        }
    }

    /// Whether a rule ended in error because the file's permissions refused a read is typed,
    /// set where the read failed: it holds in every report language, and a message that merely
    /// says "permission denied" (a collector quoting a file, a wrapped error) does not count.
    #[test]
    fn permission_denied_is_typed_not_read_from_the_words() {
        use crate::facts::{Collected, FactError};
        use crate::rootfs::RootFsError;
        #[derive(serde::Serialize)]
        struct Os {
            os: Collected<u32>,
        }
        let rule = crate::rules::load::parse_file(
            "os.toml",
            "[[rule]]\nid = \"os.t\"\ntitle = \"t\"\nseverity = \"low\"\nprofiles = [\"cloud-image\"]\n\
             rationale = \"r\"\nremediation = \"m\"\ncheck = { fact = \"os.id\", eq = \"debian\" }\n",
        )
        .unwrap()
        .remove(0);
        let denied = RootFsError::PermissionDenied {
            path: "/etc/os-release".into(),
        };
        let cases = [
            (Collected::from(Err::<u32, _>(FactError::Fs(denied))), true),
            (
                Collected::unreadable(&RootFsError::PermissionDenied { path: "/x".into() }),
                true,
            ),
            (
                Collected::error("/etc/os-release:1: unknown value \"permission denied\""),
                false,
            ),
            (
                Collected::from(Err::<u32, _>(FactError::Fs(RootFsError::TooLarge {
                    path: "/etc/os-release".into(),
                    limit: 1,
                }))),
                false,
            ),
        ];
        for (os, want) in cases {
            let facts = Os { os };
            let f = evaluate_rule(&rule, &crate::rules::view::Typed(&facts), &BTreeMap::new());
            assert_eq!(f.status, Status::Error);
            let mut report = Report {
                schema: crate::model::SCHEMA,
                tool: Tool {
                    name: "imagegate",
                    version: "0",
                },
                profile: "cloud-image".into(),
                target: crate::facts::Target {
                    root: "/".into(),
                    live: false,
                    as_of: "2026-01-01".into(),
                    hostname: None,
                    mounts: Vec::new(),
                },
                host: Host {
                    os: None,
                    release: None,
                    hostname: None,
                    kernel: None,
                    image_id: None,
                    platform: None,
                    owner: None,
                },
                summary: Summary::default(),
                findings: vec![f],
                elapsed: None,
                lang: Lang::En,
            };
            assert_eq!(
                report.permission_denied(),
                usize::from(want),
                "{:?}",
                report.findings[0].reason
            );
            let zh = crate::i18n::localize(&report, Lang::ZhCn);
            assert_eq!(zh.lang, Lang::ZhCn);
            assert!(zh.findings[0].reason.as_deref().is_some_and(|r| r.contains("采集器")));
            assert_eq!(zh.permission_denied(), usize::from(want), "zh-CN");
            report.findings[0].status = Status::NotApplicable;
            assert_eq!(report.permission_denied(), 0, "only errors count");
        }
    }

    /// A header path that names no fact would leave its header field empty for ever (the kernel
    /// field once named `/boot/kernel/release`, which no collector wrote).
    #[test]
    fn header_facts_name_facts_the_schema_knows() {
        let all = [
            HOST_KERNEL_FACTS,
            HOST_IMAGE_ID_FACTS,
            HOST_PLATFORM_FACTS,
            HOST_OWNER_FACTS,
        ];
        let facts = crate::rules::schema::Shape::facts();
        for p in all.concat() {
            let dotted = p.trim_start_matches('/').replace('/', ".");
            let path = crate::rules::FactPath::parse(&dotted).expect("header path parses");
            assert!(
                facts.walk(&path).is_ok(),
                "{p} names no fact: {:?}",
                facts.walk(&path).err()
            );
        }
    }
}
