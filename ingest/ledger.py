"""The file ledger (``raw.loaded_files``) and the quarantine register (``raw.quarantined_files``).

The ledger is what makes a load idempotent: a fileId already loaded with the same sha-256 is a no-op; with
another content it is a conflict, and the new file is quarantined.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from kernel.raw_tables import LOADED_FILES, QUARANTINED_FILES


def sha256_of(path: Path) -> str:
    """The sha-256 of a file's bytes; of a symbolic link, the hash of the link itself (it is never followed)."""
    digest = hashlib.sha256()
    if path.is_symlink():
        digest.update(b"symbolic link to " + os.fsencode(os.readlink(path)))
        return digest.hexdigest()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class LedgerEntry:
    file_id: str
    kind: str
    file_name: str
    sha256: str
    rows: int


def ledger_entry(connection, file_id: str) -> LedgerEntry | None:
    rows = connection.execute(  # fetchall: DuckDB keeps a half-read result open and blocks the connection
        f"SELECT file_id, kind, file_name, sha256, rows FROM {LOADED_FILES.qualified} WHERE file_id = ?", [file_id]
    ).fetchall()
    return LedgerEntry(*rows[0]) if rows else None


def record_loaded(
    connection,
    *,
    file_id: str,
    kind: str,
    file_name: str,
    sha256: str,
    rows: int,
    created_at: dt.datetime | None,
    reporting_month: dt.date | None,
) -> None:
    """Insert the ledger row (inside the caller's transaction: the ledger commits with the data)."""
    connection.execute(
        f"INSERT INTO {LOADED_FILES.qualified} (file_id, kind, file_name, sha256, rows, created_at, loaded_at, "
        "reporting_month) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [file_id, kind, file_name, sha256, rows, created_at, utc_now(), reporting_month],
    )


def record_quarantined(
    connection,
    *,
    file_name: str,
    kind: str,
    file_id: str | None,
    sha256: str,
    reason: str,
    line_no: int | None,
    field: str | None,
    errors: int,
) -> str:
    """Register a quarantine in its own transaction, so the dashboards show it whatever happens next."""
    quarantine_id = str(uuid.uuid4())
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(
            f"INSERT INTO {QUARANTINED_FILES.qualified} (quarantine_id, file_name, kind, file_id, sha256, "
            "quarantined_at, reason, line_no, field, errors, released_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            [quarantine_id, file_name, kind, file_id, sha256, utc_now(), reason, line_no, field, errors],
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return quarantine_id


def quarantined_kind(connection, file_name: str) -> str | None:
    rows = connection.execute(
        f"SELECT kind FROM {QUARANTINED_FILES.qualified} WHERE file_name = ? ORDER BY quarantined_at DESC LIMIT 1",
        [file_name],
    ).fetchall()
    return rows[0][0] if rows else None


def mark_released(connection, file_name: str) -> int:
    """Set ``released_at`` on the open quarantine rows of a file now loaded; returns how many."""
    rows = connection.execute(
        f"UPDATE {QUARANTINED_FILES.qualified} SET released_at = ? WHERE file_name = ? AND released_at IS NULL "
        "RETURNING quarantine_id",
        [utc_now(), file_name],
    ).fetchall()
    return len(rows)
