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

.PHONY: help packages languages venv web-deps web-app web-test third_party generate descriptors envoy-config openapi up bench faults lint check-generated breaking pytest test clean

help:
	@echo "make up        run the platform (see README)"
	@echo "make languages install the judge's opt-in languages (then make up offers them)"
	@echo "make test      lint, drift and breaking checks, then the test suite"
	@echo "make generate  regenerate Python code and the descriptor set from api/"
	@echo "make lint      buf lint, ruff, mypy (strict) and the import contracts"
	@echo "make bench     the benchmarks (wrk, h2load), results in bench/results/"
	@echo "make faults    the fault suite: faults injected under load (root; SCENARIOS='kill slow' for some)"

# (Re)install when the dependency list changes. pip's own output goes to a log, shown only on failure,
# so the first run prints a few progress lines rather than pages of pip noise.
PIP_LOG := $(VENV)/pip.log
define pip_install
	@echo "==> installing Python packages: $(1) (log: $(PIP_LOG))"
	@$(VENV)/bin/python -m pip install --progress-bar off -e '.[$(1)]' >>$(PIP_LOG) 2>&1 \
	  || { tail -n 30 $(PIP_LOG); echo "pip install failed; full log in $(PIP_LOG)" >&2; exit 1; }
endef

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || { echo "==> creating the virtual environment $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@$(VENV)/bin/python -m pip install --quiet --progress-bar off --upgrade pip >$(PIP_LOG) 2>&1 || { cat $(PIP_LOG); exit 1; }
	$(call pip_install,dev)
	@touch $@

venv: $(STAMP)

third_party: $(STAMP)
	@$(VENV)/bin/python tools/stage_third_party.py third_party

descriptors: third_party
	@mkdir -p build
	@echo "==> compiling the contract (api/) into $(DESCRIPTOR_SET)"
	@buf build --as-file-descriptor-set -o $(DESCRIPTOR_SET)

generate: third_party
	buf generate
	@$(MAKE) --no-print-directory descriptors envoy-config

# The committed Envoy configuration, rendered from the service table and the contract.
envoy-config: descriptors
	$(VENV)/bin/python -m arena.edge --descriptor $(DESCRIPTOR_SET) envoy-config --out envoy/envoy.yaml
	$(VENV)/bin/python envoy/compose/render.py

openapi: descriptors
	$(VENV)/bin/python -m arena.edge --descriptor $(DESCRIPTOR_SET) openapi --out build/openapi.json

# Every service and Envoy on localhost (SQLite under ./data, static discovery, demo data).
up: descriptors
	@tools/ensure_packages.sh judge web
	@$(MAKE) --no-print-directory web-app
	@echo "==> starting the services and Envoy (logs in ./data/logs)"
	@$(VENV)/bin/python -m arena.launcher

# Benchmarks (load from wrk and h2load, installed when missing); results in bench/results/.
bench: descriptors
	@tools/ensure_packages.sh judge bench
	$(call pip_install,bench)
	$(VENV)/bin/python -m bench.run

# The fault suite of issue 16: faults injected under REST load through Envoy, measured (root: it makes
# network namespaces). SCENARIOS="kill partition" runs some; results in bench/results/faults-*.json.
faults: descriptors
	@tools/ensure_packages.sh judge bench test
	$(call pip_install,bench)
	$(VENV)/bin/python -m bench.faults $(SCENARIOS)

lint: third_party
	buf lint
	buf format --diff --exit-code
	$(VENV)/bin/ruff check services tests tools bench
	$(VENV)/bin/ruff format --check services tests tools bench
	cd services && ../$(VENV)/bin/mypy --config-file ../pyproject.toml
	$(VENV)/bin/lint-imports --no-cache

check-generated: third_party
	$(VENV)/bin/python tools/check_generated.py

breaking: third_party
	$(VENV)/bin/python tools/check_breaking.py

# The JavaScript gRPC-Web client (connect-es) the end-to-end tests drive, pinned by its lockfile.
web-bridge/node_modules/.package-lock.json: web-bridge/package-lock.json
	npm ci --prefix web-bridge --no-audit --no-fund --loglevel=error
	@touch $@

web-deps: web-bridge/node_modules/.package-lock.json

# The web app (web-bridge/app, TypeScript) built by Vite into web-bridge/dist, which `make up` serves at
# http://localhost:8080/. Rebuilt when its sources, its packages or the contract change.
WEB_APP_STAMP := web-bridge/dist/.built
WEB_APP_SOURCES := $(shell find web-bridge/app api -type f 2>/dev/null) web-bridge/vite.config.ts \
  web-bridge/tsconfig.json web-bridge/buf.gen.yaml
$(WEB_APP_STAMP): web-bridge/node_modules/.package-lock.json $(WEB_APP_SOURCES) | third_party
	@echo "==> building the web app (web-bridge/dist)"
	buf generate --template web-bridge/buf.gen.yaml
	cd web-bridge && npx --no-install tsc -p tsconfig.json && npx --no-install vite build --logLevel warn
	@touch $@

web-app: $(WEB_APP_STAMP)

# The web app's own unit tests (state, error mapping), with vitest.
web-test: $(WEB_APP_STAMP)
	cd web-bridge && npx --no-install vitest run

# The judge's opt-in languages (Go, Rust, Kotlin, PyPy, C#, Ruby, PHP, Pascal, Haskell, Lua, Bash):
# `make languages up` offers them. Tests skip those not installed.
languages:
	@tools/ensure_packages.sh judge languages languages-large

# The Debian packages the tests drive for real (judge toolchains and every opt-in language, so none of
# their tests is skipped; PostgreSQL, Chromium, a JDK, npm).
packages:
	@tools/ensure_packages.sh judge test languages languages-large

pytest: packages descriptors web-deps web-app web-test
	$(VENV)/bin/python -m pytest

test: packages lint check-generated breaking pytest

clean:
	rm -rf build third_party .pytest_cache .ruff_cache web-bridge/node_modules web-bridge/gen web-bridge/dist
