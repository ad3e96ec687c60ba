#!/bin/sh
# Seeds each fuzz target's corpus (fuzz/corpus/<target>, not committed) with the fixture roots'
# real files, so libFuzzer starts from realistic input rather than from nothing.
set -eu
cd "$(dirname "$0")/.."
R=fixtures/roots
seed() { # seed TARGET PREFIX FILE...
  t=$1; prefix=$2; shift 2
  mkdir -p "fuzz/corpus/$t"
  for f in "$@"; do
    [ -f "$f" ] || continue
    out="fuzz/corpus/$t/$(echo "$f" | tr / _)"
    { printf '%b' "$prefix"; head -c 65536 "$f"; } > "$out"
  done
}
seed sshd_config '' $R/*/etc/ssh/sshd_config $R/*/etc/ssh/sshd_config.d/*
seed os_release '' $R/*/etc/os-release $R/*/usr/lib/os-release
seed sysctl '' $R/*/etc/sysctl.conf $R/*/etc/sysctl.d/* $R/*/usr/lib/sysctl.d/*
seed dpkg_status '' $R/*/var/lib/dpkg/status
seed apt_index '' $R/*/var/lib/apt/lists/*Release $R/*/var/lib/apt/lists/*Packages
# The Berkeley DB rpmdb made by the rpmdb_diff integration test (after a `make test`).
seed rpm_bdb '' $(find target/tmp -path '*rpmdb-*/bdb-seed/Packages' 2>/dev/null | head -1)
seed rpm_ndb '' $(find target/tmp -path '*rpmdb-*/ndb-seed/Packages.db' 2>/dev/null | head -1)
seed rpm_dnf '\001' $(find $R -name '*updateinfo.xml' 2>/dev/null)
seed accounts '' $R/*/etc/passwd
seed apk_installed '' $R/*/lib/apk/db/installed
seed fstab_misc '' $R/*/etc/fstab $R/*/etc/machine-id $R/*/root/.ssh/authorized_keys
seed rules_toml '\000' rules/*.toml
seed rules_toml '\001' $(find fixtures -name 'waivers*.toml' 2>/dev/null)
seed rules_toml '\002' $(find fixtures -name 'tailoring*.toml' 2>/dev/null)
seed config_misc '\000' $R/*/etc/apt/apt.conf.d/*
seed config_misc '\001' $R/*/etc/dnf/automatic.conf
seed config_misc '\002' $R/*/etc/cloud/cloud.cfg
seed config_misc '\003' $R/*/etc/selinux/config
