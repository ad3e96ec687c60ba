//! imagegate: a pre-deployment compliance checker for Linux server images.
//!
//! The pipeline is `rootfs` (confined reads) → `facts` (typed values with provenance) → `rules`
//! (TOML data: predicates over fact paths) → `eval` (findings) → `report` (text, JSON, …).
#![warn(missing_docs)]

pub mod facts;
pub mod rootfs;
pub mod version;
