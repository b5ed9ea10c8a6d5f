#!/usr/bin/env python3
"""make bench-core: the core's instructions per pipeline run, natively and in V8, by callgrind.

The core (ingest, tag, event JSON, Set-Cookie values) is what grows with the events of a request,
and in Envoy it runs as wasm in V8. This counts one run of the pipeline on each input of
`tests/support/src/pipeline_inputs.rs`:

- natively: `examples/pipeline_instructions` (x86-64, the host's allocator);
- in V8: `benches/core-wasm` (the same loop compiled to wasm32, dlmalloc inside) run by
  `scripts/core_wasm.js` in Node's V8 with the flags that matter set as Envoy sets them:
  Liftoff off, so every function runs TurboFan code as in Envoy (proxy-wasm's V8 host turns the
  baseline compiler off), and `--single-threaded`, so compilation happens on the counted thread
  at the same point of every run instead of racing it from a background thread.

Each figure is (count of M runs - count of N runs) / (M - N): start-up, compilation and the
warm-up of the first runs cancel out. Natively two runs give the same count; in V8 they agree
within about 2 % (its garbage collector and code placement vary a little from run to run), and
load on the machine does not move them (no timers, no sockets). Node's V8 is not Envoy's
(another version), so compare builds of the core by these counts, and the gateway by
make bench-instructions.

Usage: bench_core.py <pipeline_instructions> <capi-core-wasm.wasm> [--only INPUT ...]
"""

import argparse
import importlib.util
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("bench", os.path.join(HERE, "bench.py"))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

INPUTS = {
    "page_view": "a GA4 page_view GET",
    "purchase2": "a GA4 purchase GET, 2 items and em (what make bench sends)",
    "purchase": "a GA4 purchase GET, 10 items and full user data",
    "batch5": "a GA4 POST of 5 lines (4 events), per request",
}
# Runs counted: natively the loop is cheap under callgrind; in V8 each run costs ~50x, and the
# larger count spreads V8's run-to-run variation over 6,000 runs.
NATIVE_RUNS = (100, 200)
V8_RUNS = (2000, 8000)
V8_FLAGS = ["--no-warnings", "--single-threaded", "--no-liftoff"]


def instructions(cmd):
    """Every instruction callgrind counted for `cmd` (all threads)."""
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    found = re.search(r"Collected : (\d+)", out.stderr)
    if not found:
        sys.exit(f"no instruction count from callgrind for {' '.join(cmd)}")
    return int(found.group(1))


def per_run(cmd_for, runs):
    few, many = runs
    return (instructions(cmd_for(many)) - instructions(cmd_for(few))) / (many - few)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("native", help="target/release/examples/pipeline_instructions")
    parser.add_argument("wasm", help="the capi-core-wasm build (make profile-core's)")
    parser.add_argument("--only", nargs="+", choices=sorted(INPUTS), help="count these inputs only")
    args = parser.parse_args()
    bench.ensure_tool("valgrind", package="valgrind")
    bench.ensure_tool("node", package="nodejs")
    runner = os.path.join(HERE, "core_wasm.js")
    print(f"instructions per pipeline run; node {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}")
    print()
    print("| input | native | in V8 | V8 / native |")
    print("|---|---:|---:|---:|")
    for name in args.only or INPUTS:
        native = per_run(lambda n: [args.native, name, str(n)], NATIVE_RUNS)
        v8 = per_run(lambda n: ["node"] + V8_FLAGS + [runner, args.wasm, name, str(n)], V8_RUNS)
        print(f"| {name}: {INPUTS[name]} | {native:,.0f} | {v8:,.0f} | {v8 / native:.2f} |", flush=True)


if __name__ == "__main__":
    main()
