#!/usr/bin/env bash
# Tests `make run` (scripts/run-local.sh) as a user meets it:
#   1. on ports chosen by env vars, a hit reaches the stand-in through the filter;
#   2. Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops everything and
#      make exits without an error line (it used to end in "Segmentation fault");
#   3. a busy port stops the harness at once with a message naming the port and its variable.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
cleanup() {
  [ -n "${group:-}" ] && kill -KILL -- "-$group" 2>/dev/null
  [ -n "${blocker:-}" ] && kill "$blocker" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "test-run-local: FAILED: $*" >&2; echo "--- output:" >&2; cat "$tmp/out" >&2 || true; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
export ENVOY_PORT ENVOY_ADMIN_PORT STANDIN_PORT GOOGLE_PORT
ENVOY_PORT=$(free_port) ENVOY_ADMIN_PORT=$(free_port) STANDIN_PORT=$(free_port) GOOGLE_PORT=$(free_port)

# 1. Start `make run` in its own session, like a terminal's foreground job.
setsid make --no-print-directory run >"$tmp/out" 2>&1 &
group=$!
for _ in $(seq 600); do
  grep -q "Stop:  Ctrl-C" "$tmp/out" && break
  kill -0 "$group" 2>/dev/null || fail "make run exited during start-up"
  sleep 0.5
done
grep -q "Stop:  Ctrl-C" "$tmp/out" || fail "make run did not become ready in 5 minutes"
grep -q "http://127.0.0.1:$ENVOY_PORT " "$tmp/out" || fail "banner does not show ENVOY_PORT"
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: shop.example.com' \
  "http://127.0.0.1:$ENVOY_PORT/g/collect?v=2&tid=G-DEMO&cid=555.666&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F%3Foppref%3Ddemo-click-1")
[ "$status" = 204 ] || fail "collection hit answered $status, expected 204"
for _ in $(seq 100); do
  grep -q "POST /v1/events" "$tmp/out" && break
  sleep 0.1
done
grep -q "POST /v1/events" "$tmp/out" || fail "the stand-in on STANDIN_PORT=$STANDIN_PORT printed no event"
echo "ok: make run on ENVOY_PORT=$ENVOY_PORT ENVOY_ADMIN_PORT=$ENVOY_ADMIN_PORT STANDIN_PORT=$STANDIN_PORT delivered a hit to the stand-in"
# BigQuery logging is on in envoy/envoy.yaml: the Google stand-in prints the rows (flushed 1 s
# after the first).
for _ in $(seq 50); do
  grep -q "POST /bigquery/v2/projects/capi-test/datasets/capi_logs/tables/events/insertAll  -> 200" "$tmp/out" && break
  sleep 0.1
done
grep -q "insertAll  -> 200" "$tmp/out" || fail "the Google stand-in on GOOGLE_PORT=$GOOGLE_PORT printed no BigQuery insert"
grep -q '"type":"Response"' "$tmp/out" || fail "the Google stand-in printed no Response row"
echo "ok: the Google stand-in on GOOGLE_PORT=$GOOGLE_PORT stored and printed the hit's BigQuery rows"

# 2. Ctrl-C.
kill -INT -- "-$group"
for _ in $(seq 100); do kill -0 "$group" 2>/dev/null || break; sleep 0.1; done
kill -0 "$group" 2>/dev/null && fail "make run still running 10 s after Ctrl-C"
wait "$group" && make_status=0 || make_status=$?
group=
grep -qiE "segmentation fault|^make(\[[0-9]+\])?: \*\*\*" "$tmp/out" && fail "Ctrl-C left an error line"
grep -q "run-local: stopped" "$tmp/out" || fail "no 'stopped' line after Ctrl-C"
# make re-raises the SIGINT it received itself (130); any other status is an error.
[ "$make_status" = 0 ] || [ "$make_status" = 130 ] || fail "make exited $make_status after Ctrl-C"
for port in "$ENVOY_PORT" "$ENVOY_ADMIN_PORT" "$STANDIN_PORT" "$GOOGLE_PORT"; do
  listening "$port" && fail "port $port still served after Ctrl-C"
done
echo "ok: Ctrl-C stopped make run cleanly (make status $make_status, no error line, ports released)"

# 3. Busy ports: each variable in turn.
for var in STANDIN_PORT ENVOY_PORT ENVOY_ADMIN_PORT GOOGLE_PORT; do
  busy=$(free_port)
  python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', $busy)); s.listen(); time.sleep(60)" &
  blocker=$!
  for _ in $(seq 50); do listening "$busy" && break; sleep 0.1; done
  set +e
  env "$var=$busy" timeout 30 ./scripts/run-local.sh "${ENVOY_BIN:?ENVOY_BIN}" >"$tmp/out" 2>&1
  code=$?
  set -e
  kill "$blocker"; wait "$blocker" 2>/dev/null || true
  blocker=
  [ "$code" = 1 ] || fail "$var busy: exit status $code, expected 1"
  grep -q "port $busy ($var) is already in use" "$tmp/out" || fail "$var busy: no clear message"
  grep -q "capi-standin: OpenAI" "$tmp/out" && fail "$var busy: the stand-in was started anyway"
  echo "ok: $var busy → $(head -1 "$tmp/out")"
done
echo "test-run-local: 3 checks passed"
