//! rpm and dnf data: an rpmdb header blob (first byte 0), a dnf updateinfo.xml (first byte 1),
//! and rpm version ordering on anything else.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    match sel % 3 {
        0 => {
            let _ = imagegate::facts::packages::rpm::parse_header(rest);
        }
        1 => {
            let text = String::from_utf8_lossy(rest);
            let _ = imagegate::facts::updates::pending::parse_updateinfo("/var/cache/dnf/x/repodata/updateinfo.xml", &text);
        }
        _ => {
            let text = String::from_utf8_lossy(rest);
            let (a, b) = text.split_once('\n').unwrap_or((&text, ""));
            let _ = imagegate::version::rpm_cmp(a, b);
        }
    }
});
