//! /etc/login.defs, per login.defs(5) of shadow-utils.
//!
//! Each line is `NAME value`; blank lines and lines starting with `#` are comments. Values are
//! taken up to the end of the line with surrounding whitespace trimmed and one level of double
//! quotes removed, as shadow's getdef.c does. When a name appears twice, shadow keeps the *last*
//! value (getdef.c overwrites its table entry), so the earlier ones are recorded as shadowed.
//! Unknown names are kept too: rules may ask for any key. The file being absent is not an error —
//! the tools then use compiled-in defaults — but the keys are then absent and the rules that need
//! them fail rather than guess.

use std::collections::BTreeMap;

use serde::Serialize;

use super::super::{Fact, FactError, Shadowed, Source};
use crate::rootfs::RootFs;

/// The path read.
pub const PATH: &str = "/etc/login.defs";

/// The settings of /etc/login.defs.
#[derive(Debug, Clone, Serialize, Default, schemars::JsonSchema)]
pub struct LoginDefs {
    /// Whether /etc/login.defs exists.
    pub present: bool,
    /// Every setting by name (`PASS_MAX_DAYS`, `ENCRYPT_METHOD`, `UMASK`, `UID_MIN`, …).
    pub keys: BTreeMap<String, Fact<String>>,
    /// The directory mode `UMASK` leaves (`0777 & !UMASK`, as octal text): a derived view so a
    /// rule can ask "at most 0750" with `mode_max`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub umask_dir_mode: Option<Fact<String>>,
}

impl LoginDefs {
    /// A numeric setting, if present and numeric.
    pub fn number(&self, key: &str) -> Option<i64> {
        self.keys.get(key).and_then(|f| f.value.parse().ok())
    }
}

/// Reads /etc/login.defs.
pub fn collect(fs: &RootFs) -> Result<LoginDefs, FactError> {
    Ok(match fs.read_text(PATH)? {
        Some(text) => parse(PATH, &text),
        None => LoginDefs::default(),
    })
}

/// Parses login.defs text read from `path`.
pub fn parse(path: &str, text: &str) -> LoginDefs {
    let mut keys: BTreeMap<String, Fact<String>> = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = match line.split_once(|c: char| c.is_whitespace()) {
            Some((n, v)) => (n, v.trim()),
            None => (line, ""),
        };
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        let src = Source::at(path, u32::try_from(i + 1).unwrap_or(u32::MAX));
        match keys.get_mut(name) {
            // getdef.c: a later definition replaces the earlier one.
            Some(f) => {
                let old = std::mem::replace(f, Fact::new(value.to_owned(), src));
                f.shadowed = old.shadowed;
                f.shadowed.push(Shadowed {
                    value: old.value,
                    source: old.source,
                });
            }
            None => {
                keys.insert(name.to_owned(), Fact::new(value.to_owned(), src));
            }
        }
    }
    let umask_dir_mode = keys
        .get("UMASK")
        .and_then(|f| umask_dir_mode(&f.value).map(|m| Fact::new(m, f.source.clone())));
    LoginDefs {
        present: true,
        keys,
        umask_dir_mode,
    }
}

/// The mode a new directory gets under `umask` (octal text such as `027` or `0027`), as
/// four-digit octal text; `None` when the text is not an octal number of at most 0777.
pub fn umask_dir_mode(umask: &str) -> Option<String> {
    let m = u32::from_str_radix(umask.trim(), 8).ok()?;
    (m <= 0o777).then(|| format!("{:04o}", 0o777 & !m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_definition_wins_and_the_first_is_shadowed() {
        let d = parse("/etc/login.defs", "PASS_MAX_DAYS 99999\n# c\nPASS_MAX_DAYS\t365\n");
        let f = &d.keys["PASS_MAX_DAYS"];
        assert_eq!(f.value, "365");
        assert_eq!(f.source.line, Some(3));
        assert_eq!(f.shadowed[0].value, "99999");
    }

    #[test]
    fn double_quotes_are_removed_and_umask_gives_a_directory_mode() {
        let d = parse("/etc/login.defs", "ENCRYPT_METHOD \"SHA512\"\nUMASK 027\n");
        assert_eq!(d.keys["ENCRYPT_METHOD"].value, "SHA512");
        assert_eq!(d.umask_dir_mode.unwrap().value, "0750");
        assert_eq!(umask_dir_mode("022").as_deref(), Some("0755"));
        assert_eq!(umask_dir_mode("abc"), None);
    }
}
