//! Installed packages (stub: replaced by the packages collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::rootfs::RootFs;

/// Installed packages.
#[derive(Debug, Clone, Serialize)]
pub struct Packages {}

/// Collects the installed package list.
pub fn collect(_fs: &RootFs, _ctx: &Context) -> Result<Packages, FactError> {
    Err(FactError::Invalid("packages collector not built yet".into()))
}
