//! Loading rule files: TOML → validated [`Rule`]s, with errors that point at the file and line.
//!
//! The shipped rules under `rules/` are embedded at build time (build.rs lists them); user
//! directories given with `--rules` are read through the host filesystem — they are the user's
//! own files, not the scanned image's — and a user rule with an existing id replaces the shipped
//! one. Validation rejects unknown keys, unknown operators, unknown fact groups, undefined
//! variables, bad severities, ids that do not start with the file's area, and duplicate ids.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{ErrorWhen, Expr, Rule, Severity};
use crate::facts::GROUPS;

/// The shipped rule files: (path relative to the repository, contents).
pub const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// A rule file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// TOML syntax or schema error.
    #[error("{file}:{line}: {msg}")]
    Parse {
        /// The rule file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        msg: String,
    },
    /// The same id defined twice in one source.
    #[error("{file}:{line}: duplicate rule id {id} (first defined at {first})")]
    DuplicateId {
        /// The rule file.
        file: String,
        /// 1-based line.
        line: usize,
        /// The id.
        id: String,
        /// Where it was first defined.
        first: String,
    },
    /// A user rule directory could not be read.
    #[error("cannot read rule directory {path}: {source}")]
    Io {
        /// The directory or file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    title: String,
    severity: Severity,
    profiles: Vec<String>,
    #[serde(default)]
    families: Vec<String>,
    rationale: String,
    remediation: String,
    #[serde(default)]
    references: BTreeMap<String, String>,
    applies_when: Option<toml::Value>,
    not_applicable: Option<String>,
    #[serde(default)]
    error_when: Vec<RawErrorWhen>,
    check: toml::Value,
    #[serde(default)]
    vars: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawErrorWhen {
    check: toml::Value,
    reason: String,
}

/// All loaded rules, by id.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// Rules sorted by id.
    pub rules: BTreeMap<String, Rule>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |t| t.bytes().filter(|&b| b == b'\n').count() + 1)
}

/// Parses one rule file. `file` names it in errors; its stem is the area every id must start with.
pub fn parse_file(file: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| RuleError::Parse {
        file: file.to_owned(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        msg: e.message().trim_end_matches('\n').to_owned(),
    })?;
    let area = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_owned();
    let mut out = Vec::new();
    // Rules come in file order: count newlines from the previous rule on, not from the top.
    let (mut at, mut line) = (0, 1);
    for spanned in raw.rule {
        let start = spanned.span().start.max(at);
        line += text
            .get(at..start)
            .map_or(0, |t| t.bytes().filter(|&b| b == b'\n').count());
        at = start;
        let r = spanned.into_inner();
        let err = |msg: String| RuleError::Parse {
            file: file.to_owned(),
            line,
            msg: format!("rule {}: {msg}", r.id),
        };
        let (rule_area, name) =
            r.id.split_once('.')
                .ok_or_else(|| err("id must be `<area>.<name>`".into()))?;
        if rule_area != area {
            return Err(err(format!("id must start with `{area}.` (the file's area)")));
        }
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(err("the name after the area must be kebab-case".into()));
        }
        if r.profiles.is_empty() {
            return Err(err("`profiles` must name at least one profile".into()));
        }
        let expr = |v: &toml::Value, what: &str| Expr::from_toml(v, false).map_err(|m| err(format!("{what}: {m}")));
        let check = expr(&r.check, "check")?;
        let applies_when = r.applies_when.as_ref().map(|v| expr(v, "applies_when")).transpose()?;
        let error_when = r
            .error_when
            .iter()
            .map(|e| {
                Ok(ErrorWhen {
                    check: expr(&e.check, "error_when")?,
                    reason: e.reason.clone(),
                })
            })
            .collect::<Result<Vec<_>, RuleError>>()?;
        let vars: BTreeMap<String, serde_json::Value> = r
            .vars
            .iter()
            .map(|(k, v)| {
                serde_json::to_value(v)
                    .map(|j| (k.clone(), j))
                    .map_err(|e| err(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        let mut paths = Vec::new();
        let mut used = Vec::new();
        for e in std::iter::once(&check)
            .chain(applies_when.iter())
            .chain(error_when.iter().map(|e| &e.check))
        {
            e.fact_paths(&mut paths);
            e.vars(&mut used);
        }
        for p in paths {
            let group = p.segments.first().map(String::as_str).unwrap_or("");
            if !GROUPS.contains(&group) {
                return Err(err(format!(
                    "unknown fact group `{group}` in `{p}` (known: {})",
                    GROUPS.join(", ")
                )));
            }
        }
        for v in used {
            if !vars.contains_key(v) {
                return Err(err(format!("variable `{v}` is used but has no default in `vars`")));
            }
        }
        out.push(Rule {
            area: rule_area.to_owned(),
            id: r.id.clone(),
            title: r.title,
            severity: r.severity,
            profiles: r.profiles,
            families: r.families,
            rationale: r.rationale,
            remediation: r.remediation,
            references: r.references,
            applies_when,
            not_applicable: r.not_applicable,
            error_when,
            check,
            vars,
            origin: format!("{file}:{line}"),
        });
    }
    Ok(out)
}

impl RuleSet {
    /// The rules shipped in the binary.
    pub fn embedded() -> Result<Self, RuleError> {
        let mut set = RuleSet::default();
        set.add_source(
            EMBEDDED
                .iter()
                .map(|(f, t)| ((*f).to_owned(), (*t).to_owned()))
                .collect(),
            false,
        )?;
        Ok(set)
    }

    /// Adds the `*.toml` files of a user directory; their rules override shipped ones by id.
    pub fn add_dir(&mut self, dir: &std::path::Path) -> Result<(), RuleError> {
        let files = crate::rootfs::host::read_toml_dir(dir).map_err(|source| RuleError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        self.add_source(files, true)
    }

    /// Adds rule files; ids must be unique within the source, and `replace` lets them override.
    fn add_source(&mut self, files: Vec<(String, String)>, replace: bool) -> Result<(), RuleError> {
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (file, text) in files {
            for rule in parse_file(&file, &text)? {
                if let Some(first) = seen.get(&rule.id) {
                    let line = rule.origin.rsplit(':').next().and_then(|l| l.parse().ok()).unwrap_or(1);
                    return Err(RuleError::DuplicateId {
                        file,
                        line,
                        id: rule.id,
                        first: first.clone(),
                    });
                }
                seen.insert(rule.id.clone(), rule.origin.clone());
                if !replace && self.rules.contains_key(&rule.id) {
                    return Err(RuleError::DuplicateId {
                        file,
                        line: 1,
                        id: rule.id.clone(),
                        first: rule.origin,
                    });
                }
                self.rules.insert(rule.id.clone(), rule);
            }
        }
        Ok(())
    }

    /// Every profile named by some rule.
    pub fn profiles(&self) -> BTreeSet<&str> {
        self.rules
            .values()
            .flat_map(|r| r.profiles.iter().map(String::as_str))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[rule]]
id = "ssh.permit-root-login"
title = "root cannot log in over SSH"
severity = "high"
profiles = ["cloud-image"]
rationale = "r"
remediation = "m"
check = { fact = "sshd.effective.permitrootlogin", in = ["no"] }
"#;

    #[test]
    fn loads_a_rule_and_records_its_origin() {
        let rules = parse_file("rules/ssh.toml", GOOD).unwrap();
        assert_eq!(rules[0].origin, "rules/ssh.toml:2");
        assert_eq!(rules[0].area, "ssh");
    }

    #[test]
    fn errors_point_at_the_line() {
        let bad = GOOD.replace("severity = \"high\"", "severity = \"urgent\"");
        let e = parse_file("rules/ssh.toml", &bad).unwrap_err().to_string();
        assert!(e.starts_with("rules/ssh.toml:5:"), "{e}");
        let bad = GOOD.replace("title =", "titel =");
        assert!(
            parse_file("rules/ssh.toml", &bad)
                .unwrap_err()
                .to_string()
                .contains("titel")
        );
        let e = parse_file("rules/kernel.toml", GOOD).unwrap_err().to_string();
        assert!(e.contains("must start with `kernel.`"), "{e}");
        let bad = GOOD.replace("sshd.effective", "sshdd.effective");
        assert!(
            parse_file("rules/ssh.toml", &bad)
                .unwrap_err()
                .to_string()
                .contains("unknown fact group")
        );
        let bad = GOOD.replace(r#"in = ["no"]"#, r#"eq = { var = "x" }"#);
        assert!(
            parse_file("rules/ssh.toml", &bad)
                .unwrap_err()
                .to_string()
                .contains("variable `x`")
        );
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let mut set = RuleSet::default();
        let two = format!("{GOOD}\n{GOOD}");
        let e = set.add_source(vec![("rules/ssh.toml".into(), two)], false).unwrap_err();
        assert!(matches!(e, RuleError::DuplicateId { .. }), "{e}");
    }
}
