"""Reading ahead of the loader: spool files, and the pool of processes that reads the next files meanwhile.

Reading a file (:mod:`ingest.reader`) is pure and costs most of the ingest, so a batch of files is read ahead by a
pool of processes (``LWW_INGEST_WORKERS``, default one per core), while the loader, the single writer, applies them
one at a time in (createdAt, fileId) order exactly as it would have read them itself. The pool only reads files
and writes spools (Parquet files beside the warehouse, ``.staging-*.parquet``): it never opens the warehouse. With
one worker, or a single file to read, nothing is started and each file is read in the loader's process when its
turn comes. A spool is only a cache of one ingest: removed once its file is applied, when the pool stops, and at
the start of the next ingest (after a kill).
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from ingest import ledger
from ingest.inbox import PendingFile
from ingest.reader import Progress, Reader, Reading, Rules
from ingest.security import Limits
from kernel.settings import env_number

SPOOL_PREFIX = ".staging-"  # spool files beside the warehouse: caches of one ingest, never kept


def ingest_workers() -> int:
    """Parse processes for a batch of files (``LWW_INGEST_WORKERS``, default: the machine's cores).

    1 parses each file in the loading process when its turn comes (no pool).
    """
    return max(1, env_number("LWW_INGEST_WORKERS", os.cpu_count() or 1))


def new_spool(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{SPOOL_PREFIX}{uuid.uuid4().hex}.parquet"


def clear_spools(folder: Path) -> None:
    """Remove spools left by a killed ingest (the writer lock makes this run the only ingest)."""
    if folder.is_dir():
        for leftover in folder.glob(f"{SPOOL_PREFIX}*.parquet"):
            leftover.unlink(missing_ok=True)


_worker_reader: Reader | None = None  # in a pool process: its reader, whose SSIN cache serves every file it reads


def _start_worker(limits: Limits) -> None:
    global _worker_reader
    _worker_reader = Reader(limits)


def _read_in_worker(pending: PendingFile, into: Path) -> Reading:
    """What a pool process runs: read one file (a refusal is a verdict, quarantined in its turn)."""
    return _worker_reader.read(pending, into)


class ReadAhead:
    """The files of one ingest, read ahead by a pool when ``workers`` > 1 and there are several, at most
    ``2 × workers`` files ahead (bounded disk); :meth:`read` gives each file's reading in its turn."""

    def __init__(self, reader: Reader, folder: Path, files: list[PendingFile], workers: int) -> None:
        self.reader = reader
        self.folder = folder
        self.waiting = deque(files if workers > 1 and len(files) > 1 else ())
        self.window = 2 * workers
        self.futures: dict[Path, Future] = {}
        self.spools: list[Path] = []
        # spawn: a fresh interpreter, never a fork of a process whose DuckDB threads may hold locks
        self.pool = (
            ProcessPoolExecutor(
                max_workers=min(workers, len(self.waiting)),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(reader.limits,),
            )
            if self.waiting
            else None
        )

    def __enter__(self) -> ReadAhead:
        self._fill()
        return self

    def _fill(self) -> None:
        while self.waiting and len(self.futures) < self.window:
            pending = self.waiting.popleft()
            spool = new_spool(self.folder)
            self.spools.append(spool)
            self.futures[pending.path] = self.pool.submit(_read_in_worker, pending, spool)

    def _take(self, pending: PendingFile) -> Reading | None:
        """The reading of ``pending`` if it was sent ahead (files in the ledger or with a bad header are not); an
        unexpected error of the worker (not a refusal) propagates, as it would here."""
        future = self.futures.pop(pending.path, None)
        self._fill()
        return None if future is None else future.result()

    def read(self, pending: PendingFile, rules: Rules | None = None, progress: Progress | None = None) -> Reading:
        """``pending``'s reading (see :meth:`ingest.reader.Reader.read`): the one done ahead, if any, else one now.
        The caller discards it once applied."""
        return self.reader.read(
            pending, new_spool(self.folder), first=self._take(pending), rules=rules, progress=progress
        )

    def forgo(self, pending: PendingFile) -> str:
        """The sha-256 of a file that will not be read (its fileId is in the ledger): from its reading ahead, if
        any, which is given up; else from a pass over the file."""
        reading = self._take(pending)
        if reading is None:
            return ledger.sha256_of(pending.path)
        reading.discard()
        return reading.sha256

    def __exit__(self, *exc) -> None:
        for future in self.futures.values():
            future.cancel()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        for spool in self.spools:
            spool.unlink(missing_ok=True)
