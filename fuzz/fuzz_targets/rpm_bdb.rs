//! A Berkeley DB rpmdb (/var/lib/rpm/Packages): hash and overflow pages, then every header blob
//! in it parsed as the package list does. The values handed out never add up to more than the
//! input (an overflow page belongs to one chain).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut total = 0usize;
    let _ = imagegate::facts::packages::bdb::each_blob(data, |_, blob| {
        total += blob.len();
        let _ = imagegate::facts::packages::rpm::parse_header(blob);
        Ok(())
    });
    assert!(total <= data.len());
    let _ = imagegate::facts::packages::rpm::read_bdb("/var/lib/rpm/Packages", data);
});
