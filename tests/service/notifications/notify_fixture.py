"""Helpers of the notification tests: a published snapshot holding ``due_notifications`` rows, a real reference
subscriber process on a loopback port, and the real notifier process (``lww notify``)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb

from kernel import published, snapshots
from service.notifications import subscriber as reference

DUE = next(table for table in published.TABLES if table.name == "due_notifications")
SUBSCRIPTIONS = next(table for table in published.TABLES if table.name == "subscriptions")
PROJECT = Path(__file__).resolve().parents[3]
# Short delays for tests: retries after ~0.05 s, a read timeout of 1 s.
FAST = {
    "LWW_NOTIFY_BACKOFF_SECONDS": "0.05",
    "LWW_NOTIFY_READ_TIMEOUT": "1",
    "LWW_NOTIFY_CONNECT_TIMEOUT": "1",
    "LWW_NOTIFY_LINGER_SECONDS": "3",
    "LWW_NOTIFY_POLL_SECONDS": "0.2",
}


def ticket(event_id: str, recipient: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{event_id}|{recipient}"))


def due_rows(
    url: str,
    *,
    rights: int,
    events: int = 1,
    recipients: tuple[str, ...] = ("0200000001",),
    attestation: tuple[str, ...] = (),
    first: int = 0,
) -> list[dict]:
    """``rights`` rights of ``events`` events each (CREATE then MODIFY…), notified to every recipient."""
    rows = []
    for r in range(first, first + rights):
        for s in range(1, events + 1):
            kind = "CREATE" if s == 1 else "MODIFY"
            for recipient in recipients:
                event_id = f"EV-{r}-{s}"
                rows.append(
                    {
                        "ticket_cbss": ticket(event_id, recipient),
                        "due_reference_date": dt.date(2026, 7, 4),
                        "recipient_cbe_number": recipient,
                        "endpoint_url": f"{url}/notifications/{recipient}",
                        "with_attestation": recipient in attestation,
                        "event_id": event_id,
                        "right_id": f"R-{r}",
                        "sequence": s,
                        "event_type": kind,
                        "registration_date": dt.date(2026, 7, 1),
                        "ssin": f"{85000000000 + r:011d}",
                        "attestation_status": 0 if s == 1 else 1,
                        "pcsa_cbe_number": "0212345678",
                        "category": "LIVING_WAGE",
                        "household_category": 2,
                        "begin_date": dt.date(2026, 6, 1),
                        "end_date": None if s == 1 else dt.date(2026, 12, 31),
                        "decision_date": dt.date(2026, 6, 20),
                    }
                )
    return rows


def publish_due(
    published_dir: Path,
    rows: list[dict],
    reference_date: dt.date = dt.date(2026, 7, 4),
    subscriptions: list[tuple[str, str, bool]] | None = None,
) -> str:
    """Publish a snapshot holding these due notifications (and the subscriptions when given); returns its id."""
    refresh_id = snapshots.new_refresh_id(reference_date)
    staged = snapshots.staging_path(published_dir, refresh_id)
    with duckdb.connect(str(staged)) as connection:
        connection.execute(DUE.ddl())
        if rows:
            placeholders = ", ".join("?" for _ in DUE.columns)
            connection.executemany(
                f"INSERT INTO due_notifications VALUES ({placeholders})",
                [tuple(row[name] for name in DUE.column_names) for row in rows],
            )
        if subscriptions is not None:
            connection.execute(SUBSCRIPTIONS.ddl())
            connection.executemany(
                "INSERT INTO subscriptions (cbe_number, endpoint_url, with_attestation) VALUES (?, ?, ?)", subscriptions
            )
    snapshots.commit(published_dir, refresh_id, {"reference_date": reference_date.isoformat()})
    return refresh_id


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lww(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "lww.cli", "--home", str(home), *args]


class RunningSubscriber:
    """``lww subscriber`` in its own process on ``port``; stopped by its pid."""

    def __init__(self, home: Path, port: int, answer: str = "OK", slow_seconds: float = 5.0) -> None:
        self.home, self.port, self.answer = home, port, answer
        self.receipts = home / "subscriber" / "received.jsonl"
        self.process = subprocess.Popen(
            [*lww(home, "subscriber", "--port", str(port), "--answer", answer, "--slow-seconds", str(slow_seconds))],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=PROJECT,
        )
        if answer != "DOWN":
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"subscriber did not start: {self.process.stdout.read()!r}") from None
                    time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def received(self) -> dict[str, list[dict]]:
        return reference.received(self.receipts)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, 15)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, 9)
                self.process.wait()
        self.process.stdout.close()

    def __enter__(self) -> RunningSubscriber:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def notify(home: Path, *args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``lww notify`` in its own process, to its end."""
    return subprocess.run(
        lww(home, "notify", *args),
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env={**os.environ, **FAST, **(env or {})},
        timeout=timeout,
        check=False,
    )


def start_notify(home: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        lww(home, "notify", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT,
        env={**os.environ, **FAST, **(env or {})},
    )
