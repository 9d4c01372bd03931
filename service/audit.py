"""The audit log: one JSON line per request, allowed or refused (fields exactly ``kernel.audit.FIELDS``).

Each record is written and made durable (``fdatasync``) before the response leaves, so a crash loses at most the
requests in flight. Files are ``audit-YYYYMMDD-HHMMSS-<pid>.jsonl`` under ``settings.audit``, only appended to,
and rotated (a new file) when they pass a size or when the UTC day changes; the pipeline loads complete lines.

Durability is a group commit: :meth:`AuditLog.append` numbers each record as it writes it, and one
``fdatasync`` makes durable every record written before it started, so the requests in flight share a flush.
On the service's event loop (:meth:`AuditLog.durable`, after :meth:`AuditLog.start_syncer`), the flushes are
made by a syncer process (``service.audit_sync``), one at a time: the answers written while one flush runs wait
together for the next, and the loop goes on answering meanwhile. Measured (``bench/README.md``): the loop
running the flush itself blocked on the disk once per turn; a flusher thread cost more CPU than the flush, in
GIL hand-overs with the loop. If the syncer is lost, the loop flushes for itself again (the same group commit,
one flush per turn of the loop, blocking it). Threads (:meth:`AuditLog.wait_durable`) flush for themselves, one
at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernel import permissions
from kernel.audit import FIELDS
from service.audit_sync import ANSWER, REQUEST

log = logging.getLogger(__name__)
# A flush is asked for once a turn of the event loop wrote no new record, or after this many turns: the answers
# being computed join it instead of waiting for the next one (measured in ``bench/README.md``).
_GATHER_TURNS = 4


class AuditUnavailable(OSError):
    """The record was written but could not be made durable: the answer it describes must not be given."""


@dataclass
class _Syncer:
    """The syncer process serving one event loop, and what the loop knows of it (touched by that loop only)."""

    loop: asyncio.AbstractEventLoop
    channel: socket.socket
    process: subprocess.Popen
    generation: int = 0  # the audit file it holds (``AuditLog._generation``)
    in_flight: tuple[int, int] | None = None  # (last record, generation) of the flush it is making
    asked: bool = False  # a request is scheduled on the loop
    seen: int = 0  # records written when the scheduled request last looked
    turns: int = 0  # turns of the loop it has waited for more records
    waiting: list[tuple[int, asyncio.Future]] = field(default_factory=list)


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
        self._syncer: _Syncer | None = None
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
        self._fd = permissions.open_secret(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)  # 0600: who looked up whom
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
        """Wait until record ``sequence`` is durable, with the other answers written meanwhile: by the syncer's
        next flush on its loop; elsewhere by one flush that the first of them schedules after the handlers
        already queued (see the module's docstring)."""
        if self._synced >= sequence:
            return
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        syncer = self._syncer
        if syncer is not None and syncer.loop is loop:
            syncer.waiting.append((sequence, future))
            if syncer.in_flight is None and not syncer.asked:
                syncer.asked = True
                loop.call_soon(self._ask_syncer, syncer)
        else:
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
        for sequence, future in self._release(waiting):
            future.set_exception(self._error_for(sequence) or AuditUnavailable("the audit record was not made durable"))

    def _release(self, waiting: list[tuple[int, asyncio.Future]]) -> list[tuple[int, asyncio.Future]]:
        """Settle the waiters whose record is durable or whose flush failed; those still waiting."""
        left = []
        for sequence, future in waiting:
            if future.done():  # its request was cancelled (client gone)
                continue
            if self._synced >= sequence:
                future.set_result(None)
            elif (error := self._error_for(sequence)) is not None:
                future.set_exception(error)
            else:
                left.append((sequence, future))
        return left

    # -- the syncer process (one event loop) ----------------------------------------------------------------
    def start_syncer(self) -> None:
        """From now on, the flushes awaited on the running event loop are made by a syncer process."""
        if self._syncer is not None:
            return
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            script = Path(__file__).with_name("audit_sync.py")
            # in a session of its own: a signal to the service's process group (a supervisor's SIGTERM, Ctrl-C) is
            # the worker's to act on, and the syncer goes on flushing until the stopping worker closes its end
            process = subprocess.Popen(
                [sys.executable, "-I", str(script), str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        ours.setblocking(False)
        self._syncer = syncer = _Syncer(loop, ours, process)
        loop.add_reader(ours.fileno(), self._on_synced, syncer)

    def stop_syncer(self) -> None:
        """Stop the syncer (it exits when its channel closes); whoever still waits is flushed for by the loop."""
        syncer, self._syncer = self._syncer, None
        if syncer is None:
            return
        syncer.loop.remove_reader(syncer.channel.fileno())
        syncer.channel.close()
        try:
            syncer.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            syncer.process.kill()
            syncer.process.wait()
        if syncer.waiting:
            self._waiting.setdefault(syncer.loop, []).extend(syncer.waiting)
            syncer.loop.call_soon(self._flush_for, syncer.loop)

    def _ask_syncer(self, syncer: _Syncer) -> None:
        """Ask for one flush covering every record written so far (one flush at a time)."""
        if syncer is not self._syncer or syncer.in_flight is not None:
            syncer.asked = False
            return
        if self._written != syncer.seen and syncer.turns < _GATHER_TURNS:  # records still coming: one more turn
            syncer.seen = self._written
            syncer.turns += 1
            syncer.loop.call_soon(self._ask_syncer, syncer)
            return
        syncer.asked = False
        syncer.turns = 0
        syncer.waiting = self._release(syncer.waiting)
        if not syncer.waiting:
            return
        try:
            with self._lock:  # the file cannot be rotated (and its descriptor closed) while it is handed over
                target, generation = self._written, self._generation
                message = REQUEST.pack(target)
                if generation != syncer.generation:
                    socket.send_fds(syncer.channel, [message], [self._fd])
                    syncer.generation = generation
                else:
                    syncer.channel.send(message)
        except OSError as failed:
            self._syncer_lost(syncer, f"cannot reach the audit syncer: {failed}")
            return
        syncer.in_flight = (target, generation)

    def _on_synced(self, syncer: _Syncer) -> None:
        try:
            answer = syncer.channel.recv(ANSWER.size)
        except BlockingIOError:
            return
        except OSError:
            answer = b""
        if len(answer) != ANSWER.size or syncer.in_flight is None:
            self._syncer_lost(syncer, f"the audit syncer (pid {syncer.process.pid}) stopped answering")
            return
        target, errno = ANSWER.unpack(answer)
        generation = syncer.in_flight[1]
        syncer.in_flight = None
        with self._lock:
            self.syncs += 1
            if errno == 0 or generation != self._generation:  # a rotation fsync'd that file whole
                self._synced = max(self._synced, target)
            else:
                self._failed = (target, OSError(errno, os.strerror(errno)))
        syncer.waiting = self._release(syncer.waiting)
        if syncer.waiting and not syncer.asked:  # written during the flush: the next one, after this turn
            syncer.asked = True
            syncer.loop.call_soon(self._ask_syncer, syncer)

    def _syncer_lost(self, syncer: _Syncer, reason: str) -> None:
        log.error("%s: the event loop flushes the audit log itself from now on", reason)
        syncer.in_flight = None
        if self._syncer is syncer:
            with contextlib.suppress(OSError):
                syncer.process.kill()
            self.stop_syncer()

    def close(self) -> None:
        with self._sync_lock, self._lock:
            if self._fd is not None:
                os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None
                self._synced = self._written
