//! auditd, journald and rsyslog configuration (stub: replaced by its collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::rootfs::RootFs;

/// auditd, journald and rsyslog configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Logging {}

/// Collects the facts.
pub fn collect(_fs: &RootFs, _ctx: &Context) -> Result<Logging, FactError> {
    Err(FactError::Invalid("logging collector not built yet".into()))
}
