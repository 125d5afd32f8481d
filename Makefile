# regscan developer entry points. `make demo` and `make test` do all set-up.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := docker-registry apache2-utils openssl skopeo
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help venv system-deps demo test lint unit integration image-engine kind-e2e bench crd clean

help:
	@echo "make demo   - scan a throwaway local registry with sample images"
	@echo "make test   - install test dependencies, then lint + the whole suite"
	@echo "make image-engine - install and start a container engine for the image tier (root)"
	@echo "make kind-e2e - the whole product in a local kind cluster (needs kind, docker, kubectl)"
	@echo "make bench  - run the benchmarks under benchmarks/"
	@echo "make crd    - regenerate manifests/crd.yaml and manifests/rbac.yaml from the code"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

system-deps:
	@missing=""; for t in docker-registry htpasswd openssl skopeo; do \
	  command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing apt packages: $(APT_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	  else \
	    echo "missing:$$missing. Run: sudo apt-get install -y $(APT_PACKAGES)"; \
	    echo "(tests needing them will be skipped)"; \
	  fi; \
	fi

demo: system-deps venv
	$(BIN)/python -m tests.bench.demo

lint: venv
	$(BIN)/ruff check controller job_images regscan tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	@if command -v shellcheck >/dev/null; then shellcheck .ci/run tests/image/engine.sh tests/kind/e2e.sh; \
	else echo "shellcheck not installed: shell scripts not checked (apt-get install shellcheck)"; fi

test: system-deps venv lint
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

image-engine:
	bash tests/image/engine.sh

kind-e2e: venv
	bash tests/kind/e2e.sh

unit: venv
	$(BIN)/pytest -q tests/unit

bench: system-deps venv
	$(BIN)/python -m benchmarks.discovery
	$(BIN)/python -m benchmarks.scan
	$(BIN)/python -m benchmarks.controller

clean:
	rm -rf $(VENV) regscan-results .mypy_cache .ruff_cache

crd: venv
	$(BIN)/python -m controller.api.crd > manifests/crd.yaml
	$(BIN)/python -m controller.kube.rbac > manifests/rbac.yaml
