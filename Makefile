# imagegate — thin wrappers around cargo. `make run` and `make test` are the two set-up commands.
CARGO   ?= cargo
TARGET  := x86_64-unknown-linux-gnu
BIN     := target/$(TARGET)/release/imagegate
# The gnu target links glibc statically with crt-static: one binary to copy into any image.
STATIC  := -C target-feature=+crt-static

.PHONY: build run test lint rules snapshots bench e2e fuzz clean

build:
	RUSTFLAGS="$(STATIC)" $(CARGO) build --release --locked --target $(TARGET)
	@file $(BIN) 2>/dev/null | grep -Eq 'statically linked|static-pie linked' && echo "built $(BIN) (statically linked)" || { echo "$(BIN) is not statically linked" >&2; exit 1; }

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

snapshots:
	INSTA_UPDATE=always $(CARGO) test --locked

clean:
	$(CARGO) clean
