#!/usr/bin/python3
"""Builds rpm databases from real rpm headers, for the Berkeley DB reader's differential test.

Usage: make-bdb.py OUT PACKAGES

Real packages are built with rpmbuild (PACKAGES empty subpackages with assorted epochs, versions
and releases; one package of 400 files, whose header spans several overflow pages; one name in
three versions; one name for two architectures), installed with `rpm -i --justdb` into an sqlite
rpmdb (OUT/sqlite), with one gpg-pubkey imported from Debian's archive keyring. The header blobs
rpm wrote are then copied, under the same instance numbers, into Berkeley DB hash files written
with python3-bsddb3, as rpm <= 4.15 kept /var/lib/rpm/Packages:

  OUT/bdb-4096/Packages   page size 4096, little-endian (the common case)
  OUT/bdb-512/Packages    page size 512: every header spans many overflow pages
  OUT/bdb-65536/Packages  page size 65536: small headers are stored on the hash page itself
  OUT/bdb-be/Packages     page size 8192, big-endian (a database written on s390x)
  OUT/bdb-seed/Packages   page size 512, 14 headers: a small seed for the fuzz target

Each also holds rpm's record 0 (the next instance number), which is not a header. Debian's rpm
reads every one of them back with `--define '_db_backend bdb_ro'`.

The same blobs are written into ndb databases (SUSE's `Packages.db`) by ndb.py, a port of rpm's
own ndb writer (Debian's rpm has no ndb backend):

  OUT/ndb/Packages.db        every header put in instance order, as a fresh install writes them
                             (slot pages added as they fill, moving the blobs in their way)
  OUT/ndb-churn/Packages.db  then every fifth instance deleted and put again under a new
                             instance number, as an upgrade does; OUT/ndb-churn/instances maps
                             each new number to the old one (`NEW OLD` per line), and
                             OUT/ndb-churn/ops is the operation log ndb-oracle.sh replays
  OUT/ndb-seed/Packages.db   14 headers: a small seed for the fuzz target
"""
import os
import sqlite3
import struct
import subprocess
import sys

import bsddb3.db as bdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ndb  # noqa: E402

out, count = sys.argv[1], int(sys.argv[2])
top = os.path.join(out, "top")
os.makedirs(top, exist_ok=True)


def rpmbuild(spec, *args):
    path = os.path.join(out, spec[0])
    with open(path, "w") as f:
        f.write(spec[1])
    subprocess.run(
        ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", *args, path],
        check=True,
        stdout=subprocess.DEVNULL,
    )


many = [
    "Name: many\nVersion: 1.0\nRelease: 1\nSummary: s\nLicense: MIT\nBuildArch: noarch\n"
    "%description\nA package with 400 files.\n"
]
for i in range(count):
    many.append(
        f"%package -n p{i:05d}\nSummary: s\nVersion: {i % 7}.{i}\nRelease: {i % 3 + 1}.el8\n"
        + (f"Epoch: {i % 4}\n" if i % 5 == 0 else "")
        + f"%description -n p{i:05d}\nd\n"
    )
many.append(
    "%install\nmkdir -p %{buildroot}/usr/share/many\n"
    "for i in $(seq 1 400); do echo $i > %{buildroot}/usr/share/many/file-with-a-rather-long-name-$i; done\n"
    "%files\n/usr/share/many\n"
)
many += [f"%files -n p{i:05d}\n" for i in range(count)]
rpmbuild(("many.spec", "".join(many)))

multi = (
    "Name: multi\nVersion: %{ver}\nRelease: 1%{?dist}\nSummary: s\nLicense: MIT\n"
    "%description\nInstall-only, several versions.\n%files\n"
)
for ver in ["1.0", "1.10", "1.9"]:
    rpmbuild(("multi.spec", multi), "--define", f"ver {ver}", "--define", "dist .el8", "--target", "x86_64")
rpmbuild(("multi.spec", multi), "--define", "ver 1.9", "--define", "dist .el8", "--target", "i686")

rpms = []
for d, _, files in os.walk(os.path.join(top, "RPMS")):
    rpms += [os.path.join(d, f) for f in files if f.endswith(".rpm")]
dbpath = os.path.abspath(os.path.join(out, "sqlite"))
os.makedirs(dbpath, exist_ok=True)
rpm = ["rpm", "--dbpath", dbpath]
subprocess.run(rpm + ["--initdb"], check=True)
subprocess.run(
    rpm + ["-i", "--justdb", "--nodeps", "--noscripts", "--notriggers", "--nosignature", "--nodigest",
           "--ignorearch", "--ignoreos", *sorted(rpms)],
    check=True,
    stderr=subprocess.DEVNULL,
)
key = subprocess.run(
    ["gpg", "--no-default-keyring", "--keyring", "/usr/share/keyrings/debian-archive-bookworm-stable.gpg",
     "--export", "--armor"],
    check=True,
    capture_output=True,
).stdout
with open(os.path.join(out, "key.asc"), "wb") as f:
    f.write(key)
subprocess.run(rpm + ["--import", os.path.join(out, "key.asc")], check=True)

rows = sqlite3.connect(os.path.join(dbpath, "rpmdb.sqlite")).execute(
    "SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
for name, pagesize, lorder, count in [("bdb-4096", 4096, 1234, None), ("bdb-512", 512, 1234, None),
                                      ("bdb-65536", 65536, 1234, None), ("bdb-be", 8192, 4321, None),
                                      ("bdb-seed", 512, 1234, 12)]:
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    db = bdb.DB()
    db.set_pagesize(pagesize)
    db.set_lorder(lorder)
    db.open(os.path.join(d, "Packages"), dbtype=bdb.DB_HASH, flags=bdb.DB_CREATE)
    fmt = "<I" if lorder == 1234 else ">I"
    db.put(struct.pack(fmt, 0), struct.pack(fmt, max(h for h, _ in rows) + 1))
    for hnum, blob in rows[:count] + (rows[-2:] if count else []):
        db.put(struct.pack(fmt, hnum), bytes(blob))
    db.close()


def write_ndb(name, db):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "Packages.db"), "wb") as f:
        f.write(db.f)


fresh = ndb.PkgDb()
for hnum, blob in rows:
    fresh.put(hnum, bytes(blob))
write_ndb("ndb", fresh)
# An upgrade: the old instance deleted, the package put again under the next instance number.
instances = {hnum: hnum for hnum, _ in rows}
blobs = dict(rows)
for hnum, _ in rows:
    if hnum % 5 == 0:
        new = fresh.nextpkgidx
        fresh.delete(hnum)
        fresh.put(new, bytes(blobs[hnum]))
        instances[new] = instances.pop(hnum)
write_ndb("ndb-churn", fresh)
with open(os.path.join(out, "ndb-churn", "instances"), "w") as f:
    f.writelines(f"{new} {old}\n" for new, old in sorted(instances.items()))
fresh.write_ops(os.path.join(out, "ndb-churn", "ops"), os.path.join(out, "ndb-churn", "blobs"))
seed = ndb.PkgDb()
for hnum, blob in rows[:12] + rows[-2:]:
    seed.put(hnum, bytes(blob))
write_ndb("ndb-seed", seed)
print(len(rows))
