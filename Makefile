# keytrail: every entry point. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
# nextest when installed (it is on the project's machines), plain cargo test otherwise.
NEXTEST := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo yes)
KEYTRAIL := $(or $(CARGO_TARGET_DIR),target)/debug/keytrail
VENV := .venv/bin
SAM := .venv-sam/bin/sam
# Deployment (docs/deploy.md). arm64 needs the aarch64-unknown-linux-gnu Rust target; without it
# the build is x86_64. The stack name and the event sent by `make invoke-remote`:
ARCH ?= $(if $(filter aarch64-unknown-linux-gnu,$(shell rustup target list --installed 2>/dev/null)),arm64,x86_64)
STACK ?= keytrail
EVENT ?= events/eventbridge-api-call-export-certificate.json
# `make sam-build` (part of `make test`) builds into a directory of its own so that it never replaces
# what `make build` left for `make deploy` in .aws-sam/build (sam keeps build.toml beside the build
# directory, hence a subdirectory rather than a sibling).
SAM_TEST_BUILD_DIR := .aws-sam/test/build
SAM_FUNCTIONS := TrailProcessor SlackNotifier
# cargo resolves a relative CARGO_TARGET_DIR against its working directory, which under sam is the
# function's directory: make it absolute. Unset, cargo and sam use the workspace's target/.
ifneq ($(CARGO_TARGET_DIR),)
export CARGO_TARGET_DIR := $(abspath $(CARGO_TARGET_DIR))
endif

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
test: lint lint-templates deny sam-build rules-test e2e test-rust ## Every check: format, clippy, templates, cargo-deny, sam build, rule fixtures, e2e, unit/integration tests

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
lint: ## rustfmt check, no import cycles between files, clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	python3 infra/import-cycles.py
	$(CARGO) clippy --workspace --all-targets -q -- -D warnings

.PHONY: fmt
fmt: ## Format the code
	$(CARGO) fmt --all

.PHONY: build
build: venv checks-venv ## Release build of the CLI, and `sam build` of the Lambda (ARCH=arm64|x86_64)
	$(CARGO) build --release -p keytrail-cli
	PATH="$(CURDIR)/.venv/bin:$$PATH" SAM_CLI_TELEMETRY=0 \
	  $(SAM) build --beta-features --parameter-overrides Architecture=$(ARCH)
	@echo "built for $(ARCH): deploy with Architecture=$(ARCH) (make deploy checks it)"

# x86_64 whatever ARCH says: the aarch64 Rust target cannot be installed on the project's machines.
# cargo-lambda and zig come from .venv. sam builds SlackNotifier although its Condition is off by
# default, and both bootstraps are checked. Builds into CARGO_TARGET_DIR when set (sam asks cargo
# where the target directory is), so CI's cached target dir is reused.
.PHONY: sam-build
sam-build: venv checks-venv ## `sam build` of both functions for x86_64 into .aws-sam/test/build, then check each bootstrap
	PATH="$(CURDIR)/.venv/bin:$$PATH" SAM_CLI_TELEMETRY=0 \
	  $(SAM) build --beta-features --parameter-overrides Architecture=x86_64 \
	  --build-dir $(SAM_TEST_BUILD_DIR)
	@for fn in $(SAM_FUNCTIONS); do \
	  test -x $(SAM_TEST_BUILD_DIR)/$$fn/bootstrap || { echo "make sam-build: no $(SAM_TEST_BUILD_DIR)/$$fn/bootstrap" >&2; exit 1; }; \
	  echo "sam build: $(SAM_TEST_BUILD_DIR)/$$fn/bootstrap ($$(stat -c %s $(SAM_TEST_BUILD_DIR)/$$fn/bootstrap) bytes)"; \
	done

.PHONY: checks-venv
checks-venv: ## Create the template-checker venvs (.venv-checks: checkov, .venv-sam: aws-sam-cli)
	infra/checks-venv.sh

.PHONY: lint-templates
lint-templates: venv checks-venv ## cfn-lint, checkov and sam validate --lint on template.yaml and infra/*.yaml
	infra/lint-templates.sh

.PHONY: deploy
deploy: checks-venv ## sam deploy of the last `make build` (guided on first use; STACK=keytrail)
	@test -f .aws-sam/build/template.yaml || { echo "make deploy: run make build first" >&2; exit 1; }
	@if [[ -f samconfig.toml ]]; then \
	  infra/check-arch.sh && SAM_CLI_TELEMETRY=0 $(SAM) deploy; \
	else \
	  SAM_CLI_TELEMETRY=0 $(SAM) deploy --guided --stack-name $(STACK) \
	    --parameter-overrides Architecture=$$(infra/check-arch.sh --built); \
	fi

.PHONY: logs
logs: checks-venv ## Tail the deployed function's logs (STACK=keytrail)
	SAM_CLI_TELEMETRY=0 $(SAM) logs --stack-name $(STACK) --name TrailProcessor --tail

.PHONY: invoke-remote
invoke-remote: checks-venv ## Invoke the deployed function with EVENT (default: an ExportCertificate API call: one high alert)
	SAM_CLI_TELEMETRY=0 $(SAM) remote invoke --stack-name $(STACK) TrailProcessor --event-file $(EVENT)

.PHONY: bench
bench: ## Release benchmarks: scan vs the floor (paired, both mixes, 2 CPUs and 1), whole-object DOM, memory, rules, cold start
	$(CARGO) build -q --release -p keytrail-cli -p trail-processor
	python3 bench/run.py

.PHONY: bench-floor
bench-floor: ## Only the paired table of `make bench`: scan, Lambda path and hashing against the floor
	$(CARGO) build -q --release -p keytrail-cli
	python3 bench/run.py floor

.PHONY: samples
samples: ## Rebuild events/trail/*.json.gz from ../shared/corpus
	python3 events/build-samples.py

.PHONY: deny
deny: checks-venv ## cargo-deny: licences, bans, sources, and advisories against the offline RustSec snapshot in ../shared/advisory-db
	infra/deny.sh

# cargo-fuzz needs nightly; the fuzz crate is a workspace of its own (fuzz/Cargo.toml) and builds
# into fuzz/target. Each target starts from the seeds in fuzz/corpus/<target> (kept in the repo)
# and writes what it finds to fuzz/target/corpus/<target>, so the seeds stay small; crashes land in
# fuzz/artifacts/<target>. The short stable run of the same checks is part of `make test`
# (shared/keytrail-core/tests/fuzz_seeds.rs). Leak detection is off: LeakSanitizer reports the
# 32 bytes glibc allocates for the thread-local destructors of the reader's decompress thread
# (__cxa_thread_atexit_impl) now and then, which is no leak of ours and does not reproduce.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= reader rules render
.PHONY: fuzz
fuzz: ## cargo fuzz each target for FUZZ_SECONDS (default 600) on nightly (installs cargo-fuzz into .tools/)
	@$(CARGO) +nightly --version >/dev/null 2>&1 || { echo "make fuzz: cargo +nightly does not work: cargo-fuzz needs a nightly toolchain (rustup toolchain install nightly)" >&2; exit 1; }
	@test -x .tools/bin/cargo-fuzz || $(CARGO) install --locked --root .tools cargo-fuzz
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/target/corpus/$$t; \
	  echo "== cargo fuzz run $$t for $(FUZZ_SECONDS) s =="; \
	  (cd fuzz && env -u CARGO_TARGET_DIR PATH="$(CURDIR)/.tools/bin:$$PATH" $(CARGO) +nightly fuzz run $$t target/corpus/$$t corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=30 -detect_leaks=0 -print_final_stats=1) || exit 1; \
	done

.PHONY: load
load: venv ## Load test: KEYTRAIL_LOAD_OBJECTS (default 2000) trail objects through the SQS path against moto; prints objects/s, alerts/s, peak RSS
ifeq ($(NEXTEST),yes)
	KEYTRAIL_LOAD_OBJECTS=$${KEYTRAIL_LOAD_OBJECTS:-2000} $(CARGO) nextest run -p trail-processor --test load --no-capture 2>&1 | grep -v '"_aws":{"CloudWatchMetrics"'
else
	KEYTRAIL_LOAD_OBJECTS=$${KEYTRAIL_LOAD_OBJECTS:-2000} $(CARGO) test -p trail-processor --test load -- --nocapture 2>&1 | grep -v '"_aws":{"CloudWatchMetrics"'
endif

.PHONY: clean
clean: ## Remove build output
	$(CARGO) clean
