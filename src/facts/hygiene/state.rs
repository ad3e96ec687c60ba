//! Per-instance identity an image must not carry: /etc/machine-id, D-Bus's copy, cloud-init's
//! instance state, and network configuration bound to the build machine's MAC address.
//!
//! - machine-id(5): "uninitialized\n" (systemd ≥ 247) and an empty file both mean "first boot:
//!   generate one"; an absent file also makes systemd generate it (but `ConditionFirstBoot=`
//!   units then see a first boot only if /etc is writable). 32 lowercase hex digits is a set id,
//!   shared by every clone. Anything else is reported as `invalid` (systemd would regenerate it,
//!   but it is not what a clean image holds).
//! - /var/lib/dbus/machine-id: dbus-uuidgen(1) reads it before /etc/machine-id; Debian ships it
//!   as a symlink to /etc/machine-id. A regular file there is a stale copy.
//! - cloud-init (`cloud-init clean --logs`): /var/lib/cloud/instances/*, the
//!   /var/lib/cloud/instance link, /var/lib/cloud/data/instance-id and the two logs. With
//!   those present, cloud-init may take the first boot for a reboot of the build instance.
//! - MAC-bound network configuration: udev's 70-persistent-net.rules `ATTR{address}==`,
//!   netplan `macaddress:`, ifcfg `HWADDR=`/`MACADDR=`, NetworkManager keyfile `mac-address=`,
//!   systemd.link/systemd.network `MACAddress=`. Files that cloud-init writes from the datasource
//!   (its header says so) are marked `cloud_init_managed`: cloud-init rewrites them for a new
//!   instance. Netplan is YAML; a line-level `macaddress:` key match is enough here because the
//!   key has this one meaning wherever it appears (netplan(5)).

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::facts::{Fact, FactError, Source};
use crate::rootfs::{Kind, RootFs};

/// The state of /etc/machine-id.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MachineId {
    /// No file.
    Absent,
    /// Empty (or only whitespace).
    Empty,
    /// The literal `uninitialized`.
    Uninitialized,
    /// A 32-hex-digit id.
    Set,
    /// Something else.
    Invalid,
}

/// The state of /var/lib/dbus/machine-id.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DbusMachineId {
    /// No file.
    Absent,
    /// A symlink (to /etc/machine-id).
    Link,
    /// A regular file: a stale copy.
    File,
}

/// A piece of cloud-init instance state that is present.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct CloudInitState {
    /// In-image path.
    pub path: String,
    /// `instance-dir`, `instance-link`, `instance-id`, `log`.
    pub kind: String,
    /// The path.
    pub source: Source,
}

/// A network configuration line bound to a MAC address.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct MacBinding {
    /// In-image path.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// `udev`, `netplan`, `ifcfg`, `networkmanager`, `systemd-networkd`.
    pub kind: String,
    /// The MAC address (hardware addresses are not secrets).
    pub mac: String,
    /// cloud-init wrote the file from the datasource and rewrites it for a new instance.
    pub cloud_init_managed: bool,
    /// The file and line.
    pub source: Source,
}

/// Classifies machine-id content per machine-id(5).
pub fn parse_machine_id(text: &str) -> MachineId {
    let t = text.trim();
    if t.is_empty() {
        MachineId::Empty
    } else if t == "uninitialized" {
        MachineId::Uninitialized
    } else if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        MachineId::Set
    } else {
        MachineId::Invalid
    }
}

/// /etc/machine-id.
pub fn machine_id(fs: &RootFs) -> Result<Fact<MachineId>, FactError> {
    let path = "/etc/machine-id";
    Ok(match fs.read_text_limited(path, 4096)? {
        None => Fact::new(MachineId::Absent, Source::note("/etc/machine-id does not exist")),
        Some(t) => Fact::new(parse_machine_id(&t), Source::at(path, 1)),
    })
}

/// /var/lib/dbus/machine-id.
pub fn dbus_machine_id(fs: &RootFs) -> Result<Fact<DbusMachineId>, FactError> {
    let path = "/var/lib/dbus/machine-id";
    Ok(match fs.symlink_metadata(path)? {
        None => Fact::new(
            DbusMachineId::Absent,
            Source::note("/var/lib/dbus/machine-id does not exist"),
        ),
        Some(m) if m.kind == Kind::Symlink => Fact::new(DbusMachineId::Link, Source::file(path)),
        Some(_) => Fact::new(DbusMachineId::File, Source::file(path)),
    })
}

/// cloud-init instance state and logs present.
pub fn cloud_init_state(fs: &RootFs) -> Result<Vec<CloudInitState>, FactError> {
    let mut out = Vec::new();
    let mut push = |path: String, kind: &str| {
        out.push(CloudInitState {
            source: Source::file(&path),
            path,
            kind: kind.to_owned(),
        })
    };
    let (entries, _) = super::list_dir(fs, "/var/lib/cloud/instances")?;
    // Only the presence matters, so a directory past the entry bound is still reported.
    for e in entries {
        push(e.path, "instance-dir");
    }
    for (path, kind) in [
        ("/var/lib/cloud/instance", "instance-link"),
        ("/var/lib/cloud/data/instance-id", "instance-id"),
        ("/var/log/cloud-init.log", "log"),
        ("/var/log/cloud-init-output.log", "log"),
    ] {
        if fs.symlink_metadata(path)?.is_some() {
            push(path.to_owned(), kind);
        }
    }
    Ok(out)
}

static MAC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b([0-9a-f]{2}(?::[0-9a-f]{2}){5})\b").unwrap_or_else(|_| unreachable!()));

/// The header cloud-init writes at the top of the network files it renders.
const CLOUD_INIT_HEADER: &str = "generated from information provided by the datasource";

/// MAC-bound lines of one file: (line, mac). `kind` picks the syntax.
pub fn parse_mac_bindings(kind: &str, text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') {
            continue;
        }
        let value = match kind {
            // udev(7): a match key ATTR{address}=="…" (an assignment would be `=`).
            "udev" => line.split(',').map(str::trim).find_map(|kv| {
                kv.strip_prefix("ATTR{address}")
                    .and_then(|r| r.trim_start().strip_prefix("=="))
            }),
            "netplan" => line.strip_prefix("macaddress:"),
            "ifcfg" => line.strip_prefix("HWADDR=").or_else(|| line.strip_prefix("MACADDR=")),
            "networkmanager" => line
                .strip_prefix("mac-address=")
                .or_else(|| line.strip_prefix("cloned-mac-address=")),
            _ => line
                .strip_prefix("MACAddress=")
                .or_else(|| line.strip_prefix("PermanentMACAddress=")),
        };
        if let Some(m) = value.and_then(|v| MAC.captures(v)).and_then(|c| c.get(1)) {
            out.push((
                u32::try_from(i + 1).unwrap_or(u32::MAX),
                m.as_str().to_ascii_lowercase(),
            ));
        }
    }
    out
}

/// Every MAC-bound network configuration line.
pub fn persistent_net(fs: &RootFs) -> Result<Vec<MacBinding>, FactError> {
    let mut files: Vec<(String, &str)> = Vec::new();
    for (pattern, kind) in [
        ("/etc/udev/rules.d/*persistent-net*.rules", "udev"),
        ("/etc/netplan/*.yaml", "netplan"),
        ("/etc/sysconfig/network-scripts/ifcfg-*", "ifcfg"),
        ("/etc/NetworkManager/system-connections/*", "networkmanager"),
        ("/etc/systemd/network/*.link", "systemd-networkd"),
        ("/etc/systemd/network/*.network", "systemd-networkd"),
    ] {
        files.extend(fs.glob(pattern)?.into_iter().map(|p| (p, kind)));
    }
    let mut out = Vec::new();
    for (path, kind) in files {
        // ifcfg-lo has no MAC; a directory or a dangling link has nothing to read.
        let Some(text) = (match fs.metadata(&path)? {
            Some(m) if m.kind == Kind::File => fs.read_text(&path)?,
            _ => None,
        }) else {
            continue;
        };
        let managed = text.lines().take(10).any(|l| l.contains(CLOUD_INIT_HEADER));
        for (line, mac) in parse_mac_bindings(kind, &text) {
            out.push(MacBinding {
                source: Source::at(&path, line),
                path: path.clone(),
                line,
                kind: kind.to_owned(),
                mac,
                cloud_init_managed: managed,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_id_states_follow_machine_id_5() {
        assert_eq!(parse_machine_id(""), MachineId::Empty);
        assert_eq!(parse_machine_id("\n"), MachineId::Empty);
        assert_eq!(parse_machine_id("uninitialized\n"), MachineId::Uninitialized);
        assert_eq!(parse_machine_id("4f1c0a7e9b2d4c6e8a0b1c2d3e4f5a6b\n"), MachineId::Set);
        assert_eq!(parse_machine_id("hello\n"), MachineId::Invalid);
    }

    #[test]
    fn udev_match_key_counts_but_assignment_does_not() {
        let rules = "# comment\nSUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", ATTR{address}==\"52:54:00:12:34:56\", NAME=\"eth0\"\n";
        assert_eq!(parse_mac_bindings("udev", rules), vec![(2, "52:54:00:12:34:56".into())]);
        assert!(parse_mac_bindings("udev", "ATTR{address}=\"52:54:00:12:34:56\"\n").is_empty());
    }

    #[test]
    fn netplan_macaddress_anywhere_and_ifcfg_hwaddr_quoted() {
        let np = "network:\n  ethernets:\n    eth0:\n      match:\n        macaddress: \"06:AB:cd:00:11:22\"\n";
        assert_eq!(parse_mac_bindings("netplan", np), vec![(5, "06:ab:cd:00:11:22".into())]);
        assert_eq!(
            parse_mac_bindings("ifcfg", "DEVICE=eth0\nHWADDR=\"52:54:00:aa:bb:cc\"\n"),
            vec![(2, "52:54:00:aa:bb:cc".into())]
        );
        assert!(parse_mac_bindings("ifcfg", "#HWADDR=52:54:00:aa:bb:cc\n").is_empty());
    }
}
