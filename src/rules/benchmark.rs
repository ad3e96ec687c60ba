//! Benchmarks: what a profile claims to implement, item by item, as data in
//! `rules/benchmarks/<name>.toml`.
//!
//! ```toml
//! [benchmark]
//! profile = "cis-l1-server"          # the profile it describes
//! title = "CIS Debian Linux 12 Benchmark v1.1.0, Level 1 - Server"
//! reference = "cis"                  # the `references` key rules cite items with
//!
//! [[item]]
//! id = "1.1.1.1"
//! title = "Ensure cramfs kernel module is not available"
//! # when no rule can decide it:
//! cannot_decide = { kind = "manual", why = "…" }   # kind: "manual" | "runtime"
//! ```
//!
//! A rule of the profile covers an item when its `references.<reference>` (ids separated by
//! spaces) names the item. An item no rule covers and that is not marked `cannot_decide` is a gap
//! `imagegate rules coverage` shows; an item marked `cannot_decide` that a rule covers, a
//! duplicate item id, and a rule of the profile citing an id the benchmark does not list are
//! load errors, because each would make the coverage an auditor reads wrong.
//!
//! A benchmark generated from a ComplianceAsCode control file (DISA STIG, ANSSI BP-028) maps the
//! other way: `reference = "ssg"`, and each item lists the ComplianceAsCode rules that implement
//! it, which rules cite in `references.ssg`:
//!
//! ```toml
//! [[item]]
//! id = "RHEL-09-255045"
//! title = "RHEL 9 must not permit direct logons to the root account using remote access via SSH."
//! ssg = ["sshd_disable_root_login"]   # [] when the control names none
//! ```
//!
//! A rule covers such an item when one of its `ssg` ids is listed. A profile declared with
//! `from_benchmark = true` in `profiles.toml` takes its rules from its benchmark: exactly the
//! rules one of whose `ssg` ids an item lists (a rule cannot name it in `profiles`). An item
//! listing an id twice, an `ssg` list in a benchmark of another reference (or none in one of
//! `ssg`), a `from_benchmark` profile without an `ssg` benchmark, and a rule naming a
//! `from_benchmark` profile are load errors.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::RuleSet;
use super::load::RuleError;

/// The shipped benchmark files: (path relative to the repository, contents).
pub const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_benchmarks.rs"));

/// The directory of a rule directory that holds benchmark files instead of rules.
pub const DIR: &str = "benchmarks";

/// The `reference` of a benchmark whose items list the ComplianceAsCode rules implementing them.
pub const SSG: &str = "ssg";

/// Why a scan cannot decide an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Undecidable {
    /// The benchmark asks for a person's judgement (an approved list, a site policy).
    Manual,
    /// Only the running machine has the answer (loaded kernel state, open sockets).
    Runtime,
}

impl Undecidable {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Undecidable::Manual => "manual",
            Undecidable::Runtime => "runtime",
        }
    }
}

/// An item a scan cannot decide, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannotDecide {
    /// Manual or runtime-only.
    pub kind: Undecidable,
    /// Why, for the auditor.
    pub why: String,
}

/// One item of a benchmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The benchmark's id (`1.1.1.1`).
    pub id: String,
    /// The benchmark's title.
    pub title: String,
    /// Set when no scan can decide it.
    pub cannot_decide: Option<CannotDecide>,
    /// The ComplianceAsCode rules that implement it (a benchmark with `reference = "ssg"`).
    pub ssg: Option<Vec<String>>,
    /// 1-based line of its `[[item]]`.
    pub line: usize,
}

/// A loaded benchmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Benchmark {
    /// The profile it describes.
    pub profile: String,
    /// The benchmark's name and version.
    pub title: String,
    /// The `references` key rules cite its items with.
    pub reference: String,
    /// Items in the benchmark's order.
    pub items: Vec<Item>,
    /// The file it came from.
    pub file: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    benchmark: RawHeader,
    #[serde(default)]
    item: Vec<toml::Spanned<RawItem>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    profile: String,
    title: String,
    reference: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: String,
    title: String,
    cannot_decide: Option<CannotDecide>,
    ssg: Option<Vec<String>>,
}

/// Parses one benchmark file (its own consistency; [`RuleSet::check_benchmarks`] checks it
/// against the rules).
pub fn parse(file: &str, text: &str) -> Result<Benchmark, RuleError> {
    let err = |line: usize, msg: String| RuleError::Parse {
        file: file.to_owned(),
        line,
        msg,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        err(
            e.span().map_or(1, |s| crate::text::line_at(text, s.start)),
            e.message().trim_end_matches('\n').to_owned(),
        )
    })?;
    let h = raw.benchmark;
    for (what, v) in [
        ("profile", &h.profile),
        ("title", &h.title),
        ("reference", &h.reference),
    ] {
        if v.trim().is_empty() {
            return Err(err(line_of_key(text, what), format!("[benchmark] `{what}` is empty")));
        }
    }
    let mut items = Vec::with_capacity(raw.item.len());
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for spanned in raw.item {
        let line = crate::text::line_at(text, spanned.span().start);
        let it = spanned.into_inner();
        if it.id.is_empty() || it.id.contains(char::is_whitespace) {
            return Err(err(line, format!("item {:?}: an item id is one word", it.id)));
        }
        if let Some(first) = seen.insert(it.id.clone(), line) {
            return Err(err(
                line,
                format!("duplicate item id {} (first at line {first})", it.id),
            ));
        }
        if it.cannot_decide.as_ref().is_some_and(|c| c.why.trim().is_empty()) {
            return Err(err(line, format!("item {}: `cannot_decide` needs a `why`", it.id)));
        }
        match (&it.ssg, h.reference == SSG) {
            (Some(_), false) => {
                return Err(err(
                    line,
                    format!(
                        "item {}: `ssg` lists ComplianceAsCode rules only in a benchmark with reference = \"{SSG}\" (this one has {:?})",
                        it.id, h.reference
                    ),
                ));
            }
            (None, true) => {
                return Err(err(
                    line,
                    format!(
                        "item {}: a benchmark with reference = \"{SSG}\" lists each item's ComplianceAsCode rules in `ssg` (an empty list when it has none)",
                        it.id
                    ),
                ));
            }
            _ => {}
        }
        let mut ids = BTreeSet::new();
        for id in it.ssg.iter().flatten() {
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                return Err(err(
                    line,
                    format!("item {}: ssg id {id:?} is not a ComplianceAsCode rule id", it.id),
                ));
            }
            if !ids.insert(id.as_str()) {
                return Err(err(line, format!("item {}: ssg id {id} is listed twice", it.id)));
            }
        }
        items.push(Item {
            id: it.id,
            title: it.title,
            cannot_decide: it.cannot_decide,
            ssg: it.ssg,
            line,
        });
    }
    Ok(Benchmark {
        profile: h.profile,
        title: h.title,
        reference: h.reference,
        items,
        file: file.to_owned(),
    })
}

/// The line of the first line starting with `key` (a header key), for messages.
fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(key))
        .map_or(1, |i| i + 1)
}

impl Item {
    /// What a rule cites to cover it: its `ssg` ids, or else its own id.
    fn keys(&self) -> Vec<&str> {
        match &self.ssg {
            Some(ids) => ids.iter().map(String::as_str).collect(),
            None => vec![self.id.as_str()],
        }
    }
}

/// The rules that cover `item`, sorted, each once.
fn covering<'a>(cov: &BTreeMap<&str, Vec<&'a str>>, item: &Item) -> Vec<&'a str> {
    let by: BTreeSet<&str> = item
        .keys()
        .into_iter()
        .filter_map(|k| cov.get(k))
        .flatten()
        .copied()
        .collect();
    by.into_iter().collect()
}

/// The item ids a rule cites under `reference`.
fn cited<'r>(rule: &'r super::Rule, reference: &str) -> impl Iterator<Item = &'r str> {
    rule.references
        .get(reference)
        .map(|v| v.split_whitespace())
        .into_iter()
        .flatten()
}

impl RuleSet {
    /// Adds benchmark files; a profile has at most one per source, and `replace` (a user
    /// directory) lets one replace the shipped benchmark of its profile.
    pub(super) fn add_benchmarks(&mut self, files: Vec<(String, String)>, replace: bool) -> Result<(), RuleError> {
        let mut added = BTreeSet::new();
        for (file, text) in files {
            let b = parse(&file, &text)?;
            let clash = !added.insert(b.profile.clone()) || !replace;
            if let Some(first) = self.benchmarks.get(&b.profile).filter(|_| clash) {
                return Err(RuleError::Parse {
                    file,
                    line: line_of_key(&text, "profile"),
                    msg: format!("profile {} already has a benchmark ({})", b.profile, first.file),
                });
            }
            self.benchmarks.insert(b.profile.clone(), b);
        }
        Ok(())
    }

    /// Takes the rules of the `from_benchmark` profiles out of them again (before a source adds
    /// rules, profiles or benchmarks; [`Self::check_benchmarks`] derives them anew).
    pub(super) fn take_derived(&mut self) {
        for (p, ids) in std::mem::take(&mut self.derived) {
            for id in ids {
                if let Some(r) = self.rules.get_mut(&id) {
                    r.profiles.retain(|x| *x != p);
                }
            }
        }
    }

    /// Gives each `from_benchmark` profile its rules: those one of whose `ssg` ids an item of
    /// its benchmark lists.
    fn derive_profiles(&mut self) -> Result<(), RuleError> {
        self.take_derived();
        let mut derived: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (name, p) in self.declared.iter().filter(|(_, p)| p.from_benchmark) {
            let (file, line) = p.origin.rsplit_once(':').unwrap_or((&p.origin, "1"));
            let err = |msg: String| RuleError::Parse {
                file: file.to_owned(),
                line: line.parse().unwrap_or(1),
                msg: format!("profile {name}: {msg}"),
            };
            let Some(b) = self.benchmarks.get(name) else {
                return Err(err(format!(
                    "`from_benchmark`, but no benchmark describes it (a `{DIR}/{name}.toml` with profile = \"{name}\" and reference = \"{SSG}\")"
                )));
            };
            if b.reference != SSG {
                return Err(err(format!(
                    "`from_benchmark` needs a benchmark whose items list their `ssg` rules, but {} has reference = {:?}",
                    b.file, b.reference
                )));
            }
            if let Some(r) = self.rules.values().find(|r| r.profiles.contains(name)) {
                return Err(err(format!(
                    "`from_benchmark` takes its rules from {}, but rule {} ({}) names it in `profiles`",
                    b.file, r.id, r.origin
                )));
            }
            let listed: BTreeSet<&str> = b.items.iter().flat_map(Item::keys).collect();
            let ids = self
                .rules
                .values()
                .filter(|r| cited(r, SSG).any(|id| listed.contains(id)))
                .map(|r| r.id.clone())
                .collect();
            derived.insert(name.clone(), ids);
        }
        for (p, ids) in &derived {
            for id in ids {
                if let Some(r) = self.rules.get_mut(id) {
                    r.profiles.push(p.clone());
                }
            }
        }
        self.derived = derived;
        Ok(())
    }

    /// Derives the `from_benchmark` profiles, then checks every benchmark against the rules:
    /// its profile is declared, no item marked `cannot_decide` is covered, and no rule of the
    /// profile cites an id it does not list (for an `ssg` benchmark: every rule of the profile
    /// has an `ssg` id some item lists).
    pub fn check_benchmarks(&mut self) -> Result<(), RuleError> {
        self.derive_profiles()?;
        for b in self.benchmarks.values() {
            if !self.declared.contains_key(&b.profile) {
                return Err(RuleError::Parse {
                    file: b.file.clone(),
                    line: 1,
                    msg: format!(
                        "benchmark of profile {:?}, which no `profiles.toml` declares",
                        b.profile
                    ),
                });
            }
            let listed: BTreeSet<&str> = b.items.iter().flat_map(Item::keys).collect();
            let cov = self.coverage_map(b);
            for rule in self.rules.values().filter(|r| r.profiles.contains(&b.profile)) {
                let unlisted = if b.reference == SSG {
                    let ids: Vec<&str> = cited(rule, SSG).collect();
                    (!ids.iter().any(|id| listed.contains(id))).then(|| {
                        format!(
                            "rule {}: is of profile {}, but no item of its benchmark ({}) lists its ssg ids ({})",
                            rule.id,
                            b.profile,
                            b.file,
                            if ids.is_empty() {
                                "it has none".to_owned()
                            } else {
                                ids.join(" ")
                            }
                        )
                    })
                } else {
                    cited(rule, &b.reference).find(|id| !listed.contains(id)).map(|id| {
                        format!(
                            "rule {}: references.{} cites {id:?}, which the benchmark of profile {} ({}) does not list",
                            rule.id, b.reference, b.profile, b.file
                        )
                    })
                };
                if let Some(msg) = unlisted {
                    let (file, line) = rule.origin.rsplit_once(':').unwrap_or((&rule.origin, "1"));
                    return Err(RuleError::Parse {
                        file: file.to_owned(),
                        line: line.parse().unwrap_or(1),
                        msg,
                    });
                }
            }
            for item in &b.items {
                let by = covering(&cov, item);
                if let (Some(c), false) = (&item.cannot_decide, by.is_empty()) {
                    return Err(RuleError::Parse {
                        file: b.file.clone(),
                        line: item.line,
                        msg: format!(
                            "item {}: marked cannot_decide ({}), but rule {} covers it (drop `cannot_decide`)",
                            item.id,
                            c.kind.as_str(),
                            by.join(", ")
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The rules of the benchmark's profile that cite each id (an item id, or an `ssg` id).
    fn coverage_map<'a>(&'a self, b: &Benchmark) -> BTreeMap<&'a str, Vec<&'a str>> {
        let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for rule in self.rules.values().filter(|r| r.profiles.contains(&b.profile)) {
            for id in cited(rule, &b.reference) {
                out.entry(id).or_default().push(rule.id.as_str());
            }
        }
        out
    }

    /// The coverage of a profile's benchmark; `None` when the profile has none.
    pub fn coverage(&self, profile: &str) -> Option<Coverage> {
        let b = self.benchmarks.get(profile)?;
        let cov = self.coverage_map(b);
        let mut summary = Summary::default();
        let items: Vec<CoveredItem> = b
            .items
            .iter()
            .map(|i| {
                let rules: Vec<String> = covering(&cov, i).into_iter().map(str::to_owned).collect();
                let status = match (&i.cannot_decide, rules.is_empty()) {
                    (_, false) => ItemStatus::Covered,
                    (Some(c), true) if c.kind == Undecidable::Manual => ItemStatus::Manual,
                    (Some(_), true) => ItemStatus::Runtime,
                    (None, true) => ItemStatus::NotCovered,
                };
                *match status {
                    ItemStatus::Covered => &mut summary.covered,
                    ItemStatus::Manual => &mut summary.manual,
                    ItemStatus::Runtime => &mut summary.runtime,
                    ItemStatus::NotCovered => &mut summary.not_covered,
                } += 1;
                let lacking = match (&i.ssg, rules.is_empty()) {
                    (Some(ids), false) => ids
                        .iter()
                        .filter(|id| !cov.contains_key(id.as_str()))
                        .cloned()
                        .collect(),
                    _ => Vec::new(),
                };
                CoveredItem {
                    id: i.id.clone(),
                    title: i.title.clone(),
                    status,
                    rules,
                    ssg: i.ssg.clone().unwrap_or_default(),
                    lacking,
                    why: i.cannot_decide.as_ref().map(|c| c.why.clone()),
                }
            })
            .collect();
        summary.items = items.len();
        Some(Coverage {
            schema: COVERAGE_SCHEMA,
            profile: b.profile.clone(),
            benchmark: b.title.clone(),
            reference: b.reference.clone(),
            file: b.file.clone(),
            items,
            summary,
        })
    }
}

/// The `schema` of the JSON coverage document.
pub const COVERAGE_SCHEMA: &str = "imagegate.coverage/v1";

/// How one benchmark item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    /// At least one rule of the profile decides it.
    Covered,
    /// A person must decide it.
    Manual,
    /// Only the running machine can decide it.
    Runtime,
    /// A scan could decide it, but no rule does: a gap.
    NotCovered,
}

impl ItemStatus {
    /// The name shown in the text output.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Covered => "covered",
            ItemStatus::Manual => "manual",
            ItemStatus::Runtime => "runtime",
            ItemStatus::NotCovered => "not covered",
        }
    }
}

/// One item with the rules that cover it.
#[derive(Debug, Clone, Serialize)]
pub struct CoveredItem {
    /// The benchmark's id.
    pub id: String,
    /// The benchmark's title.
    pub title: String,
    /// How it stands.
    pub status: ItemStatus,
    /// The rules that cover it, by id.
    pub rules: Vec<String>,
    /// The ComplianceAsCode rules that implement it (a benchmark with `reference = "ssg"`):
    /// for a gap, what imagegate lacks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ssg: Vec<String>,
    /// Of a covered item's `ssg` rules, those no rule of the profile implements: the item is
    /// covered in part.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lacking: Vec<String>,
    /// Why a scan cannot decide it (manual and runtime items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// Counts of items by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// All items.
    pub items: usize,
    /// Covered by a rule.
    pub covered: usize,
    /// Manual.
    pub manual: usize,
    /// Runtime-only.
    pub runtime: usize,
    /// Gaps.
    pub not_covered: usize,
}

/// `imagegate rules coverage PROFILE`: a benchmark's items and what decides each.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// [`COVERAGE_SCHEMA`].
    pub schema: &'static str,
    /// The profile.
    pub profile: String,
    /// The benchmark's title.
    pub benchmark: String,
    /// The `references` key.
    pub reference: String,
    /// The benchmark file.
    pub file: String,
    /// Items in the benchmark's order.
    pub items: Vec<CoveredItem>,
    /// Counts.
    pub summary: Summary,
}

impl Coverage {
    /// The text form: one block per item, then the summary.
    pub fn write_text(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(out, "{} (profile {}, {})", self.benchmark, self.profile, self.file)?;
        let width = self.items.iter().map(|i| i.id.len()).max().unwrap_or(0);
        for i in &self.items {
            writeln!(out)?;
            writeln!(out, "{:<width$}  {}", i.id, i.title)?;
            let detail = match i.status {
                ItemStatus::Covered => format!("covered by {}", i.rules.join(", ")),
                ItemStatus::NotCovered if i.ssg.is_empty() => {
                    "NOT COVERED: no rule of the profile decides it".to_owned()
                }
                ItemStatus::NotCovered => format!(
                    "NOT COVERED: no rule of the profile decides it (ComplianceAsCode: {})",
                    i.ssg.join(", ")
                ),
                s => format!("cannot decide ({}): {}", s.as_str(), i.why.as_deref().unwrap_or("")),
            };
            writeln!(out, "{:<width$}  {detail}", "")?;
            if !i.lacking.is_empty() {
                writeln!(
                    out,
                    "{:<width$}  in part: no rule implements ComplianceAsCode's {}",
                    "",
                    i.lacking.join(", ")
                )?;
            }
        }
        let s = &self.summary;
        writeln!(
            out,
            "\n{} items: {} covered, {} manual, {} runtime-only, {} not covered",
            s.items, s.covered, s.manual, s.runtime, s.not_covered
        )
    }
}

/// Writes the coverage of `profile` as text or JSON: the body of `imagegate rules coverage`.
pub fn write_coverage(set: &RuleSet, profile: &str, json: bool, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let Some(c) = set.coverage(profile) else {
        let with: Vec<&str> = set.benchmarks.keys().map(String::as_str).collect();
        let what = if set.profiles().contains(profile) {
            format!("profile {profile:?} has no benchmark file")
        } else {
            format!("unknown profile {profile:?}")
        };
        anyhow::bail!(
            "{what} (profiles with a benchmark: {}; a benchmark is a `{DIR}/<name>.toml` beside the rule files)",
            with.join(", ")
        );
    };
    if json {
        serde_json::to_writer_pretty(&mut *out, &c)?;
        writeln!(out)?;
    } else {
        c.write_text(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
[[rule]]
id = "ssh.a"
title = "a"
severity = "high"
profiles = ["p"]
rationale = "r"
remediation = "m"
references = { cis = "1.1 1.2", ssg = "x" }
check = { fact = "os.id", eq = "debian" }

[[rule]]
id = "ssh.b"
title = "b"
severity = "low"
profiles = ["p", "q"]
rationale = "r"
remediation = "m"
references = { cis = "1.2" }
check = { fact = "os.id", eq = "debian" }

[[rule]]
id = "ssh.c"
title = "c"
severity = "low"
profiles = ["q"]
rationale = "r"
remediation = "m"
references = { cis = "9.9" }
check = { fact = "os.id", eq = "debian" }
"#;

    const BENCH: &str = r#"[benchmark]
profile = "p"
title = "T"
reference = "cis"

[[item]]
id = "1.1"
title = "one"

[[item]]
id = "1.2"
title = "two"

[[item]]
id = "1.3"
title = "three"
cannot_decide = { kind = "manual", why = "site policy" }

[[item]]
id = "1.4"
title = "four"
cannot_decide = { kind = "runtime", why = "open sockets" }

[[item]]
id = "1.5"
title = "five"
"#;

    fn set(bench: &str) -> Result<RuleSet, RuleError> {
        let mut s = RuleSet::default();
        s.add_source(
            vec![
                (
                    "u/profiles.toml".into(),
                    "[profile.p]\ntitle = \"p\"\n[profile.q]\ntitle = \"q\"\n".into(),
                ),
                ("u/ssh.toml".into(), RULES.into()),
            ],
            true,
        )?;
        s.add_benchmarks(vec![("u/benchmarks/p.toml".into(), bench.into())], true)?;
        s.check_benchmarks()?;
        Ok(s)
    }

    #[test]
    fn coverage_lists_items_in_order_with_their_rules() {
        let c = set(BENCH).unwrap().coverage("p").unwrap();
        let got: Vec<(&str, ItemStatus, Vec<&str>)> = c
            .items
            .iter()
            .map(|i| (i.id.as_str(), i.status, i.rules.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            [
                ("1.1", ItemStatus::Covered, vec!["ssh.a"]),
                ("1.2", ItemStatus::Covered, vec!["ssh.a", "ssh.b"]),
                ("1.3", ItemStatus::Manual, vec![]),
                ("1.4", ItemStatus::Runtime, vec![]),
                ("1.5", ItemStatus::NotCovered, vec![]),
            ]
        );
        assert_eq!(
            c.summary,
            Summary {
                items: 5,
                covered: 2,
                manual: 1,
                runtime: 1,
                not_covered: 1
            }
        );
        let mut text = Vec::new();
        c.write_text(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains("1.3  three\n     cannot decide (manual): site policy"),
            "{text}"
        );
        assert!(text.contains("1.5  five\n     NOT COVERED"), "{text}");
        assert!(
            text.ends_with("5 items: 2 covered, 1 manual, 1 runtime-only, 1 not covered\n"),
            "{text}"
        );
        // Rule ssh.c cites 9.9, but it is not of profile p: the benchmark of p does not judge it.
        assert!(set(BENCH).unwrap().coverage("q").is_none());
    }

    #[test]
    fn inconsistent_benchmarks_are_errors_at_their_line() {
        for (bench, file_line, want) in [
            // A covered item marked cannot_decide.
            (
                BENCH.replace(
                    "title = \"two\"",
                    "title = \"two\"\ncannot_decide = { kind = \"manual\", why = \"w\" }",
                ),
                "u/benchmarks/p.toml:10:",
                "item 1.2: marked cannot_decide (manual), but rule ssh.a, ssh.b covers it",
            ),
            (
                BENCH.replace("id = \"1.5\"", "id = \"1.1\""),
                "u/benchmarks/p.toml:24:",
                "duplicate item id 1.1 (first at line 6)",
            ),
            (
                BENCH.replace("kind = \"runtime\"", "kind = \"later\""),
                "u/benchmarks/p.toml:22:",
                "unknown variant `later`",
            ),
            (
                BENCH.replace("why = \"site policy\"", "why = \" \""),
                "u/benchmarks/p.toml:14:",
                "needs a `why`",
            ),
            // Rule ssh.a (profile p) cites 1.1, which the benchmark no longer lists.
            (
                BENCH.replace("id = \"1.1\"", "id = \"1.0\""),
                "u/ssh.toml:2:",
                "rule ssh.a: references.cis cites \"1.1\", which the benchmark of profile p (u/benchmarks/p.toml) does not list",
            ),
            (
                BENCH.replace("profile = \"p\"", "profile = \"z\""),
                "u/benchmarks/p.toml:1:",
                "no `profiles.toml` declares",
            ),
            (
                BENCH.replace("reference = \"cis\"", "refrence = \"cis\""),
                "u/benchmarks/p.toml:4:",
                "refrence",
            ),
        ] {
            let e = set(&bench).unwrap_err().to_string();
            assert!(e.starts_with(file_line) && e.contains(want), "{e}");
        }
    }

    const DERIVED: &str =
        "[profile.p]\ntitle = \"p\"\n[profile.q]\ntitle = \"q\"\n[profile.d]\ntitle = \"d\"\nfrom_benchmark = true\n";

    /// Rules ssh.a (ssg x), ssh.b (none) and ssh.c (ssg y z) in profiles p and q.
    fn ssg_rules() -> String {
        RULES
            .replacen(
                "references = { cis = \"1.2\" }",
                "references = { cis = \"1.2\", ssg = \"\" }",
                1,
            )
            .replacen(
                "references = { cis = \"9.9\" }",
                "references = { cis = \"9.9\", ssg = \"y z\" }",
                1,
            )
    }

    const SSG_BENCH: &str = r#"[benchmark]
profile = "d"
title = "D"
reference = "ssg"

[[item]]
id = "D-1"
title = "one"
ssg = ["x", "w"]

[[item]]
id = "D-2"
title = "two"
ssg = ["z"]

[[item]]
id = "D-3"
title = "three"
ssg = ["w"]

[[item]]
id = "D-4"
title = "four"
ssg = []
cannot_decide = { kind = "manual", why = "a person" }
"#;

    fn derived(profiles: &str, rules: &str, bench: &str) -> Result<RuleSet, RuleError> {
        let mut s = RuleSet::default();
        s.add_source(
            vec![
                ("u/profiles.toml".into(), profiles.into()),
                ("u/ssh.toml".into(), rules.into()),
            ],
            true,
        )?;
        s.add_benchmarks(vec![("u/benchmarks/d.toml".into(), bench.into())], true)?;
        s.check_benchmarks()?;
        Ok(s)
    }

    /// A derived profile has the rules one of whose ssg ids an item lists, an item is covered
    /// by those whose ids it lists, and a gap names the ComplianceAsCode rules it lacks.
    #[test]
    fn a_profile_from_its_benchmark_takes_the_rules_its_items_name() {
        let s = derived(DERIVED, &ssg_rules(), SSG_BENCH).unwrap();
        let of = |p: &str| -> Vec<&str> {
            s.rules
                .values()
                .filter(|r| r.profiles.iter().any(|x| x == p))
                .map(|r| r.id.as_str())
                .collect()
        };
        assert_eq!(of("d"), ["ssh.a", "ssh.c"]);
        assert_eq!(s.rules["ssh.a"].profiles, ["p", "d"]);
        assert_eq!(s.rules["ssh.b"].profiles, ["p", "q"]);
        let c = s.coverage("d").unwrap();
        let got: Vec<(&str, ItemStatus, Vec<&str>)> = c
            .items
            .iter()
            .map(|i| (i.id.as_str(), i.status, i.rules.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            [
                ("D-1", ItemStatus::Covered, vec!["ssh.a"]),
                ("D-2", ItemStatus::Covered, vec!["ssh.c"]),
                ("D-3", ItemStatus::NotCovered, vec![]),
                ("D-4", ItemStatus::Manual, vec![]),
            ]
        );
        let mut text = Vec::new();
        c.write_text(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.contains("D-3  three\n     NOT COVERED: no rule of the profile decides it (ComplianceAsCode: w)\n"),
            "{text}"
        );
        assert!(
            text.contains("D-1  one\n     covered by ssh.a\n     in part: no rule implements ComplianceAsCode's w\n"),
            "{text}"
        );
        assert!(text.contains("D-2  two\n     covered by ssh.c\n\n"), "{text}");
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["items"][0]["lacking"], serde_json::json!(["w"]));
        assert!(json["items"][1].get("lacking").is_none(), "{json}");
        assert_eq!(json["items"][2]["ssg"], serde_json::json!(["w"]));
        assert!(json["items"][3].get("ssg").is_none(), "{json}");

        // A later source replacing ssh.c with one of another ssg id takes it out of d; deriving
        // again gives every rule the profile once.
        let mut s = s;
        let c2 = ssg_rules()
            .split("[[rule]]")
            .nth(3)
            .unwrap()
            .replace("ssg = \"y z\"", "ssg = \"v\"");
        s.add_source(vec![("v/ssh.toml".into(), format!("[[rule]]{c2}"))], true)
            .unwrap();
        s.check_benchmarks().unwrap();
        s.check_benchmarks().unwrap();
        assert_eq!(s.rules["ssh.a"].profiles, ["p", "d"]);
        assert!(
            s.rules
                .values()
                .filter(|r| r.profiles.iter().any(|p| p == "d"))
                .map(|r| r.id.as_str())
                .eq(["ssh.a"])
        );
        assert_eq!(s.coverage("d").unwrap().items[1].status, ItemStatus::NotCovered);
    }

    #[test]
    fn inconsistent_derived_profiles_are_errors_at_their_line() {
        let rules = ssg_rules();
        for (profiles, rules, bench, file_line, want) in [
            (
                DERIVED.to_owned(),
                rules.clone(),
                SSG_BENCH.replace("[\"x\", \"w\"]", "[\"x\", \"w\", \"x\"]"),
                "u/benchmarks/d.toml:6:",
                "item D-1: ssg id x is listed twice",
            ),
            (
                DERIVED.to_owned(),
                rules.clone(),
                SSG_BENCH.replace("[\"z\"]", "[\"z y\"]"),
                "u/benchmarks/d.toml:11:",
                "item D-2: ssg id \"z y\" is not a ComplianceAsCode rule id",
            ),
            (
                DERIVED.to_owned(),
                rules.clone(),
                SSG_BENCH.replace("ssg = [\"w\"]\n", ""),
                "u/benchmarks/d.toml:16:",
                "item D-3: a benchmark with reference = \"ssg\" lists each item's ComplianceAsCode rules in `ssg`",
            ),
            (
                DERIVED.to_owned(),
                rules.clone(),
                BENCH
                    .replace("title = \"one\"", "title = \"one\"\nssg = [\"x\"]")
                    .replace("\"p\"", "\"d\""),
                "u/benchmarks/d.toml:6:",
                "item 1.1: `ssg` lists ComplianceAsCode rules only in a benchmark with reference = \"ssg\" (this one has \"cis\")",
            ),
            // A derived profile whose benchmark maps by item id.
            (
                DERIVED.to_owned(),
                rules.clone(),
                BENCH.replace("\"p\"", "\"d\""),
                "u/profiles.toml:5:",
                "profile d: `from_benchmark` needs a benchmark whose items list their `ssg` rules, but u/benchmarks/d.toml has reference = \"cis\"",
            ),
            // A derived profile without a benchmark.
            (
                DERIVED.to_owned(),
                rules.clone(),
                SSG_BENCH.replace("profile = \"d\"", "profile = \"q\""),
                "u/profiles.toml:5:",
                "profile d: `from_benchmark`, but no benchmark describes it",
            ),
            // A rule naming a derived profile.
            (
                DERIVED.to_owned(),
                rules.replacen("profiles = [\"p\", \"q\"]", "profiles = [\"p\", \"d\"]", 1),
                SSG_BENCH.to_owned(),
                "u/ssh.toml:12:",
                "rule ssh.b: profile d takes its rules from its benchmark (`from_benchmark` in profiles.toml): drop it from `profiles`",
            ),
            // A manual item that a rule covers.
            (
                DERIVED.to_owned(),
                rules.clone(),
                SSG_BENCH.replace("ssg = []", "ssg = [\"y\"]"),
                "u/benchmarks/d.toml:21:",
                "item D-4: marked cannot_decide (manual), but rule ssh.c covers it",
            ),
            // A rule of a non-derived profile with an ssg benchmark that lists none of its ids.
            (
                DERIVED.replace("from_benchmark = true\n", ""),
                rules
                    .replacen("profiles = [\"q\"]", "profiles = [\"q\", \"d\"]", 1)
                    .replacen("profiles = [\"p\", \"q\"]", "profiles = [\"p\", \"q\", \"d\"]", 1),
                SSG_BENCH.to_owned(),
                "u/ssh.toml:12:",
                "rule ssh.b: is of profile d, but no item of its benchmark (u/benchmarks/d.toml) lists its ssg ids (it has none)",
            ),
        ] {
            let e = derived(&profiles, &rules, &bench).unwrap_err().to_string();
            assert!(e.starts_with(file_line) && e.contains(want), "{e}");
        }
        // A later profiles.toml declaring a profile the rules already name `from_benchmark`.
        let mut s = derived(DERIVED, &ssg_rules(), SSG_BENCH).unwrap();
        let e = s
            .add_source(
                vec![(
                    "v/profiles.toml".into(),
                    "[profile.q]\ntitle = \"q\"\nfrom_benchmark = true\n".into(),
                )],
                true,
            )
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "v/profiles.toml:1: profile q: `from_benchmark` takes its rules from its benchmark, but rule ssh.b"
            ),
            "{e}"
        );
    }

    /// Each shipped derived profile holds exactly the rules one of whose ssg ids an item of its
    /// benchmark file lists, read here from the files with the TOML parser alone.
    #[test]
    fn shipped_derived_profiles_hold_the_rules_their_items_name() {
        let set = RuleSet::embedded().unwrap();
        let derived: Vec<&String> = set
            .declared
            .iter()
            .filter(|(_, p)| p.from_benchmark)
            .map(|(n, _)| n)
            .collect();
        assert!(derived.len() >= 6, "{derived:?}");
        for name in derived {
            let (_, text) = EMBEDDED
                .iter()
                .find(|(f, _)| f.ends_with(&format!("/{name}.toml")))
                .unwrap_or_else(|| panic!("no benchmark file for {name}"));
            let v: toml::Value = toml::from_str(text).unwrap();
            let listed: BTreeSet<&str> = v["item"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|i| i["ssg"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()))
                .collect();
            let mut want = Vec::new();
            for (_, rules) in super::super::load::EMBEDDED {
                let v: toml::Value = toml::from_str(rules).unwrap();
                for r in v.get("rule").and_then(|r| r.as_array()).into_iter().flatten() {
                    let ssg = r
                        .get("references")
                        .and_then(|x| x.get("ssg"))
                        .and_then(|x| x.as_str())
                        .unwrap_or("");
                    if ssg.split_whitespace().any(|s| listed.contains(s)) {
                        want.push(r["id"].as_str().unwrap().to_owned());
                    }
                }
            }
            want.sort_unstable();
            let got: Vec<&str> = set
                .rules
                .values()
                .filter(|r| r.profiles.contains(name))
                .map(|r| r.id.as_str())
                .collect();
            assert!(!got.is_empty(), "{name}");
            assert_eq!(got, want, "{name}");
        }
    }

    /// The shipped benchmarks load against the shipped rules, each names a declared profile and
    /// accounts for every item.
    #[test]
    fn shipped_benchmarks_are_consistent_with_the_rules() {
        let set = RuleSet::embedded().unwrap();
        assert!(set.benchmarks.contains_key("cis-l1-server") && set.benchmarks.contains_key("cis-l2-server"));
        for p in set.benchmarks.keys() {
            let c = set.coverage(p).unwrap();
            let s = &c.summary;
            assert_eq!(s.items, s.covered + s.manual + s.runtime + s.not_covered);
            assert!(s.covered > 0, "{p}");
        }
        // Level 2 lists every level 1 item, in the same order.
        let ids = |p: &str| -> Vec<String> { set.benchmarks[p].items.iter().map(|i| i.id.clone()).collect() };
        let (l1, l2) = (ids("cis-l1-server"), ids("cis-l2-server"));
        let in_l2: Vec<&String> = l2.iter().filter(|i| l1.contains(i)).collect();
        assert_eq!(in_l2, l1.iter().collect::<Vec<_>>());
    }
}
