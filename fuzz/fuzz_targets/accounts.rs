//! passwd(5), shadow(5), group(5): the input is three files separated by NUL bytes, parsed by the
//! accounts collector and by the capture profile's user reader, then cross-derived.
#![no_main]
use imagegate::facts::{accounts, hygiene::users};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0).map(String::from_utf8_lossy);
    let passwd = parts.next().unwrap_or_default();
    let shadow = parts.next().unwrap_or_default();
    let group = parts.next().unwrap_or_default();
    let u = accounts::parse_passwd("/etc/passwd", &passwd);
    let g = accounts::parse_group("/etc/group", &group);
    let s = accounts::parse_shadow("/etc/shadow", &shadow);
    for field in shadow.split(':').take(8) {
        let _ = accounts::password_state(field);
        let _ = accounts::hash_algorithm(field);
    }
    if let (Ok(u), Ok(g)) = (u, g) {
        let _ = accounts::derive(u, g, s.into());
    }
    let _ = users::parse_passwd("/etc/passwd", &passwd);
    let _ = users::parse_shadow(&shadow);
});
