# keytrail: every entry point. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
# nextest when installed (it is on the project's machines), plain cargo test otherwise.
NEXTEST := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo yes)
KEYTRAIL := $(or $(CARGO_TARGET_DIR),target)/debug/keytrail
VENV := .venv/bin

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "} {printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: venv
venv: ## Create the project venv (.venv: moto_server, cargo-lambda); quick when up to date
	infra/local/venv.sh

.PHONY: demo
demo: venv ## The main job locally: local S3/SNS/SQS, the Lambda under cargo lambda, alerts arriving
	$(VENV)/python infra/local/demo.py

.PHONY: e2e
e2e: venv ## The demo as a test: cargo lambda watch + invoke against moto, alerts asserted
	$(VENV)/python infra/local/demo.py --check

.PHONY: demo-cli
demo-cli: ## Run the keytrail CLI over the sample trail objects in events/trail
	$(CARGO) build -q -p keytrail-cli
	@echo "== keytrail scan events/trail (table) =="
	$(KEYTRAIL) scan --format table events/trail
	@echo
	@echo "== the same alerts as JSONL, first one shown =="
	$(KEYTRAIL) scan --format jsonl --quiet events/trail | head -n 1

.PHONY: test
test: lint rules-test e2e test-rust ## Every check: format, clippy, rule fixtures, e2e, unit/integration tests

.PHONY: test-rust
test-rust: venv ## Unit, integration (against moto) and doc tests
ifeq ($(NEXTEST),yes)
	$(CARGO) test --workspace --doc -q
	$(CARGO) nextest run --workspace --all-targets --no-fail-fast
else
	$(CARGO) test --workspace --all-targets --no-fail-fast
endif

.PHONY: rules-test
rules-test: ## Run every built-in rule's hit and miss fixtures through the CLI
	$(CARGO) build -q -p keytrail-cli
	$(KEYTRAIL) rules test

.PHONY: lint
lint: ## rustfmt check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -q -- -D warnings

.PHONY: fmt
fmt: ## Format the code
	$(CARGO) fmt --all

.PHONY: build
build: ## Release build of the CLI
	$(CARGO) build --release -p keytrail-cli

.PHONY: samples
samples: ## Rebuild events/trail/*.json.gz from ../shared/corpus
	python3 events/build-samples.py

.PHONY: deny
deny: ## cargo-deny: licences, advisories, sources (installs cargo-deny into .tools/)
	@test -x .tools/bin/cargo-deny || $(CARGO) install --locked --root .tools cargo-deny
	.tools/bin/cargo-deny check

.PHONY: clean
clean: ## Remove build output
	$(CARGO) clean
