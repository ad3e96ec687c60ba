//! /lib/apk/db/installed: apk's one-letter-key records.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = imagegate::facts::packages::apk::parse("/lib/apk/db/installed", &text);
});
