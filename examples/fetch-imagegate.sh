#!/bin/sh
# Fetch a released imagegate by version and check it before anything runs it:
#
#   sh examples/fetch-imagegate.sh 0.1.0 [BASE_URL]
#
# Downloads imagegate-VERSION-x86_64-linux.tar.gz and imagegate-VERSION.SHA256SUMS (what
# `make dist` writes) from BASE_URL (default $IMAGEGATE_RELEASES, else this repository's release
# page for vVERSION; a file:// URL or a local directory works too), checks the tarball against the
# sums, unpacks it, checks the binary against its own sum, and leaves ./imagegate and
# ./imagegate.sha256 (the binary's SHA-256, which the Packer templates and the Ansible playbook
# check again on the machine before running it). Exits nonzero, with the reason, on any mismatch.
set -eu
VERSION=${1:?usage: fetch-imagegate.sh VERSION [BASE_URL]}
BASE=${2:-${IMAGEGATE_RELEASES:-https://github.com/imagegate/imagegate/releases/download/v$VERSION}}
NAME=imagegate-$VERSION-x86_64-linux
SUMS=imagegate-$VERSION.SHA256SUMS
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
get() { # $1: file name under BASE
    case $BASE in
        http://* | https://* | file://*) curl -fsSL --proto '=https,file' -o "$WORK/$1" "$BASE/$1" ;;
        *) cp "$BASE/$1" "$WORK/$1" ;;
    esac || { echo "fetch-imagegate: cannot fetch $BASE/$1" >&2; exit 1; }
}
get "$NAME.tar.gz"
get "$SUMS"
(cd "$WORK" && grep "  $NAME.tar.gz\$" "$SUMS" | sha256sum -c --strict --quiet -) ||
    { echo "fetch-imagegate: $NAME.tar.gz does not match $SUMS" >&2; exit 1; }
tar -C "$WORK" -xzf "$WORK/$NAME.tar.gz" "$NAME/imagegate"
(cd "$WORK" && grep "  $NAME/imagegate\$" "$SUMS" | sha256sum -c --strict --quiet -) ||
    { echo "fetch-imagegate: $NAME/imagegate does not match $SUMS" >&2; exit 1; }
install -m 0755 "$WORK/$NAME/imagegate" ./imagegate
sha256sum ./imagegate | cut -d' ' -f1 >./imagegate.sha256
echo "imagegate $VERSION: ./imagegate (sha256 $(cat ./imagegate.sha256))"
