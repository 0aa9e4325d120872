# Stagepad: `make run` serves it, `make test` checks everything. See README.md.
.PHONY: run test console size tools test-tools bench-tools lint postgres bench lever-sim

CARGO ?= cargo

run: tools console
	$(CARGO) build --release -p server
	./target/release/stagepad

test: test-tools console lint postgres
	env -u STAGEPAD_TEST_POSTGRES_URL $(CARGO) test --workspace --lib --bins --tests
	@if [ -n "$$STAGEPAD_TEST_POSTGRES_URL" ]; then \
	  echo "== database-facing tests again, on PostgreSQL ($$STAGEPAD_TEST_POSTGRES_URL)"; \
	  $(CARGO) test -p tests --test api; \
	fi

# A Lever stand-in for trying Stagepad without a Lever account (prints its URL and an API key).
lever-sim:
	$(CARGO) run -p tests --bin lever-sim

# Figures, not pass/fail: release build, prints latencies and throughput.
bench: console bench-tools
	$(CARGO) bench -p tests

tools:
	./scripts/install-tools.sh

test-tools:
	./scripts/install-tools.sh --test

bench-tools:
	./scripts/install-tools.sh --bench

console: tools
	./scripts/build-console.sh

size: console
	@wasm=$$(ls dist/assets/*.wasm); \
	printf 'console wasm: %s\n  raw:    %7d bytes\n  brotli: %7d bytes (budget 409600)\n  gzip:   %7d bytes\n' \
	  "$$wasm" $$(stat -c %s "$$wasm") $$(stat -c %s "$$wasm.br") $$(stat -c %s "$$wasm.gz")

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Tests use PostgreSQL when STAGEPAD_TEST_POSTGRES_URL is set: make sure it runs, and drop the
# databases that earlier test runs left behind.
postgres:
	@if [ -n "$$STAGEPAD_TEST_POSTGRES_URL" ]; then \
	  pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done; \
	  psql "$$STAGEPAD_TEST_POSTGRES_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'stagepad_test_%'" \
	    | while read -r db; do psql "$$STAGEPAD_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $$db" >/dev/null; done; \
	fi
