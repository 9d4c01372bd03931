"""A tiny real warehouse for the dbt tests: the raw tables of the kernel in a DuckDB file, the real dbt
executable run against it, and the marts read back (or copied under their published names for the contract)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from kernel import published, raw_tables
from kernel.settings import DBT_PROJECT_DIR

DBT = Path(sys.executable).parent / "dbt"


def payment_line(
    line_id: str,
    ssin: str,
    month: str,
    *,
    amount: str = "1314.20",
    begin_day: int = 1,
    end_day: int | None = None,
    accepted_on: str,
    decision: str = "ACCEPTED",
    replaces: str | None = None,
    pcsa: str = "0212345678",
    partner: str | None = None,
    allowance: str = "LIVING_WAGE",
    category: int = 2,
    rejection_code: str | None = None,
) -> dict[str, Any]:
    """One raw payment line; ``month`` is YYYY-MM, the period runs from begin_day to end_day (default: month end)."""
    first = dt.date.fromisoformat(f"{month}-01")
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return {
        "file_id": "F-test",
        "line_no": 1,
        "line_id": line_id,
        "replaces_line_id": replaces,
        "pcsa_cbe_number": pcsa,
        "ssin": ssin,
        "partner_ssin": partner,
        "allowance_type": allowance,
        "household_category": category,
        "begin_date": first.replace(day=begin_day),
        "end_date": last if end_day is None else first.replace(day=end_day),
        "amount": Decimal(amount),
        "payment_date": first,
        "acceptance_date": dt.date.fromisoformat(accepted_on),
        "decision": decision,
        "rejection_code": rejection_code
        if decision == "REJECTED" and rejection_code
        else ("R01" if decision == "REJECTED" else None),
    }


def create_warehouse(path: Path, tables: dict[str, list[dict[str, Any]]]) -> None:
    """Create the raw tables (kernel DDL) and load the given rows, keyed by raw table name."""
    by_name = {table.name: table for table in raw_tables.ALL_TABLES}
    connection = duckdb.connect(str(path))
    try:
        raw_tables.create_all(connection)
        for name, rows in tables.items():
            if not rows:
                continue
            table = by_name[name]
            for number, row in enumerate(rows, start=1):
                row.setdefault("line_no", number)
            batch = pa.Table.from_pylist(rows, schema=table.arrow_schema)  # noqa: F841 (read by DuckDB)
            connection.execute(f"INSERT INTO {table.qualified} SELECT * FROM batch")
    finally:
        connection.close()


def dbt_args(work: Path, command: str = "build", project: Path = DBT_PROJECT_DIR) -> list[str]:
    """The dbt command line the tests run (project, target and logs under ``work``); R goes in dbt_env."""
    return [
        str(DBT),
        command,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]


def dbt_env(warehouse: Path, reference_date: str) -> dict[str, str]:
    """The environment of dbt: the warehouse, and R as the pipeline passes it (the one way dbt takes R)."""
    return {
        **os.environ,
        "LWW_WAREHOUSE": str(warehouse),
        "LWW_DBT_REFERENCE_DATE": reference_date,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def run_dbt(
    warehouse: Path,
    work: Path,
    reference_date: str,
    command: str = "build",
    *select: str,
    project: Path = DBT_PROJECT_DIR,
    extra: tuple[str, ...] = (),
) -> str:
    """Run the real dbt executable on the project against ``warehouse``; raise with dbt's output on failure."""
    args = dbt_args(work, command, project) + list(extra)
    if select:
        args += ["--select", *select]
    env = dbt_env(warehouse, reference_date)
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=work, check=False)
    if done.returncode != 0:
        raise AssertionError(f"dbt {command} failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def query(warehouse: Path, sql: str) -> list[tuple]:
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def published_copy_errors(warehouse: Path) -> list[str]:
    """Copy every contracted mart under its published name (schema main of a scratch database) and return
    kernel.published.contract_errors for them: what publication would check."""
    connection = duckdb.connect()
    try:
        connection.execute(f"ATTACH '{warehouse}' AS warehouse (READ_ONLY)")
        for table in published.TABLES:
            connection.execute(f'CREATE TABLE main."{table.name}" AS SELECT * FROM warehouse.{table.source}')
        return published.contract_errors(connection, published.TABLES)
    finally:
        connection.close()


def right_event(
    event_id: str,
    right_id: str,
    sequence: int,
    event_type: str,
    registered: str,
    *,
    ssin: str,
    pcsa_cbe_number: str,
    file_id: str = "F-rights",
    **kw: Any,
) -> dict:
    """A raw right event of a living wage from 2026-01-01, open-ended, decided 3 days and applied for 20 days
    before its registration; ``kw`` overrides any column."""
    registration = dt.date.fromisoformat(registered)
    row = {
        "file_id": file_id,
        "event_id": event_id,
        "right_id": right_id,
        "sequence": sequence,
        "event_type": event_type,
        "ssin": ssin,
        "pcsa_cbe_number": pcsa_cbe_number,
        "category": "LIVING_WAGE",
        "household_category": 2,
        "begin_date": dt.date(2026, 1, 1),
        "end_date": None,
        "application_date": registration - dt.timedelta(days=20),
        "decision_date": registration - dt.timedelta(days=3),
        "registration_date": registration,
        "subsidy_requested": True,
    }
    row.update(kw)
    return row
