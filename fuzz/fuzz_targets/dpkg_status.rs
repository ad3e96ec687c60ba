//! /var/lib/dpkg/status: deb822 stanzas and dpkg's Status/Version semantics, and the dpkg
//! version ordering on the versions it yields.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(p) = imagegate::facts::packages::dpkg::parse("/var/lib/dpkg/status", &text) {
        let versions: Vec<&str> = p.installed.values().map(|p| p.version.as_str()).collect();
        for w in versions.windows(2) {
            let _ = imagegate::version::dpkg_cmp(w[0], w[1]);
        }
    }
});
