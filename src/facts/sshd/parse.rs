//! Lexing and file structure of sshd_config: lines, `keyword value` / `keyword=value`, quoting,
//! comments, `Include` expansion and `Match` block structure.
//!
//! Follows OpenSSH 9.2p1 `servconf.c` (`load_server_config`, `process_server_config_line_depth`,
//! `parse_server_config_depth`) and `misc.c` (`strdelim`, `argv_split`). What a keyword's value
//! means is decided in `keywords.rs`; this module only produces the ordered list of directives,
//! each with its file:line and the Match block it belongs to.

use super::system::System;
use crate::facts::{FactError, Source};
use crate::rootfs::RootFs;

/// sshd's SSHDIR: relative `Include` paths are taken relative to it (sshd_config(5) "Include").
pub(super) const SSHDIR: &str = "/etc/ssh";
/// `SERVCONF_MAX_DEPTH` in servconf.c: deeper nesting (including any include loop) is fatal.
const MAX_DEPTH: usize = 16;
/// Bound on directives after include expansion, so a hostile fan-out of includes cannot blow up.
const MAX_DIRECTIVES: usize = 200_000;
/// Bound on files read through `Include`, counting a file each time it is included. The depth
/// limit alone does not bound the work: ten files per level that each include the next level's
/// ten, fifteen levels deep, is 10^15 inclusions without a loop and without a single directive.
const MAX_INCLUDED_FILES: usize = 4096;
/// Bound on the bytes of the whole include tree, counting a file each time it is read: one large
/// file included thousands of times stays within [`MAX_INCLUDED_FILES`] but not within this.
pub(super) const MAX_TREE_BYTES: u64 = 64 << 20;
/// Bound on `Include` glob patterns expanded, whether or not they match: each one lists a
/// directory, and thousands of globs that match nothing in a large directory are work too.
pub(super) const MAX_INCLUDE_GLOBS: usize = 1024;
/// Bound on the words of one directive (sshd has none; the longest real lists, AllowUsers and
/// friends, hold hundreds). One line of millions of words would otherwise hold gigabytes.
pub(super) const MAX_WORDS: usize = 16_384;

/// One keyword line, after include expansion.
#[derive(Debug, Clone)]
pub(super) struct Directive {
    /// The keyword as written (for messages).
    pub keyword: String,
    /// Arguments split with `argv_split` semantics (quotes removed, `#` ends the line).
    pub args: Vec<String>,
    /// The raw text after the keyword (ForceCommand, VersionAddendum and the
    /// Authorized*Command keywords take the rest of the line verbatim).
    pub rest: String,
    /// Where it was written.
    pub source: Source,
    /// The Match block it belongs to (None: global section).
    pub block: Option<usize>,
}

/// One Match criterion.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Criterion {
    /// `all`.
    All,
    /// `User` pattern-list.
    User(String),
    /// `Group` pattern-list.
    Group(String),
    /// `Host` pattern-list.
    Host(String),
    /// `Address` address/CIDR list.
    Address(String),
    /// `LocalAddress` address/CIDR list.
    LocalAddress(String),
    /// `LocalPort` number (a service name resolved).
    LocalPort(i32),
    /// `RDomain` pattern-list.
    RDomain(String),
}

/// A `Match` line and the block it opens.
#[derive(Debug, Clone)]
pub(super) struct Block {
    /// The criteria as written after `Match` (comment stripped).
    pub text: String,
    /// Parsed criteria (ANDed).
    pub criteria: Vec<Criterion>,
    /// Where the Match line is.
    pub source: Source,
    /// The block the containing file was included from: a nested block is active only when its
    /// parent is (servconf.c passes SSHCFG_NEVERMATCH to includes inside an inactive Match).
    pub parent: Option<usize>,
}

/// The whole configuration, in file order.
#[derive(Debug, Clone, Default)]
pub(super) struct Config {
    /// Every directive except Match and Include, in the order sshd processes them.
    pub directives: Vec<Directive>,
    /// Match blocks, in order of appearance.
    pub blocks: Vec<Block>,
    /// Files read, in order.
    pub files: Vec<String>,
    /// The first file an `Include` glob listed that cannot be opened (a dangling symlink): sshd's
    /// `load_server_config` exits on it. The file and the Include line.
    pub unopenable_include: Option<(String, Source)>,
    /// The passwd, group and services databases of the root, for `~`, `Match Group` and port
    /// names.
    pub sys: System,
    /// Bytes read so far through the include tree (see [`MAX_TREE_BYTES`]).
    bytes: u64,
    /// Include globs expanded so far (see [`MAX_INCLUDE_GLOBS`]).
    globs: usize,
    /// Whether `Include` is read (see [`load`]).
    includes: bool,
}

/// `strdelim_internal` from misc.c over one line: each call splits the next token off at
/// whitespace, a double quote (the quoted part is unquoted) or, with `split_equals`, one `=`.
/// sshd works in place on the line; this keeps a position instead, so splitting a line is linear
/// in its length however many words it has (copying the rest of the line for every word made a
/// line of a million words quadratic).
pub(super) struct Delim<'a> {
    buf: &'a [u8],
    /// Where the rest starts; None once exhausted (sshd's `*s == NULL`).
    pos: Option<usize>,
    /// Bytes examined or copied so far: the measure of the splitter's work, which tests hold
    /// to the line's length.
    work: usize,
}

impl<'a> Delim<'a> {
    /// A splitter over `buf`.
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Delim {
            buf,
            pos: Some(0),
            work: 0,
        }
    }

    /// What is left after the tokens taken so far (None once exhausted).
    pub(super) fn rest(&self) -> Option<&'a [u8]> {
        self.pos.map(|p| self.buf.get(p..).unwrap_or_default())
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        while self.buf.get(i).is_some_and(|c| DELIM_WS.contains(c)) {
            i += 1;
        }
        i
    }

    /// The next token; None when exhausted or a quote is unterminated.
    pub(super) fn next(&mut self, split_equals: bool) -> Option<Vec<u8>> {
        let start = self.pos.take()?;
        let b = self.buf.get(start..).unwrap_or_default();
        let is_delim = |c: &u8| DELIM_WS.contains(c) || *c == b'"' || (split_equals && *c == b'=');
        let Some(p) = b.iter().position(is_delim) else {
            self.work += 2 * b.len();
            return Some(b.to_vec());
        };
        if b.get(p) == Some(&b'"') {
            let after = b.get(p + 1..).unwrap_or_default();
            let Some(q) = after.iter().position(|&c| c == b'"') else {
                self.work += b.len();
                return None;
            };
            let mut tok = b.get(..p)?.to_vec();
            tok.extend_from_slice(after.get(..q)?);
            let next = self.skip_ws(start + p + q + 2);
            self.work += next - start + tok.len();
            self.pos = Some(next);
            return Some(tok);
        }
        let wspace = split_equals && b.get(p) == Some(&b'=');
        let tok = b.get(..p)?.to_vec();
        let mut i = self.skip_ws(start + p + 1);
        if split_equals && !wspace && self.buf.get(i) == Some(&b'=') {
            i = self.skip_ws(i + 1);
        }
        self.work += i - start + tok.len();
        self.pos = Some(i);
        Some(tok)
    }

    /// Bytes examined or copied so far.
    #[cfg(test)]
    pub(super) fn work(&self) -> usize {
        self.work
    }
}

/// sshd's WHITESPACE.
const DELIM_WS: &[u8] = b" \t\r\n";

/// `argv_split(s, …, terminate_on_comment=1)` from misc.c: whitespace-separated words, `"` and
/// `'` quote (and may start mid-word), `\` escapes a quote, a backslash or (outside quotes) a
/// space; a `#` at the start of a word ends the line. Err on an unterminated quote.
pub(super) fn argv_split(s: &str) -> Result<Vec<String>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if out.len() >= MAX_WORDS {
            return Err(format!(
                "more than {MAX_WORDS} words on one line (the bound on words per directive)"
            ));
        }
        if b[i] == b' ' || b[i] == b'\t' {
            i += 1;
            continue;
        }
        if b[i] == b'#' {
            break;
        }
        let mut quote = 0u8;
        let mut arg = Vec::new();
        while i < b.len() {
            let c = b[i];
            if c == b'\\' {
                let n = b.get(i + 1).copied();
                if matches!(n, Some(b'\'' | b'"' | b'\\')) || (quote == 0 && n == Some(b' ')) {
                    i += 1;
                    arg.push(b[i]);
                } else {
                    arg.push(c);
                }
            } else if quote == 0 && (c == b' ' || c == b'\t') {
                break;
            } else if quote == 0 && (c == b'"' || c == b'\'') {
                quote = c;
            } else if quote != 0 && c == quote {
                quote = 0;
            } else {
                arg.push(c);
            }
            i += 1;
        }
        if i >= b.len() && quote != 0 {
            return Err("invalid quotes".into());
        }
        out.push(String::from_utf8_lossy(&arg).into_owned());
    }
    Ok(out)
}

/// What one line holds, before the keyword is interpreted.
#[derive(Debug, PartialEq)]
pub(super) enum LineKind {
    /// Empty or comment.
    Blank,
    /// A keyword with its raw rest and split arguments.
    Keyword {
        keyword: String,
        rest: String,
        args: Vec<String>,
    },
}

/// Splits one line the way `process_server_config_line_depth` does. `line` is one line of the
/// file without its newline.
pub(super) fn parse_line(line: &str) -> Result<LineKind, String> {
    // load_server_config strips leading " \t\r"; process_… strips trailing whitespace and \f
    // (never the first character).
    let mut t = line.trim_start_matches([' ', '\t', '\r']).to_owned();
    while t.len() > 1 && t.ends_with([' ', '\t', '\r', '\n', '\x0c']) {
        t.pop();
    }
    if t.is_empty() {
        return Ok(LineKind::Blank);
    }
    let mut s = Delim::new(t.as_bytes());
    let Some(mut kw) = s.next(true) else {
        return Ok(LineKind::Blank);
    };
    if kw.is_empty() {
        match s.next(true) {
            Some(k) => kw = k,
            None => return Ok(LineKind::Blank),
        }
    }
    if kw.is_empty() || kw.first() == Some(&b'#') {
        return Ok(LineKind::Blank);
    }
    let keyword = String::from_utf8_lossy(&kw).into_owned();
    let rest = s
        .rest()
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .unwrap_or_default();
    if rest.is_empty() {
        return Err(format!("no argument after keyword {}", shown_keyword(&keyword)));
    }
    let args = argv_split(&rest)?;
    Ok(LineKind::Keyword { keyword, rest, args })
}

/// A keyword as quoted in an error message: only a word that could be a keyword (letters, at
/// most 32) is shown. Any other first word of a line is not: an `Include` of a file that is not
/// a configuration (/etc/shadow, a private key) must not copy its contents into a report.
pub(super) fn shown_keyword(k: &str) -> String {
    if !k.is_empty() && k.len() <= 32 && k.bytes().all(|c| c.is_ascii_alphabetic()) {
        format!("\"{k}\"")
    } else {
        format!("(a first word of {} bytes that is no keyword, not shown)", k.len())
    }
}

/// `match_cfg_line` syntax half: parses the criteria after `Match` (split with `strdelim`
/// without `=`; a word starting with `#` ends the line).
pub(super) fn parse_match(rest: &str, sys: &System) -> Result<(Vec<Criterion>, String), String> {
    let mut s = Delim::new(rest.as_bytes());
    let mut out = Vec::new();
    let mut words = Vec::new();
    let next = |s: &mut Delim| s.next(true).map(|w| String::from_utf8_lossy(&w).into_owned());
    while let Some(attrib) = next(&mut s) {
        if attrib.is_empty() || attrib.starts_with('#') {
            break;
        }
        if attrib.eq_ignore_ascii_case("all") {
            let after = next(&mut s);
            if !out.is_empty() || after.as_deref().is_some_and(|a| !a.is_empty() && !a.starts_with('#')) {
                return Err("'all' cannot be combined with other Match attributes".into());
            }
            return Ok((vec![Criterion::All], attrib));
        }
        let arg = match next(&mut s) {
            Some(a) if !a.is_empty() && !a.starts_with('#') => a,
            _ => return Err(format!("missing Match criteria for {attrib}")),
        };
        let c = match attrib.to_ascii_lowercase().as_str() {
            "user" => Criterion::User(arg.clone()),
            "group" => Criterion::Group(arg.clone()),
            "host" => Criterion::Host(arg.clone()),
            "address" | "localaddress" => {
                if super::matching::addr_match_list(None, &arg) == -2 {
                    return Err(format!(
                        "invalid Match {} argument '{arg}'",
                        attrib.to_ascii_lowercase()
                    ));
                }
                if attrib.eq_ignore_ascii_case("address") {
                    Criterion::Address(arg.clone())
                } else {
                    Criterion::LocalAddress(arg.clone())
                }
            }
            "localport" => match super::system::a2port(&arg, sys)? {
                Some(p) => Criterion::LocalPort(p),
                None => return Err(format!("invalid LocalPort '{arg}' on Match line")),
            },
            "rdomain" => Criterion::RDomain(arg.clone()),
            _ => return Err(format!("unsupported Match attribute {attrib}")),
        };
        words.push(format!("{attrib} {arg}"));
        out.push(c);
    }
    if out.is_empty() {
        return Err("one or more attributes required for Match".into());
    }
    Ok((out, words.join(" ")))
}

/// Reads `path` and everything it includes into a [`Config`]. `Ok(None)` when `path` is absent.
/// `includes`: whether the build reads `Include` (8.2p1 and later); before, an `Include` line is
/// a directive like any other, which the keyword table then refuses.
pub(super) fn load(fs: &RootFs, path: &str, includes: bool) -> Result<Option<Config>, FactError> {
    let Some(text) = fs.read_text(path)? else {
        return Ok(None);
    };
    let mut cfg = Config {
        sys: System::load(fs),
        includes,
        ..Config::default()
    };
    parse_file(fs, &mut cfg, path, &text, 0, None)?;
    Ok(Some(cfg))
}

/// Reads one file an `Include` glob listed: its text, `Some("")` for a directory (fopen(3)
/// opens one and getline(3) reads nothing from it), None when it cannot be opened (a dangling
/// symbolic link).
fn read_included(fs: &RootFs, file: &str) -> Result<Option<String>, FactError> {
    if let Some(m) = fs.metadata(file)?
        && m.kind == crate::rootfs::Kind::Directory
    {
        return Ok(Some(String::new()));
    }
    Ok(fs.read_text(file)?)
}

fn parse_file(
    fs: &RootFs,
    cfg: &mut Config,
    path: &str,
    text: &str,
    depth: usize,
    base: Option<usize>,
) -> Result<(), FactError> {
    if depth > MAX_DEPTH {
        return Err(FactError::IncludeDepth {
            path: path.into(),
            depth: MAX_DEPTH,
        });
    }
    if cfg.files.len() >= MAX_INCLUDED_FILES {
        return Err(FactError::Limit {
            path: path.into(),
            limit: MAX_INCLUDED_FILES as u64,
            what: "configuration files read through include (an include fan-out?)",
        });
    }
    cfg.bytes += text.len() as u64;
    if cfg.bytes > MAX_TREE_BYTES {
        return Err(FactError::Limit {
            path: path.into(),
            limit: MAX_TREE_BYTES,
            what: "bytes in the sshd configuration and the files it includes (a file counted each time it is included)",
        });
    }
    cfg.files.push(path.to_owned());
    // A Match inside an included file ends with that file: the includer's state is restored.
    let mut block = base;
    let err = |line: usize, msg: String| FactError::Parse {
        path: path.to_owned(),
        line: line as u32,
        msg,
    };
    for (i, line) in text.split('\n').enumerate() {
        let lineno = i + 1;
        let (keyword, rest, args) = match parse_line(line).map_err(|m| err(lineno, m))? {
            LineKind::Blank => continue,
            LineKind::Keyword { keyword, rest, args } => (keyword, rest, args),
        };
        let source = Source::at(path, lineno as u32);
        if keyword.eq_ignore_ascii_case("match") {
            let (criteria, text) =
                parse_match(&rest, &cfg.sys).map_err(|m| err(lineno, format!("bad Match condition: {m}")))?;
            cfg.blocks.push(Block {
                text,
                criteria,
                source,
                parent: base,
            });
            block = Some(cfg.blocks.len() - 1);
            continue;
        }
        if cfg.includes && keyword.eq_ignore_ascii_case("include") {
            if args.is_empty() {
                return Err(err(lineno, format!("{keyword} missing filename argument")));
            }
            for arg in &args {
                if arg.is_empty() {
                    return Err(err(lineno, format!("keyword {keyword} empty argument")));
                }
                // servconf.c: a pattern not starting with '/' or '~' is relative to SSHDIR; one
                // starting with '~' goes to glob(3) as it is (no GLOB_TILDE), relative to sshd's
                // working directory, /.
                let pattern = if arg.starts_with('/') || arg.starts_with('~') {
                    arg.clone()
                } else {
                    format!("{SSHDIR}/{arg}")
                };
                cfg.globs += 1;
                if cfg.globs > MAX_INCLUDE_GLOBS {
                    return Err(err(
                        lineno,
                        format!(
                            "more than {MAX_INCLUDE_GLOBS} Include patterns expanded in all, matching or not (the bound on Include globs)"
                        ),
                    ));
                }
                // glob(3) with no flags: sorted in byte order, no match is not an error.
                for file in fs.glob(&pattern)? {
                    let Some(inc) = read_included(fs, &file)? else {
                        // glob(3) lists a dangling symlink; fopen then fails and sshd exits.
                        cfg.unopenable_include.get_or_insert((file, source.clone()));
                        continue;
                    };
                    parse_file(fs, cfg, &file, &inc, depth + 1, block)?;
                }
            }
            continue;
        }
        if cfg.directives.len() >= MAX_DIRECTIVES {
            return Err(FactError::Limit {
                path: path.into(),
                limit: MAX_DIRECTIVES as u64,
                what: "directives after includes",
            });
        }
        cfg.directives.push(Directive {
            keyword,
            args,
            rest,
            source,
            block,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(line: &str) -> (String, Vec<String>) {
        match parse_line(line).unwrap() {
            LineKind::Keyword { keyword, args, .. } => (keyword, args),
            LineKind::Blank => panic!("blank"),
        }
    }

    #[test]
    fn keyword_equals_value_and_spaces_around_equals() {
        assert_eq!(
            kw("PasswordAuthentication=no"),
            ("PasswordAuthentication".into(), vec!["no".into()])
        );
        assert_eq!(
            kw("PasswordAuthentication = no"),
            ("PasswordAuthentication".into(), vec!["no".into()])
        );
        assert_eq!(
            kw("  PasswordAuthentication\tno\r"),
            ("PasswordAuthentication".into(), vec!["no".into()])
        );
        // Only one '=' is a separator: the second becomes an argument (sshd then rejects it).
        assert_eq!(
            kw("PasswordAuthentication == no").1,
            vec!["=".to_owned(), "no".to_owned()]
        );
    }

    #[test]
    fn comments_only_at_word_start() {
        assert_eq!(parse_line("# PasswordAuthentication no").unwrap(), LineKind::Blank);
        assert_eq!(kw("Port 22 # ssh").1, vec!["22".to_owned()]);
        assert_eq!(kw("Port 22#x").1, vec!["22#x".to_owned()]);
    }

    #[test]
    fn argv_split_quotes_and_escapes() {
        assert_eq!(
            argv_split(r#"a "b c" 'd e'f g\ h"#).unwrap(),
            vec!["a", "b c", "d ef", "g h"]
        );
        assert!(argv_split("\"open").is_err());
    }

    #[test]
    fn missing_argument_is_an_error() {
        assert!(parse_line("PermitRootLogin").is_err());
        assert!(parse_line("PermitRootLogin   ").is_err());
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn include_fan_out_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let ssh = dir.path().join("etc/ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        std::fs::write(ssh.join("sshd_config"), "Include /etc/ssh/l0/*\n").unwrap();
        for level in 0..15 {
            let d = ssh.join(format!("l{level}"));
            std::fs::create_dir_all(&d).unwrap();
            for i in 0..10 {
                let body = if level == 14 {
                    "Port 22\n".to_owned()
                } else {
                    format!("Include /etc/ssh/l{}/*\n", level + 1)
                };
                std::fs::write(d.join(i.to_string()), body).unwrap();
            }
        }
        let fs = RootFs::open(dir.path()).unwrap();
        let e = load(&fs, "/etc/ssh/sshd_config", true).unwrap_err().to_string();
        assert!(e.contains("more than 4096 configuration files"), "{e}");
    }

    /// The splitter's work over a line of `words` Match criteria: every word taken in turn.
    fn split_work(words: usize) -> (usize, usize) {
        let line = "User alice ".repeat(words / 2);
        let mut d = Delim::new(line.as_bytes());
        let mut n = 0;
        while d.next(true).is_some() {
            n += 1;
        }
        (d.work(), n)
    }

    #[test]
    fn splitting_a_line_is_linear_in_its_length() {
        // Copying the rest of the line for every word made a 1.4 MiB Match line take 23 s:
        // the work for twice the words must be about twice the work, not four times.
        let (w1, n1) = split_work(50_000);
        let (w2, n2) = split_work(100_000);
        assert!(n2 >= 2 * n1 - 1 && n1 >= 50_000, "{n1} {n2}");
        assert!(w2 <= 2 * w1 + 64, "work {w1} for {n1} words, {w2} for {n2}");
        assert!(w1 <= 3 * "User alice ".len() * 25_000, "work {w1} for a line of 275 KB");
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn a_directive_of_too_many_words_is_an_error_naming_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let ssh = dir.path().join("etc/ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        let ok = format!("AllowUsers{}\n", " u".repeat(MAX_WORDS));
        std::fs::write(ssh.join("sshd_config"), &ok).unwrap();
        let fs = RootFs::open(dir.path()).unwrap();
        assert!(load(&fs, "/etc/ssh/sshd_config", true).is_ok());
        let bad = format!("Port 22\nAllowUsers{}\n", " u".repeat(MAX_WORDS + 1));
        std::fs::write(ssh.join("sshd_config"), &bad).unwrap();
        let e = load(&fs, "/etc/ssh/sshd_config", true).unwrap_err().to_string();
        assert!(
            e.starts_with("/etc/ssh/sshd_config:2: ") && e.contains("bound on words per directive"),
            "{e}"
        );
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn include_globs_that_match_nothing_count_against_a_bound() {
        let dir = tempfile::tempdir().unwrap();
        let ssh = dir.path().join("etc/ssh");
        std::fs::create_dir_all(ssh.join("big")).unwrap();
        for i in 0..50 {
            std::fs::write(ssh.join("big").join(format!("f{i}")), "").unwrap();
        }
        let line = "Include big/*.nothing\n";
        std::fs::write(ssh.join("sshd_config"), line.repeat(MAX_INCLUDE_GLOBS)).unwrap();
        let fs = RootFs::open(dir.path()).unwrap();
        assert!(load(&fs, "/etc/ssh/sshd_config", true).is_ok());
        std::fs::write(ssh.join("sshd_config"), line.repeat(MAX_INCLUDE_GLOBS + 1)).unwrap();
        let e = load(&fs, "/etc/ssh/sshd_config", true).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("/etc/ssh/sshd_config:{}: ", MAX_INCLUDE_GLOBS + 1))
                && e.contains("bound on Include globs"),
            "{e}"
        );
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn the_include_tree_is_bounded_in_bytes_not_only_in_files() {
        // One 4 MiB file included 17 times: 17 files, far below the file bound, but 68 MiB.
        let dir = tempfile::tempdir().unwrap();
        let ssh = dir.path().join("etc/ssh");
        std::fs::create_dir_all(&ssh).unwrap();
        let big = format!("#{}\n", "x".repeat(1 << 20)).repeat(4);
        std::fs::write(ssh.join("big.conf"), &big).unwrap();
        let n = (MAX_TREE_BYTES / big.len() as u64) as usize;
        std::fs::write(ssh.join("sshd_config"), "Include big.conf\n".repeat(n)).unwrap();
        let fs = RootFs::open(dir.path()).unwrap();
        assert!(load(&fs, "/etc/ssh/sshd_config", true).is_ok());
        std::fs::write(ssh.join("sshd_config"), "Include big.conf\n".repeat(n + 1)).unwrap();
        let e = load(&fs, "/etc/ssh/sshd_config", true).unwrap_err();
        assert!(
            matches!(&e, FactError::Limit { path, limit: MAX_TREE_BYTES, .. } if path == "/etc/ssh/big.conf"),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "/etc/ssh/big.conf: more than 67108864 bytes in the sshd configuration and the files it includes \
             (a file counted each time it is included), refusing a partial answer"
        );
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn an_included_password_hash_never_reaches_an_error_message() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/ssh")).unwrap();
        let hash =
            "$6$Zq0Ks1aLtSalt$8fWcbJm0rDpHashHashHashHashHashHashHashHashHashHashHashHash0123456789abcdefABCDEFghij./";
        std::fs::write(
            dir.path().join("etc/shadow"),
            format!("root:{hash}:19000:0:99999:7:::\nalice:{hash}:19000:0:99999:7:::\n"),
        )
        .unwrap();
        std::fs::write(dir.path().join("etc/ssh/sshd_config"), "Include /etc/shadow\n").unwrap();
        let fs = RootFs::open(dir.path()).unwrap();
        let e = crate::facts::sshd::collect_sshd(&fs, None).unwrap_err().to_string();
        assert!(e.starts_with("/etc/shadow:1: "), "{e}");
        for secret in ["$6$", "Zq0Ks1aL", "Hash", "root:", "19000"] {
            assert!(!e.contains(secret), "{secret} in {e}");
        }
        // A keyword-like first word is still named, for a typo to be found.
        std::fs::write(dir.path().join("etc/ssh/sshd_config"), "PasswordAuthentcation no\n").unwrap();
        let e = crate::facts::sshd::render_sshd_t(&fs, None, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"PasswordAuthentcation\""), "{e}");
    }

    #[test]
    fn match_criteria_parse() {
        let (c, t) = parse_match("User alice,bob Address 10.0.0.0/8 # x", &System::default()).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(t, "User alice,bob Address 10.0.0.0/8");
        assert!(parse_match("all User x", &System::default()).is_err());
        assert!(parse_match("User", &System::default()).is_err());
        assert!(parse_match("Colour red", &System::default()).is_err());
        assert!(parse_match("Address 10.0.0.1/8", &System::default()).is_err());
    }
}
