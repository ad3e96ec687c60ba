//! Support lifecycle of the scanned release, looked up in the table shipped in
//! rules/data/lifecycle.toml (embedded at build time; the table is data, like the rules).
//!
//! The lookup key is os-release(5) `ID` and `VERSION_ID`. A VERSION_ID with more components than a
//! row matches by dropping trailing components (rocky 9.4 → 9, alpine 3.20.3 → 3.20); a row with
//! `name_contains` applies only when os-release `NAME` contains that text (CentOS Linux 8 vs CentOS
//! Stream 8 share `ID=centos VERSION_ID=8`).
//!
//! `eol` is the end of standard (free, maintenance) support; `extended` the end of paid/volunteer
//! extended support where the vendor has one. Days are counted from `Context::as_of` (`--as-of`),
//! never from the wall clock, so the fact is reproducible.
//!
//! A release that is not in the table is an error, never a guess: a rule over the lifecycle must
//! not pass for a release imagegate knows nothing about.

use serde::{Deserialize, Serialize};

use super::{Collected, Context, Fact, FactError, Source};
use crate::facts::os_release::OsRelease;

/// The shipped table.
pub const TABLE: &str = include_str!("../../rules/data/lifecycle.toml");

/// Support lifecycle of the scanned release.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Lifecycle {
    /// `ID VERSION_ID` as found in os-release (source: the VERSION_ID line).
    pub release: Fact<String>,
    /// The table row that matched (`ubuntu 24.04`, `rocky 9`).
    pub matched: String,
    /// Human name of the release.
    pub name: String,
    /// A long-term release.
    pub lts: Fact<bool>,
    /// End of standard support, `YYYY-MM-DD`.
    pub eol: Fact<String>,
    /// Days from the as-of date to `eol` (negative: past end of life).
    pub days_left: Fact<i64>,
    /// `days_left` in years (365.25 days), two decimals.
    pub support_years_left: Fact<f64>,
    /// End of extended support, when the vendor has one.
    pub extended: Option<String>,
    /// Days from the as-of date to `extended`.
    pub extended_days_left: Option<i64>,
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
    /// End of standard support.
    pub eol: toml::value::Datetime,
    /// End of extended support.
    pub extended: Option<toml::value::Datetime>,
    /// Day not fixed by the vendor yet.
    #[serde(default)]
    pub estimated: bool,
    /// Vendor page.
    pub source: String,
}

/// Parses the table.
pub fn parse_table(text: &str) -> Result<Table, FactError> {
    toml::from_str(text).map_err(|e| FactError::Invalid(format!("the lifecycle table does not parse: {e}")))
}

/// The shipped table's `as_of` (the date it was last reviewed), for `imagegate --version`;
/// `None` only if the embedded table does not parse (a build problem the tests catch).
pub fn table_as_of() -> Option<String> {
    parse_table(TABLE).ok().map(|t| t.as_of.to_string())
}

fn date(d: &toml::value::Datetime) -> Result<jiff::civil::Date, FactError> {
    d.to_string()
        .parse()
        .map_err(|e| FactError::Invalid(format!("the lifecycle table has a bad date {d}: {e}")))
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

/// Looks the release up in the shipped lifecycle table.
pub fn collect(ctx: &Context, os: &Collected<OsRelease>) -> Result<Lifecycle, FactError> {
    let os = os.required("os-release is unavailable")?;
    let table = parse_table(TABLE)?;
    evaluate(ctx, os, &table)
}

/// Evaluates one os-release identity against a table.
pub fn evaluate(ctx: &Context, os: &OsRelease, table: &Table) -> Result<Lifecycle, FactError> {
    let id = os.id.as_ref().map_or("linux", |f| f.value.as_str());
    let Some(version) = os.version_id.as_ref() else {
        return Err(FactError::Invalid(format!(
            "{} has no VERSION_ID: the release cannot be looked up",
            os.path
        )));
    };
    let name = os.fields.get("NAME").map_or("", |f| f.value.as_str());
    let Some(row) = lookup(table, id, &version.value, name) else {
        return Err(FactError::Invalid(format!(
            "release {id} {} is not in the lifecycle table (as of {})",
            version.value, table.as_of
        )));
    };
    let eol = date(&row.eol)?;
    let days_left = i64::from(
        ctx.as_of
            .until(eol)
            .map_err(|e| FactError::Invalid(e.to_string()))?
            .get_days(),
    );
    let extended = row.extended.as_ref().map(date).transpose()?;
    let extended_days_left = match extended {
        Some(d) => Some(i64::from(
            ctx.as_of
                .until(d)
                .map_err(|e| FactError::Invalid(e.to_string()))?
                .get_days(),
        )),
        None => None,
    };
    let row_src = Source::note(format!(
        "lifecycle table: {} {} ({}, table as of {})",
        row.id, row.version, row.source, table.as_of
    ));
    let derived = Source::note(format!("end of support {eol} minus as-of date {}", ctx.as_of));
    Ok(Lifecycle {
        release: Fact::new(format!("{id} {}", version.value), version.source.clone()),
        matched: format!("{} {}", row.id, row.version),
        name: row.name.clone(),
        lts: Fact::new(row.lts, row_src.clone()),
        eol: Fact::new(eol.to_string(), row_src),
        days_left: Fact::new(days_left, derived.clone()),
        support_years_left: Fact::new((days_left as f64 / 365.25 * 100.0).round() / 100.0, derived),
        extended: extended.map(|d| d.to_string()),
        extended_days_left,
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
            date(&r.eol).unwrap();
            assert!(r.source.starts_with("https://"), "{}", r.name);
        }
    }

    #[test]
    fn minor_versions_match_the_major_row() {
        let t = parse_table(TABLE).unwrap();
        let os = os_release::parse("/etc/os-release", "ID=\"rocky\"\nVERSION_ID=\"9.4\"\n");
        let l = evaluate(&ctx("2026-05-31"), &os, &t).unwrap();
        assert_eq!(l.matched, "rocky 9");
        assert_eq!(l.days_left.value, 2192);
        assert_eq!(l.release.source, Source::at("/etc/os-release", 2));
        let os = os_release::parse("/etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n");
        let l = evaluate(&ctx("2026-05-01"), &os, &t).unwrap();
        assert_eq!(l.matched, "alpine 3.20");
        assert_eq!(l.days_left.value, -30);
    }

    #[test]
    fn name_tells_centos_stream_from_centos_linux() {
        let t = parse_table(TABLE).unwrap();
        let os = os_release::parse("/etc/os-release", "NAME=\"CentOS Stream\"\nID=centos\nVERSION_ID=8\n");
        assert_eq!(evaluate(&ctx("2024-01-01"), &os, &t).unwrap().name, "CentOS Stream 8");
    }

    #[test]
    fn unknown_release_is_an_error_naming_the_table_date() {
        let t = parse_table(TABLE).unwrap();
        let os = os_release::parse("/etc/os-release", "ID=gentoo\nVERSION_ID=2.15\n");
        let e = evaluate(&ctx("2026-01-01"), &os, &t).unwrap_err().to_string();
        assert!(
            e.starts_with("release gentoo 2.15 is not in the lifecycle table (as of 20"),
            "{e}"
        );
    }
}
