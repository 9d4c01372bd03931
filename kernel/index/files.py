"""A snapshot's index files: built into a folder, described (``index.json``, with each file's size and sha-256),
verified against the snapshot, and opened.

One folder per snapshot: ``<index>.<part>.npy`` per array of each index of :data:`~kernel.index.layout.INDEXES`,
and ``index.json`` naming the format, each index's columns and rows, and each file's size and checksum. The
single writer builds it beside the snapshot it stages and :func:`verify` checks it before ``commit`` publishes
both; the service builds the same folder in its own cache for a snapshot published without one.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import duckdb
import numpy as np

from kernel.durable import fsync_path, sha256_of
from kernel.errors import LwwError
from kernel.index.layout import INDEXES
from kernel.index.person import PersonIndex

DESCRIPTION = "index.json"


def memory_limit() -> str:
    """DuckDB's memory limit while index files are built (``LWW_SERVICE_LOAD_MEMORY``, default 4GB), by the
    publication or by the service's fallback: the build sorts a whole snapshot, and must not take a machine's memory
    from the service beside it. Checked: it goes into SQL."""
    value = os.environ.get("LWW_SERVICE_LOAD_MEMORY", "4GB").strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value):
        raise LwwError(f"LWW_SERVICE_LOAD_MEMORY={value!r}: expected a size such as 4GB or 512MiB")
    return value


def index_name(key) -> str:
    """The files' prefix of an index of :data:`INDEXES` (``MONTH-BENEFICIARY``, ``rights``)."""
    return "-".join(key) if isinstance(key, tuple) else key


def build(connection: duckdb.DuckDBPyConnection, folder: Path, refresh_id: str) -> dict:
    """Write the index files of the snapshot open on ``connection`` into ``folder`` (which exists and is empty),
    each fsync'd, then ``index.json``; returns the description. One index in memory at a time."""
    described, files = {}, {}
    for key, layout in INDEXES.items():
        index = layout.kind.load(connection, layout.query(connection))
        name = index_name(key)
        for part, array in index.files().items():
            target = folder / f"{name}.{part}.npy"
            np.save(target, np.ascontiguousarray(array), allow_pickle=False)
            fsync_path(target)
            files[target.name] = {"bytes": target.stat().st_size, "sha256": sha256_of(target)}
        described[name] = {**index.describe(), "rows": len(index), "people": len(index.people)}
        del index
    description = {"refresh_id": refresh_id, "format": PersonIndex.FORMAT, "indexes": described, "files": files}
    (folder / DESCRIPTION).write_text(json.dumps(description, indent=1, sort_keys=True) + "\n")
    fsync_path(folder / DESCRIPTION)
    fsync_path(folder)
    return description


def describe(folder: Path) -> dict:
    return json.loads((folder / DESCRIPTION).read_text(encoding="utf-8"))


def verify(folder: Path, connection: duckdb.DuckDBPyConnection, refresh_id: str) -> list[str]:
    """Check the index files in ``folder`` against the snapshot open on ``connection``: the description names this
    snapshot and format, every file is there with the size and checksum described, every index holds as many
    rows as its query gives and its people are sorted and distinct. Returns what is wrong (nothing: verified)."""
    try:
        description = describe(folder)
    except (OSError, ValueError) as error:
        return [f"{folder / DESCRIPTION}: {error}"]
    errors = []
    if description.get("refresh_id") != refresh_id or description.get("format") != PersonIndex.FORMAT:
        errors.append(
            f"{folder / DESCRIPTION} describes {description.get('refresh_id')} format {description.get('format')},"
            f" expected {refresh_id} format {PersonIndex.FORMAT}"
        )
    errors += size_errors(folder, description.get("files", {}))
    for name, recorded in description.get("files", {}).items():
        path = folder / name
        if path.is_file() and sha256_of(path) != recorded["sha256"]:
            errors.append(f"{path}: checksum differs from the one described")
    if errors:
        return errors
    for key, layout in INDEXES.items():
        name = index_name(key)
        described = description["indexes"].get(name)
        if described is None:
            errors.append(f"{folder}: no index {name}")
            continue
        (expected,) = connection.execute(f"SELECT count(*) FROM ({layout.query(connection)})").fetchone()
        index = layout.kind.open(folder, name, described, populate=False)
        if len(index) != expected or described.get("rows") != expected:
            errors.append(f"{folder}: index {name} holds {len(index)} rows, the snapshot's query {expected}")
        if len(index.people) > 1 and not bool((index.people[1:] > index.people[:-1]).all()):
            errors.append(f"{folder}: index {name} has its people out of order")
    return errors


def size_errors(folder: Path, files: dict) -> list[str]:
    """Each described file missing or of another size (one ``stat`` each: what a reader checks before mapping)."""
    errors = []
    for name, recorded in files.items():
        try:
            size = (folder / name).stat().st_size
        except OSError:
            errors.append(f"{folder / name}: missing")
            continue
        if size != recorded["bytes"]:
            errors.append(f"{folder / name}: {size} bytes, {recorded['bytes']} described")
    return errors


def open_all(folder: Path, description: dict, *, populate: bool = True) -> dict:
    """Every index of :data:`INDEXES` memory-mapped from ``folder``, by key."""
    return {
        key: layout.kind.open(folder, index_name(key), description["indexes"][index_name(key)], populate=populate)
        for key, layout in INDEXES.items()
    }
