#!/usr/bin/env bash
# make run: the API stand-in and Envoy with the filter, both in the foreground; Ctrl-C stops both.
set -euo pipefail
ENVOY=${1:?path to envoy}
cd "$(dirname "$0")/.."
trap 'kill 0 2>/dev/null' EXIT INT TERM
./target/release/capi-standin --port 8081 --api-key local-dev-key --pixel-id local-pixel &
"$ENVOY" -c envoy/envoy.yaml --concurrency 1 --disable-hot-restart -l warning --component-log-level wasm:info &
sleep 1
cat <<'MSG'

  Envoy with the filter:   http://127.0.0.1:10000   (admin http://127.0.0.1:9901)
  API stand-in:            http://127.0.0.1:8081    (each request it receives is printed below)

  Try:  curl -i 'http://127.0.0.1:10000/g/collect?v=2&tid=G-DEMO&cid=555.666&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F%3Foppref%3Ddemo-click-1' -H 'Host: shop.example.com'
  Stats: curl -s http://127.0.0.1:9901/stats/prometheus | grep '^openai_capi_'

MSG
wait
