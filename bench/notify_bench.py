"""Benchmark of the delivery of notifications (``lww notify``) to a local reference subscriber (``lww subscriber``).

    nice -n 10 .venv/bin/python -m bench.notify_bench [--sizes 20000,200000] [--subscribers 30]

For each size N, a snapshot publishes N due notifications (a month of right events at Belgian scale is about
200,000) spread over ``--subscribers`` subscribers, one in eight the second event of a right (it waits for the
first: sequence order), a third of the subscribers with the attestation. A fresh reference subscriber and a fresh
store; ``lww notify`` runs in a process of its own: its CPU and peak RSS are that run's alone (``wait4``'s
ru_maxrss, and its VmHWM sampled every 0.1 s while it runs, with its RSS every 5 s). After the run the store
(read back from disk) must hold N delivered and the subscriber's receipts N distinct tickets. Results in
``bench/results/notify_bench.json``, with the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from bench import OUT, RESULTS, record
from kernel import delivery_state, published, snapshots
from service.notifications import subscriber

ROOT = Path(__file__).resolve().parent.parent
DUE = next(table for table in published.TABLES if table.name == "due_notifications")


def publish(home: Path, size: int, subscribers: int, url: str) -> None:
    """N due notifications: rights of one or two events, spread over the subscribers (DuckDB writes them)."""
    refresh_id = snapshots.new_refresh_id(dt.date(2026, 12, 5))
    staged = snapshots.staging_path(home / "published", refresh_id)
    with duckdb.connect(str(staged)) as con:
        con.execute(DUE.ddl())
        con.execute(
            f"""
            INSERT INTO due_notifications
            WITH numbered AS (
                SELECT i, i % {subscribers} AS subscriber,
                       -- every 8th notification is the second event of the right of the one before it (same
                       -- subscriber: i - subscribers); the others are first events
                       CASE WHEN i >= {subscribers} AND (i // {subscribers}) % 8 = 1 THEN i - {subscribers} ELSE i END
                           AS right_no,
                       CASE WHEN i >= {subscribers} AND (i // {subscribers}) % 8 = 1 THEN 2 ELSE 1 END AS seq
                FROM range({size}) AS r(i)
            )
            SELECT md5(i::VARCHAR)[1:8] || '-' || md5(i::VARCHAR)[9:12] || '-4' || md5(i::VARCHAR)[14:16] || '-8'
                       || md5(i::VARCHAR)[18:20] || '-' || md5(i::VARCHAR)[21:32],
                   DATE '2026-12-05', printf('02%08d', subscriber), '{url}/notifications/s' || subscriber,
                   subscriber % 3 = 0, 'EV-' || i, 'R-' || right_no, seq,
                   CASE WHEN seq = 1 THEN 'CREATE' ELSE 'MODIFY' END, DATE '2026-11-20',
                   printf('%011d', 85000000000 + right_no), CASE WHEN seq = 1 THEN 0 ELSE 1 END, '0212345678',
                   'LIVING_WAGE', 2, DATE '2026-11-01', NULL, DATE '2026-11-15'
            FROM numbered
            """
        )
    snapshots.commit(home / "published", refresh_id, {"reference_date": "2026-12-05"})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lww(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "lww.cli", "--home", str(home), *args]


class Watch:
    """Samples a process's VmHWM and VmRSS every 0.1 s (a time series every 5 s) until stopped."""

    def __init__(self, pid: int) -> None:
        import threading

        self.pid, self.peak_kb, self.rose_at, self.series = pid, 0, 0.0, []
        self._started = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last_point = -5.0
        while not self._stop.is_set():
            try:
                fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines())
            except (OSError, ValueError):
                break
            hwm, rss = int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])
            now = time.perf_counter() - self._started
            if hwm > self.peak_kb:
                self.peak_kb, self.rose_at = hwm, now
            if now - last_point >= 5:
                self.series.append([round(now), round(rss / 1024, 1)])
                last_point = now
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_size(size: int, subscribers: int) -> dict:
    home = OUT / f"notify-{size}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    publish(home, size, subscribers, url)
    receipts = home / "subscriber" / "received.jsonl"
    server = subprocess.Popen(lww(home, "subscriber", "--port", str(port)), cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the subscriber did not start") from None
                time.sleep(0.1)
        load_before = os.getloadavg()
        started = time.perf_counter()
        notifier = subprocess.Popen(lww(home, "notify"), cwd=ROOT, stdout=subprocess.PIPE, text=True)
        watch = Watch(notifier.pid)
        output = notifier.stdout.read()
        _, status, usage = os.wait4(notifier.pid, 0)
        watch.stop()
        seconds = time.perf_counter() - started
        notifier.returncode = os.waitstatus_to_exitcode(status)
        if notifier.returncode != 0:
            raise RuntimeError(f"lww notify failed: {output}")
    finally:
        server.terminate()
        _, _, server_usage = os.wait4(server.pid, 0)
    with delivery_state.open_read_only(home / "notifications") as connection:
        states = dict(connection.execute("SELECT state, count(*) FROM notifications GROUP BY state").fetchall())
    received = subscriber.received(receipts)
    assert states == {"delivered": size}, states
    assert len(received) == size, len(received)
    import_line = next(line for line in output.splitlines() if line.startswith("imported"))
    result = {
        "notifications": size,
        "subscribers": subscribers,
        "seconds": round(seconds, 2),
        "notifications_per_second": round(size / seconds),
        "import_seconds": float(import_line.rsplit("(", 1)[1].split(" ")[0]),
        "notifier_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        # VmHWM read every 0.1 s while it ran, and when it last rose (seconds before the end of the run)
        "notifier_vmhwm_sampled_mb": round(watch.peak_kb / 1024, 1),
        "vmhwm_last_rose_seconds_before_end": round(time.perf_counter() - started - watch.rose_at, 1),
        "vmrss_samples_mb": watch.series,
        "notifier_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "subscriber_cpu_seconds": round(server_usage.ru_utime + server_usage.ru_stime, 2),
        "duplicates_received": sum(len(r) - 1 for r in received.values()),
        "store_mb": round(sum(p.stat().st_size for p in (home / "notifications").iterdir()) / 2**20, 1),
        "load_average_before": load_before,
        "output": output.strip().splitlines(),
    }
    print(json.dumps({k: v for k, v in result.items() if k not in ("output", "vmrss_samples_mb")}))
    shutil.rmtree(home, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,200000", help="numbers of notifications, comma-separated")
    parser.add_argument("--subscribers", type=int, default=30)
    parser.add_argument("--output", default=str(RESULTS / "notify_bench.json"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {
        "command": "nice -n 10 .venv/bin/python -m bench.notify_bench " + " ".join(sys.argv[1:]),
        "cores": os.cpu_count(),
        "runs": [run_size(size, args.subscribers) for size in sizes],
    }
    record(results, args.output)


if __name__ == "__main__":
    main()
