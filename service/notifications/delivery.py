"""The delivery loop: what is due in the current snapshot and not yet delivered goes to its subscriber.

- **Import.** The current snapshot's ``due_notifications`` are imported by ticket into the store (a snapshot
  once, and overlapping snapshots change nothing).
- **Per subscriber**, one feeder walks the store's ready notifications in pages (keyset on
  ``next_attempt_at``, ticket: memory does not grow with the number of notifications) and keeps up to
  ``LWW_NOTIFY_CONCURRENCY`` calls in flight. A page holds only the first undelivered event of each right, and a
  right has at most one call in flight, so a right's events reach the subscriber in ``sequence`` order: the next
  one becomes ready only once the earlier one's delivery is committed.
- **One committer** groups the results of the calls into a transaction every few milliseconds: delivered,
  retried later (exponential backoff with jitter) or parked after ``LWW_NOTIFY_MAX_ATTEMPTS``. A notification
  stays "in flight" until its result is committed, so it is never sent twice by one notifier; one killed before
  the commit sends it again when restarted (the subscriber deduplicates on the ticket).

Without ``follow`` the run ends when nothing is ready and no retry is due within ``LWW_NOTIFY_LINGER_SECONDS``
(what remains pending is for the next run); with ``follow`` it keeps going, importing each new publication,
until SIGTERM or Ctrl-C, after which it finishes the calls in flight and commits them.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kernel import published as published_tables
from kernel import snapshots
from service.notifications import client as outbound
from service.notifications.config import NotifyConfig
from service.notifications.store import IMPORTED, Result, Store

PAGE = 500
COMMIT_EVERY = 0.05  # seconds: results wait at most this long for their transaction
COMMIT_BATCH = 2000


def backoff(config: NotifyConfig) -> Callable[[int], float]:
    """Seconds before the next attempt after ``tries`` failed ones: doubling from ``backoff_seconds``, jittered
    by ±50 % so that a subscriber coming back is not hit by every retry at once."""

    def delay(tries: int) -> float:
        return config.backoff_seconds * 2 ** min(tries - 1, 30) * random.uniform(0.5, 1.5)

    return delay


@dataclass
class Summary:
    imported: int = 0
    outcomes: Counter = field(default_factory=Counter)

    @property
    def delivered(self) -> int:
        return self.outcomes["OK"]

    @property
    def failed(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome != "OK")


_PUBLISHED_TYPES = dict(next(t for t in published_tables.TABLES if t.name == "due_notifications").columns)
# the published columns in the store's order, dates as ISO text and booleans as 0/1 (as the store keeps them)
_IMPORT_COLUMNS = ", ".join(
    {"DATE": f'"{name}"::VARCHAR', "BOOLEAN": f'"{name}"::INTEGER'}.get(_PUBLISHED_TYPES[name], f'"{name}"')
    for name, _ in IMPORTED
)


def import_current(store: Store, published: Path, say: Callable[[str], None]) -> int:
    """Import the current snapshot's due notifications (once per snapshot); the number of new ones."""
    snapshot = snapshots.current(published)
    if snapshot is None or store.imported(snapshot.refresh_id):
        return 0
    with snapshots.connect(snapshot) as connection:
        tables = {r[0] for r in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "due_notifications" not in tables:
            say(f"snapshot {snapshot.refresh_id} publishes no due_notifications (published before notifications)")
            store.import_rows(snapshot.refresh_id, iter(()))
            return 0
        # no ORDER BY, text dates and 0/1 booleans (as the store keeps them), rows fetched in batches by one thread
        # with a small buffer pool (it keeps the file's blocks up to its limit): the import's memory hardly grows with
        # the snapshot's rows (bench/README.md)
        for setting in ("enable_progress_bar = false", "threads = 1", "memory_limit = '8MB'"):
            connection.execute(f"SET {setting}")
        cursor = connection.execute(f"SELECT {_IMPORT_COLUMNS} FROM due_notifications")

        def batches() -> Iterator[list[tuple]]:
            while batch := cursor.fetchmany(5_000):
                yield batch

        started = time.perf_counter()
        rows, new = store.import_rows(snapshot.refresh_id, batches())
        if "subscriptions" in tables:
            moved = store.follow_subscriptions(
                connection.execute("SELECT cbe_number, endpoint_url, with_attestation FROM subscriptions").fetchall()
            )
            if moved:
                say(f"{moved} notifications not yet delivered follow their subscriber's new endpoint or attestation")
    say(f"imported {snapshot.refresh_id}: {rows} due notifications, {new} new ({time.perf_counter() - started:.1f} s)")
    return new


class Deliverer:
    def __init__(self, store: Store, config: NotifyConfig, published: Path, *, follow: bool, say=print) -> None:
        self.store = store
        self.config = config
        self.published = published
        self.follow = follow
        self.say = say
        self.summary = Summary()
        self.stopping = asyncio.Event()
        self._inflight: dict[str, set[str]] = {}  # recipient -> tickets sent or being sent, not yet committed
        self._wake: dict[str, asyncio.Event] = {}
        self._results: list[tuple[str, Result]] = []
        self._results_ready = asyncio.Event()
        self._calls: set[asyncio.Task] = set()
        self._backoff = backoff(config)

    async def run(self) -> Summary:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.stopping.set)
        feeders: dict[str, asyncio.Task] = {}
        client = outbound.Connections(self.config)
        try:
            committer = asyncio.create_task(self._commit_loop())
            try:
                while True:
                    self.summary.imported += import_current(self.store, self.published, self.say)
                    for recipient in self.store.recipients():
                        if recipient not in feeders or feeders[recipient].done():
                            feeders[recipient] = asyncio.create_task(self._feed(client, recipient))
                    if not self.follow:
                        await asyncio.gather(*feeders.values())
                        break
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.stopping.wait(), self.config.poll_seconds)
                    if self.stopping.is_set():
                        break
                self.stopping.set()
                await asyncio.gather(*feeders.values(), *self._calls, return_exceptions=True)
            finally:
                self.stopping.set()
                self._results_ready.set()
                await committer
                self._commit()
        finally:
            await client.close()
        return self.summary

    async def _feed(self, client, recipient: str) -> None:
        limit = asyncio.Semaphore(self.config.per_subscriber)
        inflight = self._inflight.setdefault(recipient, set())
        wake = self._wake.setdefault(recipient, asyncio.Event())
        while not self.stopping.is_set():
            wake.clear()
            launched = 0
            after: tuple[float, str] = (-1.0, "")
            while not self.stopping.is_set():
                page = self.store.ready_page(recipient, time.time(), after, PAGE)
                if not page:
                    break
                busy = set(inflight)  # in flight when the page was read: their row may be stale by now
                for row in page:
                    after = (row["next_attempt_at"], row["ticket"])
                    if row["ticket"] in busy or row["ticket"] in inflight:
                        continue
                    await limit.acquire()
                    if self.stopping.is_set():
                        limit.release()
                        break
                    inflight.add(row["ticket"])
                    launched += 1
                    task = asyncio.create_task(self._call(client, recipient, row, limit))
                    self._calls.add(task)
                    task.add_done_callback(self._calls.discard)
            if self.stopping.is_set():
                return
            if inflight:  # their commits may make the next event of a right ready
                await wake.wait()
                continue
            if launched:
                continue
            due = self.store.next_due(recipient)
            if due is None:
                return
            wait = due - time.time()
            if not self.follow and wait > self.config.linger_seconds:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), max(0.0, min(wait, self.config.poll_seconds)))

    async def _call(self, client, recipient: str, row: dict, limit: asyncio.Semaphore) -> None:
        try:
            result = await outbound.send(client, self.config, row)
        except Exception as error:  # a bug must not lose the attempt: record it as an error, retried
            result = Result(row["ticket"], time.time(), 0.0, None, "ERROR", error=f"{type(error).__name__}: {error}")
        finally:
            limit.release()
        self._results.append((recipient, result))
        self._results_ready.set()

    async def _commit_loop(self) -> None:
        while True:
            await self._results_ready.wait()
            if len(self._results) < COMMIT_BATCH and not self.stopping.is_set():
                await asyncio.sleep(COMMIT_EVERY)
            self._results_ready.clear()
            self._commit()
            if self.stopping.is_set() and not self._calls:
                return

    def _commit(self) -> None:
        if not self._results:
            return
        batch, self._results = self._results, []
        self.store.record([r for _, r in batch], max_attempts=self.config.max_attempts, backoff=self._backoff)
        for recipient, result in batch:
            self._inflight[recipient].discard(result.ticket)
            self._wake[recipient].set()
            self.summary.outcomes[result.outcome] += 1


def run(store: Store, config: NotifyConfig, published: Path, *, follow: bool, say=print) -> Summary:
    """Deliver (see the module's docstring); uvloop when it is installed (faster HTTP calls)."""
    deliverer = Deliverer(store, config, published, follow=follow, say=say)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(deliverer.run())
    return uvloop.run(deliverer.run())
