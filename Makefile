# Two commands for a new user: `make demo` and `make test`. Every target bootstraps what it needs
# (a .venv from the pinned lock file, node_modules from package-lock.json) and is safe to run again.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Ape's foundry provider finds `anvil` on PATH; anvil comes from npm (see ../shared/TOOLCHAIN.md).
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
export HYPOTHESIS_PROFILE ?= ci
# pydantic-settings warns about one of Ape's own models on every start; it is noise to users.
export PYTHONWARNINGS ?= ignore:Field 'import_remapping':UserWarning

.PHONY: all setup demo dapp test test-fast bench compile clean lint

all: test

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; cidhub needs Python 3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23.2" setuptools wheel
	# One resolver run over the whole pinned set (installing vyper separately breaks `packaging`).
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

node_modules/.installed: package.json package-lock.json
	# Not `npm ci`: the lock lists anvil's other-platform optional packages by name only (the registry here
	# serves just linux-amd64), which `npm ci` rejects as out of sync; `npm install` honours the lock as is.
	npm install --no-audit --no-fund --loglevel=error
	anvil --version | head -n1
	touch $@

# Ape does not notice edits to Vyper modules, so any contract change forces a full rebuild.
CONTRACTS := $(shell find contracts -name '*.vy' -o -name '*.vyi')
.build/.compiled: $(CONTRACTS) ape-config.yaml | setup
	$(BIN)/ape compile --force
	touch $@

compile: .build/.compiled

demo: setup .build/.compiled
	$(BIN)/ape run demo --network ethereum:local:foundry

# The reference dApp (dapp/) on a fresh anvil with the demo's data: anvil on 127.0.0.1:8545, the page (and an IPFS
# gateway for the cards) on http://127.0.0.1:8000/; Ctrl-C stops both. DAPP_PORT / RPC_PORT change the ports.
DAPP_PORT ?= 8000
RPC_PORT ?= 8545
dapp: setup .build/.compiled
	$(BIN)/python -m cidhub.demo.dapp --port $(DAPP_PORT) --rpc-port $(RPC_PORT)

# The package's layers (pyproject.toml [tool.importlinter]) and its lint rules ([tool.ruff]).
lint: setup
	$(BIN)/lint-imports
	# ruff: enabled once the whole tree is clean (see the closing note of issue 11)

test: lint .build/.compiled
	$(BIN)/ape test tests -q -p no:cacheprovider

test-fast: setup .build/.compiled
	$(BIN)/ape test tests -q -x -m "not slow"

bench: setup .build/.compiled
	$(BIN)/ape run bench_gas --network ethereum:local:foundry
	$(BIN)/ape run bench_market --network ethereum:local:foundry
	$(BIN)/ape run bench_governance --network ethereum:local:foundry
	$(BIN)/ape run bench_attest --network ethereum:local:foundry
	$(BIN)/ape run bench_sizes --network ethereum:local:foundry
	$(BIN)/ape run bench_deploy --network ethereum:local:foundry
	$(BIN)/python bench/cid_bench.py
	$(BIN)/python bench/ipfs_bench.py
	$(BIN)/python bench/hamt_bench.py
	$(BIN)/python bench/access_bench.py
	$(BIN)/python bench/readme_tables.py

clean:
	rm -rf $(VENV) node_modules .build .cidhub dapp/dist packages/contracts/dist

# The Graph subgraph (subgraph/README.md): checks the committed ABIs, then codegen and build of
# the manifest as committed; `graph build --network NAME` after subgraph/configure.py for a deployment.
.PHONY: subgraph
subgraph: setup .build/.compiled
	$(BIN)/python subgraph/export_abis.py --check
	cd subgraph && graph codegen && graph build
