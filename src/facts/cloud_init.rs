//! cloud-init (stub: replaced by the cloud-init collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::facts::packages::Packages;
use crate::rootfs::RootFs;

/// cloud-init installation and settings.
#[derive(Debug, Clone, Serialize)]
pub struct CloudInit {}

/// Collects cloud-init facts.
pub fn collect(_fs: &RootFs, _ctx: &Context, _packages: Option<&Packages>) -> Result<CloudInit, FactError> {
    Err(FactError::Invalid("cloud-init collector not built yet".into()))
}
