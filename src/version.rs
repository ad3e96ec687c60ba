//! Version ordering (placeholder until the dpkg/rpm implementations land).
use std::cmp::Ordering;

/// dpkg ordering.
pub fn dpkg_cmp(a: &str, b: &str) -> Ordering {
    a.cmp(b)
}

/// rpm ordering.
pub fn rpm_cmp(a: &str, b: &str) -> Ordering {
    a.cmp(b)
}
