//! Integration tests.

mod version_diff;
