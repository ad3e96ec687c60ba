//! Release support lifecycle (stub: replaced by the lifecycle collector).
use serde::Serialize;

use super::{Collected, Context, FactError};
use crate::facts::os_release::OsRelease;

/// Support lifecycle of the scanned release.
#[derive(Debug, Clone, Serialize)]
pub struct Lifecycle {}

/// Looks the release up in the shipped lifecycle table.
pub fn collect(_ctx: &Context, _os: &Collected<OsRelease>) -> Result<Lifecycle, FactError> {
    Err(FactError::Invalid("lifecycle table not built yet".into()))
}
