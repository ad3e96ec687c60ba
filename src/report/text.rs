//! The human report, for a terminal or a CI log: a header, findings grouped by status (fail,
//! error, waived, pass, not-applicable) and by severity within each group, each with its
//! evidence, and one summary line at the end. Colour only when asked for (the caller decides: a
//! terminal, and NO_COLOR unset).
//!
//! Made to be read at 100 columns: titles, reasons and fixes are wrapped, values are cut (the
//! JSON report has them whole), lists show their first [`super::LIST_LIMIT`] records and a count.
//! A finding whose evidence is the same as the one above it in its group (ten pwquality rules
//! failing because pam_pwquality is not in the stack) says "same cause as …" instead of repeating
//! it. `--show` (and `--quiet`) print only some statuses; the summary line still counts them all
//! and a line says what was left out.
//!
//! Every string is shown through [`names::visible`]: text from the image (a file name, an
//! os-release field, a user name) can neither move the cursor, set the title, write the
//! clipboard, reorder the line with bidi controls, nor break the line to forge a finding of its
//! own, whether the output is a terminal or a log file.
use std::io::{self, Write};

use crate::eval::{Finding, Report, Status};
use crate::i18n;
use crate::names;
use crate::rules::Severity;

const RESET: &str = "\x1b[0m";
/// The width the report is laid out for.
pub const WIDTH: usize = 100;
/// Indentation of everything under a finding's first line.
const INDENT: usize = 6;

fn paint(color: bool, code: &str, s: &str) -> String {
    if color && !s.is_empty() {
        format!("\x1b[{code}m{s}{RESET}")
    } else {
        s.to_owned()
    }
}

fn status_label(s: Status, w: &i18n::Words) -> (&'static str, &'static str) {
    let code = match s {
        Status::Fail => "1;31",
        Status::Error => "1;35",
        Status::Waived => "33",
        Status::Pass => "32",
        Status::NotApplicable => "2",
    };
    (w.label(s), code)
}

/// Punctuation no line starts with.
const CLOSING: &str = "，。、；：！？）」』》〉”’…";
/// Punctuation no line ends with.
const OPENING: &str = "（「『《〈“‘";

/// Where the last atom of `line` starts, with the closing punctuation after it: its last
/// character when that is wide, else the run of other characters back to a space or a wide one.
fn last_atom(line: &str) -> usize {
    let body = line.trim_end_matches(|c| CLOSING.contains(c));
    let mut start = body.len();
    for (i, c) in body.char_indices().rev() {
        if c == ' ' || (i18n::is_wide(c) && start != body.len()) {
            break;
        }
        start = i;
        if i18n::is_wide(c) {
            break;
        }
    }
    start
}

fn closes(atom: &str) -> bool {
    atom.chars().next().is_some_and(|c| CLOSING.contains(c))
}

/// The pieces of one word that a line may break between: each wide (CJK) character on its own,
/// and each run of other characters whole (English words never break).
fn atoms(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in word.char_indices() {
        if i18n::is_wide(c) {
            if start < i {
                out.push(word.get(start..i).unwrap_or_default());
            }
            let end = i + c.len_utf8();
            out.push(word.get(i..end).unwrap_or_default());
            start = end;
        }
    }
    if start < word.len() {
        out.push(word.get(start..).unwrap_or_default());
    }
    out
}

pub use super::short_value;

/// `text` wrapped at word boundaries into lines of at most [`WIDTH`] characters (a word longer
/// than that stands on a line of its own): the first line follows a prefix of `first` characters,
/// the others are indented by `indent` spaces (included in the lines returned).
fn wrap(text: &str, first: usize, indent: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut used = first;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        // Chinese text has no spaces: a line may break between any two of its characters.
        for (k, atom) in atoms(word).into_iter().enumerate() {
            let n = i18n::width(atom);
            let space = usize::from(k == 0);
            if !cur.trim_start().is_empty() {
                if used + space + n > WIDTH {
                    // A line neither starts with closing punctuation nor ends with opening
                    // punctuation (the Chinese rule): the character they belong to moves down.
                    let carry = if space == 0 && closes(atom) {
                        last_atom(&cur)
                    } else if cur.ends_with(|c| OPENING.contains(c)) {
                        cur.len() - cur.chars().last().map_or(0, char::len_utf8)
                    } else {
                        cur.len()
                    };
                    let carry = match cur.get(..carry) {
                        Some(kept) if !kept.trim().is_empty() => cur.split_off(carry),
                        _ => String::new(),
                    };
                    lines.push(std::mem::take(&mut cur));
                    cur.push_str(&" ".repeat(indent));
                    cur.push_str(&carry);
                    used = indent + i18n::width(&carry);
                } else if space == 1 {
                    cur.push(' ');
                    used += 1;
                }
            }
            cur.push_str(atom);
            used += n;
        }
    }
    lines.push(cur);
    lines
}

/// Writes `label` followed by `text` (made visible and wrapped), continuation lines indented.
fn para(out: &mut dyn Write, label: &str, text: &str) -> io::Result<()> {
    let label = format!("{}{label}", " ".repeat(INDENT));
    let shown = names::visible(text);
    for (i, l) in wrap(&shown, i18n::width(&label), INDENT + 2).iter().enumerate() {
        if i == 0 {
            writeln!(out, "{label}{l}")?;
        } else {
            writeln!(out, "{l}")?;
        }
    }
    Ok(())
}

fn evidence_lines(lines: &[super::Line], color: bool, out: &mut dyn Write) -> io::Result<()> {
    for l in lines {
        let indent = INDENT + 2 * l.depth();
        let dim = l.kind == super::Kind::Shadow;
        let what = names::visible(&l.what()).into_owned();
        let mut wrapped = wrap(&what, indent, indent + 4);
        let last = wrapped.pop().unwrap_or_default();
        for w in &wrapped {
            if w.starts_with(' ') {
                writeln!(out, "{}", paint(color && dim, "2", w))?;
            } else {
                writeln!(out, "{}{}", " ".repeat(indent), paint(color && dim, "2", w))?;
            }
        }
        let (what, indent) = if wrapped.is_empty() {
            (last, indent)
        } else {
            (last.trim_start().to_owned(), indent + 4)
        };
        let mut s = format!("{}{}", " ".repeat(indent), paint(color && dim, "2", &what));
        if let Some(p) = &l.place {
            let place = format!("({})", names::visible(p));
            // The place on the value's line when both fit in the width, on its own line below
            // otherwise.
            if indent + i18n::width(&what) + 2 + i18n::width(&place) > WIDTH {
                writeln!(out, "{s}")?;
                let mut lines = wrap(&place, indent + 2, indent + 2);
                let last = lines.pop().unwrap_or_default();
                for (i, l) in lines.iter().enumerate() {
                    let pad = if i == 0 { " ".repeat(indent + 2) } else { String::new() };
                    writeln!(out, "{pad}{}", paint(color, "2", l))?;
                }
                s = if lines.is_empty() {
                    " ".repeat(indent + 2)
                } else {
                    String::new()
                };
                s.push_str(&paint(color, "2", &last));
            } else {
                s.push_str("  ");
                s.push_str(&paint(color, "2", &place));
            }
        }
        writeln!(out, "{s}")?;
    }
    Ok(())
}

/// Which statuses the text report lists (`--show`); the summary line counts them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Show(u8);

impl Default for Show {
    fn default() -> Self {
        Show::all()
    }
}

impl Show {
    fn bit(s: Status) -> u8 {
        1 << Status::ALL.iter().position(|x| *x == s).unwrap_or(0)
    }
    /// Every status.
    pub fn all() -> Self {
        Show(Status::ALL.iter().fold(0, |m, s| m | Show::bit(*s)))
    }
    /// Only these statuses.
    pub fn only(statuses: &[Status]) -> Self {
        Show(statuses.iter().fold(0, |m, s| m | Show::bit(*s)))
    }
    /// Whether `s` is listed.
    pub fn shows(self, s: Status) -> bool {
        self.0 & Show::bit(s) != 0
    }
}

/// Writes the text report.
pub fn render(report: &Report, style: &crate::report::Style, out: &mut dyn Write) -> io::Result<()> {
    let color = style.color;
    let w = i18n::words(report.lang);
    let t = &report.target;
    let what = report.host.os.as_deref().unwrap_or(w.unknown_os);
    let mode = if t.live { w.live } else { w.offline };
    let header = i18n::fill(
        w.header,
        &[
            ("version", &report.tool.version),
            ("profile", &report.profile),
            ("os", &what),
            ("root", &t.root),
            ("mode", &mode),
            ("as_of", &t.as_of),
        ],
    );
    for l in wrap(&names::visible(&header), 0, 2) {
        writeln!(out, "{l}")?;
    }
    // Provenance, when the image records it: which image, whose, on which platform.
    let h = &report.host;
    let [kernel, image, platform, owner] = w.provenance;
    let prov: Vec<String> = [
        (kernel, &h.kernel),
        (image, &h.image_id),
        (platform, &h.platform),
        (owner, &h.owner),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
    .collect();
    if !prov.is_empty() {
        for l in wrap(&names::visible(&prov.join(" · ")), 0, 2) {
            writeln!(out, "{l}")?;
        }
    }
    // Filesystems mounted inside an offline root are read as part of the image: say which, so a
    // host directory bind-mounted there is not taken for the image's own files.
    if let Some(mounts) = crate::report::mounts_inside(t) {
        let line = i18n::fill(w.mounted, &[("mounts", &mounts)]);
        for l in wrap(&names::visible(&line), 0, 2) {
            writeln!(out, "{l}")?;
        }
    }
    let mut hidden: Vec<String> = Vec::new();
    let mut shown_any = false;
    for status in Status::ALL {
        let mut group: Vec<&Finding> = report.findings.iter().filter(|f| f.status == status).collect();
        if group.is_empty() {
            continue;
        }
        if !style.show.shows(status) {
            hidden.push(format!("{} {}", group.len(), w.status(status)));
            continue;
        }
        group.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
        shown_any = true;
        writeln!(out)?;
        let (label, code) = status_label(status, w);
        let lw = w.status_label.iter().map(|l| i18n::width(l)).max().unwrap_or(5);
        // The evidence of each finding shown so far in this group, to name a repeated cause once.
        let mut causes: Vec<(Vec<super::Line>, &str)> = Vec::new();
        for f in group {
            let sev = i18n::pad(w.sev(f.severity), 8);
            let prefix = format!("{} {sev} {}  ", i18n::pad(label, lw), f.id);
            let title = names::visible(&f.title);
            let wrapped = wrap(&title, i18n::width(&prefix), INDENT);
            for (i, l) in wrapped.iter().enumerate() {
                if i == 0 {
                    writeln!(
                        out,
                        "{} {sev} {}  {l}",
                        paint(color, code, &i18n::pad(label, lw)),
                        paint(color, "1", &names::visible(&f.id)),
                    )?;
                } else {
                    writeln!(out, "{l}")?;
                }
            }
            if let Some(r) = &f.reason {
                para(out, w.reason, r)?;
            }
            if let Some(wv) = &f.waiver {
                para(
                    out,
                    "",
                    &i18n::fill(
                        w.waived_until,
                        &[
                            ("expires", &wv.expires),
                            ("owner", &wv.owner),
                            ("origin", &wv.origin),
                            ("reason", &wv.reason),
                        ],
                    ),
                )?;
            }
            let ev = super::evidence(f);
            let same = (!ev.is_empty() && matches!(status, Status::Fail | Status::Error))
                .then(|| causes.iter().find(|(c, _)| *c == ev).map(|(_, id)| *id))
                .flatten();
            match same {
                Some(id) => {
                    let cause = ev.first().map(super::Line::what).unwrap_or_default();
                    para(out, "", &i18n::fill(w.same_cause, &[("id", &id), ("cause", &cause)]))?;
                }
                None => {
                    evidence_lines(&ev, color, out)?;
                    causes.push((ev, f.id.as_str()));
                }
            }
            if status == Status::Fail {
                let first = f.remediation.trim().lines().next().unwrap_or("");
                para(out, w.fix, first)?;
            }
        }
    }
    if style.show != Show::all() {
        let shown = Status::ALL.iter().filter(|s| style.show.shows(**s));
        let listed: Vec<&str> = shown.clone().map(|s| s.as_str()).collect();
        let named: Vec<&str> = shown.map(|s| w.status(*s)).collect();
        writeln!(out)?;
        if !shown_any {
            writeln!(
                out,
                "{}",
                i18n::fill(w.no_finding_is, &[("statuses", &named.join(w.or))])
            )?;
        }
        if !hidden.is_empty() {
            let line = i18n::fill(
                w.not_shown,
                &[("show", &listed.join(",")), ("hidden", &hidden.join(", "))],
            );
            writeln!(out, "{line}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", summary_line(report))
}

/// "12 rules: 3 fail (1 critical, 2 high), 1 error, 0 waived, 7 pass, 1 not-applicable".
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let w = i18n::words(report.lang);
    let mut by_sev: Vec<String> = Vec::new();
    for sev in Severity::ALL.iter().rev() {
        if let Some(n) = s.fail_by_severity.get(sev) {
            by_sev.push(format!("{n} {}", w.sev(*sev)));
        }
    }
    let fail = if by_sev.is_empty() {
        i18n::fill(w.fail_count, &[("n", &s.fail)])
    } else {
        i18n::fill(w.fail_count_by, &[("n", &s.fail), ("by", &by_sev.join(", "))])
    };
    i18n::fill(
        w.summary,
        &[
            ("total", &s.total),
            ("fail", &fail),
            ("error", &s.error),
            ("waived", &s.waived),
            ("pass", &s.pass),
            ("na", &s.not_applicable),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_every_word_and_the_width() {
        let text = "Put `PermitRootLogin no` in /etc/ssh/sshd_config.d/00-imagegate.conf (it sorts before \
                    01-permitrootlogin.conf and 50-cloud-init.conf, and the first value wins), then check";
        let lines = wrap(text, 11, 8);
        assert!(lines.len() > 1);
        assert!(lines[0].chars().count() + 11 <= WIDTH);
        for l in &lines[1..] {
            assert!(l.starts_with("        ") && l.chars().count() <= WIDTH, "{l:?}");
        }
        let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
        assert_eq!(words, text.split_whitespace().collect::<Vec<_>>());
    }

    #[test]
    fn chinese_text_wraps_between_characters_but_not_before_closing_punctuation() {
        let text = "在镜像构建过程中执行 apt-get update && apt-get upgrade（或 dnf upgrade --security），然后重新构建；\
                    保留刷新后的索引（已在 apt 源中配置 -security 套件的 /var/lib/apt/lists，或 dnf makecache 生成的 \
                    /var/cache/dnf），或在清理索引之前进行检查。";
        for first in 0..40 {
            let lines = wrap(text, first, 8);
            assert!(lines.len() > 1);
            for (i, l) in lines.iter().enumerate() {
                let w = i18n::width(l) + if i == 0 { first } else { 0 };
                assert!(w <= WIDTH, "{first}: {l:?} is {w} columns");
                let body = l.trim_start();
                assert!(!body.starts_with(|c| CLOSING.contains(c)), "{first}: {l:?}");
                assert!(!body.ends_with(|c| OPENING.contains(c)), "{first}: {l:?}");
            }
            let joined: String = lines.iter().map(|l| l.trim_start()).collect::<Vec<_>>().join("");
            let squeezed = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            assert_eq!(squeezed(&joined), squeezed(text));
        }
    }

    #[test]
    fn show_selects_statuses() {
        let s = Show::only(&[Status::Fail, Status::Error]);
        assert!(s.shows(Status::Fail) && s.shows(Status::Error));
        assert!(!s.shows(Status::Pass) && !s.shows(Status::NotApplicable) && !s.shows(Status::Waived));
        assert!(Status::ALL.iter().all(|st| Show::all().shows(*st)));
    }
}
