"""Benchmark of the batch consultation (``lww batch``): files of getLivingWagesWithAmount requests (10 years,
MONTH) over the Belgian 15-year snapshot of the service benchmark, against the online service in the same run.

    nice -n 10 .venv/bin/python -m bench.batch_bench [--sizes 100000,1000000] [--online-seconds 10]

For each size, a file of random beneficiaries (with repeats, seed 7) is written, then answered by ``lww batch`` in
a process of its own (with the processes it starts: its time, CPU and peak memory are that run's alone: check,
answer, audit flushes, release). The online figure is the production service (``bench.service_bench``'s server,
2 worker processes) driven by wrk at 8 clients for ``--online-seconds``, with the same kind of request, before
the batches. Besides requests per second, both say their CPU per request (every process of the batch; the
server's workers and audit syncers), which does not depend on what else the machine runs.

The snapshot is the service benchmark's (``$BENCH_HOME/b170000-y15``, default BENCH_HOME /tmp/lww-service-bench),
built when missing. Results in ``bench/results/batch_bench.json``; each run's result file, audit and store are
deleted after it (a million 10-year answers are about sixteen gigabytes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench import RESULTS, record
from bench import service_bench as sb
from kernel import snapshots
from kernel.settings import settings as make_settings

ROOT = Path(__file__).resolve().parent.parent
NS = "urn:be:fgov:mi-is:lww:batch:v1"


def beneficiaries(home: Path) -> list[str]:
    with snapshots.connect(snapshots.current(make_settings(home).published)) as con:
        rows = con.execute(
            "SELECT ssin FROM last_indemnified_months WHERE person_role = 'BENEFICIARY' ORDER BY ssin"
        ).fetchall()
    return [ssin for (ssin,) in rows]


def write_requests(path: Path, ssins: list[str], count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    begin = sb.R.replace(year=sb.R.year - 10) + dt.timedelta(days=1)
    criteria = f"<period><beginDate>{begin}</beginDate><endDate>{sb.R}</endDate></period><grouping>MONTH</grouping>"
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as out:
        out.write(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<lwb:consultationBatch xmlns:lwb="{NS}" batchId="BENCH-{count}" '
            f'cbeNumber="{sb.CBE}" legalContext="{sb.LEGAL_CONTEXT}" fileCreationTimestamp="2026-11-09T08:00:00Z">\n'
        )
        for sequence in range(1, count + 1):
            out.write(
                f"<request><sequence>{sequence}</sequence><operation>getLivingWagesWithAmount</operation>"
                f"<criteria><ssin>{rng.choice(ssins)}</ssin>{criteria}</criteria></request>\n"
            )
        out.write("</lwb:consultationBatch>\n")


def _status_kb(pid: int) -> dict[str, int]:
    try:
        with open(f"/proc/{pid}/status") as status:
            return {
                k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in status) if v.strip().endswith("kB")
            }
    except OSError:
        return {}


def _tree(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as children:
                frontier += [int(child) for child in children.read().split()]
        except OSError:
            pass
    return found


def run_one(home: Path, requests: Path, output: Path) -> dict:
    """``lww batch`` in a process of its own (and the processes it starts): wall time, CPU of them all, and, sampled
    every 0.2 s over the process tree, the peak of their summed RSS and of their summed private memory (RssAnon;
    the RSS also counts the snapshot's memory-mapped index pages, shared through the page cache)."""
    command = [sys.executable, "-m", "lww.cli", "--home", str(home), "batch", str(requests), str(output)]
    command += ["--institution", sb.CBE]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_rss = peak_anon = peak_hwm = processes = 0
    while process.poll() is None:
        pids = _tree(process.pid)
        statuses = [_status_kb(pid) for pid in pids]
        processes = max(processes, len(pids))
        peak_rss = max(peak_rss, sum(s.get("VmRSS", 0) for s in statuses))
        peak_anon = max(peak_anon, sum(s.get("RssAnon", 0) for s in statuses))
        peak_hwm = max([peak_hwm, *(s.get("VmHWM", 0) for s in statuses)])
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    out, err = process.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise RuntimeError(f"lww batch failed: {err.strip() or out.strip()}")
    return {
        "seconds": round(seconds, 1),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
        "processes": processes,
        "peak_rss_mb_all_processes": peak_rss // 1024,
        "peak_private_mb_all_processes": peak_anon // 1024,
        "peak_vmhwm_mb_one_process": peak_hwm // 1024,
        "said": out.strip().splitlines()[-1] if out.strip() else "",
    }


STAGES = {  # (file, function) of pstats -> what it is, for the CPU breakdown of one process answering a file
    ("batch_file.py", "check"): "check the file whole (parse, batch and operation schemas, sequences)",
    ("batch_file.py", "requests"): "read it again into online requests (parse, consultation)",
    ("consult.py", "answer"): "business checks and data look-ups (consult.answer)",
    ("soap.py", "render"): "render the online answer (the SOAP channel)",
    ("audit.py", "append"): "audit records",
    ("audit.py", "wait_durable"): "audit flushes (one per chunk)",
}


def profile(home: Path, ssins: list[str], count: int) -> dict:
    """Where one process's CPU goes answering ``count`` requests (cProfile's cumulative times, in this process: its
    overhead inflates per-call costs, so the shares are indicative, the total is not a throughput)."""
    import cProfile
    import pstats

    from service.channels import batch

    work = home / "batch-profile"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    requests = work / "requests.xml"
    write_requests(requests, ssins, count, seed=13)
    shutil.rmtree(home / "batch", ignore_errors=True)
    settings = make_settings(home)
    profiler = cProfile.Profile()
    profiler.enable()
    batch.answer_file(settings, requests, work / "result.xml", sb.CBE, workers=1)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = max(cumulative for (_, _, _, cumulative, _) in stats.values())
    shares = {}
    for (file, _line, function), (_, _, _, cumulative, _) in stats.items():
        label = STAGES.get((Path(file).name, function))
        if label:
            shares[label] = round(100 * cumulative / total, 1)
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(home / "batch", ignore_errors=True)
    return {"requests": count, "profiled_seconds": round(total, 1), "percent_of_cpu": shares}


def online(home: Path, seconds: int, port: int, ssins: list[str]) -> dict:
    """The production service at 8 clients (2 worker processes), the same kind of request."""
    bodies = home / "bench-bodies.txt"
    sample = random.Random(11).sample(ssins, 2000)
    bodies.write_text("".join(sb.envelope(s).decode().replace("\n", "") + "\n" for s in sample))
    server = sb.start_server(home, port, 2, round(sb.mean_rows(home, sample[:500])))
    try:
        base = f"http://127.0.0.1:{port}"
        sb.wait_healthy(base, server)
        sb.wrk(base + "/soap/LivingWagesWithAmountService/v1", bodies, 8, 3)  # warm-up
        url = base + "/soap/LivingWagesWithAmountService/v1"
        found = sb.measured(server, lambda: sb.wrk(url, bodies, 8, seconds))
    finally:
        server.terminate()
        server.wait(30)
    kept = ("rps", "p50_ms", "p99_ms", "failures", "server_cpu_ms_per_request")
    return {"clients": 8, "workers": 2, **{name: found.get(name) for name in kept}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--online-seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=0, help="the online service's port (default: a free one)")
    parser.add_argument("--profile", type=int, default=0, help="also profile one process answering N requests")
    parser.add_argument("--output", default=str(RESULTS / "batch_bench.json"))
    args = parser.parse_args()
    home = Path(os.environ.get("BENCH_HOME", "/tmp/lww-service-bench")) / "b170000-y15"
    if snapshots.current(make_settings(home).published) is None:
        shutil.rmtree(home, ignore_errors=True)
        sb.build_snapshot(home, 170_000, 15)
    current = snapshots.current(make_settings(home).published)
    # the snapshot's index files, built now if this code has not built them yet: a run measures answering only
    warm = "from kernel.settings import settings as s; from service.snapshot_store import SnapshotStore as S\n"
    warm += f"h = s({str(home)!r}); S(h.published, h.service_cache / 'indexes').get()"
    subprocess.run([sys.executable, "-c", warm], cwd=ROOT, check=True)
    ssins = beneficiaries(home)
    results: dict = {
        "snapshot": current.refresh_id,
        "people": len(ssins),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_before": os.getloadavg(),
    }
    if args.online_seconds:
        port = args.port
        if not port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        results["online"] = online(home, args.online_seconds, port, ssins)
        print(f"online: {results['online']}", flush=True)
    work = home / "batch-bench"
    results["batches"] = []
    for size in (int(s) for s in args.sizes.split(",")):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        requests = work / f"requests-{size}.xml"
        write_requests(requests, ssins, size)
        shutil.rmtree(home / "batch", ignore_errors=True)
        load = os.getloadavg()
        found = run_one(home, requests, work / f"result-{size}.xml")
        found.update(
            requests=size,
            input_mb=round(requests.stat().st_size / 1e6, 1),
            output_mb=round((work / f"result-{size}.xml").stat().st_size / 1e6, 1),
            requests_per_s=round(size / found["seconds"], 1),
            cpu_ms_per_request=round(found["cpu_s"] / size * 1000, 3),
            load_average_before=load,
            load_average_after=os.getloadavg(),
        )
        results["batches"].append(found)
        print(f"batch {size}: {found}", flush=True)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(home / "batch", ignore_errors=True)
        for path in make_settings(home).audit.glob("audit-*.jsonl"):
            path.unlink()
    if args.profile:
        results["profile"] = profile(home, ssins, args.profile)
        print(f"profile: {results['profile']}", flush=True)
    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record(results, args.output)
    return 0


if __name__ == "__main__":
    time.tzset()
    sys.exit(main())
