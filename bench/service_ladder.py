"""Where the data path's cost goes: the service measured with parts of a consultation taken away, one at a time.

    .venv/bin/python -m bench.service_ladder [--home DIR] [--seconds 10] [--rounds 2] [--clients 8] [--workers 2]

Each step is the bench's server (``bench.service_app``: the production application, wrapped) with one knob of
its factory set (``--ladder``); the production code has no such knob:

- ``full``: the service as it is, and its floor endpoint;
- ``no-fsync``: the audit record written to its file, but the answer not held for its ``fdatasync``;
- ``no-audit``: no audit record at all;
- ``fixed-answer``: no audit record, and the floor's fixed answer sent instead of the rendered rows (the
  credentials, the parse and validation, the consultation's checks and look-ups are still done).

Same load as ``bench/service_bench.py`` (wrk, closed loop, random beneficiaries of the snapshot built by that bench
under ``$BENCH_HOME``), the steps run in turn, ``--rounds`` times. Besides throughput and latency, the machine's
CPU per request (every process, the kernel's threads and wrk included, from ``/proc/stat``): the cores are
saturated in every step, so throughput follows it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from bench import RESULTS, record
from bench import service_bench as sb
from bench.service_app import FLOOR_PATH, LADDER
from service.schemas import LIVING_WAGES_WITH_AMOUNT

ROOT = Path(__file__).resolve().parent.parent
STEPS = LADDER
DATA_PATH = LIVING_WAGES_WITH_AMOUNT.path


def _busy_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


def _run(server: subprocess.Popen, url: str, bodies: Path, clients: int, seconds: int) -> dict:
    before = _busy_jiffies()
    found = sb.measured(server, lambda: sb.wrk(url, bodies, clients, seconds))
    after = _busy_jiffies()
    busy = after[0] - before[0]
    found["machine_busy"] = round(busy / max(after[1] - before[1], 1), 3)
    found["machine_cpu_ms_per_request"] = round(busy / os.sysconf("SC_CLK_TCK") / found["requests"] * 1000, 3)
    return found


def _step(args, home: Path, step: str, bodies: Path, floor_rows: int) -> list[dict]:
    server = sb.start_server(home, args.port, args.workers, floor_rows, ladder=step)
    base = f"http://127.0.0.1:{args.port}"
    try:
        sb.wait_healthy(base, server)
        # warm-up: credentials cached, pages mapped, and the floor's fixed answer rendered in each worker (wrk
        # corrects its percentiles for coordinated omission: a one-off stall at the start shows in the p99)
        sb.wrk(base + DATA_PATH, bodies, args.clients, 2)
        sb.wrk(base + FLOOR_PATH, bodies, args.clients, 2)
        found = []
        endpoints = [(step, DATA_PATH)] + ([("floor", FLOOR_PATH)] if step == "full" else [])
        for name, path in endpoints:
            result = _run(server, base + path, bodies, args.clients, args.seconds)
            result["step"] = name
            found.append(result)
            print(
                f"{name:>12}: {result['rps']:>9,.1f} req/s  p99 {result['p99_ms']:6.2f} ms  machine "
                f"{result['machine_cpu_ms_per_request']:.3f} ms/request (busy {result['machine_busy']:.0%})  "
                f"server {result['server_cpu_ms_per_request']:.3f}  failures {result['failures']}",
                flush=True,
            )
        return found
    finally:
        server.terminate()
        server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None, help="the service bench's home (default $BENCH_HOME/b170000-y15)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18085)
    parser.add_argument("--output", default=str(RESULTS / "service_ladder_results.json"))
    args = parser.parse_args()
    home = Path(args.home or Path(os.environ.get("BENCH_HOME", "/tmp/lww-service-bench")) / "b170000-y15")
    bodies = home / "bench-bodies.txt"
    if not bodies.is_file():
        print(f"service_ladder: no {bodies}: run python -m bench.service_bench first (it builds the snapshot)")
        return 2
    floor_rows = round(sb.mean_rows(home, sb.sample_ssins(home, 2000)))  # the people the bodies ask for
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    results = {"commit": head.stdout.strip(), "clients": args.clients, "workers": args.workers, "rounds": []}
    results["load_average_before"] = os.getloadavg()
    for number in range(args.rounds):
        print(f"round {number + 1} ({time.strftime('%H:%M:%S')})", flush=True)
        found = []
        for step in STEPS:
            found += _step(args, home, step, bodies, floor_rows)
        results["rounds"].append(found)
    record(results, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
