#!/usr/bin/env python3
"""make bench-instructions: the gateway's user-space instructions per request, counted by
callgrind, for the same setups and scenarios as make bench.

CPU time per request on a shared 2-core machine moves by 15-30 % between runs of one build, too
much to steer small changes by. An instruction count moves far less: two runs on a quiet machine
agree within 1 %. (Load still shows a little: beside a compile, Envoy's event loop wakes more
often and batches gather fewer events, and the counts read 2-5 % higher, the baseline's too; so
compare runs made on an idle machine.) Each Envoy runs under `valgrind --tool=callgrind` with
instrumentation off while it
starts and warms up; then, per scenario, the counters are zeroed, a fixed number of requests is
sent by a few keep-alive clients, the batch timers are given time to fire, and the counters are
dumped. The figure is every thread's instructions (Envoy, V8's compiled wasm, libc) divided by
the requests. What it leaves out: the kernel (sockets, which the proxying baseline uses more of)
and cache misses, so a ratio here is a guide to where the filter's own work goes, not a
replacement for make bench's CPU ratios.

Usage: bench_instructions.py <envoy> <wasm> [--requests N] [--only WORD ...]
"""

import argparse
import glob
import http.client
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("bench", os.path.join(HERE, "bench.py"))
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

# The modes worth counting: the default and the cheapest (the others are make bench's).
MODES = ("held (shared callouts)", "optimistic+batch")
# As many keep-alive connections as make bench's wrk opens: held mode shares a callout among the
# requests of one window, so concurrency sets its events per call.
CLIENTS = 16
HEADERS = {
    "Host": "sgtm.shop.example.com",
    "User-Agent": "Mozilla/5.0 (bench) Safari/605.1.15",
    "Cookie": "_ga=GA1.1.1234567890.1700000000; __obref=0b6e1c1e-8a3d-4f9e-9d51-2f1a7c6b9e10",
}


class Counted(bench.Envoy):
    """A bench Envoy started under callgrind, instrumentation off until `start_counting`."""

    def __init__(self, envoy, out_dir, *args, **kwargs):
        popen = subprocess.Popen

        def under_callgrind(cmd, **kw):
            if cmd and cmd[0] == envoy:
                cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--smc-check=all-non-file",
                       f"--callgrind-out-file={out_dir}/callgrind.%p"] + cmd
            return popen(cmd, **kw)

        subprocess.Popen = under_callgrind
        # Starting under valgrind (V8 compiling the module included) takes seconds, not ms.
        bench.wait_port.__defaults__ = (300,)
        try:
            super().__init__(envoy, *args, **kwargs)
        finally:
            subprocess.Popen = popen
        self.out_dir = out_dir

    def control(self, *flags):
        subprocess.run(["callgrind_control", *flags, str(self.proc.pid)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def dump(self):
        """Dumps the counters since the last zeroing; returns that part's instruction total."""
        before = set(glob.glob(f"{self.out_dir}/callgrind.{self.proc.pid}.*"))
        self.control("-d")
        deadline = time.time() + 120
        while time.time() < deadline:
            new = set(glob.glob(f"{self.out_dir}/callgrind.{self.proc.pid}.*")) - before
            for path in new:
                with open(path, errors="replace") as f:
                    found = re.search(r"^totals: (\d+)", f.read(), re.M)
                if found:
                    return int(found.group(1))
            time.sleep(0.2)
        sys.exit(f"callgrind wrote no dump for Envoy {self.proc.pid}")


def send(port, method, path, body, count):
    """`count` requests spread over CLIENTS keep-alive connections; fails on any non-2xx."""
    errors = []
    # bench.py writes the body into a Lua string, where `\\n` is a newline.
    body = body.replace("\\n", "\n") if body is not None else None

    def client(n):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            headers = dict(HEADERS)
            if body is not None:
                headers["Content-Type"] = "text/plain;charset=UTF-8"
            for _ in range(n):
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 300:
                    errors.append(response.status)
            conn.close()
        except OSError as e:
            errors.append(str(e))

    share = [count // CLIENTS + (1 if i < count % CLIENTS else 0) for i in range(CLIENTS)]
    threads = [threading.Thread(target=client, args=(n,)) for n in share]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit(f"requests failed: {errors[:5]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("envoy")
    ap.add_argument("wasm")
    ap.add_argument("--ceiling", default=os.path.join(bench.ROOT, "target/wasm32-wasip1/release/capi_ceiling.wasm"))
    ap.add_argument("--requests", type=int, default=400, help="requests counted per scenario and setup")
    ap.add_argument("--warmup", type=int, default=200, help="requests sent before counting starts")
    ap.add_argument("--only", nargs="*", default=None, metavar="WORD",
                    help="only the scenarios and modes whose names contain one of these words")
    args = ap.parse_args()
    bench.ensure_tool("valgrind", "callgrind_control", package="valgrind")
    wasm, ceiling = os.path.abspath(args.wasm), os.path.abspath(args.ceiling)
    for path in (wasm, ceiling, bench.STANDIN):
        if not os.path.isfile(path):
            sys.exit(f"{path} missing: run make bench-instructions, which builds it")
    modes, scenarios = list(MODES), dict(bench.SCENARIOS)
    if args.only:
        hit = lambda name: any(w in name for w in args.only)
        modes = [m for m in modes if hit(m)] or modes
        scenarios = {k: v for k, v in scenarios.items() if hit(k)} or scenarios
    tmp = tempfile.mkdtemp(prefix="capi-instructions-")
    sink_port, api_sink_port = bench.free_port(), bench.free_port()
    sinks = [subprocess.Popen([bench.STANDIN, "--sink", "--port", str(p)], stdout=subprocess.DEVNULL)
             for p in (sink_port, api_sink_port)]
    for port in (sink_port, api_sink_port):
        bench.wait_port(port)
    commit = subprocess.run(["git", "-C", bench.ROOT, "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip()
    print(f"commit {commit}; wasm {os.path.getsize(wasm)} bytes; {args.requests} requests per cell over "
          f"{CLIENTS} keep-alive connections after {args.warmup} uncounted; Envoy --concurrency 1 under callgrind\n",
          flush=True)
    setups = [None, bench.FLOOR, bench.CEILING, bench.READS] + modes
    counts, calls = {}, {}
    try:
        for setup in setups:
            label = setup or bench.BASELINE
            out = os.path.join(tmp, re.sub(r"\W+", "_", label))
            os.makedirs(out)
            envoy = Counted(args.envoy, out, wasm, api_sink_port, sink_port, setup, out, ceiling=ceiling)
            try:
                for scenario, (method, path, body) in scenarios.items():
                    send(envoy.port, method, path, body, args.warmup)
                time.sleep(1)
                envoy.control("-i", "on")
                for scenario, (method, path, body) in scenarios.items():
                    before = envoy.stats() if setup in modes else {}
                    envoy.control("-z")
                    send(envoy.port, method, path, body, args.requests)
                    time.sleep(1.5)  # the batch windows close and their callouts are answered
                    total = envoy.dump()
                    counts[(scenario, setup)] = total / args.requests
                    if setup in modes:
                        after = envoy.stats()
                        delta = lambda k: after.get(k, 0) - before.get(k, 0)
                        calls[(scenario, setup)] = (delta("events_sent"), delta("api_requests"))
                    print(f"  {scenario:30} {label:38} {total / args.requests:9.0f} instructions/request", flush=True)
            finally:
                envoy.stop()
    finally:
        for p in sinks:
            p.terminate()
        shutil.rmtree(tmp, ignore_errors=True)

    for scenario in scenarios:
        base, floor, top = (counts[(scenario, s)] for s in (None, bench.FLOOR, bench.CEILING))
        print(f"\n### {scenario}\n")
        print("| setup | instructions/req | ratio to proxying | added over floor | vs ceiling |")
        print("|---|---:|---:|---:|---:|")
        for setup in setups:
            n = counts[(scenario, setup)]
            label = {None: bench.BASELINE, bench.FLOOR: bench.FLOOR, bench.CEILING: bench.CEILING,
                     bench.READS: bench.READS}.get(setup, f"filter, {setup}")
            vs = f"{(n - floor) / (top - floor):.2f}" if setup not in (None, bench.FLOOR) else ""
            print(f"| {label} | {n:,.0f} | {base / n:.2f} | {n - floor:+,.0f} | {vs} |")
        for setup in modes:
            sent, api = calls.get((scenario, setup), (0, 0))
            if api:
                print(f"\n{setup}: {sent} events in {api} API calls ({sent / api:.1f} per call)")


if __name__ == "__main__":
    main()
