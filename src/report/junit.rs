//! The JUnit XML report, for CI test views (GitLab's `artifacts:reports:junit`, Jenkins' `junit`
//! step): one `<testsuite>` per area (`ssh`, `kernel`, …, sorted), one `<testcase>` per rule.
//!
//! The shape follows what those readers take (the Ant/Surefire dialect): `<testsuites>` with
//! `tests`/`failures`/`errors`/`skipped` counts and the scan's `time`, each `<testcase>` with
//! `name` (the rule id, stable across runs so CI history follows a rule), `classname`
//! (`imagegate.<target>.<area>`, which Jenkins splits into package and class) and `time` (the
//! rule's evaluation). The target is the image's host name, or else the scanned root, so two
//! images scanned in one pipeline give two sets of tests rather than one set reported twice; the
//! testsuite's name says it too (`ssh @ web-01`). A status becomes:
//! - fail → `<failure message="{title}: {evidence summary}" type="{severity}">` whose text is the
//!   title, the evidence (one line per fact and per record, with file:line) and the remediation;
//! - error → `<error message="{reason}" type="error">` with the evidence read so far;
//! - waived and not-applicable → `<skipped message="{why}"/>`;
//! - pass → an empty testcase.
//!
//! Built with quick-junit rather than by hand: it escapes markup in attributes and text. Every
//! string is passed through [`names::display`] first, so what XML 1.0 cannot carry (NUL, escape
//! bytes, U+FFFE, U+FFFF) and what would mislead a reader (bidi controls) arrives as a visible
//! escape (`\x1b`, `\u{fffe}`) instead of being dropped silently or breaking the document.
use std::collections::BTreeMap;
use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::eval::{Finding, Report, Status};
use crate::i18n;
use crate::names;

/// `s` made safe for XML text (newlines kept) and readable ([`names::display`]).
fn xml(s: &str) -> String {
    names::display(s).into_owned()
}

/// `s` made safe for a one-line XML attribute ([`names::visible`]).
fn attr(s: &str) -> String {
    names::visible(s).into_owned()
}

/// Who was scanned: the image's host name, else the scanned root.
pub fn target_label(report: &Report) -> String {
    report
        .host
        .hostname
        .clone()
        .filter(|h| !h.trim().is_empty())
        .unwrap_or_else(|| report.target.root.clone())
}

/// The target as one `classname` component: letters, digits, `-` and `_` kept, the rest `_`
/// (a dot would split Jenkins' package).
fn class_component(label: &str) -> String {
    let s: String = label
        .trim_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "root".into() } else { s }
}

/// The text body of a `<failure>`/`<error>`: title, reason, evidence, remediation.
fn description(f: &Finding) -> String {
    let w = i18n::words(f.lang);
    let mut s = format!("{} [{}]: {}\n", f.id, w.sev(f.severity), f.title);
    if let Some(r) = &f.reason {
        s.push_str(&format!("{}{r}\n", w.reason));
    }
    let ev = super::evidence_lines(f);
    if !ev.is_empty() {
        s.push_str(w.evidence_label);
        s.push('\n');
        for l in ev {
            s.push_str(&format!("  {l}\n"));
        }
    }
    if f.status == Status::Fail {
        s.push_str(&format!(
            "{}\n  {}\n",
            w.remediation_label,
            f.remediation.trim().replace('\n', "\n  ")
        ));
    }
    s
}

fn testcase(f: &Finding, class: &str) -> TestCase {
    let w = i18n::words(f.lang);
    let status = match f.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Fail => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let summary = super::evidence_summary(f);
            let message = if summary.is_empty() {
                f.title.clone()
            } else {
                format!("{}: {summary}", f.title)
            };
            st.set_message(attr(&message))
                .set_type(f.severity.as_str())
                .set_description(xml(&description(f)));
            st
        }
        Status::Error => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_message(attr(f.reason.as_deref().unwrap_or(match f.lang {
                i18n::Lang::En => "the rule could not be evaluated",
                _ => w.not_evaluated,
            })))
            .set_type("error")
            .set_description(xml(&description(f)));
            st
        }
        Status::Waived => {
            let mut st = TestCaseStatus::skipped();
            let msg = f.waiver.as_ref().map_or_else(
                || w.waived.to_owned(),
                |wv| {
                    i18n::fill(
                        w.waived_short,
                        &[("expires", &wv.expires), ("owner", &wv.owner), ("reason", &wv.reason)],
                    )
                },
            );
            st.set_message(attr(&msg)).set_type("waived");
            st
        }
        Status::NotApplicable => {
            let mut st = TestCaseStatus::skipped();
            st.set_message(attr(f.reason.as_deref().unwrap_or(w.not_applicable)))
                .set_type("not-applicable");
            st
        }
    };
    let mut tc = TestCase::new(attr(&f.id), status);
    tc.set_classname(format!("imagegate.{class}.{}", attr(&f.area)))
        .set_time(f.elapsed);
    tc
}

/// Builds the JUnit document (exposed for tests and embedding).
pub fn build(report: &Report) -> JunitReport {
    let mut areas: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        areas.entry(f.area.as_str()).or_default().push(f);
    }
    let label = target_label(report);
    let class = class_component(&label);
    let mut doc = JunitReport::new(attr(&format!("imagegate {} @ {label}", report.profile)));
    if let Some(t) = report.elapsed {
        doc.set_time(t);
    }
    for (area, findings) in areas {
        let mut suite = TestSuite::new(attr(&format!("{area} @ {label}")));
        suite.set_time(findings.iter().map(|f| f.elapsed).sum());
        suite.add_test_cases(findings.into_iter().map(|f| testcase(f, &class)));
        doc.add_test_suite(suite);
    }
    doc
}

/// Writes the JUnit XML report.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // Serialized into memory first, so a write error reaches the caller as the io::Error it is
    // (a closed pipe stays a BrokenPipe) rather than wrapped in quick-junit's error type.
    let mut buf = Vec::new();
    build(report)
        .serialize(&mut buf)
        .map_err(|e| io::Error::other(format!("cannot build the JUnit report: {e}")))?;
    out.write_all(&buf)
}
