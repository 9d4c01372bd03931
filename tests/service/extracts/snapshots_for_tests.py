"""Published snapshots for the extracts' tests: the contract's tables (kernel.published DDL) in a real DuckDB file,
committed by the kernel's own protocol, with rows given by column name (the columns left out are NULL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from kernel import published, snapshots
from kernel.calendar import cutoff
from kernel.identifiers import cbe_with_check, ssin_with_check

R = dt.date(2026, 7, 4)
TODAY = dt.date(2026, 7, 10)
SPF_FINANCES = cbe_with_check(3_100_148)
OTHER = cbe_with_check(3_100_149)
P1 = cbe_with_check(2_100_001)
P2 = cbe_with_check(2_100_002)
A, B, C, D, E = (ssin_with_check("850101", n, False) for n in (101, 103, 105, 107, 109))
EXTRACT_GRANT = {
    "cbe_number": SPF_FINANCES,
    "operation": "LivingWagesWithAmount:extract",
    "legal_context": "TAX_CONTROL",
    "deliberation": "14/091",
    "valid_from": dt.date(2020, 1, 1),
    "valid_to": None,
}


def right(right_id: str, ssin: str, begin: str, end: str | None, **overrides: Any) -> dict[str, Any]:
    row = {
        "right_id": right_id,
        "ssin": ssin,
        "pcsa_cbe_number": P1,
        "category": "LIVING_WAGE",
        "household_category": 2,
        "begin_date": dt.date.fromisoformat(begin),
        "end_date": dt.date.fromisoformat(end) if end else None,
        "status": "ACTIVE",
    }
    return {**row, **overrides}


def publish(home: Path, tables: dict[str, list[dict[str, Any]]], reference_date: dt.date = R) -> str:
    """Publish a snapshot holding ``tables`` (and the SPF Finances institution unless given) and switch CURRENT."""
    tables = {"dim_institutions": [{"cbe_number": SPF_FINANCES, "name": "SPF Finances", "sector": 50}], **tables}
    published_dir = home / "published"
    refresh_id = snapshots.new_refresh_id(reference_date)
    path = snapshots.staging_path(published_dir, refresh_id)
    with duckdb.connect(str(path)) as con:
        for table in (*published.TABLES, published.SNAPSHOT_INFO):
            con.execute(table.ddl())
        for name, rows in tables.items():
            for row in rows:
                columns, marks = ", ".join(f'"{c}"' for c in row), ", ".join("?" * len(row))
                con.execute(f'INSERT INTO "{name}" ({columns}) VALUES ({marks})', list(row.values()))
        con.execute(
            "INSERT INTO snapshot_info VALUES (?, ?, ?, ?)",
            [refresh_id, reference_date, cutoff(reference_date), dt.datetime.now()],
        )
        assert published.contract_errors(con) == []
    snapshots.commit(published_dir, refresh_id, {"reference_date": reference_date.isoformat()})
    return refresh_id
