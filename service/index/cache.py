"""The index files of each snapshot, memory-mapped by every process: the ones published with the snapshot, or,
for a snapshot published without them (or with damaged ones), built once into the service's cache under a lock."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from pathlib import Path

from kernel import snapshots
from kernel.durable import fsync_path
from kernel.index import PersonIndex
from kernel.index import files as index_files

log = logging.getLogger(__name__)


load_memory_limit = index_files.memory_limit  # the same limit as the publication's build


class IndexCache:
    """The per-person indexes of each snapshot, memory-mapped by every process.

    A snapshot published with its index files (``manifest["index"]``, built and verified by the publication) is
    answered from them: each described file is checked present and of its described size (one ``stat`` each;
    the publication verified their checksums), then mapped, nothing built (:attr:`opened`). A snapshot
    published before them (one ``lww rollback`` serves again), or whose published files are missing or of another
    size (logged as a warning), gets them built here, once, as before (:attr:`builds`).

    The cache lives in a folder the service owns (``$LWW_HOME/service-cache/indexes``), never in ``published/``,
    which only publication writes. One folder per snapshot and format, ``<refresh_id>.v<FORMAT>/``: the first
    process that needs it builds it under a file lock (``<refresh_id>.lock``; the others wait on the lock, then
    open what it wrote), in a temporary folder renamed into place once every file is written and fsync'd, so a
    folder that exists is complete. Every worker maps the same files read-only: the page cache holds one copy,
    however many processes serve. Folders of snapshots no longer published are removed after each build (a
    process still mapping one keeps its pages until it lets go).
    """

    def __init__(self, directory: Path, published: Path) -> None:
        self.directory = directory
        self.published = published
        self.builds = 0  # index folders this process built (a snapshot without usable published ones)
        self.opened = 0  # snapshots whose published index files this process opened as they were

    def published_indexes(self, snapshot: snapshots.Snapshot, *, populate: bool = True) -> dict | None:
        """The indexes published with ``snapshot``, or None when it has none usable (why is logged)."""
        folder, recorded = snapshot.index_folder, snapshot.manifest.get("index")
        if folder is None:
            return None
        if recorded.get("format") != PersonIndex.FORMAT:
            log.warning(
                "the index files of %s are format %s, this service reads %s: building its own",
                snapshot.refresh_id,
                recorded.get("format"),
                PersonIndex.FORMAT,
            )
            return None
        errors = index_files.size_errors(folder, recorded["files"])
        try:
            if not errors:
                found = index_files.open_all(folder, index_files.describe(folder), populate=populate)
                self.opened += 1
                return found
        except (OSError, ValueError, KeyError) as error:  # unreadable: not a .npy, description damaged
            errors.append(f"{folder}: {error}")
        log.warning("the published index files of %s are damaged (%s): building them", snapshot.refresh_id, errors)
        return None

    def folder(self, refresh_id: str) -> Path:
        return self.directory / f"{refresh_id}.v{PersonIndex.FORMAT}"

    def indexes(self, snapshot: snapshots.Snapshot, *, populate: bool = True) -> dict:
        """The indexes of ``snapshot``, by key of :data:`~kernel.index.layout.INDEXES`; pages mapped into this
        process now unless ``populate`` is false (then :meth:`~kernel.index.PersonIndex.populate` each later)."""
        return self.open(snapshot, populate=populate)[0]

    def open(self, snapshot: snapshots.Snapshot, *, populate: bool = True) -> tuple[dict, str]:
        """(:meth:`indexes`, where they come from: ``published`` with the snapshot, or the service's ``cache``)."""
        found = self.published_indexes(snapshot, populate=populate)
        if found is not None:
            return found, "published"
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
        return index_files.open_all(folder, index_files.describe(folder), populate=populate), "cache"

    def _build(self, snapshot: snapshots.Snapshot, folder: Path) -> None:
        for stale in self.directory.glob(f".{folder.name}.tmp-*"):  # a build that died: we hold the lock now
            shutil.rmtree(stale, ignore_errors=True)
        work = self.directory / f".{folder.name}.tmp-{os.getpid()}"
        work.mkdir()
        started = time.perf_counter()
        with snapshots.connect(snapshot) as connection:
            # the build sorts every table by person: bound DuckDB's share of a machine the service shares
            connection.execute(f"SET memory_limit = '{load_memory_limit()}'")
            connection.execute("SET threads = 2")
            connection.execute("SET enable_progress_bar = false")
            index_files.build(connection, work, snapshot.refresh_id)
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
