//! Home directories, dot files and root's PATH (stub: replaced by its collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::rootfs::RootFs;

/// Home directories, dot files and root's PATH.
#[derive(Debug, Clone, Serialize)]
pub struct Homes {}

/// Collects the facts.
pub fn collect(_fs: &RootFs, _ctx: &Context) -> Result<Homes, FactError> {
    Err(FactError::Invalid("homes collector not built yet".into()))
}
