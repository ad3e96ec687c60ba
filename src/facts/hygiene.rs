//! Image hygiene before capture (host keys, machine-id, cloud-init state, histories, secrets, leftovers) (stub: replaced by its collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::rootfs::RootFs;

/// Image hygiene before capture (host keys, machine-id, cloud-init state, histories, secrets, leftovers).
#[derive(Debug, Clone, Serialize)]
pub struct Hygiene {}

/// Collects the facts.
pub fn collect(_fs: &RootFs, _ctx: &Context) -> Result<Hygiene, FactError> {
    Err(FactError::Invalid("hygiene collector not built yet".into()))
}
