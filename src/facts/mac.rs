//! SELinux and AppArmor (stub: replaced by the MAC collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::facts::{os_release::OsRelease, packages::Packages};
use crate::rootfs::RootFs;

/// Mandatory access control state.
#[derive(Debug, Clone, Serialize)]
pub struct Mac {}

/// Collects SELinux and AppArmor state.
pub fn collect(
    _fs: &RootFs,
    _ctx: &Context,
    _os: Option<&OsRelease>,
    _packages: Option<&Packages>,
) -> Result<Mac, FactError> {
    Err(FactError::Invalid("mac collector not built yet".into()))
}
