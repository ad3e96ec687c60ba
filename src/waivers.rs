//! Waivers: an accepted failure, with a reason, an owner and an expiry date.
//!
//! A waived finding is still reported, as `waived`, with the waiver beside it; it no longer makes
//! the exit code 1. A waiver past its expiry date stops applying and becomes a failing finding of
//! its own (`waivers.expired`), so an exception cannot outlive its deadline silently; one that
//! expires within the warning window (default 14 days) is a warning. A waiver naming a rule that
//! does not exist is an error: it is most likely a typo that would leave a failure unwaived, or a
//! renamed rule.
//!
//! ```toml
//! [[waiver]]
//! rule = "ssh.password-authentication-disabled"
//! reason = "bastion keeps passwords until the SSO migration"
//! owner = "platform-team@example.com"
//! expires = 2026-12-31
//! scope = { profile = "cloud-image", image_id = "ami-0abc*", hostname = "bastion-*" }
//! ```

use serde::{Deserialize, Serialize};

pub use crate::model::Applied;
use crate::model::{Finding, Report, Status};
use crate::rules::{RuleSet, Severity};
use crate::text::line_at;

/// Days before expiry at which a waiver is reported as expiring.
pub const DEFAULT_WARN_DAYS: i64 = 14;

/// Where a waiver applies; every given field must match (glob patterns, `*` and `?`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// Image id from cloud-init instance data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// The target's hostname (/etc/hostname).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The profile being evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// One waiver.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// The rule id waived.
    pub rule: String,
    /// Why the failure is accepted (required).
    pub reason: String,
    /// Who answers for it (required).
    pub owner: String,
    /// Last day (UTC) the waiver applies.
    pub expires: toml::value::Datetime,
    /// Where it applies (everywhere when absent).
    #[serde(default, skip_serializing_if = "is_default")]
    pub scope: Scope,
    /// `file:line` of the waiver.
    #[serde(skip_deserializing, default)]
    pub origin: String,
}

fn is_default(s: &Scope) -> bool {
    *s == Scope::default()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    waiver: Vec<toml::Spanned<Waiver>>,
}

/// A waivers file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WaiverError {
    /// Syntax, a missing field, an unknown key.
    #[error("{file}:{line}: {msg}")]
    Parse {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        msg: String,
    },
}

/// Parses a waivers file and checks it against the rule set: unknown rule ids, empty reasons or
/// owners, expiry values that are not plain dates, and a second waiver for the same rule and
/// scope (which of the two decides would be an accident of order) are errors that name the line.
pub fn parse(file: &str, text: &str, rules: &RuleSet) -> Result<Vec<Waiver>, WaiverError> {
    let parsed: File = toml::from_str(text).map_err(|e| WaiverError::Parse {
        file: file.to_owned(),
        line: e.span().map_or(1, |s| line_at(text, s.start)),
        msg: e.message().trim_end().to_owned(),
    })?;
    let mut out = Vec::new();
    for sp in parsed.waiver {
        let line = line_at(text, sp.span().start);
        let mut w = sp.into_inner();
        let err = |msg: String| WaiverError::Parse {
            file: file.to_owned(),
            line,
            msg,
        };
        if !rules.rules.contains_key(&w.rule) {
            return Err(err(format!(
                "waiver for unknown rule {:?} (see `imagegate rules list`)",
                w.rule
            )));
        }
        if w.reason.trim().is_empty() || w.owner.trim().is_empty() {
            return Err(err(format!(
                "waiver for {}: `reason` and `owner` must not be empty",
                w.rule
            )));
        }
        if w.expires.date.is_none() || w.expires.time.is_some() {
            return Err(err(format!(
                "waiver for {}: `expires` must be a date like 2026-12-31",
                w.rule
            )));
        }
        w.origin = format!("{file}:{line}");
        if let Some(first) = out.iter().find(|o: &&Waiver| o.rule == w.rule && o.scope == w.scope) {
            return Err(err(format!(
                "a second waiver for {} with the same scope (the first is at {}): keep one, or give each its own scope",
                w.rule, first.origin
            )));
        }
        out.push(w);
    }
    Ok(out)
}

/// The expiry as a civil date (validated by [`parse`]).
pub fn expiry(w: &Waiver) -> Option<jiff::civil::Date> {
    let d = w.expires.date?;
    jiff::civil::Date::new(
        i16::try_from(d.year).ok()?,
        i8::try_from(d.month).ok()?,
        i8::try_from(d.day).ok()?,
    )
    .ok()
}

/// Where a waiver stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Its expiry date has passed: the failure it accepted fails again.
    Expired,
    /// It expires within the warning window, in this many days (0: today is the last day).
    Expiring(i64),
    /// It holds beyond the warning window.
    Valid,
}

impl State {
    /// The state on `today` of a waiver that runs `until`, warned `warn_days` ahead.
    pub fn on(until: jiff::civil::Date, today: jiff::civil::Date, warn_days: i64) -> State {
        let days = i64::from((until - today).get_days());
        if until < today {
            State::Expired
        } else if days <= warn_days {
            State::Expiring(days)
        } else {
            State::Valid
        }
    }
}

/// One row of `imagegate waivers check`: a waiver, the day it runs to and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked<'w> {
    /// The waiver.
    pub waiver: &'w Waiver,
    /// Its last day.
    pub until: jiff::civil::Date,
    /// Its state on the day checked.
    pub state: State,
}

/// Every waiver's state on `today` (warned [`DEFAULT_WARN_DAYS`] ahead), in file order; a
/// waiver without a date counts as ending today.
pub fn check(waivers: &[Waiver], today: jiff::civil::Date) -> Vec<Checked<'_>> {
    waivers
        .iter()
        .map(|w| {
            let until = expiry(w).unwrap_or(today);
            Checked {
                waiver: w,
                until,
                state: State::on(until, today, DEFAULT_WARN_DAYS),
            }
        })
        .collect()
}

/// What applying waivers produced besides the waived findings.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Waivers that expire within the warning window (for a warning on stderr).
    pub expiring: Vec<String>,
}

fn scope_matches(scope: &Scope, report: &Report) -> bool {
    let glob = |pat: &Option<String>, val: Option<&str>| match pat {
        None => true,
        Some(p) => val.is_some_and(|v| crate::rootfs::fnmatch(p.as_bytes(), v.as_bytes())),
    };
    glob(&scope.profile, Some(report.profile.as_str()))
        && glob(&scope.hostname, report.host.hostname.as_deref())
        && glob(&scope.image_id, report.host.image_id.as_deref())
}

/// Applies waivers to a report: a matching, unexpired waiver turns a failing finding into
/// `waived`; an expired one adds a failing `waivers.expired` finding when its rule was evaluated
/// (a waiver for a rule the scan did not run — another profile, `--skip` — decides nothing
/// here; `imagegate waivers check` still reports it). Summary counts are redone.
pub fn apply(report: &mut Report, waivers: &[Waiver], as_of: jiff::civil::Date, warn_days: i64) -> Outcome {
    let mut outcome = Outcome::default();
    let mut extra = Vec::new();
    for w in waivers {
        if !scope_matches(&w.scope, report) {
            continue;
        }
        let Some(until) = expiry(w) else { continue };
        if !report.findings.iter().any(|f| f.id == w.rule) {
            continue;
        }
        let state = State::on(until, as_of, warn_days);
        if state == State::Expired {
            extra.push(Finding {
                id: "waivers.expired".into(),
                title: format!("the waiver for {} expired on {until}", w.rule),
                area: "waivers".into(),
                severity: Severity::High,
                status: Status::Fail,
                reason: Some(format!("{} (owner {}): {}", w.origin, w.owner, w.reason)),
                permission_denied: false,
                evidence: Vec::new(),
                rationale: "An exception that outlives its deadline is a failure nobody decided to accept.".into(),
                remediation: format!(
                    "Fix {} or renew the waiver at {} with a new expiry date.",
                    w.rule, w.origin
                ),
                references: Default::default(),
                waiver: None,
                fix_file: None,
                elapsed: std::time::Duration::ZERO,
                lang: crate::i18n::Lang::En,
                localized: [(
                    crate::i18n::Lang::ZhCn,
                    crate::i18n::Localized {
                        title: format!("{} 的豁免已于 {until} 到期", w.rule),
                        rationale: "豁免超过期限仍未整改，即成为无人决定接受的不符合项。".into(),
                        remediation: format!("整改 {}，或在 {} 处以新的到期日期续签豁免。", w.rule, w.origin),
                        reason: Some(format!("{}（负责人 {}）：{}", w.origin, w.owner, w.reason)),
                    },
                )]
                .into(),
            });
            continue;
        }
        if let State::Expiring(days_left) = state {
            outcome.expiring.push(format!(
                "the waiver for {} at {} expires on {until} ({days_left} days)",
                w.rule, w.origin
            ));
        }
        for f in report
            .findings
            .iter_mut()
            .filter(|f| f.id == w.rule && f.status == Status::Fail)
        {
            f.waiver = Some(Applied {
                reason: w.reason.clone(),
                owner: w.owner.clone(),
                expires: until.to_string(),
                origin: w.origin.clone(),
                original_status: f.status,
            });
            f.status = Status::Waived;
        }
    }
    report.findings.extend(extra);
    report
        .findings
        .sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.title.cmp(&b.title)));
    report.summary = crate::model::summarize(&report.findings);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
[[rule]]
id = "ssh.x"
title = "t"
severity = "high"
profiles = ["p"]
rationale = "r"
remediation = "m"
check = { fact = "os.id", eq = "x" }
"#;

    fn set() -> RuleSet {
        let mut s = RuleSet::default();
        for r in crate::rules::load::parse_file("rules/ssh.toml", RULES).unwrap() {
            s.rules.insert(r.id.clone(), r);
        }
        s
    }

    /// `waivers check` states: expired the day after the last, expiring from the warning window
    /// to the last day (0 days), valid before; in file order, one row a waiver.
    #[test]
    fn check_gives_each_waiver_its_state_on_the_day() {
        let text: String = ["2026-11-30", "2026-12-01", "2026-12-15", "2026-12-16", "2027-06-01"]
            .iter()
            .map(|d| {
                format!(
                    "[[waiver]]\nrule = \"ssh.x\"\nreason = \"r\"\nowner = \"o\"\nexpires = {d}\nscope = {{ hostname = \"h{d}\" }}\n"
                )
            })
            .collect();
        let list = parse("w.toml", &text, &set()).unwrap();
        let today = jiff::civil::date(2026, 12, 1);
        let rows = check(&list, today);
        let states: Vec<State> = rows.iter().map(|c| c.state).collect();
        assert_eq!(
            states,
            [
                State::Expired,
                State::Expiring(0),
                State::Expiring(14),
                State::Valid,
                State::Valid
            ]
        );
        assert_eq!(rows[0].until, jiff::civil::date(2026, 11, 30));
        assert!(rows.iter().zip(&list).all(|(c, w)| std::ptr::eq(c.waiver, w)));
        // The same states decide `apply`'s warnings and failures.
        for (c, d) in rows.iter().zip([-1i64, 0, 14, 15, 182]) {
            let want = match d {
                d if d < 0 => State::Expired,
                d if d <= DEFAULT_WARN_DAYS => State::Expiring(d),
                _ => State::Valid,
            };
            assert_eq!(c.state, want, "{d} days");
        }
    }

    #[test]
    fn unknown_rules_and_missing_owner_point_at_the_line() {
        let e = parse(
            "w.toml",
            "\n[[waiver]]\nrule = \"ssh.y\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2026-12-01\n",
            &set(),
        );
        assert!(
            e.unwrap_err()
                .to_string()
                .starts_with("w.toml:2: waiver for unknown rule")
        );
        let e = parse(
            "w.toml",
            "[[waiver]]\nrule = \"ssh.x\"\nreason = \"r\"\nexpires = 2026-12-01\n",
            &set(),
        );
        assert!(e.unwrap_err().to_string().contains("owner"));
        let e = parse(
            "w.toml",
            "[[waiver]]\nrule = \"ssh.x\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2026-12-01T10:00:00Z\n",
            &set(),
        );
        assert!(e.unwrap_err().to_string().contains("must be a date"));
    }

    #[test]
    fn a_second_waiver_for_the_same_rule_and_scope_is_an_error() {
        let one = |reason: &str, scope: &str| {
            format!("[[waiver]]\nrule = \"ssh.x\"\nreason = \"{reason}\"\nowner = \"o\"\nexpires = 2026-12-01\n{scope}")
        };
        let text = format!("{}\n{}", one("a", ""), one("b", ""));
        let e = parse("w.toml", &text, &set()).unwrap_err().to_string();
        assert!(e.starts_with("w.toml:7: a second waiver for ssh.x"), "{e}");
        assert!(e.contains("the first is at w.toml:1"), "{e}");
        // Different scopes are different waivers.
        let text = format!(
            "{}\n{}",
            one("a", "scope = { hostname = \"web*\" }\n"),
            one("b", "scope = { hostname = \"db*\" }\n")
        );
        assert_eq!(parse("w.toml", &text, &set()).unwrap().len(), 2);
    }
}
