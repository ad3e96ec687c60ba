//! The HTML report: one self-contained page (inline CSS, a little inline JS, inline SVG charts; no
//! network, no external scripts, fonts or images — a Content-Security-Policy meta tag forbids
//! them) that a person can read in a browser or a CI artifact viewer.
//!
//! Layout: the host facts (OS, release, kernel and image id when known, profile, root, as-of), a
//! summary (a verdict line, counts by status as cards, SVG bars for statuses and for failures by
//! severity), filters, then the findings grouped as fail → error → waived → pass → not-applicable,
//! highest severity first, each with its evidence (value and the in-image file:line that decided
//! it), remediation and rationale. Failing and error findings are expanded, the rest collapsed.
//!
//! Filters: buttons for status, severity and area whose state lives in the URL fragment
//! (`report.html#status=fail&severity=critical,high&area=ssh`), applied on load and on every
//! change, so a filtered view can be linked to and checked headless (`make report-screenshot`).
//! Each finding is an `<article class="finding">` with `data-status`, `data-severity` and
//! `data-area`; non-matching ones get the `hidden` attribute. Without JS everything is shown.
//!
//! Everything from the report is escaped ([`escape`]): evidence values come from the scanned
//! image, which may be hostile (`PRETTY_NAME="<script>…"`); the script reads data attributes and
//! sets only `hidden`, `aria-pressed` and `textContent`, never markup.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::eval::{Finding, Report, Status};
use crate::i18n;
use crate::rules::Severity;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Controls (NUL is not allowed in HTML text), bidi controls (which reorder what a
            // reader sees) and noncharacters from the image: shown as visible escapes.
            c if crate::names::hazard(c) && c != '\n' => {
                out.push_str(&crate::names::visible(c.encode_utf8(&mut [0u8; 4])));
            }
            c => out.push(c),
        }
    }
    out
}

/// Escaped prose with `code` spans and paragraphs (blank lines): the little Markdown that rule
/// texts use. Escaping happens first, so the markup added here is the only markup.
fn prose(s: &str) -> String {
    let mut out = String::new();
    for para in s.trim().split("\n\n").filter(|p| !p.trim().is_empty()) {
        let esc = escape(para.trim());
        let mut html = String::new();
        for (i, part) in esc.split('`').enumerate() {
            if i % 2 == 1 {
                let _ = write!(html, "<code>{part}</code>");
            } else {
                html.push_str(part);
            }
        }
        // An odd number of backticks leaves an unclosed span: the split above then simply
        // wrapped the tail, which is still well-formed.
        let _ = write!(out, "<p>{}</p>", html.replace('\n', "<br>"));
    }
    out
}

/// The status keys used in `data-status`, in display order, with their headings and short labels
/// (chart rows, filter buttons). `waived` is the hook for waivers (see [`waived`]).
const GROUPS: &[(&str, &str, &str)] = &[
    ("fail", "Failing", "fail"),
    ("error", "Could not be evaluated", "error"),
    ("waived", "Waived", "waived"),
    ("pass", "Passing", "pass"),
    ("not-applicable", "Not applicable", "n/a"),
];

/// The short label of a status key.
fn short_label(key: &str, lang: i18n::Lang) -> &'static str {
    match lang {
        i18n::Lang::En => GROUPS.iter().find(|g| g.0 == key).map_or("", |g| g.2),
        _ => i18n::words(lang).status(status_of(key)),
    }
}

/// The status of a status key.
fn status_of(key: &str) -> Status {
    Status::ALL
        .into_iter()
        .find(|s| s.as_str() == key)
        .unwrap_or(Status::NotApplicable)
}

/// The findings a waiver accepted: listed in the `waived` group (and filter) with their waiver,
/// and counted on their own card.
fn waived(report: &Report) -> Vec<&Finding> {
    report.findings.iter().filter(|f| f.status == Status::Waived).collect()
}

fn status_color(key: &str) -> &'static str {
    match key {
        "fail" => "#cf222e",
        "error" => "#8250df",
        "waived" => "#9a6700",
        "pass" => "#1a7f37",
        _ => "#8c959f",
    }
}

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "#82071e",
        Severity::High => "#cf222e",
        Severity::Medium => "#bc4c00",
        Severity::Low => "#9a6700",
        Severity::Info => "#57606a",
    }
}

/// Horizontal bars, one row per (label, count, colour), scaled to the largest count.
fn bar_chart(title: &str, rows: &[(String, usize, &str)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let row_h = 28;
    let height = rows.len() * row_h + 8;
    let (label_w, bar_w) = (118usize, 330usize);
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 520 {height}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(title)
    );
    for (i, (label, n, color)) in rows.iter().enumerate() {
        let y = i * row_h + 4;
        let w = if *n == 0 { 0 } else { (n * bar_w / max).max(3) };
        let _ = write!(
            svg,
            r##"<g><title>{label}: {n}</title><text x="{tx}" y="{ty}" class="lbl" text-anchor="end">{label}</text><rect x="{label_w}" y="{ry}" width="{bar_w}" height="18" rx="4" fill="#eef1f4"/><rect x="{label_w}" y="{ry}" width="{w}" height="18" rx="4" fill="{color}"/><text x="{cx}" y="{ty}" class="num">{n}</text></g>"##,
            label = escape(label),
            tx = label_w - 10,
            ty = y + 14,
            ry = y,
            cx = label_w + bar_w + 10,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One stacked bar of every finding by status.
fn stacked_bar(counts: &[(&str, &str, usize)], total: usize) -> String {
    let mut svg = String::from(
        r#"<svg class="stack" viewBox="0 0 1000 14" preserveAspectRatio="none" role="img" aria-label="findings by status" xmlns="http://www.w3.org/2000/svg">"#,
    );
    if total == 0 {
        svg.push_str(r##"<rect width="1000" height="14" fill="#eef1f4"/>"##);
    }
    let mut x = 0usize;
    for (key, label, n) in counts {
        if *n == 0 || total == 0 {
            continue;
        }
        let w = n * 1000 / total;
        let _ = write!(
            svg,
            r#"<rect x="{x}" width="{w}" height="14" fill="{}"><title>{}: {n}</title></rect>"#,
            status_color(key),
            escape(label)
        );
        x += w;
    }
    // Integer division leaves a few units: give them to the last segment's colour band.
    if total > 0
        && x < 1000
        && let Some((key, _, _)) = counts.iter().rev().find(|c| c.2 > 0)
    {
        let _ = write!(
            svg,
            r#"<rect x="{x}" width="{}" height="14" fill="{}"/>"#,
            1000 - x,
            status_color(key)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One evidence line as a table row, laid out as the text report lays it out: a fact and its
/// value, the records of a list one per row under it, each with the file and line that decided
/// it; what no file decided says what is in force instead.
fn evidence_row(out: &mut String, l: &super::Line) {
    use super::Kind;
    let w = i18n::words(l.lang);
    let place = |p: &Option<String>| match p {
        Some(p) => format!(r#"<code class="src">{}</code>"#, escape(p)),
        None => String::new(),
    };
    let fact = escape(&l.fact);
    let value = escape(&l.value);
    let _ = match l.kind {
        Kind::Value => write!(
            out,
            r#"<tr><td><code>{fact}</code></td><td><code class="val">{value}</code></td><td>{}</td></tr>"#,
            place(&l.place)
        ),
        Kind::Unset => write!(
            out,
            r#"<tr><td><code>{fact}</code></td><td><span class="muted">{}</span></td><td><span class="muted">{}</span></td></tr>"#,
            w.not_set, w.no_file_sets_it
        ),
        Kind::Unavailable => write!(
            out,
            r#"<tr class="unavail"><td><code>{fact}</code></td><td colspan="2">{}</td></tr>"#,
            escape(l.what().strip_prefix(l.fact.as_str()).unwrap_or_default().trim_start())
        ),
        Kind::List => write!(
            out,
            r#"<tr><td><code>{fact}</code></td><td>{value}</td><td>{}</td></tr>"#,
            place(&l.place)
        ),
        Kind::Item => write!(
            out,
            r#"<tr class="item"><td></td><td><code class="val">{value}</code></td><td>{}</td></tr>"#,
            place(&l.place)
        ),
        Kind::Shadow => write!(
            out,
            r#"<tr class="shadow"><td></td><td>{} <code class="val">{value}</code></td><td>{}</td></tr>"#,
            w.overrides,
            place(&l.place)
        ),
        Kind::More => write!(out, r#"<tr class="shadow"><td></td><td colspan="2">{value}</td></tr>"#),
    };
}

fn finding_html(out: &mut String, f: &Finding, key: &str) {
    let w = i18n::words(f.lang);
    let (st_label, open) = match key {
        "fail" => ("FAIL", true),
        "error" => ("ERROR", true),
        "waived" => ("WAIVED", false),
        "pass" => ("PASS", false),
        _ => ("N/A", false),
    };
    let st_label = match f.lang {
        i18n::Lang::En => st_label,
        _ => w.label(status_of(key)),
    };
    let _ = write!(
        out,
        r#"<article class="finding" id="rule-{id}" data-status="{key}" data-severity="{sev}" data-area="{area}"><details{open}><summary><span class="badge st-{key}">{st_label}</span><span class="badge sev sev-{sev}">{sev_name}</span><span class="title">{title}</span><code class="rid">{id}</code></summary><div class="body">"#,
        id = escape(&f.id),
        sev = f.severity.as_str(),
        sev_name = w.sev(f.severity),
        area = escape(&f.area),
        open = if open { " open" } else { "" },
        title = escape(&f.title),
    );
    if let Some(r) = &f.reason {
        let [error, na, other] = w.reason_heading;
        let what = match f.status {
            Status::Error => error,
            Status::NotApplicable => na,
            _ => other,
        };
        let _ = write!(out, r#"<p class="reason"><b>{what}:</b> {}</p>"#, escape(r));
    }
    if let Some(wv) = &f.waiver {
        match f.lang {
            i18n::Lang::En => {
                let _ = write!(
                    out,
                    r#"<p class="reason"><b>Waived until {}</b> by {} ({}): {}</p>"#,
                    escape(&wv.expires),
                    escape(&wv.owner),
                    escape(&wv.origin),
                    escape(&wv.reason)
                );
            }
            _ => {
                let text = i18n::fill(
                    w.waived_until,
                    &[
                        ("expires", &wv.expires),
                        ("owner", &wv.owner),
                        ("origin", &wv.origin),
                        ("reason", &wv.reason),
                    ],
                );
                let _ = write!(out, r#"<p class="reason">{}</p>"#, escape(&text));
            }
        }
    }
    let lines = super::evidence(f);
    if !lines.is_empty() {
        out.push_str(&format!(
            r#"<table class="evidence"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
            w.evidence_head[0], w.evidence_head[1], w.evidence_head[2]
        ));
        for l in &lines {
            evidence_row(out, l);
        }
        out.push_str("</tbody></table>");
    }
    if f.status == Status::Fail {
        let _ = write!(
            out,
            r#"<div class="fix"><h4>{}</h4>{}</div>"#,
            w.remediation,
            prose(&f.remediation)
        );
    }
    let _ = write!(
        out,
        r#"<div class="why"><h4>{}</h4>{}</div>"#,
        w.why_it_matters,
        prose(&f.rationale)
    );
    if f.status != Status::Fail && !f.remediation.trim().is_empty() {
        let _ = write!(
            out,
            r#"<div class="why"><h4>{}</h4>{}</div>"#,
            w.remediation,
            prose(&f.remediation)
        );
    }
    if !f.references.is_empty() {
        out.push_str(r#"<p class="refs">"#);
        for (k, v) in &f.references {
            let _ = write!(out, r#"<span class="ref"><b>{}</b> {}</span>"#, escape(k), escape(v));
        }
        out.push_str("</p>");
    }
    out.push_str("</div></details></article>");
}

fn fact_row(out: &mut String, label: &str, value: &str) {
    let _ = write!(out, "<div><dt>{}</dt><dd>{}</dd></div>", escape(label), escape(value));
}

fn filter_row(out: &mut String, key: &str, label: &str, all: &str, values: &[(String, String)]) {
    let _ = write!(
        out,
        r#"<div class="frow"><span class="flabel">{label}</span><button type="button" data-k="{key}" data-v="" aria-pressed="true">{all}</button>"#
    );
    for (v, text) in values {
        let _ = write!(
            out,
            r#"<button type="button" data-k="{key}" data-v="{}" aria-pressed="false">{}</button>"#,
            escape(v),
            escape(text)
        );
    }
    out.push_str("</div>");
}

/// Builds the page as a string (exposed for tests).
pub fn page(report: &Report) -> String {
    let s = &report.summary;
    let waived_list = waived(report);
    let waived_ids: BTreeSet<&str> = waived_list.iter().map(|f| f.id.as_str()).collect();
    let mut groups: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        let key = if waived_ids.contains(f.id.as_str()) {
            "waived"
        } else {
            f.status.as_str()
        };
        groups.entry(key).or_default().push(f);
    }
    for g in groups.values_mut() {
        g.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    }
    let count = |k: &str| groups.get(k).map_or(0, Vec::len);
    let w = i18n::words(report.lang);
    let os = report.host.os.as_deref().unwrap_or(w.unknown_os);

    let mut o = String::with_capacity(64 * 1024);
    let _ = write!(
        o,
        r#"{head}<body>
<header class="top"><div class="wrap"><div class="brand">imagegate <span>{ver} · profile {profile}</span></div><h1>{os}</h1><dl class="facts">"#,
        head = head(
            &format!("imagegate · {} · {}", escape(os), escape(&report.profile)),
            report.tool.version,
            REPORT_CSS,
            true,
            report.lang.tag()
        ),
        ver = escape(report.tool.version),
        os = escape(os),
        profile = escape(&report.profile),
    );
    let [release, kernel, image, platform, owner, profile, root, as_of] = w.host_labels;
    if let Some(r) = &report.host.release {
        fact_row(&mut o, release, r);
    }
    if let Some(k) = &report.host.kernel {
        fact_row(&mut o, kernel, k);
    }
    if let Some(i) = &report.host.image_id {
        fact_row(&mut o, image, i);
    }
    if let Some(p) = &report.host.platform {
        fact_row(&mut o, platform, p);
    }
    if let Some(ow) = &report.host.owner {
        fact_row(&mut o, owner, ow);
    }
    fact_row(&mut o, profile, &report.profile);
    let mode = if report.target.live { w.live } else { w.offline };
    fact_row(&mut o, root, &format!("{} ({mode})", report.target.root));
    fact_row(&mut o, as_of, &report.target.as_of);
    if let Some(mounts) = crate::report::mounts_inside(&report.target) {
        match report.lang {
            i18n::Lang::En => fact_row(&mut o, "Mounted inside the root, read as the image's", &mounts),
            _ => fact_row(&mut o, w.mounted.trim_end_matches("：{mounts}"), &mounts),
        }
    }
    o.push_str("</dl></div></header>\n<main class=\"wrap\">\n");

    // Summary: verdict, cards, charts.
    let (verdict_class, verdict) = if report.lang != i18n::Lang::En {
        match (s.error, s.fail) {
            (0, 0) => ("v-ok", w.verdict_ok.to_owned()),
            (0, n) => ("v-fail", i18n::fill(w.verdict_fail, &[("n", &n)])),
            (n, _) => ("v-error", i18n::fill(w.verdict_error, &[("n", &n)])),
        }
    } else if s.error > 0 {
        (
            "v-error",
            format!(
                "{} rule{} could not be evaluated: this scan cannot vouch for the image",
                s.error,
                if s.error == 1 { "" } else { "s" }
            ),
        )
    } else if s.fail > 0 {
        (
            "v-fail",
            format!("{} failing finding{}", s.fail, if s.fail == 1 { "" } else { "s" }),
        )
    } else {
        ("v-ok", "No failing findings".to_owned())
    };
    let _ = write!(
        o,
        r#"<section class="summary" id="summary" data-total="{}" data-pass="{}" data-fail="{}" data-error="{}" data-not-applicable="{}" data-waived="{}"><p class="verdict {verdict_class}">{}</p><p class="sub">{} · <span id="shown-count">{}</span> {}</p><div class="cards">"#,
        s.total,
        s.pass,
        s.fail,
        s.error,
        s.not_applicable,
        count("waived"),
        escape(&verdict),
        i18n::fill(w.evaluated, &[("n", &s.total)]),
        report.findings.len(),
        w.shown,
    );
    let cards: Vec<(&str, &str, usize)> = GROUPS
        .iter()
        .filter(|(k, _, _)| *k != "waived" || count("waived") > 0)
        .map(|(k, _, _)| (*k, w.heading(status_of(k)), count(k)))
        .collect();
    for (k, label, n) in &cards {
        let _ = write!(
            o,
            r##"<a class="card c-{k}" href="#status={k}" data-count="{n}"><span class="n">{n}</span><span class="l">{label}</span></a>"##
        );
    }
    o.push_str("</div>");
    o.push_str(&stacked_bar(&cards, s.total));
    let status_rows: Vec<(String, usize, &str)> = cards
        .iter()
        .map(|(k, _, n)| (short_label(k, report.lang).to_owned(), *n, status_color(k)))
        .collect();
    let sev_rows: Vec<(String, usize, &str)> = Severity::ALL
        .iter()
        .rev()
        .map(|sev| {
            (
                w.sev(*sev).to_owned(),
                s.fail_by_severity.get(sev).copied().unwrap_or(0),
                severity_color(*sev),
            )
        })
        .collect();
    let _ = write!(
        o,
        r#"<div class="charts"><figure><figcaption>{}</figcaption>{}</figure><figure><figcaption>{}</figcaption>{}</figure></div></section>"#,
        w.charts[0],
        bar_chart("findings by status", &status_rows),
        w.charts[1],
        bar_chart("failures by severity", &sev_rows)
    );

    // Filters.
    o.push_str(r#"<nav class="filters" aria-label="filter findings">"#);
    let statuses: Vec<(String, String)> = cards
        .iter()
        .filter(|c| c.2 > 0)
        .map(|(k, _, _)| ((*k).to_owned(), short_label(k, report.lang).to_owned()))
        .collect();
    let [status_l, severity_l, area_l, all] = w.filters;
    filter_row(&mut o, "status", status_l, all, &statuses);
    let sevs: BTreeSet<Severity> = report.findings.iter().map(|f| f.severity).collect();
    let sevs: Vec<(String, String)> = sevs
        .iter()
        .rev()
        .map(|s| (s.as_str().to_owned(), w.sev(*s).to_owned()))
        .collect();
    filter_row(&mut o, "severity", severity_l, all, &sevs);
    let areas: BTreeSet<&str> = report.findings.iter().map(|f| f.area.as_str()).collect();
    let areas: Vec<(String, String)> = areas.iter().map(|a| ((*a).to_owned(), (*a).to_owned())).collect();
    filter_row(&mut o, "area", area_l, all, &areas);
    o.push_str("</nav>\n");

    // Findings.
    for (key, _, _) in GROUPS {
        let heading = w.heading(status_of(key));
        let Some(list) = groups.get(key) else { continue };
        let _ = write!(
            o,
            r#"<section class="group" data-group="{key}"><h2><span class="dot" style="background:{}"></span>{heading} <span class="count">{}</span></h2>"#,
            status_color(key),
            list.len()
        );
        for f in list {
            finding_html(&mut o, f, key);
        }
        o.push_str("</section>\n");
    }
    if report.findings.is_empty() {
        let _ = write!(o, r#"<p class="empty">{}</p>"#, w.no_rules);
    }
    let _ = write!(o, r#"<p class="empty" id="no-match" hidden>{}</p>"#, w.no_match);
    let _ = write!(
        o,
        "</main>\n<footer class=\"wrap\">imagegate {} · schema {} · {}</footer>\n<script>{JS}</script>\n</body>\n</html>\n",
        escape(report.tool.version),
        escape(report.schema),
        escape(&crate::report::text::summary_line(report)),
    );
    o
}

/// The scan report's stylesheet.
const REPORT_CSS: &str = include_str!("../../assets/report.css");

/// The `<head>` of every HTML page imagegate writes (the scan report, the fleet summary): a
/// Content-Security-Policy that lets nothing in from outside the page (inline scripts only where
/// the page has them), the generator, the title (already escaped) and the page's stylesheet.
pub(crate) fn head(title: &str, version: &str, css: &str, scripts: bool, lang: &str) -> String {
    let scripts = if scripts {
        " script-src 'unsafe-inline'; img-src data:;"
    } else {
        ""
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';{scripts} base-uri 'none'; form-action 'none'">
<meta name="generator" content="imagegate {version}">
<title>{title}</title>
<style>{css}</style>
</head>
"#,
        version = escape(version),
    )
}

/// Writes the HTML report.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(page(report).as_bytes())
}

const JS: &str = r#"
(function () {
  "use strict";
  var KEYS = ["status", "severity", "area"];
  function parse() {
    var st = {};
    KEYS.forEach(function (k) { st[k] = []; });
    var h = location.hash.replace(/^#/, "");
    try { h = decodeURIComponent(h); } catch (e) { h = ""; }
    h.split("&").forEach(function (part) {
      var i = part.indexOf("=");
      if (i < 0) return;
      var k = part.slice(0, i);
      if (st.hasOwnProperty(k)) st[k] = part.slice(i + 1).split(",").filter(Boolean);
    });
    return st;
  }
  function apply() {
    var st = parse(), shown = 0;
    document.querySelectorAll("article.finding").forEach(function (el) {
      var ok = KEYS.every(function (k) { return !st[k].length || st[k].indexOf(el.dataset[k]) >= 0; });
      el.hidden = !ok;
      if (ok) shown++;
    });
    document.querySelectorAll("section.group").forEach(function (g) {
      var all = g.querySelectorAll("article.finding").length;
      var n = g.querySelectorAll("article.finding:not([hidden])").length;
      g.hidden = n === 0;
      var c = g.querySelector("h2 .count");
      if (c) c.textContent = n === all ? String(all) : n + " of " + all;
    });
    document.querySelectorAll("button[data-k]").forEach(function (b) {
      var k = b.dataset.k, v = b.dataset.v;
      var on = v === "" ? !st[k].length : st[k].indexOf(v) >= 0;
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
    var none = document.getElementById("no-match");
    if (none) {
      none.hidden = shown > 0 || !document.querySelector("article.finding");
      var on = [];
      KEYS.forEach(function (k) { if (st[k].length) on.push(k + " " + st[k].join(" or ")); });
      none.textContent = "No finding matches these filters (" + on.join(", ") + ").";
    }
    var c = document.getElementById("shown-count");
    if (c) c.textContent = String(shown);
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-k]");
    if (!b) return;
    var st = parse(), k = b.dataset.k, v = b.dataset.v;
    if (v === "") st[k] = [];
    else {
      var i = st[k].indexOf(v);
      if (i >= 0) st[k].splice(i, 1); else st[k].push(v);
    }
    var parts = [];
    KEYS.forEach(function (k2) { if (st[k2].length) parts.push(k2 + "=" + st[k2].join(",")); });
    location.hash = parts.join("&");
    apply();
  });
  window.addEventListener("hashchange", apply);
  apply();
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn escape_shows_control_characters_as_escapes_but_keeps_newlines() {
        assert_eq!(escape("a\u{0}b\u{1b}c\nd\u{202e}e"), "a\\x00b\\x1bc\nd\\u{202e}e");
    }

    #[test]
    fn prose_marks_code_spans_after_escaping() {
        assert_eq!(
            prose("Set `PermitRootLogin no` <b>now</b>\n\nthen reload"),
            "<p>Set <code>PermitRootLogin no</code> &lt;b&gt;now&lt;/b&gt;</p><p>then reload</p>"
        );
    }

    #[test]
    fn prose_with_an_unclosed_backtick_stays_well_formed() {
        assert_eq!(prose("a `b"), "<p>a <code>b</code></p>");
    }
}
