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

use crate::rootfs::limits;
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

impl Tailoring {
    /// Parses and validates a tailoring file against the rule set.
    pub fn parse(file: &str, text: &str, rules: &RuleSet) -> Result<Self, TailoringError> {
        let err = |needle: &str, msg: String| TailoringError {
            file: file.to_owned(),
            line: crate::text::line_of(text, needle).unwrap_or(1),
            msg,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| TailoringError {
            file: file.to_owned(),
            line: e.span().map_or(1, |s| crate::text::line_at(text, s.start)),
            msg: e.message().trim_end().to_owned(),
        })?;
        let mut vars = BTreeMap::new();
        for (k, v) in &raw.vars {
            let value = serde_json::to_value(v).map_err(|e| err(k, e.to_string()))?;
            let value = rules.var_value(k, value, None).map_err(|m| err(k, m))?;
            vars.insert(rules.var_name(k).to_owned(), value);
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
        let t = Tailoring {
            vars,
            disabled,
            severity: raw.severity,
            profiles: raw.profile,
        };
        t.check_extends(rules)
            .map_err(|(name, msg)| err(&format!("[profile.{name}]"), msg))?;
        Ok(t)
    }

    /// Checks the `extends` graph of the composed profiles: no profile extends itself, no chain is
    /// deeper than [`MAX_DEPTH`], and resolving every profile copies at most
    /// [`limits::TAILORING_EXPANSION`] rule ids (each profile is resolved once, so a wide fan-out
    /// costs its edges, not its paths). Returns the offending profile and what is wrong.
    fn check_extends(&self, rules: &RuleSet) -> Result<(), (String, String)> {
        // Depth of the longest chain below each profile; `None` while it is being visited.
        let mut depth: BTreeMap<&str, Option<usize>> = BTreeMap::new();
        for name in self.profiles.keys() {
            self.depth_of(name, &mut depth, &mut Vec::new())?;
        }
        let mut resolver = Resolver::new(self, rules);
        for name in self.profiles.keys() {
            resolver.ids(name);
            if resolver.copied > limits::TAILORING_EXPANSION {
                return Err((
                    name.clone(),
                    format!(
                        "profile {name}: resolving `extends` copies more than {} rule ids (imagegate's bound on a tailoring file)",
                        limits::TAILORING_EXPANSION
                    ),
                ));
            }
        }
        Ok(())
    }

    fn depth_of<'a>(
        &'a self,
        name: &'a str,
        depth: &mut BTreeMap<&'a str, Option<usize>>,
        path: &mut Vec<&'a str>,
    ) -> Result<usize, (String, String)> {
        let Some(def) = self.profiles.get(name) else {
            return Ok(0); // a shipped profile
        };
        match depth.get(name) {
            Some(Some(d)) => return Ok(*d),
            Some(None) => {
                let from = path.iter().position(|p| *p == name).unwrap_or(0);
                let cycle: Vec<&str> = path
                    .get(from..)
                    .unwrap_or_default()
                    .iter()
                    .copied()
                    .chain([name])
                    .collect();
                return Err((
                    name.to_owned(),
                    format!("profile {name} extends itself: {}", cycle.join(" → ")),
                ));
            }
            None => {}
        }
        depth.insert(name, None);
        path.push(name);
        let mut d = 0;
        for base in &def.extends {
            d = d.max(self.depth_of(base, depth, path)? + 1);
        }
        path.pop();
        if d > MAX_DEPTH {
            return Err((
                name.to_owned(),
                format!("profile {name}: `extends` chains more than {MAX_DEPTH} composed profiles deep"),
            ));
        }
        depth.insert(name, Some(d));
        Ok(d)
    }

    /// The variable values a scan of `profile` starts from: those the profile sets (a composed
    /// profile: those of its `extends`, in order, the later winning), then this file's `[vars]`
    /// over them. `--var` goes over both.
    pub fn vars_for(&self, rules: &RuleSet, profile: &str) -> BTreeMap<String, serde_json::Value> {
        let mut memo = BTreeMap::new();
        let mut out = self.profile_vars(rules, profile, 0, &mut memo);
        out.extend(self.vars.clone());
        out
    }

    /// The variables a profile sets: a shipped profile's own, or what a composed one's bases set
    /// (later bases win). Each profile is resolved once (`memo`), so a fan-out of composed
    /// profiles costs their number, not the number of paths through them.
    fn profile_vars<'a>(
        &'a self,
        rules: &RuleSet,
        profile: &'a str,
        depth: usize,
        memo: &mut BTreeMap<&'a str, BTreeMap<String, serde_json::Value>>,
    ) -> BTreeMap<String, serde_json::Value> {
        if let Some(done) = memo.get(profile) {
            return done.clone();
        }
        let out = match self.profiles.get(profile) {
            // The depth bound holds for a parsed file; it also stops a hand-built cycle.
            Some(def) if depth <= MAX_DEPTH => {
                let mut out = BTreeMap::new();
                for base in &def.extends {
                    out.extend(self.profile_vars(rules, base, depth + 1, memo));
                }
                out
            }
            Some(_) => BTreeMap::new(),
            None => rules.profile_vars(profile),
        };
        memo.insert(profile, out.clone());
        out
    }

    /// The rule ids of a profile: a composed one from this tailoring, else a shipped one.
    /// `None` when no such profile exists. Each profile below it is resolved once.
    pub fn profile_ids(&self, rules: &RuleSet, name: &str) -> Option<BTreeSet<String>> {
        Resolver::new(self, rules).ids(name)
    }
}

/// Longest chain of composed profiles `extends` may form.
const MAX_DEPTH: usize = 16;

/// Resolves profiles with a memo: a profile extended from many places is resolved once.
struct Resolver<'a> {
    tailoring: &'a Tailoring,
    rules: &'a RuleSet,
    memo: BTreeMap<&'a str, Option<BTreeSet<String>>>,
    /// Rule ids copied so far (the work done).
    copied: usize,
}

impl<'a> Resolver<'a> {
    fn new(tailoring: &'a Tailoring, rules: &'a RuleSet) -> Self {
        Resolver {
            tailoring,
            rules,
            memo: BTreeMap::new(),
            copied: 0,
        }
    }

    fn ids(&mut self, name: &'a str) -> Option<BTreeSet<String>> {
        self.resolve(name, 0).cloned()
    }

    fn resolve(&mut self, name: &'a str, depth: usize) -> Option<&BTreeSet<String>> {
        if !self.memo.contains_key(name) {
            // In progress: a cycle (refused when the file is parsed) resolves to nothing.
            self.memo.insert(name, None);
            let ids = self.compute(name, depth);
            self.memo.insert(name, ids);
        }
        self.memo.get(name).and_then(Option::as_ref)
    }

    fn compute(&mut self, name: &'a str, depth: usize) -> Option<BTreeSet<String>> {
        if depth > MAX_DEPTH {
            return None;
        }
        if let Some(def) = self.tailoring.profiles.get(name) {
            let mut ids = BTreeSet::new();
            for base in &def.extends {
                let from = self.resolve(base, depth + 1)?;
                let n = from.len();
                ids.extend(from.iter().cloned());
                self.copied += n;
            }
            ids.extend(def.add.iter().cloned());
            for r in &def.remove {
                ids.remove(r);
            }
            return Some(ids);
        }
        if !self.rules.profiles().contains(name) {
            return None;
        }
        Some(
            self.rules
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

    /// A fan-out within the depth bound (8 profiles per level, each extending all 8 of the next
    /// level, 15 levels: 8^15 paths) is resolved once per profile.
    #[test]
    fn a_wide_fan_out_is_resolved_once_per_profile() {
        let fan = |width: usize, levels: usize| {
            let mut text = String::new();
            for l in 0..levels {
                for i in 0..width {
                    let ext: Vec<String> = if l + 1 < levels {
                        (0..width).map(|j| format!("\"l{}_{j}\"", l + 1)).collect()
                    } else {
                        vec!["\"p1\"".into(), "\"p2\"".into()]
                    };
                    text.push_str(&format!("[profile.l{l}_{i}]\nextends = [{}]\n", ext.join(", ")));
                }
            }
            text
        };
        let rules = set();
        let t = Tailoring::parse("t.toml", &fan(8, 15), &rules).unwrap();
        let mut r = Resolver::new(&t, &rules);
        assert_eq!(
            r.ids("l0_0").unwrap(),
            BTreeSet::from(["ssh.a".to_owned(), "ssh.b".to_owned()])
        );
        // Each of the 8 * 14 profiles with composed bases copies 8 sets of 2 ids; the last level
        // copies p1 and p2 once each.
        let work = r.copied;
        assert!(work <= 8 * 14 * 8 * 2 + 8 * 2, "{work}");
        // Doubling the width doubles the profiles and the edges per profile: about 4x the work,
        // never the (2^15)x of resolving every path.
        let t = Tailoring::parse("t.toml", &fan(16, 15), &rules).unwrap();
        let mut r = Resolver::new(&t, &rules);
        r.ids("l0_0").unwrap();
        assert!(r.copied <= 4 * work + 64, "{} vs {work}", r.copied);
    }

    /// A profile that extends itself, directly or through others, and a chain deeper than the
    /// bound, are errors at the profile's line, not an "unknown profile" later.
    #[test]
    fn cycles_and_deep_chains_are_errors_at_their_line() {
        let e = Tailoring::parse(
            "t.toml",
            "[profile.a]\nextends = [\"b\"]\n\n[profile.b]\nextends = [\"p1\", \"a\"]\n",
            &set(),
        )
        .unwrap_err();
        assert_eq!(e.line, 1, "{e}");
        assert_eq!(e.msg, "profile a extends itself: a → b → a");
        let mut deep = String::new();
        for i in 0..=MAX_DEPTH {
            deep.push_str(&format!("[profile.d{i}]\nextends = [\"d{}\"]\n", i + 1));
        }
        deep.push_str(&format!("[profile.d{}]\nextends = [\"p1\"]\n", MAX_DEPTH + 1));
        let e = Tailoring::parse("t.toml", &deep, &set()).unwrap_err();
        assert!(e.msg.contains("more than 16 composed profiles deep"), "{e}");
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
