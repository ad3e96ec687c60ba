//! `imagegate report merge`: many JSON reports (one per host of a fleet, or per image of a
//! build matrix) turned into one summary of which rules fail on how many hosts.
//!
//! Reads only the `imagegate.report/v1` JSON that `imagegate scan --format json` (or
//! `--report json=PATH`) writes (docs/output.md); any other document — another schema version, a
//! SARIF or JUnit file, a `facts` dump — is rejected with a message that names the file and what
//! to write instead, never half-merged. Of each report it reads the profile, the host header
//! and each finding's id, title, severity and status; evidence, rationale and remediation are
//! deliberately ignored (the per-host reports keep them, and a summary of 500 hosts must stay
//! small).
//!
//! A host is named by the report's `target.hostname` (the scanned /etc/hostname), then
//! `host.hostname`, then the report's file name without `.json`; two reports that end up with
//! the same name are told apart by appending their file name, so no host is ever counted twice
//! under one name without notice.
//!
//! A rule's severity in the summary is the highest any report gave it (tailoring can override
//! severities per host). Rules are listed by id in JSON, and by impact (severity, then hosts
//! failing, then hosts erroring) in text and HTML. Output is deterministic: hosts sorted by name,
//! no timestamps.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::eval::SCHEMA as REPORT_SCHEMA;
use crate::report::html::escape;
use crate::rules::Severity;

/// Schema identifier of the merged JSON summary.
pub const SCHEMA: &str = "imagegate.merge/v1";

/// Host names listed per rule in the text table before "+N more" (JSON and HTML list all).
const TEXT_NAMES: usize = 8;

/// A report that cannot be merged: the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {msg}")]
pub struct MergeError {
    /// The file as named on the command line.
    pub file: String,
    /// What is wrong, and what to do about it.
    pub msg: String,
}

/// The finding statuses of `imagegate.report/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum InStatus {
    Pass,
    Fail,
    Error,
    Waived,
    NotApplicable,
}

#[derive(Debug, Deserialize)]
struct InReport {
    tool: InTool,
    profile: String,
    target: InTarget,
    #[serde(default)]
    host: InHost,
    findings: Vec<InFinding>,
}

#[derive(Debug, Deserialize)]
struct InTool {
    version: String,
}

#[derive(Debug, Deserialize)]
struct InTarget {
    root: String,
    #[serde(default)]
    hostname: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct InHost {
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    release: Option<String>,
    #[serde(default)]
    hostname: Option<String>,
}

#[derive(Debug, Deserialize)]
struct InFinding {
    id: String,
    title: String,
    severity: Severity,
    status: InStatus,
}

/// The merged summary (`--format json`), schema `imagegate.merge/v1`.
#[derive(Debug, Clone, Serialize)]
pub struct Merged {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The version of imagegate that merged.
    pub tool_version: &'static str,
    /// Counts over hosts and rules.
    pub summary: FleetSummary,
    /// One per report, sorted by name.
    pub hosts: Vec<HostRow>,
    /// One per rule any report evaluated, sorted by id.
    pub rules: Vec<RuleRow>,
}

/// Counts over the whole fleet.
#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq)]
pub struct FleetSummary {
    /// Reports merged.
    pub hosts: usize,
    /// Hosts with at least one failing finding.
    pub hosts_failing: usize,
    /// Hosts with at least one error finding (some of them may also fail).
    pub hosts_erroring: usize,
    /// Hosts with neither.
    pub hosts_clean: usize,
    /// Distinct rules evaluated on any host.
    pub rules: usize,
    /// Rules that fail on at least one host.
    pub rules_failing: usize,
    /// Rules that end in error on at least one host.
    pub rules_erroring: usize,
}

/// Finding counts of one host.
#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq)]
pub struct Counts {
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Ended in error.
    pub error: usize,
    /// Failed, and a waiver accepts it.
    pub waived: usize,
    /// Not applicable.
    pub not_applicable: usize,
}

/// One host (one report).
#[derive(Debug, Clone, Serialize)]
pub struct HostRow {
    /// The host's name in this summary (see the module doc).
    pub name: String,
    /// The report file it came from.
    pub file: String,
    /// The scanned root (`/` for a live machine).
    pub root: String,
    /// os-release PRETTY_NAME, when the report has it.
    pub os: Option<String>,
    /// `ID VERSION_ID`, when the report has it.
    pub release: Option<String>,
    /// The profile scanned.
    pub profile: String,
    /// The imagegate version that wrote the report.
    pub tool_version: String,
    /// Its findings by status.
    pub counts: Counts,
}

/// One rule across the fleet: the hosts in each status, each list sorted.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    /// Rule id.
    pub id: String,
    /// Rule title (from the first report, by host name, that has the rule).
    pub title: String,
    /// The highest severity any report gave the rule.
    pub severity: Severity,
    /// Hosts where it failed.
    pub fail: Vec<String>,
    /// Hosts where it ended in error.
    pub error: Vec<String>,
    /// Hosts where it failed under a waiver.
    pub waived: Vec<String>,
    /// Hosts where it passed.
    pub pass: Vec<String>,
    /// Hosts where it did not apply.
    pub not_applicable: Vec<String>,
    /// Hosts whose report does not have the rule (another profile or `--only`/`--skip`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_evaluated: Vec<String>,
}

/// One parsed input report, before names are made unique.
struct Parsed {
    file: String,
    name: String,
    report: InReport,
}

/// The file name without directories and without `.json`: the fallback host name.
fn file_stem(file: &str) -> String {
    let base = file.rsplit('/').next().unwrap_or(file);
    base.strip_suffix(".json").unwrap_or(base).to_owned()
}

/// Parses one report, checking its schema first so that a wrong document gets a message about
/// what it is rather than a serde complaint about a missing field.
fn parse_report(file: &str, text: &str) -> Result<Parsed, MergeError> {
    let err = |msg: String| MergeError {
        file: file.to_owned(),
        msg,
    };
    let value: Value = serde_json::from_str(text).map_err(|e| {
        err(format!(
            "not JSON ({e}); merge reads the JSON reports of `imagegate scan --format json` or `--report json=PATH`"
        ))
    })?;
    match value.get("schema").and_then(Value::as_str) {
        Some(s) if s == REPORT_SCHEMA => {}
        Some(s) => {
            return Err(err(format!(
                "schema {s:?} is not {REPORT_SCHEMA:?}, the only report schema this imagegate merges (write the reports with this version's `imagegate scan --format json`)"
            )));
        }
        None if value.get("$schema").is_some() || value.get("runs").is_some() => {
            return Err(err(
                "this is a SARIF file, not an imagegate JSON report (write one with `--report json=PATH`)".into(),
            ));
        }
        None => {
            return Err(err(format!(
                "not an imagegate JSON report: no \"schema\": {REPORT_SCHEMA:?} field (write one with `imagegate scan --format json` or `--report json=PATH`)"
            )));
        }
    }
    let report: InReport =
        serde_json::from_value(value).map_err(|e| err(format!("a malformed {REPORT_SCHEMA} report: {e}")))?;
    let name = report
        .target
        .hostname
        .clone()
        .or_else(|| report.host.hostname.clone())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| file_stem(file));
    Ok(Parsed {
        file: file.to_owned(),
        name,
        report,
    })
}

/// Merges `(file name, contents)` pairs. Fails on the first report that is not an
/// `imagegate.report/v1` document.
pub fn merge(inputs: &[(String, String)]) -> Result<Merged, MergeError> {
    // The same report named twice would be two hosts of one name: its second copy's findings
    // would be dropped as repeats and the copy counted as a clean host.
    for (i, (file, _)) in inputs.iter().enumerate() {
        if inputs[..i].iter().any(|(f, _)| f == file) {
            return Err(MergeError {
                file: file.clone(),
                msg: "named twice; each report is merged once (one per host)".into(),
            });
        }
    }
    let mut parsed = inputs
        .iter()
        .map(|(file, text)| parse_report(file, text))
        .collect::<Result<Vec<_>, _>>()?;

    // Unique names: a duplicate gets its file name appended (every copy of it, so neither looks
    // like "the" host of that name).
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for p in &parsed {
        *seen.entry(p.name.clone()).or_default() += 1;
    }
    for p in &mut parsed {
        if seen.get(&p.name).is_some_and(|n| *n > 1) {
            p.name = format!("{} ({})", p.name, p.file);
        }
    }
    parsed.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.file.cmp(&b.file)));

    let mut hosts = Vec::with_capacity(parsed.len());
    let mut rules: BTreeMap<String, RuleRow> = BTreeMap::new();
    for p in &parsed {
        let mut counts = Counts::default();
        for f in &p.report.findings {
            let row = rules.entry(f.id.clone()).or_insert_with(|| RuleRow {
                id: f.id.clone(),
                title: f.title.clone(),
                severity: f.severity,
                fail: Vec::new(),
                error: Vec::new(),
                waived: Vec::new(),
                pass: Vec::new(),
                not_applicable: Vec::new(),
                not_evaluated: Vec::new(),
            });
            row.severity = row.severity.max(f.severity);
            let (list, count) = match f.status {
                InStatus::Fail => (&mut row.fail, &mut counts.fail),
                InStatus::Error => (&mut row.error, &mut counts.error),
                InStatus::Waived => (&mut row.waived, &mut counts.waived),
                InStatus::Pass => (&mut row.pass, &mut counts.pass),
                InStatus::NotApplicable => (&mut row.not_applicable, &mut counts.not_applicable),
            };
            // A report lists each rule once; a hand-edited one that repeats it counts once.
            if list.last() != Some(&p.name) {
                list.push(p.name.clone());
                *count += 1;
            }
        }
        hosts.push(HostRow {
            name: p.name.clone(),
            file: p.file.clone(),
            root: p.report.target.root.clone(),
            os: p.report.host.os.clone(),
            release: p.report.host.release.clone(),
            profile: p.report.profile.clone(),
            tool_version: p.report.tool.version.clone(),
            counts,
        });
    }
    for row in rules.values_mut() {
        for h in &hosts {
            let listed = [&row.fail, &row.error, &row.waived, &row.pass, &row.not_applicable]
                .iter()
                .any(|l| l.binary_search(&h.name).is_ok());
            if !listed {
                row.not_evaluated.push(h.name.clone());
            }
        }
    }
    let rules: Vec<RuleRow> = rules.into_values().collect();
    let summary = FleetSummary {
        hosts: hosts.len(),
        hosts_failing: hosts.iter().filter(|h| h.counts.fail > 0).count(),
        hosts_erroring: hosts.iter().filter(|h| h.counts.error > 0).count(),
        hosts_clean: hosts
            .iter()
            .filter(|h| h.counts.fail == 0 && h.counts.error == 0)
            .count(),
        rules: rules.len(),
        rules_failing: rules.iter().filter(|r| !r.fail.is_empty()).count(),
        rules_erroring: rules.iter().filter(|r| !r.error.is_empty()).count(),
    };
    Ok(Merged {
        schema: SCHEMA,
        tool_version: env!("CARGO_PKG_VERSION"),
        summary,
        hosts,
        rules,
    })
}

/// Rules by impact: highest severity, then most hosts failing, then most erroring, then id (a
/// critical failure on one host comes before a low one on every host).
fn by_impact(m: &Merged) -> Vec<&RuleRow> {
    let mut rows: Vec<&RuleRow> = m.rules.iter().collect();
    rows.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.fail.len().cmp(&a.fail.len()))
            .then_with(|| b.error.len().cmp(&a.error.len()))
            .then_with(|| a.id.cmp(&b.id))
    });
    rows
}

/// Names joined with ", ", cut after `limit` with "+N more".
fn names(list: &[String], limit: usize) -> String {
    let mut s = list.iter().take(limit).cloned().collect::<Vec<_>>().join(", ");
    if list.len() > limit {
        let _ = write!(s, " +{} more", list.len() - limit);
    }
    s
}

/// The profiles of the merged reports, sorted and deduplicated.
fn profiles(m: &Merged) -> Vec<&str> {
    let mut p: Vec<&str> = m.hosts.iter().map(|h| h.profile.as_str()).collect();
    p.sort_unstable();
    p.dedup();
    p
}

/// The text summary: fleet counts, one line per host, then the rules that fail or err on any
/// host, by impact. Every string read from a report (host names, releases, file names, rule
/// ids, profiles: a report is as hostile as the image it describes) is shown through
/// [`crate::names::visible`], so none can move the cursor or forge a line.
pub fn render_text(m: &Merged, out: &mut dyn Write) -> io::Result<()> {
    let v = |s: &str| crate::names::visible(s).into_owned();
    let s = &m.summary;
    writeln!(
        out,
        "imagegate report merge: {} hosts, profile {}",
        s.hosts,
        v(&profiles(m).join(", "))
    )?;
    writeln!(
        out,
        "{} failing, {} with errors, {} clean; {} of {} rules fail somewhere, {} end in error somewhere",
        s.hosts_failing, s.hosts_erroring, s.hosts_clean, s.rules_failing, s.rules, s.rules_erroring
    )?;
    let hw = m
        .hosts
        .iter()
        .map(|h| v(&h.name).chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    writeln!(
        out,
        "\n{:<hw$}  {:<16} {:>5} {:>6} {:>6} {:>5}  report",
        "host", "release", "fail", "error", "pass", "n/a"
    )?;
    for h in &m.hosts {
        writeln!(
            out,
            "{:<hw$}  {:<16} {:>5} {:>6} {:>6} {:>5}  {}",
            v(&h.name),
            v(h.release.as_deref().unwrap_or("-")),
            h.counts.fail,
            h.counts.error,
            h.counts.pass,
            h.counts.not_applicable,
            v(&h.file)
        )?;
    }
    let bad: Vec<&RuleRow> = by_impact(m)
        .into_iter()
        .filter(|r| !r.fail.is_empty() || !r.error.is_empty())
        .collect();
    if bad.is_empty() {
        writeln!(out, "\nno rule fails or ends in error on any host")?;
        return Ok(());
    }
    let iw = bad.iter().map(|r| v(&r.id).chars().count()).max().unwrap_or(4).max(4);
    let n = s.hosts;
    writeln!(
        out,
        "\n{:<iw$}  {:<8} {:>7} {:>6} {:>6}  hosts",
        "rule", "severity", "fail", "error", "pass"
    )?;
    for r in &bad {
        let mut who = String::new();
        if !r.fail.is_empty() {
            who.push_str(&names(&r.fail, TEXT_NAMES));
        }
        if !r.error.is_empty() {
            if !who.is_empty() {
                who.push_str("; ");
            }
            let _ = write!(who, "error: {}", names(&r.error, TEXT_NAMES));
        }
        writeln!(
            out,
            "{:<iw$}  {:<8} {:>7} {:>6} {:>6}  {}",
            v(&r.id),
            r.severity.as_str(),
            format!("{}/{n}", r.fail.len()),
            r.error.len(),
            r.pass.len(),
            v(&who),
        )?;
    }
    let rest = s.rules - bad.len();
    if rest > 0 {
        writeln!(
            out,
            "\n{rest} other rules pass or do not apply on every host that evaluated them"
        )?;
    }
    Ok(())
}

/// The JSON summary, pretty-printed.
pub fn render_json(m: &Merged, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, m)?;
    writeln!(out)
}

/// A bar of fail / error / pass / other widths, as percentages of the fleet.
fn bar(r: &RuleRow, hosts: usize) -> String {
    let pct = |n: usize| {
        if hosts == 0 {
            0.0
        } else {
            n as f64 * 100.0 / hosts as f64
        }
    };
    let other = hosts.saturating_sub(r.fail.len() + r.error.len() + r.pass.len());
    let mut s = String::from("<div class=\"bar\">");
    for (class, n) in [
        ("f", r.fail.len()),
        ("e", r.error.len()),
        ("p", r.pass.len()),
        ("o", other),
    ] {
        if n > 0 {
            let _ = write!(s, "<span class=\"{class}\" style=\"width:{:.2}%\"></span>", pct(n));
        }
    }
    s.push_str("</div>");
    s
}

fn host_list(label: &str, list: &[String]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let items: Vec<String> = list.iter().map(|h| escape(h)).collect();
    format!("<p><b>{label} ({}):</b> {}</p>", list.len(), items.join(", "))
}

fn rule_row_html(o: &mut String, r: &RuleRow, hosts: usize) {
    let _ = write!(
        o,
        "<tr><td><code>{id}</code><br><span class=\"t\">{title}</span></td><td><span class=\"sev sev-{sev}\">{sev}</span></td>\
<td class=\"n\">{f}/{hosts}</td><td class=\"n\">{e}</td><td class=\"n\">{p}</td><td>{bar}",
        id = escape(&r.id),
        title = escape(&r.title),
        sev = r.severity.as_str(),
        f = r.fail.len(),
        e = r.error.len(),
        p = r.pass.len(),
        bar = bar(r, hosts),
    );
    let lists = [
        host_list("failing", &r.fail),
        host_list("error", &r.error),
        host_list("waived", &r.waived),
        host_list("passing", &r.pass),
        host_list("not applicable", &r.not_applicable),
        host_list("not evaluated", &r.not_evaluated),
    ]
    .concat();
    let _ = writeln!(o, "<details><summary>hosts</summary>{lists}</details></td></tr>");
}

/// One self-contained HTML page: fleet counts, the hosts, and the rules by impact, each with
/// a bar over the fleet and its host lists. No script, no external resources (a CSP forbids
/// them); every value from a report is escaped.
pub fn page(m: &Merged) -> String {
    let s = &m.summary;
    let mut o = String::with_capacity(32 * 1024);
    let _ = write!(
        o,
        r#"{head}<body>
<header><h1>imagegate fleet summary</h1><p>{hosts} hosts · profile {profiles} · merged by imagegate {ver}</p></header>
<main>
<section class="cards">
<div class="card c-f"><b>{hf}</b>hosts failing</div>
<div class="card c-e"><b>{he}</b>hosts with errors</div>
<div class="card c-p"><b>{hc}</b>hosts clean</div>
<div class="card"><b>{rf}/{rules}</b>rules failing somewhere</div>
</section>
"#,
        head = crate::report::html::head(
            &format!("imagegate · {} hosts · {}", s.hosts, escape(&profiles(m).join(", "))),
            m.tool_version,
            FLEET_CSS,
            false,
            "en"
        ),
        ver = escape(m.tool_version),
        hosts = s.hosts,
        profiles = escape(&profiles(m).join(", ")),
        hf = s.hosts_failing,
        he = s.hosts_erroring,
        hc = s.hosts_clean,
        rf = s.rules_failing,
        rules = s.rules,
    );
    let rows = by_impact(m);
    let (bad, good): (Vec<&RuleRow>, Vec<&RuleRow>) = rows
        .into_iter()
        .partition(|r| !r.fail.is_empty() || !r.error.is_empty());
    let head = "<table><thead><tr><th>rule</th><th>severity</th><th>fail</th><th>error</th><th>pass</th><th>hosts</th></tr></thead><tbody>\n";
    o.push_str("<h2>Rules that fail or end in error</h2>\n");
    if bad.is_empty() {
        o.push_str("<p>No rule fails or ends in error on any host.</p>\n");
    } else {
        o.push_str(head);
        for r in &bad {
            rule_row_html(&mut o, r, s.hosts);
        }
        o.push_str("</tbody></table>\n");
    }
    o.push_str("<h2>Hosts</h2>\n<table><thead><tr><th>host</th><th>OS</th><th>profile</th><th>fail</th><th>error</th><th>pass</th><th>n/a</th><th>report</th></tr></thead><tbody>\n");
    for h in &m.hosts {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
            escape(&h.name),
            escape(h.os.as_deref().or(h.release.as_deref()).unwrap_or("-")),
            escape(&h.profile),
            h.counts.fail,
            h.counts.error,
            h.counts.pass,
            h.counts.not_applicable,
            escape(&h.file),
        );
    }
    o.push_str("</tbody></table>\n");
    if !good.is_empty() {
        let _ = write!(
            o,
            "<details class=\"rest\"><summary>{} rules that pass or do not apply everywhere</summary>{head}",
            good.len()
        );
        for r in &good {
            rule_row_html(&mut o, r, s.hosts);
        }
        o.push_str("</tbody></table></details>\n");
    }
    o.push_str("</main>\n</body>\n</html>\n");
    o
}

/// The fleet summary's stylesheet.
const FLEET_CSS: &str = include_str!("../../assets/fleet.css");

/// Writes [`page`].
pub fn render_html(m: &Merged, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(page(m).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(host: Option<&str>, findings: &[(&str, &str, &str)]) -> String {
        let f: Vec<Value> = findings
            .iter()
            .map(|(id, sev, st)| {
                serde_json::json!({"id": id, "title": format!("{id} holds"), "area": "x", "severity": sev,
                    "status": st, "evidence": [], "rationale": "", "remediation": "", "references": {}})
            })
            .collect();
        serde_json::json!({
            "schema": "imagegate.report/v1",
            "tool": {"name": "imagegate", "version": "0.1.0"},
            "profile": "cloud-image",
            "target": {"root": "/", "live": true, "as_of": "2026-11-01", "hostname": host},
            "host": {"os": "Debian GNU/Linux 12 (bookworm)", "release": "debian 12"},
            "summary": {},
            "findings": f,
        })
        .to_string()
    }

    fn input(file: &str, text: String) -> (String, String) {
        (file.to_owned(), text)
    }

    #[test]
    fn counts_hosts_per_rule_and_status() {
        let m = merge(&[
            input(
                "a.json",
                report(Some("web1"), &[("ssh.x", "high", "fail"), ("os.y", "low", "pass")]),
            ),
            input(
                "b.json",
                report(Some("web2"), &[("ssh.x", "high", "fail"), ("os.y", "low", "error")]),
            ),
            input(
                "c.json",
                report(
                    Some("db1"),
                    &[("ssh.x", "high", "pass"), ("os.y", "low", "not-applicable")],
                ),
            ),
        ])
        .unwrap();
        assert_eq!(m.summary.hosts, 3);
        assert_eq!(m.summary.hosts_failing, 2);
        assert_eq!(m.summary.hosts_erroring, 1);
        assert_eq!(m.summary.hosts_clean, 1);
        let ssh = m.rules.iter().find(|r| r.id == "ssh.x").unwrap();
        assert_eq!(ssh.fail, ["web1", "web2"]);
        assert_eq!(ssh.pass, ["db1"]);
        let os = m.rules.iter().find(|r| r.id == "os.y").unwrap();
        assert_eq!(os.error, ["web2"]);
        assert_eq!(os.not_applicable, ["db1"]);
        assert_eq!(
            m.hosts.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
            ["db1", "web1", "web2"]
        );
    }

    #[test]
    fn hostless_report_is_named_after_its_file() {
        let m = merge(&[input(
            "out/reports/host-17.json",
            report(None, &[("a.b", "low", "pass")]),
        )])
        .unwrap();
        assert_eq!(m.hosts[0].name, "host-17");
    }

    #[test]
    fn duplicate_host_names_are_told_apart_by_file() {
        let m = merge(&[
            input("x/one.json", report(Some("ubuntu"), &[("a.b", "low", "fail")])),
            input("y/two.json", report(Some("ubuntu"), &[("a.b", "low", "pass")])),
        ])
        .unwrap();
        let r = &m.rules[0];
        assert_eq!(r.fail, ["ubuntu (x/one.json)"]);
        assert_eq!(r.pass, ["ubuntu (y/two.json)"]);
    }

    #[test]
    fn a_report_named_twice_is_refused_not_counted_as_a_clean_host() {
        let a = report(Some("web1"), &[("ssh.x", "high", "fail")]);
        let e = merge(&[input("a.json", a.clone()), input("a.json", a)]).unwrap_err();
        assert_eq!(e.file, "a.json");
        assert!(e.msg.contains("named twice"), "{e}");
    }

    #[test]
    fn other_schema_is_rejected_with_what_to_do() {
        let e = merge(&[input("old.json", report(None, &[]).replace("report/v1", "report/v0"))]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("old.json: schema \"imagegate.report/v0\" is not"),
            "{e}"
        );
        let e = merge(&[input("f.json", "{\"target\":{}}".into())]).unwrap_err();
        assert!(e.to_string().contains("not an imagegate JSON report"), "{e}");
        let e = merge(&[input("r.sarif", "{\"version\":\"2.1.0\",\"runs\":[]}".into())]).unwrap_err();
        assert!(e.to_string().contains("SARIF"), "{e}");
        let e = merge(&[input("t.txt", "PASS ssh".into())]).unwrap_err();
        assert!(e.to_string().starts_with("t.txt: not JSON"), "{e}");
    }

    #[test]
    fn unknown_status_is_a_malformed_report_not_a_pass() {
        let e = merge(&[input("a.json", report(None, &[("a.b", "low", "maybe")]))]).unwrap_err();
        assert!(e.to_string().contains("malformed"), "{e}");
    }

    #[test]
    fn rule_missing_from_a_report_is_not_evaluated_there() {
        let m = merge(&[
            input(
                "a.json",
                report(Some("a"), &[("a.b", "low", "pass"), ("c.d", "low", "fail")]),
            ),
            input("b.json", report(Some("b"), &[("a.b", "low", "pass")])),
        ])
        .unwrap();
        let cd = m.rules.iter().find(|r| r.id == "c.d").unwrap();
        assert_eq!(cd.not_evaluated, ["b"]);
    }

    #[test]
    fn severity_is_the_highest_any_host_gave() {
        let m = merge(&[
            input("a.json", report(Some("a"), &[("a.b", "low", "fail")])),
            input("b.json", report(Some("b"), &[("a.b", "critical", "fail")])),
        ])
        .unwrap();
        assert_eq!(m.rules[0].severity, Severity::Critical);
    }

    #[test]
    fn html_escapes_hostile_host_names() {
        let m = merge(&[input(
            "a.json",
            report(Some("<script>x</script>"), &[("a.b", "low", "fail")]),
        )])
        .unwrap();
        let p = page(&m);
        assert!(!p.contains("<script>x"));
        assert!(p.contains("&lt;script&gt;x"));
    }

    #[test]
    fn text_lists_failing_rules_by_impact() {
        let m = merge(&[
            input(
                "a.json",
                report(
                    Some("a"),
                    &[
                        ("z.one", "low", "fail"),
                        ("a.two", "high", "fail"),
                        ("m.ok", "high", "pass"),
                    ],
                ),
            ),
            input(
                "b.json",
                report(
                    Some("b"),
                    &[
                        ("z.one", "low", "fail"),
                        ("a.two", "high", "pass"),
                        ("m.ok", "high", "pass"),
                    ],
                ),
            ),
        ])
        .unwrap();
        let mut out = Vec::new();
        render_text(&m, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        // Severity first: the high failure on one host before the low one on both.
        let z = text.find("z.one").unwrap();
        let a = text.find("a.two").unwrap();
        assert!(a < z, "{text}");
        assert!(text.contains("2/2"), "{text}");
        assert!(!text.contains("m.ok"), "{text}");
        assert!(text.contains("1 other rules pass"), "{text}");
    }
}
