//! Other configuration parsers: apt.conf(5), INI (dnf-automatic, yum-cron), cloud.cfg and
//! instance-data.json, SELinux config, AppArmor profile listings and flags, shell assignments.
#![no_main]
use imagegate::facts::{auto_updates, boot, cloud_init, mac};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    match sel % 5 {
        0 => {
            let mut cfg = auto_updates::AptConfig::new();
            let _ = auto_updates::parse_apt_conf("/etc/apt/apt.conf.d/50unattended-upgrades", &text, &mut cfg);
        }
        1 => {
            let _ = auto_updates::parse_ini("/etc/dnf/automatic.conf", &text);
        }
        2 => {
            let _ = cloud_init::parse_cfg(&text);
            let _ = cloud_init::parse_instance_data("/run/cloud-init/instance-data.json", &text);
        }
        3 => {
            let _ = mac::parse_selinux_config("/etc/selinux/config", &text);
            let _ = mac::parse_loaded_profiles(&text);
            let _ = mac::parse_complain_flags(&text);
        }
        _ => {
            let mut sh = boot::Shell::new();
            let _ = sh.source("/etc/default/grub", &text);
            let _ = sh.params("GRUB_CMDLINE_LINUX");
            let _ = boot::parse_shell_vars(&text);
        }
    }
});
