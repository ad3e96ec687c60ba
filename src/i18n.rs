//! The languages a report can be written in: which one a scan uses, the catalog of the report's
//! own words, and the engine's reasons rendered in each language.
//!
//! English is the default. `--lang zh-CN` writes the report in Simplified Chinese; without
//! `--lang`, a zh_CN locale (the first of LC_ALL, LC_MESSAGES and LANG that is set) does the same,
//! but only when stdout is a terminal: a CI log or a file keeps the same (English) words whoever's
//! shell produced it.
//!
//! What is translated: a rule's own text (title, rationale, remediation, not-applicable and
//! `error_when` reasons) comes from its `[rule.zh-CN]` table; the engine's reasons are typed
//! ([`Reason`], [`Problem`]) and rendered here; the report's own words (headers, status and
//! severity names, summary lines, table headings) come from [`Words`]. A fact collector's message
//! ("cannot read /etc/shadow: permission denied") stays in English behind a translated prefix.
//! Ids, fact paths, values, file names and the JSON report's field names never change: the JSON
//! report carries the translated text in its text fields (`title`, `rationale`, `remediation`,
//! `reason`) and says which language they are in (`lang`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::eval::{Report, Status};
use crate::rules::{Rule, Severity};

/// A report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Simplified Chinese (`zh-CN`).
    ZhCn,
}

/// A `--lang` that names no supported language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report language {0:?}: the supported languages are en and zh-CN")]
pub struct UnknownLang(pub String);

impl Lang {
    /// Every supported language, the default first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The language tag (`en`, `zh-CN`): the `--lang` value, the JSON report's `lang`, HTML's
    /// `lang` attribute, and the key of a rule's translation table.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// Whether this is the default language (the JSON report then has no `lang` field).
    pub fn is_default(&self) -> bool {
        *self == Lang::En
    }

    /// Parses a language tag, case-insensitively: `en`, `zh-CN` (also `zh_CN` and `zh-Hans`).
    pub fn parse(s: &str) -> Result<Lang, UnknownLang> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "en" | "en-us" | "en-gb" => Ok(Lang::En),
            "zh-cn" | "zh-hans" | "zh-hans-cn" => Ok(Lang::ZhCn),
            _ => Err(UnknownLang(s.to_owned())),
        }
    }

    /// The language of a locale value (`zh_CN.UTF-8`, `zh_CN`, `C`, `en_US.UTF-8`): Chinese for a
    /// zh_CN (or zh_SG, zh_Hans) locale, English for anything else.
    pub fn of_locale(value: &str) -> Lang {
        let name = value.split(['.', '@']).next().unwrap_or("").replace('-', "_");
        match name.as_str() {
            "zh_CN" | "zh_SG" | "zh_Hans" | "zh_Hans_CN" => Lang::ZhCn,
            _ => Lang::En,
        }
    }

    /// The language a scan writes in: `flag` when given; otherwise, when stdout is a terminal,
    /// the locale's (the first of LC_ALL, LC_MESSAGES and LANG that is set and not empty, as
    /// POSIX orders them, read through `env`); otherwise English.
    pub fn choose(flag: Option<Lang>, terminal: bool, env: impl Fn(&str) -> Option<String>) -> Lang {
        if let Some(l) = flag {
            return l;
        }
        if !terminal {
            return Lang::En;
        }
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .find_map(|k| env(k).filter(|v| !v.is_empty()))
            .map_or(Lang::En, |v| Lang::of_locale(&v))
    }

    /// The language of a rule translation table's key (`zh-CN`).
    pub fn of_tag(tag: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.tag() == tag)
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

impl serde::Serialize for Lang {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.tag())
    }
}

/// `--lang`'s value parser: a usage error names the supported languages.
pub fn parse_arg(s: &str) -> Result<Lang, String> {
    Lang::parse(s).map_err(|e| e.to_string())
}

/// An error in a rule itself, found while evaluating it (the rule, not the image, is at fault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A variable the rule uses has no value.
    NoValue(String),
    /// `in`/`not_in` was given something other than a list.
    InNeedsList,
    /// `set_in_file` was applied to a value rather than a fact.
    SetInFileNeedsFact,
    /// A quantifier's fact is not a list (`name`, and what it is instead).
    NotAList {
        /// The fact.
        name: String,
        /// What it is (`a string`, …).
        kind: String,
    },
    /// A list operator (`subset_of`, `disjoint_from`) was applied to a value that is not a list,
    /// or given an operand that is not one.
    NeedsList {
        /// The operator.
        op: String,
        /// What it got instead (`a string "aes128-ctr,…"`, `nothing`).
        got: String,
    },
    /// An operand could not be read as the operator needs it (`"10:30"` has no third `:` field).
    BadOperand {
        /// The operator.
        op: String,
        /// The operand's value.
        value: String,
        /// What was needed.
        want: String,
    },
}

/// Why a rule ended in error or not-applicable, kept typed until a report renders it in its
/// language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A fact collector's own message (English in every language, behind a translated prefix).
    Fact(crate::model::FactReason),
    /// Errors in the rule itself.
    Rule(Vec<Problem>),
    /// The rule names distribution families and the os facts are unavailable (the collector's
    /// message).
    NoDistribution(crate::model::FactReason),
    /// The rule is for other distribution families.
    OtherFamily {
        /// The rule's families, `/`-joined.
        families: String,
        /// This target's family.
        family: String,
    },
    /// `applies_when` is false: the rule's `not_applicable` text.
    NotApplicable,
    /// The rule's `error_when` condition of this index holds: its reason.
    ErrorWhen(usize),
}

/// A reason in `lang`: the rule's own text (its translation when it has one, else its English),
/// or the engine's words from the catalog. `{var}` placeholders are left for the caller to fill.
pub fn reason(lang: Lang, r: &Reason, rule: &Rule) -> String {
    let tr = rule.translations.get(lang.tag());
    let zh = lang == Lang::ZhCn;
    match r {
        Reason::Fact(m) if zh => format!("采集器未能给出所需信息（原文）：{m}"),
        Reason::Fact(m) => m.text.clone(),
        Reason::Rule(ps) => ps.iter().map(|p| problem(lang, p)).collect::<Vec<_>>().join("; "),
        Reason::NoDistribution(m) if zh => format!("无法判断发行版（原文）：{m}"),
        Reason::NoDistribution(m) => format!("cannot tell the distribution: {m}"),
        Reason::OtherFamily { families, family } if zh => {
            format!("本规则适用于 {families} 系列发行版，当前系统为 {family}")
        }
        Reason::OtherFamily { families, family } => format!("applies to the {families} family, this is {family}"),
        Reason::NotApplicable => match (tr.and_then(|t| t.not_applicable.clone()), &rule.not_applicable) {
            (Some(t), _) => t,
            (None, Some(en)) => en.clone(),
            (None, None) if zh => "规则的适用条件（applies_when）不成立".to_owned(),
            (None, None) => "the rule's applies_when condition is false".to_owned(),
        },
        Reason::ErrorWhen(i) => tr
            .and_then(|t| t.error_when.get(*i).cloned())
            .or_else(|| rule.error_when.get(*i).map(|e| e.reason.clone()))
            .unwrap_or_default(),
    }
}

/// A rule problem in `lang`.
pub fn problem(lang: Lang, p: &Problem) -> String {
    match (lang, p) {
        (Lang::En, Problem::NoValue(n)) => format!("variable `{n}` has no value"),
        (Lang::ZhCn, Problem::NoValue(n)) => format!("变量 `{n}` 没有取值"),
        (Lang::En, Problem::InNeedsList) => "`in` needs a list".to_owned(),
        (Lang::ZhCn, Problem::InNeedsList) => "`in` 需要一个列表".to_owned(),
        (Lang::En, Problem::SetInFileNeedsFact) => "`set_in_file` tests a fact, not a value".to_owned(),
        (Lang::ZhCn, Problem::SetInFileNeedsFact) => "`set_in_file` 用于检查事实项，而不是取值".to_owned(),
        (Lang::En, Problem::NotAList { name, kind }) => format!("{name} is {kind}, not a list"),
        (Lang::ZhCn, Problem::NotAList { name, kind }) => format!("{name} 是 {kind}，不是列表"),
        (Lang::En, Problem::NeedsList { op, got }) => format!("`{op}` needs a list, got {got}"),
        (Lang::ZhCn, Problem::NeedsList { op, got }) => format!("`{op}` 需要一个列表，实际是 {got}"),
        (Lang::En, Problem::BadOperand { op, value, want }) => format!("`{op}`: {value} is not {want}"),
        (Lang::ZhCn, Problem::BadOperand { op, value, want }) => format!("`{op}`：{value} 不是{want}"),
    }
}

/// The evidence of a quantifier that found nothing: `N item(s) checked, none matched`.
pub fn none_matched(lang: Lang, n: usize) -> String {
    match lang {
        Lang::En => format!("{n} item(s) checked, none matched"),
        Lang::ZhCn => format!("已检查 {n} 项，无一匹配"),
    }
}

/// A finding's text in one language (see [`crate::eval::Finding::localized`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Localized {
    /// The title, variables filled.
    pub title: String,
    /// Why it matters.
    pub rationale: String,
    /// What to do.
    pub remediation: String,
    /// The reason, variables filled.
    pub reason: Option<String>,
}

/// A finding's text in every language but English: the rule's translation where it has one (its
/// English text where it has none), the engine's reason in that language.
pub fn localize_rule(
    rule: &Rule,
    why: Option<&Reason>,
    vars: &BTreeMap<String, serde_json::Value>,
) -> BTreeMap<Lang, Localized> {
    Lang::ALL
        .into_iter()
        .filter(|l| !l.is_default())
        .map(|lang| {
            let tr = rule.translations.get(lang.tag());
            let pick = |t: Option<&String>, en: &String| t.unwrap_or(en).clone();
            let text = Localized {
                title: crate::rules::fill(&pick(tr.map(|t| &t.title), &rule.title), vars),
                rationale: pick(tr.map(|t| &t.rationale), &rule.rationale),
                remediation: pick(tr.map(|t| &t.remediation), &rule.remediation),
                reason: why.map(|r| crate::rules::fill(&reason(lang, r, rule), vars)),
            };
            (lang, text)
        })
        .collect()
}

/// The report in `lang`: each finding's text fields replaced by its text in that language (a
/// finding with none, such as one read back from JSON, keeps its English), the engine's words in
/// the evidence translated, and `lang` set. English is the report as it is.
pub fn localize(report: &Report, lang: Lang) -> Cow<'_, Report> {
    if lang == report.lang {
        return Cow::Borrowed(report);
    }
    let mut r = report.clone();
    r.lang = lang;
    for f in &mut r.findings {
        f.lang = lang;
        if let Some(t) = f.localized.get(&lang) {
            f.title = t.title.clone();
            f.rationale = t.rationale.clone();
            f.remediation = t.remediation.clone();
            if t.reason.is_some() {
                f.reason = t.reason.clone();
            }
        }
        for e in &mut f.evidence {
            if let Some(n) = e.checked {
                e.value = serde_json::Value::from(none_matched(lang, n));
            }
        }
    }
    Cow::Owned(r)
}

/// The report's own words in one language. Templates name their arguments in braces (filled with
/// [`fill`]).
#[derive(Debug)]
pub struct Words {
    /// The text report's status labels, in [`Status::ALL`] order.
    pub status_label: [&'static str; 5],
    /// Status names in headings and counts, in [`Status::ALL`] order.
    pub status_name: [&'static str; 5],
    /// Severity names, in [`Severity::ALL`] order.
    pub severity: [&'static str; 5],
    /// `{version} {profile} {os} {root} {mode} {as_of}`.
    pub header: &'static str,
    /// Where the OS is not known.
    pub unknown_os: &'static str,
    /// Scan modes.
    pub live: &'static str,
    /// Scan modes.
    pub offline: &'static str,
    /// Provenance keys: kernel, image, platform, owner.
    pub provenance: [&'static str; 4],
    /// `{mounts}`.
    pub mounted: &'static str,
    /// Label before a reason.
    pub reason: &'static str,
    /// Label before the first line of the remediation.
    pub fix: &'static str,
    /// `{expires} {owner} {origin} {reason}`.
    pub waived_until: &'static str,
    /// `{id} {cause}`.
    pub same_cause: &'static str,
    /// `{statuses}`.
    pub no_finding_is: &'static str,
    /// `{show} {hidden}`.
    pub not_shown: &'static str,
    /// Joins alternatives (`fail or error`).
    pub or: &'static str,
    /// `{total} {fail} {error} {waived} {pass} {na}`; `{fail}` is [`Words::fail_count`].
    pub summary: &'static str,
    /// `{n}`, or `{n} {by}` with the failures by severity.
    pub fail_count: &'static str,
    /// `{n} {by}`.
    pub fail_count_by: &'static str,
    /// Evidence: a fact no file sets.
    pub not_set: &'static str,
    /// Evidence: `{fact} … {why}`.
    pub unavailable: &'static str,
    /// Evidence: a shadowed value.
    pub shadows: &'static str,
    /// Evidence: `{n}` records.
    pub items: &'static str,
    /// Evidence: `{n}` more.
    pub more: &'static str,
    /// HTML: group headings, in [`Status::ALL`] order.
    pub group_heading: [&'static str; 5],
    /// HTML: fact labels: release, kernel, image id, platform, owner, profile, root, as of.
    pub host_labels: [&'static str; 8],
    /// HTML: `{n}` rules in error.
    pub verdict_error: &'static str,
    /// HTML: `{n}` failing.
    pub verdict_fail: &'static str,
    /// HTML: nothing fails.
    pub verdict_ok: &'static str,
    /// HTML: `{n}` rules evaluated, then the shown count.
    pub evaluated: &'static str,
    /// HTML: shown.
    pub shown: &'static str,
    /// HTML: chart captions (by status, by severity).
    pub charts: [&'static str; 2],
    /// HTML: filter labels (status, severity, area) and "all".
    pub filters: [&'static str; 4],
    /// HTML: evidence table headings (fact, value, decided by).
    pub evidence_head: [&'static str; 3],
    /// HTML: "no file sets it".
    pub no_file_sets_it: &'static str,
    /// HTML: reason headings: error, not-applicable, other.
    pub reason_heading: [&'static str; 3],
    /// HTML/SARIF: remediation and rationale headings.
    pub remediation: &'static str,
    /// HTML/SARIF: rationale heading.
    pub why_it_matters: &'static str,
    /// HTML: no rules.
    pub no_rules: &'static str,
    /// HTML: no finding matches the filters.
    pub no_match: &'static str,
    /// JUnit/SARIF: an error with no reason.
    pub not_evaluated: &'static str,
    /// JUnit: a not-applicable with no reason.
    pub not_applicable: &'static str,
    /// JUnit: `{expires} {owner} {reason}`.
    pub waived_short: &'static str,
    /// JUnit: a waived finding with no waiver.
    pub waived: &'static str,
    /// JUnit: the evidence label.
    pub evidence_label: &'static str,
    /// JUnit: the remediation label.
    pub remediation_label: &'static str,
    /// SARIF: the word before a reason.
    pub reason_word: &'static str,
    /// SARIF: the references heading.
    pub references: &'static str,
    /// HTML: a shadowed value (`overrides`).
    pub overrides: &'static str,
}

/// English.
pub const EN: Words = Words {
    status_label: ["FAIL", "ERROR", "WAIVE", "PASS", "N/A"],
    status_name: ["fail", "error", "waived", "pass", "not-applicable"],
    severity: ["info", "low", "medium", "high", "critical"],
    header: "imagegate {version} · profile {profile} · {os} · root {root} ({mode}, as of {as_of})",
    unknown_os: "unknown OS",
    live: "live",
    offline: "offline",
    provenance: ["kernel", "image", "platform", "owner"],
    mounted: "mounted inside the root, read as the image's: {mounts}",
    reason: "reason: ",
    fix: "fix: ",
    waived_until: "waived until {expires} by {owner} ({origin}): {reason}",
    same_cause: "same cause as {id}: {cause}",
    no_finding_is: "no finding is {statuses}",
    not_shown: "not shown (--show {show}): {hidden}",
    or: " or ",
    summary: "{total} rules: {fail}, {error} error, {waived} waived, {pass} pass, {na} not-applicable",
    fail_count: "{n} fail",
    fail_count_by: "{n} fail ({by})",
    not_set: "not set",
    unavailable: "{fact} unavailable: {why}",
    shadows: "shadows",
    items: "{n} item(s)",
    more: "… and {n} more (see --format json)",
    group_heading: [
        "Failing",
        "Could not be evaluated",
        "Waived",
        "Passing",
        "Not applicable",
    ],
    host_labels: [
        "Release", "Kernel", "Image id", "Platform", "Owner", "Profile", "Root", "As of",
    ],
    verdict_error: "{n} rule(s) could not be evaluated: this scan cannot vouch for the image",
    verdict_fail: "{n} failing finding(s)",
    verdict_ok: "No failing findings",
    evaluated: "{n} rules evaluated",
    shown: "shown",
    charts: ["Findings by status", "Failures by severity"],
    filters: ["Status", "Severity", "Area", "all"],
    evidence_head: ["Fact", "Value", "Decided by"],
    no_file_sets_it: "no file sets it",
    reason_heading: ["Why it could not be evaluated", "Why it does not apply", "Reason"],
    remediation: "Remediation",
    why_it_matters: "Why it matters",
    no_rules: "No rules were evaluated.",
    no_match: "No finding matches these filters.",
    not_evaluated: "could not be evaluated",
    not_applicable: "not applicable",
    waived_short: "waived until {expires} by {owner}: {reason}",
    waived: "waived",
    evidence_label: "evidence:",
    remediation_label: "remediation:",
    reason_word: "reason",
    references: "References",
    overrides: "overrides",
};

/// Simplified Chinese, in the terms of 等保测评 reports.
pub const ZH_CN: Words = Words {
    status_label: ["不符合", "错误", "已豁免", "符合", "不适用"],
    status_name: ["不符合", "错误", "已豁免", "符合", "不适用"],
    severity: ["提示", "低", "中", "高", "严重"],
    header: "imagegate {version} · 检查基线 {profile} · {os} · 根目录 {root}（{mode}，检查日期 {as_of}）",
    unknown_os: "未知操作系统",
    live: "在线检查",
    offline: "离线检查",
    provenance: ["内核", "镜像", "平台", "所有者"],
    mounted: "根目录内挂载的文件系统（按镜像内容读取）：{mounts}",
    reason: "原因：",
    fix: "整改建议：",
    waived_until: "已豁免至 {expires}，负责人 {owner}（{origin}）：{reason}",
    same_cause: "原因同 {id}：{cause}",
    no_finding_is: "没有状态为 {statuses} 的检查结果",
    not_shown: "未显示（--show {show}）：{hidden}",
    or: "或",
    summary: "共 {total} 条规则：{fail}，{error} 条错误，{waived} 条已豁免，{pass} 条符合，{na} 条不适用",
    fail_count: "{n} 条不符合",
    fail_count_by: "{n} 条不符合（{by}）",
    not_set: "未设置",
    unavailable: "{fact} 无法获取：{why}",
    shadows: "被覆盖的值",
    items: "{n} 项",
    more: "… 另有 {n} 项（见 --format json）",
    group_heading: ["不符合项", "无法判定", "已豁免", "符合项", "不适用"],
    host_labels: [
        "版本",
        "内核",
        "镜像 ID",
        "平台",
        "所有者",
        "检查基线",
        "根目录",
        "检查日期",
    ],
    verdict_error: "{n} 条规则无法判定：本次检查不能为该镜像作出合规结论",
    verdict_fail: "{n} 个不符合项",
    verdict_ok: "未发现不符合项",
    evaluated: "共检查 {n} 条规则",
    shown: "条已显示",
    charts: ["按状态统计", "不符合项按严重程度统计"],
    filters: ["状态", "严重程度", "类别", "全部"],
    evidence_head: ["检查项", "取值", "判定依据"],
    no_file_sets_it: "没有文件设置此项",
    reason_heading: ["无法判定的原因", "不适用的原因", "原因"],
    remediation: "整改建议",
    why_it_matters: "风险说明",
    no_rules: "未检查任何规则。",
    no_match: "没有符合筛选条件的检查结果。",
    not_evaluated: "无法判定",
    not_applicable: "不适用",
    waived_short: "已豁免至 {expires}，负责人 {owner}：{reason}",
    waived: "已豁免",
    evidence_label: "证据：",
    remediation_label: "整改建议：",
    reason_word: "原因",
    references: "参考依据",
    overrides: "覆盖了",
};

/// The catalog of `lang`.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::ZhCn => &ZH_CN,
    }
}

impl Words {
    /// The label of a status in the text report.
    pub fn label(&self, s: Status) -> &'static str {
        self.status_label[Status::ALL.iter().position(|x| *x == s).unwrap_or(0)]
    }

    /// The name of a status.
    pub fn status(&self, s: Status) -> &'static str {
        self.status_name[Status::ALL.iter().position(|x| *x == s).unwrap_or(0)]
    }

    /// The heading of a status group.
    pub fn heading(&self, s: Status) -> &'static str {
        self.group_heading[Status::ALL.iter().position(|x| *x == s).unwrap_or(0)]
    }

    /// The name of a severity.
    pub fn sev(&self, s: Severity) -> &'static str {
        self.severity[Severity::ALL.iter().position(|x| *x == s).unwrap_or(0)]
    }
}

/// `template` with each `{name}` replaced by its value, in one pass: a value that itself holds
/// `{name}` (an os-release field from the image) is shown as it is.
pub fn fill(template: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 1..).unwrap_or_default();
        let arg = after
            .find('}')
            .and_then(|close| Some((close, args.iter().find(|(k, _)| Some(*k) == after.get(..close))?)));
        match arg {
            Some((close, (_, v))) => {
                out.push_str(&v.to_string());
                rest = after.get(close + 1..).unwrap_or_default();
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The columns `s` takes on a terminal: two for a wide (CJK) character, one otherwise.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

/// Whether `c` is an East Asian wide or fullwidth character (the CJK blocks a report uses).
pub fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6)
}

/// `s` padded with spaces to `cols` columns.
pub fn pad(s: &str, cols: usize) -> String {
    format!("{s}{}", " ".repeat(cols.saturating_sub(width(s))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_wins_and_a_locale_counts_only_on_a_terminal() {
        let env = |k: &str| (k == "LANG").then(|| "zh_CN.UTF-8".to_owned());
        assert_eq!(Lang::choose(None, true, env), Lang::ZhCn);
        assert_eq!(Lang::choose(None, false, env), Lang::En);
        assert_eq!(Lang::choose(Some(Lang::En), true, env), Lang::En);
        assert_eq!(Lang::choose(Some(Lang::ZhCn), false, |_| None), Lang::ZhCn);
        // LC_ALL comes first, then LC_MESSAGES, then LANG; an empty one is skipped.
        let env = |k: &str| match k {
            "LC_ALL" => Some(String::new()),
            "LC_MESSAGES" => Some("C".to_owned()),
            _ => Some("zh_CN.UTF-8".to_owned()),
        };
        assert_eq!(Lang::choose(None, true, env), Lang::En);
        assert_eq!(Lang::choose(None, true, |_| None), Lang::En);
    }

    #[test]
    fn tags_parse_and_an_unknown_one_names_the_supported_ones() {
        for (s, l) in [
            ("zh-CN", Lang::ZhCn),
            ("zh_cn", Lang::ZhCn),
            ("en", Lang::En),
            ("EN", Lang::En),
        ] {
            assert_eq!(Lang::parse(s), Ok(l), "{s}");
        }
        let e = parse_arg("fr").unwrap_err();
        assert!(e.contains("\"fr\"") && e.contains("en") && e.contains("zh-CN"), "{e}");
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.tag()), Ok(l));
            assert_eq!(Lang::of_tag(l.tag()), Some(l));
        }
    }

    #[test]
    fn templates_of_both_catalogs_name_the_same_arguments() {
        let pairs = [
            (EN.header, ZH_CN.header),
            (EN.mounted, ZH_CN.mounted),
            (EN.waived_until, ZH_CN.waived_until),
            (EN.same_cause, ZH_CN.same_cause),
            (EN.no_finding_is, ZH_CN.no_finding_is),
            (EN.not_shown, ZH_CN.not_shown),
            (EN.summary, ZH_CN.summary),
            (EN.fail_count, ZH_CN.fail_count),
            (EN.fail_count_by, ZH_CN.fail_count_by),
            (EN.unavailable, ZH_CN.unavailable),
            (EN.items, ZH_CN.items),
            (EN.more, ZH_CN.more),
            (EN.verdict_error, ZH_CN.verdict_error),
            (EN.verdict_fail, ZH_CN.verdict_fail),
            (EN.evaluated, ZH_CN.evaluated),
            (EN.waived_short, ZH_CN.waived_short),
        ];
        for (en, zh) in pairs {
            assert_eq!(
                crate::rules::placeholders(en),
                crate::rules::placeholders(zh),
                "{en} / {zh}"
            );
        }
    }

    #[test]
    fn fill_replaces_each_argument_once_and_never_inside_a_value() {
        let s = fill("{a} and {b} {c}", &[("a", &"{b}"), ("b", &1)]);
        assert_eq!(s, "{b} and 1 {c}");
    }

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(width("PASS"), 4);
        assert_eq!(width("不符合"), 6);
        assert_eq!(pad("符合", 5), "符合 ");
        assert_eq!(pad("FAIL", 5), "FAIL ");
    }
}
