//! The JSON report: the serialized [`Report`], pretty-printed, schema `imagegate.report/v1`
//! (docs/output.md documents every field).
use std::io::{self, Write};

use crate::eval::Report;

/// Writes the report as JSON.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
