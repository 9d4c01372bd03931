"""Build, verify and commit a read-only snapshot of the consumer-facing marts.

The snapshot is a fresh DuckDB file (one file, opened read-only by every reader, self-describing, and as fast to
query as the warehouse; Parquet files would need a catalogue and a directory switch). It is written under a new
name, verified against the contract of ``kernel.published`` (tables, columns, types), row counts compared with the
warehouse, R and cutoff checked, then committed with its manifest and CURRENT is switched atomically. A snapshot
written as a delta of the current one is also compared with the warehouse by checksums: the rows the build
recomputed, and each delta table whole; a difference stops publication (DeltaMismatch). The service's
per-person index files are built from the verified snapshot beside it (``kernel.index.files``), verified against it
(files' checksums, each index's rows against its query) and committed with it: a switch costs the service a file
open, never a sort.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from kernel import published, snapshots
from kernel.calendar import cutoff
from kernel.errors import LwwError
from kernel.index import files as index_files
from kernel.settings import PROJECT_ROOT, Settings


class DeltaMismatch(LwwError):
    """A snapshot written as a delta does not hold what the warehouse holds: nothing is published."""


@dataclass(frozen=True)
class Publication:
    snapshot: snapshots.Snapshot
    row_counts: dict[str, int]
    seconds: float
    delta: bool = False  # built from the previous snapshot plus the rows the build recomputed (DELTA_ROWS)


# The tables the incremental build recomputes in part, published as a delta when possible. Which rows the build
# recomputed, and whose last-indemnified flags it turned, is told by dbt once, in the mart fct_refresh_delta (the
# warehouse is attached as wh): here only how each published table is keyed, by the columns the delta names its
# keys with (the month or year first: it lets the scans skip the other months' row groups). In this order: the
# amounts' flags are repaired from last_indemnified_months.
DELTA = "wh.marts.fct_refresh_delta"
DELTA_KEYS = {
    "last_indemnified_months": ("ssin",),
    "monthly_amounts": ("month", "beneficiary_ssin"),
    "monthly_amounts_by_partner": ("month", "beneficiary_ssin"),
    "yearly_amounts": ("year", "beneficiary_ssin"),
    "yearly_amounts_by_partner": ("year", "beneficiary_ssin"),
    "rights": ("right_id",),
    "right_events": ("right_id",),
}
# The tables whose last-indemnified flag the build turns outside the recomputed rows, keyed by (month, person).
FLAG_KEYS = {
    "monthly_amounts": ("month", "beneficiary_ssin"),
    "monthly_amounts_by_partner": ("month", "partner_ssin"),
}
_SOURCES = {table.name: table.source for table in published.TABLES}


def delta_rows(name: str, change: str = "RECOMPUTED", keys: tuple[str, ...] | None = None) -> str:
    """A predicate on the rows of published table ``name`` that fct_refresh_delta lists under ``change``."""
    keys = keys or DELTA_KEYS[name]
    mart = _SOURCES[name].split(".", 1)[1]
    listed = f"(SELECT {', '.join(keys)} FROM {DELTA} WHERE change = '{change}' AND mart = '{mart}')"
    if len(keys) == 1:
        return f"{keys[0]} IN {listed}"
    first = keys[0]
    return (
        f"{first} IN (SELECT DISTINCT {first} FROM {listed} AS listed)"
        f" AND ({', '.join(keys)}) IN (SELECT * FROM {listed} AS listed)"
    )


DELTA_ROWS = {name: delta_rows(name) for name in DELTA_KEYS}


def _warehouse_build(snap: duckdb.DuckDBPyConnection, reference_date: dt.date) -> tuple[str | None, str | None]:
    """(the completed build the warehouse holds, the build it was incremental from, None when it was full), read
    from the BUILD row of fct_refresh_delta in the warehouse attached as ``wh``; (None, None) when the warehouse
    records no completed build for R."""
    try:
        build = snap.execute(
            "SELECT CAST(completed_build AS VARCHAR), CAST(incremental_from AS VARCHAR), reference_date"
            f" FROM {DELTA} WHERE change = 'BUILD'"
        ).fetchone()
    except duckdb.CatalogException:
        return None, None
    if build is None or build[0] is None or build[2] != reference_date:
        return None, None
    return build[0], build[1]


def _delta_base(home: Settings, incremental_from: str | None) -> snapshots.Snapshot | None:
    """The current snapshot, when it was published from the very build this one was incremental from."""
    current = snapshots.current(home.published)
    if incremental_from is None or current is None or current.manifest.get("warehouse_build") != incremental_from:
        return None
    return current


def _copy_table(snap: duckdb.DuckDBPyConnection, table: published.PublishedTable, where: str = "") -> None:
    columns = ", ".join(f'"{c}"' for c in table.column_names)
    order = f" ORDER BY {', '.join(table.sort_key)}" if table.sort_key else ""
    snap.execute(f'INSERT INTO "{table.name}" SELECT {columns} FROM wh.{table.source}{where}{order}')


def _reference_unchanged(
    snap: duckdb.DuckDBPyConnection, table: published.PublishedTable, base: snapshots.Snapshot
) -> bool:
    """A reference table the warehouse holds exactly as the base snapshot does (same checksum, the one its
    manifest records): kept from the copy of the base rather than written again. The reference CSVs seldom
    change, and copying the repertory's ten million integrations at every refresh was a visible part of
    publication (bench/README.md)."""
    if not table.source.startswith("marts.dim_"):
        return False
    columns = ", ".join(f'"{c}"' for c in table.column_names)
    recorded = base.manifest.get("checksums", {}).get(table.name)
    return recorded is not None and recorded == _checksum(snap, f"SELECT {columns} FROM wh.{table.source}")


def _apply_delta(snap: duckdb.DuckDBPyConnection) -> None:
    """Bring a copy of the previous snapshot up to the warehouse: the rows of DELTA_ROWS's tables the build
    recomputed are replaced (person-months, person-years, rights, people), and the last-indemnified flags that
    fct_refresh_delta says the build turned are turned here too, in the months concerned. Every other table is
    copied whole (by _build)."""
    tables = {table.name: table for table in published.TABLES}
    for name, recomputed in DELTA_ROWS.items():
        table = tables[name]
        snap.execute(f'DELETE FROM "{table.name}" WHERE {recomputed}')
        _copy_table(snap, table, f" WHERE {recomputed}")
        if table.name in FLAG_KEYS:
            for change, flag in (("FLAG_CLEARED", "false"), ("FLAG_SET", "true")):
                turned = delta_rows(table.name, change, FLAG_KEYS[table.name])
                snap.execute(
                    f'UPDATE "{table.name}" SET is_last_indemnified_month = {flag}'
                    f" WHERE is_last_indemnified_month <> {flag} AND {turned}"
                )


def delta_errors(snap: duckdb.DuckDBPyConnection) -> list[str]:
    """Compare a snapshot written as a delta (the connection's database) with the warehouse attached as ``wh``,
    for every table of DELTA_ROWS: the checksum of the rows this build recomputed (they were copied), then of the
    whole table (the rows kept from the previous snapshot and the repaired flags). Returns what differs."""
    tables = {table.name: table for table in published.TABLES}
    errors = []
    for name, recomputed in DELTA_ROWS.items():
        table = tables[name]
        columns = ", ".join(f'"{c}"' for c in table.column_names)
        for what, where in (("the rows this build recomputed", f" WHERE {recomputed}"), ("the whole table", "")):
            in_snapshot = _checksum(snap, f'SELECT {columns} FROM "{table.name}"{where}')
            in_warehouse = _checksum(snap, f"SELECT {columns} FROM wh.{table.source}{where}")
            if in_snapshot != in_warehouse:
                errors.append(
                    f"table {name}, {what}: checksum {in_snapshot} in the snapshot, {in_warehouse} in the warehouse"
                    f" ({table.source})"
                )
                break  # the whole table differs too
    return errors


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
    return _checksum(connection, f'SELECT * FROM "{table}"')


def _checksum(connection: duckdb.DuckDBPyConnection, rows: str) -> str:
    (value,) = connection.execute(f"SELECT coalesce(sum(hash(t)), 0)::VARCHAR FROM ({rows}) t").fetchone()
    return value


def check_reference_date(home: Settings, reference_date: dt.date, allow_earlier: bool) -> None:
    """Publishing an R earlier than the one served would move consumers back in time: only on purpose."""
    current = snapshots.current(home.published)
    if current and reference_date < current.reference_date and not allow_earlier:
        raise LwwError(
            f"the current snapshot {current.refresh_id} is for R={current.reference_date}; publishing "
            f"R={reference_date} would go back in time: pass --allow-earlier (or lww rollback) to mean it"
        )


def _build(
    home: Settings,
    staged: Path,
    reference_date: dt.date,
    refresh_id: str,
    started: dt.datetime,
    base: snapshots.Snapshot | None,
) -> dict[str, int]:
    """Write the staged snapshot (from scratch, or from a copy of ``base`` plus the delta); returns the row
    counts the warehouse holds, for verification."""
    staged.unlink(missing_ok=True)
    if base is not None:
        # the previous snapshot is never written: it is copied, and readers keep it open meanwhile
        shutil.copyfile(base.path, staged)
    expected: dict[str, int] = {}
    with duckdb.connect(str(staged)) as snap:
        snap.execute("ATTACH ? AS wh (READ_ONLY)", [str(home.warehouse)])
        for table in published.TABLES:
            if base is None or not (table.name in DELTA_ROWS or _reference_unchanged(snap, table, base)):
                snap.execute(f'DROP TABLE IF EXISTS "{table.name}"')
                snap.execute(table.ddl())
                _copy_table(snap, table)
            (expected[table.name],) = snap.execute(f"SELECT count(*) FROM wh.{table.source}").fetchone()
        if base is not None:
            _apply_delta(snap)
            mismatches = delta_errors(snap)
            if mismatches:
                snap.close()
                staged.unlink(missing_ok=True)
                raise DeltaMismatch(
                    f"the snapshot written as a delta of {base.refresh_id} does not hold what the warehouse holds, "
                    "nothing published: " + "; ".join(mismatches)
                )
        info = published.SNAPSHOT_INFO
        snap.execute(f'DROP TABLE IF EXISTS "{info.name}"')
        snap.execute(info.ddl())
        snap.execute(
            f'INSERT INTO "{info.name}" VALUES (?, ?, ?, ?)',
            [refresh_id, reference_date, cutoff(reference_date), started.replace(tzinfo=None)],
        )
        snap.execute("DETACH wh")
        snap.execute("CHECKPOINT")
    return expected


def publish(
    home: Settings,
    reference_date: dt.date,
    *,
    allow_earlier: bool = False,
    keep: int = 6,
    now: dt.datetime | None = None,
    record: dict[str, Any] | None = None,
) -> Publication:
    """Copy the published tables out of the warehouse into a new snapshot, verify, commit, switch CURRENT.

    The snapshot is the read-write database here and the warehouse is attached read-only: publication can
    never write the warehouse.
    """
    started = dt.datetime.now(dt.UTC)
    check_reference_date(home, reference_date, allow_earlier)
    refresh_id = snapshots.new_refresh_id(reference_date, now)
    staged = snapshots.staging_path(home.published, refresh_id)
    with duckdb.connect() as probe:
        probe.execute("ATTACH ? AS wh (READ_ONLY)", [str(home.warehouse)])
        build, incremental_from = _warehouse_build(probe, reference_date)
    base = _delta_base(home, incremental_from)
    try:
        expected = _build(home, staged, reference_date, refresh_id, started, base)
        manifest = verify(staged, reference_date, expected)
    except DeltaMismatch:
        raise  # the delta was written from the warehouse's own account of what changed: that account is wrong
    except LwwError:
        if base is None:
            raise
        base = None  # a delta that does not verify (the contract changed, say): publish in full instead
        expected = _build(home, staged, reference_date, refresh_id, started, base)
        manifest = verify(staged, reference_date, expected)
    manifest.update(
        {
            "published_at": started.isoformat(),
            "dbt_version": importlib.metadata.version("dbt-core"),
            "code_version": _code_version(),
            # the warehouse build this snapshot holds; the next publication can be a delta from it
            "warehouse_build": build,
            "delta_from": base.refresh_id if base is not None else None,
            **(record or {}),  # what the run adds to the manifest (an operator's recorded override)
        }
    )
    build_index(home.published, staged, refresh_id)
    snapshot = snapshots.commit(home.published, refresh_id, manifest)
    snapshots.prune(home.published, keep)
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return Publication(snapshot, expected, seconds, delta=base is not None)


def build_index(published_dir: Path, staged: Path, refresh_id: str) -> dict:
    """Build the service's index files of the staged snapshot beside it and verify them against it; on any
    difference nothing is published (both staged files are removed). Returns their description."""
    folder = snapshots.index_staging_path(published_dir, refresh_id)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    try:
        with duckdb.connect(str(staged), read_only=True) as snap:
            snap.execute("SET enable_progress_bar = false")
            snap.execute(f"SET memory_limit = '{index_files.memory_limit()}'")
            description = index_files.build(snap, folder, refresh_id)
            errors = index_files.verify(folder, snap, refresh_id)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if errors:
        shutil.rmtree(folder, ignore_errors=True)
        staged.unlink(missing_ok=True)
        raise LwwError("the new snapshot's index files failed verification, nothing published: " + "; ".join(errors))
    return description


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
