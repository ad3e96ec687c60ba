//! The human report: a header, findings grouped by status (fail, error, pass, not-applicable) and
//! by severity within each group, each with its evidence, and one summary line. Colour only when
//! asked for (the caller decides: a terminal, and NO_COLOR unset).
use std::io::{self, Write};

use serde_json::Value;

use crate::eval::{Finding, Report, Status};
use crate::rules::Severity;

const RESET: &str = "\x1b[0m";

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}{RESET}")
    } else {
        s.to_owned()
    }
}

fn status_label(s: Status) -> (&'static str, &'static str) {
    match s {
        Status::Fail => ("FAIL", "1;31"),
        Status::Error => ("ERROR", "1;35"),
        Status::Waived => ("WAIVE", "33"),
        Status::Pass => ("PASS", "32"),
        Status::NotApplicable => ("N/A", "2"),
    }
}

/// A value as one short line: strings bare, everything else as compact JSON, cut at 160 chars.
pub fn short_value(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

/// Records listed per evidence entry in text; the JSON report has them all.
const LIST_LIMIT: usize = 20;

/// One record as `key=value …  (source)`: its scalar fields, then where it came from.
fn record(v: &Value, color: bool) -> String {
    let Some(o) = v.as_object() else { return short_value(v) };
    let fields: Vec<String> = o
        .iter()
        .filter(|(k, v)| *k != "source" && !v.is_null() && !v.is_array() && !v.is_object())
        .map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect();
    let mut s = fields.join(" ");
    if let Some(src) = o
        .get("source")
        .and_then(|s| serde_json::from_value::<crate::facts::Source>(s.clone()).ok())
    {
        s.push_str(&paint(color, "2", &format!("  ({src})")));
    }
    s
}

fn evidence_lines(f: &Finding, color: bool, out: &mut dyn Write) -> io::Result<()> {
    for e in &f.evidence {
        if let Some(why) = &e.unavailable {
            writeln!(out, "      {} unavailable: {why}", e.fact)?;
            continue;
        }
        // A list of records (pending updates, offending accounts…) reads best one per line.
        if let Value::Array(items) = &e.value
            && items.first().is_some_and(Value::is_object)
        {
            writeln!(out, "      {}: {} item(s)", e.fact, items.len())?;
            for item in items.iter().take(LIST_LIMIT) {
                writeln!(out, "        - {}", record(item, color))?;
            }
            if items.len() > LIST_LIMIT {
                writeln!(
                    out,
                    "        … and {} more (see --format json)",
                    items.len() - LIST_LIMIT
                )?;
            }
            continue;
        }
        let value = if e.value.is_object() {
            record(&e.value, false)
        } else {
            short_value(&e.value)
        };
        let mut line = format!("      {} = {value}", e.fact);
        if let Some(src) = &e.source {
            line.push_str(&paint(color, "2", &format!("  ({src})")));
        }
        writeln!(out, "{line}")?;
        for sh in &e.shadowed {
            let val = sh.get("value").map(short_value).unwrap_or_default();
            let src = sh
                .get("source")
                .and_then(|s| serde_json::from_value::<crate::facts::Source>(s.clone()).ok())
                .map(|s| s.to_string())
                .unwrap_or_default();
            writeln!(out, "{}", paint(color, "2", &format!("        shadows {val} at {src}")))?;
        }
    }
    Ok(())
}

/// Writes the text report.
pub fn render(report: &Report, style: crate::report::Style, out: &mut dyn Write) -> io::Result<()> {
    let color = style.color;
    let t = &report.target;
    let what = report.host.os.as_deref().unwrap_or("unknown OS");
    let mode = if t.live { "live" } else { "offline" };
    writeln!(
        out,
        "imagegate {} · profile {} · {what} · root {} ({mode}, as of {})",
        report.tool.version, report.profile, t.root, t.as_of
    )?;
    for status in Status::ALL {
        let mut group: Vec<&Finding> = report.findings.iter().filter(|f| f.status == status).collect();
        if group.is_empty() {
            continue;
        }
        group.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
        writeln!(out)?;
        let (label, code) = status_label(status);
        for f in group {
            writeln!(
                out,
                "{} {:<8} {}  {}",
                paint(color, code, &format!("{label:<5}")),
                f.severity.as_str(),
                paint(color, "1", &f.id),
                f.title
            )?;
            if let Some(r) = &f.reason {
                writeln!(out, "      reason: {r}")?;
            }
            if let Some(w) = &f.waiver {
                writeln!(
                    out,
                    "      waived until {} by {} ({}): {}",
                    w.expires, w.owner, w.origin, w.reason
                )?;
            }
            evidence_lines(f, color, out)?;
            if status == Status::Fail {
                let first = f.remediation.lines().next().unwrap_or("");
                writeln!(out, "      fix: {first}")?;
            }
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", summary_line(report))
}

/// "12 rules: 3 fail (1 critical, 2 high), 1 error, 7 pass, 1 not-applicable".
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let mut by_sev: Vec<String> = Vec::new();
    for sev in Severity::ALL.iter().rev() {
        if let Some(n) = s.fail_by_severity.get(sev) {
            by_sev.push(format!("{n} {sev}"));
        }
    }
    let fail = if by_sev.is_empty() {
        format!("{} fail", s.fail)
    } else {
        format!("{} fail ({})", s.fail, by_sev.join(", "))
    };
    format!(
        "{} rules: {fail}, {} error, {} waived, {} pass, {} not-applicable",
        s.total, s.error, s.waived, s.pass, s.not_applicable
    )
}
