#!/bin/sh
# The scan step of imagegate.pkr.hcl and imagegate.json, run on the machine being built as the
# SSH user (it uses sudo). Packer runs it with `sh FILE`, never by executing it, so a /tmp mounted
# noexec (as CIS-hardened images mount it, and as imagegate's own rules ask) does not stop it.
#
# Environment: IMAGEGATE_UPLOAD (where the file provisioner put the binary), IMAGEGATE_SHA256 (its
# expected SHA-256), IMAGEGATE_ROOT, IMAGEGATE_ARGS, IMAGEGATE_OUT (report directory),
# IMAGEGATE_EXEC_DIRS (candidate parent directories to run from, default "/run /var/lib /root").
#
# 1. The upload is checked against IMAGEGATE_SHA256; a mismatch never runs.
# 2. The binary is installed, by root, in a fresh private directory under the first candidate
#    where it can actually be executed (the copy checked again, then `imagegate --version` run):
#    a noexec mount is found by trying, not guessed from the mount table.
# 3. The scan runs; its reports are copied to IMAGEGATE_OUT afterwards, and its exit code goes to
#    IMAGEGATE_OUT/exit-code.
# 4. The private directory and the upload are removed whatever happened: nothing is left in the
#    image (the report directory is removed by the gate step after the download).
#
# Exit: 0 when the scan ran and wrote its reports (its verdict is applied by the gate step, after
# the download); 3 when imagegate could not be run at all (checksum, no executable directory,
# sudo refused), which is never confused with imagegate's 1 (failing findings) or 2 (the scan
# could not be trusted); imagegate's own code when it exited without writing its reports.
set -u
UPLOAD=${IMAGEGATE_UPLOAD:?}
OUT=${IMAGEGATE_OUT:?}
DIR=
cleanup() {
    [ -n "$DIR" ] && sudo rm -rf "$DIR"
    rm -f "$UPLOAD"
}
could_not_run() {
    echo "imagegate could not run: $*" >&2
    cleanup
    exit 3
}
[ -n "${IMAGEGATE_SHA256:-}" ] || could_not_run "no expected SHA-256 given (set imagegate_sha256; examples/fetch-imagegate.sh writes it)"
echo "$IMAGEGATE_SHA256  $UPLOAD" | sha256sum -c --status - ||
    could_not_run "$UPLOAD does not have the expected SHA-256 $IMAGEGATE_SHA256 (got $(sha256sum "$UPLOAD" | cut -d' ' -f1))"
for parent in ${IMAGEGATE_EXEC_DIRS:-/run /var/lib /root}; do
    d=$(sudo mktemp -d "$parent/imagegate.XXXXXX" 2>/dev/null) || continue
    if sudo install -m 0700 "$UPLOAD" "$d/imagegate" &&
        echo "$IMAGEGATE_SHA256  $d/imagegate" | sudo sha256sum -c --status - &&
        sudo "$d/imagegate" --version >/dev/null 2>&1; then
        DIR=$d
        break
    fi
    echo "imagegate: cannot execute from $parent (noexec?), trying the next directory" >&2
    sudo rm -rf "$d"
done
[ -n "$DIR" ] || could_not_run "no directory among ${IMAGEGATE_EXEC_DIRS:-/run /var/lib /root} lets root execute it (all noexec or not writable)"
echo "imagegate: running $DIR/imagegate ($(sudo "$DIR/imagegate" --version))"
rc=0
# The reports are written inside the private directory and copied out after the scan: during
# the scan /tmp holds nothing of imagegate's but the upload, which `--profile capture` allows
# (its tmp_allow default names "imagegate").
# shellcheck disable=SC2086 # IMAGEGATE_ARGS is a list of words on purpose
sudo "$DIR/imagegate" scan --root "${IMAGEGATE_ROOT:-/}" ${IMAGEGATE_ARGS:-} --color never \
    --report "json=$DIR/out/imagegate.json" --report "junit=$DIR/out/imagegate.xml" \
    --report "html=$DIR/out/imagegate.html" || rc=$?
mkdir -p "$OUT" && { [ ! -d "$DIR/out" ] || sudo cp -R "$DIR/out/." "$OUT/"; } &&
    sudo chown -R "$(id -u):$(id -g)" "$OUT" || could_not_run "cannot copy the reports to $OUT"
cleanup
if [ ! -s "$OUT/imagegate.json" ]; then
    echo "imagegate exited $rc without writing its reports" >&2
    [ "$rc" = 0 ] && rc=2
    exit "$rc"
fi
echo "$rc" >"$OUT/exit-code"
