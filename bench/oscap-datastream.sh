#!/usr/bin/env bash
# Usage: bench/oscap-datastream.sh OUTDIR
# Prints the path of a patched copy of SSG's Ubuntu 22.04 data stream (the only CIS content that
# ssg-debian ships) whose platform check is always true, so that OpenSCAP evaluates its rules on a
# Debian 12 root instead of reporting every one of them notapplicable.
#
# What is patched, and only that: the OVAL definition oval:ssg-installed_OS_is_ubuntu2204:def:1
# (present twice: in the OVAL component and in the CPE OVAL component, which the CPE
# cpe:/o:canonical:ubuntu_linux:22.04 that the benchmark's <platform> names is checked against)
# gets its criteria ("Ubuntu is installed" AND "Jammy is installed") replaced by the data stream's
# own "installed OS is part of the Unix family" test (oval:ssg-test_unix_family:tst:1), which is
# true on any Linux. Rules with their own platform (a package, a machine, …) keep it. Results on
# Debian obtained this way are Ubuntu content applied to Debian: say so wherever they are quoted.
set -euo pipefail
out=${1:?usage: $0 OUTDIR}
src=${OSCAP_DS_SRC:-/usr/share/xml/scap/ssg/content/ssg-ubuntu2204-ds.xml}
[ -r "$src" ] || { echo "missing $src (apt-get install ssg-debderived)" >&2; exit 1; }
mkdir -p "$out"
dst="$out/ssg-ubuntu2204-ds-anyos.xml"
python3 - "$src" "$dst" <<'PY'
import re, sys
src, dst = sys.argv[1], sys.argv[2]
text = open(src, encoding="utf-8").read()
pattern = re.compile(
    r'(<oval-def:definition class="inventory" id="oval:ssg-installed_OS_is_ubuntu2204:def:1"[^>]*>.*?)'
    r'<oval-def:criteria\b.*?</oval-def:criteria>',
    re.S,
)
replacement = (
    r'\1<oval-def:criteria comment="patched for a Debian scan: always true (any Unix)">'
    r'<oval-def:criterion comment="Installed operating system is part of the unix family" '
    r'test_ref="oval:ssg-test_unix_family:tst:1"/></oval-def:criteria>'
)
patched, n = pattern.subn(replacement, text)
if n == 0:
    sys.exit("installed_OS_is_ubuntu2204 definition not found: unknown data stream layout")
if 'id="oval:ssg-test_unix_family:tst:1"' not in patched:
    sys.exit("the unix family test is missing from the data stream")
open(dst, "w", encoding="utf-8").write(patched)
print(f"patched {n} definition(s)", file=sys.stderr)
PY
printf '%s\n' "$dst"
