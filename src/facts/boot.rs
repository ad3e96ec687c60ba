//! Bootloader configuration and the kernel command line (stub: replaced by its collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::rootfs::RootFs;

/// Bootloader configuration and the kernel command line.
#[derive(Debug, Clone, Serialize)]
pub struct Boot {}

/// Collects the facts.
pub fn collect(_fs: &RootFs, _ctx: &Context) -> Result<Boot, FactError> {
    Err(FactError::Invalid("boot collector not built yet".into()))
}
