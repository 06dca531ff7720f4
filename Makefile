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
# Demo window: the last nine months up to today, so live views have current data.
DEMO_FROM ?= $(shell date -d "$$(date +%Y-%m-01) -9 months" +%F)
DEMO_TO ?= $(shell date +%F)
DEMO_ARGS ?= --seed 2020 --gemeenten 3 --scale 1.0

.PHONY: help run test deps build bench clean-data

help:
	@echo "make run   - build, generate demo data once, start caseflow (API + dashboard on http://$(LISTEN))"
	@echo "make test  - install test prerequisites and run all tests"

deps:
	@command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs"; exit 1; }
	@missing=""; \
	  for p in pkg-config; do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null; \
	  fi

build: deps
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

test: deps
	$(CARGO) test --workspace --locked --no-fail-fast

clean-data:
	rm -rf $(DATA)
