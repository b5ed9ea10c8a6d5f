#!/usr/bin/env bash
# Validates every shipped Envoy config with `envoy --mode validate`, which loads the .wasm and
# runs the filter's on_configure, so the filter configuration inside is checked too. Configs
# written for containers get their .wasm path pointed at the local build first.
set -euo pipefail
ENVOY=${1:?envoy binary}
WASM=$(realpath "${2:?wasm file}")
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OPENAI_CAPI_KEY=validate-only-key

validate() {
  local name=$1 file=$2
  if out=$("$ENVOY" --mode validate -c "$file" --disable-hot-restart -l error 2>&1); then
    echo "valid: $name"
  else
    echo "INVALID: $name"; echo "$out"; exit 1
  fi
}

# Every shipped config keeps its non-collection routes out of the filter (README: Keeping other
# traffic out of the filter); the e2e tests run envoy.yaml and docker/envoy.yaml to prove it.
for f in envoy/envoy.yaml envoy/docker/envoy.yaml envoy/production.yaml; do
  if ! grep -q 'envoy.config.route.v3.FilterConfig' "$f" || ! grep -q 'disabled: true' "$f"; then
    echo "INVALID: $f: no route disables the filter (typed_per_filter_config openai_capi: FilterConfig disabled: true)"
    exit 1
  fi
done

validate envoy/envoy.yaml envoy/envoy.yaml
for f in envoy/docker/envoy.yaml envoy/production.yaml; do
  # Templates ship REPLACE_WITH_* placeholders, which the filter refuses; fill them in.
  sed -e "s#/etc/envoy/openai_capi_filter.wasm#$WASM#" -e "s#REPLACE_WITH_PIXEL_ID#validate-pixel#" \
    "$f" > "$tmp/$(basename "$(dirname "$f")")-$(basename "$f")"
  validate "$f" "$tmp/$(basename "$(dirname "$f")")-$(basename "$f")"
done

# Istio's example: its pluginConfig in the Envoy config Istio would generate, so the filter
# checks it; a broken copy must be refused, or this check proves nothing.
scripts/istio-envoy-config.py envoy/istio/wasmplugin.yaml "$WASM" > "$tmp/istio.yaml"
validate envoy/istio/wasmplugin.yaml "$tmp/istio.yaml"
scripts/istio-envoy-config.py envoy/istio/wasmplugin.yaml "$WASM" --break > "$tmp/istio-broken.yaml"
if "$ENVOY" --mode validate -c "$tmp/istio-broken.yaml" --disable-hot-restart -l error >/dev/null 2>&1; then
  echo "INVALID: a broken pluginConfig passed validation"; exit 1
fi
echo "refused: envoy/istio/wasmplugin.yaml with an unknown key (as it must be)"

# envoy/docker-compose.yaml is checked by scripts/check-compose.py (make compose-check).
