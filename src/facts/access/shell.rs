//! `TMOUT` and `umask` in the system-wide shell start-up files: /etc/profile, /etc/profile.d/*.sh,
//! /etc/bash.bashrc (Debian) and /etc/bashrc (RHEL), read in that order (bash(1) INVOCATION: a
//! login shell reads /etc/profile, which sources profile.d; interactive shells read the bashrc).
//!
//! This is not a shell interpreter: nothing is executed and conditionals are not evaluated, so
//! *every* assignment found is listed, with its file and line. That is the conservative reading a
//! checklist needs — RHEL's /etc/bashrc sets `umask 002` in one branch and `umask 022` in the
//! other, and both are real outcomes for some user. Recognised forms, per bash(1) builtins:
//! `TMOUT=N`, `export`/`readonly`/`declare -r`/`typeset -r` with an assignment or the bare name,
//! several commands joined by `;`, `&&`, `||`, and `umask` with an octal or symbolic (`u=rwx,g=rx,o=`)
//! mode. Variable expansions on the right side are not resolved (such a TMOUT is not counted).

use serde::Serialize;

use super::super::{Fact, FactError, Source};
use super::dir_files;
use super::login_defs::umask_dir_mode;
use crate::rootfs::RootFs;

/// One `TMOUT` assignment.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Tmout {
    /// Seconds. (Not named `value`: an item with `value` and `source` would read as a `Fact`.)
    pub seconds: i64,
    /// The same file makes TMOUT read-only (`readonly TMOUT`, `declare -r`, …).
    pub readonly: bool,
    /// The same file exports TMOUT.
    pub exported: bool,
    /// Where.
    pub source: Source,
}

/// One `umask` command.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Umask {
    /// The mask as four-digit octal (`0027`).
    pub mask: String,
    /// The mode a new directory gets under it (`0750`), for `mode_max` checks.
    pub dir_mode: String,
    /// Where.
    pub source: Source,
}

/// TMOUT and umask settings of the start-up files.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Shell {
    /// The files read, in order.
    pub files: Vec<String>,
    /// Every TMOUT assignment, in reading order.
    pub tmout: Vec<Tmout>,
    /// The last TMOUT assignment read (what a login shell ends up with when every branch runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmout_effective: Option<Fact<i64>>,
    /// Every umask command, in reading order.
    pub umask: Vec<Umask>,
}

/// Splits a line into simple commands on `;`, `&&`, `||`, `then`, `else`, `do` boundaries.
fn commands(line: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for part in line.split([';', '&', '|']) {
        let mut words: Vec<String> = part.split_whitespace().map(str::to_owned).collect();
        while words
            .first()
            .is_some_and(|w| ["then", "else", "do", "{", "(", "if", "!"].contains(&w.as_str()))
        {
            words.remove(0);
        }
        if !words.is_empty() {
            out.push(words);
        }
    }
    out
}

fn unquote(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '\'')
}

/// The mask of a symbolic umask (`u=rwx,g=rx,o=`), starting from 022 for `+`/`-` clauses.
fn symbolic_umask(s: &str) -> Option<u32> {
    let mut allowed: u32 = 0o755;
    for clause in s.split(',') {
        let op_at = clause.find(['=', '+', '-'])?;
        let (who, rest) = clause.split_at(op_at);
        let op = rest.chars().next()?;
        let mut perm = 0;
        for c in rest[1..].chars() {
            perm |= match c {
                'r' => 4,
                'w' => 2,
                'x' => 1,
                _ => return None,
            };
        }
        let who = if who.is_empty() { "a" } else { who };
        for w in who.chars() {
            let shift = match w {
                'u' => vec![6],
                'g' => vec![3],
                'o' => vec![0],
                'a' => vec![6, 3, 0],
                _ => return None,
            };
            for sh in shift {
                let bits = perm << sh;
                allowed = match op {
                    '=' => (allowed & !(0o7 << sh)) | bits,
                    '+' => allowed | bits,
                    _ => allowed & !bits,
                };
            }
        }
    }
    Some(0o777 & !allowed)
}

/// Parses one start-up file into its TMOUT assignments and umask commands.
pub fn parse(path: &str, text: &str) -> (Vec<Tmout>, Vec<Umask>) {
    let mut tmout = Vec::new();
    let mut umask = Vec::new();
    let (mut readonly, mut exported) = (false, false);
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        // A `#` at the start of a word begins a comment (bash(1) COMMENTS).
        let line = match line.find(" #") {
            _ if line.starts_with('#') => continue,
            Some(p) => &line[..p],
            None => line,
        };
        let source = Source::at(path, u32::try_from(i + 1).unwrap_or(u32::MAX));
        for words in commands(line) {
            let Some(cmd) = words.first() else { continue };
            if cmd == "umask" {
                let arg = words.iter().skip(1).find(|w| !w.starts_with('-'));
                let mask = arg.and_then(|a| {
                    let a = unquote(a);
                    if a.chars().all(|c| c.is_ascii_digit()) {
                        u32::from_str_radix(a, 8).ok().filter(|m| *m <= 0o777)
                    } else {
                        symbolic_umask(a)
                    }
                });
                if let Some(m) = mask {
                    umask.push(Umask {
                        mask: format!("{m:04o}"),
                        dir_mode: umask_dir_mode(&format!("{m:o}")).unwrap_or_default(),
                        source: source.clone(),
                    });
                }
                continue;
            }
            let (is_ro, is_export, rest): (bool, bool, &[String]) = match cmd.as_str() {
                "readonly" => (true, false, &words[1..]),
                "export" => (false, true, &words[1..]),
                "declare" | "typeset" | "local" => {
                    let opts: String = words[1..]
                        .iter()
                        .filter(|w| w.starts_with('-'))
                        .map(|w| w.trim_start_matches('-'))
                        .collect();
                    (opts.contains('r'), opts.contains('x'), &words[1..])
                }
                _ => (false, false, &words[..]),
            };
            for w in rest.iter().filter(|w| !w.starts_with('-')) {
                let (name, value) = match w.split_once('=') {
                    Some((n, v)) => (n, Some(unquote(v))),
                    None => (w.as_str(), None),
                };
                if name != "TMOUT" {
                    // In a plain command only leading assignments count; stop at the command word.
                    if value.is_none() && !is_ro && !is_export {
                        break;
                    }
                    continue;
                }
                readonly |= is_ro;
                exported |= is_export;
                if let Some(n) = value.and_then(|v| v.parse::<i64>().ok()) {
                    tmout.push(Tmout {
                        seconds: n,
                        readonly: false,
                        exported: false,
                        source: source.clone(),
                    });
                }
            }
        }
    }
    // `readonly`/`export` anywhere in the same file apply to its assignments.
    for t in &mut tmout {
        t.readonly = readonly;
        t.exported = exported;
    }
    (tmout, umask)
}

/// Reads the start-up files.
pub fn collect(fs: &RootFs) -> Result<Shell, FactError> {
    let mut paths = vec!["/etc/profile".to_owned()];
    if let Some(entries) = dir_files(fs, "/etc/profile.d")? {
        paths.extend(entries.into_iter().filter(|e| e.name.ends_with(".sh")).map(|e| e.path));
    }
    paths.push("/etc/bash.bashrc".into());
    paths.push("/etc/bashrc".into());
    let mut shell = Shell {
        files: Vec::new(),
        tmout: Vec::new(),
        tmout_effective: None,
        umask: Vec::new(),
    };
    for p in paths {
        let Some(text) = fs.read_text(&p)? else { continue };
        let (t, u) = parse(&p, &text);
        shell.tmout.extend(t);
        shell.umask.extend(u);
        shell.files.push(p);
    }
    shell.tmout_effective = shell.tmout.last().map(|t| {
        let mut f = Fact::new(t.seconds, t.source.clone());
        f.shadowed = shell.tmout[..shell.tmout.len() - 1]
            .iter()
            .map(|s| super::super::Shadowed {
                value: s.seconds,
                source: s.source.clone(),
            })
            .collect();
        f
    });
    Ok(shell)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmout_readonly_and_export_on_separate_commands_of_one_line() {
        let (t, _) = parse("/etc/profile.d/tmout.sh", "TMOUT=900; readonly TMOUT; export TMOUT\n");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].seconds, 900);
        assert!(t[0].readonly && t[0].exported);
    }

    #[test]
    fn declare_rx_counts_as_readonly_and_exported() {
        let (t, _) = parse("/x", "declare -rx TMOUT=600\n");
        assert!(t[0].readonly && t[0].exported);
        assert_eq!(t[0].seconds, 600);
    }

    #[test]
    fn commented_and_expanded_tmout_are_not_counted() {
        let (t, _) = parse("/x", "# TMOUT=900\nTMOUT=$LIMIT\necho TMOUT=5\n");
        assert!(t.is_empty(), "{t:?}");
    }

    #[test]
    fn both_branches_of_rhel_bashrc_umask_are_listed() {
        let text = "    if [ $UID -gt 199 ] && [ \"`/usr/bin/id -gn`\" = \"`/usr/bin/id -un`\" ]; then\n       umask 002\n    else\n       umask 022\n    fi\n";
        let (_, u) = parse("/etc/bashrc", text);
        let v: Vec<_> = u.iter().map(|u| u.dir_mode.as_str()).collect();
        assert_eq!(v, vec!["0775", "0755"]);
    }

    #[test]
    fn symbolic_umask_equals_its_octal_form() {
        let (_, u) = parse("/x", "umask u=rwx,g=rx,o=\n");
        assert_eq!(u[0].mask, "0027");
        assert_eq!(u[0].dir_mode, "0750");
    }
}
