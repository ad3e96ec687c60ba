//! Loading rule files: TOML → validated [`Rule`]s, with errors that point at the file and line.
//!
//! The shipped rules under `rules/` are embedded at build time (build.rs lists them); user
//! directories given with `--rules` are read through the host filesystem — they are the user's
//! own files, not the scanned image's — and a user rule with an existing id replaces the shipped
//! one. Validation rejects unknown keys, unknown operators, fact paths no fact has
//! ([`super::schema`]), undefined variables, bad severities, ids that do not start with the
//! file's area, duplicate ids, and profiles that no `profiles.toml` declares.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{ErrorWhen, Expr, Rule, Severity, Translation};
use crate::text::line_at;

/// The shipped rule files: (path relative to the repository, contents).
pub const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// A rule file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// TOML syntax or schema error.
    #[error("{file}:{line}: {msg}")]
    Parse {
        /// The rule file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        msg: String,
    },
    /// The same id defined twice in one source.
    #[error("{file}:{line}: duplicate rule id {id} (first defined at {first})")]
    DuplicateId {
        /// The rule file.
        file: String,
        /// 1-based line.
        line: usize,
        /// The id.
        id: String,
        /// Where it was first defined.
        first: String,
    },
    /// A user rule directory could not be read.
    #[error("cannot read rule directory {path}: {source}")]
    Io {
        /// The directory or file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    title: String,
    severity: Severity,
    profiles: Vec<String>,
    #[serde(default)]
    families: Vec<String>,
    rationale: String,
    remediation: String,
    #[serde(default)]
    references: BTreeMap<String, String>,
    applies_when: Option<toml::Value>,
    not_applicable: Option<String>,
    #[serde(default)]
    error_when: Vec<RawErrorWhen>,
    check: toml::Value,
    #[serde(default)]
    vars: BTreeMap<String, toml::Value>,
    fix_file: Option<String>,
    /// `[rule.zh-CN]`: the rule's text in Simplified Chinese.
    #[serde(rename = "zh-CN")]
    zh_cn: Option<RawTranslation>,
}

/// A rule's text in another language, beside its English text (`[rule.zh-CN]`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTranslation {
    title: String,
    rationale: String,
    remediation: String,
    not_applicable: Option<String>,
    /// The `error_when` reasons, in the rule's order.
    #[serde(default)]
    error_when: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawErrorWhen {
    check: toml::Value,
    reason: String,
}

/// The declarations of a `profiles.toml`: `[profile.NAME]` with a `title` and the values it
/// gives rule variables (`[profile.NAME.vars]`), and `[renamed-vars]`, old variable names that
/// still work (with a warning) in `--var` and tailoring files.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfiles {
    #[serde(default)]
    profile: BTreeMap<String, toml::Spanned<RawProfile>>,
    #[serde(default, rename = "renamed-vars")]
    renamed_vars: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    title: String,
    #[serde(default)]
    vars: BTreeMap<String, toml::Value>,
    #[serde(default)]
    xccdf: Vec<String>,
    #[serde(default)]
    from_benchmark: bool,
}

/// A declared profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// What it is for, one line.
    pub title: String,
    /// Where it was declared (`rules/profiles.toml:4`).
    pub origin: String,
    /// The values it gives rule variables (the benchmark's thresholds); a tailoring file and
    /// `--var` override them.
    pub vars: BTreeMap<String, serde_json::Value>,
    /// The ComplianceAsCode profiles it stands for (`cis_level1_server`): what `tailoring
    /// import` maps an XCCDF profile's `extends` to.
    pub xccdf: Vec<String>,
    /// Its rules are those whose `ssg` reference an item of its benchmark lists, not those that
    /// name it in `profiles` ([`super::benchmark`]).
    pub from_benchmark: bool,
}

/// What a `profiles.toml` declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declarations {
    /// Profiles by name.
    pub profiles: BTreeMap<String, Profile>,
    /// Old variable name → its new name.
    pub renamed_vars: BTreeMap<String, String>,
}

/// The file of a rule directory that declares profiles instead of holding rules.
pub const PROFILES_FILE: &str = "profiles.toml";

/// All loaded rules, by id, and the profiles they may name.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// Rules sorted by id.
    pub rules: BTreeMap<String, Rule>,
    /// Declared profiles by name: a rule naming any other profile does not load (a misspelled
    /// profile would otherwise quietly become a profile of its own, which nobody runs).
    pub declared: BTreeMap<String, Profile>,
    /// Benchmarks by the profile they describe (`rules/benchmarks/`).
    pub benchmarks: BTreeMap<String, super::benchmark::Benchmark>,
    /// Old variable names that still work, with a warning: old name → new name.
    pub renamed_vars: BTreeMap<String, String>,
    /// The rules each profile declared `from_benchmark` took from its benchmark (the profile's
    /// name is in their `profiles`), so that a later source can derive them again.
    pub derived: BTreeMap<String, BTreeSet<String>>,
}

/// Parses a `profiles.toml`.
pub fn parse_profiles(file: &str, text: &str) -> Result<Declarations, RuleError> {
    let raw: RawProfiles = toml::from_str(text).map_err(|e| RuleError::Parse {
        file: file.to_owned(),
        line: e.span().map_or(1, |s| line_at(text, s.start)),
        msg: e.message().trim_end_matches('\n').to_owned(),
    })?;
    let mut out = BTreeMap::new();
    for (name, p) in raw.profile {
        let line = line_at(text, p.span().start);
        let err = |msg: String| RuleError::Parse {
            file: file.to_owned(),
            line,
            msg,
        };
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(err(format!("profile {name:?}: a profile name is kebab-case")));
        }
        let RawProfile {
            title,
            vars,
            xccdf,
            from_benchmark,
        } = p.into_inner();
        if title.trim().is_empty() {
            return Err(err(format!("profile {name}: `title` is empty")));
        }
        let vars = vars
            .into_iter()
            .map(|(k, v)| serde_json::to_value(v).map(|j| (k, j)))
            .collect::<Result<_, _>>()
            .map_err(|e| err(format!("profile {name}: {e}")))?;
        out.insert(
            name,
            Profile {
                title,
                origin: format!("{file}:{line}"),
                vars,
                xccdf,
                from_benchmark,
            },
        );
    }
    Ok(Declarations {
        profiles: out,
        renamed_vars: raw.renamed_vars,
    })
}

/// Parses one rule file. `file` names it in errors; its stem is the area every id must start with.
pub fn parse_file(file: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    parse_checked(file, text, true)
}

/// [`parse_file`], checking the fact paths against the schema when `check_paths` (the shipped
/// rules skip it at run time: a test walks every path they read, and the schema costs a few
/// milliseconds to build).
fn parse_checked(file: &str, text: &str, check_paths: bool) -> Result<Vec<Rule>, RuleError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| RuleError::Parse {
        file: file.to_owned(),
        line: e.span().map_or(1, |s| line_at(text, s.start)),
        msg: e.message().trim_end_matches('\n').to_owned(),
    })?;
    let area = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_owned();
    let mut out = Vec::new();
    // Rules come in file order: count newlines from the previous rule on, not from the top.
    let (mut at, mut line) = (0, 1);
    for spanned in raw.rule {
        let start = spanned.span().start.max(at);
        line += text
            .get(at..start)
            .map_or(0, |t| t.bytes().filter(|&b| b == b'\n').count());
        at = start;
        let r = spanned.into_inner();
        let err = |msg: String| RuleError::Parse {
            file: file.to_owned(),
            line,
            msg: format!("rule {}: {msg}", r.id),
        };
        let (rule_area, name) =
            r.id.split_once('.')
                .ok_or_else(|| err("id must be `<area>.<name>`".into()))?;
        if rule_area != area {
            return Err(err(format!("id must start with `{area}.` (the file's area)")));
        }
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(err("the name after the area must be kebab-case".into()));
        }
        if r.profiles.is_empty() {
            return Err(err("`profiles` must name at least one profile".into()));
        }
        let expr = |v: &toml::Value, what: &str| Expr::from_toml(v, false).map_err(|m| err(format!("{what}: {m}")));
        let check = expr(&r.check, "check")?;
        let applies_when = r.applies_when.as_ref().map(|v| expr(v, "applies_when")).transpose()?;
        let error_when = r
            .error_when
            .iter()
            .map(|e| {
                Ok(ErrorWhen {
                    check: expr(&e.check, "error_when")?,
                    reason: e.reason.clone(),
                })
            })
            .collect::<Result<Vec<_>, RuleError>>()?;
        let vars: BTreeMap<String, serde_json::Value> = r
            .vars
            .iter()
            .map(|(k, v)| {
                serde_json::to_value(v)
                    .map(|j| (k.clone(), j))
                    .map_err(|e| err(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        let mut used = Vec::new();
        for (e, what) in std::iter::once((&check, "check"))
            .chain(applies_when.iter().map(|e| (e, "applies_when")))
            .chain(error_when.iter().map(|e| (&e.check, "error_when")))
        {
            e.vars(&mut used);
            if !check_paths {
                continue;
            }
            super::schema::check_expr(e, &super::schema::Shape::facts()).map_err(|(path, m)| {
                // Point at the line that names the path, not only at the rule.
                let region = text.get(start..).unwrap_or_default();
                let region = region
                    .get(..region.find("\n[[rule]]").unwrap_or(region.len()))
                    .unwrap_or(region);
                let line = ["\"", "'"]
                    .iter()
                    .find_map(|q| region.find(&format!("{q}{path}{q}")))
                    .map_or(line, |at| line_at(region, at) + line - 1);
                RuleError::Parse {
                    file: file.to_owned(),
                    line,
                    msg: format!("rule {}: {what}: {m}", r.id),
                }
            })?;
        }
        for v in used {
            if !vars.contains_key(v) {
                return Err(err(format!("variable `{v}` is used but has no default in `vars`")));
            }
        }
        for (e, what) in std::iter::once((&check, "check"))
            .chain(applies_when.iter().map(|e| (e, "applies_when")))
            .chain(error_when.iter().map(|e| (&e.check, "error_when")))
        {
            e.check_var_types(&vars).map_err(|m| err(format!("{what}: {m}")))?;
        }
        let texts = std::iter::once(("title", r.title.as_str()))
            .chain(r.not_applicable.iter().map(|t| ("not_applicable", t.as_str())))
            .chain(error_when.iter().map(|e| ("error_when reason", e.reason.as_str())));
        for (what, t) in texts {
            if let Some(v) = super::placeholders(t).into_iter().find(|v| !vars.contains_key(*v)) {
                return Err(err(format!(
                    "{what}: `{{{v}}}` names no variable of the rule (declare it in `vars`, or drop the braces)"
                )));
            }
        }
        if let Some(f) = &r.fix_file
            && (!f.starts_with('/') || f.ends_with('/'))
        {
            return Err(err(format!(
                "fix_file: {f:?} must be an absolute in-image file path (e.g. \"/etc/sysctl.d/60-cis.conf\")"
            )));
        }
        let mut translations = BTreeMap::new();
        if let Some(t) = r.zh_cn {
            if t.not_applicable.is_some() != r.not_applicable.is_some() {
                return Err(err(
                    "zh-CN: not_applicable must be translated exactly when the rule has one".to_owned(),
                ));
            }
            if t.error_when.len() != error_when.len() {
                return Err(err(format!(
                    "zh-CN: error_when has {} reasons, the rule has {}",
                    t.error_when.len(),
                    error_when.len()
                )));
            }
            let texts = std::iter::once(t.title.as_str())
                .chain(t.not_applicable.iter().map(String::as_str))
                .chain(t.error_when.iter().map(String::as_str));
            for text in texts {
                if let Some(v) = super::placeholders(text).into_iter().find(|v| !vars.contains_key(*v)) {
                    return Err(err(format!(
                        "zh-CN: `{{{v}}}` names no variable of the rule (declare it in `vars`, or drop the braces)"
                    )));
                }
            }
            translations.insert(
                "zh-CN".to_owned(),
                Translation {
                    title: t.title,
                    rationale: t.rationale,
                    remediation: t.remediation,
                    not_applicable: t.not_applicable,
                    error_when: t.error_when,
                },
            );
        }
        out.push(Rule {
            area: rule_area.to_owned(),
            id: r.id.clone(),
            title: r.title,
            severity: r.severity,
            profiles: r.profiles,
            families: r.families,
            rationale: r.rationale,
            remediation: r.remediation,
            references: r.references,
            applies_when,
            not_applicable: r.not_applicable,
            error_when,
            check,
            vars,
            origin: format!("{file}:{line}"),
            fix_file: r.fix_file,
            translations,
        });
    }
    Ok(out)
}

impl RuleSet {
    /// The rules shipped in the binary.
    pub fn embedded() -> Result<Self, RuleError> {
        let mut set = RuleSet::default();
        set.add_source(
            EMBEDDED
                .iter()
                .map(|(f, t)| ((*f).to_owned(), (*t).to_owned()))
                .collect(),
            false,
        )?;
        set.add_benchmarks(
            super::benchmark::EMBEDDED
                .iter()
                .map(|(f, t)| ((*f).to_owned(), (*t).to_owned()))
                .collect(),
            false,
        )?;
        set.check_benchmarks()?;
        Ok(set)
    }

    /// Adds the `*.toml` files of a user directory; their rules override shipped ones by id, and
    /// the benchmarks of its `benchmarks/` directory those of the same profile.
    pub fn add_dir(&mut self, dir: &std::path::Path) -> Result<(), RuleError> {
        let io = |path: &std::path::Path| {
            let path = path.display().to_string();
            move |source| RuleError::Io { path, source }
        };
        let files = crate::rootfs::host::read_toml_dir(dir).map_err(io(dir))?;
        self.add_source(files, true)?;
        let benchmarks = dir.join(super::benchmark::DIR);
        match crate::rootfs::host::read_toml_dir(&benchmarks) {
            Ok(files) => self.add_benchmarks(files, true)?,
            // No benchmarks beside these rules (or `dir` is one rule file).
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) => {}
            Err(e) => return Err(io(&benchmarks)(e)),
        }
        self.check_benchmarks()
    }

    /// Adds rule files; ids must be unique within the source, and `replace` (a user source, whose
    /// fact paths are checked) lets them override.
    /// The source's `profiles.toml` (if any) is read first: its profiles, and those declared
    /// before, are the ones its rules may name.
    pub(crate) fn add_source(&mut self, files: Vec<(String, String)>, replace: bool) -> Result<(), RuleError> {
        let is_profiles = |f: &str| std::path::Path::new(f).file_name().is_some_and(|n| n == PROFILES_FILE);
        let mut new_profiles = Vec::new();
        // The profiles taken from benchmarks are derived again once the benchmarks are in.
        self.take_derived();
        for (file, text) in files.iter().filter(|(f, _)| is_profiles(f)) {
            let d = parse_profiles(file, text)?;
            for (name, p) in d.profiles.iter().filter(|(_, p)| p.from_benchmark) {
                if let Some(r) = self.rules.values().find(|r| r.profiles.contains(name)) {
                    let (file, line) = p.origin.rsplit_once(':').unwrap_or((&p.origin, "1"));
                    return Err(RuleError::Parse {
                        file: file.to_owned(),
                        line: line.parse().unwrap_or(1),
                        msg: format!(
                            "profile {name}: `from_benchmark` takes its rules from its benchmark, but rule {} ({}) names it in `profiles`",
                            r.id, r.origin
                        ),
                    });
                }
            }
            new_profiles.extend(d.profiles.keys().cloned());
            self.declared.extend(d.profiles);
            self.renamed_vars.extend(d.renamed_vars);
        }
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (file, text) in files.into_iter().filter(|(f, _)| !is_profiles(f)) {
            // Only the shipped rules come without `replace`; their paths are checked by a test.
            for rule in parse_checked(&file, &text, replace)? {
                let line = rule.origin.rsplit(':').next().and_then(|l| l.parse().ok()).unwrap_or(1);
                if let Some(first) = seen.get(&rule.id) {
                    return Err(RuleError::DuplicateId {
                        file,
                        line,
                        id: rule.id,
                        first: first.clone(),
                    });
                }
                if let Some(p) = rule.profiles.iter().find(|p| !self.declared.contains_key(*p)) {
                    let close = super::close_matches(p, self.declared.keys().map(String::as_str));
                    let hint = match close.first() {
                        Some(c) => format!("did you mean {c:?}? "),
                        None => String::new(),
                    };
                    let known: Vec<&str> = self.declared.keys().map(String::as_str).collect();
                    return Err(RuleError::Parse {
                        file,
                        line,
                        msg: format!(
                            "rule {}: unknown profile {p:?} ({hint}declared: {}; a new profile is declared in a `{PROFILES_FILE}` beside the rule files: `[profile.{p}]` with a `title`)",
                            rule.id,
                            known.join(", ")
                        ),
                    });
                }
                if let Some(p) = rule
                    .profiles
                    .iter()
                    .find(|p| self.declared.get(*p).is_some_and(|d| d.from_benchmark))
                {
                    return Err(RuleError::Parse {
                        file,
                        line,
                        msg: format!(
                            "rule {}: profile {p} takes its rules from its benchmark (`from_benchmark` in {PROFILES_FILE}): drop it from `profiles`; the rule joins {p} when an item of {}/{p}.toml lists one of its `ssg` ids",
                            rule.id,
                            super::benchmark::DIR
                        ),
                    });
                }
                seen.insert(rule.id.clone(), rule.origin.clone());
                if !replace && self.rules.contains_key(&rule.id) {
                    return Err(RuleError::DuplicateId {
                        file,
                        line: 1,
                        id: rule.id.clone(),
                        first: rule.origin,
                    });
                }
                self.rules.insert(rule.id.clone(), rule);
            }
        }
        self.check_profile_vars(&new_profiles)
    }

    /// The variables each of `profiles` sets exist, under their current names, with the type
    /// of their defaults.
    fn check_profile_vars(&self, profiles: &[String]) -> Result<(), RuleError> {
        for name in profiles {
            let Some(p) = self.declared.get(name) else { continue };
            for (k, v) in &p.vars {
                let (file, line) = p.origin.rsplit_once(':').unwrap_or((&p.origin, "1"));
                let err = |msg: String| RuleError::Parse {
                    file: file.to_owned(),
                    line: line.parse().unwrap_or(1),
                    msg: format!("profile {name}: vars: {msg}"),
                };
                if let Some(new) = self.renamed_vars.get(k).filter(|_| !self.declares_var(k)) {
                    return Err(err(format!("{k} was renamed {new}")));
                }
                self.check_var(k, v.clone(), None).map_err(err)?;
            }
        }
        Ok(())
    }

    /// Whether a rule declares variable `name`.
    fn declares_var(&self, name: &str) -> bool {
        self.rules.values().any(|r| r.vars.contains_key(name))
    }

    /// The name variable `name` has now: its new name when it was renamed (and no rule still
    /// declares the old one), else itself.
    pub fn var_name<'a>(&'a self, name: &'a str) -> &'a str {
        match self.renamed_vars.get(name) {
            Some(new) if !self.declares_var(name) => new,
            _ => name,
        }
    }

    /// The values profile `name` gives rule variables (none for an undeclared profile).
    pub fn profile_vars(&self, name: &str) -> BTreeMap<String, serde_json::Value> {
        self.declared.get(name).map(|p| p.vars.clone()).unwrap_or_default()
    }

    /// Every profile: the declared ones, and any a rule names.
    pub fn profiles(&self) -> BTreeSet<&str> {
        self.rules
            .values()
            .flat_map(|r| r.profiles.iter().map(String::as_str))
            .chain(self.declared.keys().map(String::as_str))
            .collect()
    }

    /// Checks a value given for variable `name` (`--var`, a tailoring's `[vars]`) against the
    /// type of its default in every rule that declares it, and returns the value to use. `text`
    /// is the value as typed on the command line: for a string variable it is taken as written
    /// (`--var min_version=22.1` is the string "22.1", not a number). A value of another type
    /// would make every comparison with it false, silently: an error instead.
    ///
    /// A renamed variable's old name is taken for the new one, with a warning; [`Self::var_name`]
    /// gives the name to store the value under.
    pub fn var_value(
        &self,
        name: &str,
        value: serde_json::Value,
        text: Option<&str>,
    ) -> Result<serde_json::Value, String> {
        let new = self.var_name(name);
        if new != name {
            crate::diag::warning(&format!(
                "variable {name} is now named {new}, after its XCCDF value; the old name is deprecated"
            ));
        }
        self.check_var(new, value, text)
    }

    fn check_var(&self, name: &str, value: serde_json::Value, text: Option<&str>) -> Result<serde_json::Value, String> {
        let declared: Vec<(&str, &serde_json::Value)> = self
            .rules
            .values()
            .filter_map(|r| r.vars.get(name).map(|d| (r.id.as_str(), d)))
            .collect();
        if declared.is_empty() {
            let all: BTreeSet<&str> = self
                .rules
                .values()
                .flat_map(|r| r.vars.keys().map(String::as_str))
                .collect();
            let close = super::close_matches(name, all);
            let hint = close
                .first()
                .map_or(String::new(), |c| format!(" (did you mean {c:?}?)"));
            return Err(format!("no rule has a variable named {name:?}{hint}"));
        }
        let mut value = value;
        for (id, default) in declared {
            if let (serde_json::Value::String(_), Some(t), false) = (default, text, value.is_string()) {
                value = serde_json::Value::String(t.to_owned());
            }
            // On the command line a list of strings may be written comma-separated, as XCCDF
            // values are (`--var sshd_approved_ciphers=aes256-ctr,aes128-ctr`).
            if let (serde_json::Value::Array(d), Some(t), false) = (default, text, value.is_array())
                && d.iter().all(serde_json::Value::is_string)
            {
                value = comma_list(t).map_err(|e| format!("variable {name}: {e}"))?;
            }
            if !same_type(default, &value) {
                let list_hint = if default.is_array() && !value.is_array() {
                    " (a list is written as a TOML array: '[\"a\", \"b\"]', or on the command line comma-separated: a,b)"
                } else {
                    ""
                };
                return Err(format!(
                    "variable {name} takes {} (its default in {id} is {default}), got {value} ({}){list_hint}",
                    type_name(default),
                    type_name(&value)
                ));
            }
        }
        Ok(value)
    }

    /// The profiles that select rule `id`.
    pub fn profiles_of(&self, id: &str) -> &[String] {
        self.rules.get(id).map_or(&[], |r| r.profiles.as_slice())
    }
}

/// A comma-separated list of strings as `--var` takes it: items trimmed, the empty text the
/// empty list; an empty item (`a,,b`, a trailing comma) is refused as the typo it likely is.
fn comma_list(text: &str) -> Result<serde_json::Value, String> {
    if text.trim().is_empty() {
        return Ok(serde_json::Value::Array(Vec::new()));
    }
    let items: Vec<&str> = text.split(',').map(str::trim).collect();
    if items.iter().any(|i| i.is_empty()) {
        return Err(format!("{text:?} has an empty item between commas"));
    }
    Ok(serde_json::Value::Array(
        items
            .into_iter()
            .map(|i| serde_json::Value::String(i.to_owned()))
            .collect(),
    ))
}

/// What kind of value `v` is, for messages.
fn type_name(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(_) => "true or false".into(),
        Value::Number(n) if n.is_f64() => "a number".into(),
        Value::Number(_) => "an integer".into(),
        Value::String(_) => "a string".into(),
        Value::Array(a) => match a.first() {
            Some(x) => format!(
                "a list of {}",
                type_name(x).trim_start_matches("a ").trim_start_matches("an ")
            ),
            None => "a list".into(),
        },
        Value::Object(_) => "a table".into(),
    }
}

/// Whether `v` can stand where `default` is: the same type; an integer where a number is; for a
/// list, items of the type of the default's items (any items when the default is empty).
fn same_type(default: &serde_json::Value, v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (default, v) {
        (Value::Bool(_), Value::Bool(_))
        | (Value::String(_), Value::String(_))
        | (Value::Object(_), Value::Object(_)) => true,
        (Value::Number(d), Value::Number(n)) => d.is_f64() || !n.is_f64(),
        (Value::Array(d), Value::Array(a)) => match d.first() {
            Some(first) => a.iter().all(|x| same_type(first, x)),
            None => a.iter().all(|x| !x.is_array() && !x.is_object()),
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[rule]]
id = "ssh.permit-root-login"
title = "root cannot log in over SSH"
severity = "high"
profiles = ["cloud-image"]
rationale = "r"
remediation = "m"
check = { fact = "sshd.effective.permitrootlogin", in = ["no"] }
"#;

    #[test]
    fn a_translation_loads_beside_the_english_text_and_is_checked() {
        let with = |t: &str| format!("{GOOD}\n[rule.zh-CN]\n{t}\n");
        let rules = parse_file(
            "rules/ssh.toml",
            &with("title = \"禁止 root 通过 SSH 登录\"\nrationale = \"理由\"\nremediation = \"整改\""),
        )
        .unwrap();
        assert_eq!(rules[0].translations["zh-CN"].title, "禁止 root 通过 SSH 登录");
        // A misspelled key, a missing text, a stray not_applicable and an unknown placeholder
        // are load errors, never a silently English report.
        for bad in [
            "title = \"t\"\nrationale = \"r\"\nremedation = \"m\"",
            "title = \"t\"\nrationale = \"r\"",
            "title = \"t\"\nrationale = \"r\"\nremediation = \"m\"\nnot_applicable = \"n\"",
            "title = \"{limit}\"\nrationale = \"r\"\nremediation = \"m\"",
        ] {
            assert!(parse_file("rules/ssh.toml", &with(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn loads_a_rule_and_records_its_origin() {
        let rules = parse_file("rules/ssh.toml", GOOD).unwrap();
        assert_eq!(rules[0].origin, "rules/ssh.toml:2");
        assert_eq!(rules[0].area, "ssh");
    }

    #[test]
    fn title_placeholders_name_declared_variables_and_show_their_values() {
        let with = GOOD
            .replace("root cannot log in over SSH", "at most {max_tries} tries")
            .replace("check =", "vars = { max_tries = 4 }\ncheck =");
        let rules = parse_file("rules/ssh.toml", &with).unwrap();
        assert_eq!(rules[0].title_with_defaults(), "at most 4 tries");
        let mut vars = rules[0].vars.clone();
        vars.insert("max_tries".into(), serde_json::json!(6));
        assert_eq!(crate::rules::fill(&rules[0].title, &vars), "at most 6 tries");
        // A placeholder naming no variable is refused; other braces are text.
        let bad = GOOD.replace("root cannot log in over SSH", "at most {max_tries} tries");
        let e = parse_file("rules/ssh.toml", &bad).unwrap_err().to_string();
        assert!(e.contains("`{max_tries}` names no variable"), "{e}");
        let text = GOOD.replace("root cannot log in over SSH", "a {Literal} brace and { spaced }");
        assert!(parse_file("rules/ssh.toml", &text).is_ok());
        let rel = GOOD.replace("check =", "fix_file = \"etc/x\"\ncheck =");
        assert!(
            parse_file("rules/ssh.toml", &rel)
                .unwrap_err()
                .to_string()
                .contains("fix_file")
        );
    }

    #[test]
    fn errors_point_at_the_line() {
        let bad = GOOD.replace("severity = \"high\"", "severity = \"urgent\"");
        let e = parse_file("rules/ssh.toml", &bad).unwrap_err().to_string();
        assert!(e.starts_with("rules/ssh.toml:5:"), "{e}");
        let bad = GOOD.replace("title =", "titel =");
        assert!(
            parse_file("rules/ssh.toml", &bad)
                .unwrap_err()
                .to_string()
                .contains("titel")
        );
        let e = parse_file("rules/kernel.toml", GOOD).unwrap_err().to_string();
        assert!(e.contains("must start with `kernel.`"), "{e}");
        let bad = GOOD.replace("sshd.effective", "sshdd.effective");
        let e = parse_file("rules/ssh.toml", &bad).unwrap_err().to_string();
        assert!(e.contains("unknown fact `sshdd`"), "{e}");
        let bad = GOOD.replace(r#"in = ["no"]"#, r#"eq = { var = "x" }"#);
        assert!(
            parse_file("rules/ssh.toml", &bad)
                .unwrap_err()
                .to_string()
                .contains("variable `x`")
        );
    }

    const DECLARED: &str = "[profile.cloud-image]\ntitle = \"t\"\n";

    #[test]
    fn duplicate_ids_are_rejected() {
        let mut set = RuleSet::default();
        let two = format!("{GOOD}\n{GOOD}");
        let files = vec![
            ("rules/profiles.toml".into(), DECLARED.into()),
            ("rules/ssh.toml".into(), two),
        ];
        let e = set.add_source(files, false).unwrap_err();
        assert!(matches!(e, RuleError::DuplicateId { .. }), "{e}");
    }

    #[test]
    fn variable_values_must_have_the_type_of_the_default() {
        let mut set = RuleSet::default();
        let text = GOOD.replace(
            r#"in = ["no"] }"#,
            "in = { var = \"allowed\" } }\nerror_when = [{ check = { var = \"days\", lt = 0 }, reason = \"r\" }, { check = { var = \"v\", eq = \"x\" }, reason = \"r\" }]\nvars = { allowed = [\"no\"], days = 7, v = \"22.1\" }",
        );
        set.add_source(
            vec![("u/profiles.toml".into(), DECLARED.into()), ("u/ssh.toml".into(), text)],
            true,
        )
        .unwrap();
        use serde_json::json;
        assert_eq!(set.var_value("days", json!(3), Some("3")), Ok(json!(3)));
        for (v, t) in [
            (json!("7d"), "7d"),
            (json!("abc"), "abc"),
            (json!(1.5), "1.5"),
            (json!(true), "true"),
        ] {
            let e = set.var_value("days", v, Some(t)).unwrap_err();
            assert!(
                e.starts_with("variable days takes an integer (its default in ssh.permit-root-login is 7), got"),
                "{e}"
            );
        }
        assert_eq!(set.var_value("v", json!(22.1), Some("22.1")), Ok(json!("22.1")));
        assert_eq!(set.var_value("allowed", json!(["a"]), None), Ok(json!(["a"])));
        // A string where a list is needed is refused in a TOML file (no text), and read as a
        // comma-separated list on the command line.
        let e = set.var_value("allowed", json!("a"), None).unwrap_err();
        assert!(e.contains("takes a list of string") && e.contains("TOML array"), "{e}");
        assert!(set.var_value("allowed", json!([1]), None).is_err());
        let e = set.var_value("dayz", json!(1), None).unwrap_err();
        assert!(e.contains("did you mean \"days\""), "{e}");
    }

    /// `--var NAME=a,b,c` for a list of strings: generated lists (seeded) come back item for
    /// item, however they are spaced; empty items are refused; other list types keep TOML.
    #[test]
    fn a_list_variable_takes_comma_separated_text_on_the_command_line() {
        use serde_json::json;
        let mut set = RuleSet::default();
        let text = GOOD.replace(
            r#"in = ["no"] }"#,
            "in = { var = \"allowed\" } }\nerror_when = [{ check = { fact = \"sshd.effective.maxauthtries\", in = { var = \"nums\" } }, reason = \"r\" }]\nvars = { allowed = [\"no\"], nums = [1, 2] }",
        );
        set.add_source(
            vec![("u/profiles.toml".into(), DECLARED.into()), ("u/ssh.toml".into(), text)],
            true,
        )
        .unwrap();
        let mut seed: u64 = 0x11575;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let alphabet = [
            "aes128-ctr",
            "hmac-sha2-512-etm@openssh.com",
            "curve25519-sha256",
            "x",
            "3des-cbc",
        ];
        for _ in 0..200 {
            let items: Vec<String> = (0..1 + next(6))
                .map(|_| alphabet[next(alphabet.len() as u64) as usize].to_owned())
                .collect();
            let sep = [",", ", ", " ,", ",  "][next(4) as usize];
            let typed = items.join(sep);
            // What parse_var hands over: the text, read as a string since it is no TOML value.
            let got = set.var_value("allowed", json!(typed.clone()), Some(&typed)).unwrap();
            assert_eq!(got, json!(items), "{typed}");
        }
        assert_eq!(set.var_value("allowed", json!(""), Some("")), Ok(json!([])));
        for bad in ["a,,b", "a,", ",a"] {
            let e = set.var_value("allowed", json!(bad), Some(bad)).unwrap_err();
            assert!(e.contains("empty item"), "{bad}: {e}");
        }
        // A list of numbers is written as TOML on the command line too.
        assert!(set.var_value("nums", json!("1,2"), Some("1,2")).is_err());
        assert_eq!(set.var_value("nums", json!([3]), Some("[3]")), Ok(json!([3])));
    }

    /// A variable used where its type cannot be compared is a load error naming both.
    #[test]
    fn a_variable_of_the_wrong_type_for_its_operator_does_not_load() {
        let load = |check: &str, vars: &str| {
            let text = GOOD.replace(
                r#"check = { fact = "sshd.effective.permitrootlogin", in = ["no"] }"#,
                &format!("check = {check}\nvars = {vars}"),
            );
            parse_file("rules/ssh.toml", &text)
        };
        for (check, vars, want) in [
            (
                r#"{ fact = "sshd.effective.ciphers", eq = { var = "l" } }"#,
                r#"{ l = ["a"] }"#,
                "`eq` needs one value",
            ),
            (
                r#"{ fact = "sshd.effective.maxauthtries", le = { var = "l" } }"#,
                r#"{ l = ["a"] }"#,
                "`le` needs a number",
            ),
            (
                r#"{ fact = "sshd.effective.maxauthtries", le = { var = "l" } }"#,
                r#"{ l = "four" }"#,
                "`le` needs a number",
            ),
            (
                r#"{ fact = "sshd.effective.ciphers", split = ",", subset_of = { var = "l" } }"#,
                r#"{ l = "aes128-ctr,aes256-ctr" }"#,
                "`subset_of` needs a list",
            ),
            (
                r#"{ fact = "sshd.effective.ciphers", split = ",", disjoint_from = { var = "l" } }"#,
                "{ l = 3 }",
                "`disjoint_from` needs a list",
            ),
            (
                r#"{ fact = "sshd.effective.ciphers", in = { var = "l" } }"#,
                r#"{ l = "a" }"#,
                "`in` needs a list",
            ),
            (
                r#"{ fact = "access.login_defs.umask_dir_mode", within_umask = { var = "l" } }"#,
                r#"{ l = "u=rwx" }"#,
                "octal umask",
            ),
            (
                r#"{ fact = "sshd.effective.maxstartups", split = ":", part = 0, le = { var = "l", split = ":", part = 2 } }"#,
                r#"{ l = "10:30" }"#,
                "no field 2",
            ),
            (
                r#"{ fact = "sshd.effective.rekeylimit", split = " ", part = 0, unit = "bytes", le = { var = "l" } }"#,
                r#"{ l = "1T" }"#,
                "size in bytes",
            ),
            (r#"{ var = "l", eq = "a" }"#, r#"{ l = ["a"] }"#, "cannot test it"),
            (
                r#"{ var = "l", subset_of = ["a"] }"#,
                r#"{ l = "a" }"#,
                "cannot test it",
            ),
        ] {
            let e = load(check, vars).unwrap_err().to_string();
            assert!(e.contains(want), "{check} with {vars}: {e}");
        }
        // The same shapes with the right types load.
        for (check, vars) in [
            (
                r#"{ fact = "sshd.effective.ciphers", split = ",", subset_of = { var = "l" } }"#,
                r#"{ l = ["aes128-ctr"] }"#,
            ),
            (
                r#"{ fact = "sshd.effective.maxstartups", split = ":", part = 1, ge = { var = "l", split = ":", part = 1 } }"#,
                r#"{ l = "10:30:60" }"#,
            ),
            (
                r#"{ fact = "sshd.effective.rekeylimit", split = " ", part = 1, unit = "seconds", le = { var = "l" } }"#,
                r#"{ l = "1h" }"#,
            ),
            (
                r#"{ fact = "access.login_defs.umask_dir_mode", within_umask = { var = "l" } }"#,
                r#"{ l = "027" }"#,
            ),
            (r#"{ var = "l", subset_of = ["a", "b"] }"#, r#"{ l = ["a"] }"#),
        ] {
            assert!(
                load(check, vars).is_ok(),
                "{check} with {vars}: {:?}",
                load(check, vars).err()
            );
        }
    }

    #[test]
    fn a_profile_must_be_declared() {
        let mut set = RuleSet::default();
        let files = vec![
            ("u/ssh.toml".into(), GOOD.into()),
            ("u/profiles.toml".into(), DECLARED.into()),
        ];
        set.add_source(files, true).unwrap();
        assert_eq!(set.declared["cloud-image"].origin, "u/profiles.toml:1");
        let typo = GOOD.replace("cloud-image", "cloud-imgae");
        let e = set
            .add_source(vec![("u/ssh.toml".into(), typo)], true)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("u/ssh.toml:2: rule ssh.permit-root-login: unknown profile \"cloud-imgae\" (did you mean \"cloud-image\"?"), "{e}");
        let e = parse_profiles("p.toml", "[profile.x]\ntitel = \"t\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.toml:2:") && e.contains("titel"), "{e}");
    }

    #[test]
    fn unknown_fact_paths_are_rejected_at_their_line() {
        let bad = GOOD.replace("permitrootlogin", "permitrootlgin");
        let e = parse_file("rules/ssh.toml", &bad).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "rules/ssh.toml:9: rule ssh.permit-root-login: check: unknown fact `sshd.effective.permitrootlgin`"
            ),
            "{e}"
        );
        assert!(e.contains("did you mean `permitrootlogin`?"), "{e}");
        let q = GOOD.replace(
            r#"check = { fact = "sshd.effective.permitrootlogin", in = ["no"] }"#,
            "applies_when = { fact = 'os.id', eq = 'debian' }\ncheck = { fact = 'packages.installed', none = { field = 'nmae', eq = 'telnetd' } }",
        );
        assert!(parse_file("rules/ssh.toml", &q.replace("nmae", "name")).is_ok());
        let e = parse_file("rules/ssh.toml", &q).unwrap_err().to_string();
        assert!(e.contains("unknown fact `packages.installed[*].nmae`"), "{e}");
    }
}
