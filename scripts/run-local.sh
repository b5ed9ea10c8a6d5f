#!/usr/bin/env bash
# make run: the API stand-in and Envoy with the filter, both in the foreground; Ctrl-C stops both.
#
# Ports (all on 127.0.0.1), chosen by environment variables:
#   ENVOY_PORT        Envoy's listener with the filter   (default 10000)
#   ENVOY_ADMIN_PORT  Envoy's admin: /stats, /logging     (default 9901)
#   STANDIN_PORT      the API stand-in                    (default 8081)
#   GOOGLE_PORT       the Google stand-in for BigQuery    (default 8082; started when
#                     envoy/envoy.yaml turns BigQuery logging on)
# A port already in use stops the harness before anything starts: otherwise Envoy (which binds
# with SO_REUSEPORT) or your curl would quietly talk to whatever else is listening there.
set -euo pipefail
ENVOY=${1:?path to envoy}
ENVOY_PORT=${ENVOY_PORT:-10000}
ENVOY_ADMIN_PORT=${ENVOY_ADMIN_PORT:-9901}
STANDIN_PORT=${STANDIN_PORT:-8081}
GOOGLE_PORT=${GOOGLE_PORT:-8082}
cd "$(dirname "$0")/.."

fail() { echo "run-local: $*" >&2; exit 1; }

for var in ENVOY_PORT ENVOY_ADMIN_PORT STANDIN_PORT GOOGLE_PORT; do
  port=${!var}
  [[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || fail "$var=$port is not a port number"
  # Something accepting connections there means the port is taken.
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port ($var) is already in use on 127.0.0.1 — stop what listens there" \
      "(another make run?) or choose another port, e.g. $var=$((port < 55000 ? port + 10000 : port - 10000)) make run"
  fi
done
[ "$(printf '%s\n' "$ENVOY_PORT" "$ENVOY_ADMIN_PORT" "$STANDIN_PORT" "$GOOGLE_PORT" | sort -u | wc -l)" = 4 ] ||
  fail "ENVOY_PORT, ENVOY_ADMIN_PORT, STANDIN_PORT and GOOGLE_PORT must differ"

# envoy/envoy.yaml with the chosen ports; each replacement must hit, or the config has moved on.
tmp=$(mktemp -d)
config=$tmp/envoy.yaml
cp envoy/envoy.yaml "$config"
substitute() {
  grep -q "$1" "$config" || fail "envoy/envoy.yaml has no '$1' any more: update scripts/run-local.sh"
  sed -i "s/$1/$2/g" "$config"
}
substitute "port_value: 10000" "port_value: $ENVOY_PORT"
substitute "port_value: 9901" "port_value: $ENVOY_ADMIN_PORT"
substitute "port_value: 8081" "port_value: $STANDIN_PORT"
substitute "127.0.0.1:8081" "127.0.0.1:$STANDIN_PORT"
# BigQuery logging on in the config: the Google stand-in (BigQuery, metadata server) serves it.
bigquery=false
if grep -q '"bigquery"' "$config"; then
  bigquery=true
  substitute "port_value: 8082" "port_value: $GOOGLE_PORT"
fi

pids=()
stop() {
  # Ignore further signals while stopping: Ctrl-C reaches every process of the terminal's
  # group, and make sends SIGTERM on top; re-entering here (the old `trap 'kill 0'`) recursed
  # until bash crashed.
  trap '' INT TERM
  trap - EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
stopped() { stop; echo; echo "run-local: stopped"; exit 0; }
trap stopped INT TERM
trap stop EXIT

./target/release/capi-standin --port "$STANDIN_PORT" --api-key local-dev-key --pixel-id local-pixel &
pids+=($!)
if $bigquery; then
  ./target/release/capi-standin --google --port "$GOOGLE_PORT" &
  pids+=($!)
fi
"$ENVOY" -c "$config" --concurrency 1 --disable-hot-restart -l warning --component-log-level wasm:info &
pids+=($!)

# Ready when Envoy's admin says so; a child that exits first (bad config, bind error) ends it.
for _ in $(seq 100); do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" && status=0 || status=$?;
      fail "$( [ "$pid" = "${pids[0]}" ] && echo "the API stand-in" || echo "Envoy or the Google stand-in") exited" \
        "(status $status) during start-up: see its message above"; }
  done
  curl -sf "http://127.0.0.1:$ENVOY_ADMIN_PORT/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
cat <<MSG

  Envoy with the filter:   http://127.0.0.1:$ENVOY_PORT   (admin http://127.0.0.1:$ENVOY_ADMIN_PORT)
  API stand-in:            http://127.0.0.1:$STANDIN_PORT    (each request it receives is printed below)
$($bigquery && echo "  Google stand-in:         http://127.0.0.1:$GOOGLE_PORT    (BigQuery rows, printed below as \"── Google\")")

  Try:  curl -i 'http://127.0.0.1:$ENVOY_PORT/g/collect?v=2&tid=G-DEMO&cid=555.666&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F%3Foppref%3Ddemo-click-1' -H 'Host: shop.example.com'
  Stats: curl -s http://127.0.0.1:$ENVOY_ADMIN_PORT/stats/prometheus | grep '^openai_capi_'
  Stop:  Ctrl-C

MSG
# Either child ending ends the harness (the EXIT trap stops the other). Envoy exits 0 only when
# asked to stop: on Ctrl-C bash may see that exit before its own SIGINT (bash lets a child that
# handles SIGINT decide), so a 0 is the normal stop, anything else an error.
set +e
wait -n "${pids[@]}"
status=$?
[ "$status" = 0 ] && stopped
fail "a process of the harness exited (status $status): see its message above"
