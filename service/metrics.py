"""Prometheus metrics of one service instance (its own registry, so several apps can live in one process).

Requests by channel, operation, HTTP status and status code; latency histogram; which snapshot is served and
how old it is (computed at scrape time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from service.store import LoadedSnapshot

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
        loaded = self._current()
        if loaded is not None:
            info.add_metric([loaded.refresh_id, loaded.reference_date.isoformat()], 1)
            published = loaded.published_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            age.add_metric([], max(0.0, (now - published).total_seconds()))
        yield info
        yield age


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
        self.registry.register(_SnapshotCollector(current))

    def observe(self, channel: str, operation: str | None, http_status: int, status_code: str, seconds: float) -> None:
        op = operation or "unknown"
        self.requests.labels(channel, op, str(http_status), status_code).inc()
        self.latency.labels(channel, op).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
