#!/usr/bin/env bash
# make e2e-pipeline: imagegate in the pipelines it runs in, proven with the real programs.
#
#   1. Debian's packer, openssh-server, ansible (and sudo) are installed with apt-get.
#   2. A throw-away sshd listens on 127.0.0.1 on a spare port: its own config file, host key,
#      PidFile and authorized_keys, all under a mktemp -d work directory. It never touches the
#      system sshd or /etc/ssh, and is stopped by its pid on exit (also on failure: trap).
#      Packer, ssh and Ansible log in as root with a throw-away key (no user is created; the
#      Packer template still runs imagegate through sudo, as on a real build host).
#   3. The Packer templates of examples/packer (HCL2 and JSON) are validated, and a real
#      `packer build` with the null builder runs over SSH twice: against a compliant root (the
#      build succeeds) and a non-compliant one (it fails with imagegate's exit code 1, and the
#      failing finding is in the Packer log). The scanned roots are copies of
#      fixtures/roots/ubuntu2204 (the live machine itself is not compliant, and should not be the
#      test's subject); the non-compliant copy has the drop-in a cloud image build forgets.
#   4. By hand: scp the binary and `ssh -p PORT 127.0.0.1 imagegate scan …` — the exit code comes
#      back over ssh (0 and 1).
#   5. Fleet: examples/ansible/imagegate.yml against an inventory of two hosts (both this
#      sshd, each scanning one of the roots): the reports are fetched, `imagegate report merge`
#      names the failing host, and ansible-playbook exits 2 because one host failed.
#   6. Release and hardened images: the binary is packaged as `make dist` does
#      (`make dist-package`) and fetched by version with examples/fetch-imagegate.sh, which checks
#      the sums (the playbook fetches it itself with -e imagegate_version); every build and the
#      playbook use that binary and check its SHA-256 on the machine.
#      A second throw-away sshd runs in a private mount namespace where /tmp is remounted noexec
#      (as CIS-hardened images mount it; the rest of the machine is untouched): the Packer build
#      and the playbook still pass there, and leave no imagegate file behind. A wrong SHA-256
#      makes the scan step fail with status 3 ("could not run"), not 1.
#
# Must run as root on a Debian 12 machine with only the repository and Debian's mirror
# reachable. Everything it writes is under the work directory, kept (and named) on failure.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=${IMAGEGATE_BIN:-$REPO/target/x86_64-unknown-linux-gnu/release/imagegate}
# The rules the gate selects: they all pass on fixtures/roots/ubuntu2204.
ONLY="--only ssh.permit-root-login-disabled --only ssh.password-authentication-disabled --only ssh.permit-empty-passwords-disabled --only ssh.no-match-block-weakens-global"

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
info() { printf '   %s\n' "$*" >&2; }
fail() { printf '\ne2e-pipeline: FAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root: it installs packages and starts a test sshd (sudo make e2e-pipeline)"
[ -x "$BIN" ] || fail "no binary at $BIN: run \`make build\` first"

WORK=$(mktemp -d /tmp/imagegate-e2e-pipeline.XXXXXX)
SSHD_PID=
NOEXEC_SSHD_PID=
OK=
cleanup() {
    if [ -n "$SSHD_PID" ] && kill -0 "$SSHD_PID" 2>/dev/null; then
        kill "$SSHD_PID" && info "stopped the test sshd (pid $SSHD_PID)"
    fi
    if [ -n "$NOEXEC_SSHD_PID" ] && kill -0 "$NOEXEC_SSHD_PID" 2>/dev/null; then
        kill "$NOEXEC_SSHD_PID" && info "stopped the noexec test sshd (pid $NOEXEC_SSHD_PID)"
    fi
    if [ -n "$OK" ]; then
        rm -rf "$WORK"
    else
        printf 'e2e-pipeline: the work directory is kept for inspection: %s\n' "$WORK" >&2
    fi
}
trap cleanup EXIT
info "work directory: $WORK"

step "installing Debian's packer, openssh-server, ansible, sudo"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq packer openssh-server ansible sudo >"$WORK/apt.log" 2>&1; then
    apt-get update -qq >>"$WORK/apt.log" 2>&1
    apt-get install -y -qq packer openssh-server ansible sudo >>"$WORK/apt.log" 2>&1 ||
        { cat "$WORK/apt.log" >&2; fail "apt-get install failed"; }
fi
info "$(packer version | head -n1); $(ansible --version | head -n1); $(ssh -V 2>&1)"
info "$("$BIN" --version)"

# Nothing in the user's home or the system: tools keep their state in the work directory, and
# Packer does not phone home (no network).
export HOME="$WORK/home" CHECKPOINT_DISABLE=1 PACKER_CONFIG_DIR="$WORK/home/.packer.d" \
    PACKER_CACHE_DIR="$WORK/packer-cache" TMPDIR="$WORK/tmp" ANSIBLE_CONFIG="$WORK/ansible.cfg"
mkdir -p "$HOME" "$TMPDIR" "$WORK/ssh" "$WORK/reports"

step "preparing the scanned roots (copies of fixtures/roots/ubuntu2204)"
cp -a "$REPO/fixtures/roots/ubuntu2204" "$WORK/root-compliant"
cp -a "$REPO/fixtures/roots/ubuntu2204" "$WORK/root-noncompliant"
# The drop-in that Ubuntu's cloud images must not carry: it sorts first, and sshd takes the
# first value it reads (sshd_config(5)).
printf 'PermitRootLogin yes\n' >"$WORK/root-noncompliant/etc/ssh/sshd_config.d/01-permitrootlogin.conf"
info "compliant:     $WORK/root-compliant"
info "non-compliant: $WORK/root-noncompliant (+ /etc/ssh/sshd_config.d/01-permitrootlogin.conf)"

step "starting a throw-away sshd on 127.0.0.1"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ssh-keygen -q -t ed25519 -N '' -C imagegate-e2e-host -f "$WORK/ssh/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C imagegate-e2e-user -f "$WORK/ssh/id_ed25519"
cp "$WORK/ssh/id_ed25519.pub" "$WORK/ssh/authorized_keys"
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$WORK/ssh/host_ed25519.pub")" >"$WORK/ssh/known_hosts"
cat >"$WORK/ssh/sshd_config" <<EOF
# Throw-away sshd for imagegate's e2e-pipeline test; nothing here is read from /etc/ssh.
ListenAddress 127.0.0.1
Port $PORT
HostKey $WORK/ssh/host_ed25519
PidFile $WORK/sshd.pid
AuthorizedKeysFile $WORK/ssh/authorized_keys
# The key file lives under /tmp (world-writable), which StrictModes would refuse.
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
Subsystem sftp internal-sftp
LogLevel VERBOSE
EOF
# sshd needs its privilege separation directory; the package's unit normally creates it.
[ -d /run/sshd ] || install -d -m 0755 /run/sshd
/usr/sbin/sshd -t -f "$WORK/ssh/sshd_config" || fail "the test sshd config does not load"
/usr/sbin/sshd -f "$WORK/ssh/sshd_config" -E "$WORK/sshd.log"
for _ in $(seq 50); do [ -s "$WORK/sshd.pid" ] && break; sleep 0.1; done
[ -s "$WORK/sshd.pid" ] || { cat "$WORK/sshd.log" >&2; fail "the test sshd did not start"; }
SSHD_PID=$(cat "$WORK/sshd.pid")
info "sshd pid $SSHD_PID on 127.0.0.1:$PORT (config $WORK/ssh/sshd_config, log $WORK/sshd.log)"

SSH_OPTS=(-F /dev/null -p "$PORT" -i "$WORK/ssh/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$WORK/ssh/known_hosts" -o ConnectTimeout=10)
ssh "${SSH_OPTS[@]}" root@127.0.0.1 true || { cat "$WORK/sshd.log" >&2; fail "cannot log in to the test sshd"; }
info "ssh root@127.0.0.1 -p $PORT works"

# --- A second sshd whose sessions see /tmp noexec ------------------------------------------
step "starting a second throw-away sshd whose sessions see /tmp mounted noexec (private mount namespace)"
NOEXEC_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s/^Port .*/Port $NOEXEC_PORT/" -e "s|^PidFile .*|PidFile $WORK/sshd-noexec.pid|" \
    "$WORK/ssh/sshd_config" >"$WORK/ssh/sshd_config-noexec"
printf '[127.0.0.1]:%s %s\n' "$NOEXEC_PORT" "$(cut -d' ' -f1,2 "$WORK/ssh/host_ed25519.pub")" >>"$WORK/ssh/known_hosts"
unshare --mount --propagation private sh -c 'mount --bind /tmp /tmp && mount -o remount,bind,noexec /tmp && exec /usr/sbin/sshd -D -f "$1" -E "$2"' \
    sh "$WORK/ssh/sshd_config-noexec" "$WORK/sshd-noexec.log" &
NOEXEC_SSHD_PID=$!
for _ in $(seq 50); do [ -s "$WORK/sshd-noexec.pid" ] && break; sleep 0.1; done
[ -s "$WORK/sshd-noexec.pid" ] || { cat "$WORK/sshd-noexec.log" >&2; fail "the noexec test sshd did not start"; }
NOEXEC_SSH_OPTS=("${SSH_OPTS[@]}")
NOEXEC_SSH_OPTS[3]=$NOEXEC_PORT
cp "$BIN" "$WORK/noexec-probe"
set +e
ssh "${NOEXEC_SSH_OPTS[@]}" root@127.0.0.1 "$WORK/noexec-probe" --version >"$WORK/noexec-probe.log" 2>&1; PROBE_RC=$?
set -e
[ "$PROBE_RC" = 126 ] || { cat "$WORK/noexec-probe.log" >&2; fail "/tmp is not noexec in the second sshd's sessions (exit $PROBE_RC, want 126)"; }
info "sshd pid $NOEXEC_SSHD_PID on 127.0.0.1:$NOEXEC_PORT; running a binary from /tmp there: exit 126 ($(head -n1 "$WORK/noexec-probe.log"))"

# --- Release: package as `make dist` does, fetch by version with the sums checked -----------
step "release: make dist-package, then examples/fetch-imagegate.sh VERSION from it"
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$REPO/Cargo.toml" | head -n1)
make -C "$REPO" --no-print-directory -s dist-package DIST_BIN="$BIN" DIST_DIR="$WORK/release" >"$WORK/dist.log" 2>&1 ||
    { cat "$WORK/dist.log" >&2; fail "make dist-package"; }
mkdir -p "$WORK/fetched"
(cd "$WORK/fetched" && sh "$REPO/examples/fetch-imagegate.sh" "$VERSION" "file://$WORK/release") >&2 ||
    fail "fetch-imagegate.sh could not fetch the release it was given"
SHA=$(cat "$WORK/fetched/imagegate.sha256")
cp -a "$WORK/release" "$WORK/release-tampered"
printf 'x' >>"$WORK/release-tampered/imagegate-$VERSION-x86_64-linux.tar.gz"
if (cd "$WORK/fetched" && sh "$REPO/examples/fetch-imagegate.sh" "$VERSION" "$WORK/release-tampered") >"$WORK/fetch-tampered.log" 2>&1; then
    fail "fetch-imagegate.sh accepted a tarball that does not match its SHA256SUMS"
fi
info "a tampered tarball is refused: $(tail -n1 "$WORK/fetch-tampered.log")"

# --- Packer ---------------------------------------------------------------------------------
packer_vars() { # $1: the root to scan, $2: the reports directory
    printf '%s\n' -var "imagegate_binary=$WORK/fetched/imagegate" -var "imagegate_sha256=${SHA_OVERRIDE:-$SHA}" \
        -var "scan_root=$1" -var "reports_dir=$2" \
        -var "imagegate_args=$ONLY" -var ssh_host=127.0.0.1 -var "ssh_port=${PACKER_PORT:-$PORT}" -var ssh_username=root \
        -var "ssh_private_key_file=$WORK/ssh/id_ed25519"
}

step "packer validate: examples/packer/imagegate.pkr.hcl and imagegate.json"
for t in imagegate.pkr.hcl imagegate.json; do
    mapfile -t vars < <(packer_vars / "$WORK/reports/validate")
    (cd "$REPO/examples/packer" && packer validate "${vars[@]}" "$t") >"$WORK/validate-$t.log" 2>&1 ||
        { cat "$WORK/validate-$t.log" >&2; fail "packer validate $t"; }
    info "$t: valid"
done

# packer_build TEMPLATE ROOT NAME: runs the build, its log in $WORK/packer-NAME.log; sets RC.
packer_build() {
    local template=$1 root=$2 name=$3
    mapfile -t vars < <(packer_vars "$root" "$WORK/reports/$name")
    mkdir -p "$WORK/reports/$name"
    set +e
    (cd "$REPO/examples/packer" && packer build -color=false "${vars[@]}" "$template") >"$WORK/packer-$name.log" 2>&1
    RC=$?
    set -e
    info "packer build $template (root: $(basename "$root")) exited $RC; log: $WORK/packer-$name.log"
}

step "packer build (HCL2, null builder over SSH) against the compliant root: must succeed"
packer_build imagegate.pkr.hcl "$WORK/root-compliant" hcl-compliant
[ "$RC" = 0 ] || { cat "$WORK/packer-hcl-compliant.log" >&2; fail "the compliant build failed"; }
grep -q 'imagegate exited with 0' "$WORK/packer-hcl-compliant.log" || fail "no imagegate exit line in the log"
grep -E '^ *null\.gate: +[0-9]+ rules: ' "$WORK/packer-hcl-compliant.log" | sed 's/^/   /' >&2 ||
    grep -E '[0-9]+ rules: ' "$WORK/packer-hcl-compliant.log" | sed 's/^/   /' >&2
for f in imagegate.json imagegate.xml imagegate.html; do
    [ -s "$WORK/reports/hcl-compliant/$f" ] || fail "the compliant build did not download $f"
done
python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); assert r["schema"] == "imagegate.report/v1" and r["summary"]["fail"] == 0, r["summary"]' \
    "$WORK/reports/hcl-compliant/imagegate.json" || fail "the downloaded JSON report is not a passing one"
info "reports downloaded: $(cd "$WORK/reports/hcl-compliant" && echo *)"

step "packer build (HCL2) against the non-compliant root: must fail with imagegate's exit code"
packer_build imagegate.pkr.hcl "$WORK/root-noncompliant" hcl-noncompliant
LOG="$WORK/packer-hcl-noncompliant.log"
[ "$RC" != 0 ] || { cat "$LOG" >&2; fail "the non-compliant build succeeded"; }
grep -q 'FAIL  high     ssh.permit-root-login-disabled' "$LOG" || { cat "$LOG" >&2; fail "the failing finding is not in the Packer log"; }
grep -q '01-permitrootlogin.conf:1' "$LOG" || fail "the finding's evidence (file:line) is not in the Packer log"
grep -q 'imagegate exited with 1' "$LOG" || fail "imagegate's exit code 1 is not in the Packer log"
grep -qi 'non-zero exit status: 1' "$LOG" || fail "Packer did not fail the step on exit status 1"
grep -E 'FAIL  high|permitrootlogin = |imagegate exited with|non-zero exit status|Build .* errored' "$LOG" | sed 's/^/   | /' >&2
python3 -c 'import json,sys; r = json.load(open(sys.argv[1])); assert r["summary"]["fail"] == 1, r["summary"]' \
    "$WORK/reports/hcl-noncompliant/imagegate.json" || fail "the failing build's JSON report was not downloaded"
info "the failing build still downloaded its reports: $(cd "$WORK/reports/hcl-noncompliant" && echo *)"
HCL_FAIL_RC=$RC

step "packer build (JSON template, as Debian's packer 1.6 reads it): compliant, then non-compliant"
packer_build imagegate.json "$WORK/root-compliant" json-compliant
[ "$RC" = 0 ] || { cat "$WORK/packer-json-compliant.log" >&2; fail "the compliant JSON-template build failed"; }
packer_build imagegate.json "$WORK/root-noncompliant" json-noncompliant
[ "$RC" != 0 ] || fail "the non-compliant JSON-template build succeeded"
grep -q 'ssh.permit-root-login-disabled' "$WORK/packer-json-noncompliant.log" || fail "no finding in the JSON-template build's log"
grep -qi 'non-zero exit status: 1' "$WORK/packer-json-noncompliant.log" || fail "the JSON-template build did not fail on exit status 1"
JSON_FAIL_RC=$RC

step "packer build (HCL2) on a machine whose /tmp is noexec: must succeed and leave nothing behind"
PACKER_PORT=$NOEXEC_PORT packer_build imagegate.pkr.hcl "$WORK/root-compliant" hcl-noexec
LOG="$WORK/packer-hcl-noexec.log"
[ "$RC" = 0 ] || { cat "$LOG" >&2; fail "the build on a noexec /tmp failed"; }
grep -q 'imagegate exited with 0' "$LOG" || fail "no imagegate exit line in the noexec build's log"
[ -s "$WORK/reports/hcl-noexec/imagegate.json" ] || fail "the noexec build did not download its report"
LEFT=$(ssh "${NOEXEC_SSH_OPTS[@]}" root@127.0.0.1 'ls -d /run/imagegate.* /var/lib/imagegate.* /root/imagegate.* /tmp/imagegate /tmp/imagegate-out 2>/dev/null' || true)
[ -z "$LEFT" ] || fail "the build left files behind: $LEFT"
grep -E 'imagegate: running|imagegate exited with' "$LOG" | sed 's/^/   | /' >&2
PACKER_PORT=$NOEXEC_PORT packer_build imagegate.json "$WORK/root-noncompliant" json-noexec
[ "$RC" != 0 ] || fail "the non-compliant JSON-template build on a noexec /tmp succeeded"
grep -q 'imagegate exited with 1' "$WORK/packer-json-noexec.log" || { cat "$WORK/packer-json-noexec.log" >&2; fail "the noexec JSON-template build did not report imagegate's exit 1"; }

step "packer build with a wrong SHA-256: the scan step fails with status 3 (could not run), not 1"
SHA_OVERRIDE=0000000000000000000000000000000000000000000000000000000000000000 packer_build imagegate.pkr.hcl "$WORK/root-compliant" hcl-badsum
LOG="$WORK/packer-hcl-badsum.log"
[ "$RC" != 0 ] || fail "a binary with the wrong SHA-256 was accepted"
grep -q 'imagegate could not run: .*does not have the expected SHA-256' "$LOG" || { cat "$LOG" >&2; fail "no 'could not run' reason in the log"; }
grep -qi 'non-zero exit status: 3' "$LOG" || { cat "$LOG" >&2; fail "the scan step did not fail with status 3"; }
grep -E 'could not run|non-zero exit status' "$LOG" | sed 's/^/   | /' >&2

# --- By hand over SSH -----------------------------------------------------------------------
step "by hand: scp the binary, ssh … imagegate scan; the exit code comes back over ssh"
ssh "${SSH_OPTS[@]}" root@127.0.0.1 mkdir -p "$WORK/remote"
scp -q -F /dev/null -P "$PORT" -i "$WORK/ssh/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o UserKnownHostsFile="$WORK/ssh/known_hosts" "$BIN" "root@127.0.0.1:$WORK/remote/imagegate"
# shellcheck disable=SC2086 # $ONLY is a list of words on purpose
by_hand() { ssh "${SSH_OPTS[@]}" root@127.0.0.1 "$WORK/remote/imagegate" scan --root "$1" $ONLY --color never; }
set +e
by_hand "$WORK/root-compliant" >"$WORK/ssh-compliant.log" 2>&1; SSH_OK_RC=$?
by_hand "$WORK/root-noncompliant" >"$WORK/ssh-noncompliant.log" 2>&1; SSH_FAIL_RC=$?
by_hand "$WORK/no-such-root" >"$WORK/ssh-error.log" 2>&1; SSH_ERR_RC=$?
set -e
info "ssh … imagegate scan --root root-compliant    → exit $SSH_OK_RC"
info "ssh … imagegate scan --root root-noncompliant → exit $SSH_FAIL_RC"
info "ssh … imagegate scan --root no-such-root      → exit $SSH_ERR_RC: $(head -n1 "$WORK/ssh-error.log")"
[ "$SSH_OK_RC" = 0 ] || { cat "$WORK/ssh-compliant.log" >&2; fail "by hand: compliant root did not exit 0"; }
[ "$SSH_FAIL_RC" = 1 ] || { cat "$WORK/ssh-noncompliant.log" >&2; fail "by hand: non-compliant root did not exit 1"; }
grep -q 'FAIL  high     ssh.permit-root-login-disabled' "$WORK/ssh-noncompliant.log" || fail "by hand: no finding"
[ "$SSH_ERR_RC" = 2 ] || { cat "$WORK/ssh-error.log" >&2; fail "by hand: a scan that cannot run did not exit 2"; }

# --- Ansible fleet --------------------------------------------------------------------------
step "fleet: examples/ansible/imagegate.yml against two inventory hosts (both the test sshd)"
cat >"$WORK/ansible.cfg" <<EOF
[defaults]
host_key_checking = True
local_tmp = $WORK/ansible-local
remote_tmp = $WORK/ansible-remote
retry_files_enabled = False
nocows = True
stdout_callback = default
[ssh_connection]
ssh_args = -F /dev/null -o IdentitiesOnly=yes -o UserKnownHostsFile=$WORK/ssh/known_hosts -o StrictHostKeyChecking=yes -o ControlMaster=auto -o ControlPersist=30s -o ControlPath=$WORK/cp-%%C
EOF
cat >"$WORK/inventory.ini" <<EOF
[fleet]
web1 ansible_host=127.0.0.1 ansible_port=$NOEXEC_PORT imagegate_root=$WORK/root-compliant
web2 ansible_host=127.0.0.1 imagegate_root=$WORK/root-noncompliant

[fleet:vars]
# web1 is the noexec-/tmp sshd (its own ansible_port above wins over this one).
ansible_port=$PORT
ansible_user=root
ansible_ssh_private_key_file=$WORK/ssh/id_ed25519
ansible_python_interpreter=/usr/bin/python3
EOF
ARGS_JSON=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1].split()))' "$ONLY")
(cd "$REPO/examples/ansible" && ansible-playbook --syntax-check -i "$WORK/inventory.ini" imagegate.yml) >"$WORK/ansible-syntax.log" 2>&1 ||
    { cat "$WORK/ansible-syntax.log" >&2; fail "ansible-playbook --syntax-check"; }
set +e
(cd "$REPO/examples/ansible" && ansible-playbook -i "$WORK/inventory.ini" imagegate.yml \
    -e "{\"imagegate_version\": \"$VERSION\", \"imagegate_releases\": \"file://$WORK/release\", \"imagegate_fetch_dir\": \"$WORK/ansible-release\", \"imagegate_reports_dir\": \"$WORK/reports/fleet\", \"imagegate_args\": $ARGS_JSON}") \
    >"$WORK/ansible.log" 2>&1
ANSIBLE_RC=$?
set -e
info "ansible-playbook exited $ANSIBLE_RC; log: $WORK/ansible.log"
grep -E '^TASK \[|^(ok|fatal|changed|failed|skipping): \[|^web[12] +: ' "$WORK/ansible.log" | sed 's/^/   | /' >&2 || true
[ "$ANSIBLE_RC" = 2 ] || { cat "$WORK/ansible.log" >&2; fail "ansible-playbook should exit 2 (one host failed)"; }
cmp -s "$WORK/ansible-release/imagegate" "$BIN" || fail "the playbook did not fetch the release by version (-e imagegate_version)"
for h in web1 web2; do
    [ -s "$WORK/reports/fleet/$h.json" ] || fail "no report fetched from $h"
done
grep -q 'imagegate exited 1 on web2' "$WORK/ansible.log" || fail "web2's failure is not reported by the playbook"
grep -q 'imagegate exited .* on web1' "$WORK/ansible.log" && fail "web1 should pass"
[ -s "$WORK/reports/fleet/fleet.html" ] || fail "no fleet.html"
sed 's/^/   | /' "$WORK/reports/fleet/fleet.txt" >&2
grep -Eq '^ssh\.permit-root-login-disabled +high +1/2 .* web2$' "$WORK/reports/fleet/fleet.txt" ||
    fail "the merged summary does not show ssh.permit-root-login-disabled failing on 1/2 hosts (web2)"

OK=1
step "e2e-pipeline: PASS"
cat >&2 <<EOF
   packer build (HCL2), compliant root:     exit 0
   packer build (HCL2), non-compliant root: exit $HCL_FAIL_RC (imagegate exited 1, finding in the log)
   packer build (JSON), compliant root:     exit 0
   packer build (JSON), non-compliant root: exit $JSON_FAIL_RC
   /tmp noexec (CIS): HCL2 build exit 0, nothing left behind; JSON non-compliant: imagegate exited 1
   wrong SHA-256: the scan step fails with status 3 (could not run); a tampered release is not fetched
   ssh … imagegate scan:                    exit $SSH_OK_RC (compliant), $SSH_FAIL_RC (non-compliant), $SSH_ERR_RC (no such root)
   ansible-playbook (web1 ok, web2 fails):  exit $ANSIBLE_RC; report merge: 1/2 hosts fail ssh.permit-root-login-disabled
EOF
