//! Command-line interface: clap definitions (validation only), turned into a run.
//!
//! Exit codes (docs/output.md): 0 = no failing finding at or above `--fail-on`; 1 = failing
//! findings; 2 = the scan could not be run or trusted (bad arguments, an invalid rule file, a rule
//! that ended in error, or a `--report` file that could not be written). 2 takes precedence over 1: a scan with an error finding cannot vouch for the
//! rest, and a pipeline must not mistake it for an ordinary failure.

use std::io::{IsTerminal, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::eval::{self, Selection, Status};
use crate::facts::{self, Context};
use crate::report::{self, Format, Style};
use std::collections::BTreeSet;

use crate::rootfs::{RootFs, host};
use crate::rules::{RuleSet, Severity};
use crate::tailoring::Tailoring;
use crate::waivers;

/// Exit code: nothing failed at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: failing findings.
pub const EXIT_FAIL: u8 = 1;
/// Exit code: the scan could not be run or trusted.
pub const EXIT_ERROR: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "imagegate",
    version = version_line(),
    about = "Pre-deployment compliance checks for Linux server images"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Scan this machine (or an image root) and report findings.
    Scan(Box<ScanArgs>),
    /// Work with tailoring files: import an XCCDF 1.2 tailoring file (OpenSCAP, SCAP Workbench,
    /// usg) as imagegate's tailoring TOML.
    Tailoring {
        #[command(subcommand)]
        cmd: TailoringCmd,
    },
    /// Print every collected fact as JSON, each with its source file and line.
    Facts {
        #[command(flatten)]
        target: TargetArgs,
        /// Only these fact groups (repeatable; e.g. --group sshd --group packages). Expensive
        /// groups (the filesystem walk, package file digests) are collected only when asked for.
        #[arg(long = "group", value_name = "GROUP")]
        groups: Vec<String>,
    },
    /// List, explain or validate rules.
    Rules {
        #[command(subcommand)]
        cmd: RulesCmd,
    },
    /// Validate a waivers file against the rules (exit 1 if a waiver has expired).
    Waivers {
        #[command(subcommand)]
        cmd: WaiversCmd,
    },
    /// Print the host path of every file a scan reads (what `make bench` reads as its floor).
    Inputs(TargetArgs),
    /// Print the effective sshd configuration in `sshd -T`'s own format.
    SshdConfig {
        #[command(flatten)]
        target: TargetArgs,
        /// Connection parameters, as `sshd -T -C` takes them: user=alice,host=h,addr=10.0.0.1
        #[arg(long = "match", value_name = "SPEC")]
        conn: Option<String>,
    },
    /// Work with JSON reports: merge many hosts' reports into one fleet summary.
    Report {
        #[command(subcommand)]
        cmd: ReportCmd,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    #[command(
        after_help = "Install, e.g.:\n  imagegate completions bash > /etc/bash_completion.d/imagegate\n  imagegate completions zsh > \"${fpath[1]}/_imagegate\"\n  imagegate completions fish > ~/.config/fish/completions/imagegate.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout: `imagegate man | man -l -`.
    Man {
        /// A subcommand's page instead of the main one (e.g. `scan`).
        subcommand: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum TailoringCmd {
    /// Write the tailoring TOML of an XCCDF 1.2 tailoring file on stdout; each id or value that
    /// cannot be mapped is reported on stderr with its line, and the exit status is then 1.
    Import {
        /// The XCCDF tailoring file (e.g. ssg-tailoring.xml).
        #[arg(value_name = "FILE.xml")]
        file: PathBuf,
        #[command(flatten)]
        rules: RuleArgs,
    },
}

/// Output formats of `report merge`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum MergeFormat {
    /// A table of hosts and of the rules that fail or end in error, by how many hosts.
    Text,
    /// The `imagegate.merge/v1` document (docs/output.md).
    Json,
    /// One self-contained HTML page.
    Html,
}

#[derive(Subcommand, Debug)]
enum ReportCmd {
    /// Merge JSON reports (`scan --format json`, one per host) into one summary: which rules
    /// fail on how many hosts, and which hosts.
    Merge {
        /// The JSON reports (schema imagegate.report/v1).
        #[arg(required = true, value_name = "REPORT.json")]
        files: Vec<PathBuf>,
        /// Output format on stdout.
        #[arg(long, value_enum, default_value = "text")]
        format: MergeFormat,
    },
}

#[derive(Args, Debug, Clone)]
struct TargetArgs {
    /// Scan this directory as if it were `/` (an unpacked or mounted image), without booting it.
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// Treat the root's /proc and /sys as the running system's (implied when the root is `/`;
    /// for captured snapshots and tests).
    #[arg(long)]
    assume_live: bool,
    /// The date to evaluate ages and end-of-life against (YYYY-MM-DD), for reproducible runs.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    as_of: Option<jiff::civil::Date>,
}

#[derive(Args, Debug, Clone)]
struct RuleArgs {
    /// Add the rule files of DIR (or one file); a rule with an existing id replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    rules: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
struct ScanArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    rules: RuleArgs,
    /// The rule profile to evaluate.
    #[arg(long, default_value = crate::config::DEFAULT_PROFILE)]
    profile: String,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Also write the report in FORMAT to the file PATH (text, json, junit, sarif, html), e.g.
    /// `--report junit=out/imagegate.xml`; repeatable. A file that cannot be written exits 2.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report_spec)]
    reports: Vec<(Format, PathBuf)>,
    /// Exit 1 only for failing findings of at least this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "info")]
    fail_on: Severity,
    /// Set a rule variable (e.g. --var max_index_age_days=14); repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Evaluate only these rule ids; repeatable.
    #[arg(long, value_name = "ID")]
    only: Vec<String>,
    /// Leave out these rule ids; repeatable.
    #[arg(long, value_name = "ID")]
    skip: Vec<String>,
    /// Tailoring file: variables, disabled rules, severity overrides, composed profiles.
    #[arg(long, value_name = "FILE")]
    tailoring: Option<PathBuf>,
    /// Waivers file: accepted failures with reason, owner and expiry.
    #[arg(long, value_name = "FILE")]
    waivers: Option<PathBuf>,
    /// Warn about waivers expiring within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = waivers::DEFAULT_WARN_DAYS)]
    waiver_warn_days: i64,
    /// Colour in the text report.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// List only findings of these statuses in the text report (fail, error, waived, pass,
    /// not-applicable; comma-separated); the summary line still counts every finding.
    #[arg(long, value_name = "STATUS,…", value_delimiter = ',', value_parser = parse_status)]
    show: Vec<eval::Status>,
    /// The text report lists failing and error findings only (`--show fail,error`).
    #[arg(long, short = 'q', conflicts_with = "show")]
    quiet: bool,
    /// Prefix every in-image path in SARIF with this repository-relative directory (e.g.
    /// `rootfs/` when the root is unpacked at rootfs/ in the repository), so code scanning finds
    /// the files.
    #[arg(long, value_name = "DIR", value_parser = report::sarif::uri_prefix)]
    sarif_uri_prefix: Option<String>,
    /// The language of the report's text: en or zh-CN (Simplified Chinese). Without it, a zh_CN
    /// locale (LC_ALL, LC_MESSAGES, LANG) chooses zh-CN when stdout is a terminal; English
    /// otherwise. Ids, fact paths and JSON field names stay English.
    #[arg(long, value_name = "LANG", value_parser = crate::i18n::parse_arg)]
    lang: Option<crate::i18n::Lang>,
}

fn parse_status(s: &str) -> Result<eval::Status, String> {
    eval::Status::ALL
        .into_iter()
        .find(|st| st.as_str() == s.trim())
        .ok_or_else(|| {
            let names: Vec<&str> = eval::Status::ALL.iter().map(|st| st.as_str()).collect();
            format!("unknown status {s:?} (one of: {})", names.join(", "))
        })
}

#[derive(Subcommand, Debug)]
enum WaiversCmd {
    /// Check every waiver: known rule, reason, owner, a date; report expired and expiring ones.
    Check {
        /// The waivers file.
        file: PathBuf,
        #[command(flatten)]
        rules: RuleArgs,
        /// "Today" (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        as_of: Option<jiff::civil::Date>,
    },
}

/// Output formats of `rules coverage`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum CoverageFormat {
    /// One block per item, then the counts.
    Text,
    /// The `imagegate.coverage/v1` document.
    Json,
}

#[derive(Subcommand, Debug)]
enum RulesCmd {
    /// id, severity, title and profiles of every rule, and the count per profile.
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Only the rules of this profile.
        #[arg(long)]
        profile: Option<String>,
    },
    /// Rationale, remediation and references of one rule.
    Explain {
        /// The rule id.
        id: String,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// A profile's benchmark, item by item: the rules that cover each, the items a scan cannot
    /// decide (manual or runtime-only) and why, and the gaps.
    Coverage {
        /// The profile (one with a benchmark file, e.g. cis-l1-server).
        profile: String,
        #[command(flatten)]
        rules: RuleArgs,
        /// Output format on stdout.
        #[arg(long, value_enum, default_value = "text")]
        format: CoverageFormat,
    },
    /// Load rule files and report every problem (exit 2 on any).
    Validate {
        /// Rule files or directories (default: the shipped rules); `--rules DIR`, as `scan`
        /// takes it, is the same.
        paths: Vec<PathBuf>,
        #[command(flatten)]
        rules: RuleArgs,
    },
}

/// Parses arguments and runs; errors are printed to stderr by `main` and exit 2.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = match cli.cmd {
        Cmd::Scan(args) => scan(*args, &mut out)?,
        Cmd::Facts { target, groups } => {
            let (fs, mut ctx) = open_target(&target)?;
            for g in &groups {
                if !facts::GROUPS.contains(&g.as_str()) {
                    bail!("unknown fact group {g:?} (known: {})", facts::GROUPS.join(", "));
                }
            }
            if !groups.is_empty() {
                ctx.wanted = Some(groups.iter().cloned().collect());
            }
            let mut json = serde_json::to_value(facts::collect(&fs, &ctx))?;
            if let Some(obj) = json.as_object_mut().filter(|_| !groups.is_empty()) {
                obj.retain(|k, _| k == "target" || groups.contains(k));
            }
            // File names that are not UTF-8 show as `\xNN` (crate::names), as in the reports.
            let mut w = crate::names::EscapeWriter::new(&mut out, crate::names::Target::Json);
            serde_json::to_writer_pretty(&mut w, &json)?;
            writeln!(w)?;
            w.flush()?;
            EXIT_OK
        }
        Cmd::Rules { cmd } => rules_cmd(cmd, &mut out)?,
        Cmd::Tailoring {
            cmd: TailoringCmd::Import { file, rules },
        } => match crate::xccdf::import_command(&file, &load_rules(&rules)?, &mut out)? {
            true => EXIT_OK,
            false => EXIT_FAIL,
        },
        Cmd::Waivers {
            cmd: WaiversCmd::Check { file, rules, as_of },
        } => {
            let rules = load_rules(&rules)?;
            let text =
                host::read_text(&file).with_context(|| format!("cannot read waivers file {}", file.display()))?;
            let list = waivers::parse(&file.display().to_string(), &text, &rules)?;
            let mut code = EXIT_OK;
            for c in waivers::check(&list, as_of.unwrap_or_else(today)) {
                let state = match c.state {
                    waivers::State::Expired => {
                        code = EXIT_FAIL;
                        "EXPIRED".to_owned()
                    }
                    waivers::State::Expiring(days) => format!("expires in {days} days"),
                    waivers::State::Valid => "ok".to_owned(),
                };
                let (w, until) = (c.waiver, c.until);
                writeln!(
                    out,
                    "{:<44} until {until}  {state:<18} {} ({})",
                    w.rule, w.owner, w.origin
                )?;
            }
            writeln!(out, "{} waivers", list.len())?;
            code
        }
        Cmd::Inputs(target) => {
            let (fs, mut ctx) = open_target(&target)?;
            // What a default-profile scan reads: expensive groups it does not need stay out.
            let rules = RuleSet::embedded().context("the shipped rules do not load (a build problem)")?;
            let ids = crate::config::default_profile_ids(&rules);
            let default: Vec<_> = rules.rules.values().filter(|r| ids.contains(&r.id)).collect();
            ctx.wanted = Some(crate::rules::wanted_groups(&default));
            facts::collect(&fs, &ctx);
            // Host paths with their exact bytes, as find(1) prints them: a name that is not UTF-8
            // must still open when fed to another tool.
            for p in fs.files_read() {
                let rel = crate::names::bytes(p.trim_start_matches('/')).into_owned();
                let host = fs.host_root().join(std::ffi::OsString::from_vec(rel));
                out.write_all(host.as_os_str().as_bytes())?;
                writeln!(out)?;
            }
            EXIT_OK
        }
        Cmd::SshdConfig { target, conn } => {
            let (fs, ctx) = open_target(&target)?;
            let conn = conn
                .map(|c| facts::sshd::parse_conn_spec(&c))
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let packages: facts::Collected<_> = facts::packages::collect(&fs, &ctx).into();
            let version = facts::sshd::openssh_version(packages.ok());
            match facts::sshd::render_sshd_t(&fs, version.as_deref(), conn.as_ref()) {
                Ok(text) => {
                    // The bytes sshd -T would print, for values that are not UTF-8 too.
                    out.write_all(&crate::names::bytes(&text))?;
                    EXIT_OK
                }
                Err(e) => {
                    out.flush()?;
                    crate::diag::error(&format!("{e}"));
                    EXIT_ERROR
                }
            }
        }
        Cmd::Report {
            cmd: ReportCmd::Merge { files, format },
        } => report_merge(&files, format, &mut out)?,
        Cmd::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "imagegate", &mut out);
            EXIT_OK
        }
        Cmd::Man { subcommand } => man_page(subcommand.as_deref(), &mut out)?,
    };
    // The command has finished: a reader that went away early does not change its exit code.
    if let Err(e) = out.flush()
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    Ok(ExitCode::from(code))
}

/// `imagegate --version`: the crate version, the rule pack (a hash of the embedded rule files
/// and their rule count) and the date the lifecycle table was last reviewed, so a report can be
/// traced to the exact rules and end-of-life data that produced it.
fn version_line() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| {
        let (hash, rules) = rule_pack();
        let as_of = facts::lifecycle::table_as_of().unwrap_or_else(|| "unknown".into());
        format!(
            "{} (rule pack {hash:016x}, {rules} rules; lifecycle table as of {as_of})",
            env!("CARGO_PKG_VERSION")
        )
    })
}

/// FNV-1a (64-bit) over the embedded rule files' paths and contents, and the number of
/// `[[rule]]` tables in them: cheap enough to compute on every start, stable across builds of
/// the same rules (no randomised hasher).
fn rule_pack() -> (u64, usize) {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut count = 0;
    for (path, text) in crate::rules::load::EMBEDDED {
        for b in path.bytes().chain([0]).chain(text.bytes()).chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        count += text.lines().filter(|l| l.trim() == "[[rule]]").count();
    }
    (h, count)
}

/// `imagegate man [SUBCOMMAND]`: the roff page generated from these clap definitions.
fn man_page(sub: Option<&str>, out: &mut dyn Write) -> anyhow::Result<u8> {
    let cmd = Cli::command();
    let page = match sub {
        None => cmd,
        Some(name) => {
            let Some(found) = cmd.find_subcommand(name) else {
                let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
                bail!("no subcommand {name:?} (available: {})", names.join(", "));
            };
            // The page's title and synopsis name the full command, as `man imagegate-scan` would.
            // Leaked: clap names are `&'static str` without its `string` feature, and this is a
            // one-shot command.
            let full: &'static str = format!("imagegate-{name}").leak();
            found
                .clone()
                .name(full)
                .bin_name(format!("imagegate {name}"))
                .display_name(full)
        }
    };
    // The page footer carries the plain version; `--version` has the rule pack details.
    let with_status = sub.is_none_or(|s| s == "scan");
    let has_args = page.get_arguments().any(|a| !a.is_hide_set());
    let has_subs = page.get_subcommands().any(|c| !c.is_hide_set());
    let page = page.version(env!("CARGO_PKG_VERSION"));
    let man = clap_mangen::Man::new(page.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if has_args {
        man.render_options_section(out)?;
    }
    if has_subs {
        man.render_subcommands_section(out)?;
    }
    if page.get_after_long_help().is_some() || page.get_after_help().is_some() {
        man.render_extra_section(out)?;
    }
    if with_status {
        // What a pipeline branches on, and what `--profile` takes: the same table as README.md.
        out.write_all(MAN_EXIT_STATUS.as_bytes())?;
        let rules = RuleSet::embedded().context("the shipped rules do not load (a build problem)")?;
        writeln!(out, ".SH PROFILES")?;
        for (name, p) in &rules.declared {
            let n = rules.rules.values().filter(|r| r.profiles.contains(name)).count();
            writeln!(
                out,
                ".TP\n\\fB{}\\fR ({n} rules)\n{}",
                roff_text(name),
                roff_text(&p.title)
            )?;
        }
        writeln!(
            out,
            ".PP\nThe default is \\fBcloud\\-image\\fR. \\fBimagegate rules list \\-\\-profile\\fR \\fINAME\\fR lists a profile's rules; a tailoring file composes new ones."
        )?;
    }
    man.render_version_section(out)?;
    Ok(EXIT_OK)
}

/// The EXIT STATUS section of the man page (docs/output.md, "Exit codes").
const MAN_EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
No failing finding at or above \fB\-\-fail\-on\fR (default \fBinfo\fR: any failure counts); a waived failure does not count.
.TP
\fB1\fR
Failing findings.
.TP
\fB2\fR
The scan could not be run or trusted: bad arguments, an invalid rule, tailoring or waivers file, a rule that ended in error (a fact it needs could not be read), or a \fB\-\-report\fR file that could not be written.
.PP
2 takes precedence over 1, and errors are never filtered by \fB\-\-fail\-on\fR.
"#;

/// Text for a roff line: backslashes and dashes escaped, a leading dot or quote neutralised.
fn roff_text(s: &str) -> String {
    let t = s.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with(['.', '\'']) {
        format!("\\&{t}")
    } else {
        t
    }
}

/// `imagegate report merge`: read every report (host files, bounded like other user files),
/// merge, render. Exit 0 when the summary is written, whatever it says: the scans themselves
/// are the gates; a report that cannot be read or is not `imagegate.report/v1` exits 2.
fn report_merge(files: &[PathBuf], format: MergeFormat, out: &mut dyn Write) -> anyhow::Result<u8> {
    let mut inputs = Vec::with_capacity(files.len());
    for f in files {
        let text = host::read_text(f).with_context(|| format!("cannot read report {}", f.display()))?;
        inputs.push((f.display().to_string(), text));
    }
    let merged = report::merge::merge(&inputs)?;
    match format {
        MergeFormat::Text => report::merge::render_text(&merged, out)?,
        MergeFormat::Json => report::merge::render_json(&merged, out)?,
        MergeFormat::Html => report::merge::render_html(&merged, out)?,
    }
    Ok(EXIT_OK)
}

fn open_target(t: &TargetArgs) -> anyhow::Result<(RootFs, Context)> {
    // The error already names its cause; `{e}` alone keeps anyhow from printing it twice.
    let fs = RootFs::open(&t.root).map_err(|e| {
        anyhow::anyhow!("{e} (--root takes a directory: an unpacked or mounted image root, or / for this machine)")
    })?;
    let live = t.assume_live || t.root == std::path::Path::new("/");
    let as_of = t.as_of.unwrap_or_else(today);
    Ok((
        fs,
        Context {
            live,
            as_of,
            wanted: None,
        },
    ))
}

/// Today's date in UTC.
fn today() -> jiff::civil::Date {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

fn load_rules(args: &RuleArgs) -> anyhow::Result<RuleSet> {
    let mut set = RuleSet::embedded().context("the shipped rules do not load (a build problem)")?;
    for dir in &args.rules {
        add_rules(&mut set, dir)?;
    }
    Ok(set)
}

/// Adds a `--rules` directory (or file). The error names its cause once: `{e}` alone keeps
/// anyhow from printing the I/O error again as the error's source.
fn add_rules(set: &mut RuleSet, dir: &std::path::Path) -> anyhow::Result<()> {
    set.add_dir(dir).map_err(|e| match e {
        crate::rules::load::RuleError::Io { .. } => {
            anyhow::anyhow!("{e} (--rules takes a directory of rule files, or one rule file)")
        }
        e => anyhow::anyhow!("{e}"),
    })
}

/// A `--as-of` date: exactly `YYYY-MM-DD`. A datetime is refused rather than cut to its date,
/// which would silently evaluate a different day than meant in another time zone.
fn parse_date(s: &str) -> Result<jiff::civil::Date, String> {
    let shape = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shape {
        return Err(format!("expected a date as YYYY-MM-DD (e.g. 2026-11-01), got {s:?}"));
    }
    s.parse().map_err(|e| format!("{s:?} is not a date: {e}"))
}

/// Writes a rule's predicate for `rules explain`, one test per line, combinators indented.
fn write_expr(out: &mut dyn Write, e: &crate::rules::Expr, depth: usize) -> std::io::Result<()> {
    use crate::rules::Expr;
    let pad = "  ".repeat(depth);
    let at = |p: &Option<crate::rules::FactPath>| p.as_ref().map_or_else(|| "(the item)".to_owned(), |p| p.to_string());
    match e {
        Expr::All(v) | Expr::Any(v) => {
            let word = if matches!(e, Expr::All(_)) { "all of" } else { "any of" };
            writeln!(out, "{pad}{word}:")?;
            for x in v {
                write_expr(out, x, depth + 1)?;
            }
            Ok(())
        }
        Expr::Not(inner) => {
            writeln!(out, "{pad}not:")?;
            write_expr(out, inner, depth + 1)
        }
        Expr::Test { path, op } => writeln!(out, "{pad}{} {}", at(path), op_text(op)),
        Expr::VarTest { name, op } => writeln!(out, "{pad}variable {name} {}", op_text(op)),
        Expr::Quant { path, quant, inner } => {
            let q = match quant {
                crate::rules::expr::Quant::None => "no item",
                crate::rules::expr::Quant::Every => "every item",
                crate::rules::expr::Quant::Some => "some item",
            };
            writeln!(out, "{pad}{} — {q}:", at(path))?;
            write_expr(out, inner, depth + 1)
        }
    }
}

/// An operator and its operand, as the rule file writes them (`mode_max "0600"`).
fn op_text(op: &crate::rules::expr::Op) -> String {
    use crate::rules::expr::{Op, Operand, Scheme};
    let v = |o: &Operand| match o {
        Operand::Lit(v) => v.to_string(),
        Operand::Var(n) => format!("{{ var = {n:?} }}"),
        Operand::VarPart { name, split, part } => format!("{{ var = {name:?}, split = {split:?}, part = {part} }}"),
    };
    match op {
        Op::Eq(o) => format!("eq {}", v(o)),
        Op::Ne(o) => format!("ne {}", v(o)),
        Op::In(o) => format!("in {}", v(o)),
        Op::NotIn(o) => format!("not_in {}", v(o)),
        Op::Cmp(ord, or_eq, o) => {
            let name = match (ord, or_eq) {
                (std::cmp::Ordering::Less, false) => "lt",
                (std::cmp::Ordering::Less, true) => "le",
                (_, false) => "gt",
                (_, true) => "ge",
            };
            format!("{name} {}", v(o))
        }
        Op::Version(ge, scheme, o) => {
            let scheme = match scheme {
                Scheme::Dpkg => "dpkg",
                Scheme::Rpm => "rpm",
            };
            format!(
                "{} {} (scheme {scheme})",
                if *ge { "version_ge" } else { "version_lt" },
                v(o)
            )
        }
        Op::Matches(yes, re) => format!("{} {:?}", if *yes { "matches" } else { "not_matches" }, re.as_str()),
        Op::Contains(yes, o) => format!("{} {}", if *yes { "contains" } else { "not_contains" }, v(o)),
        Op::Empty(b) => format!("empty {b}"),
        Op::Present(b) => format!("present {b}"),
        Op::ModeMax(m) => format!("mode_max \"{m:04o}\""),
        Op::SetInFile(b) => format!("set_in_file {b}"),
        Op::Subset(yes, o) => format!("{} {}", if *yes { "subset_of" } else { "disjoint_from" }, v(o)),
        Op::WithinUmask(o) => format!("within_umask {}", v(o)),
        Op::Pick(p, inner) => {
            let mut how = Vec::new();
            how.extend(p.split.as_ref().map(|s| format!("split {s:?}")));
            how.extend(p.part.map(|i| format!("part {i}")));
            how.extend(p.unit.map(|u| {
                format!(
                    "unit {}",
                    if u == crate::rules::expr::Unit::Bytes {
                        "bytes"
                    } else {
                        "seconds"
                    }
                )
            }));
            format!("({}) {}", how.join(", "), op_text(inner))
        }
    }
}

/// `FORMAT=PATH` of `--report`.
fn parse_report_spec(s: &str) -> Result<(Format, PathBuf), String> {
    let Some((name, path)) = s.split_once('=') else {
        return Err(format!(
            "expected FORMAT=PATH (e.g. junit=out/imagegate.xml), got {s:?}"
        ));
    };
    let format = Format::from_str(name.trim(), true).map_err(|_| {
        let names: Vec<&str> = Format::value_variants().iter().map(|f| f.name()).collect();
        format!("unknown report format {name:?} (available: {})", names.join(", "))
    })?;
    if path.is_empty() {
        return Err(format!("--report {name}= needs a file path"));
    }
    Ok((format, PathBuf::from(path)))
}

/// Writes one `--report` file through the sanctioned host writer (`rootfs::host::create`).
fn write_report(format: Format, report: &eval::Report, style: &Style, path: &std::path::Path) -> std::io::Result<()> {
    let file = crate::rootfs::host::create(path)?;
    let mut w = std::io::BufWriter::new(file);
    // Files never get ANSI colour: they are read by CI tools and browsers, not a terminal.
    let style = Style {
        color: false,
        ..style.clone()
    };
    report::render(format, report, &style, &mut w)?;
    // Flush explicitly: an error on the last write (a full disk) must not be dropped silently.
    w.flush()
}

/// The rules, the selection and the waivers a scan runs with: everything decided before the
/// target is read.
fn prepare(args: &ScanArgs) -> anyhow::Result<(RuleSet, Selection, Vec<waivers::Waiver>)> {
    let mut seen = BTreeSet::new();
    for (_, path) in &args.reports {
        if !seen.insert(path) {
            bail!("--report names {} twice", path.display());
        }
    }
    let rules = load_rules(&args.rules)?;
    let tailoring = match &args.tailoring {
        Some(path) => {
            let text =
                host::read_text(path).with_context(|| format!("cannot read tailoring file {}", path.display()))?;
            Tailoring::parse(&path.display().to_string(), &text, &rules)?
        }
        None => Tailoring::default(),
    };
    let resolved = crate::config::resolve(
        &rules,
        &tailoring,
        &crate::config::Request {
            profile: &args.profile,
            only: &args.only,
            skip: &args.skip,
            vars: &args.vars,
        },
    )?;
    for w in &resolved.warnings {
        crate::diag::warning(w);
    }
    let waivers = match &args.waivers {
        Some(path) => {
            let text = host::read_text(path).with_context(|| format!("cannot read waivers file {}", path.display()))?;
            waivers::parse(&path.display().to_string(), &text, &rules)?
        }
        None => Vec::new(),
    };
    Ok((rules, resolved.selection, waivers))
}

fn scan(args: ScanArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    let (fs, mut ctx) = open_target(&args.target)?;
    // Every scan reads the package database (the report header's facts need it): read it on a
    // second thread while the rules load.
    let (packages, prepared) = facts::side_by_side(
        "read-packages",
        || facts::Collected::from(facts::packages::collect(&fs, &ctx)),
        || prepare(&args),
    );
    let (rules, sel, waivers) = prepared?;
    ctx.wanted = Some(crate::rules::wanted_groups(&eval::select(&rules, &sel)));
    let facts = facts::collect_with(&fs, &ctx, packages);
    let mut report = eval::evaluate(&rules, &sel, &facts);
    report.elapsed = Some(started.elapsed());
    let applied = waivers::apply(&mut report, &waivers, ctx.as_of, args.waiver_warn_days);
    for w in &applied.expiring {
        crate::diag::warning(w);
    }
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let show = if args.quiet {
        report::text::Show::only(&[eval::Status::Fail, eval::Status::Error])
    } else if args.show.is_empty() {
        report::text::Show::all()
    } else {
        report::text::Show::only(&args.show)
    };
    let style = Style {
        color,
        show,
        sarif_uri_prefix: args.sarif_uri_prefix.clone(),
        lang: crate::i18n::Lang::choose(args.lang, std::io::stdout().is_terminal(), |k| std::env::var(k).ok()),
    };
    let mut code = exit_code(&report, args.fail_on);
    permission_hint(&report);
    // Report files first: a closed stdout pipe (`| head`) must not cost the pipeline its files.
    for (format, path) in &args.reports {
        if let Err(e) = write_report(*format, &report, &style, path) {
            crate::diag::error(&format!(
                "cannot write the {} report to {}: {e}",
                format.name(),
                path.display()
            ));
            code = EXIT_ERROR;
        }
    }
    // A reader that stops early (`imagegate scan | head`) does not change the verdict: the scan is
    // complete, so its exit code stands.
    match report::render(args.format, &report, &style, out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(code),
        r => r.map(|()| code).map_err(Into::into),
    }
}

/// One line on stderr when rules ended in error because files were unreadable: the findings
/// each say so, but the fix (sudo) is the same for all of them and easy to miss over SSH.
fn permission_hint(report: &eval::Report) {
    let denied = report.permission_denied();
    if denied > 0 {
        crate::diag::warning(&format!(
            "{denied} rules ended in error because files were not readable (permission denied): run imagegate as root, e.g. `sudo imagegate scan`"
        ));
    }
}

/// 2 if any rule ended in error, else 1 if any failure is at or above `fail_on`, else 0.
pub fn exit_code(report: &eval::Report, fail_on: Severity) -> u8 {
    if report.findings.iter().any(|f| f.status == Status::Error) {
        EXIT_ERROR
    } else if report
        .findings
        .iter()
        .any(|f| f.status == Status::Fail && f.severity >= fail_on)
    {
        EXIT_FAIL
    } else {
        EXIT_OK
    }
}

fn rules_cmd(cmd: RulesCmd, out: &mut dyn Write) -> anyhow::Result<u8> {
    match cmd {
        RulesCmd::List { rules, profile } => {
            let set = load_rules(&rules)?;
            if let Some(p) = &profile
                && !set.profiles().contains(p.as_str())
            {
                let names: Vec<String> = set.profiles().iter().map(|s| s.to_string()).collect();
                bail!("unknown profile {p:?} (available: {})", names.join(", "));
            }
            for r in set.rules.values() {
                if profile.as_ref().is_some_and(|p| !r.profiles.contains(p)) {
                    continue;
                }
                writeln!(
                    out,
                    "{:<44} {:<8} {}  [{}]",
                    r.id,
                    r.severity.as_str(),
                    r.title_with_defaults(),
                    r.profiles.join(", ")
                )?;
            }
            writeln!(out)?;
            for p in set.profiles() {
                let n = set.rules.values().filter(|r| r.profiles.iter().any(|x| x == p)).count();
                match set.declared.get(p) {
                    Some(d) => writeln!(out, "profile {p}: {n} rules  ({})", d.title)?,
                    None => writeln!(out, "profile {p}: {n} rules")?,
                }
            }
            Ok(EXIT_OK)
        }
        RulesCmd::Explain { id, rules } => {
            let set = load_rules(&rules)?;
            let Some(r) = set.rules.get(&id) else {
                bail!("unknown rule id {id:?} (see `imagegate rules list`)")
            };
            writeln!(out, "{}: {}", r.id, r.title_with_defaults())?;
            writeln!(out, "severity: {}    profiles: {}", r.severity, r.profiles.join(", "))?;
            if !r.families.is_empty() {
                writeln!(out, "applies to: {}", r.families.join(", "))?;
            }
            writeln!(out, "\nwhy:\n{}\n\nfix:\n{}", r.rationale.trim(), r.remediation.trim())?;
            writeln!(out, "\ncheck:")?;
            write_expr(out, &r.check, 1)?;
            if let Some(a) = &r.applies_when {
                writeln!(out, "\napplies when:")?;
                write_expr(out, a, 1)?;
            }
            for e in &r.error_when {
                writeln!(out, "\nerror when ({}):", e.reason)?;
                write_expr(out, &e.check, 1)?;
            }
            if !r.references.is_empty() {
                writeln!(out, "\nreferences:")?;
                for (k, v) in &r.references {
                    writeln!(out, "  {k}: {v}")?;
                }
            }
            if !r.vars.is_empty() {
                writeln!(out, "\nvariables (set with --var NAME=VALUE):")?;
                for (k, v) in &r.vars {
                    writeln!(out, "  {k} = {v}")?;
                }
            }
            writeln!(out, "\ndefined at: {}", r.origin)?;
            Ok(EXIT_OK)
        }
        RulesCmd::Coverage { profile, rules, format } => {
            let set = load_rules(&rules)?;
            crate::rules::benchmark::write_coverage(&set, &profile, matches!(format, CoverageFormat::Json), out)?;
            Ok(EXIT_OK)
        }
        RulesCmd::Validate { paths, rules } => {
            let mut set = RuleSet::embedded().context("the shipped rules do not load")?;
            for p in paths.iter().chain(&rules.rules) {
                add_rules(&mut set, p)?;
            }
            writeln!(out, "{} rules load", set.rules.len())?;
            Ok(EXIT_OK)
        }
    }
}
