//! Integration tests.
mod sshd_diff;
