# imagegate — thin wrappers around cargo. `make run` and `make test` are the two set-up commands.
CARGO   ?= cargo
TARGET  := x86_64-unknown-linux-gnu
BIN     := target/$(TARGET)/release/imagegate
# The gnu target links glibc statically with crt-static: one binary to copy into any image.
STATIC  := -C target-feature=+crt-static

E2E_ROOT ?= target/e2e/deb12
# The mirror the machine's apt sources name (deb822 or one-line format), else Debian's CDN.
MIRROR  ?= $(shell (grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | grep -oE 'https?://[^ ]+/debian/?( |$$)' | grep -v security; echo http://deb.debian.org/debian) | head -n1)

.PHONY: build run test lint rules snapshots bench e2e e2e-root e2e-roots e2e-pipeline fuzz clean report-screenshot compare-oscap dist dist-package sshd-diff

build:
	RUSTFLAGS="$(STATIC)" $(CARGO) build --release --locked --target $(TARGET)
	@file $(BIN) 2>/dev/null | grep -Eq 'statically linked|static-pie linked' && echo "built $(BIN) (statically linked)" || { echo "$(BIN) is not statically linked" >&2; exit 1; }

# Release artifacts in dist/: imagegate-VERSION-x86_64-linux.tar.gz (the static binary and
# README.md in a directory of that name; owners, modes and times fixed so the same binary gives
# the same tarball) and imagegate-VERSION.SHA256SUMS (the tarball's and the binary's sums, for
# `sha256sum -c`). examples/fetch-imagegate.sh fetches a version and checks both sums.
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n1)
DIST    := imagegate-$(VERSION)-x86_64-linux
DIST_BIN ?= $(BIN)
DIST_DIR ?= dist
dist: build dist-package
dist-package:
	rm -rf $(DIST_DIR)/$(DIST) $(DIST_DIR)/$(DIST).tar.gz $(DIST_DIR)/imagegate-$(VERSION).SHA256SUMS
	mkdir -p $(DIST_DIR)/$(DIST)
	install -m 0755 $(DIST_BIN) $(DIST_DIR)/$(DIST)/imagegate
	install -m 0644 README.md $(DIST_DIR)/$(DIST)/README.md
	tar -C $(DIST_DIR) --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - $(DIST) | gzip -n > $(DIST_DIR)/$(DIST).tar.gz
	cd $(DIST_DIR) && sha256sum $(DIST).tar.gz $(DIST)/imagegate > imagegate-$(VERSION).SHA256SUMS
	@cat $(DIST_DIR)/imagegate-$(VERSION).SHA256SUMS

# Scan this machine with the default profile. The scan's own exit code (0 ok, 1 failing findings,
# 2 error) is printed rather than turned into a make failure: this target is for reading findings.
run: build
	@./$(BIN) scan; status=$$?; echo "imagegate exited with $$status (0: no failing finding, 1: failing findings, 2: error)" >&2

test:
	$(CARGO) test --locked
	$(MAKE) --no-print-directory rules

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

rules:
	$(CARGO) run -q --locked -- rules validate
	$(CARGO) run -q --locked -- rules validate --rules examples/site-rules

snapshots:
	INSTA_UPDATE=always $(CARGO) test --locked

# The generative sshd differential (tests/integration/sshd_gen.rs) with N trees of five views each
# against the real sshd -T (as root, openssh-server 9.2p1 installed); `make test` runs 400. SEED
# picks another seed; every disagreement is printed.
N ?= 2000
sshd-diff:
	IMAGEGATE_SSHD_DIFF_N=$(N) $(if $(SEED),IMAGEGATE_SSHD_DIFF_SEED=$(SEED)) $(CARGO) test --locked --test integration sshd_t_agrees_with_real_sshd_on_generated_trees -- --nocapture

# A real Debian 12 root, built once with debootstrap (as root) from the machine's mirror.
e2e-root: $(E2E_ROOT)/etc/os-release
$(E2E_ROOT)/etc/os-release:
	mkdir -p $(dir $(E2E_ROOT))
	debootstrap --variant=minbase --include=openssh-server,systemd-sysv,apparmor,unattended-upgrades bookworm $(E2E_ROOT) $(MIRROR)

# End-to-end: scan the debootstrapped root with every profile, compare its packages with
# dpkg-query's view of the same database, verify its package files and catch an altered binary.
e2e: build e2e-root
	for p in cloud-image cis-l1-server capture supply-chain; do ./$(BIN) rules list --profile $$p >/dev/null 2>&1 || continue; \
	  ./$(BIN) scan --root $(E2E_ROOT) --profile $$p; test $$? -le 1 || exit 1; done
	IMAGEGATE_E2E_ROOT=$(abspath $(E2E_ROOT)) $(CARGO) test --locked --test integration differential
	$(MAKE) --no-print-directory e2e-roots
	$(MAKE) --no-print-directory e2e-pipeline

# Real Debian 11, 12 and 13 roots (debootstrap, minbase + openssh-server, each with its security
# suite's indexes fetched by apt-get inside the root): packages against dpkg-query, pending security
# updates against apt's own upgradable list, and `imagegate sshd-config` against the root's own
# `sshd -T` in a chroot. Roots are kept in target/e2e/roots; RELEASES picks a subset.
e2e-roots: build
	ROOTS_DIR=target/e2e/roots IMAGEGATE=$(BIN) MIRROR=$(MIRROR) $(if $(RELEASES),RELEASES="$(RELEASES)") bash scripts/e2e-roots.sh

# The pipelines it runs in, with the real programs (as root; installs Debian's packer,
# openssh-server and ansible): a throw-away sshd on 127.0.0.1, `packer build` with the null builder
# over SSH against a compliant and a non-compliant root (examples/packer), `ssh … imagegate scan`,
# and examples/ansible against two inventory hosts with `imagegate report merge`; the binary
# packaged as `make dist` does and fetched by version with its sums checked; a second sshd whose
# sessions see /tmp noexec (a private mount namespace), and a wrong SHA-256 (status 3).
e2e-pipeline: build
	bash scripts/e2e-pipeline.sh

bench: build
	bash bench/bench.sh

# imagegate's cis-l2-server against OpenSCAP's CIS level 2 server profile (SSG's Ubuntu 22.04 content,
# platform check patched) on copies of the e2e root; writes docs/oscap-comparison.md. Not part of
# `make test`: needs root, openscap-scanner and ssg-debderived.
compare-oscap: build e2e-root
	E2E_ROOT=$(E2E_ROOT) IMAGEGATE=$(BIN) bash scripts/compare-oscap.sh

# Render a fixture root's HTML report, screenshot it (out/report.png) and check the filters in
# headless Chromium. Not part of `make test`: needs `apt-get install -y chromium`.
report-screenshot:
	sh scripts/report-screenshot.sh $(ROOT)

# Fuzz every parser for FUZZ_SECONDS each (docs/fuzzing.md). Needs the nightly toolchain and
# cargo-fuzz (installed here on first use). FUZZ_TARGETS picks a subset; crashes land in
# fuzz/artifacts/<target>/ and each one becomes a regression test in the parser's module.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(shell sed -n 's/^name = "\(.*\)"$$/\1/p' fuzz/Cargo.toml | grep -v imagegate-fuzz)
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	sh fuzz/seed.sh
	cd fuzz && $(CARGO) +nightly fuzz build -s none -a
	for t in $(FUZZ_TARGETS); do \
	  (cd fuzz && $(CARGO) +nightly fuzz run -s none -a $$t -- -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1) || exit 1; \
	done

clean:
	$(CARGO) clean
