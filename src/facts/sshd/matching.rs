//! Pattern and address matching used by `Match` evaluation and algorithm lists: OpenSSH 9.2p1
//! `match.c` (`match_pattern`, `match_pattern_list`, `match_filter_allowlist/denylist`) and
//! `addrmatch.c` (`addr_match_list`). Offline there is no reverse DNS: `Host` matches the name
//! given in the connection spec only.

use std::net::IpAddr;

/// `match_pattern`: `*` and `?` wildcards over the whole string, case-sensitive.
pub(super) fn match_pattern(s: &str, pat: &str) -> bool {
    // fnmatch without brackets/escapes is exactly sshd's matcher for `*` and `?`.
    let (s, p) = (s.as_bytes(), pat.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let (mut star, mut mark) = (usize::MAX, 0usize);
    while i < s.len() {
        if j < p.len() && (p[j] == b'?' || p[j] == s[i]) && p[j] != b'*' {
            i += 1;
            j += 1;
        } else if j < p.len() && p[j] == b'*' {
            star = j;
            mark = i;
            j += 1;
        } else if star != usize::MAX {
            j = star + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    while j < p.len() && p[j] == b'*' {
        j += 1;
    }
    j == p.len()
}

/// `match_pattern_list`: 1 if a positive sub-pattern matches and no negated one does, -1 if a
/// negated one matches, 0 otherwise. With `dolower` the patterns are lowercased.
pub(super) fn match_pattern_list(s: &str, list: &str, dolower: bool) -> i32 {
    let mut positive = false;
    for sub in list.split(',') {
        let (neg, sub) = match sub.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, sub),
        };
        let sub = if dolower {
            sub.to_ascii_lowercase()
        } else {
            sub.to_owned()
        };
        if match_pattern(s, &sub) {
            if neg {
                return -1;
            }
            positive = true;
        }
    }
    i32::from(positive)
}

/// `match_filter_allowlist(proposal, filter)`: names of `proposal` (in its order) that the
/// pattern-list `filter` matches.
pub(super) fn filter_allow(proposal: &str, filter: &str) -> Vec<String> {
    proposal
        .split(',')
        .filter(|n| !n.is_empty() && match_pattern_list(n, filter, false) == 1)
        .map(str::to_owned)
        .collect()
}

/// `match_filter_denylist(proposal, filter)`: names of `proposal` the filter does not match.
pub(super) fn filter_deny(proposal: &str, filter: &str) -> Vec<String> {
    proposal
        .split(',')
        .filter(|n| !n.is_empty() && match_pattern_list(n, filter, false) != 1)
        .map(str::to_owned)
        .collect()
}

/// `addr_pton` (addrmatch.c): getaddrinfo(3) with AI_NUMERICHOST, which takes every IPv6 form
/// and, for IPv4, what inet_aton(3) takes: one to four parts, each decimal, `0x` hexadecimal or
/// `0` octal, the last filling the remaining bytes (`10.1` is 10.0.0.1, `127.1` is 127.0.0.1).
pub(super) fn parse_addr(s: &str) -> Option<IpAddr> {
    if let Ok(a) = s.parse::<IpAddr>() {
        return Some(a);
    }
    if s.contains(':') {
        return None;
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut vals = Vec::with_capacity(4);
    for p in &parts {
        if !p.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let (radix, digits) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            (16, h)
        } else if p.len() > 1 && p.starts_with('0') {
            (8, &p[1..])
        } else {
            (10, *p)
        };
        // strtoul of "0x" alone is 0 (the x is left over: an error for inet_aton).
        if digits.is_empty() && radix == 16 {
            return None;
        }
        let v = if digits.is_empty() {
            0
        } else {
            u64::from_str_radix(digits, radix).ok()?
        };
        vals.push(v);
    }
    let (last, head) = vals.split_last()?;
    if head.iter().any(|v| *v > 255) {
        return None;
    }
    let bits = 8 * (4 - head.len() as u32);
    if bits < 64 && *last >= 1u64 << bits {
        return None;
    }
    let mut n: u32 = 0;
    for (i, v) in head.iter().enumerate() {
        n |= (*v as u32) << (24 - 8 * i as u32);
    }
    n |= *last as u32;
    Some(IpAddr::V4(std::net::Ipv4Addr::from(n)))
}

/// `addr_pton_cidr`: Ok((addr, masklen)), Err(-1) not an address, Err(-2) host bits set or
/// bad mask.
fn pton_cidr(s: &str) -> Result<(IpAddr, u32), i32> {
    let (a, m) = match s.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (s, None),
    };
    let addr: IpAddr = parse_addr(a).ok_or(-1)?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match m {
        None => max,
        Some(m) => {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_digit()) {
                return Err(-1);
            }
            let l: u32 = m.parse().map_err(|_| -1)?;
            // addr_pton_cidr: above 128 the entry is not a CIDR at all (a pattern); between the
            // family's width and 128 it is an invalid one (masklen_valid).
            if l > 128 {
                return Err(-1);
            }
            if l > max {
                return Err(-2);
            }
            l
        }
    };
    let bits = to_bits(&addr);
    if bits & !prefix_mask(len) != 0 {
        return Err(-2);
    }
    Ok((addr, len))
}

fn to_bits(a: &IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u128::from(u32::from(*v)) << 96,
        IpAddr::V6(v) => u128::from(*v),
    }
}

/// The top `len` bits set (IPv4 addresses live in the top 32 bits, see [`to_bits`]).
fn prefix_mask(len: u32) -> u128 {
    if len == 0 { 0 } else { u128::MAX << (128 - len.min(128)) }
}

fn net_match(addr: &IpAddr, net: &IpAddr, len: u32) -> bool {
    if addr.is_ipv4() != net.is_ipv4() {
        return false;
    }
    let m = prefix_mask(len);
    to_bits(addr) & m == to_bits(net) & m
}

/// `addr_match_list`: 1 match, 0 no match, -1 negated match, -2 invalid list. With `addr` None
/// only the list's validity is checked.
pub(super) fn addr_match_list(addr: Option<&str>, list: &str) -> i32 {
    let try_addr = match addr {
        Some(a) => match parse_addr(a) {
            Some(x) => Some(x),
            None => return 0,
        },
        None => None,
    };
    let mut ret = 0;
    for cp in list.split(',') {
        let (neg, cp) = match cp.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, cp),
        };
        if cp.is_empty() {
            return -2;
        }
        let found = match pton_cidr(cp) {
            Err(-2) => return -2,
            Ok((net, len)) => try_addr.as_ref().is_some_and(|a| net_match(a, &net, len)),
            Err(_) => addr.is_some_and(|a| match_pattern(a, cp)),
        };
        if found {
            if neg {
                return -1;
            }
            ret = 1;
        }
    }
    ret
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negation_wins_over_positive() {
        assert_eq!(match_pattern_list("alice", "*,!alice", false), -1);
        assert_eq!(match_pattern_list("bob", "*,!alice", false), 1);
        assert_eq!(match_pattern_list("Bob", "bob", false), 0);
        assert_eq!(match_pattern_list("host.example", "*.EXAMPLE", true), 1);
    }

    #[test]
    fn cidr_with_host_bits_is_invalid() {
        assert_eq!(addr_match_list(None, "10.0.0.1/8"), -2);
        assert_eq!(addr_match_list(None, "10.0.0.0/40"), -2);
        assert_eq!(addr_match_list(None, "10.0.0.0/129"), 0);
        assert_eq!(addr_match_list(None, "10.0.0.0/8,192.168.*"), 0);
        assert_eq!(addr_match_list(Some("10.1.2.3"), "10.0.0.0/8"), 1);
        assert_eq!(addr_match_list(Some("10.1.2.3"), "!10.0.0.0/8,*"), -1);
        assert_eq!(addr_match_list(Some("192.168.1.5"), "192.168.1.*"), 1);
        assert_eq!(addr_match_list(Some("2001:db8::1"), "2001:db8::/32"), 1);
        assert_eq!(addr_match_list(None, "!"), -2);
    }

    #[test]
    fn short_form_ipv4_as_getaddrinfo_reads_it() {
        let v4 = |s: &str| parse_addr(s).map(|a| a.to_string());
        assert_eq!(v4("10.1").as_deref(), Some("10.0.0.1"));
        assert_eq!(v4("10.1.2").as_deref(), Some("10.1.0.2"));
        assert_eq!(v4("127.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(v4("0x7f.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(v4("012.1.2.3").as_deref(), Some("10.1.2.3"));
        assert_eq!(v4("167772161").as_deref(), Some("10.0.0.1"));
        assert_eq!(v4("10.256"), Some("10.0.1.0".into()));
        assert_eq!(v4("256.1"), None);
        assert_eq!(v4("10.1."), None);
        assert_eq!(v4("08.1"), None);
        assert_eq!(addr_match_list(Some("10.0.0.1"), "10.1"), 1);
        assert_eq!(addr_match_list(Some("10.0.0.1"), "10.1/8"), -2);
    }
}
