//! os-release(5): shell-like assignments with quoting and escapes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = imagegate::facts::os_release::parse("/etc/os-release", &text);
});
