"""The audit log: one JSON line per request, allowed or refused (fields exactly ``kernel.audit.FIELDS``).

Each record is written and made durable (``fdatasync``) before the response leaves, so a crash loses at most the
requests in flight. Files are ``audit-YYYYMMDD-HHMMSS-<pid>.jsonl`` under ``settings.audit``, only appended to,
and rotated (a new file) when they pass a size or when the UTC day changes; the pipeline loads complete lines.

Durability is a group commit run by one flusher thread: :meth:`AuditLog.append` numbers the record as it writes
it, and whoever needs it durable waits until the flusher's last ``fdatasync`` started after that write, from a
thread (:meth:`AuditLog.wait_durable`) or from the event loop (:meth:`AuditLog.durable`, which blocks nothing).
Concurrent requests share one disk flush, and answering requests never queue behind a flush of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from kernel.audit import FIELDS


class AuditUnavailable(OSError):
    """The record was written but could not be made durable: the answer it describes must not be given."""


class AuditLog:
    def __init__(self, directory: Path, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a record to flush, a flush done, or closing
        self._fd: int | None = None
        self._generation = 0  # files opened so far: a flush of an older one was covered by its rotation
        self._day: dt.date | None = None
        self._size = 0
        self.path: Path | None = None
        self._written = 0  # records appended (their sequence numbers are 1..written)
        self._synced = 0  # records known durable
        self._wanted = 0  # highest record someone waits for
        self._failed: tuple[int, OSError] | None = None  # (last record of a failed flush, its error)
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future]] = []
        self._flusher: threading.Thread | None = None
        self._closing = False
        self.syncs = 0

    # -- writing ----------------------------------------------------------------------------------------
    def _open(self, now: dt.datetime) -> None:
        if self._fd is not None:
            os.fsync(self._fd)  # everything written so far is durable with it
            os.close(self._fd)
            self._synced = self._written
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = now.strftime("%Y%m%d-%H%M%S")
        path = self.directory / f"audit-{stamp}-{os.getpid()}.jsonl"
        suffix = 1
        while path.exists():  # two rotations in one second: never append to a closed file
            path = self.directory / f"audit-{stamp}-{os.getpid()}.{suffix}.jsonl"
            suffix += 1
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._generation += 1
        self._day, self._size, self.path = now.date(), 0, path

    def append(self, record: dict[str, Any]) -> int:
        """Append one record (missing fields are null; unknown fields are refused); its sequence number, for
        :meth:`wait_durable` or :meth:`durable`."""
        unknown = set(record) - set(FIELDS)
        if unknown:
            raise ValueError(f"audit record has fields outside kernel.audit.FIELDS: {sorted(unknown)}")
        now = dt.datetime.now(dt.UTC)
        full = {name: record.get(name) for name in FIELDS}
        full["record_id"] = full["record_id"] or str(uuid.uuid4())
        full["logged_at"] = full["logged_at"] or now.replace(tzinfo=None).isoformat(timespec="microseconds")
        line = (json.dumps(full, default=str, separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            if self._closing:
                raise AuditUnavailable("the audit log is closed")
            if self._fd is None or self._day != now.date() or self._size + len(line) > self.max_bytes:
                self._open(now)
            written = 0
            while written < len(line):
                written += os.write(self._fd, line[written:])
            self._size += len(line)
            self._written += 1
            return self._written

    def write(self, record: dict[str, Any]) -> None:
        """Append one record and wait until it is durable."""
        self.wait_durable(self.append(record))

    # -- durability -------------------------------------------------------------------------------------
    def _error_for(self, sequence: int) -> AuditUnavailable | None:
        if self._synced >= sequence or self._failed is None or self._failed[0] < sequence:
            return None
        return AuditUnavailable(f"the audit record could not be made durable: {self._failed[1]}")

    def _want(self, sequence: int) -> None:
        """Under the lock: ask the flusher for ``sequence`` (starting it on first use)."""
        if sequence > self._wanted:
            self._wanted = sequence
            self._changed.notify_all()
        if self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_loop, name="audit-flusher", daemon=True)
            self._flusher.start()

    def wait_durable(self, sequence: int) -> None:
        """Block until record ``sequence`` is durable; :class:`AuditUnavailable` if its flush failed."""
        with self._lock:
            if self._synced >= sequence:
                return
            self._want(sequence)
            while self._synced < sequence:
                error = self._error_for(sequence)
                if error is not None:
                    raise error
                if self._closing:
                    raise AuditUnavailable("the audit log was closed before the record was durable")
                self._changed.wait()

    async def durable(self, sequence: int) -> None:
        """Wait, without blocking the event loop, until record ``sequence`` is durable (see :meth:`wait_durable`)."""
        with self._lock:
            if self._synced >= sequence:
                return
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            self._waiters.append((sequence, loop, future))
            self._want(sequence)
        await future

    def _flush_needed(self) -> bool:
        """Under the lock: someone waits for a record that is neither durable nor covered by a failed flush
        (after a failure, the next flush is for the next records: no retry loop against a failing disk)."""
        covered = max(self._synced, self._failed[0] if self._failed else 0)
        return self._wanted > covered

    def _flush_loop(self) -> None:
        with self._lock:
            while True:
                while not self._flush_needed() and not self._closing:
                    self._changed.wait()
                if self._closing and not self._flush_needed():
                    return
                fd, generation, target = self._fd, self._generation, self._written
                self._lock.release()
                error: OSError | None = None
                try:
                    os.fdatasync(fd)
                except OSError as failed:
                    error = failed
                finally:
                    self._lock.acquire()
                self.syncs += 1
                if error is None or generation != self._generation:  # a rotation fsync'd that file whole
                    self._synced = max(self._synced, target)
                else:
                    self._failed = (target, error)
                self._changed.notify_all()
                self._settle_waiters()
                if error is not None and self._closing:  # no retry: close() syncs what it can
                    return

    def _settle_waiters(self) -> None:
        """Under the lock: resolve the event-loop waiters whose record is durable or whose flush failed."""
        keep, ready = [], []
        for waiter in self._waiters:
            sequence = waiter[0]
            if self._synced >= sequence:
                ready.append((waiter, None))
            elif (error := self._error_for(sequence)) is not None or self._closing:
                ready.append((waiter, error or AuditUnavailable("the audit log was closed")))
            else:
                keep.append(waiter)
        self._waiters = keep
        by_loop: dict[asyncio.AbstractEventLoop, list] = {}
        for (_, loop, future), error in ready:
            by_loop.setdefault(loop, []).append((future, error))
        for loop, futures in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody awaits these any more
                loop.call_soon_threadsafe(_resolve, futures)

    def close(self) -> None:
        with self._lock:
            self._closing = True
            self._changed.notify_all()
            flusher = self._flusher
        if flusher is not None:
            flusher.join(timeout=10)
        with self._lock:
            if self._fd is not None:
                os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None
                self._synced = self._written
            self._changed.notify_all()
            self._settle_waiters()


def _resolve(futures: list[tuple[asyncio.Future, Exception | None]]) -> None:
    for future, error in futures:
        if future.done():  # its request was cancelled (client gone)
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
