"""The index files of each snapshot: built once into ``.npy`` files under a lock, memory-mapped by every process."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np

from kernel import snapshots
from kernel.durable import fsync_path
from kernel.errors import LwwError
from service.index.layout import INDEXES
from service.index.person import PersonIndex

log = logging.getLogger(__name__)


def load_memory_limit() -> str:
    """DuckDB's memory limit while loading (``LWW_SERVICE_LOAD_MEMORY``, default 4GB), checked: it goes into SQL."""
    value = os.environ.get("LWW_SERVICE_LOAD_MEMORY", "4GB").strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value):
        raise LwwError(f"LWW_SERVICE_LOAD_MEMORY={value!r}: expected a size such as 4GB or 512MiB")
    return value


def _index_name(key) -> str:
    return "-".join(key) if isinstance(key, tuple) else key


class IndexCache:
    """The per-person indexes of each snapshot, built once into ``.npy`` files and memory-mapped by every process.

    Lives in a folder the service owns (``$LWW_HOME/service-cache/indexes``), never in ``published/``, which only
    publication writes. One folder per snapshot and format, ``<refresh_id>.v<FORMAT>/``: the first process that
    needs it builds it under a file lock (``<refresh_id>.lock``; the others wait on the lock, then open what it
    wrote), in a temporary folder renamed into place once every file is written and fsync'd, so a folder that
    exists is complete. Every worker maps the same files read-only: the page cache holds one copy, however many
    processes serve. Folders of snapshots no longer published are removed after each build (a process still
    mapping one keeps its pages until it lets go).
    """

    def __init__(self, directory: Path, published: Path) -> None:
        self.directory = directory
        self.published = published
        self.builds = 0

    def folder(self, refresh_id: str) -> Path:
        return self.directory / f"{refresh_id}.v{PersonIndex.FORMAT}"

    def indexes(self, snapshot: snapshots.Snapshot) -> dict:
        folder = self.folder(snapshot.refresh_id)
        if not (folder / "index.json").is_file():
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(self.directory / f"{snapshot.refresh_id}.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # the other processes wait here; released if the builder dies
                try:
                    if not (folder / "index.json").is_file():
                        self._build(snapshot, folder)
                        self.prune()
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        description = json.loads((folder / "index.json").read_text())
        return {
            key: layout.kind.open(folder, _index_name(key), description["indexes"][_index_name(key)])
            for key, layout in INDEXES.items()
        }

    def _build(self, snapshot: snapshots.Snapshot, folder: Path) -> None:
        for stale in self.directory.glob(f".{folder.name}.tmp-*"):  # a build that died: we hold the lock now
            shutil.rmtree(stale, ignore_errors=True)
        work = self.directory / f".{folder.name}.tmp-{os.getpid()}"
        work.mkdir()
        started = time.perf_counter()
        described = {}
        with snapshots.connect(snapshot) as connection:
            # the build sorts every table by person: bound DuckDB's share of a machine the service shares
            connection.execute(f"SET memory_limit = '{load_memory_limit()}'")
            connection.execute("SET threads = 2")
            connection.execute("SET enable_progress_bar = false")
            for key, layout in INDEXES.items():
                index = layout.kind.load(connection, layout.query(connection))  # one index in memory at a time
                name = _index_name(key)
                for part, array in index.files().items():
                    target = work / f"{name}.{part}.npy"
                    np.save(target, np.ascontiguousarray(array), allow_pickle=False)
                    fsync_path(target)
                described[name] = index.describe()
                del index
        manifest = {"refresh_id": snapshot.refresh_id, "format": PersonIndex.FORMAT, "indexes": described}
        (work / "index.json").write_text(json.dumps(manifest, indent=1) + "\n")
        fsync_path(work / "index.json")
        fsync_path(work)
        try:
            os.rename(work, folder)
        except OSError:  # built meanwhile by a process that did not see our lock (see prune): theirs is as good
            if not (folder / "index.json").is_file():
                raise
            shutil.rmtree(work, ignore_errors=True)
        fsync_path(self.directory)
        self.builds += 1
        log.info("built the indexes of %s in %.1f s", snapshot.refresh_id, time.perf_counter() - started)

    def prune(self) -> list[str]:
        """Remove the folders (and locks) of snapshots no longer in ``published/``; returns their names."""
        keep = set(snapshots.list_ids(self.published)) | {snapshots.current_id(self.published)}
        removed = []
        for path in self.directory.iterdir():
            refresh_id = path.name.split(".", 1)[0]
            if path.name.startswith(".") or refresh_id in keep:
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path.name)
        return removed
