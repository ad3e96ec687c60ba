//! Pending security updates and automatic updates (stub: replaced by the updates collectors).
use serde::Serialize;

pub use super::pending::{PendingUpdates, collect_pending};
use super::{Context, FactError};
use crate::facts::{os_release::OsRelease, packages::Packages};
use crate::rootfs::RootFs;

/// Automatic update configuration.
#[derive(Debug, Clone, Serialize)]
pub struct AutoUpdates {}

/// Collects automatic-update configuration.
pub fn collect_auto(
    _fs: &RootFs,
    _ctx: &Context,
    _os: Option<&OsRelease>,
    _packages: Option<&Packages>,
) -> Result<AutoUpdates, FactError> {
    Err(FactError::Invalid("auto-updates collector not built yet".into()))
}
