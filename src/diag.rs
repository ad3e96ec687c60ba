//! Diagnostics on stderr: the only place besides `main` that writes there, so results on stdout
//! stay machine-readable.
#![allow(clippy::disallowed_macros)]

/// Prints `imagegate: error: MSG` on stderr.
pub fn error(msg: &str) {
    eprintln!("imagegate: error: {}", crate::names::display(msg));
}

/// Prints `imagegate: warning: MSG` on stderr.
pub fn warning(msg: &str) {
    eprintln!("imagegate: warning: {}", crate::names::display(msg));
}
