"""Build, verify and commit a read-only snapshot of the consumer-facing marts.

The snapshot is a fresh DuckDB file (one file, opened read-only by every reader, self-describing, and as fast to
query as the warehouse; Parquet files would need a catalogue and a directory switch). It is written under a new
name, verified against the contract of ``kernel.published`` (tables, columns, types), row counts compared with the
warehouse, R and cutoff checked, then committed with its manifest and CURRENT is switched atomically.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from kernel import published, snapshots
from kernel.calendar import cutoff
from kernel.errors import LwwError
from kernel.settings import PROJECT_ROOT, Settings


@dataclass(frozen=True)
class Publication:
    snapshot: snapshots.Snapshot
    row_counts: dict[str, int]
    seconds: float


def _code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except OSError:
        pass
    return importlib.metadata.version("living-wages-warehouse")


def _table_checksum(connection: duckdb.DuckDBPyConnection, table: str) -> str:
    """An order-independent checksum of a table's content (sum of row hashes)."""
    (value,) = connection.execute(f'SELECT coalesce(sum(hash(t)), 0)::VARCHAR FROM "{table}" t').fetchone()
    return value


def check_reference_date(home: Settings, reference_date: dt.date, allow_earlier: bool) -> None:
    """Publishing an R earlier than the one served would move consumers back in time: only on purpose."""
    current = snapshots.current(home.published)
    if current and reference_date < current.reference_date and not allow_earlier:
        raise LwwError(
            f"the current snapshot {current.refresh_id} is for R={current.reference_date}; publishing "
            f"R={reference_date} would go back in time: pass --allow-earlier (or lww rollback) to mean it"
        )


def publish(
    home: Settings,
    reference_date: dt.date,
    *,
    allow_earlier: bool = False,
    keep: int = 6,
    now: dt.datetime | None = None,
) -> Publication:
    """Copy the published tables out of the warehouse into a new snapshot, verify, commit, switch CURRENT.

    The snapshot is the read-write database here and the warehouse is attached read-only: publication can
    never write the warehouse.
    """
    started = dt.datetime.now(dt.UTC)
    check_reference_date(home, reference_date, allow_earlier)
    refresh_id = snapshots.new_refresh_id(reference_date, now)
    staged = snapshots.staging_path(home.published, refresh_id)
    staged.unlink(missing_ok=True)
    expected: dict[str, int] = {}
    with duckdb.connect(str(staged)) as snap:
        snap.execute("ATTACH ? AS wh (READ_ONLY)", [str(home.warehouse)])
        for table in published.TABLES:
            snap.execute(table.ddl())
            columns = ", ".join(f'"{c}"' for c in table.column_names)
            order = f" ORDER BY {', '.join(table.sort_key)}" if table.sort_key else ""
            snap.execute(f'INSERT INTO "{table.name}" SELECT {columns} FROM wh.{table.source}{order}')
            (expected[table.name],) = snap.execute(f"SELECT count(*) FROM wh.{table.source}").fetchone()
        info = published.SNAPSHOT_INFO
        snap.execute(info.ddl())
        snap.execute(
            f'INSERT INTO "{info.name}" VALUES (?, ?, ?, ?)',
            [refresh_id, reference_date, cutoff(reference_date), started.replace(tzinfo=None)],
        )
        snap.execute("DETACH wh")
        snap.execute("CHECKPOINT")
    manifest = verify(staged, reference_date, expected)
    manifest.update(
        {
            "published_at": started.isoformat(),
            "dbt_version": importlib.metadata.version("dbt-core"),
            "code_version": _code_version(),
        }
    )
    snapshot = snapshots.commit(home.published, refresh_id, manifest)
    snapshots.prune(home.published, keep)
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return Publication(snapshot, expected, seconds)


def verify(path: Path, reference_date: dt.date, expected_rows: dict[str, int]) -> dict[str, Any]:
    """Open the staged snapshot read-only and check it; returns the manifest body. Raises on any difference."""
    with duckdb.connect(str(path), read_only=True) as snap:
        errors = published.contract_errors(snap)
        counts = {t: snap.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in expected_rows}
        errors += [
            f"table {t} has {counts[t]} rows, the warehouse {n}" for t, n in expected_rows.items() if counts[t] != n
        ]
        info = snap.execute("SELECT reference_date, cutoff_date FROM snapshot_info").fetchall()
        if info != [(reference_date, cutoff(reference_date))]:
            errors.append(f"snapshot_info says {info}, expected R={reference_date}")
        checksums = {t: _table_checksum(snap, t) for t in expected_rows}
    if errors:
        path.unlink(missing_ok=True)
        raise LwwError("the new snapshot failed verification, nothing published: " + "; ".join(errors))
    return {
        "reference_date": reference_date.isoformat(),
        "cutoff_date": cutoff(reference_date).isoformat(),
        "row_counts": counts,
        "checksums": checksums,
    }
