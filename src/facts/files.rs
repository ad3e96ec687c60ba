//! Ownership and permissions of well-known files (stub: replaced by its collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::rootfs::RootFs;

/// Ownership and permissions of well-known files.
#[derive(Debug, Clone, Serialize)]
pub struct Files {}

/// Collects the facts.
pub fn collect(_fs: &RootFs, _ctx: &Context) -> Result<Files, FactError> {
    Err(FactError::Invalid("files collector not built yet".into()))
}
