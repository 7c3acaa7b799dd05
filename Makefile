# Custos: `make demo` runs it, `make test` proves it. Both install what is missing first
# (Debian packages via apt-get, Python test tools via pip), so they work on a fresh machine as root.

SWIFT        ?= swift
# The growth curve's engine and steps (make bench-growth). Not `$(or …)`: its commas would split the default.
GROWTH_ENGINE ?= sqlite
GROWTH_STEPS  ?= 1000000,5000000,10000000
PYTHON       ?= python3
BIN          := .build/debug/custos
APT_BUILD    := libsodium-dev libargon2-dev libsqlite3-dev zlib1g-dev pkg-config sqlite3
APT_BROWSER  := chromium chromium-driver
APT_SECURITY := sqlmap zzuf default-jre-headless
APT_SERVERS  := prometheus
DEMO_PORT    ?= 8080

.PHONY: all deps deps-test deps-security build demo test test-swift test-e2e test-security bench bench-postgres bench-growth clean

all: build

# Install the C libraries (and pkg-config) when any is missing.
deps:
	@missing=""; for p in $(APT_BUILD); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Test-only tools: Chromium and its driver for the browser tests, pytest and selenium, and the servers the e2e tests
# start themselves on loopback with their own state (prometheus scrapes /metrics). The servers come without their
# recommended exporters; where systemd runs, the packaged service is stopped and disabled, as no test uses it.
deps-test: deps
	@missing=""; for p in $(APT_BROWSER); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing \
	    || echo "NOTE: could not install$$missing; browser tests will skip with a message"; \
	fi
	@$(PYTHON) -c "import pytest, selenium" 2>/dev/null || $(PYTHON) -m pip install -q -r Tests/e2e/requirements.txt
	@missing=""; for p in $(APT_SERVERS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing \
	    || echo "NOTE: could not install$$missing; the tests that need them skip with a message"; \
	  if [ -d /run/systemd/system ]; then systemctl disable --now $$missing >/dev/null 2>&1 || true; fi; \
	fi
	@# PostgreSQL 15 binaries for CustosPostgresTests, which initdb and start a throwaway cluster of their own.
	@[ -x /usr/lib/postgresql/15/bin/initdb ] || { (apt-get update -qq || true) && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15; } \
	  || echo "NOTE: could not install postgresql-15; the PostgreSQL tests fail with a message"

# Attack, load and crash-safety tools (issue 8): Debian packages, then each area's Python requirements
# (Tests/security/requirements-*.txt) and set-up scripts (Tests/security/setup-*.sh, e.g. a venv of its own).
deps-security: deps-test
	@missing=""; for p in $(APT_SECURITY); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing \
	    || echo "NOTE: could not install$$missing; the tests that need them fail with a message"; \
	fi
	@for r in Tests/security/requirements-*.txt; do [ -f "$$r" ] || continue; \
	  $(PYTHON) -m pip install -q --disable-pip-version-check -r "$$r" || exit 1; done
	@for s in Tests/security/setup-*.sh; do [ -f "$$s" ] || continue; sh "$$s" || exit 1; done

build: deps
	$(SWIFT) build

demo: build
	$(BIN) demo --port $(DEMO_PORT)

test: deps-security build test-swift test-e2e test-security

# The PostgreSQL pass leaves out the suites about peer addresses on a live socket (trusted proxies, the metrics
# allow-list), which touch no storage: in one process with a hundred tests blocking on PostgreSQL they ran into
# their clients' timeouts. The SQLite pass runs them.
PG_SKIP = --skip 'TrustedProxyTests|MetricsTests|manyFailuresFromOneAddressThrottleThatAddress'

# Every suite on SQLite, then the store, web, holds, decryption, audit, capture and runtime suites again on
# PostgreSQL 15 (a throwaway cluster the tests start themselves; see Tests/CustosTestSupport/TestDatabase.swift).
test-swift:
	$(SWIFT) test --parallel
	CUSTOS_TEST_ENGINE=postgres $(SWIFT) test --skip-build --parallel --filter CustosWebTests $(PG_SKIP)
	CUSTOS_TEST_ENGINE=postgres $(SWIFT) test --skip-build --parallel --filter 'CustosCaptureClientTests|CustosRuntimeTests'

test-e2e:
	CUSTOS_BIN=$(BIN) $(PYTHON) -m pytest -q Tests/e2e

# Browser journeys with axe-core and the Nu checker, scanners, fuzzing, crash safety and load (issue 8).
test-security:
	CUSTOS_BIN=$(BIN) $(PYTHON) -m pytest -q Tests/security

# A benchmark, not a test: prints each figure beside a baseline measured in the same run, as a
# ratio. BENCH_ARGS=--quick for a 50,000-message look; the default is 1,000,000 messages.
# wrk loads the search page (without it the benchmark falls back to an AsyncHTTPClient loop).
bench: deps
	@command -v wrk >/dev/null 2>&1 || ((apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) \
	  || echo "NOTE: could not install wrk; the search page is loaded by an AsyncHTTPClient loop instead"
	$(SWIFT) build -c release --product custos-bench
	.build/release/custos-bench $(BENCH_ARGS)

# The same on PostgreSQL 15 (a throwaway cluster the benchmark starts in its working directory, durable settings):
# ingest beside COPY of the same rows, the searches beside the same SQL on a plain connection.
bench-postgres: deps-test
	@command -v wrk >/dev/null 2>&1 || ((apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) \
	  || echo "NOTE: could not install wrk; the search page is loaded by an AsyncHTTPClient loop instead"
	$(SWIFT) build -c release --product custos-bench
	.build/release/custos-bench --engine postgres $(BENCH_ARGS)

# One archive grown step by step: ingest rate, search p99 and bytes per message at each step.
# GROWTH_ENGINE=sqlite|postgres, GROWTH_STEPS=1000000,5000000,10000000 (needs ~5-6 KB per message of disk).
bench-growth: deps-test
	@command -v wrk >/dev/null 2>&1 || ((apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) \
	  || echo "NOTE: could not install wrk; the search page is loaded by an AsyncHTTPClient loop instead"
	$(SWIFT) build -c release --product custos-bench
	.build/release/custos-bench growth --engine $(GROWTH_ENGINE) --steps $(GROWTH_STEPS) $(BENCH_ARGS)

clean:
	rm -rf .build
