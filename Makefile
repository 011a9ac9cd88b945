# Arena's developer entry points. `make up` runs the platform, `make test` runs every check.
# Everything runs from the project's own virtual environment (.venv), created on first use.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
DESCRIPTOR_SET := build/arena.binpb

# The venv's tools (buf, envoy, python3 for the grpc plugin) come first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ARENA_PYTHON := $(CURDIR)/$(VENV)/bin/python

.PHONY: help venv web-deps third_party generate descriptors envoy-config openapi up bench lint check-generated breaking pytest test clean

help:
	@echo "make up        run the platform (see README)"
	@echo "make test      lint, drift and breaking checks, then the test suite"
	@echo "make generate  regenerate Python code and the descriptor set from api/"
	@echo "make lint      buf lint and ruff"
	@echo "make bench     the benchmarks (wrk, h2load), results in bench/results/"

# (Re)install when the dependency list changes.
$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(STAMP)

third_party: $(STAMP)
	$(VENV)/bin/python tools/stage_third_party.py third_party

descriptors: third_party
	@mkdir -p build
	buf build --as-file-descriptor-set -o $(DESCRIPTOR_SET)

generate: third_party
	buf generate
	@$(MAKE) --no-print-directory descriptors envoy-config

# The committed Envoy configuration, rendered from the service table and the contract.
envoy-config: descriptors
	$(VENV)/bin/python -m arena.edge --descriptor $(DESCRIPTOR_SET) envoy-config --out envoy/envoy.yaml

openapi: descriptors
	$(VENV)/bin/python -m arena.edge --descriptor $(DESCRIPTOR_SET) openapi --out build/openapi.json

# Every service and Envoy on localhost (SQLite under ./data, static discovery, demo data).
up: descriptors
	@tools/ensure_judge_packages.sh
	$(VENV)/bin/python -m arena.launcher

# Benchmarks (needs wrk and h2load: apt-get install wrk nghttp2-client); results in bench/results/.
bench: descriptors
	$(VENV)/bin/python -m pip install --quiet -e '.[bench]'
	$(VENV)/bin/python -m bench.run

lint: third_party
	buf lint
	buf format --diff --exit-code
	$(VENV)/bin/ruff check services tests tools bench
	$(VENV)/bin/ruff format --check services tests tools bench

check-generated: third_party
	$(VENV)/bin/python tools/check_generated.py

breaking: third_party
	$(VENV)/bin/python tools/check_breaking.py

# The JavaScript gRPC-Web client (connect-es) the end-to-end tests drive, pinned by its lockfile.
web-bridge/node_modules/.package-lock.json: web-bridge/package-lock.json
	npm ci --prefix web-bridge --no-audit --no-fund --loglevel=error
	@touch $@

web-deps: web-bridge/node_modules/.package-lock.json

pytest: descriptors web-deps
	$(VENV)/bin/python -m pytest

test: lint check-generated breaking pytest

clean:
	rm -rf build third_party .pytest_cache .ruff_cache web-bridge/node_modules web-bridge/gen
