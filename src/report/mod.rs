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

use crate::eval::{Finding, Report};
use crate::facts::Source;
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
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// ANSI colour (text only).
    pub color: bool,
}

/// Writes `report` to `out` in `format`.
pub fn render(format: Format, report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let target = match format {
        Format::Json | Format::Sarif => names::Target::Json,
        Format::Text | Format::Junit | Format::Html => names::Target::Text,
    };
    let mut w = EscapeWriter::new(out, target);
    match format {
        Format::Text => text::render(report, style, &mut w),
        Format::Json => json::render(report, &mut w),
        Format::Junit => junit::render(report, &mut w),
        Format::Sarif => sarif::render(report, &mut w),
        Format::Html => html::render(report, &mut w),
    }?;
    w.flush()
}

/// A finding's evidence as plain lines, `fact = value (source)`, with what each value shadowed
/// and why a value is unavailable: the shared wording of the JUnit and SARIF messages.
pub fn evidence_lines(f: &Finding) -> Vec<String> {
    let mut lines = Vec::new();
    for e in &f.evidence {
        if let Some(why) = &e.unavailable {
            lines.push(format!("{} unavailable: {why}", e.fact));
            continue;
        }
        let mut line = format!("{} = {}", e.fact, text::short_value(&e.value));
        if let Some(src) = &e.source {
            line.push_str(&format!(" ({src})"));
        }
        lines.push(line);
        for sh in &e.shadowed {
            let val = sh.get("value").map(text::short_value).unwrap_or_default();
            match shadowed_source(sh) {
                Some(src) => lines.push(format!("  shadows {val} at {src}")),
                None => lines.push(format!("  shadows {val}")),
            }
        }
    }
    lines
}

/// The source of one `shadowed` entry of an evidence item, when it names one.
pub fn shadowed_source(sh: &serde_json::Value) -> Option<Source> {
    sh.get("source")
        .and_then(|s| serde_json::from_value::<Source>(s.clone()).ok())
}
