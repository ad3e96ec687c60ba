//! The effective sshd configuration (stub: replaced by the sshd collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::facts::packages::Packages;
use crate::rootfs::RootFs;

/// The effective sshd configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Sshd {}

/// Collects the effective sshd configuration.
pub fn collect(_fs: &RootFs, _ctx: &Context, _packages: Option<&Packages>) -> Result<Sshd, FactError> {
    Err(FactError::Invalid("sshd collector not built yet".into()))
}
