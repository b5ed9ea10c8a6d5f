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
  sed "s#/etc/envoy/openai_capi_filter.wasm#$WASM#" "$f" > "$tmp/$(basename "$(dirname "$f")")-$(basename "$f")"
  validate "$f" "$tmp/$(basename "$(dirname "$f")")-$(basename "$f")"
done

# The compose file itself, checked without a Docker engine (Debian's docker-compose).
if ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing docker-compose (Debian package) to check envoy/docker-compose.yaml"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
  else
    echo "docker-compose is needed to check envoy/docker-compose.yaml (apt-get install docker-compose)" >&2
    exit 1
  fi
fi
docker-compose -f envoy/docker-compose.yaml config -q && echo "valid: envoy/docker-compose.yaml"
