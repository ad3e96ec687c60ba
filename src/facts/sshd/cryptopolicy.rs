//! RHEL 8's system-wide crypto policy for sshd. On RHEL 8 and its rebuilds (and Alibaba Cloud
//! Linux 3, Anolis 8), sshd.service reads `CRYPTO_POLICY` from the crypto-policies back-end
//! (`EnvironmentFile=-/etc/crypto-policies/back-ends/opensshserver.config`), then
//! /etc/sysconfig/sshd (`EnvironmentFile=-/etc/sysconfig/sshd`, where `CRYPTO_POLICY=` opts out),
//! and starts `/usr/sbin/sshd -D $OPTIONS $CRYPTO_POLICY`: the policy's `-oCiphers=…`,
//! `-oKexAlgorithms=…` … are command-line options, which sshd reads before its configuration
//! files, so they win over sshd_config (first value wins). RHEL 9 and later include the back-end
//! from sshd_config.d/50-redhat.conf instead: an ordinary Include, read by `parse.rs`.
//!
//! [`command_line`] gives those options as directives sshd processes first, each with the line of
//! the file that set `CRYPTO_POLICY` as its source.

use super::parse::{Directive, LineKind, parse_line};
use crate::facts::os_release;
use crate::facts::{FactError, Source};
use crate::rootfs::RootFs;

/// The crypto-policies back-end for the OpenSSH server.
pub(super) const BACKEND: &str = "/etc/crypto-policies/back-ends/opensshserver.config";
/// The service's own environment file, read after the back-end.
pub(super) const SYSCONFIG: &str = "/etc/sysconfig/sshd";

/// Whether the image's os-release names a RHEL 8 family release, whose sshd.service passes the
/// crypto policy on the command line.
fn rhel8_family(fs: &RootFs) -> bool {
    let Ok(os) = os_release::collect(fs) else {
        return false;
    };
    let id = os.id.as_ref().map_or("", |f| f.value.as_str());
    let major = os
        .version_id
        .as_ref()
        .map_or("", |f| f.value.split('.').next().unwrap_or(""));
    (os.family == "rhel" && major == "8" && id != "fedora") || (id == "alinux" && major == "3")
}

/// The last `CRYPTO_POLICY=` assignment of an environment file (systemd's EnvironmentFile
/// syntax: `KEY=value`, the value optionally in single or double quotes; `#` and `;` lines are
/// comments), with its line number.
fn crypto_policy(text: &str) -> Option<(String, u32)> {
    let mut found = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        let Some(v) = t.strip_prefix("CRYPTO_POLICY=") else {
            continue;
        };
        let v = v.trim();
        let v = ['\'', '"']
            .iter()
            .find_map(|q| v.strip_prefix(*q).and_then(|r| r.strip_suffix(*q)))
            .unwrap_or(v);
        found = Some((v.to_owned(), i as u32 + 1));
    }
    found
}

/// The directives sshd.service puts on sshd's command line through `$CRYPTO_POLICY` on a RHEL 8
/// family image, in order; empty on any other image, or when neither file sets it, or when
/// /etc/sysconfig/sshd opts out (`CRYPTO_POLICY=`). A word that is not `-oKeyword=value` is an
/// error, never skipped.
pub(super) fn command_line(fs: &RootFs) -> Result<Vec<Directive>, FactError> {
    if !rhel8_family(fs) {
        return Ok(Vec::new());
    }
    let mut policy = None;
    for path in [BACKEND, SYSCONFIG] {
        if let Some(text) = fs.read_text(path)?
            && let Some((value, line)) = crypto_policy(&text)
        {
            policy = Some((value, path, line));
        }
    }
    let Some((value, path, line)) = policy else {
        return Ok(Vec::new());
    };
    let mut source = Source::at(path, line);
    source.note = Some(
        "on sshd's command line: sshd.service starts sshd with $CRYPTO_POLICY (RHEL 8 system-wide crypto policy)"
            .into(),
    );
    let mut out = Vec::new();
    for word in value.split_whitespace() {
        let option = word.strip_prefix("-o").ok_or_else(|| FactError::Parse {
            path: path.to_owned(),
            line,
            msg: format!("CRYPTO_POLICY holds {word:?}, not an -oKeyword=value option"),
        })?;
        match parse_line(option).map_err(|msg| FactError::Parse {
            path: path.to_owned(),
            line,
            msg,
        })? {
            LineKind::Blank => {}
            LineKind::Keyword { keyword, rest, args } => out.push(Directive {
                keyword,
                args,
                rest,
                source: source.clone(),
                block: None,
            }),
        }
    }
    Ok(out)
}
