//! Rules are data: TOML files under `rules/`, embedded in the binary at build time, plus any
//! directory the user adds. The engine knows no rule by name; see docs/rules.md for the format.

pub mod benchmark;
pub mod expr;
pub mod load;
pub mod schema;
pub mod view;

use std::collections::BTreeMap;

use serde::Serialize;

pub use expr::{Expr, FactPath};
pub use load::{RuleError, RuleSet};

/// How bad a failing finding is. Ordered: `Info < Low < … < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Inventory and advice.
    Info,
    /// Hardening with little exposure.
    Low,
    /// The default for hardening rules.
    Medium,
    /// Exposure an attacker can use.
    High,
    /// Exposure that must stop a build.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown severity {s:?} (expected info, low, medium, high or critical)"))
    }
}

/// A condition that makes a rule's result untrustworthy (e.g. a stale package index).
#[derive(Debug, Clone)]
pub struct ErrorWhen {
    /// When this holds, the rule ends in error.
    pub check: Expr,
    /// Why, for the user.
    pub reason: String,
}

/// One rule, loaded and validated.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `<area>.<kebab-name>`.
    pub id: String,
    /// The part of the id before the first dot.
    pub area: String,
    /// Lowercase, no trailing period; `{name}` stands for the value of variable `name` in force
    /// (see [`fill`]).
    pub title: String,
    /// Severity of a failure.
    pub severity: Severity,
    /// Profiles that select the rule.
    pub profiles: Vec<String>,
    /// `os.family` values it applies to; empty = all.
    pub families: Vec<String>,
    /// Why it matters.
    pub rationale: String,
    /// What to do.
    pub remediation: String,
    /// Benchmark sections and rule ids elsewhere (`cis`, `ssg`, …).
    pub references: BTreeMap<String, String>,
    /// Outside this condition the rule is not-applicable.
    pub applies_when: Option<Expr>,
    /// The reason shown when `applies_when` is false.
    pub not_applicable: Option<String>,
    /// Conditions that make the result an error.
    pub error_when: Vec<ErrorWhen>,
    /// The predicate that must hold.
    pub check: Expr,
    /// Variable defaults.
    pub vars: BTreeMap<String, serde_json::Value>,
    /// Where the rule was defined (`rules/ssh.toml:12`, or a user file).
    pub origin: String,
    /// The in-image file the remediation changes (`/etc/sysctl.d/60-cis.conf`): where SARIF
    /// locates a failure that no file decided (a setting absent everywhere).
    pub fix_file: Option<String>,
    /// The rule's text in other languages, by language tag (`zh-CN`).
    pub translations: BTreeMap<String, Translation>,
}

/// A rule's text in another language (`[rule.zh-CN]` after the rule's English text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    /// The title; `{name}` placeholders as in the English title.
    pub title: String,
    /// Why it matters.
    pub rationale: String,
    /// What to do.
    pub remediation: String,
    /// The not-applicable reason, where the rule has one.
    pub not_applicable: Option<String>,
    /// The `error_when` reasons, in the rule's order.
    pub error_when: Vec<String>,
}

impl Rule {
    /// The title with the default values of the rule's variables (`rules list`, `explain`).
    pub fn title_with_defaults(&self) -> String {
        fill(&self.title, &self.vars)
    }

    /// Every expression the rule evaluates: its check, `applies_when` and each `error_when`.
    pub fn expressions(&self) -> impl Iterator<Item = &Expr> {
        std::iter::once(&self.check)
            .chain(self.applies_when.iter())
            .chain(self.error_when.iter().map(|e| &e.check))
    }
}

/// The `{name}` placeholders of a rule text (title, not-applicable and error reasons): names made
/// of lowercase letters, digits and `_`; any other brace is text.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..).unwrap_or_default();
        match after.find('}') {
            Some(close) => {
                let name = after.get(..close).unwrap_or_default();
                if !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                {
                    out.push(name);
                }
                rest = after;
            }
            None => break,
        }
    }
    out
}

/// `text` with each `{name}` replaced by the value of variable `name`: a string bare, a list
/// comma-separated (`none` when empty), anything else as JSON. A placeholder without a variable
/// stays as written (rule loading rejects one).
pub fn fill(text: &str, vars: &BTreeMap<String, serde_json::Value>) -> String {
    fn show(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(items) if items.is_empty() => "none".into(),
            serde_json::Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
            other => other.to_string(),
        }
    }
    let mut out = text.to_owned();
    for name in placeholders(text) {
        if let Some(v) = vars.get(name) {
            out = out.replace(&format!("{{{name}}}"), &show(v));
        }
    }
    out
}

/// The candidates closest to `name` by edit distance (at most a third of its length, and at least
/// 2), nearest first: the "did you mean" of an unknown name.
pub fn close_matches<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Vec<&'c str> {
    let limit = (name.chars().count() / 3).max(2);
    let kept: Vec<&str> = candidates.into_iter().collect();
    let mut found: Vec<(usize, &str)> = kept
        .iter()
        .copied()
        .filter_map(|c| {
            let d = edit_distance(name, c);
            (d <= limit && d > 0).then_some((d, c))
        })
        .collect();
    found.sort();
    found.dedup();
    let mut out: Vec<&str> = found.into_iter().take(3).map(|(_, c)| c).collect();
    if out.is_empty() && name.len() >= 4 {
        // A name cut short, or one word of a longer one (`ssh.permit-root-login` for
        // `ssh.permit-root-login-disabled`).
        out = candidates_containing(name, &kept);
    }
    out
}

fn candidates_containing<'c>(name: &str, all: &[&'c str]) -> Vec<&'c str> {
    all.iter().filter(|c| c.contains(name)).take(3).copied().collect()
}

/// Levenshtein distance over characters (insert, delete, substitute).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(usize::MAX - 1) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(usize::MAX - 1) + 1;
            let ins = cur.get(j).copied().unwrap_or(usize::MAX - 1) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// The fact groups `rules` read: the first component (and the first two) of every fact path in their checks,
/// `applies_when` and `error_when` (collectors of expensive groups run only when wanted; the
/// `declared_files` collector reads the keys named this way).
pub fn wanted_groups(rules: &[&Rule]) -> std::collections::BTreeSet<String> {
    let mut paths = Vec::new();
    for e in rules.iter().flat_map(|r| r.expressions()) {
        e.fact_paths(&mut paths);
    }
    // The group, and `group.part` so a collector can skip an expensive part no rule reads.
    let mut out = std::collections::BTreeSet::new();
    for p in &paths {
        if let Some(g) = p.segments.first() {
            out.insert(g.clone());
            if let Some(part) = p.segments.get(1) {
                out.insert(format!("{g}.{part}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_matches_by_edit_distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        let c = ["permitrootlogin", "permittunnel", "port"];
        assert_eq!(close_matches("permitrootlgin", c), ["permitrootlogin"]);
        assert!(close_matches("zzzzzz", c).is_empty());
        assert_eq!(close_matches("permit", c), ["permitrootlogin", "permittunnel"]);
    }
}
