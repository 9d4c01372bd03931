"""The audit log: one JSON line per request, allowed or refused (fields exactly ``kernel.audit.FIELDS``).

Each record is written, flushed and fsync'd before the response leaves, so a crash loses at most the request
in flight. Files are ``audit-YYYYMMDD-HHMMSS-<pid>.jsonl`` under ``settings.audit``, only appended to, and
rotated (a new file) when they pass a size or when the UTC day changes; the pipeline loads complete lines.
Flushes are group commits: the write is numbered under a lock, then one ``fdatasync`` covers every record
written before it started, so concurrent requests share a disk flush instead of queueing one each.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from kernel.audit import FIELDS


class AuditLog:
    def __init__(self, directory: Path, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._day: dt.date | None = None
        self._size = 0
        self.path: Path | None = None
        # group commit: records are numbered as written; one fdatasync makes every record written before it
        # durable, so concurrent requests share a disk flush instead of each paying one
        self._written = 0
        self._synced = 0
        self._sync_lock = threading.Lock()
        self.syncs = 0

    def _open(self, now: dt.datetime) -> None:
        if self._fd is not None:
            os.fsync(self._fd)  # a writer whose own sync now fails on the closed fd is covered by this one
            os.close(self._fd)
            self._synced = max(self._synced, self._written)
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = now.strftime("%Y%m%d-%H%M%S")
        path = self.directory / f"audit-{stamp}-{os.getpid()}.jsonl"
        suffix = 1
        while path.exists():  # two rotations in one second: never append to a closed file
            path = self.directory / f"audit-{stamp}-{os.getpid()}.{suffix}.jsonl"
            suffix += 1
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        self._day, self._size, self.path = now.date(), 0, path

    def write(self, record: dict[str, Any]) -> None:
        """Append one record (missing fields are null; unknown fields are refused)."""
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
            fd = self._fd
            written = 0
            while written < len(line):
                written += os.write(fd, line[written:])
            self._size += len(line)
            self._written += 1
            mine = self._written
        with self._sync_lock:
            if self._synced >= mine:  # a flush that started after our write covered it
                return
            with self._lock:
                fd, target = self._fd, self._written
            with contextlib.suppress(OSError):  # rotated meanwhile: the rotation fsync'd it before closing
                os.fdatasync(fd)
            self._synced = max(self._synced, target)
            self.syncs += 1

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
