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

.PHONY: install run test test-unit test-integration lint format build validate bench events openapi clean

# The layer's pins constrain the virtualenv, so the tests run the versions that ship.
# pip's own output, not --quiet: the first install takes a minute or two and should be seen working.
$(STAMP): pyproject.toml layers/orgshare/requirements.txt
	@echo "==> 1/3 creating $(VENV) with $$($(PYTHON) --version) (first run only: a minute or two, pip's progress follows)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> 2/3 upgrading pip"
	$(PY) -m pip install --upgrade --progress-bar on pip
	@echo "==> 3/3 installing orgshare and its tools from pyproject.toml (moto, stripe, sam, playwright, ...)"
	$(PY) -m pip install --progress-bar on -e ".[dev]" -c layers/orgshare/requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)
	@echo "==> $(VENV) is ready"

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

run: $(STAMP) ## the whole system on 127.0.0.1 (PORT=8787; PERSIST=1 keeps data; CACHE_SECONDS=2 shortens caches; QUIET=1: no request lines; ARGS=--verbose)
	$(PY) -m localrun --port $${PORT:-8787} $(if $(PERSIST),--persist,) $(if $(CACHE_SECONDS),--cache-seconds $(CACHE_SECONDS),) $(if $(QUIET),--quiet,) $(ARGS)

# Two workers (pytest-xdist), each with its own local system, a file at a time: the suite is mostly
# waiting on one local system's single Python process, so a second one nearly halves the time.
TEST_WORKERS ?= auto

test: $(STAMP) $(NODE_STAMP) $(CHROMIUM) ## unit, integration and browser tests (the Node SDK's included)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit

test-integration: $(STAMP) $(NODE_STAMP) $(CHROMIUM)
	$(PY) -m pytest tests/integration

# checkov, the infrastructure scanner, has a virtualenv of its own, .venv/checkov, and is not in pyproject's dev
# extra: each checkov release pins boto3 exactly (3.3.30: boto3==1.35.49, packaging<24, networkx<2.7), which
# cannot sit beside the project's boto3==1.43.108 and tools in .venv. Inside .venv/ it is ignored by git and
# removed with it; `make install` makes it too. The scan is offline: no API key reaches it (so nothing goes to
# Prisma Cloud/Bridgecrew) and --skip-download fetches no policies or guidelines. checkov evaluates Conditions
# from the parameters' Default values only, so it scans template.yaml twice: as it is, and with
# EncryptionKeyMode=customer-managed (the copy in .venv/checkov), which adds StorageKey and the key references.
# 0 failed checks each time, or lint fails; every skip is in the template, on its resource, with its reason.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
CHECKOV := env -u BC_API_KEY -u PRISMA_API_URL $(CHECKOV_VENV)/bin/checkov --framework cloudformation --skip-download --compact --quiet
CHECKOV_CMK_TEMPLATE := $(CHECKOV_VENV)/template-customer-managed.yaml

$(CHECKOV_STAMP): checkov-constraints.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --progress-bar on checkov==$(CHECKOV_VERSION) -c checkov-constraints.txt
	rm -f $(CHECKOV_VENV)/.installed-* && touch $(CHECKOV_STAMP)

install: $(CHECKOV_STAMP)

lint: $(STAMP) $(CHECKOV_STAMP) ## ruff, mypy, cfn-lint, sam validate --lint, checkov in both key modes (all offline)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam validate --lint --region $(REGION)
	$(CHECKOV) -f template.yaml
	sed '/^  EncryptionKeyMode:/,/Default:/ s/Default: aws-managed/Default: customer-managed/' template.yaml > $(CHECKOV_CMK_TEMPLATE)
	@! cmp -s template.yaml $(CHECKOV_CMK_TEMPLATE) || { echo "EncryptionKeyMode's Default not found in template.yaml"; false; }
	$(CHECKOV) -f $(CHECKOV_CMK_TEMPLATE)

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

build: $(STAMP) ## sam build, no containers
	SAM_CLI_TELEMETRY=0 PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/sam build --region $(REGION)

bench: $(STAMP) ## round trips per operation, cold imports, requests per second vs localstripe
	$(PY) -m bench

events: $(STAMP) ## regenerate events/ (sample API Gateway events, one per route)
	$(PY) -m localrun.events

openapi: $(STAMP) ## regenerate docs/openapi.json (and the copy GET /v1/openapi.json serves) from template.yaml and the request models
	$(PY) -m localrun.openapi

# The virtualenv's commands, for those who would rather not activate it (ARGS: the command's own arguments).
.PHONY: admin receiver invoke deploy
CONFIG_ENV ?= dev
FUNCTION ?= CustomersFunction
EVENT ?= events/customers_create.json

admin: $(STAMP) ## python -m orgshare.admin: make admin ARGS='create-org --name "Acme" --local' (@: stdout is the command's JSON)
	@$(PY) -m orgshare.admin $(ARGS)

receiver: $(STAMP) ## a webhook receiver on 127.0.0.1: make receiver ARGS='--port 9999 --secret whsec_...'
	@$(PY) -m localrun.receiver $(ARGS)

invoke: build ## sam local invoke FUNCTION on EVENT with events/env.json (needs Docker or another container runtime)
	SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam local invoke $(FUNCTION) -e $(EVENT) --env-vars events/env.json --region $(REGION)

deploy: build ## sam deploy --config-env CONFIG_ENV (dev, prod) to REGION with your AWS credentials: see docs/deploy.md
	SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam deploy --config-env $(CONFIG_ENV) --region $(REGION)

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .localdata
