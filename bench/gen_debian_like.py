#!/usr/bin/env python3
"""Generates a Debian-like root for the walk benchmark: the first N entries (default 16000) of
the host's own /etc, /usr and /var/lib trees (a Debian system's, on CI), recreated with their
names, types, modes, owners and link targets, as empty files. Only metadata is copied: no
content of the host's files ends up in the root. Run as root to keep owners and set-id bits."""
import os
import stat
import sys

root, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 16000
count = 0


def copy_meta(src, dst, st):
    try:
        os.chown(dst, st.st_uid, st.st_gid, follow_symlinks=False)
    except PermissionError:
        pass
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(dst, stat.S_IMODE(st.st_mode))


os.makedirs(root, exist_ok=True)
for top in ["/etc", "/usr", "/var/lib"]:
    dev = os.lstat(top).st_dev
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        # Stay on the filesystem of the tree, as find -xdev does.
        dirnames[:] = [d for d in dirnames if os.lstat(os.path.join(dirpath, d)).st_dev == dev]
        target = root + dirpath
        os.makedirs(target, exist_ok=True)
        count += 1
        for name in sorted(filenames) + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            if count >= n:
                break
            src, dst = os.path.join(dirpath, name), os.path.join(target, name)
            st = os.lstat(src)
            if stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(src), dst)
            elif stat.S_ISREG(st.st_mode):
                open(dst, "w").close()
            else:
                continue
            copy_meta(src, dst, st)
            count += 1
        if count >= n:
            break
    if count >= n:
        break
# Directory modes last: a 0700 directory copied first would not stop root, but keep it tidy.
for dirpath, dirnames, _ in os.walk(root, topdown=False):
    src = dirpath[len(root):] or "/"
    if os.path.isdir(src) and not os.path.islink(src):
        copy_meta(src, dirpath, os.lstat(src))
open(os.path.join(root, ".done"), "w").close()
print(f"{root}: {count} entries")
