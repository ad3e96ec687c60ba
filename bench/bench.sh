#!/usr/bin/env bash
# make bench: imagegate's time and memory, measured side by side in one run and quoted as ratios
# (these machines are noisy; hyperfine medians). Writes target/bench/results.md and prints it.
#
#   1. floor     — `cat` of exactly the files a scan reads vs the cloud-image scan, live machine
#   2. peers     — imagegate vs OpenSCAP (offline, same debootstrapped root) and Lynis (live)
#   3. scale     — generated roots of 10k / 100k / 1M files + a 1M-line dpkg database; peak RSS
#   4. start-up  — --version and rule loading
#   5. integrity — package file verification (files/s, MB/s) on the Debian root, warm page cache
#   6. walk      — the filesystem walk vs `find -xdev -printf '%m %U %G %p'` on a 16k-entry
#                  Debian-like root (bench/gen_debian_like.py) and on the Debian root
#
# Parts 2 and 3 need a Debian root (BENCH_ROOT, default target/e2e/deb12, built by `make e2e-root`)
# and the peers (openscap-scanner, ssg-debian, lynis); missing pieces are skipped with a note.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/x86_64-unknown-linux-gnu/release/imagegate}
OUT=target/bench
ROOT=${BENCH_ROOT:-target/e2e/deb12}
RUNS=${BENCH_RUNS:-20}
SCALES=${BENCH_SCALES:-"10000 100000 1000000"}
mkdir -p "$OUT"
RES="$OUT/results.md"
: > "$RES"
say() { printf '%s\n' "$*" | tee -a "$RES"; }
need() { command -v "$1" >/dev/null || { say "skipped: $1 is not installed"; return 1; }; }
median() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join(str(x['median']) for x in r))" "$1"; }
ratio() { python3 -c "import sys; a,b=map(float,sys.argv[1:3]); print(f'{a/b:.2f}')" "$1" "$2"; }
# wall, user+sys CPU seconds and peak RSS (MiB) of one run
# (GNU time writes "Command exited with non-zero status N" first when the command fails: keep the last line)
measure() { /usr/bin/time -f '%e %U %S %M' -o "$OUT/time.txt" "$@" >/dev/null 2>&1; tail -n1 "$OUT/time.txt" > "$OUT/time.last"; awk '{printf "%.3f s wall, %.3f s CPU, %.1f MiB peak RSS", $1, $2+$3, $4/1024}' "$OUT/time.last"; }

need hyperfine || exit 1
say "# imagegate benchmark ($(date -u +%F), $(nproc) cores, $(uname -r))"
say ""
say "binary: $BIN, $(stat -c %s "$BIN" | awk '{printf "%.1f MB", $1/1e6}')"

say ""
say "## 1. floor: reading the scan's input files vs the scan (live machine)"
"$BIN" inputs > "$OUT/inputs.txt"
say "files read by a cloud-image scan: $(wc -l < "$OUT/inputs.txt")"
# Two ~10 ms commands on a noisy machine: three times the runs of the other parts.
hyperfine -N -i --warmup 5 --runs "$((RUNS * 3))" --export-json "$OUT/floor.json" \
  "xargs -a $OUT/inputs.txt cat" "$BIN scan --profile cloud-image --format json" >/dev/null
read -r floor scan < <(median "$OUT/floor.json")
say "cat the inputs: $(printf '%.2f' "$(echo "$floor*1000" | bc -l)") ms; scan: $(printf '%.2f' "$(echo "$scan*1000" | bc -l)") ms; scan/floor = $(ratio "$scan" "$floor")x (target ≤ 3x)"
say "scan: $(measure "$BIN" scan --profile cloud-image --format json)"

say ""
say "## 2. peers on the same Debian 12 root ($ROOT)"
if [ -d "$ROOT/etc" ]; then
  for p in cloud-image cis-l1-server; do
    "$BIN" rules list --profile "$p" >/dev/null 2>&1 || continue
    hyperfine -N -i --warmup 2 --runs "$RUNS" --export-json "$OUT/peer-$p.json" "$BIN scan --root $ROOT --profile $p --format json" >/dev/null
    say "imagegate $p: median $(printf '%.1f' "$(echo "$(median "$OUT/peer-$p.json")*1000" | bc -l)") ms; $(measure "$BIN" scan --root "$ROOT" --profile "$p" --format json)"
  done
  if need oscap && [ -f bench/oscap-datastream.sh ]; then
    ds=$(bash bench/oscap-datastream.sh "$OUT") && {
      prof=xccdf_org.ssgproject.content_profile_cis_level2_server
      # The dpkginfo probe writes apt caches into the scanned root unless pointed elsewhere.
      printf 'Dir::Cache::pkgcache "%s/apt-pkgcache.bin";\nDir::Cache::srcpkgcache "%s/apt-srcpkgcache.bin";\n' "$PWD/$OUT" "$PWD/$OUT" > "$OUT/apt.conf"
      export APT_CONFIG="$PWD/$OUT/apt.conf"
      # What oscap-chroot does (openscap-utils is not needed): point the probes at the root.
      rm -rf "$OUT/oscap-root" && cp -a "$ROOT" "$OUT/oscap-root"   # OpenSCAP writes into the root it scans
      o=$(OSCAP_PROBE_ROOT="$PWD/$OUT/oscap-root" OSCAP_EVALUATION_TARGET="chroot://$PWD/$OUT/oscap-root" \
          measure oscap xccdf eval --profile "$prof" --results "$OUT/oscap-results.xml" "$ds")
      say "OpenSCAP ubuntu2204 cis_level2_server (offline, platform check neutralised): $o"
      oscap_wall=$(awk '{print $1}' "$OUT/time.last")
      ig=$(median "$OUT/peer-cis-l1-server.json" 2>/dev/null || median "$OUT/peer-cloud-image.json")
      say "OpenSCAP / imagegate wall time = $(ratio "$oscap_wall" "$ig")x (target ≥ 100x)"
      unset APT_CONFIG
    }
  fi
  if need lynis; then
    printf 'refresh-repositories=no\n' > "$OUT/lynis.prf"
    say "Lynis --quick (live): $(measure lynis audit system --quick --no-colors --profile "$OUT/lynis.prf")"
    lynis_wall=$(awk '{print $1}' "$OUT/time.last")
    say "Lynis / imagegate (live cloud-image scan) wall time = $(ratio "$lynis_wall" "$scan")x"
  fi
else
  say "skipped: no root at $ROOT (make e2e-root builds one)"
fi

say ""
say "## 3. scale: generated roots"
# The largest shipped hardening profile; cloud-image where the CIS profile is not built yet.
SCALE_PROFILE=cis-l1-server
"$BIN" rules list --profile "$SCALE_PROFILE" >/dev/null 2>&1 || SCALE_PROFILE=cloud-image
for n in $SCALES; do
  dir="$OUT/scale-$n"
  [ -f "$dir/.done" ] || python3 bench/gen_root.py "$dir" "$n" || continue
  hyperfine -N -i --warmup 1 --runs 5 --export-json "$OUT/scale-$n.json" "$BIN scan --root $dir --profile $SCALE_PROFILE --format json" >/dev/null
  t=$(median "$OUT/scale-$n.json")
  say "$n files, $n-line dpkg status ($SCALE_PROFILE): median $(printf '%.3f' "$t") s, $(python3 -c "print(f'{$n/$t:,.0f}')") files/s; $(measure "$BIN" scan --root "$dir" --profile "$SCALE_PROFILE" --format json)"
  # Peak RSS of collection alone (`inputs` collects what a cloud-image scan needs and evaluates
  # nothing) and of each scan, against the 64 MiB aim of docs/robustness.md.
  say "  collection only (cloud-image facts): $(measure "$BIN" inputs --root "$dir")"
  for p in $(for q in cloud-image capture "$SCALE_PROFILE"; do echo "$q"; done | sort -u); do
    "$BIN" rules list --profile "$p" >/dev/null 2>&1 || continue
    m=$(measure "$BIN" scan --root "$dir" --profile "$p" --format json)
    rss=$(awk '{printf "%.0f", $4/1024}' "$OUT/time.last")
    say "  scan --profile $p: $m$([ "$rss" -gt 64 ] && echo " (over the 64 MiB aim)")"
  done
done

say ""
say "## 4. start-up"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/startup.json" "$BIN --version" "$BIN rules list" >/dev/null
read -r v l < <(median "$OUT/startup.json")
say "--version: $(printf '%.2f' "$(echo "$v*1000" | bc -l)") ms; rules list (parse every embedded rule): $(printf '%.2f' "$(echo "$l*1000" | bc -l)") ms"

say ""
say "## 5. integrity: package files against their recorded digests ($ROOT, warm cache, $(nproc) threads)"
if [ -d "$ROOT/var/lib/dpkg/info" ]; then
  read -r files bytes < <("$BIN" facts --root "$ROOT" | python3 -c "import json,sys; i=json.load(sys.stdin)['integrity']; print(i['files_checked'], i['bytes_checked'])")
  cmd="$BIN scan --root $ROOT --profile supply-chain --only integrity.package-files-unchanged --format json"
  hyperfine -N -i --warmup 2 --runs "$RUNS" --export-json "$OUT/integrity.json" "$cmd" >/dev/null
  t=$(median "$OUT/integrity.json")
  say "$files files, $(python3 -c "print(f'{$bytes/1e6:.1f}')") MB: median $(printf '%.3f' "$t") s = $(python3 -c "print(f'{$files/$t:,.0f} files/s, {$bytes/1e6/$t:,.0f} MB/s')"); $(measure $cmd)"
else
  say "skipped: no dpkg root at $ROOT (make e2e-root builds one)"
fi

say ""
say "## 6. walk: imagegate vs find -xdev on the same root (warm cache)"
# The walk rules alone, and the whole cis-l2-server scan (the walk plus every other fact), side by
# side with the find(1) that lists what the walk looks at: mode, owner, group and path per entry.
WALK_RULES="--only filesystem.setid-files-reviewed --only filesystem.no-world-writable-files --only filesystem.world-writable-dirs-sticky --only filesystem.no-unowned-files --only filesystem.no-ungrouped-files"
WALK_ROOT="$OUT/walk-debian-like"
[ -f "$WALK_ROOT/.done" ] || python3 bench/gen_debian_like.py "$WALK_ROOT" 16000 >/dev/null
for r in "$WALK_ROOT" "$ROOT"; do
  [ -d "$r/etc" ] || { say "skipped: no root at $r"; continue; }
  n=$(find "$r" -xdev | wc -l)
  hyperfine -N -i --warmup 3 --runs "$((RUNS * 3))" --export-json "$OUT/walk.json" \
    "find $r -xdev -printf '%m %U %G %p\\n'" \
    "$BIN scan --root $r --profile cis-l2-server $WALK_RULES --format json" \
    "$BIN scan --root $r --profile cis-l2-server --format json" >/dev/null
  read -r f w s < <(median "$OUT/walk.json")
  # CPU (user + system, mean): steadier than the wall time on a loaded machine.
  read -r fc wc sc < <(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join(str(x['user']+x['system']) for x in r))" "$OUT/walk.json")
  ms() { printf '%.1f ms' "$(echo "$1*1000" | bc -l)"; }
  say "$r ($n entries), wall: find $(ms "$f"); walk rules $(ms "$w") = $(ratio "$w" "$f")x find; whole cis-l2-server scan $(ms "$s") = $(ratio "$s" "$f")x find (target ≤ 1.5x)"
  say "  CPU: find $(ms "$fc"); walk rules $(ms "$wc") = $(ratio "$wc" "$fc")x; whole cis-l2-server scan $(ms "$sc") = $(ratio "$sc" "$fc")x"
  say "  walk rules: $(measure "$BIN" scan --root "$r" --profile cis-l2-server $WALK_RULES --format json); find: $(measure find "$r" -xdev -printf '%m %U %G %p\n')"
done
