#!/bin/sh
# Checks tests/data/rpmdb/ndb.py (the Python port of rpm's ndb writer) against rpm's own C code:
# compiles RPM_SRC/lib/backend/ndb/rpmpkg.c (a checkout of rpm, https://github.com/rpm-software-management/rpm)
# with a minimal shim for rpm's logging and allocation helpers, replays the operation log the
# port wrote (OPS: `P pkgidx FILE` puts FILE's bytes under pkgidx, `D pkgidx` deletes it) with
# rpmpkgOpen/rpmpkgPut/rpmpkgDel into a new Packages.db, lists it back with rpmpkgList and
# rpmpkgGet, and compares the file byte for byte with the port's (WANT).
#
# Usage: ndb-oracle.sh RPM_SRC OPS WANT
# Not part of `make test` (rpm's source is not vendored); fixtures/README.md records the result.
set -eu
src=$1 ops=$(realpath "$2") want=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rpm"
cat > "$work/system.h" <<'H'
#include <stdlib.h>
#include <string.h>
#define _(s) (s)
static inline void *xmalloc(size_t n) { void *p = malloc(n ? n : 1); if (!p) abort(); return p; }
static inline void *xcalloc(size_t n, size_t m) { void *p = calloc(n ? n : 1, m ? m : 1); if (!p) abort(); return p; }
static inline void *xrealloc(void *q, size_t n) { void *p = realloc(q, n ? n : 1); if (!p) abort(); return p; }
static inline char *xstrdup(const char *s) { char *p = strdup(s); if (!p) abort(); return p; }
H
cat > "$work/rpm/rpmtypes.h" <<'H'
typedef enum rpmRC_e { RPMRC_OK = 0, RPMRC_NOTFOUND = 1, RPMRC_FAIL = 2, RPMRC_NOTTRUSTED = 3, RPMRC_NOKEY = 4 } rpmRC;
H
cat > "$work/rpm/rpmlog.h" <<'H'
#include <stdio.h>
#define RPMLOG_ERR 3
#define RPMLOG_WARNING 4
#define rpmlog(level, ...) fprintf(stderr, __VA_ARGS__)
H
cat > "$work/main.c" <<'H'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rpmpkg.h"
int main(int argc, char **argv) {
    rpmpkgdb db;
    char line[4096];
    FILE *ops = fopen(argv[1], "r");
    if (!ops || rpmpkgOpen(&db, argv[2], O_RDWR | O_CREAT, 0644)) return 1;
    rpmpkgSetFsync(db, 0);
    while (fgets(line, sizeof line, ops)) {
        unsigned int idx;
        char path[4000];
        if (sscanf(line, "P %u %3999s", &idx, path) == 2) {
            FILE *f = fopen(path, "rb");
            if (!f) { perror(path); return 1; }
            static unsigned char buf[16 << 20];
            size_t n = fread(buf, 1, sizeof buf, f);
            fclose(f);
            if (rpmpkgPut(db, idx, buf, n)) { fprintf(stderr, "put %u failed\n", idx); return 1; }
        } else if (sscanf(line, "D %u", &idx) == 1) {
            if (rpmpkgDel(db, idx)) { fprintf(stderr, "del %u failed\n", idx); return 1; }
        }
    }
    if (rpmpkgVerify(db)) { fprintf(stderr, "rpmpkgVerify failed\n"); return 1; }
    unsigned int *list, n, i;
    if (rpmpkgList(db, &list, &n)) return 1;
    for (i = 0; i < n; i++) {
        unsigned char *blob; unsigned int len;
        if (rpmpkgGet(db, list[i], &blob, &len)) return 1;
        printf("%u %u\n", list[i], len);
        free(blob);
    }
    rpmpkgClose(db);
    return 0;
}
H
cc -O1 -w -I"$work" -I"$src/lib/backend/ndb" -o "$work/replay" "$work/main.c" "$src/lib/backend/ndb/rpmpkg.c"
(cd "$(dirname "$ops")" && "$work/replay" "$ops" "$work/Packages.db") > "$work/list"
echo "rpm's rpmpkg.c listed $(wc -l < "$work/list") packages ($(stat -c %s "$work/Packages.db") bytes)"
cmp "$work/Packages.db" "$want" && echo "identical to $want"
