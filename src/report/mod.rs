//! Rendering a [`Report`] in each output format. Adding a format: a module with
//! `render(&Report, &mut dyn Write) -> io::Result<()>`, a [`Format`] variant and its match arm.
//!
//! Every format renders the same findings and the same counts (tests/integration/formats.rs
//! checks that they agree); docs/output.md documents each mapping.
//!
//! A file name that is not UTF-8 travels through the facts as escapes ([`crate::names`]); every
//! format shows its bytes as `\xNN`, written by one [`names::EscapeWriter`] around the output, so
//! no field of any format can show an escape raw.

pub mod html;
pub mod json;
pub mod junit;
pub mod merge;
pub mod sarif;
pub mod text;

use std::io::{self, Write};

use serde_json::Value;

use crate::eval::{Finding, Report};
use crate::i18n::{self, Lang};
use crate::names::{self, EscapeWriter};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Format {
    /// Human-readable, grouped by status and severity.
    Text,
    /// The versioned JSON document described in docs/output.md.
    Json,
    /// JUnit XML for CI test views (GitLab, Jenkins): one testcase per rule.
    Junit,
    /// SARIF 2.1.0 for GitHub code scanning: one result per failing (or error) finding.
    Sarif,
    /// One self-contained HTML page with a summary chart and filters.
    Html,
}

impl Format {
    /// The name used on the command line (`--format NAME`, `--report NAME=PATH`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Sarif => "sarif",
            Format::Html => "html",
        }
    }
}

/// Options that only some formats use.
#[derive(Debug, Clone, Default)]
pub struct Style {
    /// ANSI colour (text only).
    pub color: bool,
    /// The statuses listed (text only; `--show`, `--quiet`).
    pub show: text::Show,
    /// Prefixed to every in-image path in SARIF (`--sarif-uri-prefix`).
    pub sarif_uri_prefix: Option<String>,
    /// The language of the report's text (`--lang`; see [`crate::i18n`]).
    pub lang: Lang,
}

/// Writes `report` to `out` in `format`.
pub fn render(format: Format, report: &Report, style: &Style, out: &mut dyn Write) -> io::Result<()> {
    let target = match format {
        Format::Json | Format::Sarif => names::Target::Json,
        Format::Text | Format::Junit | Format::Html => names::Target::Text,
    };
    let mut w = EscapeWriter::new(out, target);
    let report = &*crate::i18n::localize(report, style.lang);
    match format {
        Format::Text => text::render(report, style, &mut w),
        Format::Json => json::render(report, &mut w),
        Format::Junit => junit::render(report, &mut w),
        Format::Sarif => sarif::render(report, style.sarif_uri_prefix.as_deref(), &mut w),
        Format::Html => html::render(report, &mut w),
    }?;
    w.flush()
}

/// What one line of evidence is, which decides how a format lays it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `fact = value`.
    Value,
    /// `fact: not set`: no file sets the fact (so whatever default the program has is in force).
    Unset,
    /// `fact unavailable: why`.
    Unavailable,
    /// `fact: N item(s)`, the items follow one per line.
    List,
    /// `- key=value …` (depth 1): one record of a list, or one item that decided a quantifier.
    Item,
    /// `shadows value` (depth 1): a value the winner overrode.
    Shadow,
    /// `… and N more (see --format json)` (depth 1).
    More,
}

/// One line of a finding's evidence, as every format shows it: the text report prints it, the
/// HTML report makes it a table row, SARIF and JUnit put it in their messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// What the line says.
    pub kind: Kind,
    /// The fact path (empty for items, shadowed values and "more").
    pub fact: String,
    /// The value, one short line (a record as `key=value …`), or the count or the reason.
    pub value: String,
    /// The file and line that decided the value (`/etc/pam.d/common-auth:17`), or what decided it
    /// when no file did (`compiled-in default (OpenSSH 9.2p1)`).
    pub place: Option<String>,
    /// The language of the line's own words (`not set`, `shadows`).
    pub lang: Lang,
}

impl Line {
    /// The line without its place, as plain text: `fact = value`, `- key=value`, ….
    pub fn what(&self) -> String {
        let w = i18n::words(self.lang);
        match self.kind {
            Kind::Value => format!("{} = {}", self.fact, self.value),
            Kind::Unset => format!("{}: {}", self.fact, w.not_set),
            Kind::Unavailable => i18n::fill(w.unavailable, &[("fact", &self.fact), ("why", &self.value)]),
            Kind::List => format!("{}: {}", self.fact, self.value),
            Kind::Item => format!("- {}", self.value),
            Kind::Shadow => format!("{} {}", w.shadows, self.value),
            Kind::More => self.value.clone(),
        }
    }

    /// Indentation depth: 0 for a fact, 1 for what belongs to the fact above.
    pub fn depth(&self) -> usize {
        usize::from(matches!(self.kind, Kind::Item | Kind::Shadow | Kind::More))
    }

    /// The whole line as plain text, `  ` per depth, the place in parentheses.
    pub fn plain(&self) -> String {
        let mut s = format!("{}{}", "  ".repeat(self.depth()), self.what());
        if let Some(p) = &self.place {
            s.push_str(&format!(" ({p})"));
        }
        s
    }
}

/// Records listed per list of evidence, and values shadowed per fact; the JSON report has them
/// all, and the line after the last one says how many more there are.
pub const LIST_LIMIT: usize = 10;

/// A value as one short line: strings quoted, everything else compact JSON, cut at 80 chars
/// (a line of the text report stays within 100 columns).
pub fn short_value(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    cut(&s, 80)
}

/// `s` cut after `n` characters, with `…` when something was cut.
fn cut(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or(s)),
        None => s.to_owned(),
    }
}

/// One record as `key=value …`: its scalar fields, without the source (which is the place).
fn record(v: &Value) -> String {
    let Some(o) = v.as_object() else { return short_value(v) };
    let fields: Vec<String> = o
        .iter()
        .filter(|(k, v)| *k != "source" && !v.is_null() && !v.is_array() && !v.is_object())
        .map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect();
    cut(&fields.join(" "), 200)
}

/// A finding's evidence as [`Line`]s: one per fact read (a repeated identical reading once), one
/// per record of a list (at most [`LIST_LIMIT`], then a count of the rest), one per value the
/// winner shadowed. A value no file set says so (`fact: not set`), rather than showing `null`.
pub fn evidence(f: &Finding) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let more = |n: usize| Line {
        lang: f.lang,
        kind: Kind::More,
        fact: String::new(),
        value: i18n::fill(i18n::words(f.lang).more, &[("n", &n)]),
        place: None,
    };
    for e in &f.evidence {
        if !seen.insert((e.fact.as_str(), e.value.to_string(), e.unavailable.as_deref())) {
            continue;
        }
        let place = e.source.as_ref().map(ToString::to_string);
        if let Some(why) = &e.unavailable {
            lines.push(Line {
                lang: f.lang,
                kind: Kind::Unavailable,
                fact: e.fact.clone(),
                value: why.clone(),
                place: None,
            });
            continue;
        }
        match &e.value {
            Value::Null if place.is_none() => lines.push(Line {
                lang: f.lang,
                kind: Kind::Unset,
                fact: e.fact.clone(),
                value: String::new(),
                place: None,
            }),
            // A list of records (PAM lines, pending updates, offending accounts) reads best one
            // per line, each with its own file and line.
            Value::Array(items) if items.first().is_some_and(Value::is_object) => {
                lines.push(Line {
                    lang: f.lang,
                    kind: Kind::List,
                    fact: e.fact.clone(),
                    value: i18n::fill(i18n::words(f.lang).items, &[("n", &items.len())]),
                    place,
                });
                for (i, item) in items.iter().enumerate().take(LIST_LIMIT) {
                    lines.push(Line {
                        lang: f.lang,
                        kind: Kind::Item,
                        fact: String::new(),
                        value: record(item),
                        place: e.item_sources.get(i).cloned().flatten().map(|s| s.to_string()),
                    });
                }
                if items.len() > LIST_LIMIT {
                    lines.push(more(items.len() - LIST_LIMIT));
                }
            }
            v => {
                // An object is one record (a quantifier's decisive item, whose own source the
                // evaluator made the evidence's).
                let (value, place) = if v.is_object() {
                    (record(v), place)
                } else {
                    (short_value(v), place)
                };
                lines.push(Line {
                    lang: f.lang,
                    kind: Kind::Value,
                    fact: e.fact.clone(),
                    value,
                    place,
                });
            }
        }
        for sh in e.shadowed.iter().take(LIST_LIMIT) {
            lines.push(Line {
                lang: f.lang,
                kind: Kind::Shadow,
                fact: String::new(),
                value: short_value(&sh.value),
                place: sh.source.as_ref().map(ToString::to_string),
            });
        }
        if e.shadowed.len() > LIST_LIMIT {
            lines.push(more(e.shadowed.len() - LIST_LIMIT));
        }
    }
    lines
}

/// A finding's evidence as plain lines (see [`Line::plain`]): the shared wording of the JUnit
/// and SARIF messages.
pub fn evidence_lines(f: &Finding) -> Vec<String> {
    evidence(f).iter().map(Line::plain).collect()
}

/// The evidence in one line, for a message that must be short (a JUnit `message` attribute):
/// the facts' lines (not their items), `; `-separated, cut at 300 characters.
pub fn evidence_summary(f: &Finding) -> String {
    let parts: Vec<String> = evidence(f)
        .iter()
        .filter(|l| l.depth() == 0)
        .map(|l| match &l.place {
            Some(p) => format!("{} ({p})", l.what()),
            None => l.what(),
        })
        .collect();
    cut(&parts.join("; "), 300)
}

/// The filesystems mounted inside an offline root, for a report header: each mount point, its
/// type and whether the whole-tree walk entered it (a host directory bind-mounted into the root is
/// read as part of the image, so the report says where). `None` when there are none.
pub fn mounts_inside(t: &crate::facts::Target) -> Option<String> {
    if t.mounts.is_empty() {
        return None;
    }
    let list: Vec<String> = t
        .mounts
        .iter()
        .map(|m| match (m.walked, &m.reason) {
            (true, _) => format!("{} {} (walked)", m.mount_point, m.fstype),
            (false, Some(r)) => format!("{} {} (not walked: {r})", m.mount_point, m.fstype),
            (false, None) => format!("{} {} (not walked)", m.mount_point, m.fstype),
        })
        .collect();
    Some(list.join(", "))
}
