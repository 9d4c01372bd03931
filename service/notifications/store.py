"""The notifier's delivery state: ``$LWW_HOME/notifications/notifications.sqlite3`` (SQLite, WAL).

One writer (the notifier holding ``notifier.lock``); readers (``lww notify --status``, the dashboards) open it
read-only at any time, through ``kernel.delivery_state`` (the store's read protocol, as ``kernel.snapshots`` is
the snapshots'). Every change is a transaction with ``synchronous=FULL``: what a commit says is on disk.

- ``notifications``: one row per ``ticketCBSS``, imported from a published snapshot's ``due_notifications``
  (``INSERT OR IGNORE``: importing the same or an overlapping snapshot again changes nothing), with its state:
  ``pending`` (``next_attempt_at``: when it may be sent), ``delivered`` (an OK answer echoing its ticket was
  committed) or ``parked`` (``LWW_NOTIFY_MAX_ATTEMPTS`` attempts failed; ``lww notify --retry-parked``).
- ``attempts``: every attempt (when, duration, HTTP status, outcome, an excerpt of the answer, the error).
- ``imports``: the snapshots already imported.

A notification is ``delivered`` only once its OK answer is committed; a notifier killed between the answer and
the commit sends it again (same ticket): at-least-once, idempotent on the ticket at the subscriber.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kernel.delivery_state import path_in
from kernel.errors import LwwError

LOCK_NAME = "notifier.lock"

# The columns of the published ``due_notifications`` the notifier keeps (snapshot name -> store name).
IMPORTED = (
    ("ticket_cbss", "ticket"),
    ("due_reference_date", "due_reference_date"),
    ("recipient_cbe_number", "recipient"),
    ("endpoint_url", "endpoint_url"),
    ("with_attestation", "with_attestation"),
    ("event_id", "event_id"),
    ("right_id", "right_id"),
    ("sequence", "sequence"),
    ("event_type", "event_type"),
    ("registration_date", "registration_date"),
    ("ssin", "ssin"),
    ("attestation_status", "attestation_status"),
    ("pcsa_cbe_number", "pcsa_cbe_number"),
    ("category", "category"),
    ("household_category", "household_category"),
    ("begin_date", "begin_date"),
    ("end_date", "end_date"),
    ("decision_date", "decision_date"),
)
STORE_COLUMNS = tuple(name for _, name in IMPORTED)
_WHOLE_NUMBERS = {"with_attestation", "sequence", "attestation_status", "household_category"}  # the rest: text

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS notifications (
    {
    ", ".join(
        f"{name} {'INTEGER' if name in _WHOLE_NUMBERS else 'TEXT'}" + (" PRIMARY KEY" if name == "ticket" else "")
        for name in STORE_COLUMNS
    )
},
    refresh_id TEXT NOT NULL,           -- the snapshot it was first imported from
    imported_at REAL NOT NULL,          -- epoch seconds
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'parked')),
    tries INTEGER NOT NULL DEFAULT 0,   -- attempts since it was (re)queued
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    delivered_at REAL,
    last_outcome TEXT,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS notifications_ready
    ON notifications (recipient, next_attempt_at, ticket) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS notifications_chain ON notifications (recipient, right_id, sequence);
CREATE TABLE IF NOT EXISTS attempts (
    ticket TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    at REAL NOT NULL,
    duration_ms REAL NOT NULL,
    http_status INTEGER,
    outcome TEXT NOT NULL,
    answer TEXT,
    error TEXT,
    PRIMARY KEY (ticket, attempt)
);
CREATE TABLE IF NOT EXISTS imports (
    refresh_id TEXT PRIMARY KEY,
    imported_at REAL NOT NULL,
    rows INTEGER NOT NULL,
    new INTEGER NOT NULL
);
"""

DELIVERED, NOT_YET, PARKED = "delivered", "pending", "parked"


@dataclass(frozen=True)
class Result:
    """The outcome of one attempt, to be committed."""

    ticket: str
    at: float
    duration_ms: float
    http_status: int | None
    outcome: str  # OK | NOK | FAULT | HTTP | TIMEOUT | REFUSED | BAD_ANSWER | ERROR
    answer: str = ""
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.outcome == "OK"


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, timeout=10)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.row_factory = sqlite3.Row
    return connection


@contextlib.contextmanager
def notifier_lock(folder: Path) -> Iterator[None]:
    """The one notifier of a home: a second one is refused, naming the holder's pid."""
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
            raise NotifierBusy(f"another notifier (pid {holder or '?'}) is delivering from {folder}") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)


class NotifierBusy(LwwError):
    """Another notifier holds the store."""


class Store:
    """The writer's handle on the store (one per notifier process, used from one thread)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = path_in(folder)
        self.db = _connect(self.path)
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # Import.

    def imported(self, refresh_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM imports WHERE refresh_id = ?", (refresh_id,)).fetchone() is not None

    def import_rows(self, refresh_id: str, batches: Iterator[Sequence[tuple]]) -> tuple[int, int]:
        """Insert the due notifications of one snapshot (tuples in ``IMPORTED`` order), ignoring tickets already
        known; one transaction, recorded in ``imports``. Returns (rows read, new notifications)."""
        now = time.time()
        columns = [*STORE_COLUMNS, "refresh_id", "imported_at"]
        sql = f"INSERT OR IGNORE INTO notifications ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        rows = 0
        with self.transaction() as db:
            before = db.total_changes
            for batch in batches:
                rows += len(batch)
                db.executemany(sql, [(*(_plain(v) for v in row), refresh_id, now) for row in batch])
            new = db.total_changes - before
            db.execute("INSERT OR REPLACE INTO imports VALUES (?, ?, ?, ?)", (refresh_id, now, rows, new))
        return rows, new

    def follow_subscriptions(self, subscriptions: Sequence[tuple[str, str, bool]]) -> int:
        """Point what is not delivered yet at each subscriber's current ``(cbe_number, endpoint_url,
        with_attestation)`` (a subscriber that fixes its endpoint gets its pending and parked notifications
        there); returns how many notifications changed."""
        with self.transaction() as db:
            before = db.total_changes
            db.executemany(
                "UPDATE notifications SET endpoint_url = ?2, with_attestation = ?3 WHERE recipient = ?1 "
                "AND state != 'delivered' AND (endpoint_url != ?2 OR with_attestation != ?3)",
                [(cbe, url, int(attestation)) for cbe, url, attestation in subscriptions],
            )
            return db.total_changes - before

    # Delivery.

    def recipients(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT recipient FROM notifications WHERE state = 'pending'")]

    def ready_page(self, recipient: str, now: float, after: tuple[float, str], limit: int) -> list[dict[str, Any]]:
        """Pending notifications of ``recipient`` that may be sent now and are the first undelivered event of
        their right (so events of a right go out in ``sequence`` order), after the keyset ``after``
        (``next_attempt_at``, ticket), in that order."""
        rows = self.db.execute(
            """
            SELECT n.* FROM notifications AS n
            WHERE n.recipient = ?1 AND n.state = 'pending' AND n.next_attempt_at <= ?2
              AND (n.next_attempt_at, n.ticket) > (?3, ?4)
              AND NOT EXISTS (
                  SELECT 1 FROM notifications AS e
                  WHERE e.recipient = n.recipient AND e.right_id = n.right_id AND e.sequence < n.sequence
                    AND e.state != 'delivered')
            ORDER BY n.next_attempt_at, n.ticket
            LIMIT ?5
            """,
            (recipient, now, after[0], after[1], limit),
        ).fetchall()
        return [dict(row) for row in rows]

    def next_due(self, recipient: str) -> float | None:
        """When the earliest notification of ``recipient`` that waits only for its time (not for an earlier event
        of its right) may be sent, or None when none does."""
        value = self.db.execute(
            """
            SELECT min(n.next_attempt_at) FROM notifications AS n
            WHERE n.recipient = ?1 AND n.state = 'pending'
              AND NOT EXISTS (
                  SELECT 1 FROM notifications AS e
                  WHERE e.recipient = n.recipient AND e.right_id = n.right_id AND e.sequence < n.sequence
                    AND e.state != 'delivered')
            """,
            (recipient,),
        ).fetchone()[0]
        return None if value is None else float(value)

    def record(self, results: Sequence[Result], *, max_attempts: int, backoff: Any) -> None:
        """Commit attempts in one transaction: delivered, or the next attempt scheduled, or parked."""
        with self.transaction() as db:
            for result in results:
                row = db.execute(
                    "SELECT tries, attempts, state FROM notifications WHERE ticket = ?", (result.ticket,)
                ).fetchone()
                if row is None or row["state"] != "pending":
                    continue
                tries, attempts = row["tries"] + 1, row["attempts"] + 1
                db.execute(
                    "INSERT OR REPLACE INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        result.ticket,
                        attempts,
                        result.at,
                        result.duration_ms,
                        result.http_status,
                        result.outcome,
                        result.answer[:500] or None,
                        result.error[:500] or None,
                    ),
                )
                if result.delivered:
                    state, next_at, delivered_at = DELIVERED, 0.0, result.at
                elif tries >= max_attempts:
                    state, next_at, delivered_at = PARKED, 0.0, None
                else:
                    state, next_at, delivered_at = NOT_YET, result.at + backoff(tries), None
                db.execute(
                    "UPDATE notifications SET state = ?, tries = ?, attempts = ?, next_attempt_at = ?, "
                    "delivered_at = ?, last_outcome = ?, last_error = ? WHERE ticket = ?",
                    (
                        state,
                        tries,
                        attempts,
                        next_at,
                        delivered_at,
                        result.outcome,
                        None if result.delivered else (result.error or result.answer)[:500],
                        result.ticket,
                    ),
                )

    def retry_parked(self) -> int:
        """Queue every parked notification again (a fresh round of attempts); returns how many."""
        with self.transaction() as db:
            return db.execute(
                "UPDATE notifications SET state = 'pending', tries = 0, next_attempt_at = 0 WHERE state = 'parked'"
            ).rowcount


def _plain(value: Any) -> Any:
    """A DuckDB value as SQLite keeps it (dates as ISO text, booleans as 0/1)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value
