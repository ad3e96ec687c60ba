//! rpm's ndb package database, read offline without rpm: `Packages.db` of SUSE (openSUSE since
//! 2020, SLES ≥ 15 SP3) under /usr/lib/sysimage/rpm or /var/lib/rpm. Its values are header blobs
//! (the layout `packages::rpm` documents), keyed by rpm's instance numbers (`pkgidx`, the
//! `hnum` of the other formats). The indexes beside it (`Index.db`) are not needed to list
//! packages and are not read.
//!
//! The format, from rpm's lib/backend/ndb/rpmpkg.c (every number little-endian u32):
//!
//! - the file is a whole number of 16-byte blocks and starts with `slotnpages` pages of 4096
//!   bytes of 16-byte slots. The first two slots of page 0 are the database header: magic `RpmP`,
//!   version 0, generation, `slotnpages`, next instance number. Every other slot is
//!   `{magic "Slot", pkgidx, blkoff, blkcnt}`; `blkoff` 0 is a free slot;
//! - a used slot's blob starts at block `blkoff` (past the slot pages) and spans `blkcnt` blocks:
//!   `{magic "BlbS", pkgidx, generation, bloblen}`, `bloblen` bytes of header, zero padding to
//!   the block, then `{adler32, bloblen, magic "BlbE"}`; `blkcnt` is exactly the blocks these need,
//!   and the Adler-32 covers the head, the header and the padding.
//!
//! Read the way rpm's own reader does (`rpmpkgReadSlots`, `rpmpkgReadBlob`), and stricter where
//! rpm's writer guarantees more: a damaged slot, a blob whose head, length or tail disagree with
//! its slot, two slots of one instance, or blobs that overlap are errors naming the slot, never a
//! skipped package; the Adler-32 is checked as `rpm --verifydb` does (rpm's query path skips
//! it), so a torn write is an error rather than a half-read header. Bounded: the file was read
//! whole under the caller's bound, and since blobs may not overlap, the headers handed out never
//! add up to more than the file.

use super::WalkError;
use crate::facts::FactError;

/// Why an ndb `Packages.db` could not be read: not an ndb database, a damaged header, or a
/// damaged slot or blob (its slot number, and the instance where one is known).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NdbError {
    /// No `RpmP` magic.
    #[error("not an rpm ndb package database (no RpmP magic at byte 0)")]
    NotNdb,
    /// The file ends inside the database header.
    #[error("header truncated")]
    HeaderTruncated,
    /// A version rpm does not write.
    #[error("ndb version {0} (rpm writes version 0)")]
    Version(u32),
    /// The file is not a whole number of blocks.
    #[error("{0} bytes is not a whole number of {BLK_SIZE}-byte blocks (a truncated or damaged database)")]
    PartialBlock(usize),
    /// The slot pages the header counts do not fit the file.
    #[error("the header counts {slotnpages} slot pages of {PAGE_SIZE} bytes; the file holds {len} bytes")]
    SlotPages {
        /// Slot pages counted.
        slotnpages: usize,
        /// The file's bytes.
        len: usize,
    },
    /// A damaged slot.
    #[error("slot {slot}: {what}")]
    Slot {
        /// The slot number.
        slot: usize,
        /// What is wrong with it.
        what: String,
    },
    /// Two slots' blobs overlap.
    #[error("slots {} and {} (instances {} and {}) overlap", slots.0, slots.1, instances.0, instances.1)]
    Overlap {
        /// The slot numbers.
        slots: (usize, usize),
        /// Their instances.
        instances: (u32, u32),
    },
    /// Two slots hold one instance.
    #[error("slots {} and {} both hold instance {instance}", slots.0, slots.1)]
    SharedInstance {
        /// The slot numbers.
        slots: (usize, usize),
        /// The instance.
        instance: u32,
    },
    /// A blob that disagrees with its slot.
    #[error("slot {slot} (instance {instance}): {what}")]
    Blob {
        /// The slot number.
        slot: usize,
        /// The slot's instance.
        instance: u32,
        /// What is wrong with the blob.
        what: String,
    },
    /// A blob whose Adler-32 is not the recorded one: a torn write.
    #[error(
        "slot {slot} (instance {instance}): Adler-32 {recorded:08x} recorded, {computed:08x} computed (a torn write: `rpmdb --rebuilddb` on a copy)"
    )]
    Checksum {
        /// The slot number.
        slot: usize,
        /// The slot's instance.
        instance: u32,
        /// The checksum in the blob's tail.
        recorded: u32,
        /// The checksum of the blob's bytes.
        computed: u32,
    },
}

/// Slot and block sizes, and the slot page size.
const SLOT_SIZE: usize = 16;
const BLK_SIZE: usize = 16;
const PAGE_SIZE: usize = 4096;
/// The header's bytes: the first two slots of page 0.
const HEADER_SIZE: usize = 32;
const BLOBHEAD_SIZE: usize = 16;
const BLOBTAIL_SIZE: usize = 12;

const PKGDB_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOBHEAD_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const BLOBTAIL_MAGIC: u32 = u32::from_le_bytes(*b"BlbE");

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(s))
}

/// Adler-32 (RFC 1950), as rpmpkg.c computes it.
fn adler32(bytes: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that cannot overflow a u32 before the reduction.
    for chunk in bytes.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// One used slot.
struct Slot {
    slotno: usize,
    pkgidx: u32,
    blkoff: usize,
    blkcnt: usize,
}

/// Hands `f` every `(pkgidx, header blob)` of an ndb `Packages.db`, in the order of the blobs in
/// the file (rpm's `rpm -qa` order; the caller sorts by instance); the first error, of the
/// database or of `f`, ends the read. Errors do not name the path (the caller adds it).
pub fn each_blob(
    bytes: &[u8],
    mut f: impl FnMut(u32, &[u8]) -> Result<(), FactError>,
) -> Result<(), WalkError<NdbError>> {
    if le32(bytes, 0) != Some(PKGDB_MAGIC) {
        return Err(WalkError::Damaged(NdbError::NotNdb));
    }
    let head = |at| le32(bytes, at).ok_or(WalkError::Damaged(NdbError::HeaderTruncated));
    let version = head(4)?;
    if version != 0 {
        return Err(WalkError::Damaged(NdbError::Version(version)));
    }
    let slotnpages = head(12)? as usize;
    if !bytes.len().is_multiple_of(BLK_SIZE) {
        return Err(WalkError::Damaged(NdbError::PartialBlock(bytes.len())));
    }
    let slot_area = slotnpages
        .checked_mul(PAGE_SIZE)
        .filter(|&n| n >= PAGE_SIZE && n <= bytes.len())
        .ok_or(WalkError::Damaged(NdbError::SlotPages {
            slotnpages,
            len: bytes.len(),
        }))?;
    let slot_err = |slot: usize, what: String| WalkError::Damaged(NdbError::Slot { slot, what });
    let fileblks = bytes.len() / BLK_SIZE;
    let minblkoff = slot_area / BLK_SIZE;
    let mut slots = Vec::new();
    for (slotno, s) in bytes[..slot_area]
        .chunks_exact(SLOT_SIZE)
        .enumerate()
        .skip(HEADER_SIZE / SLOT_SIZE)
    {
        let field = |at| le32(s, at).unwrap_or(0);
        if field(0) != SLOT_MAGIC {
            return Err(slot_err(slotno, "no Slot magic".into()));
        }
        let (pkgidx, blkoff, blkcnt) = (field(4), field(8) as usize, field(12) as usize);
        if blkoff == 0 {
            continue;
        }
        if pkgidx == 0 || blkcnt == 0 || blkoff < minblkoff || blkoff.saturating_add(blkcnt) > fileblks {
            return Err(slot_err(
                slotno,
                format!(
                    "instance {pkgidx} at blocks {blkoff}+{blkcnt}, outside the blob area \
                     (blocks {minblkoff}..{fileblks})"
                ),
            ));
        }
        slots.push(Slot {
            slotno,
            pkgidx,
            blkoff,
            blkcnt,
        });
    }
    // rpm lists its packages in blob order; blobs never overlap (rpm's writer refuses to go on
    // when they do), so each byte of the file is handed out once at most.
    slots.sort_by_key(|s| s.blkoff);
    for pair in slots.windows(2) {
        if let [a, b] = pair
            && a.blkoff + a.blkcnt > b.blkoff
        {
            return Err(WalkError::Damaged(NdbError::Overlap {
                slots: (a.slotno, b.slotno),
                instances: (a.pkgidx, b.pkgidx),
            }));
        }
    }
    let mut seen: Vec<(u32, usize)> = slots.iter().map(|s| (s.pkgidx, s.slotno)).collect();
    seen.sort_unstable();
    if let Some(pair) = seen.windows(2).find(|p| p[0].0 == p[1].0) {
        return Err(WalkError::Damaged(NdbError::SharedInstance {
            slots: (pair[0].1, pair[1].1),
            instance: pair[0].0,
        }));
    }
    for s in &slots {
        let blob = bytes
            .get(s.blkoff * BLK_SIZE..(s.blkoff + s.blkcnt) * BLK_SIZE)
            .ok_or_else(|| slot_err(s.slotno, "blob outside the file".into()))?;
        let header = read_blob(s, blob).map_err(WalkError::Damaged)?;
        f(s.pkgidx, header).map_err(WalkError::Handler)?;
    }
    Ok(())
}

/// The header inside one slot's blocks, checked as `rpmpkgReadBlob` and `rpmpkgVerifyblob` do.
fn read_blob<'a>(s: &Slot, blob: &'a [u8]) -> Result<&'a [u8], NdbError> {
    let bad = |what: String| NdbError::Blob {
        slot: s.slotno,
        instance: s.pkgidx,
        what,
    };
    let field = |at| le32(blob, at).unwrap_or(0);
    if blob.len() < BLOBHEAD_SIZE + BLOBTAIL_SIZE {
        return Err(bad(format!("{} blocks cannot hold a blob", s.blkcnt)));
    }
    if field(0) != BLOBHEAD_MAGIC {
        return Err(bad("no BlbS magic at the blob's start".into()));
    }
    if field(4) != s.pkgidx {
        return Err(bad(format!("the blob belongs to instance {}", field(4))));
    }
    let len = field(12) as usize;
    let need = (BLOBHEAD_SIZE + len + BLOBTAIL_SIZE).div_ceil(BLK_SIZE);
    if need != s.blkcnt {
        return Err(bad(format!(
            "a blob of {len} bytes needs {need} blocks, the slot gives {}",
            s.blkcnt
        )));
    }
    let tail = blob.len() - BLOBTAIL_SIZE;
    if field(tail + 8) != BLOBTAIL_MAGIC || field(tail + 4) as usize != len {
        return Err(bad("the blob's tail does not match its head".into()));
    }
    let sum = adler32(&blob[..tail]);
    if field(tail) != sum {
        return Err(NdbError::Checksum {
            slot: s.slotno,
            instance: s.pkgidx,
            recorded: field(tail),
            computed: sum,
        });
    }
    blob.get(BLOBHEAD_SIZE..BLOBHEAD_SIZE + len)
        .ok_or_else(|| bad("header outside the blob".into()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An ndb database laid out as rpm's writer lays out a fresh one: `slotnpages` slot pages,
    /// then the blobs in the order given, each in the next free slot.
    pub(crate) fn db(slotnpages: usize, blobs: &[(u32, &[u8])]) -> Vec<u8> {
        let mut out = vec![0u8; slotnpages * PAGE_SIZE];
        out[0..4].copy_from_slice(b"RpmP");
        out[8..12].copy_from_slice(&1u32.to_le_bytes());
        out[12..16].copy_from_slice(&(slotnpages as u32).to_le_bytes());
        let next = blobs.iter().map(|b| b.0).max().unwrap_or(0) + 1;
        out[16..20].copy_from_slice(&next.to_le_bytes());
        for s in out[HEADER_SIZE..].chunks_exact_mut(SLOT_SIZE) {
            s[0..4].copy_from_slice(b"Slot");
        }
        for (i, (pkgidx, data)) in blobs.iter().enumerate() {
            let blkoff = out.len() / BLK_SIZE;
            let mut blob = Vec::new();
            blob.extend_from_slice(b"BlbS");
            blob.extend_from_slice(&pkgidx.to_le_bytes());
            blob.extend_from_slice(&1u32.to_le_bytes());
            blob.extend_from_slice(&(data.len() as u32).to_le_bytes());
            blob.extend_from_slice(data);
            let blkcnt = (blob.len() + BLOBTAIL_SIZE).div_ceil(BLK_SIZE);
            blob.resize(blkcnt * BLK_SIZE - BLOBTAIL_SIZE, 0);
            let sum = adler32(&blob);
            blob.extend_from_slice(&sum.to_le_bytes());
            blob.extend_from_slice(&(data.len() as u32).to_le_bytes());
            blob.extend_from_slice(b"BlbE");
            out.extend(blob);
            let at = HEADER_SIZE + i * SLOT_SIZE;
            out[at + 4..at + 8].copy_from_slice(&pkgidx.to_le_bytes());
            out[at + 8..at + 12].copy_from_slice(&(blkoff as u32).to_le_bytes());
            out[at + 12..at + 16].copy_from_slice(&(blkcnt as u32).to_le_bytes());
        }
        out
    }

    fn read(bytes: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, String> {
        let mut out = Vec::new();
        each_blob(bytes, |h, b| {
            out.push((h, b.to_vec()));
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[test]
    fn adler32_matches_rfc_1950() {
        // RFC 1950's and zlib's reference values.
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        let big = vec![0xffu8; 100_000];
        // zlib: adler32(1, 100000 bytes of 0xff).
        let (mut a, mut b) = (1u64, 0u64);
        for &x in &big {
            a = (a + u64::from(x)) % 65521;
            b = (b + a) % 65521;
        }
        assert_eq!(adler32(&big), ((b << 16) | a) as u32);
    }

    #[test]
    fn blobs_in_file_order_free_slots_skipped() {
        let big = vec![7u8; 9000];
        let b = db(1, &[(3, b"three"), (1, &big), (2, b"")]);
        assert_eq!(read(&b).unwrap(), vec![(3, b"three".to_vec()), (1, big), (2, vec![])]);
        // An empty database, as `rpm --initdb` leaves it.
        assert_eq!(read(&db(1, &[])).unwrap(), vec![]);
        // Slot pages beyond the first.
        assert_eq!(read(&db(3, &[(9, b"x")])).unwrap(), vec![(9, b"x".to_vec())]);
    }

    #[test]
    fn damage_is_an_error_naming_the_slot() {
        let good = db(1, &[(1, b"first header"), (2, b"second header")]);
        let blob2 = 4096 + 48;
        let cases: Vec<(usize, u8, &str)> = vec![
            (0, b'X', "RpmP"),
            (4, 1, "version"),
            (12, 9, "slot pages"),
            (12, 0, "slot pages"),
            (32, b'X', "slot 2: no Slot magic"),
            (36, 0, "outside the blob area"),
            (42, 1, "outside the blob area"),
            (blob2, b'X', "BlbS"),
            (blob2 + 4, 7, "instance 7"),
            (blob2 + 12, 200, "needs"),
            (blob2 + 16, b'Z', "Adler-32"),
            (blob2 + 47, b'Z', "tail"),
        ];
        for (at, v, want) in cases {
            let mut b = good.clone();
            b[at] = v;
            match read(&b) {
                Ok(r) => panic!("byte {at} = {v}: read {} blobs", r.len()),
                Err(e) => assert!(e.contains(want), "byte {at} = {v}: {e}"),
            }
        }
        // A free slot (offset 0) is no package.
        let mut b = good.clone();
        b[56..60].fill(0);
        assert_eq!(read(&b).unwrap(), vec![(1, b"first header".to_vec())]);
        let mut b = good.clone();
        b.push(0);
        assert!(read(&b).unwrap_err().contains("blocks"));
        assert!(read(b"").is_err());
    }

    #[test]
    fn overlapping_and_duplicate_slots_are_errors() {
        let good = db(1, &[(1, b"first header"), (2, b"second header")]);
        // The second slot pointed at the first blob: the same bytes handed out twice.
        let mut b = good.clone();
        b[56..64].copy_from_slice(&good[40..48]);
        assert!(read(&b).unwrap_err().contains("overlap"), "{:?}", read(&b));
        // Two slots of one instance.
        let mut b = good.clone();
        b[52..56].copy_from_slice(&1u32.to_le_bytes());
        assert!(read(&b).unwrap_err().contains("both hold instance 1"), "{:?}", read(&b));
    }

    /// Truncations and byte flips: errors or blobs, never a panic, and the blobs never add up to
    /// more than the file.
    #[test]
    fn mutations_never_panic() {
        let big: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
        let good = db(2, &[(4, &big), (5, b"small"), (1, b"one")]);
        for b in crate::testing::damaged(0x9e37_79b9_7f4a_7c15, &good, 4000)
            .cut_step(16)
            .header(96)
        {
            let mut total = 0;
            let _ = each_blob(&b, |_, v| {
                total += v.len();
                Ok(())
            });
            assert!(total <= b.len());
        }
    }
}
