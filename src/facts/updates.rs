//! Pending security updates and automatic updates: re-exports of the two collectors, which live in
//! `pending` and `auto_updates`.
pub use super::auto_updates::{AutoUpdates, collect_auto};
pub use super::pending::{PendingUpdates, collect_pending};
