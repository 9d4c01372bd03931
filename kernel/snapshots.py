"""The publish/read protocol of read-only snapshots.

Layout under ``$LWW_HOME/published/``::

    <refresh_id>.duckdb          a snapshot, never written again once committed
    <refresh_id>.manifest.json   what it holds (refresh id, R, cutoff, row counts, checksums, versions)
    <refresh_id>.index/          its per-person index files (``kernel.index.files``), recorded in the manifest
    CURRENT                      the refresh id readers open; replaced atomically (write + fsync + rename)
    CURRENT.log                  one line per switch (publish or rollback), for the operators

A writer builds ``<refresh_id>.duckdb.tmp`` and its index files in ``<refresh_id>.index.tmp/``, verifies both,
calls :func:`commit` (which checks the file opens, renames both into place, writes the manifest with the index
files' sizes and checksums, then switches CURRENT). Readers call :func:`current` and open the file read-only; they
compare the id to notice a switch and reopen. Old snapshots stay (``keep`` of them), so an answer given on a
date can be reproduced and ``rollback`` can serve a previous one again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from kernel import permissions
from kernel.durable import fsync_path, sha256_of

CURRENT = "CURRENT"


class SnapshotError(RuntimeError):
    """A snapshot cannot be published, found or opened; the message says which and why."""


@dataclass(frozen=True)
class Snapshot:
    refresh_id: str
    path: Path
    manifest: dict[str, Any]

    @property
    def reference_date(self) -> dt.date:
        return dt.date.fromisoformat(self.manifest["reference_date"])

    @property
    def index_folder(self) -> Path | None:
        """The folder of its published index files, or None for a snapshot published without them."""
        recorded = self.manifest.get("index")
        return self.path.parent / recorded["folder"] if recorded else None


def new_refresh_id(reference_date: dt.date, now: dt.datetime | None = None) -> str:
    """Sortable by publication time, and names R: ``20261127T233000123456Z-R2026-11-07``."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return f"{moment:%Y%m%dT%H%M%S%f}Z-R{reference_date.isoformat()}"


def staging_path(published: Path, refresh_id: str) -> Path:
    """Where a writer builds the snapshot before :func:`commit`."""
    published.mkdir(parents=True, exist_ok=True)
    return published / f"{refresh_id}.duckdb.tmp"


def snapshot_path(published: Path, refresh_id: str) -> Path:
    return published / f"{refresh_id}.duckdb"


def manifest_path(published: Path, refresh_id: str) -> Path:
    return published / f"{refresh_id}.manifest.json"


def index_path(published: Path, refresh_id: str) -> Path:
    """The folder of a snapshot's index files once committed."""
    return published / f"{refresh_id}.index"


def index_staging_path(published: Path, refresh_id: str) -> Path:
    """Where a writer builds the index files of a staged snapshot (committed with it when it exists)."""
    return published / f"{refresh_id}.index.tmp"


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)


def commit(published: Path, refresh_id: str, manifest: dict[str, Any], *, switch: bool = True) -> Snapshot:
    """Move a staged snapshot into place, write its manifest (with the file's sha-256), and switch CURRENT.

    The caller has verified the content; this verifies the file opens read-only, and refuses to overwrite. The
    index files staged beside it (:func:`index_staging_path`, verified by the caller too) are moved into place
    before the manifest is written, which records them (format, each file's size and sha-256): a snapshot that
    exists has its index files, and CURRENT never names one whose files are still being written.
    """
    staged = staging_path(published, refresh_id)
    final = snapshot_path(published, refresh_id)
    staged_index, final_index = index_staging_path(published, refresh_id), index_path(published, refresh_id)
    if not staged.exists():
        raise SnapshotError(f"no staged snapshot at {staged}")
    if final.exists() or final_index.exists():
        raise SnapshotError(f"snapshot {refresh_id} already exists: snapshots are never written again")
    with duckdb.connect(str(staged), read_only=True) as con:
        con.execute("SELECT 1").fetchall()
    index = None
    if staged_index.is_dir():
        description = json.loads((staged_index / "index.json").read_text(encoding="utf-8"))
        for path in staged_index.iterdir():
            os.chmod(path, permissions.SNAPSHOT_MODE)
        os.replace(staged_index, final_index)
        index = {"folder": final_index.name, "format": description["format"], "files": description["files"]}
    os.replace(staged, final)
    os.chmod(final, permissions.SNAPSHOT_MODE)  # read-only, and personal data: no access for other users
    fsync_path(published)
    full = {**manifest, "refresh_id": refresh_id, "file": final.name, "sha256": sha256_of(final)}
    if index is not None:
        full["index"] = index
    _write_atomically(manifest_path(published, refresh_id), json.dumps(full, indent=2, sort_keys=True))
    snapshot = Snapshot(refresh_id, final, full)
    if switch:
        switch_current(published, refresh_id, reason="publish")
    return snapshot


def switch_current(published: Path, refresh_id: str, *, reason: str) -> None:
    """Point CURRENT at ``refresh_id`` atomically; readers pick it up at their next request."""
    if not snapshot_path(published, refresh_id).exists():
        raise SnapshotError(f"snapshot {refresh_id} does not exist in {published}")
    _write_atomically(published / CURRENT, refresh_id + "\n")
    with (published / f"{CURRENT}.log").open("a", encoding="utf-8") as log:
        log.write(f"{dt.datetime.now(dt.UTC).isoformat()} {reason} {refresh_id}\n")


def current_id(published: Path) -> str | None:
    try:
        text = (published / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def load(published: Path, refresh_id: str) -> Snapshot:
    path = snapshot_path(published, refresh_id)
    try:
        manifest = json.loads(manifest_path(published, refresh_id).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"snapshot {refresh_id} has no manifest in {published}") from None
    if not path.exists():
        raise SnapshotError(f"snapshot {refresh_id} is missing its file {path}")
    return Snapshot(refresh_id, path, manifest)


def current(published: Path) -> Snapshot | None:
    """The snapshot readers should serve now, or None before the first publication."""
    refresh_id = current_id(published)
    return load(published, refresh_id) if refresh_id else None


def connect(snapshot: Snapshot) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a snapshot (never blocks a writer: snapshots are separate files)."""
    return duckdb.connect(str(snapshot.path), read_only=True)


def list_ids(published: Path) -> list[str]:
    """Committed snapshots, oldest first."""
    if not published.exists():
        return []
    ids = [p.name[: -len(".duckdb")] for p in published.glob("*.duckdb")]
    return sorted(i for i in ids if manifest_path(published, i).exists())


def previous_id(published: Path, before: str | None = None) -> str | None:
    """The snapshot published just before ``before`` (default: before CURRENT)."""
    pivot = before or current_id(published)
    ids = list_ids(published)
    if pivot not in ids:
        return ids[-1] if ids and pivot is None else None
    index = ids.index(pivot)
    return ids[index - 1] if index > 0 else None


def prune(published: Path, keep: int) -> list[str]:
    """Delete all but the ``keep`` newest snapshots, never the current one; returns the deleted ids."""
    ids = list_ids(published)
    protected = {current_id(published)}
    deleted = []
    for refresh_id in ids[: max(0, len(ids) - keep)]:
        if refresh_id in protected:
            continue
        snapshot_path(published, refresh_id).unlink(missing_ok=True)
        manifest_path(published, refresh_id).unlink(missing_ok=True)
        shutil.rmtree(index_path(published, refresh_id), ignore_errors=True)
        deleted.append(refresh_id)
    for stale in published.glob("*.duckdb.tmp"):  # a publish killed half-way leaves its staging file
        stale.unlink(missing_ok=True)
    for stale in published.glob("*.index.tmp"):  # and its staged index files
        shutil.rmtree(stale, ignore_errors=True)
    return deleted
