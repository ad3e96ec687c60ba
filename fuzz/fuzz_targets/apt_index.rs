//! apt lists: InRelease clearsign stripping, Release `Date:` and deb822 Packages stanzas.
#![no_main]
use libfuzzer_sys::fuzz_target;

use imagegate::facts::packages::dpkg::parse_stanzas;
use imagegate::facts::updates::pending::{parse_release_date, strip_clearsign};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let stripped = strip_clearsign(&text);
    for input in [text.as_ref(), stripped.as_str()] {
        if let Ok(stanzas) = parse_stanzas("/var/lib/apt/lists/x_InRelease", input) {
            for st in &stanzas {
                if let Some((date, _)) = st.get("date") {
                    let _ = parse_release_date(date);
                }
                if let (Some((a, _)), Some((b, _))) = (st.get("version"), st.get("source")) {
                    let _ = imagegate::version::dpkg_cmp(a, b);
                }
            }
        }
    }
    for line in text.lines().take(64) {
        let _ = parse_release_date(line);
    }
});
