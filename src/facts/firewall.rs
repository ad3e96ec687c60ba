//! Host firewall configuration (stub: replaced by its collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::rootfs::RootFs;

/// Host firewall configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Firewall {}

/// Collects the facts.
pub fn collect(_fs: &RootFs, _ctx: &Context) -> Result<Firewall, FactError> {
    Err(FactError::Invalid("firewall collector not built yet".into()))
}
