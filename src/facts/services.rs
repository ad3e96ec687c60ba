//! systemd unit enablement (stub: replaced by the services collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::rootfs::RootFs;

/// systemd unit enablement.
#[derive(Debug, Clone, Serialize)]
pub struct Services {}

/// Collects unit enablement from unit files and `.wants/` links.
pub fn collect(_fs: &RootFs, _ctx: &Context) -> Result<Services, FactError> {
    Err(FactError::Invalid("services collector not built yet".into()))
}
