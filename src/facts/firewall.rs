//! The host firewall as configured on disk (nothing is asked of the kernel): which firewall
//! services are enabled and what their input policy is.
//!
//! - nftables (nft(8)): /etc/nftables.conf (Debian) or /etc/sysconfig/nftables.conf (RHEL), with
//!   `include "…"` followed (globs allowed, depth-bounded). A base chain with `hook input` and
//!   `policy drop` makes input default-deny; without `policy` a base chain accepts. Packets go
//!   through every base chain on the hook, so one dropping chain is enough.
//! - iptables-persistent / iptables-services (iptables-save format): `:INPUT DROP` in the
//!   `*filter` table of /etc/iptables/rules.v4 or /etc/sysconfig/iptables.
//! - ufw: `ENABLED=yes` in /etc/ufw/ufw.conf and `DEFAULT_INPUT_POLICY` in /etc/default/ufw.
//! - firewalld: `DefaultZone=` in /etc/firewalld/firewalld.conf (default `public`), the zone
//!   file in /etc/firewalld/zones overriding /usr/lib/firewalld/zones; the zone's `target`
//!   `default`/`%%REJECT%%`/`REJECT` rejects, `DROP` drops, `ACCEPT` accepts (firewalld.zone(5)).
//!
//! Deliberately ignored: individual accept rules (which ports are open), IPv6 tables, the
//! runtime ruleset, firewalld direct rules and policies.
use serde::Serialize;

use super::files::systemd_unit_enabled;
use super::{Context, Fact, FactError, Source};
use crate::rootfs::RootFs;

/// Most nested `include`s followed.
const INCLUDE_DEPTH: usize = 8;

/// One firewall implementation.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Firewall1 {
    /// Its configuration exists.
    pub configured: bool,
    /// Its service is enabled (for ufw: also `ENABLED=yes`).
    pub enabled: Fact<bool>,
    /// `drop`, `reject` or `accept`: what happens to input no rule accepts.
    pub input_policy: Fact<String>,
}

/// Host firewall configuration.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Firewall {
    /// nftables.
    pub nftables: Firewall1,
    /// iptables-persistent / iptables-services.
    pub iptables: Firewall1,
    /// ufw.
    pub ufw: Firewall1,
    /// firewalld.
    pub firewalld: Firewall1,
    /// firewalld's default zone.
    pub firewalld_default_zone: Fact<String>,
    /// Names of the enabled firewalls.
    pub enabled: Vec<String>,
    /// How many are enabled (more than one fight over the same netfilter hooks).
    pub enabled_count: usize,
    /// An enabled firewall drops or rejects unmatched input.
    pub default_deny: Fact<bool>,
}

/// An open chain block: hooked on input, its policy (value, line), the line it starts on.
type ChainState = (bool, Option<(String, u32)>, u32);

/// Base chains hooked on input and their policy: (policy, line) for each; `accept` when no
/// `policy` statement. Comments (`#` to end of line) are removed first.
pub fn nft_input_policies(text: &str) -> Vec<(String, u32)> {
    // Tokens: words, `{`, `}` and statement ends (`;` or newline), each with its line.
    let mut toks: Vec<(String, u32)> = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let line = i as u32 + 1;
        let code = l.split('#').next().unwrap_or("");
        let spaced = code.replace('{', " { ").replace('}', " } ").replace(';', " ; ");
        toks.extend(spaced.split_whitespace().map(|w| (w.to_owned(), line)));
        toks.push((";".into(), line));
    }
    let mut out = Vec::new();
    // Open blocks: for a chain, (is hooked on input, policy) — None for other blocks.
    let mut stack: Vec<Option<ChainState>> = Vec::new();
    let mut stmt: Vec<&str> = Vec::new();
    for (t, line) in &toks {
        match t.as_str() {
            "{" => {
                let chain = stmt.first() == Some(&"chain");
                stack.push(chain.then_some((false, None, *line)));
                stmt.clear();
            }
            "}" | ";" => {
                if let Some(Some(c)) = stack.last_mut() {
                    if let Some(w) = stmt.windows(2).find(|w| w[0] == "hook") {
                        c.0 = w[1] == "input";
                    }
                    if let Some(w) = stmt.windows(2).find(|w| w[0] == "policy") {
                        c.1 = Some((w[1].to_owned(), *line));
                    }
                }
                stmt.clear();
                if t == "}"
                    && let Some(Some((true, pol, start))) = stack.pop()
                {
                    out.push(pol.unwrap_or(("accept".into(), start)));
                }
            }
            w => stmt.push(w),
        }
    }
    out
}

fn nft_includes(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let t = l.trim();
            let rest = t.strip_prefix("include")?.trim();
            Some(rest.trim_matches('"').to_owned())
        })
        .collect()
}

fn nft_collect(fs: &RootFs, path: &str, depth: usize, out: &mut Vec<(String, Source)>) -> Result<bool, FactError> {
    if depth > INCLUDE_DEPTH {
        return Err(FactError::IncludeDepth {
            path: path.into(),
            depth: INCLUDE_DEPTH,
        });
    }
    let Some(text) = fs.read_text(path)? else {
        return Ok(false);
    };
    for (p, line) in nft_input_policies(&text) {
        out.push((p, Source::at(path, line)));
    }
    for inc in nft_includes(&text) {
        let pattern = if inc.starts_with('/') {
            inc
        } else {
            format!("/etc/{inc}")
        };
        for f in fs.glob(&pattern)? {
            nft_collect(fs, &f, depth + 1, out)?;
        }
    }
    Ok(true)
}

/// The policy of the INPUT chain of the `*filter` table in iptables-save format: (policy, line).
pub fn iptables_input_policy(text: &str) -> Option<(String, u32)> {
    let mut table = "";
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if let Some(name) = t.strip_prefix('*') {
            table = name;
        } else if table == "filter"
            && let Some(rest) = t.strip_prefix(":INPUT ")
        {
            return rest
                .split_whitespace()
                .next()
                .map(|p| (p.to_ascii_lowercase(), i as u32 + 1));
        }
    }
    None
}

fn kv(text: &str, key: &str) -> Option<(String, u32)> {
    // The last assignment wins (the files are sourced by shell scripts).
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim();
            if t.starts_with('#') {
                return None;
            }
            let (k, v) = t.split_once('=')?;
            (k.trim() == key).then(|| (v.trim().trim_matches('"').to_owned(), i as u32 + 1))
        })
        .last()
}

/// The `target` attribute of a firewalld zone file (`default` when absent): (target, line).
pub fn zone_target(text: &str) -> (String, u32) {
    for (i, l) in text.lines().enumerate() {
        if let Some(pos) = l.find("<zone") {
            let rest = &l[pos..];
            if let Some(t) = rest.find("target=\"") {
                let v = &rest[t + 8..];
                if let Some(end) = v.find('"') {
                    return (v[..end].to_owned(), i as u32 + 1);
                }
            }
            return ("default".into(), i as u32 + 1);
        }
    }
    ("default".into(), 0)
}

fn enabled(fs: &RootFs, units: &[&str]) -> Result<Fact<bool>, FactError> {
    for u in units {
        if let Some(src) = systemd_unit_enabled(fs, u)? {
            return Ok(Fact::new(true, src));
        }
    }
    Ok(Fact::new(
        false,
        Source::note(format!("no enabling link for {}", units.join(" or "))),
    ))
}

fn not_configured(note: &str) -> Fact<String> {
    Fact::new("accept".into(), Source::note(note.to_owned()))
}

/// Collects the facts.
pub fn collect(fs: &RootFs, _ctx: &Context) -> Result<Firewall, FactError> {
    // nftables
    let mut pols = Vec::new();
    let mut nft_configured = false;
    for main in ["/etc/nftables.conf", "/etc/sysconfig/nftables.conf"] {
        nft_configured |= nft_collect(fs, main, 0, &mut pols)?;
    }
    let nft_policy = match pols.iter().find(|(p, _)| p == "drop").or_else(|| pols.first()) {
        Some((p, s)) => Fact::new(p.clone(), s.clone()),
        None => not_configured("no base chain hooked on input: input is accepted"),
    };
    let nftables = Firewall1 {
        configured: nft_configured,
        enabled: enabled(fs, &["nftables.service"])?,
        input_policy: nft_policy,
    };

    // iptables
    let mut ipt = None;
    for f in ["/etc/iptables/rules.v4", "/etc/sysconfig/iptables"] {
        if let Some(text) = fs.read_text(f)? {
            ipt = Some(match iptables_input_policy(&text) {
                Some((p, line)) => Fact::new(p, Source::at(f, line)),
                None => Fact::new("accept".into(), Source::file(f)),
            });
            break;
        }
    }
    let iptables = Firewall1 {
        configured: ipt.is_some(),
        enabled: enabled(fs, &["netfilter-persistent.service", "iptables.service"])?,
        input_policy: ipt.unwrap_or_else(|| not_configured("no saved iptables rules: input is accepted")),
    };

    // ufw
    let ufw_conf = fs.read_text("/etc/ufw/ufw.conf")?;
    let ufw_on = ufw_conf.as_deref().and_then(|t| kv(t, "ENABLED"));
    let ufw_enabled = match (&ufw_on, enabled(fs, &["ufw.service"])?) {
        (Some((v, line)), svc) if v.eq_ignore_ascii_case("yes") && svc.value => {
            Fact::new(true, Source::at("/etc/ufw/ufw.conf", *line))
        }
        (Some((_, line)), svc) if svc.value => Fact::new(false, Source::at("/etc/ufw/ufw.conf", *line)),
        (_, svc) => Fact::new(false, svc.source),
    };
    let ufw_policy = match fs
        .read_text("/etc/default/ufw")?
        .as_deref()
        .and_then(|t| kv(t, "DEFAULT_INPUT_POLICY"))
    {
        Some((v, line)) => Fact::new(v.to_ascii_lowercase(), Source::at("/etc/default/ufw", line)),
        None => not_configured("no DEFAULT_INPUT_POLICY in /etc/default/ufw"),
    };
    let ufw = Firewall1 {
        configured: ufw_conf.is_some(),
        enabled: ufw_enabled,
        input_policy: ufw_policy,
    };

    // firewalld
    let fwd_conf = fs.read_text("/etc/firewalld/firewalld.conf")?;
    let zone = match fwd_conf.as_deref().and_then(|t| kv(t, "DefaultZone")) {
        Some((z, line)) => Fact::new(z, Source::at("/etc/firewalld/firewalld.conf", line)),
        None => Fact::new("public".into(), Source::note("firewalld's default zone")),
    };
    let mut fwd_policy = not_configured("firewalld zone file not found");
    for dir in ["/etc/firewalld/zones", "/usr/lib/firewalld/zones"] {
        let p = format!("{dir}/{}.xml", zone.value);
        if let Some(text) = fs.read_text(&p)? {
            let (t, line) = zone_target(&text);
            let policy = match t.to_ascii_uppercase().as_str() {
                "DROP" => "drop",
                "ACCEPT" => "accept",
                _ => "reject",
            };
            fwd_policy = Fact::new(
                policy.into(),
                if line > 0 {
                    Source::at(&p, line)
                } else {
                    Source::file(&p)
                },
            );
            break;
        }
    }
    let firewalld = Firewall1 {
        configured: fwd_conf.is_some(),
        enabled: enabled(fs, &["firewalld.service"])?,
        input_policy: fwd_policy,
    };

    let all = [
        ("nftables", &nftables),
        ("iptables", &iptables),
        ("ufw", &ufw),
        ("firewalld", &firewalld),
    ];
    let on: Vec<&(&str, &Firewall1)> = all.iter().filter(|(_, f)| f.enabled.value).collect();
    let deny = on.iter().find(|(_, f)| f.input_policy.value != "accept");
    let default_deny = match (deny, on.first()) {
        (Some((_, f)), _) => Fact::new(true, f.input_policy.source.clone()),
        (None, Some((_, f))) => Fact::new(false, f.input_policy.source.clone()),
        (None, None) => Fact::new(false, Source::note("no firewall service is enabled")),
    };
    let enabled_names: Vec<String> = on.iter().map(|(n, _)| (*n).to_owned()).collect();
    Ok(Firewall {
        enabled_count: enabled_names.len(),
        enabled: enabled_names,
        default_deny,
        firewalld_default_zone: zone,
        nftables,
        iptables,
        ufw,
        firewalld,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nft_base_chain_without_policy_accepts_and_comments_are_ignored() {
        let t = "table inet filter {\n  chain input {\n    type filter hook input priority filter; # policy drop;\n  }\n  chain forward {\n    type filter hook forward priority 0; policy drop;\n  }\n}\n";
        assert_eq!(nft_input_policies(t), [("accept".to_owned(), 2)]);
    }

    #[test]
    fn nft_input_policy_drop_on_one_line() {
        let t = "table inet filter { chain input { type filter hook input priority 0; policy drop; } }";
        assert_eq!(nft_input_policies(t)[0].0, "drop");
    }

    #[test]
    fn iptables_policy_only_from_the_filter_table() {
        let t = "*nat\n:INPUT ACCEPT [0:0]\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\nCOMMIT\n";
        assert_eq!(iptables_input_policy(t), Some(("drop".into(), 5)));
    }

    #[test]
    fn zone_target_defaults_to_default() {
        assert_eq!(zone_target("<?xml?>\n<zone>\n").0, "default");
        assert_eq!(zone_target("<zone target=\"DROP\">").0, "DROP");
    }
}
