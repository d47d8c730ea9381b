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
# protoc plugins for clients/go/gen (protoc-gen-go's version is the client's protobuf runtime).
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
TOOLS := .tools
GO_PLUGINS := $(TOOLS)/protoc-gen-go-$(PROTOC_GEN_GO_VERSION) \
  $(TOOLS)/protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION)
GO_CLIENT_SOURCES := $(shell find clients/go -name '*.go') clients/go/go.mod clients/go/go.sum

.PHONY: help venv fmt gen gen-go check-gen lint test unit servers tools up down run bench bench-scale certs clean

help:
	@echo "make run    start the system on the embedded default (command :50051, query :50052)"
	@echo "make test   set up everything, real servers included, and run every test (CI runs this)"
	@echo "make up     start Kafka, FerretDB, MariaDB and the three services (real stack)"
	@echo "make down   stop them"
	@echo "make unit   the fast inner loop: unit and SQLite/in-memory contract tests, no servers"
	@echo "make lint   ruff, mypy, and buf on the protos"
	@echo "make fmt    format the code (ruff format, and ruff's import order)"
	@echo "make gen    regenerate generated/ (Python) and clients/go/gen (Go) from protos/"
	@echo "make bench  measure command and query throughput"
	@echo "make bench-scale  catch-up with 1/2/4 projectors, commands with 1/2/3 command servers"
	@echo "make certs  development TLS certificates and a token key, in ./credentials"
	@echo "make tools  grpcurl $(GRPCURL_VERSION) and the Go example client in $(TOOLS)/bin, the Node"
	@echo "            example's node_modules in clients/node (the tests call them)"

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

fmt: venv
	$(VENV)/bin/ruff check --fix --select I .
	$(VENV)/bin/ruff format .

gen: venv gen-go
	scripts/gen.sh $(PY) generated

# The Go client's code (committed, like generated/), by the pinned protoc plugins.
gen-go: venv $(GO_PLUGINS)
	scripts/gen_go.sh $(PY) clients/go

# Fails when generated/ or clients/go/gen differs from what protos/ produce now.
check-gen: venv $(GO_PLUGINS)
	scripts/check_gen.sh $(PY)

# buf breaking: protos/ against the last commit's while they are being changed, else
# (a clean checkout, as in CI) against the commit before, so that a breaking change
# fails both before it is committed and once it is (scripts/buf_breaking.sh).
lint: venv check-gen $(TOOLS)/buf-$(BUF_VERSION)
	$(TOOLS)/node_modules/.bin/buf lint
	scripts/buf_breaking.sh $(TOOLS)/node_modules/.bin/buf
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy core adapters bank embedded admin command_server query_server projector \
	  techbank_client harness tests bench devtools
	# The Kubernetes manifests, strictly, against the API's schemas (shipped in the package).
	$(VENV)/bin/kubernetes-validate --strict --quiet -k 1.33.0 deploy/k8s/*.yaml

# Kafka, the MongoDB-protocol server and MariaDB: installed once, started if not running.
servers:
	infra/stack.sh up

tools: $(TOOLS)/grpcurl-$(GRPCURL_VERSION) clients/node/node_modules/.installed \
  $(TOOLS)/bin/techbank-example

$(TOOLS)/grpcurl-$(GRPCURL_VERSION):
	GOBIN=$(CURDIR)/$(TOOLS)/bin go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)
	touch $@

$(TOOLS)/protoc-gen-go-$(PROTOC_GEN_GO_VERSION):
	GOBIN=$(CURDIR)/$(TOOLS)/bin go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	touch $@

$(TOOLS)/protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION):
	GOBIN=$(CURDIR)/$(TOOLS)/bin go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	touch $@

# The example clients the tests run (tests/e2e/test_other_languages.py): Node's packages
# exactly as the lock file has them, and the Go program, rebuilt when its sources change.
clients/node/node_modules/.installed: clients/node/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix clients/node
	touch $@

$(TOOLS)/bin/techbank-example: $(GO_CLIENT_SOURCES)
	cd clients/go && go build -o $(CURDIR)/$@ ./cmd/techbank-example

# buf, the protos' linter, from the npm registry.
$(TOOLS)/buf-$(BUF_VERSION):
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) @bufbuild/buf@$(BUF_VERSION)
	touch $@

# Two workers share the tests that leave the servers running; those marked `serial`
# stop and start them, and run alone after (docs/testing.md).
test: lint servers tools
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not serial"
	$(PY) -m pytest -q -m serial

# What needs no server, no tool and no other process: seconds, for every edit.
UNIT_TESTS := tests/unit tests/contract/test_event_store_sqlite.py \
  tests/contract/test_event_store_memory.py tests/contract/test_event_bus_inprocess.py \
  tests/contract/test_account_reader_sqlite.py tests/contract/test_account_reader_sql.py \
  tests/contract/test_read_model_sqlite.py tests/contract/test_read_model_sql.py
unit: venv
	$(PY) -m pytest -q $(UNIT_TESTS)

up: venv servers
	scripts/services.sh up $(PY)

down:
	scripts/services.sh down
	infra/stack.sh down

run: venv
	scripts/run_embedded.sh $(PY)

bench: venv servers
	$(PY) -m bench

# The real stack with several of each process: about 12 minutes (docs/benchmarks.md).
bench-scale: venv servers
	$(PY) -m bench.scale

# A CA, server and client certificates and a token-signing key, made here (no download).
certs: venv
	$(PY) -m devtools.credentials make credentials

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
