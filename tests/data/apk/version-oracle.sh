#!/bin/sh
# Checks tests/data/apk/apk_version.py (the reference port the version_diff test compares
# imagegate's apk_cmp with) against apk-tools' own C: compiles APK_SRC/src/version.c (a checkout
# of https://gitlab.alpinelinux.org/alpine/apk-tools) with a shim for the few apk_blob helpers it
# calls (apk_blob_pull_uint, apk_blob_spn, apk_blob_sort, apk_blob_compare, apk_blob_pull_blob_match, ported from
# src/blob.c and src/ctype.c), feeds both the same N seeded pairs (`A<TAB>B` lines, generated
# from the test's atoms) and compares their answers line for line.
#
# Usage: version-oracle.sh APK_SRC [N]
# Not part of `make test` (apk-tools' source is not vendored); fixtures/README.md records the result.
set -eu
src=$1 n=${2:-200000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/apk_blob.h" <<'H'
#pragma once
#include <stdint.h>
#include <string.h>
#include <stdbool.h>
typedef struct { long len; char *ptr; } apk_blob_t;
#define APK_BLOB_PTR_LEN(p, l) ((apk_blob_t){(l), (char *)(p)})
#define APK_BLOB_STR(s) APK_BLOB_PTR_LEN((s), strlen(s))
#define APK_BLOB_STRLIT(s) APK_BLOB_PTR_LEN((s), sizeof(s) - 1)
#define APK_BLOB_IS_NULL(b) ((b).ptr == NULL)
#define BLOB_FMT "%.*s"
#define BLOB_PRINTF(b) (int)(b).len, (b).ptr
uint64_t apk_blob_pull_uint(apk_blob_t *b, int radix);
int apk_blob_sort(apk_blob_t a, apk_blob_t b);
int apk_blob_pull_blob_match(apk_blob_t *b, apk_blob_t match);
int apk_blob_compare(apk_blob_t a, apk_blob_t b);
H
cat > "$work/apk_defines.h" <<'H'
#pragma once
#include <stddef.h>
#include "apk_blob.h"
#define BIT(x) (1U << (x))
H
cat > "$work/apk_ctype.h" <<'H'
#pragma once
enum { APK_CTYPE_HEXDIGIT = 0, APK_CTYPE_PACKAGE_NAME, APK_CTYPE_VERSION_SUFFIX };
int apk_blob_spn(apk_blob_t blob, unsigned char ctype, apk_blob_t *l, apk_blob_t *r);
H
cp "$src/src/apk_version.h" "$work/apk_version.h"
cat > "$work/shim.c" <<'H'
#include "apk_defines.h"
#include "apk_ctype.h"
uint64_t apk_blob_pull_uint(apk_blob_t *b, int radix) {
    uint64_t val = 0;
    while (b->len && b->ptr[0] != 0) {
        int ch = b->ptr[0];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : 0xff;
        if (d >= radix) break;
        val = val * radix + d;
        b->ptr++, b->len--;
    }
    return val;
}
int apk_blob_sort(apk_blob_t a, apk_blob_t b) {
    int s = memcmp(a.ptr, b.ptr, a.len < b.len ? a.len : b.len);
    if (s != 0) return s;
    return a.len - b.len;
}
int apk_blob_compare(apk_blob_t a, apk_blob_t b) {
    if (a.len == b.len) return memcmp(a.ptr, b.ptr, a.len);
    return a.len < b.len ? -1 : 1;
}
int apk_blob_pull_blob_match(apk_blob_t *b, apk_blob_t match) {
    if (b->len < match.len) return 0;
    if (memcmp(b->ptr, match.ptr, match.len) != 0) return 0;
    b->ptr += match.len, b->len -= match.len;
    return 1;
}
int apk_blob_spn(apk_blob_t blob, unsigned char ctype, apk_blob_t *l, apk_blob_t *r) {
    int i;
    for (i = 0; i < blob.len; i++) {
        unsigned char c = blob.ptr[i];
        int in = ctype == APK_CTYPE_HEXDIGIT ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
                                             : (c >= 'a' && c <= 'z');
        if (!in) break;
    }
    if (l) *l = APK_BLOB_PTR_LEN(blob.ptr, i);
    if (r) *r = APK_BLOB_PTR_LEN(blob.ptr + i, blob.len - i);
    return i < blob.len;
}
H
cat > "$work/main.c" <<'H'
#include <stdio.h>
#include "apk_defines.h"
#include "apk_version.h"
int main(void) {
    static char line[65536];
    while (fgets(line, sizeof line, stdin)) {
        char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
        if (!tab) return 1;
        if (nl) *nl = 0;
        *tab = 0;
        apk_blob_t a = APK_BLOB_STR(line), b = APK_BLOB_STR(tab + 1);
        int r = apk_version_compare(a, b);
        printf("%c %d\n", r == APK_VERSION_LESS ? '<' : r == APK_VERSION_GREATER ? '>' : '=', apk_version_validate(a) ? 1 : 0);
    }
    return 0;
}
H
cc -O1 -w -I"$work" -o "$work/cmp" "$work/main.c" "$work/shim.c" "$src/src/version.c"
/usr/bin/python3 - "$n" > "$work/pairs" <<'P'
import random, sys
atoms = ["0", "00", "1", "01", "2", "9", "10", "010", "99", "18446744073709551617", ".", ".0", ".1", ".01", "a",
         "b", "z", "A", "_alpha", "_beta", "_pre", "_rc", "_cvs", "_svn", "_git", "_hg", "_p", "_pa", "_", "_rc1",
         "_p2", "_git20240101", "~", "~0a1b", "~abc", "~g", "-r", "-r0", "-r1", "-r10", "-r01", "-x", "-", "+"]
rng = random.Random(0xA19E)
def version():
    return rng.choice(["0", "1", "2", "10", "01", ""]) + "".join(rng.choice(atoms) for _ in range(rng.randrange(7)))
def mutate(v):
    c = list(v)
    for _ in range(1 + rng.randrange(2)):
        at = rng.randrange(len(c) + 1)
        ch = rng.choice("0123456789azAZ~+.-:_r")
        k = rng.randrange(3)
        if k == 0 or at == len(c):
            c.insert(at, ch)
        elif k == 1:
            del c[at]
        else:
            c[at] = ch
    return "".join(c)
for _ in range(int(sys.argv[1])):
    a = version()
    b = version() if rng.randrange(3) == 0 else mutate(a)
    print(f"{a}\t{b}")
P
"$work/cmp" < "$work/pairs" > "$work/apk-tools"
/usr/bin/python3 "$here/apk_version.py" < "$work/pairs" > "$work/reference"
echo "$(wc -l < "$work/pairs") pairs; apk-tools: $(cut -c1 "$work/apk-tools" | sort | uniq -c | tr '\n' ' ')valid A: $(grep -c ' 1$' "$work/apk-tools")"
if cmp -s "$work/apk-tools" "$work/reference"; then
  echo "apk_version.py agrees with apk-tools' version.c on every pair"
else
  paste "$work/pairs" "$work/apk-tools" "$work/reference" | awk -F'\t' '$3 != $4' | head -20
  exit 1
fi
