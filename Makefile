# orgshare: one command to run the local system, one to run the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml layers/orgshare/requirements.txt | sha1sum | cut -c1-12)
REGION ?= us-east-1

NODE_STAMP := tests/node/node_modules/.installed
CHROMIUM := /usr/bin/chromium
APT_GET := $(shell command -v apt-get 2>/dev/null)

.PHONY: install run test test-unit test-integration lint format build validate bench events clean

$(STAMP): pyproject.toml layers/orgshare/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# The Node SDK tests: Debian's nodejs and npm when the machine has no node, then the lock file's packages.
$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "installing Debian's nodejs and npm"; \
		$(if $(APT_GET),DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm,echo "no node and no apt-get: install Node.js 20+" && false); }
	npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# The browser tests (tests/browser, Playwright) drive Debian's chromium: installed when the machine has none.
$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"; \
		$(if $(APT_GET),DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium,echo "no chromium and no apt-get: install Chromium at $(CHROMIUM)" && false)

install: $(STAMP) $(NODE_STAMP) $(CHROMIUM) ## create .venv and install everything the project needs

run: $(STAMP) ## the whole system on 127.0.0.1 (PORT=8787; PERSIST=1 keeps data; CACHE_SECONDS=2 shortens caches)
	$(PY) -m localrun --port $${PORT:-8787} $(if $(PERSIST),--persist,) $(if $(CACHE_SECONDS),--cache-seconds $(CACHE_SECONDS),)

test: $(STAMP) $(NODE_STAMP) $(CHROMIUM) ## unit, integration and browser tests (the Node SDK's included)
	$(PY) -m pytest

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit

test-integration: $(STAMP) $(NODE_STAMP) $(CHROMIUM)
	$(PY) -m pytest tests/integration

lint: $(STAMP) ## ruff, mypy, cfn-lint, sam validate --lint (all offline)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam validate --lint --region $(REGION)

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

build: $(STAMP) ## sam build, no containers
	SAM_CLI_TELEMETRY=0 PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/sam build --region $(REGION)

bench: $(STAMP) ## round trips per operation, cold imports, requests per second vs localstripe
	$(PY) -m bench

events: $(STAMP) ## regenerate events/ (sample API Gateway events, one per route)
	$(PY) -m localrun.events

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .localdata
