//! PAM, login.defs, sudo, su, shell timeout and umask, cron and at, banners (stub: replaced by its collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::rootfs::RootFs;

/// PAM, login.defs, sudo, su, shell timeout and umask, cron and at, banners.
#[derive(Debug, Clone, Serialize)]
pub struct Access {}

/// Collects the facts.
pub fn collect(_fs: &RootFs, _ctx: &Context) -> Result<Access, FactError> {
    Err(FactError::Invalid("access collector not built yet".into()))
}
