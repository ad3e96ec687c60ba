//! Package sources (stub while the collector is written).
use serde::Serialize;

use super::packages::Packages;
use super::{Collected, Context, FactError};
use crate::rootfs::RootFs;

/// Package sources.
#[derive(Debug, Clone, Serialize)]
pub struct Sources {}

/// Collects the facts.
pub fn collect(_fs: &RootFs, _ctx: &Context, _p: &Collected<Packages>) -> Result<Sources, FactError> {
    Ok(Sources {})
}
