//! The file digests rpm recorded, read from the rpmdb's header blobs (the layout
//! `packages::rpm` documents), as `rpm -V` uses them (rpm(8) "VERIFY OPTIONS", lib/verify.c):
//!
//! - the path of file `i` is `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]` (tags 1118, 1116, 1117);
//! - its digest is `FILEDIGESTS[i]` (1035, hex), in the algorithm `FILEDIGESTALGO` (5011: 1 MD5,
//!   8 SHA-256 — the default, 9 SHA-384, 10 SHA-512, 11 SHA-224; MD5 when absent);
//! - an empty digest means "not a regular file" (directories, symlinks, devices): nothing to read;
//! - `FILEFLAGS` (1037): `%config` (1<<0) files are conffiles; `%ghost` (1<<6) files are not
//!   shipped in the package and are skipped, as rpm -V skips them; a `%missingok` (1<<3) file that
//!   is gone is not reported;
//! - `FILESTATES` (1029): only files in state 0 ("normal") are verified; 1 replaced, 2 not
//!   installed (`--excludedocs`, `tsflags=nodocs`, `%_install_langs`), 3 netshared, 4 wrong colour
//!   (the other multilib architecture's copy) are skipped, as rpm -V skips them.
//!
//! SHA-1 (FILEDIGESTALGO 2) and unknown algorithms are not verified: the package is listed under
//! `no_digests` with the reason. `gpg-pubkey` pseudo-packages have no files and are not listed.

use super::{Algo, Item, NoDigests};
use crate::facts::packages::rpm::{HeaderBlob as Header, HeaderError, RpmDbError, TAG_NAME, TAG_RELEASE, TAG_VERSION};
use crate::facts::{FactError, Source};
use crate::rootfs::RootFs;

const TAG_FILESTATES: u32 = 1029;
const TAG_FILEDIGESTS: u32 = 1035;
const TAG_FILEFLAGS: u32 = 1037;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;
const TAG_FILEDIGESTALGO: u32 = 5011;

const RPMFILE_CONFIG: u32 = 1 << 0;
const RPMFILE_MISSINGOK: u32 = 1 << 3;
const RPMFILE_GHOST: u32 = 1 << 6;

/// One verifiable file of a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Absolute path.
    pub path: String,
    /// Hex digest.
    pub digest: String,
    /// `%config`.
    pub config: bool,
    /// `%missingok`.
    pub missingok: bool,
}

/// The file list of one header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Files {
    /// NAME.
    pub name: String,
    /// `version-release`.
    pub evr: String,
    /// The algorithm, or `Err(id)` when unsupported.
    pub algo: Option<Result<Algo, u32>>,
    /// Files with a digest to check.
    pub files: Vec<File>,
    /// Whether the header lists any file at all.
    pub has_files: bool,
    /// Whether it has a FILEDIGESTS tag.
    pub has_digests: bool,
}

/// Parses the file list and digests of one header blob.
pub fn parse_files(blob: &[u8]) -> Result<Files, HeaderError> {
    let h = Header::new(blob)?;
    let one = |tag| -> Result<String, HeaderError> {
        Ok(h.strings(tag)?.and_then(|v| v.into_iter().next()).unwrap_or_default())
    };
    let mut f = Files {
        name: one(TAG_NAME)?,
        evr: format!("{}-{}", one(TAG_VERSION)?, one(TAG_RELEASE)?),
        ..Files::default()
    };
    let Some(base) = h.strings(TAG_BASENAMES)? else {
        return Ok(f);
    };
    f.has_files = !base.is_empty();
    let dirs = h.strings(TAG_DIRNAMES)?.unwrap_or_default();
    let idx = h.ints(TAG_DIRINDEXES)?.unwrap_or_default();
    let Some(digests) = h.strings(TAG_FILEDIGESTS)? else {
        return Ok(f);
    };
    f.has_digests = true;
    let flags = h.ints(TAG_FILEFLAGS)?.unwrap_or_default();
    let states = h.ints(TAG_FILESTATES)?.unwrap_or_default();
    f.algo = Some(match h.ints(TAG_FILEDIGESTALGO)?.and_then(|v| v.first().copied()) {
        None | Some(1) => Ok(Algo::Md5),
        Some(8) => Ok(Algo::Sha256),
        Some(9) => Ok(Algo::Sha384),
        Some(10) => Ok(Algo::Sha512),
        Some(11) => Ok(Algo::Sha224),
        Some(other) => Err(other),
    });
    if digests.len() != base.len() || idx.len() != base.len() {
        return Err(HeaderError::FileCounts {
            basenames: base.len(),
            dirindexes: idx.len(),
            digests: digests.len(),
        });
    }
    for (i, (name, digest)) in base.iter().zip(&digests).enumerate() {
        let fl = flags.get(i).copied().unwrap_or(0);
        let state = states.get(i).copied().unwrap_or(0);
        if digest.is_empty() || fl & RPMFILE_GHOST != 0 || state != 0 {
            continue;
        }
        let dir = idx
            .get(i)
            .and_then(|&d| dirs.get(d as usize))
            .ok_or(HeaderError::DirIndex(i))?;
        f.files.push(File {
            path: format!("{dir}{name}"),
            digest: digest.to_ascii_lowercase(),
            config: fl & RPMFILE_CONFIG != 0,
            missingok: fl & RPMFILE_MISSINGOK != 0,
        });
    }
    Ok(f)
}

/// The files to verify, the packages without digests, and the number of packages checked: from
/// the same reader as the package list ([`crate::facts::packages::rpm::each_header`]), in hnum
/// order.
pub fn items(fs: &RootFs) -> Result<(Vec<Item>, Vec<NoDigests>, usize), FactError> {
    // Per header, in database order: its items, or the reason it has no digests.
    let mut found: Vec<(i64, Result<Vec<Item>, NoDigests>)> = Vec::new();
    let db = crate::facts::packages::rpm::each_header(fs, |path, hnum, blob| {
        let source = Source {
            path: Some(path.to_owned()),
            line: None,
            note: Some(format!("Packages hnum {hnum}")),
        };
        let f = parse_files(blob).map_err(|error| FactError::RpmDb {
            path: path.into(),
            error: RpmDbError::Header { hnum, error },
        })?;
        if !f.has_files {
            return Ok(());
        }
        let reason = match f.algo {
            Some(Ok(algo)) => {
                let mut items = Vec::new();
                for file in f.files {
                    // A `%missingok` file that is gone is fine (rpm -V stays quiet); present, it is
                    // checked.
                    if file.missingok && fs.symlink_metadata(&file.path)?.is_none() {
                        continue;
                    }
                    items.push(Item {
                        package: f.name.clone(),
                        path: file.path,
                        algo,
                        expected: file.digest,
                        conffile: file.config,
                        source: source.clone(),
                    });
                }
                found.push((hnum, Ok(items)));
                return Ok(());
            }
            Some(Err(id)) => format!("file digest algorithm {id} is not supported"),
            None => "the header records no FILEDIGESTS".into(),
        };
        found.push((
            hnum,
            Err(NoDigests {
                package: f.name,
                version: f.evr,
                reason,
                source,
            }),
        ));
        Ok(())
    })?;
    if db.is_none() {
        return Err(FactError::NoDatabase {
            kind: "rpm",
            looked: crate::facts::packages::rpm::database_paths().map(Into::into).collect(),
        });
    }
    found.sort_by_key(|(hnum, _)| *hnum);
    let (mut items, mut none, mut checked) = (Vec::new(), Vec::new(), 0);
    for (_, r) in found {
        match r {
            Ok(i) => {
                checked += 1;
                items.extend(i);
            }
            Err(n) => none.push(n),
        }
    }
    Ok((items, none, checked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::packages::rpm::{TYPE_CHAR, TYPE_INT32, TYPE_STRING_ARRAY};

    enum V<'a> {
        S(&'a [&'a str]),
        I(&'a [u32]),
        C(&'a [u8]),
    }

    fn header(tags: &[(u32, V<'_>)]) -> Vec<u8> {
        let (mut index, mut data) = (Vec::new(), Vec::new());
        for (tag, v) in tags {
            if matches!(v, V::I(_)) {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            let (ty, count) = match v {
                V::S(s) => (TYPE_STRING_ARRAY, s.len()),
                V::I(i) => (TYPE_INT32, i.len()),
                V::C(c) => (TYPE_CHAR, c.len()),
            };
            index.extend(
                [*tag, ty, data.len() as u32, count as u32]
                    .map(u32::to_be_bytes)
                    .concat(),
            );
            match v {
                V::S(s) => s.iter().for_each(|s| {
                    data.extend(s.as_bytes());
                    data.push(0)
                }),
                V::I(i) => i.iter().for_each(|i| data.extend(i.to_be_bytes())),
                V::C(c) => data.extend(*c),
            }
        }
        let mut out = Vec::new();
        out.extend((tags.len() as u32).to_be_bytes());
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    #[test]
    fn paths_flags_states_and_algorithm() {
        let b = header(&[
            (TAG_NAME, V::S(&["openssh-server"])),
            (TAG_VERSION, V::S(&["8.7p1"])),
            (TAG_RELEASE, V::S(&["38.el9"])),
            (TAG_BASENAMES, V::S(&["ssh", "sshd_config", "sshd", "README", "ghost"])),
            (
                TAG_DIRNAMES,
                V::S(&["/etc/", "/etc/ssh/", "/usr/sbin/", "/usr/share/doc/"]),
            ),
            (TAG_DIRINDEXES, V::I(&[0, 1, 2, 3, 1])),
            (TAG_FILEDIGESTS, V::S(&["", "AA", "bb", "cc", "dd"])),
            (
                TAG_FILEFLAGS,
                V::I(&[0, RPMFILE_CONFIG | (1 << 4), 0, 1 << 1, RPMFILE_GHOST]),
            ),
            (TAG_FILESTATES, V::C(&[0, 0, 0, 2, 0])),
            (TAG_FILEDIGESTALGO, V::I(&[8])),
        ]);
        let f = parse_files(&b).unwrap();
        assert_eq!(f.evr, "8.7p1-38.el9");
        assert_eq!(f.algo, Some(Ok(Algo::Sha256)));
        let got: Vec<_> = f
            .files
            .iter()
            .map(|x| (x.path.as_str(), x.digest.as_str(), x.config))
            .collect();
        // The directory (empty digest), the excluded doc (state 2) and the ghost are skipped.
        assert_eq!(
            got,
            [("/etc/ssh/sshd_config", "aa", true), ("/usr/sbin/sshd", "bb", false)]
        );
    }

    #[test]
    fn no_digests_and_sha1_are_told_apart_from_no_files() {
        let f = parse_files(&header(&[(TAG_NAME, V::S(&["gpg-pubkey"]))])).unwrap();
        assert!(!f.has_files);
        let f = parse_files(&header(&[
            (TAG_NAME, V::S(&["x"])),
            (TAG_BASENAMES, V::S(&["a"])),
            (TAG_DIRNAMES, V::S(&["/"])),
            (TAG_DIRINDEXES, V::I(&[0])),
        ]))
        .unwrap();
        assert!(f.has_files && !f.has_digests);
        let f = parse_files(&header(&[
            (TAG_BASENAMES, V::S(&["a"])),
            (TAG_DIRNAMES, V::S(&["/"])),
            (TAG_DIRINDEXES, V::I(&[0])),
            (TAG_FILEDIGESTS, V::S(&["ab"])),
            (TAG_FILEDIGESTALGO, V::I(&[2])),
        ]))
        .unwrap();
        assert_eq!(f.algo, Some(Err(2)));
    }

    #[test]
    fn hostile_counts_and_indexes_are_errors() {
        let b = header(&[
            (TAG_BASENAMES, V::S(&["a"])),
            (TAG_DIRNAMES, V::S(&["/"])),
            (TAG_DIRINDEXES, V::I(&[7])),
            (TAG_FILEDIGESTS, V::S(&["ab"])),
        ]);
        assert!(parse_files(&b).is_err());
        for cut in 0..b.len() {
            let _ = parse_files(&b[..cut]);
        }
        let mut b = header(&[(TAG_BASENAMES, V::S(&["a"]))]);
        b[20..24].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
        assert!(parse_files(&b).is_err());
    }
}
