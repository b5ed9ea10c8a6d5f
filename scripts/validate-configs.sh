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

validate envoy/envoy.yaml envoy/envoy.yaml
for f in envoy/docker/envoy.yaml envoy/production.yaml; do
  # Templates ship REPLACE_WITH_* placeholders, which the filter refuses; fill them in.
  sed -e "s#/etc/envoy/openai_capi_filter.wasm#$WASM#" -e "s#REPLACE_WITH_PIXEL_ID#validate-pixel#" \
    "$f" > "$tmp/$(basename "$(dirname "$f")")-$(basename "$f")"
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
