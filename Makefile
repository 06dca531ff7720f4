# caseflow — the two commands that matter:
#   make run    build, load demo data once, start the embedded product on http://127.0.0.1:8080
#   make test   install what the tests need, then run every test
SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO ?= cargo
BIN := target/release/caseflow
DATA := caseflow-data
DB := sqlite://$(DATA)/caseflow.db
LISTEN ?= 127.0.0.1:8080
# Demo window: the last six months up to today, so live views have current data.
DEMO_FROM ?= $(shell date -d "$$(date +%Y-%m-01) -6 months" +%F)
DEMO_TO ?= $(shell date +%F)
DEMO_ARGS ?= --seed 2020 --gemeenten 3 --scale 1.0

.PHONY: help run test deps build-deps test-deps build bench clean-data

help:
	@echo "make run   - build, generate demo data once, start caseflow (API + dashboard on http://$(LISTEN))"
	@echo "make test  - install test prerequisites and run all tests"
	@echo "make bench - benchmark harness (docs/benchmarks.md): table + target/bench/report.json"

# Test prerequisites, installed once and cached (make test exports their paths):
#   PostgreSQL server binaries and the sqlite3 shell (apt), a Python venv with kafka-python (the external
#   Kafka client of the end-to-end tier) and Playwright (drives Debian's chromium in the dashboard
#   tests), and the tansu Kafka broker (crates.io,
#   built once into ~/.cache/caseflow, about 8 minutes on 2 cores).
CACHE ?= $(HOME)/.cache/caseflow
VENV := $(CACHE)/venv
KAFKA_PYTHON_VERSION ?= 3.0.12
PLAYWRIGHT_VERSION ?= 1.65.3
TANSU_VERSION ?= 0.6.0
TANSU := $(CACHE)/tansu-$(TANSU_VERSION)/bin/tansu
export CASEFLOW_TANSU ?= $(TANSU)
export CASEFLOW_PYTHON ?= $(VENV)/bin/python

# What building needs (make run and make test): a C toolchain for librdkafka and SQLite,
# and OpenSSL's headers for librdkafka's TLS and SASL.
build-deps:
	@command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs"; exit 1; }
	@missing=""; \
	  for pair in pkg-config:pkg-config make:make cc:gcc c++:g++ perl:perl; do \
	    cmd=$${pair%%:*}; pkg=$${pair##*:}; command -v $$cmd >/dev/null || missing="$$missing $$pkg"; done; \
	  pkg-config --exists openssl 2>/dev/null || missing="$$missing libssl-dev"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null; \
	  fi

# What only the tests need: PostgreSQL, the external Kafka client, the broker, and
# a real browser (chromium) with pdftotext for the council report's PDF.
test-deps:
	@missing=""; \
	  command -v python3 >/dev/null || missing="$$missing python3"; \
	  command -v sqlite3 >/dev/null || missing="$$missing sqlite3"; \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  python3 -c "import ensurepip, venv" >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null; \
	  fi
	@$(CASEFLOW_PYTHON) -c "import kafka" >/dev/null 2>&1 || { \
	  echo "creating $(VENV) with kafka-python $(KAFKA_PYTHON_VERSION)"; \
	  python3 -m venv $(VENV) && $(VENV)/bin/pip install -q --disable-pip-version-check kafka-python==$(KAFKA_PYTHON_VERSION); }
	@$(CASEFLOW_PYTHON) -c "import playwright" >/dev/null 2>&1 || { \
	  echo "installing Playwright $(PLAYWRIGHT_VERSION) into $(VENV) (drives Debian's chromium; no browser download)"; \
	  $(VENV)/bin/pip install -q --disable-pip-version-check playwright==$(PLAYWRIGHT_VERSION); }
	@[ -x "$(CASEFLOW_TANSU)" ] || { \
	  echo "building the tansu $(TANSU_VERSION) broker once into $(CACHE) (about 8 minutes) …"; \
	  $(CARGO) install tansu --version $(TANSU_VERSION) --no-default-features --features dynostore \
	    --root $(CACHE)/tansu-$(TANSU_VERSION) --locked --quiet; }


deps: build-deps test-deps

build: build-deps
	$(CARGO) build --release --locked -p caseflow

$(DATA)/caseflow.db: | build
	@mkdir -p $(DATA)
	@echo "generating demo data ($(DEMO_FROM) .. $(DEMO_TO)) …"
	$(BIN) simulate $(DEMO_ARGS) --from $(DEMO_FROM) --to $(DEMO_TO) --out $(DATA)/demo.ndjson
	$(BIN) --database $(DB) ingest $(DATA)/demo.ndjson

run: build $(DATA)/caseflow.db
	@echo
	@echo "  caseflow is starting on http://$(LISTEN)"
	@echo "  dashboard:    http://$(LISTEN)/"
	@echo "  sample query: curl 'http://$(LISTEN)/api/v1/throughput?period=month&gemeente=GM0344&domein=wmo'"
	@echo "  or:           $(BIN) --database $(DB) query throughput --period month --gemeente GM0344 --domein wmo"
	@echo "  stop with Ctrl-C"
	@echo
	$(BIN) --database $(DB) run --listen $(LISTEN)

test: build-deps test-deps
	$(CARGO) test --workspace --locked --no-fail-fast

# The benchmark harness (docs/benchmarks.md): release builds, then every stage as
# subprocesses of the real binary. BENCH_EVENTS (default 1000000) and the other
# BENCH_* variables are read from the environment.
bench: build-deps test-deps
	@command -v wrk >/dev/null || { \
	  echo "installing: wrk"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null; }
	$(CARGO) build --release --locked -p caseflow -p caseflow-bench
	target/release/caseflow-bench

clean-data:
	rm -rf $(DATA)
