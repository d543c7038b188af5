# inalab — the everyday commands. Build products go to build/, logs to logs/,
# captures to pcaps/ (as in p4lang/tutorials).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
P4C   ?= $(VENV)/bin/inalab-p4c
CONFORMANCE ?= ../shared/conformance/p4c-v1model-stf

.PHONY: all setup build constants test test-unit test-integration lint format conformance bench run stop clean

all: build

setup:
	@scripts/setup-env.sh

build: setup
	@mkdir -p build
	@for p in p4src/*.p4; do \
	    [ -e "$$p" ] || continue; \
	    n=$$(basename $$p .p4); \
	    echo "p4c $$p -> build/$$n.json build/$$n.p4info.txtpb"; \
	    $(P4C) --arch v1model --std p4-16 -I p4src -o build/$$n.json \
	        --p4runtime-files build/$$n.p4info.txtpb $$p || exit 1; \
	done

# The test command (README.md, .ci/run): lint, then every test, unit and
# integration. Integration tests need root (namespaces, Mininet).
test: setup lint
	$(PY) -m pytest -q

test-unit: setup
	$(PY) -m pytest -q -m "not integration and not mininet"

test-integration: setup
	$(PY) -m pytest -q -m "integration or mininet"

# Generated P4 from the one packet-format definition (inalab/protocol/format.py).
constants: setup
	$(PY) -m inalab.protocol.gen_p4

lint: setup
	$(PY) -m inalab.protocol.gen_p4 --check
	$(VENV)/bin/ruff check inalab tests bench
	$(VENV)/bin/ruff format --check inalab tests bench docs README.md
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff format inalab tests bench docs README.md
	$(VENV)/bin/ruff check --fix inalab tests bench

# Run every (JSON, STF) pair of a directory on our switch: real p4c output.
conformance: setup
	$(VENV)/bin/inalab-stf --dir $(CONFORMANCE)

bench: setup
	@for b in bench/bench_*.py; do [ -e "$$b" ] && $(PY) $$b; done; true

# The demo (docs/scenarios.md): start the single rack (4 workers + PS), run one
# allreduce through the switch, print the result; the mininet> prompt follows
# on a terminal. SWITCH=bmv2 / P4C=p4c-bm2-ss select the real switch/compiler.
run: build
	@mkdir -p logs pcaps results
	@SWITCH=$(SWITCH) $(PY) -m inalab.scenarios.demo --program build/ina.json $(RUN_ARGS)

# Every scenario in its full configuration (results/ and docs/img/ figures);
# QUICK=1 for the small ones.
scenarios: build
	@for s in allreduce loss congestion fallback two_level multi_job; do \
	    SWITCH=$(SWITCH) $(PY) -m inalab.scenarios $$s $(if $(QUICK),--quick,) || exit 1; \
	done

# Stop what a run left behind (switch processes, namespaces, interfaces), like mn -c.
stop:
	@if [ -x $(VENV)/bin/inalab-clean ]; then $(VENV)/bin/inalab-clean --all; fi

clean: stop
	rm -rf build logs pcaps results
