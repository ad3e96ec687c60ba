//! The rpm database, read offline without rpm, in any of its formats: the sqlite backend of
//! rpm ≥ 4.16 (rpmdb.sqlite: EL9, Amazon Linux 2023, Fedora ≥ 33), the Berkeley DB of rpm ≤ 4.15
//! (`Packages`: CentOS 7, EL8, Amazon Linux 2; read by [`super::bdb`]) and ndb (`Packages.db`:
//! SUSE; read by [`super::ndb`]), under
//! /var/lib/rpm or /usr/lib/sysimage/rpm. [`each_header`] is the one reader both the package list
//! and the file-digest check use.
//!
//! The file's bytes are read through RootFs and opened as an in-memory sqlite database
//! (`sqlite3_deserialize`), so nothing is written next to the scanned file and no lock or journal
//! is created in the root. Table `Packages(hnum, blob)` holds one rpm header per installed package;
//! the header is parsed here (rpm's lib/header.c layout, as stored in the rpmdb without lead or
//! magic): big-endian `il` (index entry count) and `dl` (data length), `il` 16-byte entries
//! `{tag, type, offset, count}`, then the data store. Tags read: NAME 1000, VERSION 1001,
//! RELEASE 1002, EPOCH 1003, ARCH 1022, SOURCERPM 1044. Every offset is bounds-checked; a damaged
//! header is an error naming its `hnum`, never a skipped package.
//!
//! A database in WAL mode is opened by rewriting the copy's header to rollback mode (bytes 18–19),
//! since an in-memory database cannot use a WAL; a non-empty `rpmdb.sqlite-wal` next to it holds
//! committed changes an offline read would miss, so that is an error.
//!
//! SUSE's ndb backend (`Packages.db`, openSUSE and SLES ≥ 15 SP3) is read by [`super::ndb`].

use rusqlite::{Connection, OpenFlags};

use compact_str::CompactString;

use super::{Instance, Manager, Package, Packages, group};
use crate::facts::{FactError, Source};
use crate::rootfs::RootFs;
use crate::version::rpm_cmp;

/// Upper bound on the rpmdb size read into memory, which is also about the most the read holds:
/// the database is held once (see [`each_header`]). The largest real databases, a workstation's
/// thousands of packages, are about half of it; a larger file is an error naming this bound.
pub const DB_LIMIT: u64 = 256 * 1024 * 1024;

pub(crate) const TAG_NAME: u32 = 1000;
pub(crate) const TAG_VERSION: u32 = 1001;
pub(crate) const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;

pub(crate) const TYPE_CHAR: u32 = 1;
pub(crate) const TYPE_INT8: u32 = 2;
pub(crate) const TYPE_INT32: u32 = 4;
pub(crate) const TYPE_STRING: u32 = 6;
pub(crate) const TYPE_STRING_ARRAY: u32 = 8;
pub(crate) const TYPE_I18NSTRING: u32 = 9;

/// The tags imagegate reads from one header.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Header {
    /// NAME.
    pub name: Option<String>,
    /// VERSION.
    pub version: Option<String>,
    /// RELEASE.
    pub release: Option<String>,
    /// EPOCH.
    pub epoch: Option<u32>,
    /// ARCH.
    pub arch: Option<String>,
    /// SOURCERPM (`openssh-8.7p1-38.el9.src.rpm`).
    pub sourcerpm: Option<String>,
}

/// Why an rpm header blob could not be read; the variants name the tag and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Fewer than the 8 bytes of `il` and `dl`.
    #[error("header shorter than 8 bytes")]
    Short,
    /// More index entries or data than rpm itself accepts (hdrchkTags / hdrchkData).
    #[error("implausible header size (il={il}, dl={dl})")]
    Implausible {
        /// Index entries.
        il: usize,
        /// Data store bytes.
        dl: usize,
    },
    /// The blob ends before the data store its sizes announce.
    #[error("header truncated: {len} bytes, needs {need}")]
    Truncated {
        /// The blob's bytes.
        len: usize,
        /// The bytes its index and data store need.
        need: usize,
    },
    /// An index entry lies outside the blob.
    #[error("index entry outside the header")]
    IndexOutside,
    /// A tag holds another type than the one rpm writes for it.
    #[error("tag {tag}{} has type {ty}, expected {expected}", tag_name(*tag))]
    WrongType {
        /// The tag.
        tag: u32,
        /// Its type in the header.
        ty: u32,
        /// The type expected.
        expected: &'static str,
    },
    /// A tag's values start or end outside the data store.
    #[error("tag {tag}{}: values outside the data store", tag_name(*tag))]
    OutsideStore {
        /// The tag.
        tag: u32,
    },
    /// A tag counts more strings than its data store could hold.
    #[error("tag {tag}{}: {count} strings cannot fit the data store", tag_name(*tag))]
    TooManyStrings {
        /// The tag.
        tag: u32,
        /// The count it gives.
        count: usize,
    },
    /// A string runs to the end of the data store without its NUL.
    #[error("tag {tag}{}: unterminated string", tag_name(*tag))]
    Unterminated {
        /// The tag.
        tag: u32,
    },
    /// A tag every package has is absent.
    #[error("no {0}")]
    Missing(&'static str),
    /// The file list's tags disagree in length.
    #[error("{basenames} basenames, {dirindexes} dirindexes, {digests} digests")]
    FileCounts {
        /// BASENAMES.
        basenames: usize,
        /// DIRINDEXES.
        dirindexes: usize,
        /// FILEDIGESTS.
        digests: usize,
    },
    /// A file's directory index points past DIRNAMES.
    #[error("file {0}: directory index outside DIRNAMES")]
    DirIndex(usize),
}

/// ` (NAME)` for the tags read here, for messages.
fn tag_name(tag: u32) -> &'static str {
    match tag {
        TAG_NAME => " (NAME)",
        TAG_VERSION => " (VERSION)",
        TAG_RELEASE => " (RELEASE)",
        TAG_EPOCH => " (EPOCH)",
        TAG_ARCH => " (ARCH)",
        TAG_SOURCERPM => " (SOURCERPM)",
        _ => "",
    }
}

/// Why the rpm database could not be read: its in-image path is in [`FactError::RpmDb`].
#[derive(Debug, thiserror::Error)]
pub enum RpmDbError {
    /// One package's header is damaged.
    #[error("header {hnum}: {error}")]
    Header {
        /// rpm's instance number of the package.
        hnum: i64,
        /// What is wrong with it.
        #[source]
        error: HeaderError,
    },
    /// The sqlite database file is not one.
    #[error("not an sqlite database")]
    NotSqlite,
    /// The file does not fit in memory on this platform.
    #[error("too large")]
    TooLarge,
    /// sqlite failed on the database.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A write-ahead log beside the database holds committed changes.
    #[error("holds uncheckpointed rpmdb changes that an offline read would miss (scan a cleanly shut down image)")]
    UncheckpointedWal,
    /// The Berkeley DB `Packages` is damaged or of another kind.
    #[error(transparent)]
    Bdb(#[from] super::bdb::BdbError),
    /// The ndb `Packages.db` is damaged.
    #[error(transparent)]
    Ndb(#[from] super::ndb::NdbError),
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// A bounds-checked view of one header's index and data store.
/// An rpm header blob (index entries and data store), read tag by tag: shared by the package
/// list and the file-digest check, so the format is parsed one way.
pub(crate) struct HeaderBlob<'a> {
    blob: &'a [u8],
    il: usize,
    data: &'a [u8],
}

impl<'a> HeaderBlob<'a> {
    pub(crate) fn new(blob: &'a [u8]) -> Result<Self, HeaderError> {
        let il = be32(blob, 0).ok_or(HeaderError::Short)? as usize;
        let dl = be32(blob, 4).ok_or(HeaderError::Short)? as usize;
        // rpm's own sanity limits (hdrchkTags / hdrchkData).
        if il > 0xffff || dl > 256 * 1024 * 1024 {
            return Err(HeaderError::Implausible { il, dl });
        }
        let start = 8 + il * 16;
        let data = blob.get(start..start + dl).ok_or(HeaderError::Truncated {
            len: blob.len(),
            need: start + dl,
        })?;
        Ok(HeaderBlob { blob, il, data })
    }

    /// `(type, offset, count)` of `tag`.
    pub(crate) fn entry(&self, tag: u32) -> Option<(u32, usize, usize)> {
        (0..self.il).find_map(|i| {
            let e = 8 + i * 16;
            (be32(self.blob, e)? == tag).then_some(())?;
            Some((
                be32(self.blob, e + 4)?,
                be32(self.blob, e + 8)? as usize,
                be32(self.blob, e + 12)? as usize,
            ))
        })
    }

    pub(crate) fn strings(&self, tag: u32) -> Result<Option<Vec<String>>, HeaderError> {
        let Some((ty, off, count)) = self.entry(tag) else {
            return Ok(None);
        };
        if !matches!(ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return Err(HeaderError::WrongType {
                tag,
                ty,
                expected: "strings",
            });
        }
        let mut rest = self.data.get(off..).ok_or(HeaderError::OutsideStore { tag })?;
        // Each string needs at least its NUL: a count larger than the store is hostile.
        if count > rest.len() {
            return Err(HeaderError::TooManyStrings { tag, count });
        }
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            let end = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or(HeaderError::Unterminated { tag })?;
            // File names among them are opened later: keep every byte (crate::names).
            out.push(crate::names::text(rest.get(..end).unwrap_or_default()).into_owned());
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        Ok(Some(out))
    }

    pub(crate) fn ints(&self, tag: u32) -> Result<Option<Vec<u32>>, HeaderError> {
        let Some((ty, off, count)) = self.entry(tag) else {
            return Ok(None);
        };
        let width = match ty {
            TYPE_INT32 => 4,
            TYPE_CHAR | TYPE_INT8 => 1,
            _ => {
                return Err(HeaderError::WrongType {
                    tag,
                    ty,
                    expected: "integers",
                });
            }
        };
        let bytes = count
            .checked_mul(width)
            .and_then(|n| self.data.get(off..off.checked_add(n)?))
            .ok_or(HeaderError::OutsideStore { tag })?;
        Ok(Some(if width == 4 {
            bytes
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        } else {
            bytes.iter().map(|&b| u32::from(b)).collect()
        }))
    }
}

/// Parses an rpm header blob as stored in the rpmdb.
pub fn parse_header(blob: &[u8]) -> Result<Header, HeaderError> {
    let HeaderBlob { il, data, .. } = HeaderBlob::new(blob)?;
    let string_at = |tag: u32, off: usize| -> Result<String, HeaderError> {
        let rest = data.get(off..).ok_or(HeaderError::OutsideStore { tag })?;
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(HeaderError::Unterminated { tag })?;
        Ok(crate::names::text(rest.get(..end).unwrap_or_default()).into_owned())
    };
    let mut h = Header::default();
    for i in 0..il {
        let e = 8 + i * 16;
        let (Some(tag), Some(ty), Some(off), Some(count)) =
            (be32(blob, e), be32(blob, e + 4), be32(blob, e + 8), be32(blob, e + 12))
        else {
            return Err(HeaderError::IndexOutside);
        };
        let off = off as usize;
        let string = || -> Result<String, HeaderError> {
            match ty {
                TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING if count >= 1 => string_at(tag, off),
                _ => Err(HeaderError::WrongType {
                    tag,
                    ty,
                    expected: "a string",
                }),
            }
        };
        match tag {
            TAG_NAME => h.name = Some(string()?),
            TAG_VERSION => h.version = Some(string()?),
            TAG_RELEASE => h.release = Some(string()?),
            TAG_ARCH => h.arch = Some(string()?),
            TAG_SOURCERPM => h.sourcerpm = Some(string()?),
            TAG_EPOCH => {
                if ty != TYPE_INT32 || count < 1 {
                    return Err(HeaderError::WrongType {
                        tag,
                        ty,
                        expected: "int32",
                    });
                }
                h.epoch = Some(be32(data, off).ok_or(HeaderError::OutsideStore { tag })?);
            }
            _ => {}
        }
    }
    Ok(h)
}

/// `openssh-8.7p1-38.el9.src.rpm` → `openssh`.
fn source_name(srpm: &str) -> Option<String> {
    let base = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))?;
    let (nv, _release) = base.rsplit_once('-')?;
    let (n, _version) = nv.rsplit_once('-')?;
    Some(n.to_owned())
}

/// The rpmdb formats, in the order they are looked for: the first that exists is the database
/// (rpm ≥ 4.16 converts a Berkeley DB in place and leaves no sqlite file behind it).
const DATABASES: &[(&str, Format)] = &[
    ("/var/lib/rpm/rpmdb.sqlite", Format::Sqlite),
    ("/usr/lib/sysimage/rpm/rpmdb.sqlite", Format::Sqlite),
    ("/var/lib/rpm/Packages", Format::Bdb),
    ("/usr/lib/sysimage/rpm/Packages", Format::Bdb),
    ("/var/lib/rpm/Packages.db", Format::Ndb),
    ("/usr/lib/sysimage/rpm/Packages.db", Format::Ndb),
];

/// The in-image paths of every rpmdb file looked for, for "no package database" messages.
pub fn database_paths() -> impl Iterator<Item = &'static str> {
    DATABASES.iter().map(|(p, _)| *p)
}

#[derive(Clone, Copy)]
enum Format {
    Sqlite,
    Bdb,
    Ndb,
}

/// Hands `f` every `(hnum, header blob)` of the root's rpmdb, whichever its format, without
/// collecting the blobs; returns the database's path, or `None` when the root has none. The
/// order is the database's (hnum for sqlite, page order for Berkeley DB, blob order for ndb): callers that show
/// records sort by hnum. The first error of `f` is returned. Shared by the package list and the
/// file-digest check, so both read the same database the same way.
///
/// Memory: the database file is held once (sqlite's in-memory copy, or the Berkeley DB bytes),
/// bounded by [`DB_LIMIT`], plus one header at a time.
pub fn each_header(
    fs: &RootFs,
    mut f: impl FnMut(&str, i64, &[u8]) -> Result<(), FactError>,
) -> Result<Option<String>, FactError> {
    for &(path, format) in DATABASES {
        match format {
            Format::Sqlite => {
                let Some(conn) = fs.read_with(path, DB_LIMIT, |r, size| open_sqlite(path, r, size))? else {
                    continue;
                };
                let conn = conn?;
                let wal = format!("{path}-wal");
                if fs.metadata(&wal)?.is_some_and(|m| m.size > 0) {
                    return Err(FactError::RpmDb {
                        path: wal,
                        error: RpmDbError::UncheckpointedWal,
                    });
                }
                each_row(path, &conn, |hnum, blob| f(path, hnum, blob))?;
                return Ok(Some(path.to_owned()));
            }
            Format::Bdb | Format::Ndb => {
                let Some(bytes) = fs.read_bytes_limited(path, DB_LIMIT)? else {
                    continue;
                };
                each_stored_blob(format, path, &bytes, |hnum, blob| f(path, hnum, blob))?;
                return Ok(Some(path.to_owned()));
            }
        }
    }
    Ok(None)
}

/// Finds and reads the rpmdb; `Ok(None)` when the root has no rpm database at all.
pub fn collect(fs: &RootFs) -> Result<Option<Packages>, FactError> {
    let mut records = Records::default();
    let Some(path) = each_header(fs, |path, hnum, blob| records.add(path, hnum, blob))? else {
        return Ok(None);
    };
    Ok(Some(records.finish(&path)))
}

/// Packages read from header blobs, grouped once every blob is in.
#[derive(Default)]
struct Records {
    records: Vec<(i64, Package)>,
    native: Option<CompactString>,
}

impl Records {
    fn add(&mut self, path: &str, hnum: i64, blob: &[u8]) -> Result<(), FactError> {
        let damaged = |error| FactError::RpmDb {
            path: path.into(),
            error: RpmDbError::Header { hnum, error },
        };
        let h = parse_header(blob).map_err(damaged)?;
        let (Some(name), Some(version)) = (h.name, h.version) else {
            return Err(damaged(HeaderError::Missing("NAME or VERSION")));
        };
        let mut evr = CompactString::default();
        if let Some(e) = h.epoch.filter(|e| *e > 0) {
            evr.push_str(&format!("{e}:"));
        }
        evr.push_str(&version);
        if let Some(r) = &h.release {
            evr.push('-');
            evr.push_str(r);
        }
        let arch = h.arch.map(CompactString::from);
        if name == "rpm" {
            self.native.clone_from(&arch);
        }
        let name = CompactString::from(name);
        let source_package = h
            .sourcerpm
            .as_deref()
            .and_then(source_name)
            .map_or_else(|| name.clone(), CompactString::from);
        self.records.push((
            hnum,
            Package::record(
                name,
                source_package,
                Instance {
                    version: evr,
                    arch,
                    state: "installed".into(),
                    source: Source {
                        path: Some(path.into()),
                        line: None,
                        note: Some(format!("Packages hnum {hnum}")),
                    },
                },
            ),
        ));
        Ok(())
    }

    fn finish(mut self, path: &str) -> Packages {
        // Database order is hnum order (the Berkeley DB hands records over in hash order).
        self.records.sort_by_key(|(hnum, _)| *hnum);
        let records = self.records.into_iter().map(|(_, p)| p).collect();
        group(Manager::Rpm, path, records, self.native.as_deref(), rpm_cmp)
    }
}

/// Opens an in-memory copy of the sqlite rpmdb, read from `r` straight into sqlite's memory.
fn open_sqlite(path: &str, r: &mut dyn std::io::Read, size: u64) -> Result<Connection, FactError> {
    let invalid = |error| FactError::RpmDb {
        path: path.into(),
        error,
    };
    let mut head = [0u8; 100];
    let len = usize::try_from(size).map_err(|_| invalid(RpmDbError::TooLarge))?;
    if len < head.len() || r.read_exact(&mut head).is_err() || !head.starts_with(b"SQLite format 3\0") {
        return Err(invalid(RpmDbError::NotSqlite));
    }
    // WAL mode (file format bytes 18/19 = 2) cannot be opened in memory; the copy is ours.
    if head.get(18..20) == Some(&[2, 2]) {
        head[18] = 1;
        head[19] = 1;
    }
    let sql = |e: rusqlite::Error| invalid(e.into());
    let mut conn =
        Connection::open_in_memory_with_flags(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(sql)?;
    conn.deserialize_read_exact(rusqlite::MAIN_DB, std::io::Read::chain(&head[..], r), len, true)
        .map_err(sql)?;
    Ok(conn)
}

/// Hands `f` each `(hnum, blob)` of the Packages table, in `hnum` order; the first error of `f`
/// is returned (unless the database itself fails).
fn each_row(
    path: &str,
    conn: &Connection,
    mut f: impl FnMut(i64, &[u8]) -> Result<(), FactError>,
) -> Result<(), FactError> {
    let sql = |e: rusqlite::Error| FactError::RpmDb {
        path: path.into(),
        error: e.into(),
    };
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    // After an error of `f` the rows are still read: a damaged database is reported as such
    // before any header in it, as when every row was read first.
    let mut failed = None;
    while let Some(row) = rows.next().map_err(sql)? {
        let hnum: i64 = row.get(0).map_err(sql)?;
        let blob = row.get_ref(1).map_err(sql)?.as_blob().map_err(|e| sql(e.into()))?;
        if failed.is_none()
            && let Err(e) = f(hnum, blob)
        {
            failed = Some(e);
        }
    }
    failed.map_or(Ok(()), Err)
}

/// Reads the packages of an sqlite rpmdb held in memory (tests, fuzzing).
pub fn read_sqlite(path: &str, bytes: Vec<u8>) -> Result<Packages, FactError> {
    let conn = open_sqlite(path, &mut bytes.as_slice(), bytes.len() as u64)?;
    drop(bytes);
    let mut records = Records::default();
    each_row(path, &conn, |hnum, blob| records.add(path, hnum, blob))?;
    Ok(records.finish(path))
}

/// Hands `f` every `(hnum, blob)` of a Berkeley DB or ndb database held in memory; the first
/// error of `f` is returned as it is, a damaged database as an error naming `path`.
fn each_stored_blob(
    format: Format,
    path: &str,
    bytes: &[u8],
    mut f: impl FnMut(i64, &[u8]) -> Result<(), FactError>,
) -> Result<(), FactError> {
    let mut each = |hnum: u32, blob: &[u8]| f(i64::from(hnum), blob);
    let damaged = |error| FactError::RpmDb {
        path: path.into(),
        error,
    };
    match format {
        Format::Ndb => super::ndb::each_blob(bytes, &mut each).map_err(|e| e.into_fact_error(|d| damaged(d.into()))),
        _ => super::bdb::each_blob(bytes, &mut each).map_err(|e| e.into_fact_error(|d| damaged(d.into()))),
    }
}

/// Reads the packages of a Berkeley DB rpmdb (`Packages`) held in memory (tests, fuzzing).
pub fn read_bdb(path: &str, bytes: &[u8]) -> Result<Packages, FactError> {
    let mut records = Records::default();
    each_stored_blob(Format::Bdb, path, bytes, |hnum, blob| records.add(path, hnum, blob))?;
    Ok(records.finish(path))
}

/// Reads the packages of an ndb rpmdb (`Packages.db`) held in memory (tests, fuzzing).
pub fn read_ndb(path: &str, bytes: &[u8]) -> Result<Packages, FactError> {
    let mut records = Records::default();
    each_stored_blob(Format::Ndb, path, bytes, |hnum, blob| records.add(path, hnum, blob))?;
    Ok(records.finish(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a header blob with string tags and an optional epoch, as rpm stores them.
    pub(crate) fn header(tags: &[(u32, &str)], epoch: Option<u32>) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        let mut n = 0u32;
        if let Some(e) = epoch {
            index.extend_from_slice(
                &[TAG_EPOCH, TYPE_INT32, data.len() as u32, 1]
                    .map(u32::to_be_bytes)
                    .concat(),
            );
            data.extend_from_slice(&e.to_be_bytes());
            n += 1;
        }
        for (tag, s) in tags {
            index.extend_from_slice(&[*tag, TYPE_STRING, data.len() as u32, 1].map(u32::to_be_bytes).concat());
            data.extend_from_slice(s.as_bytes());
            data.push(0);
            n += 1;
        }
        let mut out = Vec::new();
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    #[test]
    fn header_tags_and_epoch() {
        let b = header(
            &[
                (TAG_NAME, "openssh-server"),
                (TAG_VERSION, "8.7p1"),
                (TAG_RELEASE, "38.el9"),
                (TAG_ARCH, "x86_64"),
            ],
            Some(1),
        );
        let h = parse_header(&b).unwrap();
        assert_eq!(h.name.as_deref(), Some("openssh-server"));
        assert_eq!(h.epoch, Some(1));
        assert_eq!(h.arch.as_deref(), Some("x86_64"));
    }

    #[test]
    fn truncated_header_is_an_error_not_a_panic() {
        let b = header(&[(TAG_NAME, "bash"), (TAG_VERSION, "5.1.8")], None);
        for cut in 0..b.len() {
            assert!(parse_header(&b[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn damaged_headers_are_typed_errors_naming_the_tag() {
        let b = header(&[(TAG_NAME, "bash"), (TAG_VERSION, "5.1.8")], None);
        assert_eq!(parse_header(&b[..4]), Err(HeaderError::Short));
        assert_eq!(
            parse_header(&b[..b.len() - 1]),
            Err(HeaderError::Truncated {
                len: b.len() - 1,
                need: b.len()
            })
        );
        let mut far = b.clone();
        far[16..20].copy_from_slice(&1000u32.to_be_bytes());
        let e = parse_header(&far).unwrap_err();
        assert_eq!(e, HeaderError::OutsideStore { tag: TAG_NAME });
        assert_eq!(e.to_string(), "tag 1000 (NAME): values outside the data store");
    }

    #[test]
    fn rpmdb_errors_say_which_database_and_which_header() {
        // A header too short to hold its sizes, in an otherwise sound ndb database.
        let db = crate::facts::packages::ndb::tests::db(1, &[(4, b"junk")]);
        match read_ndb("/x/Packages.db", &db) {
            Err(FactError::RpmDb {
                path,
                error:
                    RpmDbError::Header {
                        hnum: 4,
                        error: HeaderError::Short,
                    },
            }) => assert_eq!(path, "/x/Packages.db"),
            other => panic!("{other:?}"),
        }
        // A file that is no ndb database at all.
        assert!(matches!(
            read_ndb("/x/Packages.db", b"not a database"),
            Err(FactError::RpmDb {
                error: RpmDbError::Ndb(crate::facts::packages::ndb::NdbError::NotNdb),
                ..
            })
        ));
        // A header without NAME.
        let db = crate::facts::packages::ndb::tests::db(1, &[(7, &header(&[(TAG_VERSION, "1")], None))]);
        assert!(matches!(
            read_ndb("/x/Packages.db", &db),
            Err(FactError::RpmDb {
                error: RpmDbError::Header {
                    hnum: 7,
                    error: HeaderError::Missing(_)
                },
                ..
            })
        ));
    }

    #[test]
    fn offsets_outside_the_store_are_errors() {
        let mut b = header(&[(TAG_NAME, "bash")], None);
        b[16..20].copy_from_slice(&1000u32.to_be_bytes());
        assert!(parse_header(&b).is_err());
        let mut b = header(&[(TAG_NAME, "bash")], None);
        b[0..4].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
        assert!(parse_header(&b).is_err());
    }

    #[test]
    fn source_rpm_name_strips_version_release() {
        assert_eq!(source_name("openssh-8.7p1-38.el9.src.rpm").as_deref(), Some("openssh"));
        assert_eq!(
            source_name("python-cloud-init-23.4-7.el9.src.rpm").as_deref(),
            Some("python-cloud-init")
        );
        assert_eq!(source_name("garbage"), None);
    }

    #[test]
    fn sqlite_database_from_memory() {
        // Build an rpmdb with rusqlite itself, serialize it and read it back.
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
            .unwrap();
        for (n, v, r) in [
            ("bash", "5.1.8", "9.el9"),
            ("kernel-core", "5.14.0", "427.13.1.el9_4"),
            ("kernel-core", "5.14.0", "362.8.1.el9_3"),
        ] {
            let b = header(
                &[(TAG_NAME, n), (TAG_VERSION, v), (TAG_RELEASE, r), (TAG_ARCH, "x86_64")],
                None,
            );
            conn.execute("INSERT INTO Packages (blob) VALUES (?1)", [b]).unwrap();
        }
        let bytes = conn.serialize(rusqlite::MAIN_DB).unwrap().to_vec();
        let p = read_sqlite("/var/lib/rpm/rpmdb.sqlite", bytes).unwrap();
        assert_eq!(p.count, 2);
        let k = p.get("kernel-core").unwrap();
        assert_eq!(k.version, "5.14.0-427.13.1.el9_4");
        assert_eq!(k.also[0].version, "5.14.0-362.8.1.el9_3");
        assert!(read_sqlite("/x", b"not sqlite".to_vec()).is_err());
    }
}
