# Techbank: the targets a newcomer guesses. Each one sets up what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
PROTO_FILES := $(shell find protos -name '*.proto')
# Third-party tools the tests run, built from the Go module proxy into .tools/bin.
GRPCURL_VERSION := v1.9.3
BUF_VERSION := 1.75.0
TOOLS := .tools

.PHONY: help venv gen check-gen lint test servers tools up down run bench certs clean

help:
	@echo "make run    start the system on the embedded default (command :50051, query :50052)"
	@echo "make test   set up everything, real servers included, and run every test (CI runs this)"
	@echo "make up     start Kafka, FerretDB, MariaDB and the three services (real stack)"
	@echo "make down   stop them"
	@echo "make lint   ruff, mypy, and buf on the protos"
	@echo "make gen    regenerate generated/ from protos/"
	@echo "make bench  measure command and query throughput"
	@echo "make certs  development TLS certificates and a token key, in ./credentials"
	@echo "make tools  grpcurl $(GRPCURL_VERSION) in $(TOOLS)/bin (the tests call it)"

venv: $(VENV)/.installed

# The lock file pins every package with hashes; uv installs it in seconds.
$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip sync -q --python $(PY) --require-hashes requirements.lock
	# Put the repository and generated/ on the venv's import path.
	printf '%s\n%s\n' "$(CURDIR)" "$(CURDIR)/generated" \
	  > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/techbank.pth"
	touch $@

gen: venv
	scripts/gen.sh $(PY) generated

# Fails when generated/ differs from what protos/ produce now.
check-gen: venv
	scripts/check_gen.sh $(PY)

# buf breaking: protos/ against the last commit's, so a change that would break code
# generated from the committed contract fails here before it is committed.
lint: venv check-gen $(TOOLS)/buf-$(BUF_VERSION)
	$(TOOLS)/node_modules/.bin/buf lint
	$(TOOLS)/node_modules/.bin/buf breaking --against '.git#ref=HEAD'
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy core adapters command_server query_server projector tests bench devtools

# Kafka, the MongoDB-protocol server and MariaDB: installed once, started if not running.
servers:
	infra/stack.sh up

tools: $(TOOLS)/grpcurl-$(GRPCURL_VERSION)

$(TOOLS)/grpcurl-$(GRPCURL_VERSION):
	GOBIN=$(CURDIR)/$(TOOLS)/bin go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)
	touch $@

# buf, the protos' linter, from the npm registry.
$(TOOLS)/buf-$(BUF_VERSION):
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) @bufbuild/buf@$(BUF_VERSION)
	touch $@

test: lint servers tools
	$(PY) -m pytest -q

up: venv servers
	scripts/services.sh up $(PY)

down:
	scripts/services.sh down
	infra/stack.sh down

run: venv
	scripts/run_embedded.sh $(PY)

bench: venv servers
	$(PY) -m bench

# A CA, server and client certificates and a token-signing key, made here (no download).
certs: venv
	$(PY) -m devtools.credentials make credentials

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
