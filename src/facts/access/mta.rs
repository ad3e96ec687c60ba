//! Which interfaces the local mail transfer agent listens on: Postfix `inet_interfaces` in
//! /etc/postfix/main.cf (postconf(5): the last assignment wins, the default is `all`) and Exim's
//! `dc_local_interfaces` in Debian's /etc/exim4/update-exim4.conf.conf (empty = all interfaces).
//!
//! A listener counts as local when every address is a loopback one (`loopback-only`, `localhost`,
//! `127.0.0.0/8`, `::1`). Other MTAs (sendmail, OpenSMTPD) are not read: `local_only` is then
//! absent and the rule that needs it is not applicable rather than passing.

use serde::Serialize;

use super::super::{Fact, FactError, Source};
use crate::rootfs::RootFs;

/// The Postfix main configuration.
pub const POSTFIX_MAIN: &str = "/etc/postfix/main.cf";
/// Debian's Exim configuration.
pub const EXIM4_CONF: &str = "/etc/exim4/update-exim4.conf.conf";

/// The MTA's listening configuration.
#[derive(Debug, Clone, Serialize, Default, schemars::JsonSchema)]
pub struct Mta {
    /// Postfix `inet_interfaces`, when main.cf exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postfix_inet_interfaces: Option<Fact<String>>,
    /// Exim `dc_local_interfaces`, when the Debian configuration exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exim4_local_interfaces: Option<Fact<String>>,
    /// Every configured MTA listens only on loopback; absent when no known MTA is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_only: Option<Fact<bool>>,
}

/// The value of `key` in a `key = value` file (main.cf, or shell-style `key='value'`), last wins.
pub fn last_value(path: &str, text: &str, key: &str) -> Option<Fact<String>> {
    let mut found = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else { continue };
        if k.trim() == key {
            let v = v.trim().trim_matches(|c| c == '\'' || c == '"').trim();
            found = Some(Fact::new(
                v.to_owned(),
                Source::at(path, u32::try_from(i + 1).unwrap_or(u32::MAX)),
            ));
        }
    }
    found
}

/// Whether every address of a list (separated by commas, spaces or `;`) is loopback.
pub fn loopback_only(list: &str) -> bool {
    let mut any = false;
    for a in list.split([',', ' ', ';', '\t']).filter(|s| !s.is_empty()) {
        any = true;
        let a = a.trim_matches(|c| c == '[' || c == ']');
        let ok = matches!(a, "loopback-only" | "localhost" | "::1") || a.starts_with("127.");
        if !ok {
            return false;
        }
    }
    any
}

/// Reads the MTA configuration.
pub fn collect(fs: &RootFs) -> Result<Mta, FactError> {
    let mut mta = Mta::default();
    let mut verdicts = Vec::new();
    if let Some(text) = fs.read_text(POSTFIX_MAIN)? {
        let f = last_value(POSTFIX_MAIN, &text, "inet_interfaces")
            .unwrap_or_else(|| Fact::new("all".into(), Source::note("postconf(5) default of inet_interfaces")));
        verdicts.push(Fact::new(loopback_only(&f.value), f.source.clone()));
        mta.postfix_inet_interfaces = Some(f);
    }
    if let Some(text) = fs.read_text(EXIM4_CONF)? {
        let f = last_value(EXIM4_CONF, &text, "dc_local_interfaces")
            .unwrap_or_else(|| Fact::new(String::new(), Source::file(EXIM4_CONF)));
        verdicts.push(Fact::new(loopback_only(&f.value), f.source.clone()));
        mta.exim4_local_interfaces = Some(f);
    }
    // The first non-local listener decides; otherwise the first configuration read.
    mta.local_only = verdicts.iter().find(|v| !v.value).or(verdicts.first()).cloned();
    Ok(mta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_lists_and_the_all_default() {
        assert!(loopback_only("loopback-only"));
        assert!(loopback_only("127.0.0.1 ; ::1"));
        assert!(loopback_only("localhost, [::1]"));
        assert!(!loopback_only("all"));
        assert!(!loopback_only(""), "empty exim list means every interface");
    }

    #[test]
    fn postfix_last_assignment_wins() {
        let f = last_value(
            "/m",
            "inet_interfaces = all\n#x\ninet_interfaces = loopback-only\n",
            "inet_interfaces",
        )
        .unwrap();
        assert_eq!(f.value, "loopback-only");
        assert_eq!(f.source.line, Some(3));
    }
}
