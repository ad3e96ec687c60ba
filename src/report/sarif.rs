//! The SARIF 2.1.0 report, for GitHub code scanning (and any SARIF viewer): a small hand-written
//! serde model of the parts imagegate fills, as cargo-deny does, rather than a generated model of
//! the whole schema. tests/integration/formats.rs validates the output against the OASIS schema
//! (tests/data/sarif-schema-2.1.0.json).
//!
//! Mapping (docs/output.md has the full table):
//! - `tool.driver.rules[]`: one reporting descriptor per evaluated rule, sorted by id: `id`,
//!   `name` (the id in PascalCase), `shortDescription` = title, `fullDescription` = rationale,
//!   `help` = remediation (text, and markdown with rationale and references), and `properties`
//!   with the severity, `tags` (`security`, the area), the references and GitHub's
//!   `security-severity` score.
//! - `results[]`: one per **failing** finding, and one per **error** finding. GitHub shows only
//!   results, and an error means "could not verify": leaving it out would show a clean image where
//!   nothing was checked (principle 1), so it is reported with level `error` and
//!   `properties.status = "error"`; it is also listed as a tool execution notification. Pass and
//!   not-applicable findings produce no result.
//! - `level` from severity: critical/high → error, medium → warning, low/info → note.
//! - `locations[0]`: the in-image file and line that decided the evidence, as a path relative to
//!   the image root (`etc/ssh/sshd_config`, `uriBaseId` `IMAGEROOT`, which `originalUriBaseIds`
//!   maps to the scanned root as a `file://` URI): a value's own line, or the line of a record of
//!   a list (the PAM line that carries `nullok`). Without one, the file a fact is about
//!   (`files.paths["/etc/gshadow"]`), the file a source note says was searched ("no auth line
//!   … in /etc/pam.d/common-auth"), the file an error names, the rule's `fix_file` (where the remediation puts a setting
//!   absent everywhere), and last the image's `etc/os-release`; the location's message says
//!   which. Other deciding lines and the values the winner shadowed are `relatedLocations`.
//!   GitHub rejects a whole upload if a result lacks a file location, and wants a line: every
//!   location has a `region.startLine` (1 for a whole file).
//! - `--sarif-uri-prefix DIR`: paths become `DIR/etc/…` relative to `%SRCROOT%` (the
//!   repository), for a root unpacked inside the repository that code scanning checks out.
//! - `message.text`: the title, then the evidence as the text report lays it out (one line per
//!   fact and per record, with file:line); `partialFingerprints` hold the rule and the primary
//!   location, so two places failing one rule are two alerts.
//!
//! Deliberately absent: timestamps, GUIDs, the host name and command line (deterministic output).
use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::eval::{Finding, Report, Status};
use crate::i18n;
use crate::rules::Severity;

/// `$schema` of the log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The `uriBaseId` of every in-image path.
pub const ROOT_BASE_ID: &str = "IMAGEROOT";
/// The `uriBaseId` of in-image paths under `--sarif-uri-prefix`: the repository root, which
/// code scanning resolves to its checkout.
pub const SRCROOT_BASE_ID: &str = "%SRCROOT%";
/// Where a result is anchored when no file decided it.
const FALLBACK_PATH: &str = "/etc/os-release";

/// The top-level `sarifLog`.
#[derive(Debug, Serialize)]
pub struct Log {
    /// The schema URI.
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    /// "2.1.0".
    pub version: &'static str,
    /// One run.
    pub runs: Vec<Run>,
}

/// One `run`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// The tool and its rules.
    pub tool: Tool,
    /// Whether the run could evaluate everything, and notifications for what it could not.
    pub invocations: Vec<Invocation>,
    /// `IMAGEROOT` → the scanned root.
    pub original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    /// Failing and error findings.
    pub results: Vec<SarifResult>,
    /// Profile, target and counts.
    pub properties: RunProperties,
}

/// `tool`.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// The driver.
    pub driver: Driver,
}

/// `tool.driver`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    /// "imagegate".
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
    /// Crate version (it is semver).
    pub semantic_version: &'static str,
    /// One descriptor per evaluated rule.
    pub rules: Vec<ReportingDescriptor>,
}

/// A rule's `reportingDescriptor`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    /// Rule id.
    pub id: String,
    /// The id in PascalCase.
    pub name: String,
    /// Title.
    pub short_description: Text,
    /// Rationale.
    pub full_description: Text,
    /// Remediation.
    pub help: Text,
    /// The level a failure of this rule gets.
    pub default_configuration: Configuration,
    /// Severity, tags, references.
    pub properties: RuleProperties,
}

/// A `multiformatMessageString` / `message`.
#[derive(Debug, Serialize)]
pub struct Text {
    /// Plain text.
    pub text: String,
    /// Markdown, when richer than the text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
}

impl Text {
    fn plain(text: impl Into<String>) -> Self {
        Text {
            text: text.into(),
            markdown: None,
        }
    }
}

/// `reportingConfiguration`.
#[derive(Debug, Serialize)]
pub struct Configuration {
    /// `error`, `warning` or `note`.
    pub level: &'static str,
}

/// A rule's property bag.
#[derive(Debug, Serialize)]
pub struct RuleProperties {
    /// `security` (GitHub files such alerts under security) and the area.
    pub tags: Vec<String>,
    /// imagegate's severity.
    pub severity: Severity,
    /// GitHub's CVSS-like score string; none for `info`.
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    pub security_severity: Option<&'static str>,
    /// Benchmark sections and external ids.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub references: BTreeMap<String, String>,
}

/// One `result`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    /// Rule id.
    pub rule_id: String,
    /// Index of the rule in `tool.driver.rules`.
    pub rule_index: usize,
    /// Level from severity (`error` for error findings).
    pub level: &'static str,
    /// Title, then the evidence (or the reason for an error).
    pub message: Text,
    /// The deciding file and line.
    pub locations: Vec<Location>,
    /// Other evidence files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<Location>,
    /// Stable identity across runs: rule id and primary path.
    pub partial_fingerprints: BTreeMap<&'static str, String>,
    /// A waiver, as an external suppression (code scanning shows the alert as dismissed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
    /// imagegate's status and severity.
    pub properties: ResultProperties,
}

/// SARIF `suppression`: a waiver accepted the failure.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suppression {
    /// Always `external`: the waiver lives outside the scanned files.
    pub kind: &'static str,
    /// The waiver's reason, owner and expiry.
    pub justification: String,
}

/// A result's property bag.
#[derive(Debug, Serialize)]
pub struct ResultProperties {
    /// `fail` or `error`.
    pub status: Status,
    /// The finding's severity.
    pub severity: Severity,
}

/// `location`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// Distinguishes related locations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<usize>,
    /// File and line.
    pub physical_location: PhysicalLocation,
    /// Which fact this file decided, or why the location is a fallback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Text>,
}

/// `physicalLocation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    /// The file.
    pub artifact_location: ArtifactLocation,
    /// The line, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

/// `artifactLocation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    /// Relative to `uriBaseId` (in-image paths), or absolute (the root itself).
    pub uri: String,
    /// `IMAGEROOT` for in-image paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
}

/// `region`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// 1-based line.
    pub start_line: u32,
}

/// `invocation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    /// False when any rule ended in error.
    pub execution_successful: bool,
    /// One per error finding.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_execution_notifications: Vec<Notification>,
}

/// `notification`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// "error".
    pub level: &'static str,
    /// The reason.
    pub message: Text,
    /// The rule that could not be evaluated.
    pub associated_rule: RuleReference,
}

/// `reportingDescriptorReference`.
#[derive(Debug, Serialize)]
pub struct RuleReference {
    /// Rule id.
    pub id: String,
    /// Index in `tool.driver.rules`.
    pub index: usize,
}

/// The run's property bag.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunProperties {
    /// Profile evaluated.
    pub profile: String,
    /// PRETTY_NAME of the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// The "today" used.
    pub as_of: String,
    /// Counts by status, as in the JSON report.
    pub summary: crate::eval::Summary,
}

/// critical/high → error, medium → warning, low/info → note.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` (a CVSS-like score: ≥ 9 critical, ≥ 7 high, ≥ 4 medium, else low).
fn security_severity(s: Severity) -> Option<&'static str> {
    match s {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Info => None,
    }
}

/// `ssh.permit-root-login` → `SshPermitRootLogin`.
fn pascal(id: &str) -> String {
    id.split(['.', '-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// Percent-encodes a path for a URI (RFC 3986): unreserved characters and `/` stay, every other
/// byte becomes `%XX`, so a hostile file name cannot break out of the URI. The bytes are the
/// name's own ([`crate::names`]): `10-\xff.conf` is `10-%FF.conf`.
pub fn encode_path(path: &str) -> String {
    let mut s = String::with_capacity(path.len());
    for &b in crate::names::bytes(path).iter() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// The scanned root as an absolute `file://` URI ending in `/` (SARIF §3.14.14 wants the slash).
pub fn root_uri(root: &str) -> String {
    let abs = std::path::absolute(root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| root.to_owned());
    let mut uri = format!("file://{}", encode_path(&abs));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The message of a result: title, then the evidence (or the reason), on separate lines.
fn message(f: &Finding) -> String {
    let w = i18n::words(f.lang);
    let mut s = f.title.clone();
    if let Some(r) = &f.reason {
        let what = if f.status == Status::Error {
            w.not_evaluated
        } else {
            w.reason_word
        };
        s.push_str(&format!("\n{what}: {r}"));
    }
    for l in super::evidence_lines(f) {
        s.push('\n');
        s.push_str(&l);
    }
    s
}

/// Where paths go: relative to `IMAGEROOT` (the scanned root), or, with `--sarif-uri-prefix`,
/// relative to the repository (`%SRCROOT%`) under the prefix.
#[derive(Debug, Clone, Copy)]
struct Anchor<'p> {
    prefix: Option<&'p str>,
}

impl Anchor<'_> {
    /// The in-image path `/etc/x` as `etc/x` relative to `IMAGEROOT`, or `PREFIX/etc/x` relative
    /// to `%SRCROOT%`.
    fn at(self, path: &str) -> ArtifactLocation {
        let rel = path.trim_start_matches('/');
        match self.prefix {
            None => ArtifactLocation {
                uri: encode_path(rel),
                uri_base_id: Some(ROOT_BASE_ID),
            },
            Some(p) => ArtifactLocation {
                uri: format!("{}{}", encode_path(p), encode_path(rel)),
                uri_base_id: Some(SRCROOT_BASE_ID),
            },
        }
    }

    fn location(self, path: &str, line: Option<u32>, message: String) -> Location {
        Location {
            id: None,
            physical_location: PhysicalLocation {
                artifact_location: self.at(path),
                // GitHub wants a line on every location; a whole file (a mode, a missing line) is
                // shown at its first.
                region: Some(Region {
                    start_line: line.filter(|l| *l >= 1).unwrap_or(1),
                }),
            },
            message: Some(Text::plain(message)),
        }
    }
}

/// `--sarif-uri-prefix` made a directory prefix (`rootfs` → `rootfs/`), refused when it is not a
/// plain relative path inside the repository.
pub fn uri_prefix(p: &str) -> Result<String, String> {
    let trimmed = p.trim_start_matches("./");
    if trimmed.starts_with('/') || trimmed.split('/').any(|c| c == "..") || p.contains('\\') {
        return Err(format!(
            "--sarif-uri-prefix {p:?}: give the root's directory relative to the repository root (e.g. rootfs/)"
        ));
    }
    let mut s = trimmed.to_owned();
    if !s.is_empty() && !s.ends_with('/') {
        s.push('/');
    }
    Ok(s)
}

/// The primary and related locations of a finding. The primary is the file and line that
/// decided the first piece of evidence (a value's own line, or a record's of a list: the PAM line
/// that carries `nullok`); with none, the file the remediation changes (the rule's `fix_file`: a
/// setting absent everywhere belongs there); with neither, the image's os-release. Every other
/// deciding file and line, and every value the winner shadowed, is a related location.
fn locations(f: &Finding, anchor: Anchor<'_>) -> (Location, Vec<Location>) {
    let mut seen: Vec<(String, Option<u32>)> = Vec::new();
    let mut deciding: Vec<Location> = Vec::new();
    let mut shadows: Vec<Location> = Vec::new();
    let mut add = |list: &mut Vec<Location>, src: &crate::facts::Source, msg: String| {
        let Some(path) = &src.path else { return };
        let key = (path.clone(), src.line);
        if !seen.contains(&key) {
            seen.push(key);
            list.push(anchor.location(path, src.line, msg));
        }
    };
    let lines = super::evidence(f);
    for e in f.evidence.iter().filter(|e| e.unavailable.is_none()) {
        let shown = |v: &serde_json::Value| super::short_value(v);
        if let Some(src) = &e.source {
            add(
                &mut deciding,
                src,
                format!("{} = {} is decided here", e.fact, shown(&e.value)),
            );
        }
        // A list's records each name their line (a decisive record's is the evidence's own).
        for src in e.item_sources.iter().flatten() {
            add(
                &mut deciding,
                src,
                format!("{}: this line is part of the evidence", e.fact),
            );
        }
        for sh in &e.shadowed {
            if let Some(src) = &sh.source {
                let val = shown(&sh.value);
                add(&mut shadows, src, format!("{}: {val} here is overridden", e.fact));
            }
        }
    }
    let mut all = deciding.into_iter().chain(shadows);
    let primary = all.next().unwrap_or_else(|| {
        let what = lines.first().map(super::Line::plain).unwrap_or_else(|| f.title.clone());
        if let Some(file) = f.evidence.iter().find_map(|e| fact_file(&e.fact)) {
            return anchor.location(file, None, format!("{what}: a fact about this file"));
        }
        if let Some(file) = f
            .evidence
            .iter()
            .find_map(|e| e.source.as_ref().and_then(|s| s.note.as_deref()).and_then(note_file))
        {
            return anchor.location(file, None, format!("{what}: decided by what this file lacks"));
        }
        // An error names the file it could not read, or could not trust.
        if let Some(file) = f
            .evidence
            .iter()
            .filter_map(|e| e.unavailable.as_deref())
            .chain(f.reason.as_deref().filter(|_| f.status == Status::Error))
            .find_map(note_file)
        {
            return anchor.location(file, None, format!("{what}: the file the error names"));
        }
        match &f.fix_file {
            Some(file) => anchor.location(
                file,
                None,
                format!("no line in the image decided this ({what}); the remediation changes this file"),
            ),
            None => anchor.location(
                FALLBACK_PATH,
                None,
                format!("no file in the image decided this ({what}); anchored at the image's os-release"),
            ),
        }
    });
    let related = all
        .enumerate()
        .map(|(i, mut l)| {
            l.id = Some(i + 1);
            l
        })
        .collect();
    (primary, related)
}

/// The file a fact is about, when its path keys one by its in-image path:
/// `files.paths["/etc/gshadow"].mode` is about /etc/gshadow.
fn fact_file(fact: &str) -> Option<&str> {
    let start = fact.find("[\"/")? + 2;
    let rest = fact.get(start..)?;
    rest.get(..rest.find("\"]")?)
}

/// The in-image file a source note names as where a line was looked for ("no auth line with
/// pam_faillock.so in /etc/pam.d/common-auth"): the last absolute path in the note.
fn note_file(note: &str) -> Option<&str> {
    note.split([' ', '(', ')', ',', ';', '`'])
        .map(|w| w.trim_end_matches(['.', ':']))
        .rfind(|w| w.len() > 1 && w.starts_with('/') && !w.ends_with('/') && !w.contains('*'))
}

fn descriptor(f: &Finding) -> ReportingDescriptor {
    let w = i18n::words(f.lang);
    let mut md = format!(
        "{}\n\n**{}**\n\n{}",
        f.remediation.trim(),
        w.why_it_matters,
        f.rationale.trim()
    );
    if !f.references.is_empty() {
        md.push_str(&format!("\n\n**{}**\n", w.references));
        for (k, v) in &f.references {
            md.push_str(&format!("\n- {k}: {v}"));
        }
    }
    ReportingDescriptor {
        id: f.id.clone(),
        name: pascal(&f.id),
        short_description: Text::plain(f.title.clone()),
        full_description: Text::plain(f.rationale.trim()),
        help: Text {
            text: f.remediation.trim().to_owned(),
            markdown: Some(md),
        },
        default_configuration: Configuration {
            level: level(f.severity),
        },
        properties: RuleProperties {
            tags: vec!["security".into(), f.area.clone()],
            severity: f.severity,
            security_severity: security_severity(f.severity),
            references: f.references.clone(),
        },
    }
}

/// Builds the SARIF log (exposed for tests); `prefix` is a checked `--sarif-uri-prefix`
/// ([`uri_prefix`]).
pub fn build(report: &Report, prefix: Option<&str>) -> Log {
    let anchor = Anchor { prefix };
    // Findings are sorted by id, so the rule index of a finding is its position.
    let rules: Vec<ReportingDescriptor> = report.findings.iter().map(descriptor).collect();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for (index, f) in report.findings.iter().enumerate() {
        let level = match f.status {
            Status::Fail | Status::Waived => level(f.severity),
            Status::Error => "error",
            Status::Pass | Status::NotApplicable => continue,
        };
        if f.status == Status::Error {
            notifications.push(Notification {
                level: "error",
                message: Text::plain(format!(
                    "{}: {}",
                    f.id,
                    f.reason.as_deref().unwrap_or(i18n::words(f.lang).not_evaluated)
                )),
                associated_rule: RuleReference {
                    id: f.id.clone(),
                    index,
                },
            });
        }
        let (primary, related) = locations(f, anchor);
        // One alert per rule and deciding place: two files failing one rule are two alerts.
        let pl = &primary.physical_location;
        let fingerprint = format!(
            "{}:{}:{}",
            f.id,
            pl.artifact_location.uri,
            pl.region.as_ref().map_or(1, |r| r.start_line)
        );
        results.push(SarifResult {
            rule_id: f.id.clone(),
            rule_index: index,
            level,
            message: Text::plain(message(f)),
            locations: vec![primary],
            related_locations: related,
            partial_fingerprints: BTreeMap::from([("imagegateRuleAndLocation/v1", fingerprint)]),
            suppressions: f
                .waiver
                .iter()
                .map(|w| Suppression {
                    kind: "external",
                    justification: format!("{} (owner {}, until {}, {})", w.reason, w.owner, w.expires, w.origin),
                })
                .collect(),
            properties: ResultProperties {
                status: f.status,
                severity: f.severity,
            },
        });
    }
    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "imagegate",
                    version: report.tool.version,
                    semantic_version: report.tool.version,
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful: notifications.is_empty(),
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids: BTreeMap::from([(
                ROOT_BASE_ID,
                ArtifactLocation {
                    uri: root_uri(&report.target.root),
                    uri_base_id: None,
                },
            )]),
            results,
            properties: RunProperties {
                profile: report.profile.clone(),
                os: report.host.os.clone(),
                as_of: report.target.as_of.clone(),
                summary: report.summary.clone(),
            },
        }],
    }
}

/// Writes the SARIF report; `prefix` is `--sarif-uri-prefix` (checked here).
pub fn render(report: &Report, prefix: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let prefix = prefix.map(uri_prefix).transpose().map_err(io::Error::other)?;
    serde_json::to_writer_pretty(&mut *out, &build(report, prefix.as_deref()))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_follows_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
    }

    #[test]
    fn pascal_case_name_from_a_kebab_id() {
        assert_eq!(pascal("ssh.permit-root-login"), "SshPermitRootLogin");
        assert_eq!(pascal("kernel.ip_forward"), "KernelIpForward");
    }

    #[test]
    fn hostile_file_names_are_percent_encoded_in_uris() {
        assert_eq!(encode_path("etc/a b%\"<x>"), "etc/a%20b%25%22%3Cx%3E");
        assert_eq!(
            encode_path("etc/ssh/sshd_config.d/50-cloud-init.conf"),
            "etc/ssh/sshd_config.d/50-cloud-init.conf"
        );
        assert_eq!(encode_path("etc/é"), "etc/%C3%A9");
        assert_eq!(encode_path(&crate::names::text(b"etc/\xff\xfe")), "etc/%FF%FE");
    }

    #[test]
    fn files_named_by_facts_and_notes() {
        assert_eq!(fact_file(r#"files.paths["/etc/gshadow"].mode"#), Some("/etc/gshadow"));
        assert_eq!(fact_file(r#"sysctl.keys["kernel.x"].persisted"#), None);
        assert_eq!(fact_file("sshd.effective.permitrootlogin"), None);
        assert_eq!(
            note_file("no auth line with pam_faillock.so or pam_tally2.so in /etc/pam.d/common-auth"),
            Some("/etc/pam.d/common-auth")
        );
        assert_eq!(note_file("compiled-in default (OpenSSH 9.2p1)"), None);
        assert_eq!(note_file("no line in /etc/sysctl.d/*.conf"), None);
    }

    #[test]
    fn uri_prefix_is_a_relative_directory() {
        assert_eq!(uri_prefix("rootfs").unwrap(), "rootfs/");
        assert_eq!(uri_prefix("./images/web/").unwrap(), "images/web/");
        assert_eq!(uri_prefix("").unwrap(), "");
        for bad in ["/abs", "../up", "a/../../b", "a\\b"] {
            assert!(uri_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn root_uri_is_absolute_and_ends_in_a_slash() {
        assert_eq!(root_uri("/srv/image"), "file:///srv/image/");
        assert_eq!(root_uri("/"), "file:///");
        assert!(root_uri("rootfs").starts_with("file:///"));
        assert!(root_uri("rootfs").ends_with("/rootfs/"));
    }
}
