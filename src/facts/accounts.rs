//! Local accounts (stub: replaced by the accounts collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::rootfs::RootFs;

/// Local accounts.
#[derive(Debug, Clone, Serialize)]
pub struct Accounts {}

/// Collects accounts from passwd, shadow and group.
pub fn collect(_fs: &RootFs, _ctx: &Context) -> Result<Accounts, FactError> {
    Err(FactError::Invalid("accounts collector not built yet".into()))
}
