"""The snapshot the service answers from, with its indexes (``service.index``), swapped when ``CURRENT`` switches.

A DuckDB point query per request missed the latency target (``bench/README.md``), so each snapshot gets
per-person indexes (``kernel.index``): the rows of each table sorted by person, in the answer's order, as compact
numpy columns, in files published with the snapshot (built once into ``$LWW_HOME/service-cache/indexes`` for a
snapshot published without them) and memory-mapped, so several worker processes share one copy in the page cache.
The small access tables (credentials, authorisations, Flemish CPAS) are plain dicts, read by each process.

Hot reload: each worker looks at ``CURRENT`` every :data:`WATCH_S` seconds (:func:`watch`, requests or not, so
an idle service's ``/health`` and ``/metrics`` name a new snapshot within seconds) and at each request; when it
changes, the new snapshot is opened (its published index files mapped; built if it has none and no process has
yet) in a background thread while requests keep being answered from the old one; the swap is one reference
assignment, so a request keeps the snapshot it started with to the end and the next one gets the new snapshot.
The new index files' pages are mapped into the worker only after the swap, once the old snapshot is let go, so a
switch never holds both snapshots' pages. The very
first load happens in the request (nothing else to answer from). The DuckDB file is closed once read, so
pruning old snapshots never waits on the service.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import duckdb

from kernel import calendar, snapshots
from service.index import AmountsIndex, IndexCache, IntegrationsIndex, RightsIndex

log = logging.getLogger(__name__)
WATCH_S = 1.0  # how often an idle worker looks at CURRENT (one stat)


@dataclass(frozen=True)
class Authorization:
    operation: str
    legal_context: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    withheld: frozenset[str] = frozenset()  # elements of a LivingWages V3 answer this authorisation withholds


@dataclass
class LoadedSnapshot:
    """One published snapshot, loaded: access data in dicts, the rest in per-person indexes."""

    snapshot: snapshots.Snapshot
    credentials: dict[str, tuple[str, str]]  # username -> (cbe_number, password_hash)
    authorizations: dict[str, list[Authorization]]  # cbe_number -> its authorisations
    flemish_pcsa: frozenset[str]
    published_at: dt.datetime | None
    indexes: dict
    index_source: str = "published"  # where its index files come from: published with it, or the service's cache

    @property
    def refresh_id(self) -> str:
        return self.snapshot.refresh_id

    @property
    def reference_date(self) -> dt.date:
        return self.snapshot.reference_date

    @functools.cached_property
    def amounts_date(self) -> dt.date:
        """A(R): what the amounts are as of (their ``referenceDate``, the open end of an amounts request)."""
        return calendar.amounts_date(self.reference_date)

    def amounts(self, grouping: str, role: str) -> AmountsIndex:
        return self.indexes[(grouping, role)]

    @property
    def rights(self) -> RightsIndex:
        return self.indexes["rights"]

    @property
    def integrations(self) -> IntegrationsIndex:
        return self.indexes["integrations"]

    def populate(self) -> None:
        """Map every page of its index files into this process (see :func:`kernel.index.codec.populate`)."""
        for index in self.indexes.values():
            index.populate()


def open_snapshot(snapshot: snapshots.Snapshot, cache: IndexCache, *, populate: bool = True) -> LoadedSnapshot:
    """The access tables of ``snapshot`` (read-only) in dicts, its indexes mapped from ``cache`` (their pages
    mapped into this process now unless ``populate`` is false: :meth:`LoadedSnapshot.populate` later)."""
    with snapshots.connect(snapshot) as connection:
        credentials = {
            username: (cbe, password_hash)
            for cbe, username, password_hash in connection.execute(
                "SELECT cbe_number, username, password_hash FROM institution_credentials WHERE username IS NOT NULL"
            ).fetchall()
        }
        authorizations: dict[str, list[Authorization]] = {}
        # a snapshot published before the withheld column (one served again by lww rollback) withholds nothing
        columns = {row[0] for row in connection.execute("DESCRIBE authorizations").fetchall()}
        withheld = "withheld" if "withheld" in columns else "NULL"
        for cbe, operation, legal_context, valid_from, valid_to, elements in connection.execute(
            f"SELECT cbe_number, operation, legal_context, valid_from, valid_to, {withheld} FROM authorizations"
        ).fetchall():
            authorizations.setdefault(cbe, []).append(
                Authorization(operation, legal_context, valid_from, valid_to, _elements(elements))
            )
        flemish = frozenset(
            row[0] for row in connection.execute("SELECT cbe_number FROM dim_pcsa WHERE region = 'FLANDERS'").fetchall()
        )
        try:
            rows = connection.execute("SELECT published_at FROM snapshot_info LIMIT 1").fetchall()
            published_at = rows[0][0] if rows else None
        except duckdb.Error:  # a snapshot without it: the age comes from the file instead
            published_at = None
    indexes, source = cache.open(snapshot, populate=populate)
    if published_at is None:
        published_at = dt.datetime.fromtimestamp(snapshot.path.stat().st_mtime, dt.UTC).replace(tzinfo=None)
    return LoadedSnapshot(snapshot, credentials, authorizations, flemish, published_at, indexes, source)


def _elements(withheld: str | None) -> frozenset[str]:
    """The element names of a ``withheld`` value (``;``-separated; checked when the reference data was loaded)."""
    return frozenset(name.strip() for name in (withheld or "").split(";") if name.strip())


class SnapshotStore:
    """Hands out the current snapshot; notices a switch of ``CURRENT`` at the next request (one ``stat``)."""

    def __init__(self, published: Path, cache: Path) -> None:
        self.published = published
        self.cache = IndexCache(cache, published)
        self._pointer = published / snapshots.CURRENT
        self._stamp: tuple[int, int] | None = None  # CURRENT as last examined
        self._loaded: LoadedSnapshot | None = None
        # reentrant: the first load runs under it, and its end takes it again when CURRENT moved meanwhile
        self._lock = threading.RLock()
        self._loading: threading.Thread | None = None
        self.reloads = 0

    def _read_stamp(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self._pointer)
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_mtime_ns)

    @property
    def loaded(self) -> LoadedSnapshot | None:
        return self._loaded

    def get(self) -> LoadedSnapshot | None:
        """The snapshot to answer from now, or None before the first publication."""
        stamp = self._read_stamp()
        if stamp == self._stamp and (self._loaded is not None or stamp is None):
            return self._loaded
        with self._lock:  # requests arriving during a first load wait here for it
            if stamp == self._stamp and (self._loaded is not None or stamp is None):
                return self._loaded
            self._stamp = stamp
            if self._loaded is None:  # nothing to answer from meanwhile: load in this request
                self._load(stamp)
            elif self._loading is None or not self._loading.is_alive():
                self._loading = threading.Thread(target=self._load, args=(stamp,), name="snapshot-load", daemon=True)
                self._loading.start()
            return self._loaded

    def wait_loaded(self, timeout: float = 60.0) -> LoadedSnapshot | None:
        """Wait for a background load in progress (operators' scripts and tests)."""
        self.get()
        loading = self._loading
        if loading is not None:
            loading.join(timeout)
        return self.get()

    def _load(self, stamp: tuple[int, int] | None) -> None:
        snapshot = snapshots.current(self.published) if stamp is not None else None
        if snapshot is None or (self._loaded is not None and self._loaded.refresh_id == snapshot.refresh_id):
            return
        first = self._loaded is None
        try:
            loaded = open_snapshot(snapshot, self.cache, populate=first)
        except Exception:  # a broken snapshot must not take the service down: keep answering from the old one
            log.exception("cannot load snapshot %s; still serving %s", snapshot.refresh_id, self._loaded)
            if self._loaded is None:
                self._stamp = None  # try again at the next request
                raise
            return
        log.info("serving snapshot %s (R=%s)", snapshot.refresh_id, snapshot.reference_date)
        self._loaded = loaded
        self.reloads += 1
        if not first:
            # the old snapshot goes once the requests holding it finish; only then its successor's pages come in
            del loaded
            self._loaded.populate()
        if self._read_stamp() != stamp:  # CURRENT moved again while loading: look again at the next request
            with self._lock:
                self._stamp = None


async def watch(store: SnapshotStore, loaded: Callable[[], None], every_s: float = WATCH_S) -> None:
    """Look at ``CURRENT`` every ``every_s`` seconds for the life of the worker, requests or not; ``loaded`` is
    called after each look (the metrics mark the snapshot served). A look runs in a thread: the very first
    load happens in it. Errors are the store's to log; the next look tries again."""
    while True:
        await anyio.sleep(every_s)
        try:
            await anyio.to_thread.run_sync(store.get)
            loaded()
        except Exception:  # logged by the store; looked at again in a moment
            continue
