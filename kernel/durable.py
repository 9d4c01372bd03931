"""Files made durable: an fsync of a file or a folder (a rename or a new name survives a crash only once its folder
is synced), and the sha-256 of a file's bytes read in chunks.

Every writer that releases a file under a final name (snapshots, the service's index files, batch results,
extracts) uses these, so there is one way of saying "this is on disk".
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """fsync a file or a folder by its path (for a folder: the names created, renamed or removed in it)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sha256_of(path: Path) -> str:
    """The sha-256 of a file's bytes, read 1 MiB at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
