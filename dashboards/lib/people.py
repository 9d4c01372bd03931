"""The person lookup (internal analysts only): the monthly amounts of one SSIN, as beneficiary and as partner.

Not cached: each lookup is a deliberate act on personal data, and is written to a log of lookups
(``$LWW_HOME/logs/dashboard-lookups.jsonl``: who, when, which SSIN, which snapshot) for the data protection
officer.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from dashboards.lib.snapshot import SnapshotRef, query
from kernel.settings import settings

_ROWS = """
    SELECT month, pcsa_cbe_number, allowance_type, household_category, {other} AS {other_name}, amount,
           array_to_string(list_transform(grant_periods, lambda g:
               strftime(g.begin_date, '%Y-%m-%d') || ' – ' || strftime(g.end_date, '%Y-%m-%d')), ', ')
               AS grant_periods,
           covers_whole_period, finality_status, is_last_indemnified_month
    FROM {table} WHERE {person} = ? ORDER BY month, pcsa_cbe_number, allowance_type, household_category
"""


def as_beneficiary(ref: SnapshotRef, ssin: str) -> pd.DataFrame:
    sql = _ROWS.format(
        other="partner_ssin", other_name="partner_ssin", table="monthly_amounts", person="beneficiary_ssin"
    )
    return query(ref, sql, [ssin])


def as_partner(ref: SnapshotRef, ssin: str) -> pd.DataFrame:
    sql = _ROWS.format(
        other="beneficiary_ssin",
        other_name="beneficiary_ssin",
        table="monthly_amounts_by_partner",
        person="partner_ssin",
    )
    return query(ref, sql, [ssin])


def log_lookup(ref: SnapshotRef, username: str, ssin: str, rows: int) -> None:
    """Append one JSON line: who looked whom up, when, in which snapshot, and how many rows were shown."""
    folder = settings().logs
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "user": username,
        "ssin": ssin,
        "refresh_id": ref.refresh_id,
        "rows": rows,
    }
    with (folder / "dashboard-lookups.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
