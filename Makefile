# One entry point. `make run` and `make test` are the two commands a new machine needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.12 || pyenv which python3.12 2>/dev/null)
VENV := .venv
# A second environment like a Dataflow worker's: the client with its beam extra on the oldest
# protobuf it accepts, no server, no spaCy (tests/test_beam.py runs the pipeline in it).
BEAM_VENV := .venv-beam
OLDEST_PROTOBUF := 6.31.1
TOOLS := $(CURDIR)/.tools
GRPCURL_VERSION := v1.9.3
GHZ_VERSION := v0.121.0
BUF_VERSION := 1.75.0
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
export PATH := $(TOOLS)/bin:$(TOOLS)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help setup run test lint protos docs bench bench-smoke tools

help:
	@echo "make run    set up, then run the server on port 50051 and the gateway with the page on 8080"
	@echo "make test   set up, then run every test"
	@echo "make setup  build .venv with the server and the client, .venv-beam (the client with Beam, protobuf 6.31.1), install grpcurl, ghz, buf and the protoc plugins into .tools, and the Go and TypeScript clients' dependencies"
	@echo "make protos regenerate the Python, Go and TypeScript stubs from protos/"
	@echo "make lint   buf lint, buf format, ruff"
	@echo "make docs   regenerate the flag tables in docs/ from the code"
	@echo "make balancer N=3  N ner-server instances (one worker each) behind nginx on port 50051"
	@echo "make bench  the full benchmark (see docs/benchmarks.md)"
	@echo "make image-test  build the Dockerfile with buildah, run it with podman, check it (docs/deploy.md)"
	@echo "make deploy PROJECT=... REGION=...  build with Cloud Build and deploy to Cloud Run (docs/deploy.md)"
	@echo "make deploy PROJECT=... MODEL_DIR=path/to/pipeline  the same, serving your own pipeline"
	@echo "make deploy-gateway PROJECT=... [PUBLIC=1]  the gateway and page as a second Cloud Run service (docs/deploy.md)"

setup: $(VENV)/.installed $(BEAM_VENV)/.installed build/protoc-env/.installed tools

# Both distributions, editable, in one pip command: the server's pin on ner-grpc-client is met by
# ./client, not looked up on the package index. The server goes first: replacing a ner-grpc from
# before the split (it shipped ner-tag) after the client is in would delete the client's ner-tag.
$(VENV)/.installed: pyproject.toml client/pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 not found: install it (pyenv install 3.12) and retry"; exit 1; }
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip uninstall --quiet --yes ner-grpc 2>/dev/null
	$(VENV)/bin/python -m pip install --quiet -e './client[web,auth]' -e '.[dev,bench]'
	touch $@

$(BEAM_VENV)/.installed: client/pyproject.toml
	test -x $(BEAM_VENV)/bin/python || $(PYTHON) -m venv $(BEAM_VENV)
	$(BEAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BEAM_VENV)/bin/python -m pip install --quiet -e './client[beam,auth]' protobuf==$(OLDEST_PROTOBUF) \
	  'pytest>=8' 'pytest-timeout>=2.3'
	touch $@

# The pinned stub generator in an environment of its own (scripts/generate_protos.py).
build/protoc-env/.installed: scripts/generate_protos.py
	$(PYTHON) -c 'import sys; sys.path[:0] = ["scripts"]; import generate_protos as g; g.generator_python()'
	touch $@

tools: $(TOOLS)/bin/grpcurl $(TOOLS)/bin/ghz $(TOOLS)/node_modules/.bin/buf clients

$(TOOLS)/bin/grpcurl:
	GOBIN=$(TOOLS)/bin go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)

$(TOOLS)/bin/ghz:
	GOBIN=$(TOOLS)/bin go install github.com/bojand/ghz/cmd/ghz@$(GHZ_VERSION)

# npm at --loglevel warn: the progress and summary lines go, warnings such as EBADENGINE (a
# package that wants a newer Node than this machine's) stay.
$(TOOLS)/node_modules/.bin/buf:
	npm install --loglevel warn --no-audit --no-fund --prefix $(TOOLS) @bufbuild/buf@$(BUF_VERSION)

# The generated clients (clients/, docs/clients.md): the protoc plugins that
# `buf generate` runs (buf.gen.yaml), the Go module's dependencies, the TypeScript client's packages.
.PHONY: clients
clients: $(TOOLS)/bin/protoc-gen-go $(TOOLS)/bin/protoc-gen-go-grpc clients/go/.downloaded \
	clients/typescript/node_modules/.package-lock.json

$(TOOLS)/bin/protoc-gen-go:
	GOBIN=$(TOOLS)/bin go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)

$(TOOLS)/bin/protoc-gen-go-grpc:
	GOBIN=$(TOOLS)/bin go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

clients/go/.downloaded: clients/go/go.mod clients/go/go.sum
	cd clients/go && go mod download && go build ./...
	touch $@

clients/typescript/node_modules/.package-lock.json: clients/typescript/package-lock.json
	npm ci --loglevel warn --no-audit --no-fund --prefix clients/typescript

# The gRPC server and, in front of it, the gateway with the page (docs/gateway.md). Ctrl-C stops
# both; so does either one exiting.
WEB_PORT ?= 8080
run: setup
	@$(VENV)/bin/ner-server --port 50051 & server=$$!; \
	$(VENV)/bin/ner-web --target localhost:50051 --host 127.0.0.1 --port $(WEB_PORT) & web=$$!; \
	trap 'kill -TERM $$server $$web 2>/dev/null' INT TERM; \
	echo "gRPC:      localhost:50051 (grpcurl -plaintext localhost:50051 list)"; \
	echo "page:      http://localhost:$(WEB_PORT)/ (once the model has loaded)"; \
	echo "JSON:      curl -H 'Content-Type: application/json' -d '{\"text\": \"Ada Lovelace was born in London.\"}' http://localhost:$(WEB_PORT)/ner.v1.NerService/ExtractEntities"; \
	echo "Ctrl-C stops both."; \
	wait -n; kill -TERM $$server $$web 2>/dev/null; wait

test: setup
	$(VENV)/bin/python -m pytest

docs: setup
	$(VENV)/bin/python -m scripts.flag_tables

lint: setup
	buf lint
	buf format --diff --exit-code
	$(VENV)/bin/ruff check server client tests scripts bench
	$(VENV)/bin/ruff format --check server client tests scripts bench

protos: setup
	$(VENV)/bin/python scripts/generate_protos.py
	$(VENV)/bin/python scripts/generate_connect.py
	buf generate

# The full benchmark (about 20 minutes; docs/benchmarks.md), into a new folder bench/results/<UTC time>-full-run/.
# wrk comes from Debian's packages.
bench: setup
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(VENV)/bin/python -m bench.suite.run

# The container image, built from the Dockerfile and run with podman (root; installs podman,
# buildah, runc and debootstrap if missing). About 5 minutes the first time; `make test` runs it
# too when CI is set. Measured facts land in build/image-test.json.
.PHONY: image-test
image-test: setup
	NER_IMAGE_TEST=1 $(VENV)/bin/python -m pytest tests/test_image.py tests/test_gateway_image.py
	@cat build/image-test.json build/gateway-image-test.json

include deploy/deploy.mk

# nginx for the local load balancer (deploy/balancer): the binary of Debian's nginx package,
# unpacked into .tools without installing the package, so no system service starts on port 80.
# Where the package cannot be unpacked, it is installed (apt-get install nginx) instead.
tools: $(TOOLS)/bin/nginx

$(TOOLS)/bin/nginx:
	mkdir -p $(TOOLS)/bin
	if command -v nginx >/dev/null; then ln -sf "$$(command -v nginx)" $@; else \
	  folder=$$(mktemp -d) && (cd $$folder && { apt-get download nginx 2>/dev/null || \
	    { apt-get update -qq && apt-get download nginx; }; } && dpkg-deb -x nginx_*.deb unpacked) && \
	  cp $$folder/unpacked/usr/sbin/nginx $@ && rm -rf $$folder && $@ -v || \
	  { rm -rf $$folder $@; apt-get update -qq && apt-get install -y -qq nginx && ln -sf "$$(command -v nginx)" $@; }; fi

# A local stand-in for Cloud Run's front end: nginx routing each gRPC call on its own over N
# instances (deploy/balancer/nginx.conf; docs/deploy.md, "Bulk jobs"). Ctrl-C stops it all.
N ?= 3
BALANCER_PORT ?= 50051
.PHONY: balancer
balancer: setup
	$(VENV)/bin/python scripts/balancer.py --instances $(N) --port $(BALANCER_PORT)

# Seconds, not minutes: the benchmark still runs end to end (also part of `make test`).
bench-smoke: setup
	$(VENV)/bin/python -m pytest tests/test_bench_smoke.py

# Debian's Chromium and the chromedriver built with it, for the page's browser tests
# (tests/test_page.py); the tests use these two files and never download a browser or a driver.
tools: /usr/bin/chromedriver

/usr/bin/chromedriver:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-color-emoji
