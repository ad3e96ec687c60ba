//! Tailoring: adapting the shipped rules to one organisation without editing them.
//!
//! ```toml
//! [vars]                      # rule variables (a `--var` on the command line still wins)
//! max_index_age_days = 3
//!
//! [[disable]]                 # rules not evaluated, each with the reason
//! rule = "agents.monitoring-agent-present"
//! reason = "build images carry no agent; it is installed at boot"
//!
//! [severity]                  # per-rule severity overrides
//! "kernel.swappiness" = "medium"
//!
//! [profile.golden]            # a composed profile: union of `extends`, plus `add`, minus `remove`
//! extends = ["cloud-image", "cis-l1-server"]
//! add = ["capture.no-shell-history"]
//! remove = ["kernel.swappiness"]
//! ```
//!
//! Every name is checked against the rule set: an unknown variable, rule id or profile is an error
//! that names the file and line, because a silently ignored tailoring entry is a check nobody runs
//! the way they think.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::rules::{RuleSet, Severity};

/// A tailoring file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {msg}")]
pub struct TailoringError {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub msg: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    vars: BTreeMap<String, toml::Value>,
    #[serde(default)]
    disable: Vec<Disable>,
    #[serde(default)]
    severity: BTreeMap<String, Severity>,
    #[serde(default)]
    profile: BTreeMap<String, ProfileDef>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct Disable {
    rule: String,
    reason: String,
}

/// A composed profile.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct ProfileDef {
    /// Profiles whose rules it starts from.
    #[serde(default)]
    pub extends: Vec<String>,
    /// Rule ids added.
    #[serde(default)]
    pub add: Vec<String>,
    /// Rule ids removed.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// A validated tailoring.
#[derive(Debug, Clone, Default)]
pub struct Tailoring {
    /// Variable values.
    pub vars: BTreeMap<String, serde_json::Value>,
    /// Disabled rule ids and why.
    pub disabled: BTreeMap<String, String>,
    /// Severity overrides.
    pub severity: BTreeMap<String, Severity>,
    /// Composed profiles.
    pub profiles: BTreeMap<String, ProfileDef>,
}

/// The line of the first occurrence of `needle` (a key or id) in `text`, for error messages.
fn line_of_key(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).map_or(1, |i| i + 1)
}

impl Tailoring {
    /// Parses and validates a tailoring file against the rule set.
    pub fn parse(file: &str, text: &str, rules: &RuleSet) -> Result<Self, TailoringError> {
        let err = |needle: &str, msg: String| TailoringError {
            file: file.to_owned(),
            line: line_of_key(text, needle),
            msg,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| TailoringError {
            file: file.to_owned(),
            line: e
                .span()
                .map_or(1, |s| text.get(..s.start).map_or(1, |t| t.matches('\n').count() + 1)),
            msg: e.message().trim_end().to_owned(),
        })?;
        let mut vars = BTreeMap::new();
        for (k, v) in &raw.vars {
            let value = serde_json::to_value(v).map_err(|e| err(k, e.to_string()))?;
            let value = rules.var_value(k, value, None).map_err(|m| err(k, m))?;
            vars.insert(k.clone(), value);
        }
        let known_rule = |id: &str| rules.rules.contains_key(id);
        let mut disabled = BTreeMap::new();
        for d in &raw.disable {
            if !known_rule(&d.rule) {
                return Err(err(&d.rule, format!("unknown rule id {:?}", d.rule)));
            }
            if d.reason.trim().is_empty() {
                return Err(err(&d.rule, format!("disabling {} needs a reason", d.rule)));
            }
            disabled.insert(d.rule.clone(), d.reason.clone());
        }
        for id in raw.severity.keys() {
            if !known_rule(id) {
                return Err(err(id, format!("unknown rule id {id:?}")));
            }
        }
        let shipped = rules.profiles();
        for (name, p) in &raw.profile {
            if shipped.contains(name.as_str()) {
                return Err(err(
                    &format!("profile.{name}"),
                    format!("profile {name}: a shipped profile has this name; give the composed profile its own name"),
                ));
            }
            for base in &p.extends {
                if !shipped.contains(base.as_str()) && !raw.profile.contains_key(base) {
                    return Err(err(
                        base,
                        format!("profile {name}: unknown profile {base:?} in `extends`"),
                    ));
                }
            }
            for id in p.add.iter().chain(&p.remove) {
                if !known_rule(id) {
                    return Err(err(id, format!("profile {name}: unknown rule id {id:?}")));
                }
            }
        }
        Ok(Tailoring {
            vars,
            disabled,
            severity: raw.severity,
            profiles: raw.profile,
        })
    }

    /// The rule ids of a profile: a composed one from this tailoring, else a shipped one.
    /// `None` when no such profile exists (or a composed profile extends itself).
    pub fn profile_ids(&self, rules: &RuleSet, name: &str) -> Option<BTreeSet<String>> {
        self.resolve(rules, name, 0)
    }

    fn resolve(&self, rules: &RuleSet, name: &str, depth: usize) -> Option<BTreeSet<String>> {
        if depth > 16 {
            return None;
        }
        if let Some(def) = self.profiles.get(name) {
            let mut ids = BTreeSet::new();
            for base in &def.extends {
                ids.extend(self.resolve(rules, base, depth + 1)?);
            }
            ids.extend(def.add.iter().cloned());
            for r in &def.remove {
                ids.remove(r);
            }
            return Some(ids);
        }
        if !rules.profiles().contains(name) {
            return None;
        }
        Some(
            rules
                .rules
                .values()
                .filter(|r| r.profiles.iter().any(|p| p == name))
                .map(|r| r.id.clone())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> RuleSet {
        let text = r#"
[[rule]]
id = "ssh.a"
title = "a"
severity = "high"
profiles = ["p1"]
rationale = "r"
remediation = "m"
check = { fact = "os.id", eq = { var = "want" } }
vars = { want = "debian" }

[[rule]]
id = "ssh.b"
title = "b"
severity = "low"
profiles = ["p2"]
rationale = "r"
remediation = "m"
check = { fact = "os.id", eq = "x" }
"#;
        let mut s = RuleSet::default();
        for r in crate::rules::load::parse_file("rules/ssh.toml", text).unwrap() {
            s.rules.insert(r.id.clone(), r);
        }
        s
    }

    #[test]
    fn composed_profiles_union_add_and_remove() {
        let t = Tailoring::parse(
            "t.toml",
            "[profile.mine]\nextends = [\"p1\", \"p2\"]\nremove = [\"ssh.b\"]\n",
            &set(),
        )
        .unwrap();
        assert_eq!(
            t.profile_ids(&set(), "mine").unwrap(),
            BTreeSet::from(["ssh.a".to_owned()])
        );
        assert_eq!(
            t.profile_ids(&set(), "p2").unwrap(),
            BTreeSet::from(["ssh.b".to_owned()])
        );
        assert!(t.profile_ids(&set(), "nope").is_none());
    }

    #[test]
    fn unknown_names_point_at_their_line() {
        for (text, line, want) in [
            ("[vars]\nwant = \"x\"\nwnat = 3\n", 3, "no rule has a variable"),
            (
                "[vars]\nwant = 3\n",
                2,
                "variable want takes a string (its default in ssh.a is \"debian\"), got 3",
            ),
            ("[[disable]]\nrule = \"ssh.zz\"\nreason = \"r\"\n", 2, "unknown rule id"),
            (
                "[severity]\n\"ssh.a\" = \"low\"\n\"ssh.q\" = \"low\"\n",
                3,
                "unknown rule id",
            ),
            ("[profile.x]\nextends = [\"p9\"]\n", 2, "unknown profile"),
            (
                "[vars]\nwant = \"x\"\n[profile.p1]\nextends = [\"p1\"]\n",
                3,
                "a shipped profile has this name",
            ),
            ("[severity]\n\"ssh.a\" = \"urgent\"\n", 2, "unknown variant"),
            ("[varz]\n", 1, "unknown field"),
        ] {
            let e = Tailoring::parse("t.toml", text, &set()).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.msg.contains(want), "{text}: {e}");
        }
    }
}
