//! What a scan produces: [`Report`], its [`Finding`]s and their [`Status`], and the waiver
//! ([`Applied`]) a finding may carry. Evaluation (`eval`) builds reports, waivers (`waivers`)
//! amend them and the renderers (`report`) print them; all three depend on this module and none
//! on another's types.

use std::collections::BTreeMap;

use serde::Serialize;

use serde_json::Value;

use crate::facts::{Source, Target};
use crate::i18n::{Lang, Localized};
use crate::rules::Severity;

/// The outcome of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The check failed.
    Fail,
    /// The rule could not be evaluated; `reason` says why.
    Error,
    /// The check failed, and a waiver accepts the failure (see `waiver`).
    Waived,
    /// The check held.
    Pass,
    /// The rule does not apply to this target; `reason` says why.
    NotApplicable,
}

impl Status {
    /// All statuses, in report order.
    pub const ALL: [Status; 5] = [
        Status::Fail,
        Status::Error,
        Status::Waived,
        Status::Pass,
        Status::NotApplicable,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Waived => "waived",
            Status::NotApplicable => "not-applicable",
        }
    }
}

/// A fact collector's message for a fact it could not give, and whether the read was refused by
/// the file's permissions (set from the typed error where the read failed, never from the words).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FactReason {
    /// The collector's message (English in every language).
    pub text: String,
    /// The file's permissions refused the read (`EACCES`, `EPERM`).
    pub permission_denied: bool,
}

impl From<&str> for FactReason {
    fn from(text: &str) -> Self {
        FactReason {
            text: text.to_owned(),
            permission_denied: false,
        }
    }
}

impl From<String> for FactReason {
    fn from(text: String) -> Self {
        FactReason {
            text,
            permission_denied: false,
        }
    }
}

impl From<FactReason> for String {
    fn from(r: FactReason) -> Self {
        r.text
    }
}

impl std::fmt::Display for FactReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// One rule's result, with everything a report needs.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Rule id.
    pub id: String,
    /// Rule title.
    pub title: String,
    /// Area (first component of the id).
    pub area: String,
    /// Severity (after overrides).
    pub severity: Severity,
    /// The outcome.
    pub status: Status,
    /// Why, for error and not-applicable (and for failures decided by `error_when`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The error is a read the file's permissions refused: a scan as root would read it. Not
    /// part of the JSON report.
    #[serde(skip)]
    pub permission_denied: bool,
    /// The facts read, their values and sources.
    pub evidence: Vec<Evidence>,
    /// Why the rule matters.
    pub rationale: String,
    /// What to do about a failure.
    pub remediation: String,
    /// Benchmark sections and external rule ids.
    pub references: BTreeMap<String, String>,
    /// The waiver that accepts this failure, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Applied>,
    /// The in-image file the remediation changes (the rule's `fix_file`), where SARIF locates a
    /// failure no file decided. Not part of the JSON report.
    #[serde(skip)]
    pub fix_file: Option<String>,
    /// How long the rule took to evaluate (JUnit's `time`). Not part of the JSON report.
    #[serde(skip)]
    pub elapsed: std::time::Duration,
    /// The language of the text fields (see [`crate::i18n::localize`]). Not part of the JSON
    /// report (the report's `lang` is).
    #[serde(skip)]
    pub lang: Lang,
    /// The finding's text in the other languages (see [`crate::i18n::localize_rule`]). Not part of
    /// the JSON report.
    #[serde(skip)]
    pub localized: BTreeMap<Lang, Localized>,
}

/// Counts by status, and failures by severity.
#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rules evaluated.
    pub total: usize,
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Ended in error.
    pub error: usize,
    /// Not applicable.
    pub not_applicable: usize,
    /// Failed, but waived.
    pub waived: usize,
    /// Failed findings per severity.
    pub fail_by_severity: BTreeMap<Severity, usize>,
}

/// Identifies the tool in reports.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// "imagegate".
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// Header facts about the target shown atop every report.
#[derive(Debug, Clone, Serialize)]
pub struct Host {
    /// PRETTY_NAME, when known.
    pub os: Option<String>,
    /// os-release ID and VERSION_ID, when known.
    pub release: Option<String>,
    /// The hostname (/etc/hostname), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The kernel the image boots, when a collector provides it (see [`crate::eval::HOST_KERNEL_FACTS`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// The cloud image id, when the image records one (see [`crate::eval::HOST_IMAGE_ID_FACTS`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// The cloud platform or, failing that, the DMI vendor (see [`crate::eval::HOST_PLATFORM_FACTS`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The account that owns the instance (see [`crate::eval::HOST_OWNER_FACTS`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// The result of one scan.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Schema identifier of this JSON document (see docs/output.md).
    pub schema: &'static str,
    /// The tool.
    pub tool: Tool,
    /// The profile evaluated.
    pub profile: String,
    /// What was scanned.
    pub target: Target,
    /// Header facts.
    pub host: Host,
    /// Counts.
    pub summary: Summary,
    /// One per rule, sorted by id.
    pub findings: Vec<Finding>,
    /// How long the scan took, when the caller measured it (JUnit's `time`). Not part of the
    /// JSON report.
    #[serde(skip)]
    pub elapsed: Option<std::time::Duration>,
    /// The language of the findings' text fields; absent from the JSON report when English.
    #[serde(skip_serializing_if = "Lang::is_default")]
    pub lang: Lang,
}

impl Report {
    /// How many rules ended in error because the file's permissions refused a read: the findings
    /// each say so, but the fix (a scan as root) is the same for all of them.
    pub fn permission_denied(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.status == Status::Error && f.permission_denied)
            .count()
    }
}

/// Schema identifier of the JSON report.
pub const SCHEMA: &str = "imagegate.report/v1";

/// Counts findings by status, and failures by severity.
pub fn summarize(findings: &[Finding]) -> Summary {
    let mut summary = Summary {
        total: findings.len(),
        ..Summary::default()
    };
    for f in findings {
        match f.status {
            Status::Pass => summary.pass += 1,
            Status::Fail => {
                summary.fail += 1;
                *summary.fail_by_severity.entry(f.severity).or_default() += 1;
            }
            Status::Error => summary.error += 1,
            Status::NotApplicable => summary.not_applicable += 1,
            Status::Waived => summary.waived += 1,
        }
    }
    summary
}

/// A waiver in effect on a finding, as reported.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Applied {
    /// Why.
    pub reason: String,
    /// Who.
    pub owner: String,
    /// Until when.
    pub expires: String,
    /// Where it was written.
    pub origin: String,
    /// The status the finding would have had.
    pub original_status: Status,
}

/// One piece of evidence: a fact that was read, its value and where it came from. The sources are
/// typed from here to every renderer: a report never parses them back out of the value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The fact path.
    pub fact: String,
    /// The value found (`null` when absent).
    pub value: Value,
    /// The file and line that decided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// What the winning value overrode.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shadowed: Vec<Shadow>,
    /// Why the value is missing, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// When the value is a list of records, each record's own source (the record's `source`
    /// field), in order. Already in `value` for the JSON report.
    #[serde(skip)]
    pub item_sources: Vec<Option<Source>>,
    /// For a quantifier that found no item deciding it, how many items it checked (`value` then
    /// says so in English; a report in another language says it in its own). Not in the JSON.
    #[serde(skip)]
    pub checked: Option<usize>,
}

/// A value the winner overrode, and where it was set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shadow {
    /// The overridden value.
    pub value: Value,
    /// Where it was set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// The `source` field of a record in the facts, typed.
fn record_source(v: &Value) -> Option<Source> {
    v.get("source")
        .and_then(|s| serde_json::from_value::<Source>(s.clone()).ok())
}

impl Evidence {
    /// A fact that could not be read, and why.
    pub fn unavailable(fact: String, reason: impl Into<String>) -> Self {
        Evidence {
            unavailable: Some(reason.into()),
            ..Evidence::value(fact, Value::Null, None)
        }
    }

    /// A value and the source that decided it (none: absent, or a count).
    pub fn value(fact: String, value: Value, source: Option<Source>) -> Self {
        Evidence {
            fact,
            value,
            source,
            shadowed: Vec::new(),
            unavailable: None,
            item_sources: Vec::new(),
            checked: None,
        }
    }

    /// A node of the facts as the evaluator found it: its value, the source that decided it and
    /// what it shadowed (the JSON of a `Fact`), or a record whose own `source` field is the
    /// source. The sources are typed here, once.
    pub fn found(fact: String, value: &Value, source: Option<&Value>, shadowed: Option<&Value>) -> Self {
        let source = source.and_then(|s| serde_json::from_value::<Source>(s.clone()).ok());
        let shadowed = shadowed
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|sh| Shadow {
                        value: sh.get("value").cloned().unwrap_or(Value::Null),
                        source: record_source(sh),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let item_sources = match value {
            Value::Array(items) => items.iter().map(record_source).collect(),
            _ => Vec::new(),
        };
        Evidence {
            shadowed,
            item_sources,
            ..Evidence::value(fact, value.clone(), source)
        }
    }

    /// A record that decided a quantifier (an offender, a witness), its own `source` the source.
    pub fn record(fact: String, record: Value) -> Self {
        let source = record_source(&record);
        Evidence::value(fact, record, source)
    }
}
