"""The snapshot the service answers from, reloaded when ``CURRENT`` switches.

Each request takes the :class:`LoadedSnapshot` current when it starts and keeps it to the end, so a switch
never mixes two snapshots in one answer; requests that start after the switch see the new one. The small
access tables (credentials, authorisations, Flemish CPAS) are loaded into memory once per snapshot; rights,
amounts and integrations are queried with parameterised SQL on a read-only DuckDB connection, one cursor per
thread (DuckDB connections are not thread-safe). Old snapshots are closed when the last request holding them
lets go (reference counting of the Python objects).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from kernel import snapshots

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Authorization:
    operation: str
    legal_context: str
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass
class LoadedSnapshot:
    """One published snapshot opened for reading, with its access data in memory."""

    snapshot: snapshots.Snapshot
    connection: duckdb.DuckDBPyConnection
    credentials: dict[str, tuple[str, str]]  # username -> (cbe_number, password_hash)
    authorizations: dict[str, list[Authorization]]  # cbe_number -> its authorisations
    flemish_pcsa: frozenset[str]
    published_at: dt.datetime | None
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def refresh_id(self) -> str:
        return self.snapshot.refresh_id

    @property
    def reference_date(self) -> dt.date:
        return self.snapshot.reference_date

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the snapshot (created on first use)."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._lock:
                cursor = self.connection.cursor()
            self._local.cursor = cursor
        return cursor

    def query(self, sql: str, params: list) -> list[tuple]:
        return self.cursor().execute(sql, params).fetchall()


def open_snapshot(snapshot: snapshots.Snapshot) -> LoadedSnapshot:
    """Open ``snapshot`` read-only and load its access tables."""
    connection = snapshots.connect(snapshot)
    connection.execute("SET threads = 1")  # point queries: parallelism only adds scheduling cost here
    credentials = {
        username: (cbe, password_hash)
        for cbe, username, password_hash in connection.execute(
            "SELECT cbe_number, username, password_hash FROM institution_credentials WHERE username IS NOT NULL"
        ).fetchall()
    }
    authorizations: dict[str, list[Authorization]] = {}
    for cbe, operation, legal_context, valid_from, valid_to in connection.execute(
        "SELECT cbe_number, operation, legal_context, valid_from, valid_to FROM authorizations"
    ).fetchall():
        authorizations.setdefault(cbe, []).append(Authorization(operation, legal_context, valid_from, valid_to))
    flemish = frozenset(
        row[0] for row in connection.execute("SELECT cbe_number FROM dim_pcsa WHERE region = 'FLANDERS'").fetchall()
    )
    published_at = None
    try:
        row = connection.execute("SELECT published_at FROM snapshot_info LIMIT 1").fetchone()
        published_at = row[0] if row else None
    except duckdb.Error:  # an older snapshot without it: the age comes from the file instead
        published_at = None
    if published_at is None:
        published_at = dt.datetime.fromtimestamp(snapshot.path.stat().st_mtime, dt.UTC).replace(tzinfo=None)
    return LoadedSnapshot(snapshot, connection, credentials, authorizations, flemish, published_at)


class SnapshotStore:
    """Hands out the current snapshot; notices a switch of ``CURRENT`` at the next request (one ``stat``)."""

    def __init__(self, published: Path) -> None:
        self.published = published
        self._pointer = published / snapshots.CURRENT
        self._stamp: tuple[int, int] | None = None
        self._loaded: LoadedSnapshot | None = None
        self._lock = threading.Lock()
        self.reloads = 0

    def _read_stamp(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self._pointer)
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_mtime_ns)

    def get(self) -> LoadedSnapshot | None:
        """The snapshot to answer from now, or None before the first publication."""
        stamp = self._read_stamp()
        loaded = self._loaded
        if stamp == self._stamp and (loaded is not None or stamp is None):
            return loaded
        with self._lock:  # one thread reloads; the others wait briefly and share the result
            stamp = self._read_stamp()
            if stamp != self._stamp or (self._loaded is None and stamp is not None):
                self._switch(stamp)
            return self._loaded

    def _switch(self, stamp: tuple[int, int] | None) -> None:
        snapshot = snapshots.current(self.published) if stamp is not None else None
        if snapshot is None:
            self._loaded, self._stamp = None, stamp
            return
        if self._loaded is not None and self._loaded.refresh_id == snapshot.refresh_id:
            self._stamp = stamp
            return
        try:
            loaded = open_snapshot(snapshot)
        except Exception:  # a broken snapshot must not take the service down: keep answering from the old one
            log.exception("cannot open snapshot %s; still serving %s", snapshot.refresh_id, self._loaded)
            self._stamp = stamp
            if self._loaded is None:
                raise
            return
        log.info("serving snapshot %s (R=%s)", snapshot.refresh_id, snapshot.reference_date)
        self._loaded, self._stamp = loaded, stamp
        self.reloads += 1
