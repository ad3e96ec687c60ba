//! The JUnit XML report, for CI test views (GitLab's `artifacts:reports:junit`, Jenkins' `junit`
//! step): one `<testsuite>` per area (`ssh`, `kernel`, …, sorted), one `<testcase>` per rule.
//!
//! The shape follows what those readers take (the Ant/Surefire dialect): `<testsuites>` with
//! `tests`/`failures`/`errors`/`skipped` counts, each `<testcase>` with `name` (the rule id, stable
//! across runs so CI history follows a rule) and `classname` (`imagegate.<area>`, which Jenkins
//! splits into package and class). A status becomes:
//! - fail → `<failure message="{remediation, first line}" type="{severity}">` whose text is the
//!   title, the evidence (fact = value (file:line)) and the full remediation;
//! - error → `<error message="{reason}" type="error">` with the evidence read so far;
//! - not-applicable → `<skipped message="{reason}"/>`;
//! - pass → an empty testcase.
//!
//! Built with quick-junit rather than by hand: it escapes attributes and text, drops characters
//! XML 1.0 cannot carry (a hostile image's NUL or escape bytes in an evidence value), and writes
//! no timestamp, hostname or duration unless asked — so the output is deterministic.
use std::collections::BTreeMap;
use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::eval::{Finding, Report, Status};

/// The text body of a `<failure>`/`<error>`: title, reason, evidence, remediation.
fn description(f: &Finding) -> String {
    let mut s = format!("{} [{}]: {}\n", f.id, f.severity, f.title);
    if let Some(r) = &f.reason {
        s.push_str(&format!("reason: {r}\n"));
    }
    let ev = super::evidence_lines(f);
    if !ev.is_empty() {
        s.push_str("evidence:\n");
        for l in ev {
            s.push_str(&format!("  {l}\n"));
        }
    }
    if f.status == Status::Fail {
        s.push_str(&format!(
            "remediation:\n  {}\n",
            f.remediation.trim().replace('\n', "\n  ")
        ));
    }
    s
}

fn testcase(f: &Finding) -> TestCase {
    let status = match f.status {
        Status::Pass => TestCaseStatus::success(),
        Status::Fail => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let first = f.remediation.trim().lines().next().unwrap_or("");
            st.set_message(if first.is_empty() { f.title.as_str() } else { first })
                .set_type(f.severity.as_str())
                .set_description(description(f));
            st
        }
        Status::Error => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_message(f.reason.as_deref().unwrap_or("the rule could not be evaluated"))
                .set_type("error")
                .set_description(description(f));
            st
        }
        Status::Waived => {
            let mut st = TestCaseStatus::skipped();
            let msg = f.waiver.as_ref().map_or_else(
                || "waived".to_owned(),
                |w| format!("waived until {} by {}: {}", w.expires, w.owner, w.reason),
            );
            st.set_message(msg).set_type("waived");
            st
        }
        Status::NotApplicable => {
            let mut st = TestCaseStatus::skipped();
            st.set_message(f.reason.as_deref().unwrap_or("not applicable"))
                .set_type("not-applicable");
            st
        }
    };
    let mut tc = TestCase::new(f.id.as_str(), status);
    tc.set_classname(format!("imagegate.{}", f.area));
    tc
}

/// Builds the JUnit document (exposed for tests and embedding).
pub fn build(report: &Report) -> JunitReport {
    let mut areas: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        areas.entry(f.area.as_str()).or_default().push(f);
    }
    let mut doc = JunitReport::new(format!("imagegate {}", report.profile));
    for (area, findings) in areas {
        let mut suite = TestSuite::new(area);
        suite.add_test_cases(findings.into_iter().map(testcase));
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
