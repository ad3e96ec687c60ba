//! The effective sshd configuration (stub: replaced by the sshd collector).
use serde::Serialize;

use super::{Context, FactError};
use crate::facts::packages::Packages;
use crate::rootfs::RootFs;

/// The effective sshd configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Sshd {}

/// Collects the effective sshd configuration.
pub fn collect(_fs: &RootFs, _ctx: &Context, _packages: Option<&Packages>) -> Result<Sshd, FactError> {
    Err(FactError::Invalid("sshd collector not built yet".into()))
}

/// A connection spec for `sshd -T -C` (stub).
#[derive(Debug, Clone)]
pub struct ConnSpec {}

/// Parses `user=alice,host=h,addr=10.0.0.1` (stub).
pub fn parse_conn_spec(_s: &str) -> Result<ConnSpec, String> {
    Err("not built yet".into())
}

/// Renders the effective configuration as `sshd -T` does (stub).
pub fn render_sshd_t(_fs: &RootFs, _version: Option<&str>, _conn: Option<&ConnSpec>) -> Result<String, FactError> {
    Err(FactError::Invalid("sshd collector not built yet".into()))
}

/// The installed OpenSSH server version, from the package database (stub).
pub fn openssh_version(_packages: Option<&Packages>) -> Option<String> {
    None
}
