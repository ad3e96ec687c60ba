//! /lib/apk/db/installed, apk-tools' installed database (apk-tools doc/apk-v2 "installed database"
//! format, the same letters as APKINDEX): records separated by empty lines, each line a one-letter
//! key, a colon and the value. Used here: `P` name, `V` version, `A` architecture, `o` origin
//! (source package). Ignored: file lists (`F`, `R`, `a`, `M`, `Z`), checksums, dependencies.
//!
//! Every package in the file is installed (apk keeps no removed-package records). A record without
//! `P` or `V` is an error carrying its line (the file is damaged or truncated).

use compact_str::CompactString;

use super::{Instance, Manager, Package, Packages, group};
use crate::facts::{FactError, Source};
use crate::rootfs::RootFs;

/// Path of the installed database.
pub const INSTALLED: &str = "/lib/apk/db/installed";

/// Reads the installed database of `fs` line by line as it streams in, without holding its text.
/// `Ok(None)` when the file is absent.
pub fn read(fs: &RootFs) -> Result<Option<Packages>, FactError> {
    let mut parser = Parser::new(INSTALLED);
    if !super::read_lines(fs, INSTALLED, |n, line| parser.line(n, line))? {
        return Ok(None);
    }
    parser.finish().map(Some)
}

/// Parses the apk installed database read from `path`.
pub fn parse(path: &str, text: &str) -> Result<Packages, FactError> {
    let mut parser = Parser::new(path);
    for (i, raw) in text.lines().enumerate() {
        parser.line(u32::try_from(i + 1).unwrap_or(u32::MAX), raw)?;
    }
    parser.finish()
}

/// The record being read.
#[derive(Default)]
struct Cur {
    line: u32,
    p: Option<CompactString>,
    v: Option<CompactString>,
    a: Option<CompactString>,
    o: Option<CompactString>,
}

/// The database's packages, built as its lines come.
struct Parser<'a> {
    path: &'a str,
    cur: Option<Cur>,
    records: Vec<Package>,
    /// Architecture of the `apk-tools` package.
    native: Option<CompactString>,
}

impl<'a> Parser<'a> {
    fn new(path: &'a str) -> Self {
        Parser {
            path,
            cur: None,
            records: Vec::new(),
            native: None,
        }
    }

    fn line(&mut self, lineno: u32, raw: &str) -> Result<(), FactError> {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            if let Some(c) = self.cur.take() {
                self.record(c)?;
            }
            return Ok(());
        }
        let Some((key, value)) = line.split_once(':').filter(|(k, _)| k.len() == 1) else {
            return Err(FactError::Parse {
                path: self.path.into(),
                line: lineno,
                msg: "expected a one-letter `K:value` line".into(),
            });
        };
        let c = self.cur.get_or_insert_with(|| Cur {
            line: lineno,
            ..Cur::default()
        });
        let v = Some(CompactString::from(value));
        match key {
            "P" => c.p = v,
            "V" => c.v = v,
            "A" => c.a = v,
            "o" => c.o = v,
            _ => {}
        }
        Ok(())
    }

    fn record(&mut self, c: Cur) -> Result<(), FactError> {
        let (Some(name), Some(version)) = (c.p, c.v) else {
            return Err(FactError::Parse {
                path: self.path.into(),
                line: c.line,
                msg: "package record without P: (name) or V: (version) (truncated database?)".into(),
            });
        };
        if name == "apk-tools" {
            self.native.clone_from(&c.a);
        }
        self.records.push(Package::record(
            name.clone(),
            c.o.unwrap_or(name),
            Instance {
                version,
                arch: c.a,
                state: "installed".into(),
                source: Source::at(self.path, c.line),
            },
        ));
        Ok(())
    }

    fn finish(mut self) -> Result<Packages, FactError> {
        if let Some(c) = self.cur.take() {
            self.record(c)?;
        }
        // apk never installs two versions of one name, so the version ordering only breaks ties
        // that cannot occur; plain string order keeps it deterministic.
        Ok(group(
            Manager::Apk,
            self.path,
            self.records,
            self.native.as_deref(),
            |a, b| a.cmp(b),
        ))
    }
}

/// One package record of an APKINDEX: name, version, architecture and the line of its first
/// field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRecord {
    /// `P:`.
    pub name: String,
    /// `V:`.
    pub version: String,
    /// `A:`, when given.
    pub arch: Option<String>,
    /// 1-based line of the record in the APKINDEX text.
    pub line: u32,
}

/// A repository index as `apk update` caches it (`APKINDEX.<hash>.tar.gz`): the package
/// records of its `APKINDEX` member, its `DESCRIPTION` and the member's modification time (when
/// the index was built).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// The package records, in file order.
    pub records: Vec<IndexRecord>,
    /// `DESCRIPTION` (`v3.20.3-165-g0a2f4e6d8e4`), when present.
    pub description: Option<String>,
    /// The `APKINDEX` member's mtime (seconds since the epoch).
    pub built: Option<i64>,
}

/// Reads a cached index: gzip members one after the other (apk's signature, then the index),
/// decompressing at most `limit` bytes, holding one tar stream (ustar/GNU/pax headers). The
/// `APKINDEX` member is required; a record without `P:` or `V:`, a truncated member or a
/// malformed header is an error naming the file and, where it has one, the line.
pub fn read_index(path: &str, compressed: &[u8], limit: u64) -> Result<Index, FactError> {
    use std::io::Read;
    let invalid = |msg: String| FactError::Invalid(format!("{path}: {msg}"));
    let mut tar = Vec::new();
    flate2::read::MultiGzDecoder::new(compressed)
        .take(limit + 1)
        .read_to_end(&mut tar)
        .map_err(|e| invalid(format!("cannot decompress: {e}")))?;
    if tar.len() as u64 > limit {
        return Err(invalid(format!("decompresses to more than {limit} bytes")));
    }
    let (mut index, mut description) = (None, None);
    let mut at = 0usize;
    while let Some(header) = tar.get(at..at + 512) {
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let field = |r: std::ops::Range<usize>| {
            let f = header.get(r).unwrap_or_default();
            f.get(..f.iter().position(|&b| b == 0).unwrap_or(f.len()))
                .unwrap_or_default()
        };
        let octal = |r: std::ops::Range<usize>, what: &str| -> Result<u64, FactError> {
            let f = std::str::from_utf8(field(r)).unwrap_or("?");
            u64::from_str_radix(f.trim(), 8).map_err(|_| invalid(format!("tar header at byte {at}: {what} {f:?}")))
        };
        let size = octal(124..136, "size")?;
        let mtime = octal(136..148, "mtime").ok().and_then(|m| i64::try_from(m).ok());
        let name = String::from_utf8_lossy(field(0..100)).into_owned();
        let start = at + 512;
        let body = usize::try_from(size)
            .ok()
            .and_then(|n| tar.get(start..start.checked_add(n)?))
            .ok_or_else(|| invalid(format!("tar member {name:?} of {size} bytes is truncated")))?;
        match (header.get(156), name.as_str()) {
            (Some(b'0' | 0), "APKINDEX") => index = Some((body, mtime)),
            (Some(b'0' | 0), "DESCRIPTION") => {
                description = Some(String::from_utf8_lossy(body).trim().to_owned());
            }
            _ => {}
        }
        at = start + body.len().div_ceil(512) * 512;
    }
    let Some((body, built)) = index else {
        return Err(invalid("no APKINDEX member: not an apk repository index".into()));
    };
    let text = std::str::from_utf8(body).map_err(|_| invalid("APKINDEX is not UTF-8 text".into()))?;
    let mut records = Vec::new();
    /// The record being read: its first line, `P:`, `V:` and `A:`.
    type Cur<'t> = Option<(u32, Option<&'t str>, Option<&'t str>, Option<&'t str>)>;
    let mut cur: Cur<'_> = None;
    let mut end = |cur: Cur<'_>| -> Result<(), FactError> {
        let Some((line, p, v, a)) = cur else { return Ok(()) };
        let (Some(name), Some(version)) = (p, v) else {
            return Err(FactError::Parse {
                path: format!("{path}:APKINDEX"),
                line,
                msg: "package record without P: (name) or V: (version)".into(),
            });
        };
        records.push(IndexRecord {
            name: name.to_owned(),
            version: version.to_owned(),
            arch: a.map(str::to_owned),
            line,
        });
        Ok(())
    };
    for (i, raw) in text.lines().enumerate() {
        let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() {
            end(cur.take())?;
            continue;
        }
        let Some((key, value)) = line.split_once(':').filter(|(k, _)| k.len() == 1) else {
            return Err(FactError::Parse {
                path: format!("{path}:APKINDEX"),
                line: lineno,
                msg: "expected a one-letter `K:value` line".into(),
            });
        };
        let c = cur.get_or_insert((lineno, None, None, None));
        match key {
            "P" => c.1 = Some(value),
            "V" => c.2 = Some(value),
            "A" => c.3 = Some(value),
            _ => {}
        }
    }
    end(cur.take())?;
    Ok(Index {
        records,
        description,
        built,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tar member as `tar` writes it (ustar header, body padded to 512 bytes).
    pub(crate) fn tar_member(name: &str, body: &[u8], mtime: u64) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(format!("{:011o}", body.len()).as_bytes());
        h[136..147].copy_from_slice(format!("{mtime:011o}").as_bytes());
        h[156] = b'0';
        h[257..262].copy_from_slice(b"ustar");
        h[148..156].fill(b' ');
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        let mut out = h;
        out.extend_from_slice(body);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    /// A cached index as apk writes it: a signature stream, then the index stream.
    pub(crate) fn index_file(records: &str, mtime: u64) -> Vec<u8> {
        use std::io::Write;
        let gz = |bytes: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        };
        let sig = tar_member(
            ".SIGN.RSA.alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub",
            &[7; 256],
            mtime,
        );
        let mut idx = tar_member("DESCRIPTION", b"v3.20.3-165-g0a2f4e6d8e4", mtime);
        idx.extend(tar_member("APKINDEX", records.as_bytes(), mtime));
        idx.extend([0u8; 1024]);
        [gz(&sig), gz(&idx)].concat()
    }

    #[test]
    fn cached_index_two_gzip_members() {
        let f = index_file(
            "C:Q1abc=\nP:musl\nV:1.2.5-r1\nA:x86_64\nS:1\n\nC:Q1def=\nP:openssh-server\nV:9.7_p1-r5\nA:x86_64\n\n",
            1_730_000_000,
        );
        let i = read_index("/var/cache/apk/APKINDEX.1.tar.gz", &f, 1 << 20).unwrap();
        assert_eq!(i.description.as_deref(), Some("v3.20.3-165-g0a2f4e6d8e4"));
        assert_eq!(i.built, Some(1_730_000_000));
        assert_eq!(
            i.records[1],
            IndexRecord {
                name: "openssh-server".into(),
                version: "9.7_p1-r5".into(),
                arch: Some("x86_64".into()),
                line: 7
            }
        );
        // Bounded, truncated and foreign files are errors.
        assert!(
            read_index("/x", &f, 1000)
                .unwrap_err()
                .to_string()
                .contains("more than 1000")
        );
        for cut in [10, f.len() / 2, f.len() - 30] {
            assert!(read_index("/x", &f[..cut], 1 << 20).is_err(), "cut at {cut}");
        }
        assert!(read_index("/x", b"not gzip", 1 << 20).is_err());
        let e = read_index("/x", &index_file("P:musl\nA:x86_64\n", 0), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("without P: (name) or V:"), "{e}");
    }

    /// Byte flips and truncations of a real-shaped index: an error or records, never a panic.
    #[test]
    fn damaged_indexes_never_panic() {
        let f = index_file("P:musl\nV:1.2.5-r1\nA:x86_64\n\nP:zlib\nV:1.3.1-r0\n", 1_730_000_000);
        for b in crate::testing::damaged(0x2545_f491_4f6c_dd1d, &f, 3000) {
            let _ = read_index("/x", &b, 1 << 20);
        }
    }

    #[test]
    fn records_with_origin_and_file_lists() {
        let text = "C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\nS:411512\no:musl\nF:lib\nR:libc.musl-x86_64.so.1\na:0:0:777\n\n\
C:Q1def=\nP:openssh-server\nV:9.7_p1-r4\nA:x86_64\no:openssh\n";
        let p = parse(INSTALLED, text).unwrap();
        assert_eq!(p.count, 2);
        let o = p.get("openssh-server").unwrap();
        assert_eq!(
            (o.version.as_str(), o.source_package.as_str()),
            ("9.7_p1-r4", "openssh")
        );
        assert_eq!(o.source, Source::at(INSTALLED, 11));
    }

    #[test]
    fn record_without_version_is_an_error() {
        let e = parse(INSTALLED, "P:musl\nV:1\n\nP:busybox\nA:x86_64\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/lib/apk/db/installed:4:"), "{e}");
    }

    #[test]
    fn non_key_line_is_an_error() {
        assert!(parse(INSTALLED, "P:musl\nhello world\n").is_err());
    }
}
