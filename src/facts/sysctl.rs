//! Kernel parameters (stub: replaced by the sysctl collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::rootfs::RootFs;

/// Kernel parameters, runtime and persisted.
#[derive(Debug, Clone, Serialize)]
pub struct Sysctl {}

/// Collects sysctl values.
pub fn collect(_fs: &RootFs, _ctx: &Context) -> Result<Sysctl, FactError> {
    Err(FactError::Invalid("sysctl collector not built yet".into()))
}
