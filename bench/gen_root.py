#!/usr/bin/env python3
"""Generates a benchmark root: N regular files in directories of 1000 (a few world-writable,
SUID and unowned ones among them, so the walk has offenders to record), the identification
files a scan needs, and a dpkg status database of about N lines (N/10 stanzas)."""
import os
import sys

root, n = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{root}/etc", exist_ok=True)
os.makedirs(f"{root}/var/lib/dpkg", exist_ok=True)
with open(f"{root}/etc/os-release", "w") as f:
    f.write('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n')
with open(f"{root}/etc/passwd", "w") as f:
    f.write("root:x:0:0:root:/root:/bin/bash\n")
with open(f"{root}/etc/group", "w") as f:
    f.write("root:x:0:\n")
with open(f"{root}/var/lib/dpkg/status", "w") as f:
    for i in range(max(1, n // 10)):
        f.write(f"Package: pkg{i}\nStatus: install ok installed\nPriority: optional\nSection: misc\n"
                f"Installed-Size: 10\nMaintainer: Bench <bench@example.org>\nArchitecture: amd64\n"
                f"Version: 1.{i}-1\nDescription: benchmark package {i}\n\n")
for i in range(n):
    d = f"{root}/data/d{i // 1000:05d}"
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    p = f"{d}/f{i:07d}"
    with open(p, "w"):
        pass
    if i % 100000 == 1:
        os.chmod(p, 0o666)
    elif i % 100000 == 2:
        os.chmod(p, 0o4755)
    elif i % 100000 == 3:
        os.chown(p, 4242, 4242)
open(f"{root}/.done", "w").close()
