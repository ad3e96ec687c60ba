//! An ndb rpmdb (/usr/lib/sysimage/rpm/Packages.db): header, slot pages and blobs, then every
//! header blob in it parsed as the package list does. The blobs handed out never add up to more
//! than the input (blobs may not overlap).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut total = 0usize;
    let _ = imagegate::facts::packages::ndb::each_blob(data, |_, blob| {
        total += blob.len();
        let _ = imagegate::facts::packages::rpm::parse_header(blob);
        Ok(())
    });
    assert!(total <= data.len());
    let _ = imagegate::facts::packages::rpm::read_ndb("/usr/lib/sysimage/rpm/Packages.db", data);
});
