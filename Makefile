# wirewatch — everything a newcomer or CI needs. `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHON := $(CURDIR)/$(PY)

.PHONY: help setup up down status run test test-unit test-integration test-e2e test-reliability lint format bench eval clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup:  ## install system packages and the Python venv (idempotent)
	@PYTHON=python3 scripts/bootstrap.sh

up: setup  ## start Kafka + Redis and create topics
	@scripts/stack.sh up

down:  ## stop Kafka + Redis (data is kept in .stack/)
	@scripts/stack.sh down

status:  ## show the local stack
	@scripts/stack.sh status

run: up  ## the offline demo: replay feed -> fetcher -> extractor -> dedup -> alerter (Ctrl-C stops)
	@$(PY) scripts/demo.py

test: up  ## the full test suite: lint, unit, integration, end-to-end, reliability (real Kafka + Redis)
	@$(MAKE) --no-print-directory lint
	@WIREWATCH_FAST_FAULTS=1 $(PY) -m pytest tests/unit tests/integration tests/e2e tests/reliability -q -p no:cacheprovider

test-unit: setup  ## unit tests only (no sockets)
	@$(PY) -m pytest tests/unit -q

test-integration: up  ## integration tests against the real stack
	@$(PY) -m pytest tests/integration -q

test-e2e: up  ## end-to-end tests (four services as processes)
	@$(PY) -m pytest tests/e2e -q

test-reliability: up  ## faults, hostile input, load (fast mode: 30 s webhook outage; docs/reliability.md)
	@WIREWATCH_FAST_FAULTS=1 $(PY) -m pytest tests/reliability -q -s -p no:cacheprovider

lint: setup  ## ruff check, ruff format --check, mypy --strict (shared, services, bench)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy

format: setup  ## apply ruff format and autofixes
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

eval: setup  ## quality: tagging and clustering scores against their baselines
	@$(PY) scripts/eval_tagging.py
	@$(PY) scripts/eval_clustering.py

bench: up  ## benchmarks against the real stack: table + bench/results/report.json
	@$(PY) -m bench

clean: down  ## stop the stack and delete its data
	rm -rf .stack
