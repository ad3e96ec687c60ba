//! Line-oriented /etc files read by the capture profile: fstab(5) swap entries, machine-id(5),
//! persistent-net MAC bindings, authorized_keys (sshd(8) AUTHORIZED_KEYS FILE FORMAT).
#![no_main]
use imagegate::facts::hygiene::{keys, leftovers, state};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = leftovers::parse_fstab_swap(&text);
    let _ = state::parse_machine_id(&text);
    let _ = state::parse_mac_bindings("udev", &text);
    let _ = state::parse_mac_bindings("netplan", &text);
    let _ = state::parse_mac_bindings("ifcfg", &text);
    let _ = keys::parse_authorized_keys(&text);
    let _ = keys::base64_decode(&text);
});
