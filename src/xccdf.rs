//! `imagegate tailoring import`: an XCCDF 1.2 tailoring file (OpenSCAP, SCAP Workbench, Ubuntu's
//! usg) turned into imagegate's tailoring TOML ([`crate::tailoring`]).
//!
//! Each `Profile` becomes a composed `[profile.NAME]`: `extends` names the imagegate profile that
//! declares the XCCDF profile among its `xccdf` ids (rules/profiles.toml), `select selected="true"`
//! adds and `selected="false"` removes the imagegate rules whose `ssg` references name the rule;
//! `set-value` sets the variable named after the XCCDF value; `refine-rule severity` overrides the
//! severity of those rules. Whatever cannot be mapped (an id no rule carries, a value no rule has,
//! a `refine-value` selector, which needs the data stream's options) is reported with its line,
//! never dropped silently; the output is checked by parsing it as a tailoring file.

use std::collections::{BTreeMap, BTreeSet};

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use crate::rules::RuleSet;

/// The largest tailoring file read (real ones are a few KiB).
pub const MAX_BYTES: usize = 4 << 20;

const RULE_PREFIX: &str = "xccdf_org.ssgproject.content_rule_";
const VALUE_PREFIX: &str = "xccdf_org.ssgproject.content_value_";
const PROFILE_PREFIX: &str = "xccdf_org.ssgproject.content_profile_";

/// A file that is not a usable tailoring file at all.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {msg}")]
pub struct ImportError {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub msg: String,
}

/// The result of an import: the TOML, and what could not be mapped.
#[derive(Debug, Clone, Default)]
pub struct Import {
    /// imagegate's tailoring file.
    pub toml: String,
    /// `(line, message)` for every entry that could not be mapped, in file order.
    pub unmapped: Vec<(usize, String)>,
}

#[derive(Default)]
struct Composed {
    extends: Vec<String>,
    add: BTreeSet<String>,
    remove: BTreeSet<String>,
}

/// Reads an XCCDF 1.2 tailoring file and maps it onto the rules.
pub fn import(file: &str, text: &str, rules: &RuleSet) -> Result<Import, ImportError> {
    let fail = |line: usize, msg: String| ImportError {
        file: file.to_owned(),
        line,
        msg,
    };
    if text.len() > MAX_BYTES {
        return Err(fail(1, format!("larger than {MAX_BYTES} bytes: not a tailoring file")));
    }
    let line_at = |pos: u64| crate::text::line_at(text, usize::try_from(pos).unwrap_or(usize::MAX).min(text.len()));
    // ssg rule id → imagegate rule ids.
    let mut by_ssg: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in rules.rules.values() {
        for id in r
            .references
            .get("ssg")
            .map(|s| s.split_whitespace())
            .into_iter()
            .flatten()
        {
            by_ssg.entry(id).or_default().push(r.id.as_str());
        }
    }
    let mut out = Import::default();
    let mut vars = toml::Table::new();
    let mut severity = toml::Table::new();
    let mut profiles: BTreeMap<String, Composed> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut set_value: Option<(usize, String, String)> = None;
    let mut saw_tailoring = false;
    // The product of the data stream the tailoring file is for (`ssg-rhel9-ds.xml`): it tells
    // apart the profiles of one XCCDF id (`stig`) for several products.
    let mut product: Option<String> = None;
    let mut depth = 0usize;
    let mut r = Reader::from_str(text);
    loop {
        let pos = r.buffer_position();
        let ev = r
            .read_event()
            .map_err(|e| fail(line_at(r.error_position()), format!("invalid XML: {e}")))?;
        let line = line_at(pos);
        let empty = matches!(ev, Event::Empty(_));
        match &ev {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        match ev {
            Event::Eof if depth > 0 => return Err(fail(line, "the file ends inside an element: truncated".into())),
            Event::Eof => break,
            Event::DocType(_) => return Err(fail(line, "a DOCTYPE is not accepted in a tailoring file".into())),
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name();
                let a = |k: &str| attr(&e, k);
                match name.as_ref() {
                    "Tailoring" => saw_tailoring = true,
                    "benchmark" => product = a("href").as_deref().and_then(product_of),
                    "Profile" => {
                        let id = a("id").unwrap_or_default();
                        let name = profile_name(&id, rules, &profiles);
                        let mut c = Composed::default();
                        if let Some(base) = a("extends") {
                            match base_profiles(rules, &base, product.as_deref()).as_slice() {
                                [n] => c.extends.push((*n).to_owned()),
                                [] => out.unmapped.push((
                                    line,
                                    format!("profile {id} extends {base}, which no imagegate profile declares (`xccdf` in profiles.toml); the composed profile has no base"),
                                )),
                                several => out.unmapped.push((
                                    line,
                                    format!(
                                        "profile {id} extends {base}, which imagegate profiles {} all declare, and the tailoring file's `benchmark` href names no product that picks one (ssg-<product>-ds.xml); the composed profile has no base",
                                        several.join(", ")
                                    ),
                                )),
                            }
                        }
                        profiles.insert(name.clone(), c);
                        current = Some(name);
                    }
                    "select" => {
                        let (Some(idref), Some(sel)) = (a("idref"), a("selected")) else {
                            out.unmapped.push((line, "select without idref and selected".into()));
                            continue;
                        };
                        let Some(ids) = map_rule(&idref, &by_ssg, line, &mut out.unmapped) else {
                            continue;
                        };
                        let Some(c) = current.as_ref().and_then(|n| profiles.get_mut(n)) else {
                            out.unmapped.push((line, format!("select {idref} outside a Profile")));
                            continue;
                        };
                        let on = matches!(sel.as_str(), "true" | "1");
                        for id in ids {
                            if on {
                                c.remove.remove(id);
                                c.add.insert(id.to_owned());
                            } else {
                                c.add.remove(id);
                                c.remove.insert(id.to_owned());
                            }
                        }
                    }
                    "set-value" => {
                        let idref = a("idref").unwrap_or_default();
                        if empty {
                            set_value_into(rules, &idref, "", line, &mut vars, &mut out.unmapped);
                        } else {
                            set_value = Some((line, idref, String::new()));
                        }
                    }
                    "refine-value" => out.unmapped.push((
                        line,
                        format!(
                            "refine-value {} (selector {:?}): a selector names an option of the data stream, which imagegate does not read; use set-value with the value itself",
                            a("idref").unwrap_or_default(),
                            a("selector").unwrap_or_default()
                        ),
                    )),
                    "refine-rule" => {
                        let idref = a("idref").unwrap_or_default();
                        for k in ["weight", "role", "selector"] {
                            if let Some(v) = a(k) {
                                out.unmapped.push((line, format!("refine-rule {idref}: {k}={v:?} has no imagegate equivalent")));
                            }
                        }
                        let Some(sev) = a("severity") else { continue };
                        let Ok(s) = sev.parse::<crate::rules::Severity>() else {
                            out.unmapped.push((line, format!("refine-rule {idref}: severity {sev:?} has no imagegate equivalent")));
                            continue;
                        };
                        if let Some(ids) = map_rule(&idref, &by_ssg, line, &mut out.unmapped) {
                            for id in ids {
                                severity.insert(id.to_owned(), toml::Value::String(s.as_str().to_owned()));
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                if let Some((_, _, v)) = set_value.as_mut() {
                    v.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(g) => {
                if let Some((_, _, v)) = set_value.as_mut() {
                    let name = g.xml10_content();
                    let c = match name.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        other => return Err(fail(line, format!("unknown entity &{other};"))),
                    };
                    v.push_str(c);
                }
            }
            Event::End(e) if e.local_name().as_ref() == "set-value" => {
                if let Some((l, idref, v)) = set_value.take() {
                    set_value_into(rules, &idref, v.trim(), l, &mut vars, &mut out.unmapped);
                }
            }
            Event::End(e) if e.local_name().as_ref() == "Profile" => current = None,
            _ => {}
        }
    }
    if !saw_tailoring {
        return Err(fail(1, "no xccdf-1.2 Tailoring element: not a tailoring file".into()));
    }
    let mut doc = toml::Table::new();
    if !vars.is_empty() {
        doc.insert("vars".into(), toml::Value::Table(vars));
    }
    if !severity.is_empty() {
        doc.insert("severity".into(), toml::Value::Table(severity));
    }
    let mut ptable = toml::Table::new();
    for (name, c) in &profiles {
        let list = |v: Vec<String>| toml::Value::Array(v.into_iter().map(toml::Value::String).collect());
        let mut t = toml::Table::new();
        t.insert("extends".into(), list(c.extends.clone()));
        if !c.add.is_empty() {
            t.insert("add".into(), list(c.add.iter().cloned().collect()));
        }
        if !c.remove.is_empty() {
            t.insert("remove".into(), list(c.remove.iter().cloned().collect()));
        }
        ptable.insert(name.clone(), toml::Value::Table(t));
    }
    if !ptable.is_empty() {
        doc.insert("profile".into(), toml::Value::Table(ptable));
    }
    let body = toml::to_string(&doc).map_err(|e| fail(1, format!("cannot write the tailoring: {e}")))?;
    out.toml = format!("# Imported from {file} by `imagegate tailoring import`.\n{body}");
    // What is written must load as a tailoring file of these rules.
    crate::tailoring::Tailoring::parse("(imported tailoring)", &out.toml, rules)
        .map_err(|e| fail(1, format!("the imported tailoring does not load: {e}")))?;
    out.unmapped.sort_by_key(|(l, _)| *l);
    Ok(out)
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The imagegate rules carrying the ComplianceAsCode rule `idref`; reports it when none does.
fn map_rule<'a>(
    idref: &str,
    by_ssg: &BTreeMap<&str, Vec<&'a str>>,
    line: usize,
    unmapped: &mut Vec<(usize, String)>,
) -> Option<Vec<&'a str>> {
    let Some(ssg) = idref.strip_prefix(RULE_PREFIX) else {
        unmapped.push((
            line,
            format!("{idref}: not a ComplianceAsCode rule id ({RULE_PREFIX}…)"),
        ));
        return None;
    };
    match by_ssg.get(ssg) {
        Some(ids) => Some(ids.clone()),
        None => {
            unmapped.push((
                line,
                format!("rule {ssg}: no imagegate rule carries this ssg reference"),
            ));
            None
        }
    }
}

/// Sets `[vars]` from a `set-value`, typed like the variable's default.
fn set_value_into(
    rules: &RuleSet,
    idref: &str,
    value: &str,
    line: usize,
    vars: &mut toml::Table,
    unmapped: &mut Vec<(usize, String)>,
) {
    let Some(name) = idref.strip_prefix(VALUE_PREFIX) else {
        unmapped.push((
            line,
            format!("{idref}: not a ComplianceAsCode value id ({VALUE_PREFIX}…)"),
        ));
        return;
    };
    let name = rules.var_name(name);
    let Some(default) = rules.rules.values().find_map(|r| r.vars.get(name)) else {
        unmapped.push((line, format!("value {name}: no imagegate rule has this variable")));
        return;
    };
    let typed = match default {
        serde_json::Value::Number(_) => value
            .parse::<i64>()
            .map(toml::Value::Integer)
            .or_else(|_| value.parse::<f64>().map(toml::Value::Float))
            .ok(),
        serde_json::Value::Bool(_) => match value {
            "true" | "1" => Some(toml::Value::Boolean(true)),
            "false" | "0" => Some(toml::Value::Boolean(false)),
            _ => None,
        },
        // XCCDF lists (approved ciphers, …) are comma-separated.
        serde_json::Value::Array(_) => Some(toml::Value::Array(
            value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        )),
        _ => Some(toml::Value::String(value.to_owned())),
    };
    let checked = typed.as_ref().map(|t| {
        serde_json::to_value(t)
            .map_err(|e| e.to_string())
            .and_then(|j| rules.var_value(name, j, Some(value)))
    });
    match (typed, checked) {
        (Some(t), Some(Ok(_))) => {
            vars.insert(name.to_owned(), t);
        }
        (_, Some(Err(e))) => unmapped.push((line, format!("value {name} = {value:?}: {e}"))),
        _ => unmapped.push((
            line,
            format!("value {name} = {value:?}: not of the type of its default {default}"),
        )),
    }
}

/// The product of a data stream's file name: `rhel9` for `/usr/share/xml/scap/ssg/content/ssg-rhel9-ds.xml`.
fn product_of(href: &str) -> Option<String> {
    let name = href.rsplit(['/', '\\']).next()?;
    let product = name.strip_prefix("ssg-")?.split_once("-ds")?.0;
    (!product.is_empty()).then(|| product.to_owned())
}

/// The imagegate profiles XCCDF profile `base` (with its prefix) stands for: those whose `xccdf`
/// ids name it, as `stig` or for the tailoring's product as `rhel9:stig`. When `product` is known,
/// a profile naming it for another product is not one of them; when one names it for `product`,
/// only such profiles are.
fn base_profiles<'a>(rules: &'a RuleSet, base: &str, product: Option<&str>) -> Vec<&'a str> {
    let Some(id) = base.strip_prefix(PROFILE_PREFIX) else {
        return Vec::new();
    };
    let names = |qualified: bool| -> Vec<&'a str> {
        rules
            .declared
            .iter()
            .filter(|(_, p)| {
                p.xccdf.iter().any(|x| match (x.split_once(':'), product) {
                    (None, _) => !qualified && x == id,
                    (Some((prod, x)), Some(want)) => x == id && prod == want,
                    (Some((_, x)), None) => !qualified && x == id,
                })
            })
            .map(|(n, _)| n.as_str())
            .collect()
    };
    let for_product = names(true);
    if for_product.is_empty() {
        names(false)
    } else {
        for_product
    }
}

/// A kebab-case name for the composed profile of XCCDF profile `id`, distinct from the shipped
/// profiles and from those already made.
fn profile_name(id: &str, rules: &RuleSet, made: &BTreeMap<String, Composed>) -> String {
    let short = id.strip_prefix(PROFILE_PREFIX).unwrap_or(id);
    let mut name: String = short
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_matches('-').to_owned();
    if name.is_empty() {
        name = "tailored".into();
    }
    let shipped = rules.profiles();
    let mut candidate = name.clone();
    let mut n = 1;
    while shipped.contains(candidate.as_str()) || made.contains_key(&candidate) {
        n += 1;
        candidate = if n == 2 {
            format!("{name}-tailored")
        } else {
            format!("{name}-tailored-{n}")
        };
    }
    candidate
}

/// `imagegate tailoring import FILE`: the TOML on `out`, each entry that could not be mapped on
/// stderr with its line. Returns whether everything was mapped.
pub fn import_command(file: &std::path::Path, rules: &RuleSet, out: &mut dyn std::io::Write) -> anyhow::Result<bool> {
    use anyhow::Context as _;
    let text = crate::rootfs::host::read_text(file)
        .with_context(|| format!("cannot read tailoring file {}", file.display()))?;
    let name = file.display().to_string();
    let imported = import(&name, &text, rules)?;
    for (line, msg) in &imported.unmapped {
        crate::diag::warning(&format!("{name}:{line}: not imported: {msg}"));
    }
    out.write_all(imported.toml.as_bytes())?;
    out.flush()?;
    Ok(imported.unmapped.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xccdf:Tailoring xmlns:xccdf=\"http://checklists.nist.gov/xccdf/1.2\" id=\"xccdf_t_tailoring_default\">\n<xccdf:Profile id=\"{PROFILE_PREFIX}mine\" extends=\"{PROFILE_PREFIX}cis_level2_server\">\n{body}</xccdf:Profile>\n</xccdf:Tailoring>\n"
        )
    }

    /// Generated tailoring files (seeded): every ssg id a shipped rule carries, selected or not,
    /// ids no rule carries and values set to the right and the wrong type. Each mappable entry
    /// lands in the TOML, each other one is reported at its own line, and the TOML loads.
    #[test]
    fn generated_tailoring_files_map_or_report_every_entry() {
        let rules = RuleSet::embedded().unwrap();
        let mut ssg: Vec<&str> = rules
            .rules
            .values()
            .flat_map(|r| {
                r.references
                    .get("ssg")
                    .map(|s| s.split_whitespace())
                    .into_iter()
                    .flatten()
            })
            .collect();
        ssg.sort();
        ssg.dedup();
        let vars: Vec<(&str, &serde_json::Value)> = rules
            .rules
            .values()
            .flat_map(|r| r.vars.iter().map(|(k, v)| (k.as_str(), v)))
            .filter(|(_, v)| v.is_number())
            .collect();
        let mut rng = crate::testing::Xorshift::new(0x5eed);
        let mut next = |n: usize| rng.below(n);
        for _ in 0..40 {
            let mut body = String::new();
            let mut bad_lines = Vec::new();
            let mut removed = BTreeSet::new();
            let mut set = BTreeMap::new();
            for _ in 0..next(30) {
                // Lines: 1 declaration, 2 Tailoring, 3 Profile, then one entry a line.
                let line = 4 + body.lines().count();
                match next(4) {
                    0 => {
                        let id = ssg[next(ssg.len())];
                        body.push_str(&format!(
                            "<xccdf:select idref=\"{RULE_PREFIX}{id}\" selected=\"false\"/>\n"
                        ));
                        removed.insert(id);
                    }
                    1 => {
                        body.push_str(&format!(
                            "<xccdf:select idref=\"{RULE_PREFIX}zz_unknown_{line}\" selected=\"true\"/>\n"
                        ));
                        bad_lines.push(line);
                    }
                    2 => {
                        let (k, _) = vars[next(vars.len())];
                        let v = next(1000);
                        body.push_str(&format!(
                            "<xccdf:set-value idref=\"{VALUE_PREFIX}{k}\">{v}</xccdf:set-value>\n"
                        ));
                        set.insert(k, v);
                    }
                    _ => {
                        let (k, _) = vars[next(vars.len())];
                        body.push_str(&format!(
                            "<xccdf:set-value idref=\"{VALUE_PREFIX}{k}\">ten</xccdf:set-value>\n"
                        ));
                        bad_lines.push(line);
                    }
                }
            }
            let text = wrap(&body);
            let got = import("t.xml", &text, &rules).unwrap();
            let lines: Vec<usize> = got.unmapped.iter().map(|(l, _)| *l).collect();
            assert_eq!(lines, bad_lines, "{text}\n{:?}", got.unmapped);
            let t = crate::tailoring::Tailoring::parse("t.toml", &got.toml, &rules).unwrap();
            let ids = t.profile_ids(&rules, "mine").unwrap();
            for id in &removed {
                for r in rules.rules.values().filter(|r| {
                    r.references
                        .get("ssg")
                        .is_some_and(|s| s.split_whitespace().any(|x| x == *id))
                }) {
                    assert!(!ids.contains(&r.id), "{} still selected", r.id);
                }
            }
            // The last value set wins, as in the file. (A value an earlier entry set to the
            // wrong type keeps the one before.)
            for (k, v) in &set {
                let last_ok = text
                    .lines()
                    .filter(|l| l.contains(&format!("{VALUE_PREFIX}{k}\">")))
                    .filter_map(|l| l.split('>').nth(1)?.split('<').next()?.parse::<usize>().ok())
                    .next_back();
                assert_eq!(last_ok, Some(*v));
                assert_eq!(t.vars[*k], serde_json::json!(v), "{k}");
            }
        }
    }

    /// XCCDF list values are comma-separated strings: they become TOML lists of the rules'
    /// list variables, and MaxStartups and the RekeyLimit parts stay strings, checked by the rules.
    #[test]
    fn comma_separated_set_values_become_list_variables() {
        let rules = RuleSet::embedded().unwrap();
        let text = wrap(&format!(
            "<xccdf:set-value idref=\"{VALUE_PREFIX}sshd_approved_ciphers\">aes256-gcm@openssh.com,aes256-ctr,aes128-gcm@openssh.com,aes128-ctr</xccdf:set-value>\n<xccdf:set-value idref=\"{VALUE_PREFIX}sshd_strong_macs\">hmac-sha2-512-etm@openssh.com, hmac-sha2-256-etm@openssh.com</xccdf:set-value>\n<xccdf:set-value idref=\"{VALUE_PREFIX}var_sshd_set_maxstartups\">10:30:60</xccdf:set-value>\n<xccdf:set-value idref=\"{VALUE_PREFIX}var_rekey_limit_size\">512M</xccdf:set-value>\n<xccdf:set-value idref=\"{VALUE_PREFIX}var_accounts_user_umask\">077</xccdf:set-value>\n<xccdf:set-value idref=\"{VALUE_PREFIX}sshd_approved_macs\">hmac-sha2-512</xccdf:set-value>\n"
        ));
        let got = import("t.xml", &text, &rules).unwrap();
        let t = crate::tailoring::Tailoring::parse("t.toml", &got.toml, &rules).unwrap();
        assert_eq!(
            t.vars["sshd_approved_ciphers"],
            serde_json::json!([
                "aes256-gcm@openssh.com",
                "aes256-ctr",
                "aes128-gcm@openssh.com",
                "aes128-ctr"
            ])
        );
        assert_eq!(
            t.vars["sshd_strong_macs"],
            serde_json::json!(["hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com"])
        );
        assert_eq!(t.vars["var_sshd_set_maxstartups"], serde_json::json!("10:30:60"));
        assert_eq!(t.vars["var_rekey_limit_size"], serde_json::json!("512M"));
        assert_eq!(t.vars["var_accounts_user_umask"], serde_json::json!("077"));
        // The STIG's sshd_approved_macs is read by no rule: reported at its line, not dropped.
        let lines: Vec<usize> = got.unmapped.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [9], "{:?}", got.unmapped);
        assert!(got.toml.contains("sshd_approved_ciphers = ["), "{}", got.toml);
    }

    /// `stig` is the XCCDF id of the STIG profile of every product: the tailoring file's
    /// `benchmark` href picks the imagegate profile, and without one the base is reported, never
    /// guessed.
    #[test]
    fn an_xccdf_profile_of_several_products_maps_by_the_data_stream() {
        let rules = RuleSet::embedded().unwrap();
        let tailoring = |href: &str, base: &str| {
            format!(
                "<?xml version=\"1.0\"?>\n<xccdf:Tailoring xmlns:xccdf=\"http://checklists.nist.gov/xccdf/1.2\" id=\"xccdf_t_tailoring_default\">\n{href}<xccdf:Profile id=\"{PROFILE_PREFIX}mine\" extends=\"{PROFILE_PREFIX}{base}\">\n</xccdf:Profile>\n</xccdf:Tailoring>\n"
            )
        };
        let bench = |ds: &str| format!("<xccdf:benchmark href=\"/usr/share/xml/scap/ssg/content/{ds}\"/>\n");
        for (href, base, want) in [
            (bench("ssg-rhel9-ds.xml"), "stig", Some("stig-rhel9")),
            (bench("ssg-rhel9-ds.xml"), "stig_gui", Some("stig-rhel9")),
            (bench("ssg-ubuntu2204-ds.xml"), "stig", Some("stig-ubuntu2204")),
            (
                bench("ssg-debian12-ds.xml"),
                "anssi_bp28_high",
                Some("anssi-bp028-high"),
            ),
            (bench("ssg-debian12-ds.xml"), "cis_level1_server", Some("cis-l1-server")),
            (bench("ssg-debian12-ds.xml"), "stig", None),
            (String::new(), "stig", None),
            (String::new(), "anssi_bp28_minimal", Some("anssi-bp028-minimal")),
        ] {
            let text = tailoring(&href, base);
            let got = import("t.xml", &text, &rules).unwrap();
            let t = crate::tailoring::Tailoring::parse("t.toml", &got.toml, &rules).unwrap();
            match want {
                Some(p) => {
                    assert_eq!(t.profiles["mine"].extends, [p], "{text}");
                    assert!(got.unmapped.is_empty(), "{:?}", got.unmapped);
                }
                None => {
                    assert!(t.profiles["mine"].extends.is_empty(), "{text}");
                    let line = if href.is_empty() { 3 } else { 4 };
                    assert_eq!(got.unmapped.len(), 1, "{:?}", got.unmapped);
                    assert_eq!(got.unmapped[0].0, line);
                }
            }
        }
        let e = import("t.xml", &tailoring("", "stig"), &rules).unwrap().unmapped;
        assert!(e[0].1.contains("stig-rhel9, stig-ubuntu2204 all declare"), "{e:?}");
    }

    #[test]
    fn profiles_severity_and_values_map_through_the_rules() {
        let rules = RuleSet::embedded().unwrap();
        let text = wrap(&format!(
            "<xccdf:select idref=\"{RULE_PREFIX}sshd_disable_root_login\" selected=\"false\"/>\n<xccdf:refine-rule idref=\"{RULE_PREFIX}sshd_set_max_auth_tries\" severity=\"low\"/>\n<xccdf:set-value idref=\"{VALUE_PREFIX}var_password_hashing_algorithm\">SHA512</xccdf:set-value>\n<xccdf:set-value idref=\"{VALUE_PREFIX}var_accounts_tmout\">600</xccdf:set-value>\n<xccdf:refine-value idref=\"{VALUE_PREFIX}var_accounts_tmout\" selector=\"15_min\"/>\n<xccdf:refine-rule idref=\"{RULE_PREFIX}sshd_set_max_auth_tries\" severity=\"unknown\"/>\n"
        ));
        let got = import("t.xml", &text, &rules).unwrap();
        let t = crate::tailoring::Tailoring::parse("t.toml", &got.toml, &rules).unwrap();
        assert_eq!(t.profiles["mine"].extends, ["cis-l2-server"]);
        assert_eq!(t.profiles["mine"].remove, ["ssh.permit-root-login-disabled"]);
        assert_eq!(t.severity["ssh.max-auth-tries-limited"], crate::rules::Severity::Low);
        assert_eq!(t.vars["var_password_hashing_algorithm"], serde_json::json!(["SHA512"]));
        assert_eq!(t.vars["var_accounts_tmout"], serde_json::json!(600));
        let lines: Vec<usize> = got.unmapped.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [8, 9], "{:?}", got.unmapped);
        // An unknown base profile is reported; a file that is not a tailoring file is an error.
        let other = text.replace("cis_level2_server", "stig");
        let got = import("t.xml", &other, &rules).unwrap();
        assert!(
            got.unmapped.iter().any(|(l, m)| *l == 3 && m.contains("extends")),
            "{:?}",
            got.unmapped
        );
        for bad in [
            "<a/>",
            "<xccdf:Tailoring>",
            "<!DOCTYPE x [<!ENTITY a \"b\">]><Tailoring/>",
        ] {
            assert!(import("t.xml", bad, &rules).is_err(), "{bad}");
        }
    }
}
