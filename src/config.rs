//! The run configuration of a scan, resolved from what the user asked for: the profile, `--only`,
//! `--skip`, `--var` and a tailoring file become a [`Selection`] (which rules, with what variables
//! and severities), or a typed error that says what is wrong. The command line (`cli`) keeps
//! parsing arguments and printing; deciding what they mean lives here, where it is tested without
//! a process.

use std::collections::BTreeSet;

use crate::eval::Selection;
use crate::rules::RuleSet;
use crate::tailoring::Tailoring;

/// The profile a scan evaluates when none is named.
pub const DEFAULT_PROFILE: &str = "cloud-image";

/// What the user asked a scan to run (the arguments, unresolved).
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    /// `--profile`.
    pub profile: &'a str,
    /// `--only ID`, each.
    pub only: &'a [String],
    /// `--skip ID`, each.
    pub skip: &'a [String],
    /// `--var NAME=VALUE`, each, as written.
    pub vars: &'a [String],
}

/// What a request resolved to.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The rules to run, with their variables and severities.
    pub selection: Selection,
    /// Things worth a warning that do not stop the scan (a `--skip` that changes nothing).
    pub warnings: Vec<String>,
}

/// Why a request cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No rule or tailoring profile of that name.
    #[error("unknown profile {name:?} (available: {})", available.join(", "))]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The profiles there are.
        available: Vec<String>,
    },
    /// `--var` without `=`.
    #[error("--var takes NAME=VALUE, got {0:?}")]
    VarSyntax(String),
    /// `--var` naming no variable, or a value of the wrong type.
    #[error("--var {name}: {why} (`imagegate rules explain ID` lists a rule's variables)")]
    Var {
        /// The variable.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// `--only` or `--skip` naming no rule.
    #[error("no such rule {id:?}{} (see `imagegate rules list`)", hint.as_ref().map_or(String::new(), |c| format!(" (did you mean {c:?}?)")))]
    UnknownRule {
        /// The id given.
        id: String,
        /// The closest rule id, if one is close.
        hint: Option<String>,
    },
    /// `--only` a rule the tailoring file disables.
    #[error("--only {id}: the tailoring file disables it ({reason})")]
    OnlyDisabled {
        /// The rule.
        id: String,
        /// The tailoring file's reason.
        reason: String,
    },
    /// `--only` a rule the profile does not select (it would run nothing and pass).
    #[error("--only {id}: profile {profile:?} does not select it; it is in {} (add --profile NAME)", if holders.is_empty() { "no profile".to_owned() } else { holders.join(", ") })]
    OnlyOutsideProfile {
        /// The rule.
        id: String,
        /// The profile in force.
        profile: String,
        /// The profiles that select it.
        holders: Vec<String>,
    },
}

/// `NAME=VALUE`, the value read as a TOML value when it is one (`3`, `true`, `["a","b"]`), else
/// as a string; and the value as typed (the rules check it against the variable's type).
pub fn parse_var(s: &str) -> Result<(String, serde_json::Value, String), ConfigError> {
    let Some((k, v)) = s.split_once('=') else {
        return Err(ConfigError::VarSyntax(s.to_owned()));
    };
    let value = toml::from_str::<toml::Table>(&format!("v = {v}"))
        .ok()
        .and_then(|t| serde_json::to_value(&t["v"]).ok())
        .unwrap_or_else(|| serde_json::Value::String(v.to_owned()));
    Ok((k.trim().to_owned(), value, v.to_owned()))
}

/// Resolves a request against the rules and a tailoring (empty when there is none).
pub fn resolve(rules: &RuleSet, tailoring: &Tailoring, req: &Request<'_>) -> Result<Resolved, ConfigError> {
    let Some(mut ids) = tailoring.profile_ids(rules, req.profile) else {
        let mut available: Vec<String> = rules.profiles().iter().map(|s| s.to_string()).collect();
        available.extend(tailoring.profiles.keys().cloned());
        return Err(ConfigError::UnknownProfile {
            name: req.profile.to_owned(),
            available,
        });
    };
    let mut vars = tailoring.vars_for(rules, req.profile);
    for v in req.vars {
        let (k, val, text) = parse_var(v)?;
        let val = rules
            .var_value(&k, val, Some(&text))
            .map_err(|why| ConfigError::Var { name: k.clone(), why })?;
        vars.insert(rules.var_name(&k).to_owned(), val);
    }
    for id in req.only.iter().chain(req.skip) {
        if !rules.rules.contains_key(id) {
            let close = crate::rules::close_matches(id, rules.rules.keys().map(String::as_str));
            return Err(ConfigError::UnknownRule {
                id: id.clone(),
                hint: close.first().map(|c| c.to_string()),
            });
        }
    }
    // `--only` a rule the profile does not select would run nothing and pass: name where it is.
    for id in req.only {
        if let Some(reason) = tailoring.disabled.get(id) {
            return Err(ConfigError::OnlyDisabled {
                id: id.clone(),
                reason: reason.clone(),
            });
        }
        if !ids.contains(id) {
            let mut holders: Vec<String> = rules.profiles_of(id).to_vec();
            holders.extend(
                tailoring
                    .profiles
                    .keys()
                    .filter(|p| tailoring.profile_ids(rules, p).is_some_and(|i| i.contains(id)))
                    .cloned(),
            );
            return Err(ConfigError::OnlyOutsideProfile {
                id: id.clone(),
                profile: req.profile.to_owned(),
                holders,
            });
        }
    }
    if !req.only.is_empty() {
        ids.retain(|id| req.only.contains(id));
    }
    let mut warnings = Vec::new();
    for id in req.skip {
        if !ids.contains(id) {
            warnings.push(format!(
                "--skip {id}: profile {:?} does not select it, so skipping it changes nothing",
                req.profile
            ));
        }
    }
    ids.retain(|id| !req.skip.contains(id) && !tailoring.disabled.contains_key(id));
    Ok(Resolved {
        selection: Selection {
            profile: req.profile.to_owned(),
            ids,
            vars,
            severity: tailoring.severity.clone(),
        },
        warnings,
    })
}

/// The rules of the default profile, for what a default scan reads (`imagegate inputs`).
pub fn default_profile_ids(rules: &RuleSet) -> BTreeSet<String> {
    rules
        .rules
        .values()
        .filter(|r| r.profiles.iter().any(|p| p == DEFAULT_PROFILE))
        .map(|r| r.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RuleSet {
        RuleSet::embedded().expect("the shipped rules load")
    }

    #[test]
    fn the_default_profile_exists_and_resolves() {
        let rules = rules();
        let r = resolve(
            &rules,
            &Tailoring::default(),
            &Request {
                profile: DEFAULT_PROFILE,
                ..Request::default()
            },
        )
        .expect("the default profile resolves");
        assert_eq!(r.selection.ids, default_profile_ids(&rules));
        assert!(!r.selection.ids.is_empty());
    }

    #[test]
    fn only_skip_and_vars_are_checked_against_the_rules() {
        let rules = rules();
        let t = Tailoring::default();
        let id = default_profile_ids(&rules).into_iter().next().unwrap();
        let req = |only: &'static [String], skip: &'static [String], vars: &'static [String]| Request {
            profile: DEFAULT_PROFILE,
            only,
            skip,
            vars,
        };
        let only = Box::leak(Box::new([id.clone()]));
        let r = resolve(&rules, &t, &req(only, &[], &[])).unwrap();
        assert_eq!(r.selection.ids, BTreeSet::from([id.clone()]));
        let typo = Box::leak(Box::new([format!("{id}x")]));
        let e = resolve(&rules, &t, &req(&[], typo, &[])).unwrap_err();
        assert!(
            matches!(&e, ConfigError::UnknownRule { hint: Some(h), .. } if *h == id),
            "{e}"
        );
        let bad_var = Box::leak(Box::new(["novalue".to_owned()]));
        assert!(matches!(
            resolve(&rules, &t, &req(&[], &[], bad_var)),
            Err(ConfigError::VarSyntax(_))
        ));
        let e = resolve(
            &rules,
            &t,
            &Request {
                profile: "no-such-profile",
                ..Request::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains(DEFAULT_PROFILE), "{e}");
    }
}
