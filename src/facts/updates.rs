//! Pending security updates and automatic updates (stub: replaced by the updates collectors).
use serde::Serialize;

use super::{Collected, Context, FactError};
use crate::facts::{os_release::OsRelease, packages::Packages};
use crate::rootfs::RootFs;

/// Pending security updates.
#[derive(Debug, Clone, Serialize)]
pub struct PendingUpdates {}

pub use super::auto_updates::{AutoUpdates, collect_auto};

/// Collects pending security updates from local package indexes.
pub fn collect_pending(
    _fs: &RootFs,
    _ctx: &Context,
    _os: Option<&OsRelease>,
    _packages: &Collected<Packages>,
) -> Result<PendingUpdates, FactError> {
    Err(FactError::Invalid("updates collector not built yet".into()))
}
