//! sysctl.d(5) lines: `key = value`, `-key`, globs, comments.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = imagegate::facts::sysctl::parse(&text);
});
