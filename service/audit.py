"""The audit log: one JSON line per request, allowed or refused (fields exactly ``kernel.audit.FIELDS``).

Each record is written and made durable (``fdatasync``) before the response leaves, so a crash loses at most the
requests in flight. Files are ``audit-YYYYMMDD-HHMMSS-<pid>.jsonl`` under ``settings.audit``, only appended to,
and rotated (a new file) when they pass a size or when the UTC day changes; the pipeline loads complete lines.

Durability is a group commit: :meth:`AuditLog.append` numbers each record as it writes it, and one
``fdatasync`` makes durable every record written before it started, so the requests in flight share a flush.
On the event loop (:meth:`AuditLog.durable`), the answers computed in one turn of the loop wait together and one
flush, run by the loop itself after them, releases them all. It blocks the loop for the flush (0.2 ms on this
machine's disk when quiet), on purpose: a flusher thread, measured, cost about 1 ms of CPU per request in GIL
hand-overs with the loop (1,719 against 823 requests/s on 2 workers, ``bench/README.md``), and every answer
waits for a flush anyway. Threads (:meth:`AuditLog.wait_durable`) flush for themselves, one at a time.
"""

from __future__ import annotations

import asyncio
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
        self._lock = threading.Lock()  # the file and the counters
        self._sync_lock = threading.Lock()  # one flush at a time: a flush that started later covers more
        self._fd: int | None = None
        self._generation = 0  # files opened so far: a flush of an older one was covered by its rotation
        self._day: dt.date | None = None
        self._size = 0
        self.path: Path | None = None
        self._written = 0  # records appended (their sequence numbers are 1..written)
        self._synced = 0  # records known durable
        self._failed: tuple[int, OSError] | None = None  # (last record of a failed flush, its error)
        self._waiting: dict[asyncio.AbstractEventLoop, list[tuple[int, asyncio.Future]]] = {}
        self.syncs = 0

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

    def _flush(self) -> None:
        """One ``fdatasync`` covering every record written before it started (if any is not yet durable)."""
        with self._sync_lock:
            with self._lock:
                fd, generation, target = self._fd, self._generation, self._written
            if fd is None or target <= self._synced:
                return
            error: OSError | None = None
            try:
                os.fdatasync(fd)
            except OSError as failed:
                error = failed
            with self._lock:
                self.syncs += 1
                if error is None or generation != self._generation:  # a rotation fsync'd that file whole
                    self._synced = max(self._synced, target)
                else:
                    self._failed = (target, error)

    def wait_durable(self, sequence: int) -> None:
        """Block until record ``sequence`` is durable; :class:`AuditUnavailable` if its flush failed."""
        while True:
            with self._lock:
                if self._synced >= sequence:
                    return
                error = self._error_for(sequence)
            if error is not None:
                raise error
            self._flush()

    async def durable(self, sequence: int) -> None:
        """Wait until record ``sequence`` is durable, with the other answers of this turn of the event loop: the
        first of them schedules one flush after the handlers already queued (see the module's docstring)."""
        if self._synced >= sequence:
            return
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        waiting = self._waiting.get(loop)
        if waiting is None:
            waiting = self._waiting[loop] = []
            loop.call_soon(self._flush_for, loop)
        waiting.append((sequence, future))
        await future

    def _flush_for(self, loop: asyncio.AbstractEventLoop) -> None:
        waiting = self._waiting.pop(loop, [])
        try:
            self._flush()
        except Exception as unexpected:  # handed to the waiters, whose answers are withheld
            for _, future in waiting:
                if not future.done():
                    future.set_exception(AuditUnavailable(f"the audit log could not be flushed: {unexpected}"))
            return
        for sequence, future in waiting:
            if future.done():  # its request was cancelled (client gone)
                continue
            error = self._error_for(sequence) if self._synced < sequence else None
            if self._synced >= sequence:
                future.set_result(None)
            else:
                future.set_exception(error or AuditUnavailable("the audit record was not made durable"))

    def close(self) -> None:
        with self._sync_lock, self._lock:
            if self._fd is not None:
                os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None
                self._synced = self._written
