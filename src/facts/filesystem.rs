//! Filesystem hardening: kernel filesystem modules, mount options, the filesystem walk (stub: replaced by its collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::rootfs::RootFs;

/// Filesystem hardening: kernel filesystem modules, mount options, the filesystem walk.
#[derive(Debug, Clone, Serialize)]
pub struct Filesystem {}

/// Collects the facts.
pub fn collect(_fs: &RootFs, _ctx: &Context) -> Result<Filesystem, FactError> {
    Err(FactError::Invalid("filesystem collector not built yet".into()))
}
