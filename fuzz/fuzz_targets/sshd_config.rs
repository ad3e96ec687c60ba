//! sshd_config with includes: the input is split at NUL bytes into the main file and up to seven
//! drop-ins (/etc/ssh/sshd_config.d/N.conf), written into one temporary root per process, then
//! collected as facts and rendered as `sshd -T` (with and without a connection spec).
#![no_main]
use std::sync::OnceLock;

use imagegate::facts::sshd::{collect_sshd, parse_conn_spec, render_sshd_t};
use imagegate::rootfs::RootFs;
use libfuzzer_sys::fuzz_target;

fn root() -> &'static tempfile::TempDir {
    static ROOT: OnceLock<tempfile::TempDir> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("etc/ssh/sshd_config.d")).expect("mkdir");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = root();
    let ssh = dir.path().join("etc/ssh");
    let dropins = ssh.join("sshd_config.d");
    for i in 1..8 {
        let _ = std::fs::remove_file(dropins.join(format!("{i}.conf")));
    }
    let mut parts = data.split(|&b| b == 0);
    let main = parts.next().unwrap_or_default();
    std::fs::write(ssh.join("sshd_config"), main).expect("write");
    for (i, part) in parts.take(7).enumerate() {
        std::fs::write(dropins.join(format!("{}.conf", i + 1)), part).expect("write");
    }
    let fs = RootFs::open(dir.path()).expect("open");
    let _ = collect_sshd(&fs, Some("9.6p1"));
    let _ = collect_sshd(&fs, None);
    let _ = render_sshd_t(&fs, None, None);
    if let Ok(conn) = parse_conn_spec("user=root,host=h.example,addr=10.0.0.1,laddr=10.0.0.2,lport=22") {
        let _ = render_sshd_t(&fs, None, Some(&conn));
    }
    if let Some(line) = main.split(|&b| b == b'\n').next() {
        let _ = parse_conn_spec(&String::from_utf8_lossy(line));
    }
});
