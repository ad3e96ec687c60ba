//! Package version ordering, as the package managers themselves order versions.
//!
//! - [`dpkg_cmp`] follows deb-version(7) and dpkg's `verrevcmp` (lib/dpkg/version.c): the epoch
//!   compares numerically, then upstream version and Debian revision each compare by alternating
//!   non-digit and digit runs; in non-digit runs `~` sorts before everything (even the end of the
//!   string), letters before non-letters; digit runs compare numerically (leading zeros ignored).
//!   The revision is everything after the *last* hyphen, the epoch everything before the *first*
//!   colon. [`dpkg_valid`] applies parseversion's checks, including the ones dpkg only warns about.
//! - [`rpm_cmp`] follows rpm ≥ 4.15's `rpmvercmp` (rpmio/rpmvercmp.c) on `[epoch:]version[-release]`:
//!   separators are every non-alphanumeric character except `~` and `^`; `~` sorts before
//!   everything, `^` after the base version but before any other continuation; numeric runs beat
//!   alphabetic ones; a missing epoch is 0.
//!
//! apk ordering (apk-tools' token grammar with `_alpha`…`_p` suffixes) is deliberately not
//! implemented: no rule compares apk versions and Alpine has no local advisory metadata to compare
//! against (see facts::updates::pending). Only ASCII classifies as letters or digits, as in both C sources.

use std::cmp::Ordering;

/// dpkg's `order()`: the weight of one character in a non-digit run.
fn dpkg_order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp` on one version part (upstream version or revision).
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0usize, 0usize);
    let at = |s: &[u8], k: usize| s.get(k).copied();
    let digit = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_digit());
    while i < a.len() || j < b.len() {
        // Non-digit prefix, character by character with dpkg's weights.
        while (i < a.len() && !digit(at(a, i))) || (j < b.len() && !digit(at(b, j))) {
            let (ac, bc) = (dpkg_order(at(a, i)), dpkg_order(at(b, j)));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while at(a, i) == Some(b'0') {
            i += 1;
        }
        while at(b, j) == Some(b'0') {
            j += 1;
        }
        // Digit runs: the longer one is larger; at equal length the first differing digit decides.
        let mut first_diff = Ordering::Equal;
        while digit(at(a, i)) && digit(at(b, j)) {
            if first_diff == Ordering::Equal {
                first_diff = at(a, i).cmp(&at(b, j));
            }
            i += 1;
            j += 1;
        }
        if digit(at(a, i)) {
            return Ordering::Greater;
        }
        if digit(at(b, j)) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// A version split per deb-version(7): `(epoch, upstream, revision)`.
fn dpkg_split(v: &str) -> (&str, &str, &str) {
    let v = v.trim();
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) => (e, r),
        None => ("", v),
    };
    match rest.rsplit_once('-') {
        Some((up, rev)) => (epoch, up, rev),
        None => (epoch, rest, ""),
    }
}

/// Numeric epoch; dpkg rejects non-numeric epochs, and imagegate treats them as 0 for ordering
/// (callers that care check [`dpkg_valid`] first). Long digit strings compare by value without
/// overflowing.
fn epoch_cmp(a: &str, b: &str) -> Ordering {
    let norm = |s: &str| {
        let s = s.trim_start_matches('0');
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.to_owned()
        } else {
            String::new()
        }
    };
    let (a, b) = (norm(a), norm(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(&b))
}

/// Compares two Debian package versions as `dpkg --compare-versions` does.
pub fn dpkg_cmp(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = dpkg_split(a);
    let (eb, ub, rb) = dpkg_split(b);
    epoch_cmp(ea, eb)
        .then_with(|| verrevcmp(ua.as_bytes(), ub.as_bytes()))
        .then_with(|| verrevcmp(ra.as_bytes(), rb.as_bytes()))
}

/// Whether dpkg accepts `v` without error or warning (parseversion in lib/dpkg/parsehelp.c):
/// non-empty, no embedded whitespace, a numeric epoch (≤ i32::MAX) when a colon is present,
/// something after the colon, a non-empty revision when a hyphen is present, an upstream version
/// that starts with a digit and uses only alphanumerics and `.+~-:`, a revision of alphanumerics
/// and `.+~`.
pub fn dpkg_valid(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() || v.chars().any(char::is_whitespace) {
        return false;
    }
    let rest = match v.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() || !epoch.bytes().all(|c| c.is_ascii_digit()) || epoch.parse::<i32>().is_err() {
                return false;
            }
            if rest.is_empty() {
                return false;
            }
            rest
        }
        None => v,
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((_, "")) => return false,
        Some((u, r)) => (u, Some(r)),
        None => (rest, None),
    };
    if !upstream.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    if !upstream
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b".-+~:".contains(&c))
    {
        return false;
    }
    revision.is_none_or(|r| r.bytes().all(|c| c.is_ascii_alphanumeric() || b".+~".contains(&c)))
}

/// rpm's `rpmvercmp` (rpm ≥ 4.15, with `^`) on one version or release string.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while i < a.len() && a.get(i).is_some_and(|&c| sep(c)) {
            i += 1;
        }
        while j < b.len() && b.get(j).is_some_and(|&c| sep(c)) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca.is_none() && cb.is_none() {
            break;
        }
        // `~` sorts before everything else, even the end of the string.
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        // `^` sorts after the end of the string (the base version) but before anything else.
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(first), Some(_)) = (ca, cb) else { break };
        let isnum = first.is_ascii_digit();
        let class = |c: &u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let seg_a_len = a.get(i..).unwrap_or_default().iter().take_while(|c| class(c)).count();
        let seg_b_len = b.get(j..).unwrap_or_default().iter().take_while(|c| class(c)).count();
        let mut seg_a = a.get(i..i + seg_a_len).unwrap_or_default();
        let mut seg_b = b.get(j..j + seg_b_len).unwrap_or_default();
        i += seg_a_len;
        j += seg_b_len;
        // Segments of different types: numeric is always newer than alphabetic.
        if seg_b.is_empty() {
            return if isnum { Ordering::Greater } else { Ordering::Less };
        }
        if isnum {
            while seg_a.first() == Some(&b'0') {
                seg_a = seg_a.get(1..).unwrap_or_default();
            }
            while seg_b.first() == Some(&b'0') {
                seg_b = seg_b.get(1..).unwrap_or_default();
            }
            match seg_a.len().cmp(&seg_b.len()) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        match seg_a.cmp(seg_b) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    // All segments equal: whichever string has characters left wins (separators differ only).
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// Splits `[epoch:]version[-release]` the way rpm parses an EVR string (rpmverParse: the epoch is
/// the digits before the first colon, the release what follows the last hyphen).
pub fn rpm_split(evr: &str) -> (u64, &str, Option<&str>) {
    let (epoch, rest) = match evr.split_once(':') {
        Some((e, r)) if e.bytes().all(|c| c.is_ascii_digit()) => (e.parse().unwrap_or(0), r),
        _ => (0, evr),
    };
    match rest.rsplit_once('-') {
        Some((v, r)) => (epoch, v, Some(r)),
        None => (epoch, rest, None),
    }
}

/// Compares two `[epoch:]version[-release]` strings as rpm orders packages (rpmVersionCompare):
/// epoch, then version, then release with [`rpmvercmp`]; a release missing on one side is not
/// compared (as rpmdsCompare treats a dependency without a release).
pub fn rpm_cmp(a: &str, b: &str) -> Ordering {
    let (ea, va, ra) = rpm_split(a);
    let (eb, vb, rb) = rpm_split(b);
    ea.cmp(&eb)
        .then_with(|| rpmvercmp(va, vb))
        .then_with(|| match (ra, rb) {
            (Some(ra), Some(rb)) => rpmvercmp(ra, rb),
            _ => Ordering::Equal,
        })
}

/// The upstream part of a package version, normalised to its leading dotted-number run, for
/// comparing the same software across package managers: `1:24.1.3-0ubuntu1~22.04.1` → `24.1.3`,
/// `23.4-7.el9` → `23.4`, `24.1.3-r0` → `24.1.3`. `None` when it does not start with a digit.
pub fn upstream_numeric(v: &str) -> Option<String> {
    let v = v.trim();
    let v = v.split_once(':').map_or(v, |(_, r)| r);
    let run: String = v.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let run = run.trim_end_matches('.');
    if run.is_empty() { None } else { Some(run.to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    #[test]
    fn dpkg_tilde_sorts_before_everything_even_end_of_string() {
        assert_eq!(dpkg_cmp("1.0~rc1", "1.0"), Less);
        assert_eq!(dpkg_cmp("1.0~~", "1.0~"), Less);
        assert_eq!(dpkg_cmp("1.0~~a", "1.0~~"), Greater);
        assert_eq!(dpkg_cmp("1.0~", "1.0"), Less);
        assert_eq!(dpkg_cmp("24.1.3-0ubuntu1~22.04.1", "24.1.3-0ubuntu1"), Less);
    }

    #[test]
    fn dpkg_letters_sort_before_non_letters() {
        assert_eq!(dpkg_cmp("1.0a", "1.0+"), Less);
        assert_eq!(dpkg_cmp("1.0a", "1.0."), Less);
        assert_eq!(dpkg_cmp("1.0+", "1.0."), Less);
        assert_eq!(dpkg_cmp("1.0", "1.0a"), Less);
        assert_eq!(dpkg_cmp("1.0Z", "1.0a"), Less);
    }

    #[test]
    fn dpkg_epoch_dominates() {
        assert_eq!(dpkg_cmp("1:1.0", "2.0"), Greater);
        assert_eq!(dpkg_cmp("0:1.0", "1.0"), Equal);
        assert_eq!(dpkg_cmp("00:1.0", "1.0"), Equal);
        assert_eq!(dpkg_cmp("1:9.6p1-3ubuntu13.5", "1:9.6p1-3ubuntu13.4"), Greater);
        assert_eq!(dpkg_cmp("99999999999999999999:1", "2:1"), Greater);
    }

    #[test]
    fn dpkg_leading_zeros_and_long_digit_runs() {
        assert_eq!(dpkg_cmp("1.001", "1.1"), Equal);
        assert_eq!(dpkg_cmp("1.010", "1.9"), Greater);
        assert_eq!(dpkg_cmp("1.123456789012345678901", "1.123456789012345678900"), Greater);
    }

    #[test]
    fn dpkg_revision_is_after_last_hyphen() {
        assert_eq!(dpkg_cmp("1.0-1-2", "1.0-1-10"), Less);
        assert_eq!(dpkg_cmp("1.0", "1.0-0"), Equal);
        assert_eq!(dpkg_cmp("1.0-1", "1.0"), Greater);
        assert_eq!(dpkg_cmp("1:2:3-4", "1:2:3-4"), Equal);
    }

    #[test]
    fn dpkg_valid_rejects_what_parseversion_rejects() {
        assert!(dpkg_valid("1:9.6p1-3ubuntu13.5"));
        assert!(dpkg_valid("1.0"));
        assert!(dpkg_valid("1:2:3-4"));
        assert!(!dpkg_valid(""));
        assert!(!dpkg_valid("1.0-"));
        assert!(!dpkg_valid(":1.0"));
        assert!(!dpkg_valid("1:"));
        assert!(!dpkg_valid("a:1.0"));
        assert!(!dpkg_valid("1 0"));
        assert!(!dpkg_valid("abc"));
        assert!(!dpkg_valid("1.0_1"));
        assert!(!dpkg_valid("1.0-a:b"));
        assert!(!dpkg_valid("99999999999:1"));
    }

    #[test]
    fn rpm_tilde_and_caret() {
        assert_eq!(rpmvercmp("1.0~rc1", "1.0"), Less);
        assert_eq!(rpmvercmp("1.0^git1", "1.0"), Greater);
        assert_eq!(rpmvercmp("1.0^git1", "1.0.1"), Less);
        assert_eq!(rpmvercmp("1.0^", "1.0"), Greater);
        assert_eq!(rpmvercmp("1.0~rc1^git1", "1.0~rc1"), Greater);
        assert_eq!(rpmvercmp("1.0^git1~pre", "1.0^git1"), Less);
    }

    #[test]
    fn rpm_numeric_beats_alpha_and_separators_are_equal() {
        assert_eq!(rpmvercmp("1.0a", "1.0.1"), Less);
        assert_eq!(rpmvercmp("2.0.1a", "2.0.1"), Greater);
        assert_eq!(rpmvercmp("1_0", "1.0"), Equal);
        assert_eq!(rpmvercmp("1.0", "1.0."), Equal);
        assert_eq!(rpmvercmp("001", "1"), Equal);
        assert_eq!(rpmvercmp("10", "9"), Greater);
        assert_eq!(rpmvercmp("a", "1"), Less);
        assert_eq!(rpmvercmp("FC5", "fc4"), Less);
        assert_eq!(rpmvercmp("8.7p1", "8.7p1"), Equal);
    }

    #[test]
    fn rpm_evr_epoch_and_missing_release() {
        assert_eq!(rpm_cmp("1:1.0-1", "2.0-1"), Greater);
        assert_eq!(rpm_cmp("8.7p1-38.el9", "8.7p1-38.el9_4.4"), Less);
        assert_eq!(rpm_cmp("0:8.7p1-38.el9", "8.7p1-38.el9"), Equal);
        assert_eq!(rpm_cmp("8.7p1", "8.7p1-38.el9"), Equal);
    }

    #[test]
    fn upstream_numeric_drops_epoch_revision_and_suffixes() {
        assert_eq!(upstream_numeric("24.1.3-0ubuntu1~22.04.1").as_deref(), Some("24.1.3"));
        assert_eq!(upstream_numeric("1:22.4.2-1").as_deref(), Some("22.4.2"));
        assert_eq!(upstream_numeric("23.4").as_deref(), Some("23.4"));
        assert_eq!(upstream_numeric("24.1.3-r0").as_deref(), Some("24.1.3"));
        assert_eq!(upstream_numeric("git20240101"), None);
    }
}
