"""rpm's ndb package database writer (lib/backend/ndb/rpmpkg.c), ported line for line to Python.

Debian's rpm is built without the ndb backend (`--define '_db_backend ndb'` warns "invalid
%_db_backend: ndb"), so the ndb databases of the differential test are written by this port of
rpm's own writer: rpmpkgOpen on an empty file (rpmpkgInit), rpmpkgPut and rpmpkgDel, with their
slot-page growth (rpmpkgAddSlotPage moves the blobs in the way of a new slot page to the end),
best-fit placement, blob moves on delete and file truncation. Nothing is simplified: the same
sequence of puts and deletes gives the same bytes as rpm's C code, which
tests/data/rpmdb/ndb-oracle.sh checks by compiling rpm's rpmpkg.c and replaying the operation log
this module writes (fixtures/README.md gives the result).

Only the paths a healthy database takes are ported: rpm's auto-repair of a non-zero free area
and its salvage mode raise instead.
"""
import struct
import zlib

SLOT_SIZE = 16
BLK_SIZE = 16
PAGE_SIZE = 4096
PKGDB_HEADER_SIZE = 32
SLOT_START = PKGDB_HEADER_SIZE // SLOT_SIZE
BLOBHEAD_SIZE = 16
BLOBTAIL_SIZE = 12
PKGDB_MAGIC = b"RpmP"
SLOT_MAGIC = b"Slot"
BLOBHEAD_MAGIC = b"BlbS"
BLOBTAIL_MAGIC = b"BlbE"
PAGE_BLKS = PAGE_SIZE // BLK_SIZE


def adler32(adler, buf):
    """update_adler32 (RFC 1950's Adler-32, as zlib computes it)."""
    return zlib.adler32(bytes(buf), adler)


class Slot:
    def __init__(self, pkgidx, blkoff, blkcnt, slotno):
        self.pkgidx, self.blkoff, self.blkcnt, self.slotno = pkgidx, blkoff, blkcnt, slotno


class PkgDb:
    """An open Packages.db held in memory (`self.f`), as rpmpkgOpen leaves a new one."""

    def __init__(self):
        self.f = bytearray()
        self.generation = 0
        self.slotnpages = 0
        self.nextpkgidx = 0
        self.slots = []
        self.freeslot = 0
        self.fileblks = 0
        self.ops = []
        # rpmpkgInitInternal
        self.write_empty_slotpage(0)
        self.slotnpages = 1
        if not self.nextpkgidx:
            self.nextpkgidx = 1
        self.generation += 1
        self.write_header()

    # --- file primitives (pread/pwrite on a growing file; holes read as zeros)
    def pwrite(self, data, off):
        if off + len(data) > len(self.f):
            self.f.extend(bytes(off + len(data) - len(self.f)))
        self.f[off:off + len(data)] = data

    def pread(self, n, off):
        return bytes(self.f[off:off + n])

    def write_header(self):
        h = bytearray(PKGDB_HEADER_SIZE)
        h[0:4] = PKGDB_MAGIC
        struct.pack_into("<IIII", h, 4, 0, self.generation & 0xFFFFFFFF, self.slotnpages, self.nextpkgidx)
        self.pwrite(h, 0)

    def read_header(self):
        magic, version, self.generation, self.slotnpages, self.nextpkgidx = struct.unpack_from("<4sIIII", self.f, 0)
        assert magic == PKGDB_MAGIC and version == 0

    # --- slots
    def read_slots(self):
        assert len(self.f) % BLK_SIZE == 0
        self.fileblks = len(self.f) // BLK_SIZE
        self.slots, self.freeslot = [], 0
        minblkoff = self.slotnpages * PAGE_BLKS
        slotno = SLOT_START
        for page in range(self.slotnpages):
            for o in range(SLOT_START * SLOT_SIZE if page == 0 else 0, PAGE_SIZE, SLOT_SIZE):
                at = page * PAGE_SIZE + o
                assert self.f[at:at + 4] == SLOT_MAGIC
                pkgidx, blkoff, blkcnt = struct.unpack_from("<III", self.f, at + 4)
                if not blkoff:
                    if not self.freeslot:
                        self.freeslot = slotno
                else:
                    assert blkoff + blkcnt <= self.fileblks and pkgidx and blkcnt and blkoff >= minblkoff
                    self.slots.append(Slot(pkgidx, blkoff, blkcnt, slotno))
                slotno += 1
        self.ordered = False

    def order_slots(self):
        if not self.ordered:
            self.slots.sort(key=lambda s: s.blkoff)
            self.ordered = True

    def find_slot(self, pkgidx):
        return next((s for s in self.slots if s.pkgidx == pkgidx), None)

    def find_empty_offset(self, pkgidx, blkcnt, dontprepend):
        self.order_slots()
        best, bestfree, oldslot = 0, 0, None
        lastblkend = self.slotnpages * PAGE_BLKS
        if dontprepend and self.slots:
            lastblkend = self.slots[0].blkoff
        for s in self.slots:
            assert s.blkoff >= lastblkend, "slots overlap"
            if s.pkgidx == pkgidx:
                assert oldslot is None
                oldslot = s
            free = s.blkoff - lastblkend
            if free >= blkcnt and (not best or bestfree > free):
                best, bestfree = lastblkend, free
            lastblkend = s.blkoff + s.blkcnt
        if not best:
            best = lastblkend
        return best, oldslot

    def write_slot(self, slotno, pkgidx, blkoff, blkcnt):
        assert slotno >= SLOT_START
        if blkoff and slotno == self.freeslot:
            self.freeslot = 0
        self.pwrite(SLOT_MAGIC + struct.pack("<III", pkgidx, blkoff, blkcnt), slotno * SLOT_SIZE)
        self.generation += 1
        self.write_header()

    def write_empty_slotpage(self, pageno):
        off = 0 if pageno else SLOT_START * SLOT_SIZE
        page = (SLOT_MAGIC + bytes(SLOT_SIZE - 4)) * (PAGE_SIZE // SLOT_SIZE)
        self.pwrite(page[off:], pageno * PAGE_SIZE + off)

    # --- blocks
    def zero_blks(self, blkoff, blkcnt):
        self.pwrite(bytes(blkcnt * BLK_SIZE), blkoff * BLK_SIZE)
        self.fileblks = max(self.fileblks, blkoff + blkcnt)

    def validate_zero(self, blkoff, blkcnt):
        assert blkoff <= self.fileblks
        n = min(blkcnt, self.fileblks - blkoff) * BLK_SIZE
        data = self.pread(n, blkoff * BLK_SIZE)
        return not any(data)

    # --- blobs
    def read_blob(self, pkgidx, blkoff, blkcnt):
        off = blkoff * BLK_SIZE
        magic, idx, generation, bloblen = struct.unpack_from("<4sIII", self.f, off)
        assert magic == BLOBHEAD_MAGIC and idx == pkgidx
        assert blkcnt == (BLOBHEAD_SIZE + bloblen + BLOBTAIL_SIZE + BLK_SIZE - 1) // BLK_SIZE
        end = off + blkcnt * BLK_SIZE
        adl, tl, tmagic = struct.unpack_from("<II4s", self.f, end - BLOBTAIL_SIZE)
        assert tmagic == BLOBTAIL_MAGIC and tl == bloblen
        assert adl == adler32(1, self.f[off:end - BLOBTAIL_SIZE])
        return bytes(self.f[off + BLOBHEAD_SIZE:off + BLOBHEAD_SIZE + bloblen]), generation

    def write_blob(self, pkgidx, blkoff, blkcnt, blob, now):
        assert blkcnt == (BLOBHEAD_SIZE + len(blob) + BLOBTAIL_SIZE + BLK_SIZE - 1) // BLK_SIZE
        head = BLOBHEAD_MAGIC + struct.pack("<III", pkgidx, now & 0xFFFFFFFF, len(blob))
        pad = bytes(blkcnt * BLK_SIZE - (BLOBHEAD_SIZE + len(blob) + BLOBTAIL_SIZE))
        adl = adler32(1, head + blob + pad)
        self.pwrite(head + blob + pad + struct.pack("<II", adl, len(blob)) + BLOBTAIL_MAGIC, blkoff * BLK_SIZE)
        self.fileblks = max(self.fileblks, blkoff + blkcnt)

    def del_blob(self, pkgidx, blkoff, blkcnt):
        self.read_blob(pkgidx, blkoff, blkcnt)
        self.zero_blks(blkoff, blkcnt)

    def move_blob(self, slot, newblkoff):
        blob, generation = self.read_blob(slot.pkgidx, slot.blkoff, slot.blkcnt)
        self.write_blob(slot.pkgidx, newblkoff, slot.blkcnt, blob, generation)
        self.write_slot(slot.slotno, slot.pkgidx, newblkoff, slot.blkcnt)
        self.del_blob(slot.pkgidx, slot.blkoff, slot.blkcnt)
        slot.blkoff = newblkoff
        self.ordered = False

    def add_slot_page(self):
        self.order_slots()
        cutoff = (self.slotnpages + 1) * PAGE_BLKS
        while self.slots and self.slots[0].blkoff < cutoff:
            slot = self.slots[0]
            newblkoff, oldslot = self.find_empty_offset(slot.pkgidx, slot.blkcnt, True)
            assert oldslot is slot
            self.move_blob(slot, newblkoff)
            self.order_slots()
        assert self.validate_zero(self.slotnpages * PAGE_BLKS, PAGE_BLKS)
        self.write_empty_slotpage(self.slotnpages)
        self.freeslot = self.slotnpages * (PAGE_SIZE // SLOT_SIZE)
        self.slotnpages += 1
        self.generation += 1
        self.write_header()

    # --- the API (rpmpkgPut, rpmpkgDel), each under rpm's exclusive lock: header re-read
    def put(self, pkgidx, blob):
        assert pkgidx
        self.ops.append(("P", pkgidx, blob))
        self.read_header()
        self.read_slots()
        blkcnt = (BLOBHEAD_SIZE + len(blob) + BLOBTAIL_SIZE + BLK_SIZE - 1) // BLK_SIZE
        blkoff, oldslot = self.find_empty_offset(pkgidx, blkcnt, False)
        if oldslot is None and not self.freeslot:
            self.add_slot_page()
            blkoff, oldslot = self.find_empty_offset(pkgidx, blkcnt, False)
        assert self.validate_zero(blkoff, blkcnt), "rpm would try an auto repair here"
        self.write_blob(pkgidx, blkoff, blkcnt, blob, self.generation)
        if pkgidx >= self.nextpkgidx:
            self.nextpkgidx = pkgidx + 1
        slotno = oldslot.slotno if oldslot else self.freeslot
        self.write_slot(slotno, pkgidx, blkoff, blkcnt)
        if oldslot and oldslot.blkoff:
            self.del_blob(pkgidx, oldslot.blkoff, oldslot.blkcnt)

    def delete(self, pkgidx):
        assert pkgidx
        self.ops.append(("D", pkgidx, None))
        self.read_header()
        self.read_slots()
        self.order_slots()
        slot = self.find_slot(pkgidx)
        if slot is None:
            return
        self.write_slot(slot.slotno, 0, 0, 0)
        self.del_blob(pkgidx, slot.blkoff, slot.blkcnt)
        slots, n = self.slots, len(self.slots)
        if n > 1 and slot.blkoff < self.fileblks // 2:
            # A blob freed in the first half: move up to two of the last blobs into the hole.
            i = slots.index(slot)
            blkoff = self.slotnpages * PAGE_BLKS if i == 0 else slots[i - 1].blkoff + slots[i - 1].blkcnt
            blkcnt = slots[i + 1].blkoff - blkoff if i < n - 1 else slot.blkoff + slot.blkcnt - blkoff
            slot.blkoff = slot.blkcnt = 0
            j = n - 2
            if slots[j].blkcnt < slots[j + 1].blkcnt:
                j += 1
            for _ in range(2):
                if j == n:
                    j -= 2
                s = slots[j]
                j += 1
                if not s.blkoff or s.blkoff < blkoff:
                    continue
                if s.blkoff < self.fileblks // 2:
                    continue
                if s.blkcnt > blkcnt:
                    continue
                self.move_blob(s, blkoff)
                blkoff += s.blkcnt
                blkcnt -= s.blkcnt
            self.order_slots()
        else:
            slot.blkoff = slot.blkcnt = 0
        # Truncate the file when its last quarter is free.
        last = slots[-1]
        if not last.blkoff and n > 1:
            last = slots[-2]
        blkoff = last.blkoff + last.blkcnt if last.blkoff else self.slotnpages * PAGE_BLKS
        if blkoff < self.fileblks // 4 * 3 and self.validate_zero(blkoff, self.fileblks - blkoff):
            del self.f[blkoff * BLK_SIZE:]
            self.fileblks = blkoff

    def write_ops(self, path, blobdir):
        """The operation log for ndb-oracle.sh: `P pkgidx FILE` or `D pkgidx` per line, FILE relative
        to the log's directory."""
        import os
        os.makedirs(blobdir, exist_ok=True)
        base = os.path.dirname(os.path.abspath(path))
        with open(path, "w") as log:
            for n, (op, pkgidx, blob) in enumerate(self.ops):
                if op == "P":
                    name = os.path.join(blobdir, f"{n:06d}")
                    with open(name, "wb") as f:
                        f.write(blob)
                    log.write(f"P {pkgidx} {os.path.relpath(name, base)}\n")
                else:
                    log.write(f"D {pkgidx}\n")
