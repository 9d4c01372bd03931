"""Prometheus metrics of one service instance (its own registry, so several apps can live in one process).

Requests by channel, operation, HTTP status and status code; latency histogram; which snapshot is served and
how old it is (computed at scrape time).

Several worker processes behind one port (``lww serve --workers N``): a scrape reaches one worker at random,
so per-process counters would jump back and forth. ``lww serve`` then sets ``PROMETHEUS_MULTIPROC_DIR``
(prometheus_client's multiprocess mode, a folder it empties at start): every worker writes its counters and
histogram to files there and any scrape returns the sums over all workers, dead ones included (counters never
go back). The snapshot gauges describe the worker that answered the scrape; ``lww_service_worker_snapshot``
(one series per live worker, label ``pid``) says which snapshot each worker serves, e.g. during a switch.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from kernel.processes import pid_alive
from service.snapshot_store import LoadedSnapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _SnapshotCollector:
    def __init__(self, current: Callable[[], LoadedSnapshot | None]) -> None:
        self._current = current

    def collect(self):
        info = GaugeMetricFamily(
            "lww_service_snapshot_info",
            "The published snapshot being served (value 1)",
            labels=["refresh_id", "reference_date"],
        )
        age = GaugeMetricFamily("lww_service_snapshot_age_seconds", "Seconds since the served snapshot was published")
        built = GaugeMetricFamily(
            "lww_service_snapshot_index_built",
            "1 when the served snapshot's index files were built by the service (published without usable ones)",
        )
        loaded = self._current()
        if loaded is not None:
            built.add_metric([], float(loaded.index_source != "published"))
            info.add_metric([loaded.refresh_id, loaded.reference_date.isoformat()], 1)
            published = loaded.published_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            age.add_metric([], max(0.0, (now - published).total_seconds()))
        yield info
        yield age
        yield built


class Metrics:
    def __init__(self, current: Callable[[], LoadedSnapshot | None]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lww_service_requests",
            "Requests by channel, operation, HTTP status and status code",
            ["channel", "operation", "http_status", "status_code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lww_service_request_duration_seconds",
            "Time from body read to response built",
            ["channel", "operation"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.client_disconnects = Counter(
            "lww_service_client_disconnects",
            "Requests whose client went away before its body was whole (or was closed for its body timeout)",
            ["channel"],
            registry=self.registry,
        )
        self._current = current
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self._worker_snapshot = None
        self._shown: tuple[str, str] | None = None
        if self.multiprocess_dir:
            self._worker_snapshot = Gauge(
                "lww_service_worker_snapshot",
                "1 for the snapshot each live worker process serves (label pid), 0 for the one it served before",
                ["refresh_id", "reference_date"],
                multiprocess_mode="liveall",
                registry=None,
            )
        else:
            self.registry.register(_SnapshotCollector(current))

    def note_snapshot(self) -> None:
        """Mark the snapshot this worker serves now (its ``lww_service_worker_snapshot`` series)."""
        loaded = self._current()
        if self._worker_snapshot is None or loaded is None:
            return
        labels = (loaded.refresh_id, loaded.reference_date.isoformat())
        if labels != self._shown:
            if self._shown is not None:
                self._worker_snapshot.labels(*self._shown).set(0)
            self._worker_snapshot.labels(*labels).set(1)
            self._shown = labels

    def observe(self, channel: str, operation: str | None, http_status: int, status_code: str, seconds: float) -> None:
        op = operation or "unknown"
        self.requests.labels(channel, op, str(http_status), status_code).inc()
        self.latency.labels(channel, op).observe(seconds)
        self.note_snapshot()

    def render(self) -> bytes:
        if not self.multiprocess_dir:
            return generate_latest(self.registry)
        self.note_snapshot()
        for path in glob.glob(os.path.join(self.multiprocess_dir, "gauge_live*_*.db")):
            pid = int(re.search(r"_(\d+)\.db$", path).group(1))
            if not pid_alive(pid):  # a worker that died (uvicorn starts another): its live gauges go
                multiprocess.mark_process_dead(pid, self.multiprocess_dir)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, self.multiprocess_dir)
        registry.register(_SnapshotCollector(self._current))
        return generate_latest(registry)
