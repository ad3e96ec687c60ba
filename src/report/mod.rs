//! Rendering a [`Report`] in each output format. Adding a format: a module with
//! `render(&Report, &mut dyn Write) -> io::Result<()>`, a [`Format`] variant and its match arm.

pub mod json;
pub mod text;

use std::io::{self, Write};

use crate::eval::Report;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable, grouped by status and severity.
    Text,
    /// The versioned JSON document described in docs/output.md.
    Json,
}

/// Options that only some formats use.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// ANSI colour (text only).
    pub color: bool,
}

/// Writes `report` to `out` in `format`.
pub fn render(format: Format, report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text::render(report, style, out),
        Format::Json => json::render(report, out),
    }
}
