//! imagegate: a pre-deployment compliance checker for Linux server images.
//!
//! The pipeline is [`rootfs`] (confined, read-only file access) → [`facts`] (typed values with the
//! file and line they came from) → [`rules`] (TOML data: predicates over fact paths) → [`eval`]
//! (one finding per rule, a [`model::Report`]) → [`report`] (text, JSON, …). [`cli`] wires them to
//! the command line.
//!
//! Where things go: a new rule is a TOML edit in `rules/` plus cases in `fixtures/cases/`; a new
//! fact is a module in `src/facts/` and a field of [`facts::Facts`]; a new output format is a module
//! in `src/report/` and a [`report::Format`] variant.
#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod diag;
pub mod eval;
pub mod facts;
pub mod i18n;
pub mod model;
pub mod names;
pub mod report;
pub mod rootfs;
pub mod rules;
pub mod tailoring;
#[cfg(test)]
mod testing;
pub mod text;
pub mod version;
pub mod waivers;
pub mod xccdf;
