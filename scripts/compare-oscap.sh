#!/usr/bin/env bash
# Compare imagegate's cis-l2-server profile with OpenSCAP's CIS level 2 server profile on the same
# Debian 12 root, and write docs/oscap-comparison.md. Not part of `make test`: needs root (for the
# copy and the chroot probes), openscap-scanner and ssg-debderived (apt-get install -y
# openscap-scanner ssg-debderived), and a debootstrapped root (make e2e-root).
#
#   E2E_ROOT=target/e2e/deb12 scripts/compare-oscap.sh [OUT.md]
#
# The root itself is never scanned: each variant is a fresh copy (OpenSCAP writes into the root it
# scans). Variants: "stock" (the root as debootstrap left it) and "hardened" (the same plus the
# drop-ins imagegate's remediation texts name: /etc/ssh/sshd_config.d/00-imagegate.conf and
# /etc/sysctl.d/60-cis.conf), so that both the fail and the pass side are compared.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${E2E_ROOT:-target/e2e/deb12}
OUT=${1:-docs/oscap-comparison.md}
PROFILE=xccdf_org.ssgproject.content_profile_cis_level2_server
command -v oscap >/dev/null || { echo "oscap not found (apt-get install -y openscap-scanner ssg-debderived)" >&2; exit 1; }
[ -f "$ROOT/etc/os-release" ] || make e2e-root E2E_ROOT="$ROOT"
BIN=${IMAGEGATE:-target/release/imagegate}
[ -x "$BIN" ] || cargo build --release --locked
WORK=$(mktemp -d /tmp/compare-oscap.XXXXXX)
echo "working in $WORK" >&2
DS=$(bash bench/oscap-datastream.sh "$WORK")

# The dpkginfo probe builds an apt cache with the host's apt configuration; point the cache files
# at a temporary directory (an empty value disables the cache and the probe then sees no package
# at all, which silently turns package-dependent rules into pass or notapplicable).
printf 'Dir::Cache::pkgcache "%s/apt-pkgcache.bin";\nDir::Cache::srcpkgcache "%s/apt-srcpkgcache.bin";\n' "$WORK" "$WORK" > "$WORK/apt.conf"

# A manifest of every path with its type, mode, owner, size and mtime, and a digest of every
# regular file: enough to tell whether a tool changed anything in the root.
manifest() {
  (cd "$1" && find . -xdev -printf '%y %m %U:%G %s %T@ %p\n' | LC_ALL=C sort) > "$2.list"
  (cd "$1" && find . -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) > "$2.sha"
}

harden() {
  mkdir -p "$1/etc/ssh/sshd_config.d" "$1/etc/sysctl.d"
  cat > "$1/etc/ssh/sshd_config.d/00-imagegate.conf" <<'CONF'
# CIS drop-in: sorts first and comes before any Match block, so its values win.
LogLevel VERBOSE
MaxAuthTries 4
IgnoreRhosts yes
HostbasedAuthentication no
PermitRootLogin no
PermitEmptyPasswords no
PermitUserEnvironment no
X11Forwarding no
AllowTcpForwarding no
DisableForwarding yes
GSSAPIAuthentication no
ClientAliveInterval 300
ClientAliveCountMax 3
LoginGraceTime 60
MaxStartups 10:30:60
MaxSessions 10
Banner /etc/issue.net
UsePAM yes
AllowGroups sudo users
Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr,chacha20-poly1305@openssh.com
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512,hmac-sha2-256
KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256
CONF
  cat > "$1/etc/sysctl.d/60-cis.conf" <<'CONF'
net.ipv4.ip_forward = 0
net.ipv6.conf.all.forwarding = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.icmp_ignore_bogus_error_responses = 1
net.ipv4.icmp_echo_ignore_broadcasts = 1
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv6.conf.all.accept_redirects = 0
net.ipv6.conf.default.accept_redirects = 0
net.ipv4.conf.all.secure_redirects = 0
net.ipv4.conf.default.secure_redirects = 0
net.ipv4.conf.all.rp_filter = 1
net.ipv4.conf.default.rp_filter = 1
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.default.accept_source_route = 0
net.ipv6.conf.all.accept_source_route = 0
net.ipv6.conf.default.accept_source_route = 0
net.ipv4.conf.all.log_martians = 1
net.ipv4.conf.default.log_martians = 1
net.ipv4.tcp_syncookies = 1
net.ipv6.conf.all.accept_ra = 0
net.ipv6.conf.default.accept_ra = 0
kernel.randomize_va_space = 2
kernel.yama.ptrace_scope = 1
fs.suid_dumpable = 0
kernel.kptr_restrict = 1
kernel.dmesg_restrict = 1
CONF
}

for v in stock hardened; do
  r="$WORK/$v/root"
  mkdir -p "$WORK/$v"
  cp -a "$ROOT" "$r"
  [ "$v" = hardened ] && harden "$r"
  manifest "$r" "$WORK/$v/m0"
  set +e
  /usr/bin/time -f '%e s wall, %M KiB max RSS' -o "$WORK/$v/imagegate.time" \
    "$BIN" scan --root "$r" --profile cis-l2-server --format json > "$WORK/$v/imagegate.json"
  echo "$?" > "$WORK/$v/imagegate.rc"
  set -e
  manifest "$r" "$WORK/$v/m1"
  # oscap-chroot (openscap-utils) only sets these two variables; set them directly.
  set +e
  APT_CONFIG="$WORK/apt.conf" OSCAP_PROBE_ROOT="$(cd "$r" && pwd)" OSCAP_EVALUATION_TARGET="chroot://$(cd "$r" && pwd)" \
    /usr/bin/time -f '%e s wall, %M KiB max RSS' -o "$WORK/$v/oscap.time" \
    oscap xccdf eval --profile "$PROFILE" --results "$WORK/$v/results.xml" "$DS" > "$WORK/$v/oscap.out" 2> "$WORK/$v/oscap.err"
  echo "$?" > "$WORK/$v/oscap.rc"
  set -e
  manifest "$r" "$WORK/$v/m2"
done

python3 scripts/oscap_join.py --work "$WORK" --ds "$DS" --root "$ROOT" --out "$OUT" \
  --notes scripts/oscap-verdicts.tsv --imagegate "$BIN"
echo "wrote $OUT (raw results in $WORK)" >&2
