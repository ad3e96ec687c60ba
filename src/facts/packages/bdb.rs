//! The Berkeley DB rpmdb, read offline without libdb: /var/lib/rpm/Packages of rpm ≤ 4.15
//! (CentOS 7, RHEL/Rocky/Alma 8, Amazon Linux 2, SLES ≤ 15 SP2), a Berkeley DB hash database whose
//! keys are rpm's instance numbers (`hnum`, 4 bytes in the database's byte order) and whose
//! values are header blobs (the layout `packages::rpm` documents).
//!
//! Only the read-only subset rpm's own `bdb_ro` backend reads is implemented (Berkeley DB's
//! dbinc/db_page.h and dbinc/hash.h):
//!
//! - page 0 is the hash meta page: magic 0x061561 at byte 12 (byte-swapped in a database written
//!   on the other byte order; every page field then is), version (8 or 9) at 16, page size at
//!   20 (a power of two, 512–65536), encryption algorithm at 24 (must be 0), page type 8 at 25,
//!   meta flags at 26 (checksummed pages are refused), the last page number at 32;
//! - every other page starts with a 26-byte header: page number at 8, next page at 16, entry
//!   count at 20, `hf_offset` at 22, type at 25. Hash pages (type 13, or 2 in hash version 8) hold
//!   an array of 2-byte item offsets at 26, items alternating key and value; item `i` runs from its
//!   offset to the offset of item `i - 1` (the page end for item 0). An item's first byte is its
//!   kind: 1 (`H_KEYDATA`) is the bytes that follow; 3 (`H_OFFPAGE`) is a 12-byte reference
//!   `{kind, 3 unused, first overflow page u32, total length u32}`; 2 and 4 (duplicates) never
//!   occur in Packages and are errors;
//! - an overflow page (type 7) holds `hf_offset` bytes of the value at 26 and chains to its next
//!   page; the chain ends at page 0 and must add up to the reference's total length.
//!
//! Every page is scanned once in page order, so overflow chains of hash buckets need no walking;
//! free pages (type 0) and index pages are skipped. Record 0 is rpm's next-instance counter, not
//! a header. Bounded, with no way to loop: the file was read whole under the caller's bound,
//! every offset is checked against its page, and an overflow page may belong to one chain only
//! (a second reference to it is an error), so the values assembled never add up to more than the
//! file. Anything outside this subset is an error naming the page, never a skipped record.

use super::WalkError;
use crate::facts::FactError;

/// Why a Berkeley DB `Packages` file could not be read: not a hash database, a meta page outside
/// the subset read, or a damaged page (its number, and the record where one is known).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BdbError {
    /// A btree database, which rpm never keeps its packages in.
    #[error("a Berkeley DB btree, not the hash database rpm keeps its packages in")]
    Btree,
    /// No hash magic.
    #[error("not a Berkeley DB hash database (no hash magic at byte 12)")]
    NotHash,
    /// The file ends inside the meta page.
    #[error("meta page truncated")]
    MetaTruncated,
    /// A hash version rpm's Berkeley DB does not write.
    #[error("hash version {0} (rpm's Berkeley DB writes 8 or 9)")]
    Version(u32),
    /// A page size Berkeley DB does not use.
    #[error("page size {0} is not a power of two from 512 to 65536")]
    PageSize(usize),
    /// Checksummed pages (not read).
    #[error("checksummed pages are not read")]
    Checksummed,
    /// An encrypted database.
    #[error("encrypted database (algorithm {0})")]
    Encrypted(u8),
    /// Page 0 is of another type.
    #[error("page 0 is not a hash meta page")]
    NoMeta,
    /// The meta page counts more pages than the file holds.
    #[error("truncated: the meta page counts {counted} pages, the file holds {held} of {page_size} bytes")]
    Truncated {
        /// Pages the meta page counts.
        counted: usize,
        /// Whole pages in the file.
        held: usize,
        /// The page size.
        page_size: usize,
    },
    /// A damaged page.
    #[error("page {page}: {what}")]
    Page {
        /// The page number.
        page: usize,
        /// What is wrong with it.
        what: String,
    },
    /// A damaged record on a page.
    #[error("page {page}: record {hnum}: {what}")]
    Record {
        /// The page number.
        page: usize,
        /// The record's key (rpm's instance number).
        hnum: u32,
        /// What is wrong with it.
        what: String,
    },
}

/// A hash database's magic number.
const HASH_MAGIC: u32 = 0x0006_1561;
/// The bytes of a page header.
const PAGE_HEADER: usize = 26;
const P_INVALID: u8 = 0;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;

/// The database's byte order.
#[derive(Clone, Copy)]
enum Order {
    Little,
    Big,
}

impl Order {
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(match self {
            Order::Little => u32::from_le_bytes(s),
            Order::Big => u32::from_be_bytes(s),
        })
    }

    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(match self {
            Order::Little => u16::from_le_bytes(s),
            Order::Big => u16::from_be_bytes(s),
        })
    }
}

/// Hands `f` every `(hnum, header blob)` of a Berkeley DB Packages file, in page order (the
/// caller sorts by `hnum`); the first error, of the database or of `f`, ends the read. Errors
/// do not name the path (the caller adds it).
pub fn each_blob(
    bytes: &[u8],
    mut f: impl FnMut(u32, &[u8]) -> Result<(), FactError>,
) -> Result<(), WalkError<BdbError>> {
    let err = |e: BdbError| Err(WalkError::Damaged(e));
    let page_err = |page: usize, what: String| WalkError::Damaged(BdbError::Page { page, what });
    let magic_le = bytes.get(12..16).map(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
    let order = match magic_le {
        Some(HASH_MAGIC) => Order::Little,
        Some(m) if m.swap_bytes() == HASH_MAGIC => Order::Big,
        Some(0x0005_3162 | 0x6231_5300) => {
            return err(BdbError::Btree);
        }
        _ => return err(BdbError::NotHash),
    };
    let meta = |at| order.u32(bytes, at).ok_or(WalkError::Damaged(BdbError::MetaTruncated));
    let version = meta(16)?;
    let page_size = meta(20)? as usize;
    let last_page = meta(32)? as usize;
    if !(8..=10).contains(&version) {
        return err(BdbError::Version(version));
    }
    if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
        return err(BdbError::PageSize(page_size));
    }
    match (bytes.get(24), bytes.get(25), bytes.get(26)) {
        (Some(0), Some(&P_HASHMETA), Some(flags)) if flags & 1 == 0 => {}
        (Some(0), Some(&P_HASHMETA), _) => return err(BdbError::Checksummed),
        (Some(&alg), Some(&P_HASHMETA), _) => return err(BdbError::Encrypted(alg)),
        _ => return err(BdbError::NoMeta),
    }
    let pages = bytes.len() / page_size;
    if last_page >= pages {
        return err(BdbError::Truncated {
            counted: last_page.saturating_add(1),
            held: pages,
            page_size,
        });
    }
    let page = |n: usize| bytes.get(n * page_size..(n + 1) * page_size);
    // Overflow pages already assembled into a value: each belongs to one chain.
    let mut claimed = vec![false; last_page + 1];
    let mut value = Vec::new();
    for n in 1..=last_page {
        let p = page(n).ok_or_else(|| page_err(n, "outside the file".into()))?;
        let kind = p.get(25).copied().unwrap_or(P_INVALID);
        if kind != P_HASH && kind != P_HASH_UNSORTED {
            continue;
        }
        let entries = usize::from(order.u16(p, 20).unwrap_or(0));
        if entries % 2 != 0 {
            return Err(page_err(
                n,
                format!("odd number of items ({entries}): a key without its value"),
            ));
        }
        let index_end = PAGE_HEADER + 2 * entries;
        if index_end > page_size {
            return Err(page_err(
                n,
                format!("{entries} items cannot fit a page of {page_size} bytes"),
            ));
        }
        let item = |i: usize| -> Result<&[u8], WalkError<BdbError>> {
            let at = |i: usize| order.u16(p, PAGE_HEADER + 2 * i).map(usize::from).unwrap_or(0);
            let start = at(i);
            let end = if i == 0 { page_size } else { at(i - 1) };
            if start < index_end || start >= end || end > page_size {
                return Err(page_err(
                    n,
                    format!("item {i} at bytes {start}..{end} is outside the item area"),
                ));
            }
            p.get(start..end)
                .ok_or_else(|| page_err(n, format!("item {i} outside the page")))
        };
        for pair in 0..entries / 2 {
            let key = item(2 * pair)?;
            let data = item(2 * pair + 1)?;
            let hnum = match key {
                [H_KEYDATA, k @ ..] if k.len() == 4 => order.u32(k, 0).unwrap_or(0),
                [H_KEYDATA, k @ ..] => {
                    return Err(page_err(n, format!("a key of {} bytes (rpm's keys are 4)", k.len())));
                }
                [kind, ..] => return Err(page_err(n, format!("key item of kind {kind}"))),
                [] => return Err(page_err(n, "empty key item".into())),
            };
            let record_err = |what: String| WalkError::Damaged(BdbError::Record { page: n, hnum, what });
            let blob: &[u8] = match data {
                [H_KEYDATA, v @ ..] => v,
                [H_OFFPAGE, ..] => {
                    let (Some(first), Some(total)) = (order.u32(data, 4), order.u32(data, 8)) else {
                        return Err(page_err(n, format!("overflow reference of {} bytes", data.len())));
                    };
                    overflow(order, &page, &mut claimed, first as usize, total as usize, &mut value)
                        .map_err(record_err)?;
                    &value
                }
                [H_DUPLICATE | H_OFFDUP, ..] => {
                    return Err(record_err("duplicates (Packages has one value per key)".into()));
                }
                [kind, ..] => return Err(record_err(format!("value item of kind {kind}"))),
                [] => return Err(record_err("empty value item".into())),
            };
            // Record 0 is rpm's next-instance counter.
            if hnum != 0 {
                f(hnum, blob).map_err(WalkError::Handler)?;
            }
        }
    }
    Ok(())
}

/// Assembles the value of an overflow chain into `out`.
fn overflow<'a>(
    order: Order,
    page: &impl Fn(usize) -> Option<&'a [u8]>,
    claimed: &mut [bool],
    first: usize,
    total: usize,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    out.clear();
    let mut n = first;
    while n != 0 {
        match claimed.get_mut(n) {
            Some(c) if !*c => *c = true,
            Some(_) => return Err(format!("overflow page {n} is part of another chain (or a loop)")),
            None => return Err(format!("overflow page {n} past the last page")),
        }
        let p = page(n).ok_or_else(|| format!("overflow page {n} outside the file"))?;
        if p.get(25) != Some(&P_OVERFLOW) {
            return Err(format!("page {n} in an overflow chain is not an overflow page"));
        }
        let len = usize::from(order.u16(p, 22).unwrap_or(0));
        let chunk = p
            .get(PAGE_HEADER..PAGE_HEADER + len)
            .ok_or_else(|| format!("overflow page {n}: {len} bytes cannot fit the page"))?;
        if out.len() + chunk.len() > total {
            return Err(format!(
                "overflow chain longer than the {total} bytes its reference gives"
            ));
        }
        out.extend_from_slice(chunk);
        n = order.u32(p, 16).unwrap_or(0) as usize;
    }
    if out.len() != total {
        return Err(format!(
            "overflow chain holds {} bytes, its reference gives {total}",
            out.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian hash database of `page_size` with the given pages after the meta page.
    fn db(page_size: usize, pages: &[Vec<u8>]) -> Vec<u8> {
        let mut meta = vec![0u8; page_size];
        meta[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        meta[16..20].copy_from_slice(&9u32.to_le_bytes());
        meta[20..24].copy_from_slice(&(page_size as u32).to_le_bytes());
        meta[25] = P_HASHMETA;
        meta[32..36].copy_from_slice(&(pages.len() as u32).to_le_bytes());
        let mut out = meta;
        for p in pages {
            let mut p = p.clone();
            p.resize(page_size, 0);
            out.extend(p);
        }
        out
    }

    /// A hash page holding `items` (each with its kind byte), packed from the page end.
    fn hash_page(n: u32, page_size: usize, items: &[Vec<u8>]) -> Vec<u8> {
        let mut p = vec![0u8; page_size];
        p[8..12].copy_from_slice(&n.to_le_bytes());
        p[20..22].copy_from_slice(&(items.len() as u16).to_le_bytes());
        p[25] = P_HASH;
        let mut end = page_size;
        for (i, it) in items.iter().enumerate() {
            let start = end - it.len();
            p[start..end].copy_from_slice(it);
            p[PAGE_HEADER + 2 * i..PAGE_HEADER + 2 * i + 2].copy_from_slice(&(start as u16).to_le_bytes());
            end = start;
        }
        p
    }

    fn overflow_page(n: u32, next: u32, data: &[u8], page_size: usize) -> Vec<u8> {
        let mut p = vec![0u8; page_size];
        p[8..12].copy_from_slice(&n.to_le_bytes());
        p[16..20].copy_from_slice(&next.to_le_bytes());
        p[22..24].copy_from_slice(&(data.len() as u16).to_le_bytes());
        p[25] = P_OVERFLOW;
        p[PAGE_HEADER..PAGE_HEADER + data.len()].copy_from_slice(data);
        p
    }

    fn key(h: u32) -> Vec<u8> {
        [&[H_KEYDATA][..], &h.to_le_bytes()].concat()
    }

    fn offpage(first: u32, total: u32) -> Vec<u8> {
        [&[H_OFFPAGE, 0, 0, 0][..], &first.to_le_bytes(), &total.to_le_bytes()].concat()
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
    fn on_page_and_overflow_values_and_record_zero() {
        let ps = 512;
        let big: Vec<u8> = (0..900u32).map(|i| i as u8).collect();
        let items = vec![
            key(0),
            [&[H_KEYDATA][..], &9u32.to_le_bytes()].concat(),
            key(7),
            [&[H_KEYDATA][..], b"small"].concat(),
            key(8),
            offpage(2, 900),
        ];
        let chunk = ps - PAGE_HEADER;
        let b = db(
            ps,
            &[
                hash_page(1, ps, &items),
                overflow_page(2, 3, &big[..chunk], ps),
                overflow_page(3, 0, &big[chunk..], ps),
            ],
        );
        assert_eq!(read(&b).unwrap(), vec![(7, b"small".to_vec()), (8, big)]);
    }

    #[test]
    fn loops_shared_chains_and_wrong_lengths_are_errors() {
        let ps = 512;
        let page1 = |items: &[Vec<u8>]| hash_page(1, ps, items);
        // A chain that loops back to itself.
        let b = db(
            ps,
            &[page1(&[key(1), offpage(2, 10_000)]), overflow_page(2, 2, b"abc", ps)],
        );
        assert!(read(&b).unwrap_err().contains("another chain"), "{:?}", read(&b));
        // Two records sharing one chain: the work would multiply.
        let b = db(
            ps,
            &[
                page1(&[key(1), offpage(2, 3), key(2), offpage(2, 3)]),
                overflow_page(2, 0, b"abc", ps),
            ],
        );
        assert!(read(&b).is_err());
        // A total that the chain does not hold.
        let b = db(ps, &[page1(&[key(1), offpage(2, 4)]), overflow_page(2, 0, b"abc", ps)]);
        assert!(read(&b).unwrap_err().contains("holds 3 bytes"));
        // A chain into a hash page.
        let b = db(ps, &[page1(&[key(1), offpage(1, 4)])]);
        assert!(read(&b).is_err());
        // Duplicates and odd item counts.
        let b = db(ps, &[page1(&[key(1), vec![H_DUPLICATE, 1, 2]])]);
        assert!(read(&b).unwrap_err().contains("duplicates"));
        let b = db(ps, &[page1(&[key(1)])]);
        assert!(read(&b).unwrap_err().contains("odd number"));
    }

    #[test]
    fn damaged_meta_pages_are_errors() {
        let good = db(512, &[hash_page(1, 512, &[key(1), vec![H_KEYDATA, 1]])]);
        assert!(read(&good).is_ok());
        for (at, v) in [(12, 0u8), (20, 3), (24, 1), (25, 3), (26, 1), (32, 9)] {
            let mut b = good.clone();
            b[at] = v;
            assert!(read(&b).is_err(), "byte {at} = {v}");
        }
        assert!(read(b"").is_err());
    }

    /// Truncations and byte flips of a valid database: errors or values, never a panic, and the
    /// values never add up to more than the file.
    #[test]
    fn mutations_never_panic() {
        let ps = 512;
        let big: Vec<u8> = (0..700u32).map(|i| (i * 7) as u8).collect();
        let chunk = ps - PAGE_HEADER;
        let good = db(
            ps,
            &[
                hash_page(1, ps, &[key(3), offpage(2, 700), key(4), vec![H_KEYDATA, 5, 6]]),
                overflow_page(2, 3, &big[..chunk], ps),
                overflow_page(3, 0, &big[chunk..], ps),
            ],
        );
        for b in crate::testing::damaged(0x2545_f491_4f6c_dd1d, &good, 4000) {
            let mut total = 0;
            let _ = each_blob(&b, |_, v| {
                total += v.len();
                Ok(())
            });
            assert!(total <= b.len());
        }
    }
}
