//! Support lifecycle of the scanned release, looked up in the table shipped in
//! rules/data/lifecycle.toml (embedded at build time; the table is data, like the rules).
//!
//! The lookup key is os-release(5) `ID` and `VERSION_ID`. A VERSION_ID with more components than a
//! row matches by dropping trailing components (rocky 9.4 → 9, alpine 3.20.3 → 3.20); a row with
//! `name_contains` applies only when os-release `NAME` contains that text (CentOS Linux 8 vs CentOS
//! Stream 8 share `ID=centos VERSION_ID=8`).
//!
//! Each row's `eol` is the end of free security updates for everyone and names the support phase
//! it ends (`phase`: Ubuntu's standard support, Debian's LTS, RHEL's maintenance…); the other
//! phases (Ubuntu Pro ESM, Debian ELTS, RHEL ELS, SUSE LTSS…) are kept as data under `phases`. An
//! Ubuntu image attached to Ubuntu Pro (its machine token or apt credentials for esm.ubuntu.com
//! are in the image) is judged by its ESM date instead. Days are counted from `Context::as_of`
//! (`--as-of`), never from the wall clock, so the fact is reproducible.
//!
//! Never a guess that could pass:
//! - a development branch (Alpine edge, Debian testing/sid, Fedora Rawhide, a row marked
//!   `development`) has no vendor security support: `days_left` is -1 and says why;
//! - a release of a known distribution that is not in the table but older than its newest row is
//!   an old or unknown release: taken as end of life (`days_left` -1), with the reason;
//! - a release newer than every row of its distribution is an error saying the table is older than
//!   the image; an unknown distribution is an error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Collected, Context, Fact, FactError, Source};
use crate::facts::os_release::OsRelease;
use crate::rootfs::RootFs;

/// The shipped table.
pub const TABLE: &str = include_str!("../../rules/data/lifecycle.toml");

/// Files whose presence shows an Ubuntu image attached to Ubuntu Pro: the Pro client's machine
/// token (written by `pro attach`, removed by `pro detach`) and the apt credentials it installs
/// for esm.ubuntu.com.
pub const PRO_ATTACHED: &[&str] = &[
    "/var/lib/ubuntu-advantage/private/machine-token.json",
    "/etc/apt/auth.conf.d/90ubuntu-advantage",
];

/// Support lifecycle of the scanned release.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Lifecycle {
    /// `ID VERSION_ID` as found in os-release (source: the VERSION_ID line).
    pub release: Fact<String>,
    /// The table row that matched (`ubuntu 24.04`, `rocky 9`); empty when none did.
    pub matched: String,
    /// Human name of the release.
    pub name: String,
    /// A long-term release.
    pub lts: Fact<bool>,
    /// The end of support the gate judges by, `YYYY-MM-DD`; `none` for a development branch or a
    /// release the table does not list.
    pub eol: Fact<String>,
    /// The support phase `eol` ends (`standard`, `lts`, `maintenance`, `esm`…).
    pub phase: String,
    /// Days from the as-of date to `eol` (negative: past end of life; -1 when there is no vendor
    /// support at all).
    pub days_left: Fact<i64>,
    /// `days_left` in years (365.25 days), two decimals.
    pub support_years_left: Fact<f64>,
    /// The other support phases' ends, by phase (`esm`, `elts`, `els`, `ltss`…).
    pub phases: BTreeMap<String, String>,
    /// The latest end among `phases` (paid or extended support), when the vendor has one.
    pub extended: Option<String>,
    /// Days from the as-of date to `extended`.
    pub extended_days_left: Option<i64>,
    /// A development branch: no vendor security support.
    pub development: bool,
    /// Ubuntu Pro attachment (the file that shows it), on Ubuntu only.
    pub pro_attached: Option<Fact<bool>>,
    /// The vendor has not fixed the day yet; the date follows its stated policy.
    pub estimated: bool,
    /// The date the table was last reviewed.
    pub table_as_of: String,
    /// The vendor page the row comes from.
    pub source: String,
}

/// The table file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// When the table was last reviewed.
    pub as_of: toml::value::Datetime,
    /// The rows.
    pub release: Vec<Row>,
}

/// One release.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    /// os-release ID.
    pub id: String,
    /// os-release VERSION_ID (or its leading components).
    pub version: String,
    /// Only when os-release NAME contains this.
    pub name_contains: Option<String>,
    /// Display name.
    pub name: String,
    /// Long-term release.
    pub lts: bool,
    /// Release date, where the source gives it.
    pub released: Option<toml::value::Datetime>,
    /// A development branch (no `eol`).
    #[serde(default)]
    pub development: bool,
    /// End of free security updates (absent only for a development branch).
    pub eol: Option<toml::value::Datetime>,
    /// The phase `eol` ends.
    pub phase: Option<String>,
    /// Other phases' ends.
    #[serde(default)]
    pub phases: BTreeMap<String, toml::value::Datetime>,
    /// Day not fixed by the vendor yet.
    #[serde(default)]
    pub estimated: bool,
    /// Vendor page.
    pub source: String,
}

/// Why a release's lifecycle could not be judged.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// The table is not valid TOML of the expected shape (the message names the line).
    #[error("the lifecycle table does not parse: {0}")]
    Table(#[source] Box<toml::de::Error>),
    /// A date in the table is not a calendar date.
    #[error("the lifecycle table has a bad date {date}: {error}")]
    BadDate {
        /// The date as written.
        date: String,
        /// Why it is not a date.
        #[source]
        error: jiff::Error,
    },
    /// The days from `--as-of` to a date in the table cannot be counted.
    #[error("days from {as_of} to {date}: {error}")]
    Days {
        /// The scan's "today".
        as_of: jiff::civil::Date,
        /// The table's date.
        date: jiff::civil::Date,
        /// Why the span failed.
        #[source]
        error: jiff::Error,
    },
    /// os-release names no VERSION_ID, so no row can be looked up.
    #[error("{path} has no VERSION_ID: the release cannot be looked up")]
    NoVersionId {
        /// In-image path of the os-release file.
        path: String,
    },
    /// The table lists no release of the distribution.
    #[error("release {id} {version} is not in the lifecycle table (as of {as_of}): imagegate knows no release of {id}")]
    UnknownDistribution {
        /// os-release ID.
        id: String,
        /// os-release VERSION_ID.
        version: String,
        /// The table's review date.
        as_of: String,
    },
    /// The release is newer than every row of its distribution.
    #[error(
        "release {id} {version} is newer than every {id} release in the lifecycle table (as of {as_of}, newest \
         {newest}): the table is older than the image; use a newer imagegate"
    )]
    NewerThanTable {
        /// os-release ID.
        id: String,
        /// os-release VERSION_ID.
        version: String,
        /// The table's review date.
        as_of: String,
        /// The newest release of `id` in the table.
        newest: String,
    },
    /// A row neither ends nor is a development release.
    #[error("the lifecycle table's row {row} has no eol and is not a development release")]
    RowWithoutEol {
        /// The row, `id version`.
        row: String,
    },
}

/// Parses the table.
pub fn parse_table(text: &str) -> Result<Table, FactError> {
    toml::from_str(text).map_err(|e| LifecycleError::Table(Box::new(e)).into())
}

/// The shipped table's `as_of` (the date it was last reviewed), for `imagegate --version`;
/// `None` only if the embedded table does not parse (a build problem the tests catch).
pub fn table_as_of() -> Option<String> {
    parse_table(TABLE).ok().map(|t| t.as_of.to_string())
}

fn date(d: &toml::value::Datetime) -> Result<jiff::civil::Date, FactError> {
    d.to_string().parse().map_err(|error| {
        LifecycleError::BadDate {
            date: d.to_string(),
            error,
        }
        .into()
    })
}

/// The candidate versions for a VERSION_ID, most specific first: `3.20.3`, `3.20`, `3`.
pub fn version_candidates(v: &str) -> Vec<&str> {
    let mut out = vec![v];
    let mut cur = v;
    while let Some((head, _)) = cur.rsplit_once('.') {
        out.push(head);
        cur = head;
    }
    out
}

/// Finds the row for an os-release identity.
pub fn lookup<'t>(table: &'t Table, id: &str, version_id: &str, name: &str) -> Option<&'t Row> {
    version_candidates(version_id).into_iter().find_map(|v| {
        table
            .release
            .iter()
            .find(|r| r.id == id && r.version == v && r.name_contains.as_deref().is_none_or(|n| name.contains(n)))
    })
}

/// A version's numeric components (`3.21.0_alpha2024` → [3, 21, 0]), for ordering releases.
fn numeric(v: &str) -> Vec<u64> {
    v.split('.')
        .map(|c| {
            let digits: String = c.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().unwrap_or(0)
        })
        .collect()
}

/// Looks the release up in the shipped lifecycle table; Ubuntu Pro attachment is read from the
/// root.
pub fn collect(fs: &RootFs, ctx: &Context, os: &Collected<OsRelease>) -> Result<Lifecycle, FactError> {
    let os = os.required("os-release is unavailable")?;
    let table = parse_table(TABLE)?;
    let mut pro = None;
    if os.id.as_ref().is_some_and(|f| f.value == "ubuntu") {
        let mut found = None;
        for path in PRO_ATTACHED {
            if fs.symlink_metadata(path)?.is_some() {
                found = Some(*path);
                break;
            }
        }
        pro = Some(match found {
            Some(path) => Fact::new(true, Source::file(path)),
            None => Fact::new(
                false,
                Source::note(format!("none of {} in the image", PRO_ATTACHED.join(", "))),
            ),
        });
    }
    evaluate(ctx, os, &table, pro)
}

/// Why an os-release identity is a development branch, if it is one.
fn development_branch(os: &OsRelease, id: &str) -> Option<String> {
    let field = |k: &str| os.fields.get(k).map_or("", |f| f.value.as_str());
    let version = os.version_id.as_ref().map_or("", |f| f.value.as_str());
    match id {
        "alpine" if version.contains("_alpha") || field("PRETTY_NAME").contains("edge") => {
            Some(format!("Alpine edge (VERSION_ID {version}) is the development branch"))
        }
        "debian" if os.version_id.is_none() => Some(format!(
            "Debian without a VERSION_ID ({}) is testing or unstable, a development branch",
            field("PRETTY_NAME")
        )),
        "fedora"
            if field("REDHAT_SUPPORT_PRODUCT_VERSION").eq_ignore_ascii_case("rawhide")
                || field("VERSION").contains("Rawhide") =>
        {
            Some("Fedora Rawhide is the development branch".into())
        }
        _ => None,
    }
}

/// Evaluates one os-release identity against a table; `pro` is Ubuntu Pro attachment (Ubuntu
/// only).
pub fn evaluate(ctx: &Context, os: &OsRelease, table: &Table, pro: Option<Fact<bool>>) -> Result<Lifecycle, FactError> {
    let id = os.id.as_ref().map_or("linux", |f| f.value.as_str());
    let name = os.fields.get("NAME").map_or("", |f| f.value.as_str());
    let release = match &os.version_id {
        Some(v) => Fact::new(format!("{id} {}", v.value), v.source.clone()),
        None => Fact::new(id.to_owned(), Source::file(&os.path)),
    };
    let days = |d: jiff::civil::Date| -> Result<i64, FactError> {
        Ok(i64::from(
            ctx.as_of
                .until(d)
                .map_err(|error| LifecycleError::Days {
                    as_of: ctx.as_of,
                    date: d,
                    error,
                })?
                .get_days(),
        ))
    };
    let unsupported = |matched: String, name: String, why: String| Lifecycle {
        release: release.clone(),
        matched,
        name,
        lts: Fact::new(false, Source::note(why.clone())),
        eol: Fact::new("none".into(), Source::note(why.clone())),
        phase: "none".into(),
        days_left: Fact::new(-1, Source::note(format!("{why}: no vendor security support"))),
        support_years_left: Fact::new(0.0, Source::note(format!("{why}: no vendor security support"))),
        phases: BTreeMap::new(),
        extended: None,
        extended_days_left: None,
        development: true,
        pro_attached: pro.clone(),
        estimated: false,
        table_as_of: table.as_of.to_string(),
        source: String::new(),
    };
    if let Some(why) = development_branch(os, id) {
        return Ok(unsupported(String::new(), name.to_owned(), why));
    }
    let Some(version) = os.version_id.as_ref() else {
        return Err(LifecycleError::NoVersionId { path: os.path.clone() }.into());
    };
    let Some(row) = lookup(table, id, &version.value, name) else {
        let known: Vec<&Row> = table.release.iter().filter(|r| r.id == id).collect();
        let newest = known.iter().max_by_key(|r| numeric(&r.version));
        return match newest {
            None => Err(LifecycleError::UnknownDistribution {
                id: id.to_owned(),
                version: version.value.clone(),
                as_of: table.as_of.to_string(),
            }
            .into()),
            Some(n) if numeric(&version.value) > numeric(&n.version) => Err(LifecycleError::NewerThanTable {
                id: id.to_owned(),
                version: version.value.clone(),
                as_of: table.as_of.to_string(),
                newest: n.version.clone(),
            }
            .into()),
            Some(n) => Ok(unsupported(
                String::new(),
                name.to_owned(),
                format!(
                    "release {id} {} is not in the lifecycle table (as of {}), which lists every {id} release \
                     since 2014 up to {}: an old or unknown release, taken as end of life",
                    version.value, table.as_of, n.version
                ),
            )),
        };
    };
    let matched = format!("{} {}", row.id, row.version);
    let row_src = Source::note(format!(
        "lifecycle table: {matched} ({}, table as of {})",
        row.source, table.as_of
    ));
    if row.development {
        let mut l = unsupported(
            matched.clone(),
            row.name.clone(),
            format!("{} is a development release (lifecycle table: {matched})", row.name),
        );
        l.source = row.source.clone();
        return Ok(l);
    }
    let Some(free_eol) = row.eol.as_ref() else {
        return Err(LifecycleError::RowWithoutEol { row: matched }.into());
    };
    let mut eol = date(free_eol)?;
    let mut phase = row.phase.clone().unwrap_or_else(|| "standard".into());
    let mut eol_src = row_src.clone();
    // An Ubuntu image attached to Ubuntu Pro receives ESM security updates: judge it by them.
    if let (Some(attached), Some(esm)) = (pro.as_ref().filter(|p| p.value), row.phases.get("esm")) {
        eol = date(esm)?;
        phase = "esm".into();
        eol_src = Source::note(format!(
            "lifecycle table: {matched} esm (Ubuntu Pro attached: {}; {}, table as of {})",
            attached.source.path.as_deref().unwrap_or("?"),
            row.source,
            table.as_of
        ));
    }
    let days_left = days(eol)?;
    let mut phases = BTreeMap::new();
    for (k, v) in &row.phases {
        phases.insert(k.clone(), date(v)?.to_string());
    }
    let extended = row
        .phases
        .values()
        .map(date)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max();
    let extended_days_left = extended.map(days).transpose()?;
    let derived = Source::note(format!("end of {phase} support {eol} minus as-of date {}", ctx.as_of));
    Ok(Lifecycle {
        release,
        matched,
        name: row.name.clone(),
        lts: Fact::new(row.lts, row_src),
        eol: Fact::new(eol.to_string(), eol_src),
        phase,
        days_left: Fact::new(days_left, derived.clone()),
        support_years_left: Fact::new((days_left as f64 / 365.25 * 100.0).round() / 100.0, derived),
        phases,
        extended: extended.map(|d| d.to_string()),
        extended_days_left,
        development: false,
        pro_attached: pro,
        estimated: row.estimated,
        table_as_of: table.as_of.to_string(),
        source: row.source.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::os_release;

    #[test]
    fn table_as_of_is_the_review_date_of_the_shipped_table() {
        let d = table_as_of().unwrap();
        assert!(d.parse::<jiff::civil::Date>().is_ok(), "{d}");
    }

    fn ctx(d: &str) -> Context {
        Context {
            live: false,
            as_of: d.parse().unwrap(),
            wanted: None,
        }
    }

    #[test]
    fn shipped_table_parses_and_has_unique_keys() {
        let t = parse_table(TABLE).unwrap();
        let mut keys: Vec<_> = t
            .release
            .iter()
            .map(|r| (&r.id, &r.version, &r.name_contains))
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n);
        for r in &t.release {
            // Every released row says when and which phase ends; a development row has no date.
            assert_eq!(r.eol.is_some(), !r.development, "{}", r.name);
            assert_eq!(r.phase.is_some(), !r.development, "{}", r.name);
            r.eol.as_ref().map(date).transpose().unwrap();
            assert!(r.source.starts_with("https://"), "{}", r.name);
        }
    }

    #[test]
    fn minor_versions_match_the_major_row() {
        let t = parse_table(TABLE).unwrap();
        let os = os_release::parse("/etc/os-release", "ID=\"rocky\"\nVERSION_ID=\"9.4\"\n");
        let l = evaluate(&ctx("2026-05-31"), &os, &t, None).unwrap();
        assert_eq!(l.matched, "rocky 9");
        assert_eq!(l.days_left.value, 2192);
        assert_eq!(l.release.source, Source::at("/etc/os-release", 2));
        let os = os_release::parse("/etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n");
        let l = evaluate(&ctx("2026-05-01"), &os, &t, None).unwrap();
        assert_eq!(l.matched, "alpine 3.20");
        assert_eq!(l.days_left.value, -30);
    }

    #[test]
    fn name_tells_centos_stream_from_centos_linux() {
        let t = parse_table(TABLE).unwrap();
        let os = os_release::parse("/etc/os-release", "NAME=\"CentOS Stream\"\nID=centos\nVERSION_ID=8\n");
        assert_eq!(
            evaluate(&ctx("2024-01-01"), &os, &t, None).unwrap().name,
            "CentOS Stream 8"
        );
    }

    #[test]
    fn unknown_release_is_an_error_naming_the_table_date() {
        let t = parse_table(TABLE).unwrap();
        let os = os_release::parse("/etc/os-release", "ID=gentoo\nVERSION_ID=2.15\n");
        let e = evaluate(&ctx("2026-01-01"), &os, &t, None).unwrap_err().to_string();
        assert!(
            e.starts_with("release gentoo 2.15 is not in the lifecycle table (as of 20"),
            "{e}"
        );
    }

    fn eval(os_release: &str, as_of: &str, pro: Option<Fact<bool>>) -> Result<Lifecycle, FactError> {
        let t = parse_table(TABLE).unwrap();
        evaluate(&ctx(as_of), &os_release::parse("/etc/os-release", os_release), &t, pro)
    }

    /// Development branches have no vendor support: they fail the end-of-life rule, with why.
    #[test]
    fn development_branches_are_end_of_life() {
        for (os, why) in [
            (
                "ID=alpine\nVERSION_ID=3.21.0_alpha20240807\nPRETTY_NAME=\"Alpine Linux edge\"\n",
                "Alpine edge",
            ),
            (
                "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux forky/sid\"\nVERSION_CODENAME=forky\n",
                "testing or unstable",
            ),
            (
                "ID=fedora\nVERSION_ID=44\nVERSION=\"44 (Container Image Prerelease)\"\nREDHAT_SUPPORT_PRODUCT_VERSION=rawhide\n",
                "Rawhide",
            ),
        ] {
            let l = eval(os, "2024-09-01", None).unwrap();
            assert!(l.development, "{os}");
            assert_eq!(l.days_left.value, -1, "{os}");
            assert!(
                l.days_left.source.note.as_deref().unwrap().contains(why),
                "{os}: {:?}",
                l.days_left
            );
        }
        // Alpine 3.21 proper is supported at that date.
        assert_eq!(
            eval("ID=alpine\nVERSION_ID=3.21.2\n", "2025-09-01", None)
                .unwrap()
                .days_left
                .value,
            426
        );
    }

    /// An older or unlisted release of a known distribution is end of life with the reason; one
    /// newer than the table is an error saying the table is older than the image.
    #[test]
    fn unlisted_releases_of_known_distributions() {
        let l = eval("ID=alpine\nVERSION_ID=2.7.9\n", "2026-01-01", None).unwrap();
        assert_eq!(l.days_left.value, -1);
        assert!(
            l.eol.source.note.as_deref().unwrap().contains("old or unknown release"),
            "{:?}",
            l.eol
        );
        let e = eval("ID=ubuntu\nVERSION_ID=40.04\n", "2026-01-01", None).unwrap_err();
        assert!(
            matches!(&e, FactError::Lifecycle(LifecycleError::NewerThanTable { newest, .. }) if !newest.is_empty()),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .contains("the table is older than the image; use a newer imagegate"),
            "{e}"
        );
        // Every release the issue found missing is there now.
        for (os, matched) in [
            ("ID=alpine\nVERSION_ID=3.16.9\n", "alpine 3.16"),
            ("ID=alpine\nVERSION_ID=3.17.0\n", "alpine 3.17"),
            ("ID=alpine\nVERSION_ID=3.23.0\n", "alpine 3.23"),
            ("ID=fedora\nVERSION_ID=30\n", "fedora 30"),
            ("ID=fedora\nVERSION_ID=44\n", "fedora 44"),
            ("NAME=\"CentOS Linux\"\nID=centos\nVERSION_ID=8\n", "centos 8"),
            ("NAME=\"CentOS Stream\"\nID=centos\nVERSION_ID=10\n", "centos 10"),
            ("ID=amzn\nVERSION_ID=2016.03\n", "amzn 2016.03"),
            ("ID=amzn\nVERSION_ID=2018.03\n", "amzn 2018.03"),
            ("ID=almalinux\nVERSION_ID=10.0\n", "almalinux 10"),
            ("ID=rocky\nVERSION_ID=10.1\n", "rocky 10"),
        ] {
            assert_eq!(eval(os, "2026-01-01", None).unwrap().matched, matched, "{os}");
        }
    }

    /// Ubuntu's date is the end of standard support, unless the image is attached to Ubuntu Pro:
    /// then its ESM date, with the file that shows the attachment.
    #[test]
    fn ubuntu_pro_is_judged_by_esm() {
        let os = "ID=ubuntu\nVERSION_ID=\"22.04\"\n";
        let l = eval(os, "2028-01-01", Some(Fact::new(false, Source::note("none")))).unwrap();
        assert_eq!((l.eol.value.as_str(), l.phase.as_str()), ("2027-06-01", "standard"));
        assert!(l.days_left.value < 0);
        assert_eq!(l.phases.get("esm").map(String::as_str), Some("2032-04-21"));
        let attached = Fact::new(true, Source::file(PRO_ATTACHED[0]));
        let l = eval(os, "2028-01-01", Some(attached)).unwrap();
        assert_eq!((l.eol.value.as_str(), l.phase.as_str()), ("2032-04-21", "esm"));
        assert!(l.days_left.value > 0);
        assert!(l.eol.source.note.as_deref().unwrap().contains(PRO_ATTACHED[0]));
    }
}
