//! Pending security updates (the `updates` fact group, collected in [`pending`]) and, re-exported,
//! the automatic-update settings (`auto_updates`, in its own module).
pub mod pending;

// What `pending` names through `super::` (it was a module of `facts` before it moved here).
use super::{Collected, Context, Fact, FactError, Source, packages};

pub use super::auto_updates::{AutoUpdates, collect_auto};
pub use pending::{PendingUpdates, collect_pending};
